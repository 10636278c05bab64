// The calendar's little bit of JavaScript: drag an event to another day or
// time slot to reschedule it. The server decides; on refusal the chip goes
// back where it was and a toast says why. Everything else is htmx.
(function () {
  "use strict";
  var dragged = null;

  function calendarRoot() { return document.getElementById("calendar"); }
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  function refreshCalendar() {
    var root = calendarRoot();
    if (!root || !window.htmx) return;
    // The address bar holds the current view, date, zone and filters.
    var url = window.location.pathname.indexOf("/calendar/") === 0
      ? window.location.pathname + window.location.search : root.dataset.refreshUrl;
    htmx.ajax("GET", url, { target: "#calendar", swap: "outerHTML" });
  }

  // The slot under the pointer, even when another event chip covers it.
  function dropTargetOf(el, clientY) {
    if (!el || !el.closest) return null;
    var col = el.closest(".daycol");
    if (col) {
      var slots = col.querySelectorAll(".slot");
      var index = Math.floor((clientY - col.getBoundingClientRect().top) / 24);
      return slots[Math.max(0, Math.min(slots.length - 1, index))] || null;
    }
    return el.closest(".day");
  }

  function targetTime(target) {
    // A day cell keeps the event's clock time; a slot gives its own.
    var time = target.classList.contains("slot") ? target.dataset.time : dragged.el.dataset.time;
    return target.dataset.date + "T" + time;
  }

  function place(el, target) {
    if (target.classList.contains("day")) {
      target.querySelector(".day-events").appendChild(el);
    } else {
      var col = target.closest(".daycol");
      var slots = Array.prototype.indexOf.call(col.querySelectorAll(".slot"), target);
      el.style.top = (slots * 24) + "px";
      el.style.left = "2px"; el.style.width = "calc(100% - 4px)";
      col.appendChild(el);
    }
  }

  function snapBack() {
    var d = dragged;
    if (!d) return;
    d.parent.insertBefore(d.el, d.next);
    d.el.setAttribute("style", d.style);
  }

  function askScope(recurring) {
    return new Promise(function (resolve) {
      var dialog = document.getElementById("move-scope");
      if (!recurring || !dialog || !dialog.showModal) { resolve("series"); return; }
      dialog.returnValue = "cancel";
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        resolve(dialog.returnValue || "cancel");
      });
      dialog.showModal();
    });
  }

  function send(to, scope) {
    var root = calendarRoot();
    var body = new FormData();
    body.append("kind", dragged.el.dataset.kind);
    body.append("id", dragged.el.dataset.id);
    body.append("at", dragged.el.dataset.at);
    body.append("to", to);
    body.append("scope", scope);
    body.append("tz", root.dataset.tz);
    return fetch(root.dataset.moveUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (response) {
      return response.json().catch(function () { return { ok: false, message: "The server refused the move (" + response.status + ")." }; })
        .then(function (data) { data.ok = data.ok && response.ok; return data; });
    });
  }

  document.addEventListener("dragstart", function (e) {
    var el = e.target.closest && e.target.closest(".ev[draggable=true]");
    if (!el) return;
    dragged = { el: el, parent: el.parentNode, next: el.nextSibling, style: el.getAttribute("style") || "" };
    el.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", el.id);
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.el.classList.remove("dragging");
    document.querySelectorAll(".drop-target").forEach(function (n) { n.classList.remove("drop-target"); });
  });
  document.addEventListener("dragover", function (e) {
    var target = dragged && dropTargetOf(e.target, e.clientY);
    if (!target) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".drop-target").forEach(function (n) { if (n !== target) n.classList.remove("drop-target"); });
    target.classList.add("drop-target");
  });
  document.addEventListener("drop", function (e) {
    var target = dragged && dropTargetOf(e.target, e.clientY);
    if (!target) return;
    e.preventDefault();
    target.classList.remove("drop-target");
    var to = targetTime(target);
    var current = dragged;
    place(current.el, target);
    askScope(current.el.dataset.recurring === "1").then(function (scope) {
      if (scope === "cancel") { dragged = current; snapBack(); return null; }
      current.el.setAttribute("aria-busy", "true");
      dragged = current;
      return send(to, scope).then(function (result) {
        current.el.removeAttribute("aria-busy");
        if (result.ok) {
          window.showToast(result.message, "success");
          refreshCalendar();
        } else {
          dragged = current;
          snapBack();
          window.showToast(result.message || "That move was refused.", "error");
        }
      });
    }).catch(function () {
      dragged = current; snapBack();
      window.showToast("The server could not be reached; nothing was moved.", "error");
    });
  });

  // The panel's actions change the calendar: redraw it when they succeed.
  document.addEventListener("calendar-refresh", function (e) {
    if (e.detail && e.detail.value === false) return;
    refreshCalendar();
  });
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-close-panel]")) {
      document.getElementById("panel").innerHTML = "";
    }
  });
  document.addEventListener("keydown", function (e) {
    var panel = document.getElementById("panel");
    if (e.key === "Escape" && panel && panel.innerHTML.trim()) panel.innerHTML = "";
  });
  // Week and day views open at 07:00 rather than midnight.
  function scrollToMorning() {
    var scroller = document.getElementById("tgrid-scroll");
    if (scroller && !scroller.dataset.scrolled) { scroller.scrollTop = 7 * 48; scroller.dataset.scrolled = "1"; }
  }
  document.addEventListener("DOMContentLoaded", scrollToMorning);
  document.addEventListener("htmx:afterSettle", scrollToMorning);
})();
