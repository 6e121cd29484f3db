/* 昆明住房公积金 · service worker (handwritten).
   It stores ONLY the public files of ALLOW (the offline page, the style sheet, the icon).
   Personal pages and API answers are never put in any cache: they are fetched from the
   network every time and, when the network is gone, a page navigation gets the offline page. */
"use strict";
const CACHE = "{{ cache_name|escapejs }}";
const OFFLINE = "{{ offline|escapejs }}";
const ALLOW = [{% for url in allow %}"{{ url|escapejs }}"{% if not forloop.last %}, {% endif %}{% endfor %}];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ALLOW)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

function allowed(request) {
  const url = new URL(request.url);
  return request.method === "GET" && url.origin === self.location.origin && ALLOW.includes(url.pathname) && !url.search;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (allowed(request)) {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  if (request.mode === "navigate") {
    // Network only; nothing from this answer is stored.
    event.respondWith(fetch(request).catch(() => caches.match(OFFLINE)));
  }
  // Everything else (API calls, exports, …) goes to the network untouched.
});
