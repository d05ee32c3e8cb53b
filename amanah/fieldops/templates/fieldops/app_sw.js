// The field agents' app service worker (version {{ version }}), scope /lapangan/app/.
// Keeps the app's shell (page, styles, Leaflet, scripts) and the day's data for offline use:
// the shell cache-first, the page and the day's data network-first with the kept copy when
// there is no network. Only a good answer is kept (never a sign-in page after a redirect).
// Writes (the sync) are never answered from the cache.
"use strict";
const CACHE = "amanah-lapangan-{{ version }}";
const SHELL = {{ shell|safe }};
const APP_URL = {{ app_url|safe }};
const DAY_URL = {{ day_url|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith("amanah-lapangan-") && k !== CACHE)
          .map((k) => caches.delete(k))
      ))
      .then(() => self.clients.claim())
  );
});

function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

function networkFirst(request, key) {
  return fetch(request)
    .then((response) => {
      if (keepable(response)) {
        const copy = response.clone();
        caches.open(CACHE).then((cache) => cache.put(key, copy));
      }
      return response;
    })
    .catch(() => caches.match(key).then((kept) => kept || Response.error()));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === APP_URL && request.mode === "navigate") {
    event.respondWith(networkFirst(request, APP_URL));
  } else if (url.pathname === DAY_URL) {
    event.respondWith(networkFirst(request, DAY_URL));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((kept) => kept || fetch(request)));
  }
});
