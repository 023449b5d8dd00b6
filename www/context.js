// What the editor sends around the cursor: the text before it (`prompt`) and after it (`suffix`),
// each cut at a line boundary. The engine keeps the KV cache of the longest token prefix shared
// with the last request, so the cut before the cursor must not move while the user types: its
// start is chosen in steps of PREFIX_STEP characters counted from the document's start (it moves
// once per PREFIX_STEP characters typed, not on every keystroke). The text after the cursor does
// not change while the user types at the cursor, so a window measured from the cursor is stable.
// The engine then keeps what fits its token limits (maxPrefixTokens, maxSuffixTokens), cut at line
// boundaries the same way. Shared by the app (www/app.js) and the keystroke benchmark.

/** Characters before the cursor: between PREFIX_CHARS - PREFIX_STEP and PREFIX_CHARS. */
export const PREFIX_CHARS = 3000;
export const PREFIX_STEP = 1024;
/** Characters after the cursor (≈ the engine's 256-token suffix limit for code). */
export const SUFFIX_CHARS = 700;
/** In a fill-in-the-middle prompt the text after the cursor follows the typed text, so every
 *  keystroke prefills it again. Where that takes longer than SUFFIX_BUDGET_MS at the engine's
 *  measured prefill rate, the app asks for `fim: false`: the prompt is the text before the cursor
 *  and the suffix only ends the suggestion (the stop rules), so a keystroke prefills only what was
 *  typed. Cutting the suffix short is no middle way: on HumanEval single-line infilling
 *  Qwen2.5-Coder-0.5B scores 49% pass@1 with one suffix line, 65% with the whole suffix and 67%
 *  with none (README, FIM table). */
export const SUFFIX_BUDGET_MS = 300;
const CHARS_PER_TOKEN = 3; // code, BPE vocabularies of 50–150k tokens (measured ≈ 3–4)

/** The engine's prefill rate (tokens/s): the mean of the last completions that prefilled at least
 *  16 tokens (fewer are dominated by the per-request cost); null before the first. */
export class PrefillRate {
  #rates = [];
  update(timings) {
    if (!timings || timings.prefillTokens < 16 || !(timings.prefillMs > 0)) return;
    this.#rates = [...this.#rates.slice(-4), (timings.prefillTokens / timings.prefillMs) * 1000];
  }
  get value() {
    return this.#rates.length ? this.#rates.reduce((a, b) => a + b, 0) / this.#rates.length : null;
  }
}

/** Whether to send a request as fill-in-the-middle (see SUFFIX_BUDGET_MS), with hysteresis so that
 *  a rate near the limit does not flip the prompt layout (each flip prefills the window again).
 *  Before a rate is known: not (a fast engine switches after its first completion, at little cost;
 *  a slow one never pays for a layout it cannot keep). */
export class FimPolicy {
  #on = false;
  fim(rate, suffix) {
    if (!rate) return this.#on;
    const ms = (suffix.length / CHARS_PER_TOKEN / rate) * 1000;
    if (this.#on && ms > 1.25 * SUFFIX_BUDGET_MS) this.#on = false;
    else if (!this.#on && ms < 0.75 * SUFFIX_BUDGET_MS) this.#on = true;
    return this.#on;
  }
}

/** Where `around`'s window starts for the cursor at `pos`: when it moves (once per PREFIX_STEP
 *  characters typed) the whole window is prefilled again. */
export function windowStart(doc, pos) {
  let from = Math.max(0, Math.ceil((pos - PREFIX_CHARS) / PREFIX_STEP) * PREFIX_STEP);
  if (from > 0 && doc[from - 1] !== '\n') {
    const nl = doc.indexOf('\n', from);
    if (nl >= 0 && nl < pos) from = nl + 1; // else one long line: keep its end
  }
  return from;
}

/** What to prefill (`engine.prefill`) at once when the window has moved, not waiting for the
 *  next pause: the window up to the start of the cursor's line, a prefix of every request while
 *  the user types on that line. The keystrokes do not cancel it (they would throw its work away);
 *  the pause's request then finds most of the window cached. */
export function stablePart(doc, pos) {
  const { prompt, suffix } = around(doc, pos, 0); // a request's suffix is prefilled again anyway
  return { prompt: prompt.slice(0, prompt.lastIndexOf('\n') + 1), suffix };
}

/** `{ prompt, suffix }` around `pos` in `doc` (a string); the suffix up to `suffixLimit`
 *  characters, cut at a line's end, but never short of the end of the line after the cursor's. */
export function around(doc, pos, suffixLimit = SUFFIX_CHARS) {
  const from = windowStart(doc, pos);
  const eol = doc.indexOf('\n', pos);
  const next = eol < 0 ? doc.length : doc.indexOf('\n', eol + 1);
  const to = Math.min(doc.length, Math.max(pos + suffixLimit, next < 0 ? doc.length : next + 1));
  let suffix = doc.slice(pos, to);
  if (to < doc.length && suffix.includes('\n')) suffix = suffix.slice(0, suffix.lastIndexOf('\n') + 1);
  return { prompt: doc.slice(from, pos), suffix };
}

/** Where a suggestion should end: the rest of the line when text follows the cursor on it,
 *  else the block the cursor is in. */
export function modeAt(doc, pos) {
  const end = doc.indexOf('\n', pos);
  return doc.slice(pos, end < 0 ? doc.length : end).trim() ? 'line' : 'block';
}

/** The value at fraction `q` of the sorted `xs` (nearest rank); null when empty. */
export function percentile(xs, q) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}
