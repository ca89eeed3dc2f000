// "Why is this time not free?": asks the workspace and shows the reasons in a panel.
(function () {
  function show(panel, body) {
    panel.hidden = false;
    panel.classList.toggle("free", body.free);
    panel.textContent = "";
    var head = document.createElement("h2");
    head.textContent = body.when + " – " + body.title.replace(/:$/, "");
    panel.appendChild(head);
    if (body.reasons.length) {
      var list = document.createElement("ol");
      body.reasons.forEach(function (reason) {
        var item = document.createElement("li");
        item.textContent = reason.text;
        item.dataset.code = reason.code;
        list.appendChild(item);
      });
      panel.appendChild(list);
    }
    panel.scrollIntoView({ block: "nearest" });
  }
  window.plannerWhy = function (url) {
    var panel = document.getElementById("why-panel");
    if (!panel) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) { if (body) { show(panel, body); } });
  };
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-why]");
    if (!link) { return; }
    event.preventDefault();
    window.plannerWhy(link.dataset.why);
  });
})();
