// Fills the time zone field from the browser, as upstream does, while the
// account still has the default (UTC); the person still saves the form.
(function () {
  var input = document.getElementById("tz");
  if (!input || !window.Intl) return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  var hint = document.getElementById("tz-hint");
  if (hint) hint.textContent = "Your browser's time zone is " + zone + ".";
  if (input.dataset.saved === "UTC" && zone !== "UTC") input.value = zone;
})();
