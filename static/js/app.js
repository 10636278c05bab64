// Toasts: flash messages rendered by the server fade out on their own, and htmx
// responses add more through an HX-Trigger "toast" event. Failed htmx requests
// (403, 404, 500, network) also end in a toast rather than silence.
(function () {
  function dismissLater(toast) {
    setTimeout(function () { toast.classList.add("toast-hide"); }, 5000);
    setTimeout(function () { toast.remove(); }, 5600);
  }
  function showToast(text, level) {
    var box = document.getElementById("toasts");
    if (!box || !text) return;
    var toast = document.createElement("div");
    toast.className = "toast toast-" + (level || "info");
    toast.textContent = text;
    box.appendChild(toast);
    dismissLater(toast);
  }
  window.showToast = showToast;

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("#toasts .toast").forEach(dismissLater);
  });
  document.addEventListener("toast", function (e) {
    if (e.detail) showToast(e.detail.value || e.detail.message, e.detail.level);
  });
  document.addEventListener("htmx:responseError", function (e) {
    var xhr = e.detail.xhr;
    if (xhr.getResponseHeader("HX-Trigger")) return; // the server already said why
    var messages = {403: "You cannot do that here: your role is read-only.", 404: "That item no longer exists.", 429: "Too many requests; wait a moment."};
    showToast(messages[xhr.status] || "Something went wrong (" + xhr.status + "). Please try again.", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("The server could not be reached. Check your connection.", "error");
  });
})();
