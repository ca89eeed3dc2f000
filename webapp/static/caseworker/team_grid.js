// The team calendar: a click on a caseworker's column, not on a meeting, asks why
// that time is not free, at the quarter hour clicked.
document.addEventListener("click", function (event) {
  var body = event.target.closest && event.target.closest(".tg-body");
  if (!body || event.target.closest("a") || !window.plannerWhy) { return; }
  var cell = body.closest("td[data-why]");
  var rect = body.getBoundingClientRect();
  var minutes = Math.floor(((event.clientY - rect.top) / rect.height) * 600 / 15) * 15;
  minutes = Math.max(0, Math.min(minutes, 585)) + 7 * 60;
  var hh = String(Math.floor(minutes / 60)).padStart(2, "0");
  var mm = String(minutes % 60).padStart(2, "0");
  window.plannerWhy(cell.dataset.why + "&at=" + encodeURIComponent(cell.dataset.day + "T" + hh + ":" + mm));
});
