/* Registers the portal's service worker (offline page only; see sw.js). */
"use strict";
(function () {
  var me = document.currentScript;
  if (!("serviceWorker" in navigator) || !me) return;
  window.addEventListener("load", function () {
    navigator.serviceWorker.register(me.getAttribute("data-sw")).catch(function () {});
  });
})();
