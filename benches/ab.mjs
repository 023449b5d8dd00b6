// Two builds of hearth's CPU backend side by side in one run: the npm package built before a
// change (A) and after it (B), loaded into one headless Chromium page (each in its own Worker),
// on the same model, prompt and threads, completions alternated A, B, A, B… so that the machine's
// drift (2–5× between days, ±10% within minutes here) hits both alike. Prints prefill and decode
// tok/s (best of REPS) and B/A. The two must give the same tokens (a change that is meant to
// keep the bits); a difference is reported.
// Build A first: `make web && cp -r pkg /tmp/pkg-a`, then change the code and `make web`.
// Run: `A=/tmp/pkg-a node benches/ab.mjs` (B defaults to pkg/).
// Env: A (required), B (pkg), HANDLERS (27: a ≈ 1570-token prompt; 9: ≈ 500), THREADS (1),
// REPS (4), HEARTH_BENCH_MODEL (a file in ~/.cache/hearth/models).
import { chromium } from 'playwright-core';
import { resolve } from 'node:path';
import { ROOT, MODEL_DIR, MODEL_FILE, CHROMIUM, CHROMIUM_ARGS, startServer } from '../tests/browser/harness.mjs';

const PORT = Number(process.env.HEARTH_BENCH_PORT || 8799);
const MODEL = process.env.HEARTH_BENCH_MODEL || MODEL_FILE;
const A = process.env.A;
const B = process.env.B || resolve(ROOT, 'pkg');
const HANDLERS = Number(process.env.HANDLERS || 27);
const THREADS = Number(process.env.THREADS || 1);
const REPS = Number(process.env.REPS || 4);
const DECODE = 64;
if (!A) {
  console.error('A=<a built package directory> is required (e.g. a copy of pkg/ from before the change)');
  process.exit(2);
}

const server = await startServer(PORT, { '/': ROOT, '/a': resolve(A), '/b': B, '/models': MODEL_DIR }, { HEARTH_ISOLATE: '1' });
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
  args: CHROMIUM_ARGS });
let failed = false;
try {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error('  page:', m.text()));
  const modelUrl = `${server.url}/models/${MODEL}`;
  await page.goto(`${server.url}/benches/ab.html?model=${encodeURIComponent(modelUrl)}`);
  await page.waitForFunction(() => document.title === 'ready');
  const setup = await page.evaluate(({ t, h, d }) => window.abSetup(t, h, d), { t: THREADS, h: HANDLERS, d: DECODE });
  if (setup.error) throw new Error(setup.error);
  const best = { a: { prefill: 0, decode: 0 }, b: { prefill: 0, decode: 0 } };
  let promptTokens = 0;
  for (let i = 0; i < REPS; i++) {
    const runs = {};
    for (const name of i % 2 ? ['b', 'a'] : ['a', 'b']) {
      const r = await page.evaluate(({ name, i, h, d }) => window.abRun(name, i, h, d), { name, i, h: HANDLERS, d: DECODE });
      runs[name] = r;
      best[name] = { prefill: Math.max(best[name].prefill, r.prefill), decode: Math.max(best[name].decode, r.decode) };
      promptTokens = r.promptTokens;
      console.error(`run ${i} ${name}: prefill ${r.prefill.toFixed(1)} tok/s, decode ${r.decode.toFixed(1)} tok/s`);
    }
    if (JSON.stringify(runs.a.tokens) !== JSON.stringify(runs.b.tokens)) {
      console.error(`run ${i}: A and B gave different tokens`);
      failed = true;
    }
  }
  const f = (x, d = 1) => x.toFixed(d);
  console.log(`\n${MODEL}, ${new Date().toISOString().slice(0, 10)}, headless Chromium without WebGPU, ${THREADS} thread(s), ${promptTokens}-token prompt, ${DECODE} sampled tokens; best of ${REPS}, A and B alternated\n`);
  console.log('| build | wasm | prefill tok/s | decode tok/s |');
  console.log('|---|---|---:|---:|');
  for (const name of ['a', 'b']) {
    const info = setup[name];
    console.log(`| ${name.toUpperCase()} (${name === 'a' ? A : B}) | ${info.wasmBuild}, ${info.cpuSimd}, ${info.threads} thread(s) | ${f(best[name].prefill)} | ${f(best[name].decode)} |`);
  }
  console.log(`| B / A | | ${f(best.b.prefill / best.a.prefill, 2)}× | ${f(best.b.decode / best.a.decode, 2)}× |`);
  if (failed) console.log('\nA and B gave different tokens (see above).');
} finally {
  await browser.close();
  await server.stop();
}
process.exit(failed ? 1 : 0);
