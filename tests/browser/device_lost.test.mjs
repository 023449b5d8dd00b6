// A lost GPU device costs at most one request, not a reload: in headless Chromium (WebGPU on
// SwiftShader, in the GPU process) the GPU process is crashed through the DevTools protocol
// (`Browser.crashGpuProcess`, what a driver reset or a phone's backgrounded tab looks like to a
// page). An engine loaded from a URL then loads the model again from IndexedDB onto a new device:
// a request that meets the loss before streaming anything is run again there (same greedy tokens),
// one that had streamed text fails with `device_lost` and the next one works. In a Worker and with
// `worker: false`; a model loaded from memory (nothing to reload) fails with `device_lost` saying so.
// Run: `make test-device-lost` (part of `make test-web`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, MODEL_DIR, MODEL_FILE, startServer, launch, openPackagePage, check, run } from './harness.mjs';

const PORT = Number(process.env.HEARTH_DEVICE_LOST_PORT || 8797);
const golden = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/smollm2-135m-q4_1.json'), 'utf8'));
const g0 = golden.prompts[0];
const n = Math.min(g0.greedy_must_match_len, 12);
const want = JSON.stringify(g0.reference_greedy_ids.slice(0, n));

await run('device-lost', async (defer) => {
  const server = await startServer(PORT, { '/': ROOT });
  defer(() => server.stop());
  const models = await startServer(PORT + 1, { '/models': MODEL_DIR });
  defer(() => models.stop());
  // Chromium stops offering WebGPU after a few GPU process crashes, and to a site it blames for
  // them; this test makes five.
  const browser = await launch({}, { args: ['--disable-gpu-process-crash-limit', '--disable-domain-blocking-for-3d-apis'] });
  defer(() => browser.close());
  const cdp = await browser.browser().newBrowserCDPSession();
  const crashGpu = async () => {
    await cdp.send('Browser.crashGpuProcess').catch(() => {}); // the call's own reply may be lost with the process
    await new Promise((r) => setTimeout(r, 1500));
  };
  const page = await openPackagePage(browser, server);
  const modelUrl = `${models.url}/models/${MODEL_FILE}`;
  const greedy = (worker) => page.evaluate(async ({ prompt, n, worker }) => {
    const engine = worker ? window.engine : window.local;
    try {
      const r = await engine.complete({ prompt, maxTokens: n, temperature: 0 });
      return { tokens: JSON.stringify(r.tokens), info: await engine.info() };
    } catch (e) {
      return { code: e.code, message: e.message, info: await engine.info() };
    }
  }, { prompt: g0.prompt, n, worker });

  for (const worker of [true, false]) {
    const where = worker ? 'Worker' : 'page (worker: false)';
    await page.evaluate(async ({ url, worker }) => {
      const engine = await hearth.createEngine(url, { backend: 'webgpu', worker });
      if (worker) window.engine = engine; else window.local = engine;
    }, { url: modelUrl, worker });
    const before = await greedy(worker);
    check(before.tokens === want && before.info.backend === 'webgpu', `${where}: golden greedy tokens on WebGPU before the loss`);

    // Lost while idle: the next request reloads the model and answers, no error.
    await crashGpu();
    const t0 = Date.now();
    const idle = await greedy(worker);
    check(idle.tokens === want, `${where}: the request after a loss while idle returns the golden tokens`,
      idle.code ? `${idle.code}: ${idle.message}` : `${Date.now() - t0} ms`);
    const d = idle.info.deviceLost;
    check(d.count === 1 && d.recovered === 1 && idle.info.backend === 'webgpu', `${where}: info().deviceLost counts the loss and the recovery, still on WebGPU`,
      `${JSON.stringify(d)}`);

    // Lost mid-stream: that request fails with device_lost (its text was already shown), the next works.
    const mid = await page.evaluate(async ({ prompt, worker }) => {
      const engine = worker ? window.engine : window.local;
      let pieces = 0;
      let first;
      const seen = new Promise((r) => { first = r; });
      const done = engine.complete({ prompt, maxTokens: 400, temperature: 0, stop: [], onText: () => { pieces++; first(); } })
        .then(() => ({ ok: true }), (e) => ({ code: e.code, message: e.message }));
      await seen;
      window.midPieces = () => pieces;
      window.midDone = done;
      return pieces;
    }, { prompt: g0.prompt, worker });
    await crashGpu();
    const midResult = await page.evaluate(() => window.midDone);
    check(midResult.code === 'device_lost', `${where}: a request that had streamed text when the device was lost fails with device_lost`,
      JSON.stringify(midResult).slice(0, 160));
    const after = await greedy(worker);
    check(after.tokens === want, `${where}: the next request returns the golden tokens`, after.code ? `${after.code}: ${after.message}` : '');
    check(after.info.deviceLost.count === 2 && after.info.deviceLost.recovered === 2, `${where}: two losses, two recoveries`,
      `${JSON.stringify(after.info.deviceLost)} (${mid} piece(s) before the crash)`);
    await page.evaluate(async (worker) => (worker ? window.engine : window.local).unload(), worker);
  }

  // A model given as bytes has nothing to reload from: a typed error that says so.
  const memory = await page.evaluate(async (url) => {
    const bytes = await (await fetch(url)).arrayBuffer();
    window.engine = await hearth.createEngine(bytes, { backend: 'webgpu' });
    return (await window.engine.complete({ prompt: 'def f(', maxTokens: 2, temperature: 0 })).tokens.length;
  }, modelUrl);
  check(memory === 2, 'a model loaded from memory completes');
  await crashGpu();
  const lost = await greedy(true);
  check(lost.code === 'device_lost' && /load it again/.test(lost.message), 'a model loaded from memory fails with device_lost, saying to load it again',
    `${lost.code}: ${lost.message}`.slice(0, 200));
});
