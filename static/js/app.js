// Toasts fade out on their own; htmx responses may add more via HX-Trigger.
(function () {
  function dismissLater(toast) {
    setTimeout(function () { toast.classList.add("toast-hide"); }, 5000);
    setTimeout(function () { toast.remove(); }, 5600);
  }
  function showToast(text, level) {
    var box = document.getElementById("toasts");
    if (!box) return;
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
  document.body && document.body.addEventListener("toast", function (e) {
    showToast(e.detail.value || e.detail.message, e.detail.level);
  });
  document.addEventListener("toast", function (e) {
    if (e.detail) showToast(e.detail.value || e.detail.message, e.detail.level);
  });
})();
