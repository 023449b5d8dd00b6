// The npm package (pkg/, built by `make web`, as `npm pack` packs it: every file of pkg/ must be in
// the tarball, and the page loads the unpacked tarball) from a page, in headless Chromium: a Worker engine
// on WebGPU loads the real model from a URL into IndexedDB, streams golden tokens, aborts
// mid-generation, completes again; a browser without WebGPU falls back to the CPU backend (wasm
// simd128) with the same tokens (exact numerics), and its default int8 engine in a Worker rejects
// an abort within two decode steps; and a second load comes from the cache with the model's server
// stopped (the page's own files stay served: offline pages are the service worker's job, see
// app.test.mjs). Hostile requests on the CPU backend get typed errors and leave it working.
// Run: `make test-package` (part of `make test-web`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, MODEL_DIR, MODEL_FILE, startServer, launch, openPackagePage, check, run, streamStep, packedPackage } from './harness.mjs';

const PORT = Number(process.env.HEARTH_PACKAGE_PORT || 8791);
const golden = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/smollm2-135m-q4_1.json'), 'utf8'));
const g0 = golden.prompts[0];

await run('package', async (defer) => {
  const packed = packedPackage();
  defer(async () => packed.remove());
  check(packed.missing.length === 0, 'npm pack keeps every file of pkg/ (package.json files)', packed.missing.join(', ') || 'all');
  const server = await startServer(PORT, { '/': ROOT, '/pkg': packed.dir });
  defer(() => server.stop());
  let models = await startServer(PORT + 1, { '/models': MODEL_DIR });
  defer(() => models.stop());
  const browser = await launch();
  defer(() => browser.close());
  const page = await openPackagePage(browser, server);
  const modelUrl = `${models.url}/models/${MODEL_FILE}`;

  // Load in a Worker from the network into IndexedDB.
  const load = await page.evaluate(async (url) => {
    await hearth.deleteCachedModel('SmolLM2-135M-Instruct.Q4_1.gguf');
    const phases = new Set();
    const t0 = performance.now();
    window.engine = await hearth.createEngine(url, { backend: 'webgpu', onProgress: (p) => phases.add(p.phase) });
    return { ms: performance.now() - t0, phases: [...phases], info: await engine.info(), cached: await hearth.listCachedModels() };
  }, modelUrl);
  check(load.info.backend === 'webgpu' && load.info.wasmBuild === 'webgpu', 'engine runs on WebGPU (the WebGPU build of the wasm)', load.info.adapter);
  check(load.info.gpuFallback === null, 'WebGPU (its kernel self-test passed): no gpuFallback', String(load.info.gpuFallback));
  check(load.info.source === 'network', 'first load downloads', `${(load.ms / 1000).toFixed(1)} s`);
  check(['download', 'upload'].every((p) => load.phases.includes(p)), 'progress reports download and upload', load.phases.join(','));
  check(load.cached.some((m) => m.id === MODEL_FILE && m.size === 98362432), 'model listed in the cache');

  // Streaming reproduces the golden greedy tokens; the page stays responsive meanwhile.
  const n = g0.greedy_must_match_len;
  const streamed = await page.evaluate(async ({ prompt, n }) => {
    const ticks0 = window.ticks;
    const pieces = [];
    for await (const piece of engine.stream({ prompt, maxTokens: n, temperature: 0 })) pieces.push(piece);
    const ticks = window.ticks - ticks0;
    const full = await engine.complete({ prompt, maxTokens: n, temperature: 0 });
    return { pieces, ticks, full };
  }, { prompt: g0.prompt, n });
  check(streamed.pieces.length > 1, 'stream yields pieces', `${streamed.pieces.length}`);
  check(streamed.pieces.join('') === streamed.full.text, 'streamed text equals complete() text');
  check(JSON.stringify(streamed.full.tokens) === JSON.stringify(g0.reference_greedy_ids.slice(0, n)), `greedy tokens equal the golden ${n}`);
  check(streamed.full.timings.reusedTokens === g0.prompt_ids.length - 1, 'second request reuses the cached prompt prefix', `${streamed.full.timings.reusedTokens}`);
  check(streamed.ticks > 10, 'page timers keep running during generation', `${streamed.ticks} ticks`);

  // Abort mid-generation: rejects with an AbortError quickly; the engine still works after.
  const aborted = await page.evaluate(async (prompt) => {
    const controller = new AbortController();
    const pieces = [];
    let error = null;
    const t0 = performance.now();
    let tAbort = 0;
    try {
      for await (const piece of engine.stream({ prompt, maxTokens: 500, temperature: 0.8, seed: 7, signal: controller.signal })) {
        pieces.push(piece);
        if (pieces.length === 3) { controller.abort(); tAbort = performance.now(); }
      }
    } catch (e) {
      error = { name: e.name, code: e.code, isHearth: e instanceof hearth.HearthError };
    }
    const abortMs = performance.now() - tAbort;
    const after = await engine.complete({ prompt: 'def add(a, b):', maxTokens: 8, temperature: 0 });
    return { pieces: pieces.length, error, abortMs, total: performance.now() - t0, after };
  }, 'import os\nimport sys\n\n');
  check(aborted.error?.name === 'AbortError' && aborted.error?.code === 'aborted' && aborted.error?.isHearth, 'abort rejects with an AbortError (code aborted)', JSON.stringify(aborted.error));
  check(aborted.pieces < 20, 'generation stopped soon after abort', `${aborted.pieces} pieces, ${aborted.abortMs.toFixed(0)} ms after abort`);
  check(aborted.after.tokens.length === 8 && aborted.after.text.length > 0, 'a fresh completion works after the abort', JSON.stringify(aborted.after.text));

  // Errors are typed.
  const bad = await page.evaluate(async () => {
    try { await hearth.createEngine(new ArrayBuffer(100)); } catch (e) { return { code: e.code, name: e.name }; }
    return null;
  });
  check(bad?.code === 'bad_model', 'a broken model is a bad_model error', JSON.stringify(bad));
  await page.evaluate(() => engine.unload());

  // A browser without WebGPU (Chromium without --enable-unsafe-webgpu: requestAdapter() is null):
  // 'auto' picks the CPU backend, which gives the same golden tokens.
  const plain = await launch({}, { webgpu: false });
  const p2 = await openPackagePage(plain, server);
  const cpu = await p2.evaluate(async ({ url, prompt, n }) => {
    // On this page (worker: false) the resource timings show which wasm builds were fetched.
    const onPage = await hearth.createEngine(url, { worker: false });
    const { wasmBuild: pageBuild, cpuSimd } = await onPage.info();
    await onPage.unload();
    const relaxed = (await import('/pkg/local.js')).relaxedSimd();
    const fetched = performance.getEntriesByType('resource').map((r) => r.name.split('/').pop()).filter((f) => f.endsWith('.wasm'));
    const forced = await hearth.createEngine(url, { backend: 'webgpu' }).then(() => null, (e) => e.code);
    const e = await hearth.createEngine(url, { numerics: 'exact' });
    const info = await e.info();
    const c = await e.complete({ prompt, maxTokens: n, temperature: 0 });
    await e.unload();
    // The default CPU engine (int8 activations) in its Worker: a 500-token stream aborted after
    // 3 pieces must reject within two decode steps, and the engine works afterwards.
    const f = await hearth.createEngine(url);
    const fastInfo = await f.info();
    const fast = await f.complete({ prompt, maxTokens: n, temperature: 0 });
    const controller = new AbortController();
    const times = [];
    let error = null;
    let tAbort = 0;
    try {
      for await (const _ of f.stream({ prompt: 'import os\nimport sys\n\n', maxTokens: 500, temperature: 0.8, seed: 7, signal: controller.signal })) {
        times.push(performance.now());
        if (times.length === 3) { controller.abort(); tAbort = performance.now(); }
      }
    } catch (err) {
      error = { name: err.name, code: err.code };
    }
    const abortMs = performance.now() - tAbort;
    const after = await f.complete({ prompt: 'def add(a, b):', maxTokens: 8, temperature: 0 });
    await f.unload();
    return { pageBuild, cpuSimd, relaxed, fetched, forced, info, c, fastInfo, fast, abort: { times, error, abortMs }, after, gpu: !!(navigator.gpu && await navigator.gpu.requestAdapter()) };
  }, { url: modelUrl, prompt: g0.prompt, n });
  check(!cpu.gpu && cpu.forced === 'webgpu_unavailable', 'no WebGPU: asking for it is a webgpu_unavailable error', String(cpu.forced));
  check(cpu.info.backend === 'cpu', 'no WebGPU: auto falls back to the CPU backend', cpu.info.adapter);
  check(typeof cpu.info.gpuFallback === 'string' && /WebGPU/.test(cpu.info.gpuFallback), 'no WebGPU: info().gpuFallback says why', cpu.info.gpuFallback);
  const cpuWasm = cpu.relaxed ? 'hearth_cpu_relaxed_bg.wasm' : 'hearth_cpu_bg.wasm';
  check(cpu.pageBuild === 'cpu' && cpu.info.wasmBuild === 'cpu' && JSON.stringify(cpu.fetched) === JSON.stringify([cpuWasm]),
    'no WebGPU: only the CPU build of the wasm is fetched (the relaxed-SIMD one where the engine validates it)', cpu.fetched.join(', '));
  check(cpu.cpuSimd === (cpu.relaxed ? 'relaxed' : 'simd128') && cpu.info.cpuSimd === cpu.cpuSimd, 'info().cpuSimd says which dot products run',
    `${cpu.cpuSimd}; relaxed-SIMD validates: ${cpu.relaxed}`);
  const rate = (t) => `prefill ${(t.prefillTokens / t.prefillMs * 1000).toFixed(1)} tok/s, decode ${(t.decodeTokens / t.decodeMs * 1000).toFixed(1)} tok/s`;
  check(JSON.stringify(cpu.c.tokens) === JSON.stringify(g0.reference_greedy_ids.slice(0, n)), `CPU backend (exact): greedy tokens equal the golden ${n}`, rate(cpu.c.timings));
  check(cpu.fast.tokens.length === n, `CPU backend (${cpu.fastInfo.adapter}) completes`, `${rate(cpu.fast.timings)}; ${JSON.stringify(cpu.fast.text)}`);
  const step = streamStep(cpu.abort.times);
  check(cpu.abort.error?.name === 'AbortError' && cpu.abort.abortMs <= 2 * step,
    'CPU backend in a Worker: abort after 3 pieces of 500 rejects within two decode steps',
    `${cpu.abort.times.length} pieces, rejected ${cpu.abort.abortMs.toFixed(0)} ms after abort (its steps before: up to ${step.toFixed(0)} ms); ${JSON.stringify(cpu.abort.error)}`);
  check(cpu.after.tokens.length === 8, 'CPU backend: a fresh completion works after the abort', JSON.stringify(cpu.after.text));

  // Hostile requests (the browser twin of tests/hostile.rs): each gets a typed error or completes,
  // and the golden tokens come back after every one; a request while another runs queues; a call
  // after unload is an error, not a hang.
  const hostile = await p2.evaluate(async ({ url, prompt, want }) => {
    const e = await hearth.createEngine(url, { numerics: 'exact', context: 256 });
    const probe = async () => (await e.complete({ prompt, maxTokens: want.length, temperature: 0, ignoreEos: true })).tokens;
    const before = await probe();
    const big = 'x = 1\n'.repeat((10 << 20) / 6);
    const long = Array.from({ length: 3000 }, (_, i) => `v${i} = ${i}\n`).join('');
    const cases = [
      ['maxTokens -1', { prompt: 'a', maxTokens: -1 }, 'invalid_request'],
      ['maxTokens 1e30', { prompt: 'a', maxTokens: 1e30 }, 'invalid_request'],
      ['maxTokens NaN', { prompt: 'a', maxTokens: NaN }, 'invalid_request'],
      ['maxTokens 2.5', { prompt: 'a', maxTokens: 2.5 }, 'invalid_request'],
      ['maxTokens a string', { prompt: 'a', maxTokens: '5' }, 'invalid_request'],
      ['maxTokens huge: bounded by the context', { prompt: 'a', maxTokens: 2 ** 31 }, null],
      ['temperature NaN', { prompt: 'a', temperature: NaN }, 'invalid_request'],
      ['temperature -1', { prompt: 'a', temperature: -1 }, 'invalid_request'],
      ['temperature Infinity', { prompt: 'a', temperature: Infinity }, 'invalid_request'],
      ['topK -3', { prompt: 'a', topK: -3 }, 'invalid_request'],
      ['topP NaN', { prompt: 'a', topP: NaN }, 'invalid_request'],
      ['topP 2', { prompt: 'a', topP: 2 }, 'invalid_request'],
      ['repeatPenalty 0', { prompt: 'a', repeatPenalty: 0 }, 'invalid_request'],
      ['prompt a number', { prompt: 42 }, 'invalid_request'],
      ['prompt null', { prompt: null }, 'invalid_request'],
      ['prompt an object', { prompt: { text: 'a' } }, 'invalid_request'],
      ['no prompt', {}, 'invalid_request'],
      ['a function in the request', { prompt: 'a', maxTokens: () => 3 }, 'invalid_request'],
      ['unknown field (a typo)', { prompt: 'a', maxToken: 3 }, 'invalid_request'],
      ['prompt of 10 MB', { prompt: big, maxPrefixTokens: 64, maxTokens: 4 }, null],
      ['suffix of 10 MB', { prompt: 'def f():', suffix: big, maxTokens: 4 }, null],
      ['10,000 stop strings', { prompt: 'a', stop: Array.from({ length: 10000 }, (_, i) => `s${i}`) }, 'invalid_request'],
      ['stop a string', { prompt: 'a', stop: '\n' }, 'invalid_request'],
      ['mode unknown', { prompt: 'a', mode: 'paragraph' }, 'invalid_request'],
      ['deadlineMs negative', { prompt: 'a', deadlineMs: -5 }, 'invalid_request'],
      ['prompt longer than the context: cut to fit', { prompt: long, maxPrefixTokens: 100000, maxTokens: 4 }, null],
    ];
    const out = [];
    for (const [name, req, code] of cases) {
      let got;
      try {
        const r = await e.complete(req);
        got = { ok: true, tokens: r.tokens.length, prompt: r.promptTokens.length };
      } catch (err) {
        got = { ok: false, code: err.code, isHearth: err instanceof hearth.HearthError, message: String(err.message).slice(0, 120) };
      }
      out.push({ name, code, got, after: await probe() });
    }
    // Two requests at once: the second waits for the first; both complete.
    const [a, b] = await Promise.all([e.complete({ prompt: 'import os\n', maxTokens: 6, temperature: 0 }), probe()]);
    const concurrent = { a: a.tokens.length, b };
    await e.unload();
    const afterUnload = await e.complete({ prompt: 'a' }).then(() => 'completed', (err) => err.code);
    return { before, out, concurrent, afterUnload };
  }, { url: modelUrl, prompt: g0.prompt, want: g0.reference_greedy_ids.slice(0, 8) });
  await plain.close();
  const want8 = JSON.stringify(g0.reference_greedy_ids.slice(0, 8));
  check(JSON.stringify(hostile.before) === want8, 'hostile table: golden tokens before it');
  for (const c of hostile.out) {
    const typed = c.code ? !c.got.ok && c.got.code === c.code && c.got.isHearth : c.got.ok && c.got.prompt < 256;
    check(typed && JSON.stringify(c.after) === want8, `hostile: ${c.name} → ${c.code || 'completes'}, golden tokens after`, JSON.stringify(c.got));
  }
  check(hostile.concurrent.a === 6 && JSON.stringify(hostile.concurrent.b) === want8, 'a request while another runs waits its turn; both complete');
  check(hostile.afterUnload === 'invalid_request', 'a request after unload() is an invalid_request error', String(hostile.afterUnload));

  // Model server gone: the model loads from IndexedDB (in a Worker and on the page).
  await models.stop();
  models = { stop: async () => {} };
  const offline = await page.evaluate(async (url) => {
    const out = {};
    for (const worker of [true, false]) {
      const t0 = performance.now();
      const e = await hearth.createEngine(url, { worker });
      const info = await e.info();
      const c = await e.complete({ prompt: 'def fibonacci(n):\n', maxTokens: 6, temperature: 0 });
      out[worker ? 'worker' : 'page'] = { source: info.source, backend: info.backend, ms: performance.now() - t0, tokens: c.tokens };
      await e.unload();
    }
    return out;
  }, modelUrl);
  check(offline.worker.source === 'cache' && offline.page.source === 'cache', 'second load comes from the cache with the server stopped',
    `worker ${(offline.worker.ms / 1000).toFixed(1)} s, page ${(offline.page.ms / 1000).toFixed(1)} s, backend ${offline.worker.backend}`);
  check(JSON.stringify(offline.worker.tokens) === JSON.stringify(g0.reference_greedy_ids.slice(0, 6)), 'cached model gives the golden tokens');
});
