// The PWA end to end in headless Chromium at phone size (390×844), as its user meets it: the
// first visit lists both catalog models (one recommended), downloads and caches SmolLM2; with the
// server stopped a reload comes up from the service worker and IndexedDB; typing
// `def fibonacci(n):` and pausing shows a ghost suggestion; Esc dismisses it, Tab accepts it; a
// long line wraps instead of running off the screen; Delete removes the model. With
// HEARTH_TEST_QWEN=1 it also switches to Qwen2.5-Coder (491 MB, slow here) without a reload and
// completes inside a function with code below the cursor (fill-in-the-middle). Plus unit cases:
// www/models.js agrees with src/catalog.rs, and recommend() picks as specified.
// Run: `make test-app` (part of `make test-web`). Writes docs/app-phone.png.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, MODEL_DIR, startServer, launch, check, run } from './harness.mjs';
import { MODELS, recommend } from '../../www/models.js';

const PORT = Number(process.env.HEARTH_APP_PORT || 8792);
const APP_DIR = process.env.APP_DIR ? join(ROOT, process.env.APP_DIR) : join(ROOT, 'dist');
const QWEN = process.env.HEARTH_TEST_QWEN === '1';
const MiB = 2 ** 20;
/** Layout widths are rounded to whole pixels; a wrapped line may still measure one over. */
const ROUNDING_PX = 1;

/** The app's catalog is a copy of src/catalog.rs: the same ids, names, files, sha256, sizes and FIM. */
function catalogAgrees() {
  const rs = readFileSync(join(ROOT, 'src/catalog.rs'), 'utf8');
  const entries = [...rs.matchAll(/= CatalogModel \{([^}]*)\}/g)].map(([, body]) => {
    const str = (k) => JSON.parse(body.match(new RegExp(`\\b${k}: ("(?:[^"\\\\]|\\\\.)*")`))?.[1] ?? 'null');
    const word = (k) => body.match(new RegExp(`\\b${k}: ([\\w]+)`))?.[1];
    return { id: str('id'), name: str('name'), blurb: str('blurb'), file: str('file'), sha256: str('sha256'), bytes: Number(word('bytes')?.replaceAll('_', '')), fim: word('fim') === 'true' };
  });
  check(entries.length === MODELS.length, 'www/models.js lists every model of src/catalog.rs', entries.map((e) => e.id).join(', '));
  for (const m of MODELS) {
    const e = entries.find((x) => x.id === m.id);
    check(!!e && e.name === m.name && e.file === m.file && e.sha256 === m.sha256 && e.bytes === m.bytes && e.fim === m.fim && e.blurb.endsWith(m.blurb),
      `${m.id}: the app's entry matches src/catalog.rs`, JSON.stringify(e));
  }
}

function recommendRules() {
  const gpu = { maxStorageBufferBindingSize: 1024 * MiB, software: false };
  const cases = [
    [{ deviceMemory: 8, cores: 2, gpu }, 'qwen-coder', 'a hardware GPU with room and 8 GB'],
    [{ deviceMemory: undefined, cores: 8, gpu: null }, 'qwen-coder', 'no deviceMemory (Safari, Firefox), 8 cores, no WebGPU'],
    [{ deviceMemory: 4, cores: 4, gpu: null }, 'qwen-coder', '4 GB and 4 cores'],
    [{ deviceMemory: 2, cores: 8, gpu }, 'smollm2', '2 GB, even with a GPU'],
    [{ deviceMemory: 8, cores: 2, gpu: null }, 'smollm2', '2 cores and no WebGPU'],
    [{ deviceMemory: 8, cores: 2, gpu: { maxStorageBufferBindingSize: 64 * MiB, software: false } }, 'smollm2', 'a GPU binding limit under 128 MiB'],
    [{ deviceMemory: 8, cores: 2, gpu: { ...gpu, software: true } }, 'smollm2', 'a software adapter counts as no GPU'],
    [{}, 'smollm2', 'nothing known'],
  ];
  for (const [device, want, what] of cases) {
    const got = recommend(device);
    check(got === want, `recommend: ${what} → ${want}`, got === want ? '' : `got ${got}`);
  }
}

const status = (page) => page.textContent('[data-testid=status]');
const ready = (page, name, timeout) => page.waitForFunction((n) => {
  const s = document.querySelector('[data-testid=status]').textContent;
  return s.startsWith('ready') && s.includes(n);
}, name, { timeout });
const suggestionText = (page) => page.evaluate(() => document.querySelector('[data-testid=suggestion]')?.firstChild?.textContent || '');

/** Replace the document and put the cursor at `cursor` (no completion: not a user event). */
const setDoc = (page, doc, cursor) => page.evaluate(([d, c]) => {
  const v = window.hearthEditor;
  v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: d }, selection: { anchor: c } });
  v.focus();
}, [doc, cursor]);

await run('app', async (defer) => {
  catalogAgrees();
  recommendRules();
  const mounts = { '/': APP_DIR, '/models': MODEL_DIR };
  let server = await startServer(PORT, mounts);
  defer(() => server.stop());
  const browser = await launch({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  defer(() => browser.close());
  const page = browser.pages()[0] || await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.log('  page:', m.text()));
  page.on('pageerror', (e) => console.log('  page error:', e.stack));
  const byId = (id) => page.locator(`[data-testid="${id}"]`);

  // First visit: installable shell, both models offered with their sizes, one recommended.
  await page.goto(`${server.url}/`);
  await byId('download-smollm2').waitFor({ state: 'visible', timeout: 30_000 });
  const manifest = await page.evaluate(async () => {
    const href = document.querySelector('link[rel=manifest]').href;
    return (await fetch(href)).json();
  });
  check(manifest.display === 'standalone' && ['192x192', '512x512'].every((s) => manifest.icons.some((i) => i.sizes === s)), 'manifest is installable (standalone, 192 and 512 icons)');
  const setup = await page.textContent('#setup');
  check(['SmolLM2 135M', '98.4 MB', 'Qwen2.5-Coder 0.5B', '491.4 MB'].every((s) => setup.includes(s)), 'first-run screen offers both models by name and size');
  check(await byId('download-qwen-coder').isVisible() && (await byId('download-smollm2').textContent()) === 'Download', 'each model has a Download button');
  await page.locator('[data-testid^="recommended-"]').first().waitFor({ timeout: 30_000 });
  const badges = await page.locator('[data-testid^="recommended-"]').evaluateAll((els) => els.map((e) => e.dataset.testid));
  check(badges.length === 1, 'exactly one model is recommended for this device', badges.join(', '));

  // A full disk: the origin's quota below the model's size. The download fails with a message
  // saying what to do, the first-run screen comes back, and nothing is listed as downloaded.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url, quotaSize: 60e6 });
  await byId('download-smollm2').click();
  await page.waitForFunction(() => /Not enough storage/.test(document.querySelector('[data-testid=status]')?.textContent || ''), null, { timeout: 120_000 });
  const full = await status(page);
  check(/Delete a model/.test(full) && /Download again/.test(full), 'a full disk: the app says what to do', full);
  check(await byId('download-smollm2').isVisible() && (await page.evaluate(async () => (await (await import('./pkg/index.js')).listCachedModels()).length)) === 0,
    'and offers the download again, with nothing half-stored');
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url });

  // Download SmolLM2 (the test default: it is fast).
  const t0 = Date.now();
  await byId('download-smollm2').click();
  await byId('progress').waitFor({ state: 'visible', timeout: 10_000 });
  await ready(page, 'SmolLM2 135M', 300_000);
  check(true, 'first visit downloads the model and gets ready', `${((Date.now() - t0) / 1000).toFixed(1)} s; ${await status(page)}`);
  check(/WebGPU|CPU/.test(await status(page)), 'status shows the backend');
  check((await status(page)).includes('SmolLM2 135M') && !(await status(page)).includes('FIM'), 'status shows the catalog name, and no FIM on SmolLM2');
  await page.waitForFunction(async () => !!navigator.serviceWorker.controller && (await caches.keys()).some((k) => k.startsWith('hearth-shell-')), null, { timeout: 120_000 });
  const swCache = await page.evaluate(async () => {
    const keys = await caches.keys();
    const cache = await caches.open(keys.find((k) => k.startsWith('hearth-shell-')));
    const adapter = await navigator.gpu?.requestAdapter();
    return { paths: (await cache.keys()).map((r) => new URL(r.url).pathname), hardware: !!adapter && !adapter.info.isFallbackAdapter };
  });
  const flavours = ['/hearth_cpu_bg.wasm', '/hearth_cpu_relaxed_bg.wasm'].filter((f) => swCache.paths.some((p) => p.endsWith(f)));
  check(flavours.length === 1 && !swCache.paths.some((p) => p.includes('/models/')), 'service worker precached the shell and one CPU wasm (the flavour this browser runs), never the weights', `${swCache.paths.length} entries; ${flavours.join(', ')}`);
  check(swCache.paths.some((p) => p.endsWith('/hearth_bg.wasm')) === swCache.hardware, 'the WebGPU wasm is precached only where a hardware adapter will run it', `hardware WebGPU: ${swCache.hardware}`);

  // The server goes away; a reload comes up offline, on the model last used.
  await server.stop();
  server = { stop: async () => {} };
  const t1 = Date.now();
  await page.reload();
  await ready(page, 'SmolLM2 135M', 300_000);
  check(await byId('download-smollm2').isHidden(), 'offline reload: ready from the service worker and IndexedDB, no download asked', `${((Date.now() - t1) / 1000).toFixed(1)} s`);

  // Type, pause, see a suggestion; Esc dismisses; Tab accepts.
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('def fibonacci(n):', { delay: 40 });
  const ghost = byId('suggestion');
  await ghost.waitFor({ state: 'visible', timeout: 120_000 });
  await page.waitForFunction(() => (document.querySelector('[data-testid=suggestion]')?.firstChild?.textContent || '').trim().length > 0, null, { timeout: 60_000 });
  // Let the suggestion finish (status shows the last completion's latency).
  await page.waitForFunction(() => /last:/.test(document.querySelector('[data-testid=status]').textContent), null, { timeout: 120_000 });
  const text = await suggestionText(page);
  check(text.trim().length > 0, 'pausing after `def fibonacci(n):` shows a suggestion', JSON.stringify(text));
  const shown = await status(page);
  const m = /after a keystroke P50 (\d+) \/ P95 (\d+) ms \((\d+)\)/.exec(shown);
  check(!!m && Number(m[1]) > 0 && Number(m[2]) >= Number(m[1]) && Number(m[3]) >= 1,
    "the status shows the session's suggestion latency from the keystroke (P50 / P95)", shown);
  check(await byId('accept').isVisible(), 'touch screens get an accept button');
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'docs/app-phone.png') });
  await page.keyboard.press('Escape');
  check(await ghost.count() === 0, 'Esc dismisses the suggestion');
  await page.keyboard.type(' ');
  await page.keyboard.press('Backspace');
  await ghost.waitFor({ state: 'visible', timeout: 120_000 });
  await page.waitForTimeout(500);
  const again = await suggestionText(page);
  await page.keyboard.press('Tab');
  const doc = await page.evaluate(() => window.hearthEditor.state.doc.toString());
  check(again.length > 0 && doc.includes(`def fibonacci(n):${again}`), 'Tab accepts the suggestion into the editor', JSON.stringify(doc.slice(-80)));
  check(!doc.endsWith('\t') && !doc.endsWith('  def'), 'Tab did not insert indentation instead');
  console.log(`  status: ${await status(page)}`);

  // A long line wraps at phone width instead of running off the screen's edge.
  let long = 'values = [0';
  for (let i = 1; long.length < 300; i++) long += `, ${i}`;
  await setDoc(page, `${doc}\n${long}]\n`, doc.length);
  const wrap = await page.evaluate(() => {
    const s = document.querySelector('.cm-scroller');
    const line = [...document.querySelectorAll('.cm-line')].find((l) => l.textContent.startsWith('values = ['));
    const rows = line ? Math.round(line.getBoundingClientRect().height / window.hearthEditor.defaultLineHeight) : 0;
    return { scrollWidth: s.scrollWidth, clientWidth: s.clientWidth, rows };
  });
  check(wrap.scrollWidth <= wrap.clientWidth + ROUNDING_PX && wrap.rows > 1, `a ${long.length + 1}-character line wraps (no horizontal scroll)`, JSON.stringify(wrap));
  await setDoc(page, doc, doc.length);

  // Battery saver override shows in the status.
  await byId('saver').selectOption('on');
  check((await status(page)).includes('battery saver'), 'battery saver can be switched on by the user');
  await byId('saver').selectOption('auto');

  if (QWEN) await qwen(page, byId, async () => { server = await startServer(PORT, mounts); });
  else console.log('  (HEARTH_TEST_QWEN=1 also switches to Qwen2.5-Coder, 491 MB)');

  // Delete: the model leaves the device and the list offers it for download again.
  await byId('model').click();
  await byId('delete-smollm2').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=download-smollm2]')?.textContent === 'Download', null, { timeout: 30_000 });
  const cached = await page.evaluate(async () => (await import(new URL('pkg/index.js', location.href).href)).listCachedModels());
  check(cached.length === 0 && await byId('download-smollm2').isVisible() && await byId('delete-smollm2').isHidden(),
    'Delete removes the model from this device; the first-run screen is back', await status(page));
});

/** Switch to Qwen2.5-Coder without a reload, complete with code below the cursor, switch back,
 *  delete Qwen. `serve()` restarts the (stopped) server: Qwen is not cached yet. */
async function qwen(page, byId, serve) {
  await serve();
  await page.evaluate(() => { window.hearthSamePage = true; });
  const t0 = Date.now();
  await byId('model').click();
  await byId('download-qwen-coder').click();
  await ready(page, 'Qwen2.5-Coder 0.5B', 600_000);
  const s = await status(page);
  check(true, 'switching to Qwen2.5-Coder downloads and loads it', `${((Date.now() - t0) / 1000).toFixed(1)} s; ${s}`);
  check(s.includes('Qwen2.5-Coder 0.5B') && s.includes('FIM'), 'status shows the Qwen name and FIM');
  check(await page.evaluate(() => window.hearthSamePage === true), 'the switch did not reload the page');
  check((await byId('download-smollm2').textContent()) === 'Use', 'SmolLM2 stays cached after the switch');

  // Inside a function, with its return below the cursor.
  const head = 'def add(a, b):\n    ';
  await setDoc(page, `${head}\n    return c\n`, head.length);
  await page.keyboard.type('c = a', { delay: 40 });
  await page.waitForFunction(() => /last:/.test(document.querySelector('[data-testid=status]').textContent), null, { timeout: 300_000 });
  const text = await suggestionText(page);
  check(text.trim().length > 0, 'Qwen suggests inside a function with code below the cursor', JSON.stringify(text));

  // Back to SmolLM2 (from the cache, no download), then delete Qwen.
  await byId('model').click();
  await byId('download-smollm2').click();
  await ready(page, 'SmolLM2 135M', 300_000);
  check(!(await status(page)).includes('FIM'), 'switching back to SmolLM2 works from the cache');
  await byId('model').click();
  await byId('delete-qwen-coder').click();
  await page.waitForFunction(() => document.querySelector('[data-testid=download-qwen-coder]')?.textContent === 'Download', null, { timeout: 30_000 });
  check(await byId('delete-qwen-coder').isHidden() && (await status(page)).includes('SmolLM2 135M'), 'deleting Qwen keeps SmolLM2 loaded');
  await byId('model').click(); // close the list again
}
