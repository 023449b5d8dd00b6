import { startServer, launch, openPackagePage, ROOT, MODEL_DIR, MODEL_FILE, check, run } from './harness.mjs';
await run('threads-adhoc', async (defer) => {
  const env = { HEARTH_ISOLATE: '1' };
  const server = await startServer(8831, { '/': ROOT }, env); defer(() => server.stop());
  const models = await startServer(8832, { '/models': MODEL_DIR }, env); defer(() => models.stop());
  const browser = await launch({}, { webgpu: false }); defer(() => browser.close());
  const page = await openPackagePage(browser, server);
  page.on('console', (m) => console.log('  page:', m.type(), m.text()));
  console.log('isolated', await page.evaluate(() => crossOriginIsolated), 'cores', await page.evaluate(() => navigator.hardwareConcurrency));
  const url = `${models.url}/models/${MODEL_FILE}`;
  const prompt = 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n' + '# a comment line to make the prompt longer\n'.repeat(8);
  for (const threads of [1, 2, 1, 2]) {
    const r = await page.evaluate(async ({ url, threads, prompt }) => {
      const e = await hearth.createEngine(url, { backend: 'cpu', threads, id: 'm' });
      const info = await e.info();
      await e.complete({ prompt: 'x', maxTokens: 2, temperature: 0 });
      const c = await e.complete({ prompt, maxTokens: 48, temperature: 0, stop: [] , mode: 'free' });
      await e.unload();
      return { build: info.wasmBuild, threads: info.threads, adapter: info.adapter, t: c.timings, toks: c.tokens.join(',') };
    }, { url, threads, prompt });
    console.log(JSON.stringify({ ...r, toks: r.toks.slice(0, 60), prefillTps: (r.t.prefillTokens / r.t.prefillMs * 1000).toFixed(1), decodeTps: (r.t.decodeTokens / r.t.decodeMs * 1000).toFixed(1) }));
  }
});
