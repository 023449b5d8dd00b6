// The keystroke benchmark: a person typing a real file, and the suggestion after each pause, as
// the app requests it (benches/keys.html). The file is Python's own textwrap.py (from the system
// Python; no one here wrote it): REGIONS of it are removed and then typed back a character at a
// time at ≈ 60 words a minute, Enter inserting the next line's indentation as an editor does. At
// the start of a line, and now and then after a space or a bracket, the typist pauses and waits
// for a suggestion (1.5–3 s, then reads it for 300 ms); now and then a 0.4–0.8 s hesitation
// starts a request the next keystroke abandons. At each region's start (a file just opened, or a
// jump to another place) the typist waits for the first suggestion however long it takes.
// The same seeded script runs against hearth (CPU backend) and wllama (cache_prompt, the same
// prompt text and stop rules), same GGUF, same threads, each in a fresh cross-origin-isolated
// headless Chromium without WebGPU, for each model.
// Run: `make bench-keys` (needs `make web` and both models). Prints a Markdown table.
// Env: MODELS (smollm2,qwen), ENGINES (hearth,wllama), THREADS (2), SEED (1), HEARTH_KEYS_OUT
// (a JSON file for every record).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { ROOT, MODEL_DIR, CHROMIUM, CHROMIUM_ARGS, startServer, seededRandom } from '../tests/browser/harness.mjs';
import { percentile } from '../www/context.js';

const PORT = Number(process.env.HEARTH_BENCH_PORT || 8798);
const MODELS = { smollm2: { file: 'SmolLM2-135M-Instruct.Q4_1.gguf', fim: false }, qwen: { file: 'Qwen2.5-Coder-0.5B-Instruct.gguf', fim: true } };
const PICK = (process.env.MODELS || 'smollm2,qwen').split(',');
const ENGINES = (process.env.ENGINES || 'hearth,wllama').split(',');
const THREADS = Number(process.env.THREADS || 2);
const SEED = Number(process.env.SEED || 1);
/** 1-based inclusive line ranges of textwrap.py (CPython 3.11) typed back: the bodies of
 *  TextWrapper._fix_sentence_endings and of indent(). */
const REGIONS = [[188, 195], [478, 486]];

/** The typing script: the file with the regions removed, and the keys that type them back. */
function makeScript(path, seed) {
  const rand = seededRandom(seed);
  const lines = readFileSync(path, 'utf8').split('\n');
  const kept = lines.filter((_, i) => !REGIONS.some(([a, b]) => i + 1 >= a && i + 1 <= b));
  const doc = kept.join('\n');
  const regions = [];
  let removedBefore = 0;
  for (const [a, b] of REGIONS) {
    // The cursor goes to the end of the line before the region; each line is Enter + its text.
    const before = lines.slice(0, a - 1).join('\n').length - removedBefore;
    const keys = [];
    for (const line of lines.slice(a - 1, b)) {
      const indent = line.length - line.trimStart().length;
      keys.push({ text: '\n' + line.slice(0, indent), ...(keys.length === 0 ? { look: 180_000, first: true } : rand() < 0.6 ? { look: 1500 + 1500 * rand() } : { gap: 110 + 180 * rand() }) });
      for (const ch of line.slice(indent)) {
        const r = rand();
        keys.push({ text: ch, ...(' (.=,['.includes(ch) && r < 0.12 ? { look: 1500 + 1500 * rand() } : r > 0.97 ? { gap: 400 + 400 * rand() } : { gap: 110 + 180 * rand() }) });
      }
    }
    keys[keys.length - 1] = { text: keys[keys.length - 1].text, look: 1500 + 1500 * rand() };
    regions.push({ at: before, keys });
    removedBefore += lines.slice(a - 1, b).join('\n').length + 1;
  }
  return { doc, debounceMs: 350, regions };
}

const path = execFileSync('python3', ['-c', 'import textwrap; print(textwrap.__file__)'], { encoding: 'utf8' }).trim();
const script = makeScript(path, SEED);
const nKeys = script.regions.reduce((n, r) => n + r.keys.length, 0);
console.error(`${path}: ${REGIONS.map(([a, b]) => `lines ${a}-${b}`).join(', ')}; ${nKeys} keystrokes`);

const server = await startServer(PORT, { '/': ROOT, '/models': MODEL_DIR }, { HEARTH_ISOLATE: '1' });
const rows = [];
const all = [];
try {
  for (const model of PICK) {
    for (const kind of ENGINES) {
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage();
        page.on('console', (m) => m.type() === 'error' && console.error('  page:', m.text()));
        await page.goto(`${server.url}/benches/keys.html`);
        await page.waitForFunction(() => document.title === 'ready');
        const url = `${server.url}/models/${MODELS[model].file}`;
        const opened = await page.evaluate(([k, u, t, f]) => window.keysOpen(k, u, t, f), [kind, url, THREADS, MODELS[model].fim]);
        if (opened.error) { console.error(`${model} ${kind}: ${opened.error}`); continue; }
        const { records, warms, seconds } = await page.evaluate((s) => window.keysRun(s), script);
        const row = { ...summarize(model, opened, records, seconds), warms: warms.length };
        rows.push(row);
        all.push({ model, engine: opened, records, warms });
        console.error(`${model} ${opened.name}: ${JSON.stringify(row)}`);
      } finally {
        await browser.close();
      }
    }
  }
} finally {
  await server.stop();
}
if (process.env.HEARTH_KEYS_OUT) writeFileSync(process.env.HEARTH_KEYS_OUT, JSON.stringify({ path, REGIONS, script, all }, null, 1));

function summarize(model, opened, records, seconds) {
  const done = (r) => r.latency != null;
  const first = records.filter((r) => r.kind === 'first');
  const pauses = records.filter((r) => r.kind === 'pause');
  // A pause whose suggestion did not come before the typist went on counts as never shown.
  const waits = pauses.map((r) => (done(r) ? r.latency : Infinity));
  // The ghost text appears with the first streamed piece (an empty suggestion: when it is known).
  const seen = pauses.map((r) => r.firstText ?? (done(r) ? r.latency : Infinity));
  const later = records.filter((r) => r.kind !== 'first' && done(r));
  const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return {
    model, engine: opened.name, threads: opened.threads, fim: opened.fim, seconds,
    first: first.map((r) => r.latency ?? null), pauses: pauses.length, shown: pauses.filter(done).length,
    p50: percentile(waits, 0.5), p95: percentile(waits, 0.95), seenP50: percentile(seen, 0.5), seenP95: percentile(seen, 0.95),
    empty: pauses.filter((r) => done(r) && !r.text).length,
    requests: records.length, abandoned: records.filter((r) => r.abandoned != null).length, stuck: records.filter((r) => r.stuck).length,
    errors: records.filter((r) => r.error).map((r) => r.error).slice(0, 3),
    reused: mean(later.map((r) => r.reused).filter((x) => x != null)), prefilled: mean(later.map((r) => r.prefilled).filter((x) => x != null)),
    prefilledP95: percentile(later.map((r) => r.prefilled).filter((x) => x != null), 0.95),
    decoded: mean(later.map((r) => r.decoded)),
  };
}

const ms = (x) => (x == null ? '—' : x === Infinity ? 'not shown' : `${Math.round(x)}`);
const f = (x, d = 0) => (x == null ? '—' : x.toFixed(d));
console.log(`\ntextwrap.py (${REGIONS.map(([a, b]) => `lines ${a}–${b}`).join(', ')}) typed back, ${nKeys} keystrokes, seed ${SEED}; ` +
  `${new Date().toISOString().slice(0, 10)}, headless Chromium without WebGPU, cross-origin isolated, ${THREADS} threads\n`);
console.log('| model | engine | first suggestion ms (each region) | pauses: shown (empty) | text appears P50 / P95 ms | whole suggestion P50 / P95 ms | requests (abandoned; abort not landed 2 min after the end) | tokens reused / prefilled per request (P95 prefilled) | tokens generated |');
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.model} | ${r.engine} | ${r.first.map(ms).join(', ')} | ${r.shown}/${r.pauses} (${r.empty}) | ${ms(r.seenP50)} / ${ms(r.seenP95)} | ${ms(r.p50)} / ${ms(r.p95)} | ${r.requests} (${r.abandoned}; ${r.stuck}) | ${f(r.reused)} / ${f(r.prefilled)} (${f(r.prefilledP95)}) | ${f(r.decoded, 1)} |`);
}
