// The service worker: precaches the app shell (HTML, JS, wasm, icons) under a versioned cache
// and serves it offline. The model weights are never cached here: they live in IndexedDB
// (src/store.rs), and requests under models/ always go to the network.
// VERSION, ASSETS and the relaxed-SIMD probe are filled in by scripts/build-app.mjs.
const VERSION = '__VERSION__';
const ASSETS = __ASSETS__;
const CACHE = `hearth-shell-${VERSION}`;
// The WebGPU build of the wasm (≈ 25 MB) is precached only where it will run: a hardware WebGPU
// adapter, as the package's backend 'auto' decides. Elsewhere only the CPU build (≈ 2 MB) is;
// a shell file fetched later (backend 'webgpu' asked for) is cached when it is first fetched.
const WEBGPU_ONLY = ASSETS.filter((a) => a.endsWith('/hearth_bg.wasm'));
// Each CPU build comes twice, with and without relaxed-SIMD (pkg/local.js loads the first where the
// engine validates it): only the flavour this browser will load is precached.
const RELAXED = ASSETS.filter((a) => a.endsWith('_relaxed_bg.wasm'));
const SIMD128 = ASSETS.filter((a) => /\/hearth_cpu(_threads)?_bg\.wasm$/.test(a));

/** The package's own probe (pkg-config/local.js `relaxedSimd`), put here by scripts/build-app.mjs. */
const relaxedSimd = (__RELAXED_SIMD__);

async function hardwareWebGpu() {
  try {
    const adapter = await self.navigator.gpu?.requestAdapter();
    return !!adapter && !adapter.info?.isFallbackAdapter;
  } catch {
    return false;
  }
}

self.addEventListener('install', (event) => {
  // No skipWaiting(): an open session keeps the version it started with; the new one takes
  // over on the next visit, once no page uses the old one.
  event.waitUntil((async () => {
    const webgpu = await hardwareWebGpu();
    const cache = await caches.open(CACHE);
    const other = relaxedSimd() ? SIMD128 : RELAXED;
    await cache.addAll(ASSETS.filter((a) => (webgpu || !WEBGPU_ONLY.includes(a)) && !other.includes(a)));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('hearth-shell-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

// Cross-origin isolation (COOP/COEP), which the CPU backend's wasm threads need (shared memory):
// every response this worker serves carries it, from the cache or the network, so the app is
// isolated offline and on a host that does not send the headers itself. The app loads nothing
// from other origins, so require-corp costs it nothing.
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
function isolated(response) {
  if (response.type === 'opaque' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  for (const [k, v] of Object.entries(ISOLATION)) headers.set(k, v);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== self.location.origin) return;
  const scope = new URL(self.registration.scope);
  if (url.pathname.startsWith(`${scope.pathname}models/`)) return; // weights: network → IndexedDB
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const key = event.request.mode === 'navigate' ? `${scope.pathname}index.html` : event.request;
    const hit = await cache.match(key, { ignoreSearch: true });
    if (hit) return isolated(hit);
    const response = await fetch(event.request);
    const shell = ASSETS.some((a) => new URL(a, scope).pathname === url.pathname);
    // Not awaited: the page's streaming compile reads the body while the cache stores its copy.
    if (shell && response.ok) event.waitUntil(cache.put(event.request, response.clone()));
    return isolated(response);
  })());
});
