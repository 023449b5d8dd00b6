// The browser benchmarks' shared prompt and measured completion (benches/browser.html, ab.html):
// the same text and the same request in every page, so that their figures compare.

/** ≈ 55 tokens a handler: 9 ≈ 500, 27 ≈ 1570. */
export const prompt = (n) => Array.from({ length: n }, (_, i) => `def handler_${i}(request, retries=${i}):\n    """Handle request number ${i}."""\n    for attempt in range(retries):\n        if request.ok():\n            return request.value * ${i}\n    raise TimeoutError('handler_${i}')\n\n`).join('');

/** Completion `i` on a hearth engine: a fresh prompt (its first line differs, so no prefix is
 *  reused), then `decode` sampled tokens (temperature 0.7, seed 1: one forward pass a token, no
 *  drafts; the same tokens on every thread count and build). Prefill and decode tok/s. */
export async function hearthRun(engine, i, handlers, decode) {
  const r = await engine.complete({ prompt: `# run ${i}\n` + prompt(handlers), maxTokens: decode, temperature: 0.7, seed: 1, ignoreEos: true, maxPrefixTokens: 4096 });
  const t = r.timings;
  return { prefill: t.prefillTokens / t.prefillMs * 1000, decode: (t.decodeTokens - 1) / t.decodeMs * 1000, promptTokens: t.prefillTokens + t.reusedTokens, tokens: r.tokens };
}
