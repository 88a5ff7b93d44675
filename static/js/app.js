// Live progress: any element with data-progress-url is refreshed from that JSON endpoint every 2 seconds.
// The server words everything (percent, headline, detail, eta_text, status_label, done ...); elements inside with
// data-field="<name>" show the value, a .progress > span shows the percent, and data-shown-if="<name>" is hidden
// while that value is empty. With data-reload-on-finish, the page reloads when done turns true.
(function () {
  function render(el, data) {
    el.querySelectorAll("[data-field]").forEach(function (field) {
      var value = data[field.getAttribute("data-field")];
      if (value !== undefined && value !== null) field.textContent = (typeof value === "number") ? value.toLocaleString() : value;
    });
    var bar = el.querySelector(".progress > span");
    if (bar && data.percent !== undefined) { bar.style.width = data.percent + "%"; bar.parentNode.setAttribute("aria-valuenow", data.percent); }
    el.querySelectorAll("[data-show-when-done]").forEach(function (node) { node.hidden = !data.done; });
    el.querySelectorAll("[data-hide-when-done]").forEach(function (node) { node.hidden = !!data.done; });
    el.querySelectorAll("[data-shown-if]").forEach(function (node) { node.hidden = !data[node.getAttribute("data-shown-if")]; });
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
