// Live progress: any element with data-progress-url is refreshed from that JSON endpoint every 2 seconds.
// The JSON may carry percent, sent, total, eta_seconds, status_label and done; elements inside with
// data-field="<name>" show the value, and a .progress > span shows the percent. With data-reload-on-finish, the page
// reloads when done turns true.
(function () {
  function formatEta(seconds) {
    if (seconds === null || seconds === undefined) return "—";
    if (seconds <= 0) return "less than a minute";
    var h = Math.floor(seconds / 3600), m = Math.ceil((seconds % 3600) / 60);
    if (m === 60) { h += 1; m = 0; }
    return (h ? h + " h " : "") + (m ? m + " min" : "");
  }
  function render(el, data) {
    el.querySelectorAll("[data-field]").forEach(function (field) {
      var name = field.getAttribute("data-field"), value = data[name];
      if (name === "eta_seconds") value = formatEta(value);
      if (value !== undefined && value !== null) field.textContent = (typeof value === "number") ? value.toLocaleString() : value;
    });
    var bar = el.querySelector(".progress > span");
    if (bar && data.percent !== undefined) { bar.style.width = data.percent + "%"; bar.parentNode.setAttribute("aria-valuenow", data.percent); }
    el.querySelectorAll("[data-show-when-done]").forEach(function (node) { node.hidden = !data.done; });
    el.querySelectorAll("[data-hide-when-done]").forEach(function (node) { node.hidden = !!data.done; });
  }
  function poll(el) {
    fetch(el.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data) {
          render(el, data);
          // A page rendered while the work ran reloads once when it ends, to show what only the server draws.
          if (data.done && el.hasAttribute("data-reload-on-finish")) { window.location.reload(); return; }
          if (data.done) return;
        }
        setTimeout(function () { poll(el); }, 2000);
      })
      .catch(function () { setTimeout(function () { poll(el); }, 5000); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-progress-url]").forEach(poll);
    // Copy buttons: data-copy="#id" copies that element's text, and says so on the button for a moment.
    document.querySelectorAll("[data-copy]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var target = document.querySelector(btn.getAttribute("data-copy"));
        if (!target || !navigator.clipboard) return;
        navigator.clipboard.writeText(target.textContent.trim()).then(function () {
          var label = btn.textContent; btn.textContent = "Copied"; setTimeout(function () { btn.textContent = label; }, 1500);
        });
      });
    });
    // Confirmation for destructive buttons, without inline script (the CSP forbids it).
    document.querySelectorAll("[data-confirm]").forEach(function (btn) {
      btn.addEventListener("click", function (ev) { if (!window.confirm(btn.getAttribute("data-confirm"))) ev.preventDefault(); });
    });
  });
})();
