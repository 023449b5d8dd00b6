// A flaky network and a full disk, through the npm package as a web IDE uses it: each bad server
// of tests/browser/flaky_server.py (connections dropped at random offsets, 500s, Range ignored,
// the file replaced or resized mid-download, a server that never recovers, a 404) behind
// `createEngine(url, { backend: 'cpu', sha256 })` in a Worker. Every load ends with the exact
// file (its sha256 listed in the cache) or fails with `download_failed` and lists nothing; an
// aborted load resumes, or restarts when the file changed meanwhile. A full disk (the origin's
// quota set through the DevTools protocol) fails with `storage_quota` before the body is read, or
// mid-write when the server gives no length; nothing is left behind, and a model that fits loads.
// Run: `make test-network` (part of `make test-web`).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { ROOT, MODEL_DIR, MODEL_FILE, startServer, launch, openPackagePage, check, run } from './harness.mjs';

const PORT = Number(process.env.HEARTH_NETWORK_PORT || 8795);
const MiB = 1 << 20;

/** The flaky server on PORT + 1; resolves with its URL and the sha256 of its files. */
async function startFlaky(port) {
  const proc = spawn('python3', [join(ROOT, 'tests/browser/flaky_server.py'), String(port), join(MODEL_DIR, MODEL_FILE)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout }).once('line', resolve);
    proc.once('exit', (c) => reject(new Error(`flaky_server.py exited with ${c}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    files: JSON.parse(line),
    stats: async () => (await fetch(`${url}/stats`)).json(),
    post: (path) => fetch(`${url}${path}`, { method: 'POST' }),
    stop: () => new Promise((r) => { proc.once('exit', r); proc.kill(); }),
  };
}

/** In the page: load `url` as `id` on the CPU backend in a Worker, then unload. `abortAt`:
 *  abort once this many bytes are downloaded. Returns what a caller can see. */
async function load(page, url, id, { sha256, abortAt } = {}) {
  return page.evaluate(async ({ url, id, sha256, abortAt }) => {
    const controller = new AbortController();
    const t0 = performance.now();
    let out;
    try {
      const engine = await hearth.createEngine(url, {
        id, sha256, backend: 'cpu', signal: controller.signal,
        onProgress: (p) => { if (abortAt && p.phase === 'download' && p.loaded >= abortAt) controller.abort(); },
      });
      const info = await engine.info();
      const c = await engine.complete({ prompt: 'def add(a, b):', maxTokens: 4, temperature: 0 });
      await engine.unload();
      out = { ok: true, load: info.load, source: info.source, tokens: c.tokens.length };
    } catch (e) {
      out = { ok: false, code: e.code, name: e.name, message: String(e.message) };
    }
    out.ms = performance.now() - t0;
    out.listed = (await hearth.listCachedModels()).find((m) => m.id === id) || null;
    return out;
  }, { url, id, sha256, abortAt });
}

const show = (r) => r.ok ? `${r.source}, ${r.load.attempts} connections, ${(r.load.downloaded / MiB).toFixed(1)} MiB, ${(r.ms / 1000).toFixed(1)} s`
  : `${r.code}: ${r.message.slice(0, 160)}`;

await run('network', async (defer) => {
  const server = await startServer(PORT, { '/': ROOT });
  defer(() => server.stop());
  const flaky = await startFlaky(PORT + 1);
  defer(() => flaky.stop());
  const { a: shaA, b: shaB, bigger: shaBigger, size } = flaky.files;
  const model = (mode, tag) => `${flaky.url}/${mode}/${tag}/${MODEL_FILE}`;

  // A full disk first, each in a fresh profile (so no earlier model's space is counted). Chromium
  // reports a static quota (usage + 10 GiB) to pages unless StaticStorageQuota is off; with the
  // real quota reported the download is refused before its body is read, with the static one the
  // first chunk write past the quota fails. Either way the partial's space is given back.
  for (const reported of ['real', 'static']) {
    const browser = await launch({}, { webgpu: false, args: reported === 'real' ? ['--disable-features=StaticStorageQuota'] : [] });
    defer(() => browser.close());
    const page = await openPackagePage(browser, server);
    const cdp = await page.context().newCDPSession(page);
    const quota = (bytes) => cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url, ...(bytes ? { quotaSize: bytes } : {}) });
    const usage = async () => (await page.evaluate(() => hearth.storageEstimate())).usage;
    const tag = `quota-${reported}`;
    console.log(`  quota reported to the page: ${reported}`);

    await quota(60e6);
    let r = await load(page, model('ok', tag), tag, { sha256: shaA });
    let s = (await flaky.stats())[tag];
    check(!r.ok && r.code === 'storage_quota', 'a model larger than the quota fails with storage_quota', show(r));
    if (reported === 'real') {
      check(/needs \d+ MB more/.test(r.message) && s.served < 32 * MiB, 'before the body is read',
        `${(s.served / MiB).toFixed(1)} of ${(size / MiB).toFixed(1)} MiB written by the server`);
    }
    check(r.listed === null, 'nothing is listed');
    if (reported === 'real') {
      // No length: nothing to check up front; the write that fills the disk fails.
      r = await load(page, model('nolength', `${tag}-nolength`), `${tag}-nolength`);
      check(!r.ok && r.code === 'storage_quota' && /QuotaExceeded/.test(r.message), 'without a Content-Length the write that fills the disk fails with storage_quota', show(r));
      check(r.listed === null, 'nothing is listed');
      const u = await usage();
      check(u < 4e6, 'the partial\'s space is given back', `usage ${(u / 1e6).toFixed(1)} MB`);
    }

    await quota(200e6);
    r = await load(page, model('ok', tag), tag, { sha256: shaA });
    check(r.ok && r.load.resumedAt === 0 && r.load.fromCache === 0 && r.listed?.sha256 === shaA,
      'with room, the same model loads from byte 0 (the failed partial was removed)', show(r));
    if (reported === 'real') {
      r = await load(page, model('nolength', `${tag}-nolength`), `${tag}-nolength`);
      check(r.ok && r.load.resumedAt === 0 && r.listed?.sha256 === shaA && r.listed?.size === size, 'and so does the one without a length', show(r));
    }
    await quota(0);
    await browser.close();
  }

  const browser = await launch({}, { webgpu: false });
  defer(() => browser.close());
  const page = await openPackagePage(browser, server);
  await flaky.post('/reset');

  // Connections broken at random offsets: resumed with Range, each byte fetched once.
  let r = await load(page, model('drop', 'drop'), 'drop', { sha256: shaA });
  let s = (await flaky.stats()).drop;
  check(r.ok && r.listed?.sha256 === shaA, 'dropped connections: the download resumes to the exact file', show(r));
  check(s.requests > 2 && s.ranged === s.requests - 1 && r.load.attempts === s.requests, 'one Range request per drop', JSON.stringify(s.statuses));
  check(r.load.downloaded === size && s.starts.every((x, i) => i === 0 || x > s.starts[i - 1]), 'no byte is fetched twice',
    `starts ${s.starts.map((x) => (x / MiB).toFixed(1)).join(', ')} MiB`);

  // A 500 before every response, and those responses break off.
  r = await load(page, model('flaky500', 'f500'), 'f500', { sha256: shaA });
  s = (await flaky.stats()).f500;
  check(r.ok && r.listed?.sha256 === shaA, '500s and drops: retried to the exact file', show(r));
  check(s.statuses.filter((x) => x === 500).length >= 2 && r.load.attempts === s.requests, 'every 500 retried', JSON.stringify(s.statuses));

  // Range ignored: the 200 with the whole file replaces what was held.
  r = await load(page, model('norange', 'norange'), 'norange', { sha256: shaA });
  s = (await flaky.stats()).norange;
  check(r.ok && r.listed?.sha256 === shaA, 'a server that ignores Range: started over to the exact file', show(r));
  check(s.requests === 2 && s.statuses.join() === '200,200', 'one restart', JSON.stringify(s.statuses));

  // The file changed mid-download (another ETag, same length): never spliced.
  r = await load(page, model('changed', 'changed'), 'changed');
  s = (await flaky.stats()).changed;
  check(r.ok && r.listed?.sha256 === shaB, 'a file replaced mid-download: the new file, whole', show(r));
  check(s.statuses.join() === '200,206,200' && r.load.downloaded > size, 'the resumed response is refused and the file read again from 0', JSON.stringify(s.statuses));
  r = await load(page, model('changed', 'changed-pinned'), 'changed-pinned', { sha256: shaA });
  check(!r.ok && r.code === 'download_failed' && /sha256/.test(r.message), 'with the old sha256 pinned: download_failed', show(r));
  check(r.listed === null, 'nothing is listed');

  // The file grew (same ETag, another length).
  r = await load(page, model('resized', 'resized'), 'resized');
  s = (await flaky.stats()).resized;
  check(r.ok && r.listed?.sha256 === shaBigger && r.listed?.size === size + 4096, 'a file resized mid-download: the new file, whole', show(r));
  check(s.statuses.join() === '200,206,200', 'read again from 0', JSON.stringify(s.statuses));

  // A server that never recovers, and one that has no such file: a bounded failure.
  r = await load(page, model('always500', 'down'), 'down', { sha256: shaA });
  s = (await flaky.stats()).down;
  check(!r.ok && r.code === 'download_failed' && /gave up after 5 attempts/.test(r.message), 'a server that stays down: download_failed after 5 attempts', show(r));
  check(s.requests === 5 && r.ms < 10000 && r.listed === null, 'backed off, bounded, nothing listed', `${s.requests} requests in ${(r.ms / 1000).toFixed(1)} s`);
  r = await load(page, model('missing', 'gone'), 'gone');
  s = (await flaky.stats()).gone;
  check(!r.ok && r.code === 'download_failed' && s.requests === 1 && r.listed === null, 'a 404 is not retried', show(r));

  // Aborted after the first chunk, then loaded again: it resumes where the store ends...
  const chunk = 32 * MiB;
  r = await load(page, model('switch', 'resume'), 'resume', { sha256: shaA, abortAt: chunk + 4 * MiB });
  check(!r.ok && r.code === 'aborted' && r.listed === null, 'an aborted load lists nothing', show(r));
  r = await load(page, model('switch', 'resume'), 'resume', { sha256: shaA });
  // (The abort crosses from the page to the Worker while the loopback keeps delivering, so more
  // than one chunk may be stored by then: whole chunks only, and nothing after them kept.)
  const at = r.ok ? r.load.resumedAt : -1;
  check(r.ok && at > 0 && at % chunk === 0 && at < size && r.load.fromCache === at && r.load.downloaded === size - at && r.listed?.sha256 === shaA,
    'the next load resumes after the stored chunks', show(r));
  // ...unless the file was replaced meanwhile (the stored ETag differs): then it starts over.
  r = await load(page, model('switch', 'replaced'), 'replaced', { abortAt: chunk + 4 * MiB });
  check(!r.ok && r.code === 'aborted', 'aborted again', show(r));
  await flaky.post('/flip/replaced');
  r = await load(page, model('switch', 'replaced'), 'replaced');
  s = (await flaky.stats()).replaced;
  check(r.ok && r.load.fromCache === 0 && r.load.downloaded === size && r.listed?.sha256 === shaB, 'a file replaced between loads is downloaded again, whole', show(r));
  check(s.statuses.slice(-2).join() === '206,200', 'its stale partial is refused', JSON.stringify(s.statuses));

  // A cached model of another sha256 than the one now pinned is not served: it is fetched again
  // (here the server still has the other file, so the load fails and nothing stays listed).
  r = await load(page, model('switch', 'replaced'), 'replaced', { sha256: shaA });
  check(!r.ok && r.code === 'download_failed' && r.listed === null, 'a cached model with another sha256 than pinned is not served', show(r));

  // A bad sha256 option is a typed error before any request.
  r = await load(page, model('ok', 'badsha'), 'badsha', { sha256: 'not-a-hash' });
  check(!r.ok && r.code === 'invalid_request' && !(await flaky.stats()).badsha, 'a malformed sha256 option: invalid_request, nothing fetched', show(r));
});
