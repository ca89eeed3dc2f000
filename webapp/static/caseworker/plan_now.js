// "Plan now": while the run is under way, one press only and a visible "planning…".
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("plan-now-form");
  if (!form) { return; }
  form.addEventListener("submit", function (event) {
    var button = document.getElementById("plan-now-confirm");
    if (button.disabled) { event.preventDefault(); return; }
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    document.getElementById("plan-progress").hidden = false;
  });
});
