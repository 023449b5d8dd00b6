// The service worker: precaches the app shell (HTML, JS, wasm, icons) under a versioned cache
// and serves it offline. The model weights are never cached here: they live in IndexedDB
// (src/store.rs), and requests under models/ always go to the network.
// VERSION and ASSETS are filled in by scripts/build-app.sh.
const VERSION = '__VERSION__';
const ASSETS = __ASSETS__;
const CACHE = `hearth-shell-${VERSION}`;

self.addEventListener('install', (event) => {
  // No skipWaiting(): an open session keeps the version it started with; the new one takes
  // over on the next visit, once no page uses the old one.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('hearth-shell-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  const scope = new URL(self.registration.scope);
  if (url.pathname.startsWith(`${scope.pathname}models/`)) return; // weights: network → IndexedDB
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const key = event.request.mode === 'navigate' ? `${scope.pathname}index.html` : event.request;
    const hit = await cache.match(key, { ignoreSearch: true });
    if (hit) return hit;
    return fetch(event.request);
  })());
});
