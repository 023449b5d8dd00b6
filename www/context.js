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
  const { prompt, suffix } = around(doc, pos);
  return { prompt: prompt.slice(0, prompt.lastIndexOf('\n') + 1), suffix };
}

/** `{ prompt, suffix }` around `pos` in `doc` (a string). */
export function around(doc, pos) {
  const from = windowStart(doc, pos);
  const to = Math.min(doc.length, pos + SUFFIX_CHARS);
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
