// The details page reloads once when a running backfill finishes, so its badge, the "Historical data" line and
// the deliveries table show the final state (static/js/app.js keeps the numbers live until then).
(function () {
  function watch(el) {
    fetch(el.getAttribute("data-progress-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && data.done) { window.location.reload(); return; }
        setTimeout(function () { watch(el); }, 3000);
      })
      .catch(function () { setTimeout(function () { watch(el); }, 6000); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    // Draw the server's percent at once (the CSP forbids style="" attributes, so the bar is sized from JS).
    document.querySelectorAll("[data-percent] .progress > span").forEach(function (bar) {
      bar.style.width = bar.closest("[data-percent]").getAttribute("data-percent") + "%";
    });
    document.querySelectorAll("[data-reload-when-done][data-progress-url]").forEach(watch);
  });
})();
