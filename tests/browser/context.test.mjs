// www/context.js, the window the app (and the keystroke benchmark) sends around the cursor: its
// start does not move while the user types, stablePart stays a prefix of every request on the
// cursor's line, and the text after the cursor shrinks with the engine's prefill rate but always
// keeps the next line. Plain node, no browser. Run: `make test-app` (first).
import assert from 'node:assert/strict';
import { around, FimPolicy, PrefillRate, PREFIX_CHARS, PREFIX_STEP, stablePart, SUFFIX_BUDGET_MS, SUFFIX_CHARS, windowStart } from '../../www/context.js';

const lines = Array.from({ length: 400 }, (_, i) => `    value_${i} = compute(value_${i - 1}, ${i})  # line ${i}`);
const doc = `def f():\n${lines.join('\n')}\n`;
let checks = 0;
const ok = (cond, what) => {
  assert.ok(cond, what);
  checks++;
};

// Typing at the end of a line deep in the file: the window's start moves once per PREFIX_STEP typed.
const at = doc.indexOf('value_300 =');
let text = doc, pos = at, starts = new Set(), moves = 0, last = windowStart(text, pos);
for (let i = 0; i < 2 * PREFIX_STEP; i++) {
  text = text.slice(0, pos) + 'x' + text.slice(pos);
  pos++;
  const s = windowStart(text, pos);
  if (s !== last) moves++;
  last = s;
  starts.add(s);
  const { prompt } = around(text, pos);
  ok(prompt.length <= PREFIX_CHARS && prompt.length >= PREFIX_CHARS - PREFIX_STEP - 200, `prompt length ${prompt.length}`);
  ok(s === 0 || text[s - 1] === '\n', 'the window starts at a line');
}
ok(moves === 2, `typing ${2 * PREFIX_STEP} characters moved the window start ${moves} times`);

// stablePart: a prefix of every request while the user types on the same line.
const line0 = doc.indexOf('    value_200');
const base = stablePart(doc, line0);
let d = doc, p = line0;
for (const ch of 'result = value_199 + 1') {
  d = d.slice(0, p) + ch + d.slice(p);
  p++;
  ok(around(d, p).prompt.startsWith(base.prompt), 'stablePart is a prefix of the request');
}
ok(base.prompt.endsWith('\n'), 'stablePart ends at the line start');

// The suffix: SUFFIX_CHARS cut at a line's end; a smaller limit still keeps the next line.
const mid = doc.indexOf('compute(value_100');
const full = around(doc, mid).suffix;
ok(full.length <= SUFFIX_CHARS && full.endsWith('\n'), `full suffix ${full.length} chars`);
const restAndNext = doc.slice(mid, doc.indexOf('\n', doc.indexOf('\n', mid) + 1) + 1);
ok(around(doc, mid, 0).suffix === restAndNext, 'limit 0: the rest of the line and the next one');
ok(around(doc, doc.length - 3, 0).suffix === doc.slice(doc.length - 3), 'at the end of the file: what is left');

// FimPolicy: FIM only where re-prefilling the suffix fits the budget, with hysteresis.
const suffix = 'x'.repeat(600); // ≈ 200 tokens
const p1 = new FimPolicy();
ok(p1.fim(null, suffix) === false, 'no rate yet: not FIM');
ok(p1.fim(55, suffix) === false, 'a slow engine (55 tok/s, a 200-token suffix takes 3.6 s): not FIM');
ok(p1.fim(5000, suffix) === true, 'a fast one (40 ms): FIM');
const edge = (200 / (SUFFIX_BUDGET_MS / 1000)); // the rate at which it takes the budget exactly
ok(p1.fim(edge, suffix) === true && p1.fim(edge * 0.9, suffix) === true, 'near the limit it keeps its layout');
ok(p1.fim(edge * 0.7, suffix) === false, 'well below it switches off');
ok(p1.fim(edge, suffix) === false && p1.fim(edge * 1.5, suffix) === true, 'and on again only well above it');

// PrefillRate: completions that prefilled ≥ 16 tokens, the mean of the last five.
const r = new PrefillRate();
ok(r.value === null, 'no rate before a completion');
r.update({ prefillTokens: 4, prefillMs: 1 });
ok(r.value === null, 'a 4-token prefill says nothing');
for (const ms of [1000, 1000, 1000, 1000, 1000, 500]) r.update({ prefillTokens: 100, prefillMs: ms });
ok(Math.abs(r.value - 120) < 1e-9, `mean of the last five: ${r.value}`);
console.log(`context: all ${checks} checks passed`);
