// Live updates shared by the dashboard and the details page: window.overdueLive(url, apply)
// polls url and hands the JSON to apply. Upstream's rhythm: every 3 s for 20 rounds after the
// page loads, the tab becomes visible again or the mouse moves, and once a minute otherwise.
// A failed round keeps what is shown; the next one retries.
(function () {
  "use strict";
  window.overdueLive = function (url, apply) {
    var fast = 20, timer = null, busy = false;
    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(poll, fast > 0 ? 3000 : 60000);
    }
    function wake() {
      if (fast === 0) { fast = 20; schedule(); } else { fast = 20; }
    }
    function poll() {
      if (fast > 0) { fast--; }
      if (busy || document.hidden) { schedule(); return; }
      busy = true;
      fetch(url(), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(apply)
        .catch(function () {})
        .finally(function () { busy = false; schedule(); });
    }
    schedule();
    document.addEventListener("visibilitychange", function () { if (!document.hidden) { wake(); } });
    document.addEventListener("mousemove", wake, { passive: true });
  };

  // The details page: status, last and next ping, the title, and the
  // events table when it changed (the server sends it only then).
  var details = document.getElementById("details");
  if (details) {
    // The events version the page was rendered with: the server sends
    // the table again only when its version differs.
    var updated = details.dataset.updated || "";
    window.overdueLive(function () { return details.dataset.statusUrl + "?u=" + encodeURIComponent(updated); }, function (d) {
      document.title = d.title;
      var title = document.getElementById("check-title");
      title.className = "status-" + d.status;
      title.querySelector(".dot").title = d.status;
      var st = document.getElementById("status-text");
      st.className = "status-" + d.status;
      st.querySelector("strong").textContent = d.status_text;
      document.getElementById("last-ping").textContent = d.last_ping;
      document.getElementById("next-ping").textContent = d.next_ping;
      document.getElementById("n-pings").textContent = d.n_pings;
      if (d.events) {
        // HTML the server rendered from its own template (escaped there).
        document.getElementById("events").innerHTML = d.events;
      }
      updated = d.updated;
    });
  }
})();
