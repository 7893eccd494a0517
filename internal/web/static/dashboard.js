// Live dashboard: polls the status endpoint and updates each row's status
// and last ping in place, and the title. Upstream's rhythm: every 3 s for
// 20 rounds after the page loads, the tab becomes visible again or the
// mouse moves, and once a minute otherwise.
(function () {
  "use strict";
  var table = document.getElementById("checks");
  var fast = 0, timer = null, busy = false;

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(poll, fast > 0 ? 3000 : 60000);
  }

  function wake() {
    if (fast === 0) { fast = 20; schedule(); } else { fast = 20; }
  }

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

  function poll() {
    if (fast > 0) { fast--; }
    if (busy || document.hidden) { schedule(); return; }
    busy = true;
    fetch(table.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(apply)
      .catch(function () { /* keep the last known state; the next round retries */ })
      .finally(function () { busy = false; schedule(); });
  }

  if (table) {
    fast = 20;
    schedule();
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { wake(); } });
    document.addEventListener("mousemove", wake, { passive: true });
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
