// The CPU backend on wasm threads, in headless Chromium without WebGPU, on a cross-origin
// isolated page (COOP/COEP, as `make app` serves it): the package picks the threads build in its
// Worker, with the thread count asked or the default; the tokens are those of the one-thread
// build (exact: the golden ones); an abort still lands within two decode steps; and where
// threads cannot run (the page itself) or one is asked, the one-thread build runs.
// Run: `make test-threads` (needs `make web` and the model).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, MODEL_DIR, MODEL_FILE, startServer, launch, openPackagePage, check, run, streamStep } from './harness.mjs';

const PORT = Number(process.env.HEARTH_TEST_PORT || 8841);
const golden = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/smollm2-135m-q4_1.json'), 'utf8'));

await run('threads', async (defer) => {
  const env = { HEARTH_ISOLATE: '1' };
  const server = await startServer(PORT, { '/': ROOT }, env);
  defer(() => server.stop());
  const models = await startServer(PORT + 1, { '/models': MODEL_DIR }, env);
  defer(() => models.stop());
  const browser = await launch({}, { webgpu: false });
  defer(() => browser.close());
  const page = await openPackagePage(browser, server);
  check(await page.evaluate(() => crossOriginIsolated), 'the page is cross-origin isolated');
  const g0 = golden.prompts[0];
  const n = Math.min(g0.greedy_must_match_len, 16);
  const r = await page.evaluate(async ({ url, prompt, n }) => {
    const cores = navigator.hardwareConcurrency;
    const greedy = async (e) => (await e.complete({ prompt, maxTokens: n, temperature: 0 })).tokens;
    const sampled = async (e) => (await e.complete({ prompt: 'import os\n', maxTokens: 24, temperature: 0.8, seed: 3, ignoreEos: true })).tokens;
    const out = { cores };
    // one thread (the plain CPU build), exact and int8
    for (const [key, options] of [['one', { threads: 1 }], ['two', { threads: 2 }], ['dflt', {}], ['base', { threads: 2, relaxedSimd: false }]]) {
      const exact = await hearth.createEngine(url, { ...options, numerics: 'exact' });
      const fast = await hearth.createEngine(url, options);
      out[key] = { info: await fast.info(), exact: await greedy(exact), fast: await greedy(fast), sampled: await sampled(fast) };
      await exact.unload();
      if (key === 'two') {
        // abort after 3 pieces of a 500-token stream: rejects within two decode steps
        const controller = new AbortController();
        const times = [];
        let error = null, tAbort = 0;
        try {
          for await (const _ of fast.stream({ prompt: 'import os\nimport sys\n\n', maxTokens: 500, temperature: 0.8, seed: 7, signal: controller.signal })) {
            times.push(performance.now());
            if (times.length === 3) { controller.abort(); tAbort = performance.now(); }
          }
        } catch (err) {
          error = err.name;
        }
        const abortMs = performance.now() - tAbort;
        const c = await fast.complete({ prompt, maxTokens: 16, temperature: 0, ignoreEos: true });
        out.abort = { times, error, abortMs, after: c.tokens.length };
      }
      await fast.unload();
    }
    const onPage = await hearth.createEngine(url, { worker: false, threads: 2 });
    out.page = await onPage.info();
    await onPage.unload();
    out.bad = await Promise.all([0, 65, 1.5].map((threads) => hearth.createEngine(url, { threads }).then(() => 'loaded', (e) => e.code)));
    out.badSimd = await hearth.createEngine(url, { relaxedSimd: 'yes' }).then(() => 'loaded', (e) => e.code);
    return out;
  }, { url: `${models.url}/models/${MODEL_FILE}`, prompt: g0.prompt, n });

  const want = JSON.stringify(g0.reference_greedy_ids.slice(0, n));
  check(r.one.info.wasmBuild === 'cpu' && r.one.info.threads === 1, 'threads: 1 runs the one-thread build', `${r.one.info.wasmBuild}, ${r.one.info.adapter}`);
  check(r.two.info.wasmBuild === 'cpu-threads' && r.two.info.threads === 2, 'threads: 2 runs the threads build on 2 threads', `${r.two.info.wasmBuild}, ${r.two.info.adapter}`);
  const dflt = Math.max(1, Math.min(r.cores - 1, 4));
  check(r.dflt.info.threads === dflt && r.dflt.info.wasmBuild === (dflt > 1 ? 'cpu-threads' : 'cpu'),
    `the default is the cores reported (${r.cores}) minus one, 1 to 4`, `${r.dflt.info.threads} threads, ${r.dflt.info.wasmBuild}`);
  for (const key of ['one', 'two', 'dflt']) {
    check(JSON.stringify(r[key].exact) === want, `${r[key].info.threads} thread(s), exact: greedy tokens equal the golden ${n}`);
  }
  check(JSON.stringify(r.two.fast) === JSON.stringify(r.one.fast) && JSON.stringify(r.two.sampled) === JSON.stringify(r.one.sampled),
    'int8 on 2 threads: the same greedy and sampled tokens as on one');
  const step = streamStep(r.abort.times);
  check(r.abort.error === 'AbortError' && r.abort.abortMs <= 2 * step && r.abort.after === 16,
    'threads: abort after 3 pieces of 500 rejects within two decode steps, and the engine works after',
    `rejected ${r.abort.abortMs.toFixed(0)} ms after abort (its steps before: up to ${step.toFixed(0)} ms)`);
  check(r.two.info.cpuSimd === 'relaxed' && r.base.info.cpuSimd === 'simd128' && r.base.info.wasmBuild === 'cpu-threads',
    'Chromium validates relaxed-SIMD: its build runs by default, relaxedSimd: false runs the simd128 one', `${r.two.info.cpuSimd} / ${r.base.info.cpuSimd}`);
  check(JSON.stringify(r.base.fast) === JSON.stringify(r.two.fast) && JSON.stringify(r.base.sampled) === JSON.stringify(r.two.sampled),
    'int8 on relaxed-SIMD: the same greedy and sampled tokens as on simd128');
  check(r.page.wasmBuild === 'cpu' && r.page.threads === 1, 'worker: false (the page cannot wait on its threads): one thread', `${r.page.wasmBuild}, ${r.page.threads}`);
  check(r.bad.every((c) => c === 'invalid_request'), 'threads 0, 65 or 1.5: invalid_request', r.bad.join(', '));
  check(r.badSimd === 'invalid_request', "relaxedSimd: 'yes' is invalid_request", r.badSimd);
});
