// Peak memory of loading a model, hearth (WebGPU, CPU backend) next to wllama on the same GGUF.
// Each engine gets a fresh browser profile: a first browser loads the model cold (download, store,
// prepare), then a second browser on the same profile loads it from that engine's cache. Each
// load is followed by one greedy token (the model works). Peak = the summed peak RSS (VmHWM) of
// the browser's processes above its idle page, the method of benches/browser.mjs; on SwiftShader
// the GPU's buffers live in the GPU process, so they count. hearth also reports its wasm memory
// after the load (info().wasmMemoryBytes): it never shrinks, so it is the load's wasm peak.
// Run: `make bench-load-memory` (MODELS=file,file KINDS=hearth-webgpu,hearth-cpu,wllama-2).
import { rmSync } from 'node:fs';
import { MODEL_DIR, ROOT, startServer, launch, openBenchPage, peakMemory } from '../tests/browser/harness.mjs';

const PORT = Number(process.env.HEARTH_BENCH_PORT || 8796);
const MODELS = (process.env.MODELS || 'SmolLM2-135M-Instruct.Q4_1.gguf,Qwen2.5-Coder-0.5B-Instruct.gguf').split(',');
const KINDS = (process.env.KINDS || 'hearth-webgpu,hearth-cpu,wllama-2').split(',');

const server = await startServer(PORT, { '/': ROOT, '/models': MODEL_DIR }, { HEARTH_ISOLATE: '1' });
const rows = [];
try {
  for (const model of MODELS) {
    for (const kind of KINDS) {
      const row = { model, kind };
      let profile = null;
      for (const phase of ['cold', 'cached']) {
        const browser = await launch({}, profile ? { profile } : {});
        profile = browser.hearthProfile;
        try {
          const page = await openBenchPage(browser, server, `${server.url}/models/${model}`);
          const base = peakMemory(profile);
          const r = await page.evaluate((k) => window.loadOnce(k), kind);
          const peak = peakMemory(profile);
          if (r.error) { row.error = r.error; console.error(`${model} ${kind} ${phase}: ${r.error}`); break; }
          row[phase] = { ...r, peakMB: (peak - base) / 1e6 };
          console.error(`${model} ${kind} ${phase}: ${JSON.stringify(row[phase])}`);
        } finally {
          await browser.close();
        }
      }
      rmSync(profile, { recursive: true, force: true });
      rows.push(row);
    }
  }
} finally {
  await server.stop();
}

const f = (x, d = 0) => (x == null || Number.isNaN(x) ? '—' : x.toFixed(d));
console.log('| model | engine | load cold s | peak MB cold | load cached s | peak MB cached | wasm memory MB after load (cached) |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  if (r.error) { console.log(`| ${r.model} | ${r.kind} | ${r.error} | | | | |`); continue; }
  const engine = r.kind.startsWith('hearth') ? `hearth ${r.cached?.backend ?? r.kind.slice(7)}` : r.cold.backend;
  console.log(`| ${r.model} | ${engine} | ${f(r.cold.ms / 1000, 1)} | ${f(r.cold.peakMB)} | ${f(r.cached?.ms / 1000, 1)} | ${f(r.cached?.peakMB)} | ${f(r.cached?.wasmMB)} |`);
}
