// Browser benchmark, side by side in one headless Chromium run: hearth (WebGPU, and the wasm
// simd128 CPU backend) against wllama (@wllama/wllama, 1 and 2 threads, COOP/COEP set) on the
// same GGUF and the same prompt: model load (cold from the network, then from each engine's
// cache), prefill tok/s of a ≈512-token prompt, decode tok/s of 128 tokens, peak memory; plus the
// WebGPU adapter's read bandwidth, to judge the WebGPU path by. Each engine gets a fresh browser.
// Run: `make bench-web` (needs `make web` and the model). Prints a Markdown table.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, MODEL_DIR, MODEL_FILE, CHROMIUM, CHROMIUM_ARGS, startServer, openBenchPage, peakMemory } from '../tests/browser/harness.mjs';

const PORT = Number(process.env.HEARTH_BENCH_PORT || 8795);
// ≈ 55 prompt tokens a handler, 9 by default: ≈ 500 (each engine reports its own count);
// HANDLERS=27 for ≈ 1500, where a decode step's attention reads a long KV cache.
const HANDLERS = Number(process.env.HANDLERS || 9);
const DECODE = 128;
const KINDS = (process.env.KINDS || 'read-bandwidth,hearth-webgpu,hearth-cpu,wllama-1,wllama-2').split(',');
const ARGS = ['--enable-unsafe-webgpu', ...CHROMIUM_ARGS];

/** Peak resident memory of the running Chromium (one browser runs at a time), in bytes. */
const browserPeak = () => peakMemory(CHROMIUM.replace('/usr/bin/', '/usr/lib/chromium/'));

const server = await startServer(PORT, { '/': ROOT, '/models': MODEL_DIR }, { HEARTH_ISOLATE: '1' });
const modelUrl = `${server.url}/models/${MODEL_FILE}`;
const modelBytes = statSync(join(MODEL_DIR, MODEL_FILE)).size;
const rows = [];
let readGbps = null;
try {
  for (const kind of KINDS) {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    try {
      const page = await openBenchPage(browser, server, modelUrl);
      const base = browserPeak();
      const r = await page.evaluate(({ kind, h, d }) => window.bench(kind, h, d), { kind, h: HANDLERS, d: DECODE });
      const peak = browserPeak();
      if (r.error) { console.error(`${kind}: ${r.error}`); continue; }
      if (kind === 'read-bandwidth') { readGbps = r.gbps; console.error(`WebGPU adapter read bandwidth: ${r.gbps.toFixed(2)} GB/s`); continue; }
      r.peakMB = (peak - base) / 1e6;
      rows.push(r);
      console.error(`${r.engine}: ${JSON.stringify(r)}`);
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.stop();
}

const f = (x, d = 1) => (x == null || Number.isNaN(x) ? '—' : x.toFixed(d));
const ref = (name) => rows.find((r) => r.engine === name);
const w2 = ref('wllama 2 threads') || ref('wllama 1 thread');
console.log(`| engine | load cold s | load cached s | prompt tokens | prefill tok/s | decode tok/s | peak memory MB | decode vs ${w2 ? w2.engine : 'wllama'} |`);
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.engine} (${r.detail}) | ${f(r.cold / 1000, 2)} | ${f(r.cached / 1000, 2)} | ${r.promptTokens} | ${f(r.prefill)} | ${f(r.decode)} | ${f(r.peakMB, 0)} | ${w2 ? f(r.decode / w2.decode, 2) + '×' : '—'} |`);
}
const gpu = ref('hearth webgpu');
if (gpu && readGbps) {
  const gbps = gpu.decode * modelBytes / 1e9;
  console.log(`\nWebGPU decode streams ≈ ${f(gbps, 2)} GB/s of weights (${f(modelBytes / 1e6, 0)} MB a token) = ${f(gbps / readGbps, 2)} of the adapter's ${f(readGbps, 2)} GB/s read bandwidth.`);
}
