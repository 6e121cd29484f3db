// Passkeys (WebAuthn) for the portal: sign in, re-authenticate and register. Handwritten.
(function () {
  "use strict";
  function b64urlToBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function bufToB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function csrf() {
    var el = document.querySelector("input[name=csrfmiddlewaretoken]");
    return el ? el.value : "";
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: body ? JSON.stringify(body) : "{}"
    }).then(function (r) { return r.json().then(function (j) { j._ok = r.ok; return j; }); });
  }
  // The page gives the texts in its language (data-msg-* on the error element).
  function text(key, fallback) {
    var el = document.querySelector("[data-passkey-error]");
    return (el && el.getAttribute("data-msg-" + key)) || fallback;
  }
  // A message for people, never the browser's raw text ("This is an invalid domain."): the
  // server's own refusal (a wrong address, an expired request) or one per DOMException name.
  function refusal(res) { var e = new Error(res.message); e.hpfMessage = res.message; return e; }
  function messageFor(e, key, fallback) {
    if (e && e.hpfMessage) return e.hpfMessage;
    var name = e && e.name;
    if (name === "NotAllowedError" || name === "AbortError") return text("cancelled", fallback);
    if (name === "InvalidStateError") return text("exists", fallback);
    if (name === "SecurityError") return text("domain", fallback);
    if (name === "NotSupportedError") return text("unsupported", fallback);
    return text(key, fallback);
  }
  function showError(msg) {
    var el = document.querySelector("[data-passkey-error]");
    if (el) { el.textContent = msg; el.hidden = false; }
  }
  function signIn(btn) {
    var next = btn.getAttribute("data-next") || "";
    var q = next ? "?next=" + encodeURIComponent(next) : "";
    post("/portal/login/passkey/options/").then(function (res) {
      if (!res._ok) throw refusal(res);
      var o = JSON.parse(res.options);
      var pk = { challenge: b64urlToBuf(o.challenge), rpId: o.rpId, timeout: o.timeout,
                 userVerification: o.userVerification, allowCredentials: [] };
      return navigator.credentials.get({ publicKey: pk });
    }).then(function (c) {
      return post("/portal/login/passkey/" + q, {
        id: c.id, rawId: bufToB64url(c.rawId), type: c.type,
        response: {
          clientDataJSON: bufToB64url(c.response.clientDataJSON),
          authenticatorData: bufToB64url(c.response.authenticatorData),
          signature: bufToB64url(c.response.signature),
          userHandle: c.response.userHandle ? bufToB64url(c.response.userHandle) : null
        },
        clientExtensionResults: {}
      });
    }).then(function (res) {
      if (res._ok) { window.location.href = res.next; } else { showError(res.message); }
    }).catch(function (e) { showError(messageFor(e, "login", "通行密钥登录未完成，请重试或使用密码登录。")); });
  }
  function register() {
    post("/portal/security/passkeys/options/").then(function (res) {
      if (!res._ok) throw refusal(res);
      var o = JSON.parse(res.options);
      o.challenge = b64urlToBuf(o.challenge);
      o.user.id = b64urlToBuf(o.user.id);
      (o.excludeCredentials || []).forEach(function (c) { c.id = b64urlToBuf(c.id); });
      return navigator.credentials.create({ publicKey: o });
    }).then(function (c) {
      return post("/portal/security/passkeys/", {
        id: c.id, rawId: bufToB64url(c.rawId), type: c.type,
        response: {
          clientDataJSON: bufToB64url(c.response.clientDataJSON),
          attestationObject: bufToB64url(c.response.attestationObject),
          transports: c.response.getTransports ? c.response.getTransports() : []
        },
        clientExtensionResults: {}
      });
    }).then(function (res) {
      if (res._ok) { window.location.href = res.next; } else { showError(res.message); }
    }).catch(function (e) { showError(messageFor(e, "register", "通行密钥未添加，请重试。")); });
  }
  document.addEventListener("click", function (ev) {
    var t = ev.target.closest && ev.target.closest("[data-passkey-login],[data-passkey-register]");
    if (!t) return;
    ev.preventDefault();
    if (!window.PublicKeyCredential) { showError(text("unsupported", "此浏览器不支持通行密钥。")); return; }
    if (t.hasAttribute("data-passkey-login")) signIn(t); else register();
  });
})();
