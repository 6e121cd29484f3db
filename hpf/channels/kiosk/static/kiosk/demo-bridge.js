/* Stand-in for the kiosk shell's bridge (demo and tests only; HPF_KIOSK_DEMO_BRIDGE).
 *
 * A real shell injects window.HPFKioskBridge itself: its card reader, its camera, its printer,
 * and a signer holding the kiosk client's secret in the terminal. This stand-in asks the
 * server for a demo person's chip data and for signatures (the server playing the shell), and
 * shows a small bar to place or remove the card and to fail the face check.
 */
(function () {
  "use strict";
  if (window.HPFKioskBridge) return;
  var placed = [], removed = [], faceFails = false, terminal = null, person = 0;
  var bridge = {
    receipts: 0,
    lastReceiptBytes: 0,
    onCardPlaced: function (cb) { placed.push(cb); },
    onCardRemoved: function (cb) { removed.push(cb); },
    readCard: function () {
      return fetch("/kiosk/demo-bridge/card?n=" + person, { cache: "no-store" }).then(function (r) {
        if (!r.ok) throw new Error("card");
        return r.json();
      }).then(function (c) { terminal = c.terminal; return c; });
    },
    faceMatch: function () {
      return new Promise(function (resolve) {
        setTimeout(function () {
          resolve(faceFails ? { result: "fail", score: 31.5, vendor: "demo" } : { result: "pass", score: 92.4, vendor: "demo" });
        }, 300);
      });
    },
    terminal: function () { return terminal; },
    signedFetch: function (path, bodyText) {
      return fetch("/kiosk/demo-bridge/sign", {
        method: "POST", cache: "no-store", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ path: path, body: bodyText })
      }).then(function (r) { return r.json(); }).then(function (headers) {
        headers["Content-Type"] = "application/json";
        return fetch(path, { method: "POST", cache: "no-store", headers: headers, body: bodyText });
      });
    },
    print: function (blob) {
      bridge.receipts += 1;
      bridge.lastReceiptBytes = blob.size;
      bridge.lastReceiptType = blob.type;
    },
    placeCard: function (n, failFace) {
      person = n || 0; faceFails = !!failFace;
      placed.forEach(function (cb) { cb(); });
    },
    removeCard: function () { removed.forEach(function (cb) { cb(); }); }
  };
  window.HPFKioskBridge = bridge;
  document.addEventListener("DOMContentLoaded", function () {
    var bar = document.createElement("div");
    bar.id = "demo-bar";
    bar.appendChild(document.createTextNode("演示读卡器："));
    [["放置身份证", function () { bridge.placeCard(0, false); }],
     ["人脸不通过", function () { bridge.placeCard(0, true); }],
     ["取走身份证", function () { bridge.removeCard(); }]].forEach(function (b) {
      var button = document.createElement("button");
      button.textContent = b[0];
      button.addEventListener("click", b[1]);
      bar.appendChild(button);
    });
    document.body.appendChild(bar);
  });
})();
