// Security keys: the page holds the server's WebAuthn options as JSON;
// on submit, the browser talks to the key and the form posts its answer
// (base64url fields, the JSON form the server's library parses).
(function () {
  "use strict";
  var form = document.getElementById("webauthn-form");
  var optsEl = document.getElementById("webauthn-options");
  if (!form || !optsEl || !window.PublicKeyCredential) return;
  var mode = form.dataset.webauthn;

  function b64uToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function bufToB64u(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  form.addEventListener("submit", function (ev) {
    if (form.elements.response.value) return;
    ev.preventDefault();
    var pk = JSON.parse(optsEl.textContent).publicKey;
    pk.challenge = b64uToBuf(pk.challenge);
    var list = mode === "create" ? pk.excludeCredentials : pk.allowCredentials;
    (list || []).forEach(function (c) { c.id = b64uToBuf(c.id); });
    if (mode === "create") pk.user.id = b64uToBuf(pk.user.id);
    var call = mode === "create" ? navigator.credentials.create({ publicKey: pk }) : navigator.credentials.get({ publicKey: pk });
    call.then(function (cred) {
      var r = cred.response, resp = { clientDataJSON: bufToB64u(r.clientDataJSON) };
      if (mode === "create") {
        resp.attestationObject = bufToB64u(r.attestationObject);
        if (r.getTransports) resp.transports = r.getTransports();
      } else {
        resp.authenticatorData = bufToB64u(r.authenticatorData);
        resp.signature = bufToB64u(r.signature);
        if (r.userHandle) resp.userHandle = bufToB64u(r.userHandle);
      }
      form.elements.response.value = JSON.stringify({
        id: cred.id, rawId: bufToB64u(cred.rawId), type: cred.type, response: resp,
        clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {}
      });
      form.submit();
    }).catch(function () {
      document.getElementById("webauthn-error").hidden = false;
    });
  });
})();
