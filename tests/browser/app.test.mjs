// The PWA end to end in headless Chromium at phone size (390×844), as its user meets it: the
// first visit asks, downloads and caches the model; with the server stopped a reload comes up
// from the service worker and IndexedDB; typing `def fibonacci(n):` and pausing shows a ghost
// suggestion; Esc dismisses it, Tab accepts it. Plus the stop rules (www/stop.js) as unit cases.
// Run: `make test-app` (part of `make test-web`). Writes docs/app-phone.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, MODEL_DIR, startServer, launch, check, run } from './harness.mjs';
import { trimSuggestion } from '../../www/stop.js';

const PORT = Number(process.env.HEARTH_APP_PORT || 8792);
const APP_DIR = process.env.APP_DIR ? join(ROOT, process.env.APP_DIR) : join(ROOT, 'dist');

function stopRules() {
  const py = trimSuggestion('\n    if n < 2:\n        return n\n    return fib(n - 1)\n\ndef main():\n    pass', 'python', 'def fib(n):', '');
  check(py.done && py.text === '\n    if n < 2:\n        return n\n    return fib(n - 1)', 'python: a suggestion ends with the block', JSON.stringify(py.text));
  const line = trimSuggestion('total, n)\nprint(x)', 'python', 'print(max(', ')');
  check(line.done && line.text === 'total, n)', 'mid-line: a suggestion ends with the line');
  const js = trimSuggestion('\n  return a + b;\n}\n\nfunction mul(a, b) {', 'javascript', 'function add(a, b) {', '');
  check(js.done && js.text === '\n  return a + b;\n}', 'javascript: a suggestion ends at the closing brace', JSON.stringify(js.text));
  const rs = trimSuggestion('\n    let mut m = HashMap::new();\n    m\n}\nfn other', 'rust', 'fn make() -> HashMap<u32, u32> {', '');
  check(rs.done && rs.text.endsWith('    m\n}'), 'rust: a suggestion ends at the closing brace');
  const open = trimSuggestion('\n    if n < 2:', 'python', 'def fib(n):', '');
  check(!open.done, 'an unfinished block keeps generating');
}

await run('app', async (defer) => {
  stopRules();
  let server = await startServer(PORT, { '/': APP_DIR, '/models': MODEL_DIR });
  defer(() => server.stop());
  const browser = await launch({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  defer(() => browser.close());
  const page = browser.pages()[0] || await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.log('  page:', m.text()));
  page.on('pageerror', (e) => console.log('  page error:', e.stack));
  const byId = (id) => page.locator(`[data-testid="${id}"]`);

  // First visit: installable shell, consent before download, progress, ready.
  await page.goto(`${server.url}/`);
  await byId('download').waitFor({ state: 'visible', timeout: 30_000 });
  const manifest = await page.evaluate(async () => {
    const href = document.querySelector('link[rel=manifest]').href;
    return (await fetch(href)).json();
  });
  check(manifest.display === 'standalone' && ['192x192', '512x512'].every((s) => manifest.icons.some((i) => i.sizes === s)), 'manifest is installable (standalone, 192 and 512 icons)');
  check((await page.textContent('#setup')).includes('98.4 MB'), 'first-run screen says how big the model is');
  const t0 = Date.now();
  await byId('download').click();
  await byId('progress').waitFor({ state: 'visible', timeout: 10_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid=status]').textContent.includes('ready'), null, { timeout: 300_000 });
  check(true, 'first visit downloads the model and gets ready', `${((Date.now() - t0) / 1000).toFixed(1)} s; ${await byId('status').textContent()}`);
  check(/WebGPU|CPU/.test(await byId('status').textContent()), 'status shows the backend');
  await page.waitForFunction(async () => !!navigator.serviceWorker.controller && (await caches.keys()).some((k) => k.startsWith('hearth-shell-')), null, { timeout: 120_000 });
  const swCache = await page.evaluate(async () => {
    const keys = await caches.keys();
    const cache = await caches.open(keys.find((k) => k.startsWith('hearth-shell-')));
    return (await cache.keys()).map((r) => new URL(r.url).pathname);
  });
  check(swCache.some((p) => p.endsWith('.wasm')) && !swCache.some((p) => p.includes('/models/')), 'service worker precached the shell and wasm, never the weights', `${swCache.length} entries`);

  // The server goes away; a reload comes up offline.
  await server.stop();
  server = { stop: async () => {} };
  const t1 = Date.now();
  await page.reload();
  await page.waitForFunction(() => document.querySelector('[data-testid=status]').textContent.includes('ready'), null, { timeout: 300_000 });
  check(await byId('download').isHidden(), 'offline reload: ready from the service worker and IndexedDB, no download asked', `${((Date.now() - t1) / 1000).toFixed(1)} s`);

  // Type, pause, see a suggestion; Esc dismisses; Tab accepts.
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('def fibonacci(n):', { delay: 40 });
  const ghost = byId('suggestion');
  await ghost.waitFor({ state: 'visible', timeout: 120_000 });
  await page.waitForFunction(() => (document.querySelector('[data-testid=suggestion]')?.firstChild?.textContent || '').trim().length > 0, null, { timeout: 60_000 });
  // Let the suggestion finish (status shows the last completion's latency).
  await page.waitForFunction(() => /last:/.test(document.querySelector('[data-testid=status]').textContent), null, { timeout: 120_000 });
  const text = await page.evaluate(() => document.querySelector('[data-testid=suggestion]')?.firstChild?.textContent || '');
  check(text.trim().length > 0, 'pausing after `def fibonacci(n):` shows a suggestion', JSON.stringify(text));
  check(await byId('accept').isVisible(), 'touch screens get an accept button');
  mkdirSync(join(ROOT, 'docs'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'docs/app-phone.png') });
  await page.keyboard.press('Escape');
  check(await ghost.count() === 0, 'Esc dismisses the suggestion');
  await page.keyboard.type(' ');
  await page.keyboard.press('Backspace');
  await ghost.waitFor({ state: 'visible', timeout: 120_000 });
  await page.waitForTimeout(500);
  const again = await page.evaluate(() => document.querySelector('[data-testid=suggestion]')?.firstChild?.textContent || '');
  await page.keyboard.press('Tab');
  const doc = await page.evaluate(() => window.hearthEditor.state.doc.toString());
  check(again.length > 0 && doc.includes(`def fibonacci(n):${again}`), 'Tab accepts the suggestion into the editor', JSON.stringify(doc.slice(-80)));
  check(!doc.endsWith('\t') && !doc.endsWith('  def'), 'Tab did not insert indentation instead');
  console.log(`  status: ${await byId('status').textContent()}`);

  // Battery saver override shows in the status.
  await byId('saver').selectOption('on');
  check((await byId('status').textContent()).includes('battery saver'), 'battery saver can be switched on by the user');
});
