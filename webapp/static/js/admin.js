// Administration forms: show the fields that apply, limit choices to the chosen team.
(function () {
  "use strict";
  function group(id) {
    var el = document.getElementById(id);
    return el ? el.closest(".form-group") : null;
  }
  function toggle(id, show) {
    var g = group(id);
    if (g) { g.style.display = show ? "" : "none"; }
  }
  function bindSelect(id, fn) {
    var el = document.getElementById(id);
    if (!el) { return; }
    fn(el.value);
    el.addEventListener("change", function () { fn(el.value); });
    if (window.jQuery) { window.jQuery(el).on("change", function () { fn(el.value); }); }
  }
  // N days only for the two settings that need it.
  bindSelect("deadline_mode", function (v) { toggle("deadline_days", v && v !== "fall_date"); });
  // earliest date only with automatic distribution.
  bindSelect("distribution", function (v) { toggle("earliest_after_days", v === "automatic"); });
  // extra seats only when overbooking is accepted.
  var over = document.getElementById("accepts_overbooking");
  if (over) {
    var showSeats = function () { toggle("overbooking_seats", over.checked); };
    showSeats();
    over.addEventListener("change", showSeats);
  }
  // Template: caseworkers and room of the chosen team only.
  var team = document.getElementById("team");
  var config = document.getElementById("planner-form-config");
  var optionsUrl = config && config.getAttribute("data-team-options-url");
  if (team && optionsUrl) {
    var asked = 0;  // only the answer for the latest team counts: answers may arrive out of order
    var limit = function () {
      if (!team.value || team.value === "__None") { return; }
      var mine = ++asked;
      fetch(optionsUrl + "?team_id=" + encodeURIComponent(team.value), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (allowed) {
          if (mine !== asked) { return; }
          [["caseworkers", allowed.caseworkers], ["room", allowed.rooms]].forEach(function (pair) {
            var select = document.getElementById(pair[0]);
            if (!select) { return; }
            Array.prototype.forEach.call(select.options, function (opt) {
              if (opt.value === "" || opt.value === "__None") { return; }
              var ok = pair[1].indexOf(parseInt(opt.value, 10)) >= 0;
              opt.disabled = !ok;
              if (!ok) { opt.selected = false; }
            });
            if (window.jQuery) { window.jQuery(select).trigger("change.select2"); }
          });
        });
    };
    limit();
    team.addEventListener("change", limit);
    if (window.jQuery) { window.jQuery(team).on("change", limit); }
  }
  // the city appears while a valid postal code is typed.
  var postal = document.getElementById("postal_code");
  var city = document.getElementById("city");
  var cityUrl = config && config.getAttribute("data-postal-city-url");
  if (postal && city && cityUrl) {
    var hint = document.createElement("small");
    hint.id = "postal_code-lookup";
    hint.className = "form-text text-muted";
    hint.setAttribute("aria-live", "polite");
    postal.insertAdjacentElement("afterend", hint);
    postal.setAttribute("aria-describedby", ((postal.getAttribute("aria-describedby") || "") + " postal_code-lookup").trim());
    var typed = 0;  // only the answer for the latest value counts
    var lookUp = function () {
      var value = postal.value.trim();
      var mine = ++typed;
      if (!/^(DK[- ]?)?\d{4}$/i.test(value)) { city.value = ""; hint.textContent = ""; return; }
      fetch(cityUrl + "?postal_code=" + encodeURIComponent(value), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (answer) {
          if (mine !== typed) { return; }
          city.value = answer.city || "";
          hint.textContent = answer.city ? "" : (answer.message_da || "");
        });
    };
    postal.addEventListener("input", lookUp);
  }
})();
// The multiple selects' "remove" crosses are empty links: give each a name, also those Select2
// adds as choices are made (axe-core link-name, R-8.2).
(function () {
  "use strict";
  var script = document.currentScript;
  var word = (script && script.getAttribute("data-remove-label")) || "Remove";
  function name(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".select2-search-choice-close:not([aria-label])"), function (a) {
      var choice = a.parentNode ? a.parentNode.textContent.trim() : "";
      a.setAttribute("aria-label", choice ? word + ": " + choice : word);
      a.setAttribute("role", "button");
    });
  }
  name(document);
  if (window.MutationObserver) {
    new MutationObserver(function () { name(document); }).observe(document.body, {childList: true, subtree: true});
  }
})();
