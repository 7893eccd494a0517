// Schedule forms (the details page and "Add check"): show the fields of the
// chosen kind, and a live preview of the next runs of a cron or OnCalendar
// schedule, fetched from /checks/cron_preview/ or /checks/oncalendar_preview/.
// Without JavaScript every field shows and the server still validates.
"use strict";
(function () {
  function setup(form) {
    var kinds = form.querySelectorAll('input[name="kind"]');
    if (!kinds.length) return;
    var simple = form.querySelector(".kind-simple");
    var sched = form.querySelector(".kind-schedule");
    var out = form.querySelector(".schedule-preview");
    var expr = form.querySelector('[name="schedule"]');
    var tz = form.querySelector('[name="tz"]');
    var previewURL = form.getAttribute("data-preview"); // ends in /checks/
    var timer = null, seq = 0;

    function kind() {
      for (var i = 0; i < kinds.length; i++) if (kinds[i].checked) return kinds[i].value;
      return "simple";
    }
    function preview() {
      var k = kind();
      if (k === "simple" || !out || !previewURL) return;
      var n = ++seq;
      var body = new URLSearchParams();
      body.set("schedule", expr.value);
      body.set("tz", tz.value || "UTC");
      fetch(previewURL + (k === "cron" ? "cron_preview/" : "oncalendar_preview/"), {
        method: "POST", body: body, credentials: "same-origin"
      }).then(function (r) { return r.text(); }).then(function (html) {
        if (n === seq) out.innerHTML = html; // the server escapes the fragment
      }).catch(function () {});
    }
    function later() { clearTimeout(timer); timer = setTimeout(preview, 300); }
    function show() {
      var k = kind();
      if (simple) simple.hidden = k !== "simple";
      if (sched) sched.hidden = k === "simple";
      if (k === "cron" && expr && expr.value.trim() === "") expr.value = "* * * * *";
      if (k === "oncalendar" && expr && expr.value.trim() === "") expr.value = "*-*-* *:*:00";
      later();
    }
    for (var i = 0; i < kinds.length; i++) kinds[i].addEventListener("change", show);
    if (expr) expr.addEventListener("input", later);
    if (tz) tz.addEventListener("input", later);
    show();
  }
  var forms = document.querySelectorAll("form.checkform");
  for (var i = 0; i < forms.length; i++) setup(forms[i]);
})();
