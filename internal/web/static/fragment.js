// A provider that answers in the URL's fragment (Trello's #token=...)
// hands it to the browser only: post its fields, with the state the page
// holds, back to the server, and drop the fragment from the address bar
// and history first.
(function () {
  var form = document.getElementById("fragment-form");
  if (!form) return;
  var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  history.replaceState(null, "", window.location.pathname + window.location.search);
  params.forEach(function (value, name) {
    if (name === "state") return;
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.appendChild(input);
  });
  form.submit();
})();
