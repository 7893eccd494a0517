// Live dashboard: polls the status endpoint (through live.js) and updates
// each row's status and last ping in place, and the title.
(function () {
  "use strict";
  var table = document.getElementById("checks");

  function apply(data) {
    document.title = data.title;
    var rows = {};
    table.querySelectorAll("tbody tr[data-code]").forEach(function (tr) { rows[tr.dataset.code] = tr; });
    data.details.forEach(function (d) {
      var tr = rows[d.code];
      if (!tr) { return; }
      tr.className = "status-" + d.status + (d.started ? " started" : "");
      tr.querySelector(".status-text").textContent = d.status;
      tr.querySelector(".last-ping").textContent = d.last_ping;
    });
  }

  if (table && window.overdueLive) {
    window.overdueLive(function () { return table.dataset.statusUrl; }, apply);
  }

  document.querySelectorAll("button.copy").forEach(function (b) {
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(b.previousElementSibling.textContent).then(function () {
        b.textContent = "Copied";
        setTimeout(function () { b.textContent = "Copy"; }, 1500);
      });
    });
  });

  var filters = document.getElementById("filters");
  if (filters) {
    filters.querySelectorAll("input[type=checkbox], select").forEach(function (el) {
      el.addEventListener("change", function () { filters.submit(); });
    });
  }
})();
