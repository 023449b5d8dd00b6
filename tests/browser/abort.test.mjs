// Abort anywhere: a seeded loop of loads and completions through the npm package, each aborted
// at a random point — mid-download (a fresh file or a resumed partial), mid-verify (reading the
// IndexedDB copy back), during the upload (parse, repack, GPU buffers), or mid-completion — on the
// CPU backend and on WebGPU, in a Worker and on the page. After every abort the store is
// consistent (the model is listed whole, with its sha256, or not at all), the next load works and
// fetches only what the store does not hold (whole chunks kept, nothing after them), and greedy
// tokens equal the first run's. Seed and rounds: HEARTH_ABORT_SEED, HEARTH_ABORT_ROUNDS.
// Run: `make test-abort` (part of `make test-web`).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, MODEL_DIR, MODEL_FILE, startServer, launch, openPackagePage, seededRandom, check, run } from './harness.mjs';

const PORT = Number(process.env.HEARTH_ABORT_PORT || 8797);
const SEED = Number(process.env.HEARTH_ABORT_SEED || 1);
const ROUNDS = Number(process.env.HEARTH_ABORT_ROUNDS || 20);
const MiB = 1 << 20;
const CHUNK = 8 * MiB; // 12 chunks for SmolLM2: many boundaries to land between
const PROMPT = 'def fibonacci(n):\n    ';
const N = 8;
const PHASES = ['download', 'verify', 'upload', 'complete'];

/** In the page: one round. `plan.phase` says where to abort (`at` in [0, 1): how far into it);
 *  then the same load again with no abort, a completion, and the store's listing each time. */
async function roundInPage(plan) {
  const { url, id, sha256, chunkSize, backend, worker, phase, at, pieces, uploadMs, prompt, n } = plan;
  const opts = { id, sha256, chunkSize, backend, worker };
  const listed = async () => (await hearth.listCachedModels()).find((m) => m.id === id) || null;
  const controller = new AbortController();
  let where = null;
  let tAbort = 0;
  let loading = true; // a load's abort point may come after it has finished: then it is not taken
  const abort = (what) => {
    if (controller.signal.aborted || (loading && phase === 'complete') || (!loading && phase !== 'complete')) return;
    where = what;
    tAbort = performance.now();
    controller.abort();
  };
  const out = { plan };
  try {
    const engine = await hearth.createEngine(url, {
      ...opts,
      signal: phase === 'complete' ? undefined : controller.signal,
      onProgress: (p) => {
        if (phase === 'download' && p.phase === 'download' && p.total && p.loaded >= at * p.total) abort(`download at ${p.loaded}`);
        if (phase === 'verify' && p.phase === 'verify' && p.loaded >= at * p.total) abort(`verify at ${p.loaded}`);
        // On WebGPU the upload goes a store chunk at a time (its progress interleaves with
        // verify's): abort at a point within it. The CPU backend uploads once every byte is held
        // (downloaded or verified): abort some time in.
        if (phase === 'upload' && p.phase === 'upload' && p.total && p.loaded >= at * p.total && p.loaded < p.total) {
          abort(`upload at ${p.loaded}`);
        }
        if (phase === 'upload' && p.phase !== 'upload' && p.total && p.loaded === p.total) {
          setTimeout(() => abort(`upload +${Math.round(at * uploadMs)} ms`), at * uploadMs);
        }
      },
    });
    loading = false;
    if (phase === 'complete') {
      let got = 0;
      if (pieces === 0) setTimeout(() => abort(`complete +${Math.round(at * 200)} ms`), at * 200);
      const r = await engine.complete({
        prompt, maxTokens: 64, temperature: 0, signal: controller.signal,
        onText: () => { if (++got === pieces) abort(`complete after ${got} pieces`); },
      }).then((c) => ({ ok: true, tokens: c.tokens.length }), (e) => ({ ok: false, code: e.code, name: e.name }));
      out.first = { ...r, rejectMs: performance.now() - tAbort };
      const again = await engine.complete({ prompt, maxTokens: n, temperature: 0 });
      out.next = { ok: true, tokens: again.tokens, source: 'same engine' };
    } else {
      out.first = { ok: true };
    }
    await engine.unload();
  } catch (e) {
    out.first = { ok: false, code: e.code, name: e.name, message: String(e.message), rejectMs: performance.now() - tAbort };
  }
  out.where = where;
  out.listedAfterAbort = await listed();
  if (!out.next) {
    try {
      const engine = await hearth.createEngine(url, opts);
      const info = await engine.info();
      const c = await engine.complete({ prompt, maxTokens: n, temperature: 0 });
      await engine.unload();
      out.next = { ok: true, tokens: c.tokens, source: info.source, load: info.load, backend: info.backend };
    } catch (e) {
      out.next = { ok: false, code: e.code, message: String(e.message) };
    }
  }
  out.listedAfter = await listed();
  out.usage = (await hearth.storageEstimate()).usage;
  return out;
}

await run('abort', async (defer) => {
  const server = await startServer(PORT, { '/': ROOT });
  defer(() => server.stop());
  const models = await startServer(PORT + 1, { '/models': MODEL_DIR });
  defer(() => models.stop());
  const bytes = readFileSync(join(MODEL_DIR, MODEL_FILE));
  const size = bytes.length;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const golden = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/smollm2-135m-q4_1.json'), 'utf8')).prompts[0];

  const browser = await launch();
  defer(() => browser.close());
  const page = await openPackagePage(browser, server);
  const base = { url: `${models.url}/models/${MODEL_FILE}`, id: 'abort', sha256, chunkSize: CHUNK, prompt: PROMPT, n: N };

  // The first run of each backend: its greedy tokens, and how long its upload takes.
  const ref = await page.evaluate(async ({ base, golden }) => {
    const out = {};
    for (const backend of ['cpu', 'webgpu']) {
      let held = 0;
      const engine = await hearth.createEngine(base.url, { ...base, backend, onProgress: (p) => { if (p.phase !== 'upload' && p.loaded === p.total) held = performance.now(); } });
      const uploadMs = performance.now() - held;
      const c = await engine.complete({ prompt: base.prompt, maxTokens: base.n, temperature: 0 });
      const g = await engine.complete({ prompt: golden.prompt, maxTokens: golden.greedy_must_match_len, temperature: 0 });
      await engine.unload();
      out[backend] = { tokens: c.tokens, uploadMs, golden: g.tokens };
    }
    return out;
  }, { base, golden: { prompt: golden.prompt, greedy_must_match_len: golden.greedy_must_match_len } });
  const want = golden.reference_greedy_ids.slice(0, golden.greedy_must_match_len);
  check(JSON.stringify(ref.webgpu.golden) === JSON.stringify(want), 'WebGPU: golden greedy tokens before the loop');
  console.log(`  upload: cpu ${ref.cpu.uploadMs.toFixed(0)} ms, webgpu ${ref.webgpu.uploadMs.toFixed(0)} ms; seed ${SEED}, ${ROUNDS} rounds`);

  const random = seededRandom(SEED);
  const landed = Object.fromEntries(PHASES.map((p) => [p, 0]));
  let workerRejectMax = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const phase = PHASES[Math.floor(random() * PHASES.length)];
    const backend = random() < 0.25 ? 'webgpu' : 'cpu';
    const worker = random() < 0.75;
    const at = random();
    const pieces = Math.floor(random() * 6);
    const fresh = random() < 0.5;
    // A download needs something to download: drop the whole model, and half the time a partial too.
    const before = await page.evaluate(async ({ id, phase, fresh }) => {
      let m = (await hearth.listCachedModels()).find((x) => x.id === id);
      if (phase === 'download' && (m || fresh)) await hearth.deleteCachedModel(id);
      m = (await hearth.listCachedModels()).find((x) => x.id === id);
      return m ? 'whole' : 'partial or none';
    }, { id: base.id, phase, fresh });
    const plan = { ...base, backend, worker, phase, at, pieces, uploadMs: ref[backend].uploadMs };
    const r = await page.evaluate(roundInPage, plan);
    const tag = `round ${i}: ${phase} (${backend}, ${worker ? 'worker' : 'page'}, held ${before})`;
    const aborted = r.where !== null;
    const firstOk = aborted ? !r.first.ok && r.first.code === 'aborted' && r.first.name === 'AbortError' : r.first.ok;
    check(firstOk, `${tag}: ${aborted ? `aborted at ${r.where}` : 'ran to the end before its abort point'}`,
      aborted ? `rejected ${r.first.rejectMs.toFixed(0)} ms after the abort` : JSON.stringify(r.first));
    if (aborted && !r.first.ok) {
      const p = r.where.split(' ')[0];
      landed[p] = (landed[p] || 0) + 1;
      if (worker && p !== 'complete') workerRejectMax = Math.max(workerRejectMax, r.first.rejectMs);
    }
    const whole = (m) => m === null || (m.sha256 === sha256 && m.size === size);
    check(whole(r.listedAfterAbort) && whole(r.listedAfter) && r.listedAfter !== null, `${tag}: the store lists the model whole or not at all`);
    const n = r.next;
    let fetched = true;
    if (n.ok && n.load) {
      // From the store when it was listed whole; else resumed after whole chunks, each byte once.
      fetched = r.listedAfterAbort ? n.source === 'cache' && n.load.downloaded === 0
        : n.load.fromCache % CHUNK === 0 && n.load.fromCache + n.load.downloaded === size;
    }
    check(n.ok && JSON.stringify(n.tokens) === JSON.stringify(ref[backend].tokens) && fetched,
      `${tag}: the next call works, greedy tokens as at the start`,
      n.ok ? `${n.source}${n.load ? `, ${(n.load.fromCache / MiB).toFixed(0)} MiB held + ${(n.load.downloaded / MiB).toFixed(0)} MiB fetched` : ''}` : `${n.code}: ${n.message}`);
    check(r.usage < 2 * size, `${tag}: no orphaned copy in the store`, `usage ${(r.usage / 1e6).toFixed(0)} MB`);
  }
  check(PHASES.every((p) => landed[p] > 0), 'an abort landed in every phase', JSON.stringify(landed));
  check(workerRejectMax < 1000, 'in a Worker a load rejects at once on abort', `worst ${workerRejectMax.toFixed(0)} ms`);
});
