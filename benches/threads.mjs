// The CPU backend's threads in the browser, side by side in one run: hearth (wasm simd128, int8)
// and wllama on the same GGUF and prompt, at 1 and 2 threads, with the machine otherwise idle and
// with one core kept busy by another process (a phone always has one). Prefill tok/s of a
// ≈ 500-token prompt and decode tok/s of 64 sampled tokens (one forward pass a token); each figure
// is the best of REPS. Each engine gets a fresh browser (the page cross-origin isolated) with one
// instance per thread count loaded side by side and run alternately, idle and then busy.
// Run: `make bench-threads` (needs `make web` and the model). Prints a Markdown table.
// Env: HEARTH_BENCH_MODEL (a file in ~/.cache/hearth/models), REPS (3), HANDLERS (9; 27 for a
// ≈ 1570-token prompt), ENGINES (hearth,hearth-simd128,wllama:
// hearth-simd128 is hearth without its relaxed-SIMD build), BUSY (idle,busy).
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { ROOT, MODEL_DIR, MODEL_FILE, CHROMIUM, CHROMIUM_ARGS, startServer, openBenchPage } from '../tests/browser/harness.mjs';

const PORT = Number(process.env.HEARTH_BENCH_PORT || 8797);
const MODEL = process.env.HEARTH_BENCH_MODEL || MODEL_FILE;
const HANDLERS = Number(process.env.HANDLERS || 9); // ≈ 500 prompt tokens; 27 for ≈ 1570 (a long KV cache)
const DECODE = 64;
const REPS = Number(process.env.REPS || 3);
const ENGINES = (process.env.ENGINES || 'hearth,hearth-simd128,wllama').split(',');
const BUSY = (process.env.BUSY || 'idle,busy').split(',').map((b) => b === 'busy');

/** One core busy with another process while `body` runs: a JS loop that never yields. */
async function withBusyCore(busy, body) {
  if (!busy) return body();
  const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  try {
    return await body();
  } finally {
    hog.kill('SIGKILL');
  }
}

const server = await startServer(PORT, { '/': ROOT, '/models': MODEL_DIR }, { HEARTH_ISOLATE: '1' });
const modelUrl = `${server.url}/models/${MODEL}`;
const rows = [];
try {
  for (const engine of ENGINES) {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const page = await openBenchPage(browser, server, modelUrl);
      const setup = await page.evaluate(({ engine, h, d }) => window.threadsSetup(engine, [1, 2], h, d), { engine, h: HANDLERS, d: DECODE });
      if (setup.error) { console.error(`${engine}: ${setup.error}`); continue; }
      for (const busy of BUSY) {
        const rs = await withBusyCore(busy, () => page.evaluate((reps) => window.threadsRun(reps), REPS));
        for (const r of rs) {
          rows.push({ engine, busy, ...r });
          console.error(`${engine}, ${r.threads} thread(s), ${busy ? 'one core busy' : 'idle'}: ${JSON.stringify(r)}`);
        }
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.stop();
}

const f = (x, d = 1) => (x == null || Number.isNaN(x) ? '—' : x.toFixed(d));
const one = (r) => rows.find((o) => o.engine === r.engine && o.busy === r.busy && o.threads === 1);
console.log(`\n${MODEL}, ${new Date().toISOString().slice(0, 10)}, headless Chromium without WebGPU, cross-origin isolated; best of ${REPS}\n`);
console.log('| engine | threads | other load | prompt tokens | prefill tok/s | decode tok/s | prefill vs 1 thread | decode vs 1 thread |');
console.log('|---|---:|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const b = one(r);
  console.log(`| ${r.engine} (${r.detail}) | ${r.threads} | ${r.busy ? 'one core busy' : 'none'} | ${r.promptTokens} | ${f(r.prefill)} | ${f(r.decode)} | ${b ? f(r.prefill / b.prefill, 2) + '×' : '—'} | ${b ? f(r.decode / b.decode, 2) + '×' : '—'} |`);
}
