// A long session through the npm package, as an editor drives it: completions in a Worker while
// "typing" real files (Python's own textwrap.py and json/decoder.py, a few characters a request,
// so each shares the cache with the last; every so often another file, so it does not), random
// aborts (after k pieces, or at a random time, often mid-prefill), greedy and sampled requests,
// on the CPU backend and on WebGPU. Every request returns or aborts; memory (the engine's wasm
// memory, the JS heap of page + Worker, the browser's PSS) is flat after warm-up; greedy probes at
// the end equal those at the start.
// `make soak` runs 1,000 completions a backend and prints the table for the README; `make test-web`
// runs HEARTH_SOAK_N = 100 (CPU), and WebGPU at a fifth of N in both.
// Env: HEARTH_SOAK_N, HEARTH_SOAK_GPU_N (default N / 5), HEARTH_SOAK_BACKENDS (cpu,webgpu), HEARTH_SOAK_SEED.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, MODEL_DIR, MODEL_FILE, startServer, launch, openPackagePage, seededRandom, check, run } from './harness.mjs';

const PORT = Number(process.env.HEARTH_SOAK_PORT || 8799);
const N = Number(process.env.HEARTH_SOAK_N || 100);
const BACKENDS = (process.env.HEARTH_SOAK_BACKENDS || 'cpu,webgpu').split(',');
const SEED = Number(process.env.HEARTH_SOAK_SEED || 7);
const SAMPLES = 10; // memory samples a run, the first two are warm-up
const MB = 1e6;
// SwiftShader runs WebGPU at ≈ 1 token/s here: a shorter window and fewer file switches there.
const SHAPE = { cpu: { maxPrefixTokens: 384, switchP: 0.1, maxTokens: 12 }, webgpu: { maxPrefixTokens: 48, switchP: 0.05, maxTokens: 4 } };
const PROBES = ['def add(a, b):\n    ', 'class Stack:\n    def __init__(self):\n        ', 'for i in range(10):\n    '];

/** Proportional set size of the browser (its main process and every descendant), in bytes. */
function browserPss(profile) {
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const parent = new Map();
  let main = null;
  for (const pid of procs) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parent.set(pid, stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!main && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(`--user-data-dir=${profile}`)) main = pid;
    } catch { /* gone meanwhile */ }
  }
  const ours = (pid) => { for (let p = pid; p && p !== '0'; p = parent.get(p)) if (p === main) return true; return false; };
  let total = 0;
  for (const pid of procs.filter(ours)) {
    try {
      total += 1024 * Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))[1]);
    } catch { /* gone meanwhile */ }
  }
  return total;
}

/** In the page: the engine's wasm memory and the JS heaps of page and Worker (after a GC). */
async function memoryInPage() {
  const info = await engine.info();
  const m = await performance.measureUserAgentSpecificMemory();
  let worker = 0;
  for (const b of m.breakdown) if (b.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope')) worker += b.bytes;
  return { wasm: info.wasmMemoryBytes, jsTotal: m.bytes, jsWorker: worker };
}

/** In the page: one request; `abortAfter` pieces (0: at `abortMs`), or none. */
async function requestInPage({ prompt, maxPrefixTokens, maxTokens, temperature, seed, abortAfter, abortMs }) {
  const controller = new AbortController();
  let pieces = 0;
  if (abortAfter === 0) setTimeout(() => controller.abort(), abortMs);
  const t0 = performance.now();
  try {
    const c = await engine.complete({
      prompt, maxPrefixTokens, maxTokens, temperature, seed, signal: controller.signal,
      onText: () => { if (++pieces === abortAfter) controller.abort(); },
    });
    return { ok: true, ms: performance.now() - t0, tokens: c.tokens.length, reused: c.timings.reusedTokens, prefilled: c.timings.prefillTokens };
  } catch (e) {
    return { ok: false, code: e.code, name: e.name, ms: performance.now() - t0 };
  }
}

const percentile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];

await run('soak', async (defer) => {
  const env = { HEARTH_ISOLATE: '1' }; // measureUserAgentSpecificMemory needs cross-origin isolation
  const server = await startServer(PORT, { '/': ROOT }, env);
  defer(() => server.stop());
  const models = await startServer(PORT + 1, { '/models': MODEL_DIR }, env);
  defer(() => models.stop());
  const stdlib = execFileSync('python3', ['-c', 'import textwrap, json.decoder; print(textwrap.__file__); print(json.decoder.__file__)'], { encoding: 'utf8' }).trim().split('\n');
  const files = stdlib.map((f) => readFileSync(f, 'utf8'));
  const browser = await launch({}, { args: ['--enable-blink-features=ForceEagerMeasureMemory'] });
  defer(() => browser.close());
  const page = await openPackagePage(browser, server);
  check(await page.evaluate(() => crossOriginIsolated), 'the test page is cross-origin isolated');
  const url = `${models.url}/models/${MODEL_FILE}`;
  const rows = [];

  for (const backend of BACKENDS) {
    const n = backend === 'webgpu' ? Number(process.env.HEARTH_SOAK_GPU_N || Math.ceil(N / 5)) : N;
    const shape = SHAPE[backend];
    const info = await page.evaluate(async ({ url, backend }) => {
      window.engine = await hearth.createEngine(url, { backend, id: 'soak' });
      return engine.info();
    }, { url, backend });
    const probe = () => page.evaluate(async (ps) => {
      const out = [];
      for (const prompt of ps) out.push((await engine.complete({ prompt, maxTokens: 8, temperature: 0 })).tokens);
      return out;
    }, PROBES);
    const start = await probe();
    const random = seededRandom(SEED);
    const samples = [];
    const outcomes = { ok: 0, aborted: 0, other: [] };
    const okMs = [];
    let reused = 0, prefilled = 0;
    let file = 0, cursor = 200;
    const t0 = Date.now();
    for (let i = 0; i < n; i++) {
      if (i % Math.ceil(n / SAMPLES) === 0) {
        const m = { i, ...(await page.evaluate(memoryInPage)), pss: browserPss(browser.hearthProfile) };
        samples.push(m);
        console.log(`  ${backend} ${i}/${n}: wasm ${(m.wasm / MB).toFixed(0)} MB, JS ${(m.jsTotal / MB).toFixed(1)} MB, PSS ${(m.pss / MB).toFixed(0)} MB, ${((Date.now() - t0) / 60000).toFixed(1)} min`);
      }
      // Type on: a few characters more (the cache holds all but the last ones), or another file.
      if (random() < shape.switchP) {
        file = (file + 1) % files.length;
        cursor = 100 + Math.floor(random() * 1500);
      } else {
        cursor = Math.min(files[file].length, cursor + 1 + Math.floor(random() * 12));
        if (cursor === files[file].length) cursor = 100;
      }
      // The whole text before the cursor: the runtime keeps its last maxPrefixTokens, cut at a
      // line that does not move on every keystroke, so the cache holds the prompt's start.
      const prompt = files[file].slice(0, cursor);
      const aborts = random() < 0.3;
      const req = {
        prompt,
        maxPrefixTokens: shape.maxPrefixTokens,
        maxTokens: 1 + Math.floor(random() * shape.maxTokens),
        temperature: random() < 0.7 ? 0 : 0.8,
        seed: Math.floor(random() * 1e6),
        abortAfter: aborts ? Math.floor(random() * 4) : -1,
        abortMs: random() * 300,
      };
      if (process.env.HEARTH_SOAK_VERBOSE) console.log(`  ${i}: ${JSON.stringify({ ...req, prompt: `${req.prompt.length} chars` })}`);
      const r = await page.evaluate(requestInPage, req);
      if (process.env.HEARTH_SOAK_VERBOSE) console.log(`     ${JSON.stringify(r)}`);
      if (r.ok) {
        outcomes.ok++;
        okMs.push(r.ms);
        reused += r.reused;
        prefilled += r.prefilled;
      } else if (r.code === 'aborted' && r.name === 'AbortError') {
        outcomes.aborted++;
      } else {
        outcomes.other.push(r);
      }
    }
    samples.push({ i: n, ...(await page.evaluate(memoryInPage)), pss: browserPss(browser.hearthProfile) });
    const end = await probe();
    await page.evaluate(() => engine.unload());
    const minutes = (Date.now() - t0) / 60000;

    const tag = `${backend} (${info.backend}), ${n} requests`;
    check(outcomes.other.length === 0 && outcomes.ok + outcomes.aborted === n, `${tag}: every request returned or aborted`,
      `${outcomes.ok} returned, ${outcomes.aborted} aborted${outcomes.other.length ? `; ${JSON.stringify(outcomes.other.slice(0, 3))}` : ''}`);
    check(JSON.stringify(end) === JSON.stringify(start), `${tag}: greedy probes at the end equal those at the start`);
    const warm = samples[2];
    const last = samples[samples.length - 1];
    const peak = (k) => Math.max(...samples.slice(2).map((s) => s[k]));
    const show = (k) => samples.map((s) => (s[k] / MB).toFixed(0)).join(' ');
    check(peak('wasm') <= warm.wasm * 1.02, `${tag}: wasm memory flat after warm-up`, `MB at each sample: ${show('wasm')}`);
    check(peak('jsTotal') <= warm.jsTotal * 1.2 + 4 * MB, `${tag}: JS heap (page + Worker) flat after warm-up`, `MB: ${show('jsTotal')} (Worker: ${show('jsWorker')})`);
    check(last.pss <= warm.pss * 1.1 + 16 * MB, `${tag}: browser PSS flat after warm-up`, `MB: ${show('pss')}`);
    rows.push({
      backend: info.backend, n, minutes, ...outcomes, p50: percentile(okMs, 0.5), p95: percentile(okMs, 0.95),
      reusedShare: reused / Math.max(1, reused + prefilled), warm, last, peakPss: peak('pss'),
    });
  }

  console.log(`\n  ${new Date().toISOString().slice(0, 10)}, seed ${SEED}, model ${MODEL_FILE}`);
  console.log('  | backend | requests | returned | aborted | minutes | P50 ms | P95 ms | prompt tokens from cache | wasm MB warm → end | JS heap MB warm → end | browser PSS MB warm → end (peak) |');
  console.log('  |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const mb = (x) => (x / MB).toFixed(0);
    console.log(`  | ${r.backend} | ${r.n} | ${r.ok} | ${r.aborted} | ${r.minutes.toFixed(1)} | ${r.p50.toFixed(0)} | ${r.p95.toFixed(0)} | ${(100 * r.reusedShare).toFixed(0)}% | ${mb(r.warm.wasm)} → ${mb(r.last.wasm)} | ${mb(r.warm.jsTotal)} → ${mb(r.last.jsTotal)} | ${mb(r.warm.pss)} → ${mb(r.last.pss)} (${mb(r.peakPss)}) |`);
  }
});
