// Start-up benchmark: how long the PWA takes from opening to its first suggestion, as a phone user
// meets it, in one headless Chromium run.
//   cold: a first visit (no HTTP cache, no service worker, no compiled wasm); the model is already
//         in IndexedDB (downloaded in an earlier visit), so this is the cost of the app and its wasm;
//   warm: the next visit (the service worker's cache, V8's code cache).
// Each on loopback and on an emulated phone network (HEARTH_START_NET, default 4G: 9 Mbit/s, 60 ms
// before each response; the server gzips wasm/JS as a web server would). Also each wasm build's
// size and its fetch + streaming compile (WebAssembly.compileStreaming) on both networks.
// Run: `make bench-start` (needs `make build-app` and the model). Prints a Markdown table.
import { statSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ROOT, MODEL_DIR, startServer, launch } from '../tests/browser/harness.mjs';

const PORT = Number(process.env.HEARTH_BENCH_PORT || 8797);
const APP_DIR = join(ROOT, process.env.APP_DIR || 'dist');
const [MBIT, LATENCY_MS] = (process.env.HEARTH_START_NET || '9,60').split(',').map(Number);
const NETS = [
  { name: 'loopback', env: { HEARTH_GZIP: '1' } },
  { name: `${MBIT} Mbit/s, ${LATENCY_MS} ms`, env: { HEARTH_GZIP: '1', HEARTH_RATE: String((MBIT * 1e6) / 8), HEARTH_LATENCY_MS: String(LATENCY_MS) } },
];
const BUILDS = ['hearth_cpu_relaxed_bg.wasm', 'hearth_cpu_bg.wasm', 'hearth_bg.wasm']; // the first is what Chromium loads
const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };

const readyOn = (page) => page.waitForFunction(() => /^ready/.test(document.querySelector('[data-testid=status]')?.textContent || ''), null, { timeout: 300_000, polling: 20 });

/** Open the app in a new page: ms from navigation to 'ready', then type a line, pause, and time the
 *  first suggestion (from the last keystroke to the ghost text; and the app's own request latency). */
async function visit(browser, url) {
  const page = await browser.newPage();
  await page.goto(url);
  await readyOn(page);
  const readyMs = await page.evaluate(() => performance.now());
  const loadMs = await page.evaluate(() => window.hearthEngineInfo.loadMs);
  const status = await page.textContent('[data-testid=status]');
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('\ndef fibonacci(n):', { delay: 40 });
  const typed = await page.evaluate(() => performance.now());
  await page.waitForFunction(() => (document.querySelector('[data-testid=suggestion]')?.firstChild?.textContent || '').trim().length > 0, null, { timeout: 120_000, polling: 10 });
  const suggestMs = (await page.evaluate(() => performance.now())) - typed;
  await page.waitForFunction(() => /last: \d+ ms/.test(document.querySelector('[data-testid=status]').textContent), null, { timeout: 120_000 });
  const lastMs = Number(/last: (\d+) ms/.exec(await page.textContent('[data-testid=status]'))[1]);
  await page.close();
  return { readyMs, loadMs, suggestMs, lastMs, status };
}

/** Fetch + compile each build (no cache: a unique query string), ms. */
async function compileTimes(browser, url) {
  const page = await browser.newPage();
  await page.goto(`${url}manifest.webmanifest`);
  const out = await page.evaluate(async (builds) => {
    const times = {};
    for (const b of builds) {
      const t0 = performance.now();
      await WebAssembly.compileStreaming(fetch(`pkg/${b}?nocache=${Math.random()}`, { cache: 'no-store' }));
      times[b] = performance.now() - t0;
    }
    return times;
  }, BUILDS);
  await page.close();
  return out;
}

const rows = [];
const browser = await launch(PHONE);
try {
  // An earlier visit downloads the model into IndexedDB (on loopback, not timed).
  let server = await startServer(PORT, { '/': APP_DIR, '/models': MODEL_DIR });
  const url = `${server.url}/`;
  const first = await browser.newPage();
  await first.goto(url);
  await first.locator('[data-testid="download-smollm2"]').click();
  await readyOn(first);
  await first.close();
  await server.stop();
  for (const net of NETS) {
    // Forget everything but IndexedDB: the service worker, its cache, the HTTP cache (with V8's code cache).
    const page = await browser.newPage();
    await page.goto(`${url}manifest.webmanifest`);
    await page.evaluate(async () => {
      for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
      for (const k of await caches.keys()) await caches.delete(k);
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.clearBrowserCache');
    await page.close();
    server = await startServer(PORT, { '/': APP_DIR, '/models': MODEL_DIR }, net.env);
    const compile = await compileTimes(browser, url);
    const cold = await visit(browser, url);
    // The service worker installed during the cold visit; wait until it has its cache.
    const p = await browser.newPage();
    await p.goto(url);
    await p.waitForFunction(async () => !!navigator.serviceWorker.controller && (await caches.keys()).some((k) => k.startsWith('hearth-shell-')), null, { timeout: 300_000 });
    await p.close();
    const warm = await visit(browser, url);
    rows.push({ net: net.name, compile, cold, warm });
    await server.stop();
  }
} finally {
  await browser.close();
}

const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`\nhearth start-up, ${new Date().toISOString().slice(0, 10)}, headless Chromium at phone size (${rows[0]?.cold.status.replace(/^ready · /, '')})\n`);
console.log('| wasm build | size | gzipped | fetch + compile, loopback | fetch + compile, ' + NETS[1].name + ' |');
console.log('|---|---|---|---|---|');
for (const b of BUILDS) {
  const bytes = readFileSync(join(APP_DIR, 'pkg', b));
  console.log(`| ${b} | ${kb(statSync(join(APP_DIR, 'pkg', b)).size)} | ${kb(gzipSync(bytes, { level: 6 }).length)} | ${rows[0].compile[b].toFixed(0)} ms | ${rows[1].compile[b].toFixed(0)} ms |`);
}
console.log('\n| network | visit | open → ready | app, Worker and wasm (before the model load) | the model load (IndexedDB → engine) | last keystroke → first suggestion text | that request, whole (app\'s figure) |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  for (const kind of ['cold', 'warm']) {
    const v = r[kind];
    console.log(`| ${r.net} | ${kind} | ${(v.readyMs / 1000).toFixed(2)} s | ${((v.readyMs - v.loadMs) / 1000).toFixed(2)} s | ${(v.loadMs / 1000).toFixed(2)} s | ${(v.suggestMs / 1000).toFixed(2)} s | ${v.lastMs} ms |`);
  }
}
