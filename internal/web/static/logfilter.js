// The events log's filters: a changed box or date applies the form at
// once. Without this script the "Apply" button does the same.
(function () {
  "use strict";
  var form = document.getElementById("log-filters");
  if (!form) { return; }
  form.addEventListener("change", function (ev) {
    // A date being typed is complete only when the input says it is valid.
    if (ev.target.type === "date" && !ev.target.checkValidity()) { return; }
    form.requestSubmit ? form.requestSubmit() : form.submit();
  });
})();
