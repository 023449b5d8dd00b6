// The PWA: a CodeMirror 6 editor with inline (ghost-text) completion from hearth running in a
// Worker on this device. Bundled by scripts/build-app.sh; the package is loaded from ./pkg/.
import { EditorView, Decoration, WidgetType, keymap } from '@codemirror/view';
import { EditorState, StateField, StateEffect, Prec, Compartment } from '@codemirror/state';
import { basicSetup } from 'codemirror';
import { indentWithTab } from '@codemirror/commands';
import { python } from '@codemirror/lang-python';
import { javascript } from '@codemirror/lang-javascript';
import { rust } from '@codemirror/lang-rust';
import { createEngine, listCachedModels, deleteCachedModel, storageEstimate } from './pkg/index.js';
import { STOP_SEQUENCES, trimSuggestion } from './stop.js';

const MODEL = { id: 'SmolLM2-135M-Instruct.Q4_1.gguf', url: 'models/SmolLM2-135M-Instruct.Q4_1.gguf', name: 'SmolLM2-135M (Q4_1)', size: 98362432 };
const SAMPLES = {
  python: 'import math\n\n',
  javascript: '// Return the sum of an array of numbers\n',
  rust: 'use std::collections::HashMap;\n\n',
};
const LANGUAGES = { python, javascript, rust };
const $ = (id) => document.getElementById(id);
const mb = (n) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${(n / 1e6).toFixed(1)} MB`);

let engine = null;
let inflight = null; // AbortController of the running completion
let timer = 0;
let lastStats = '';
const coarse = matchMedia('(pointer: coarse)').matches;

// ---- battery awareness -------------------------------------------------------------------
let battery = null;
navigator.getBattery?.().then((b) => {
  battery = b;
  for (const ev of ['levelchange', 'chargingchange']) b.addEventListener(ev, showStatus);
  showStatus();
}).catch(() => {});
$('saver').value = localStorage.getItem('hearth.saver') || 'auto';
$('saver').onchange = () => { localStorage.setItem('hearth.saver', $('saver').value); showStatus(); };
function saving() {
  const mode = $('saver').value;
  if (mode !== 'auto') return mode === 'on';
  return !!battery && !battery.charging && battery.level <= 0.2;
}
/** Pause before completing, and how much to generate: less on a low battery. */
const policy = () => (saving() ? { debounceMs: 900, maxTokens: 16 } : { debounceMs: 350, maxTokens: 48 });

// ---- ghost text ----------------------------------------------------------------------------
const setSuggestion = StateEffect.define();
class Ghost extends WidgetType {
  constructor(text) { super(); this.text = text; }
  eq(other) { return other.text === this.text; }
  toDOM(view) {
    const span = document.createElement('span');
    span.className = 'ghost';
    span.dataset.testid = 'suggestion';
    span.textContent = this.text;
    if (coarse) {
      const b = document.createElement('button');
      b.className = 'accept';
      b.dataset.testid = 'accept';
      b.textContent = 'Accept';
      b.onmousedown = (e) => e.preventDefault();
      b.onclick = () => accept(view);
      span.append(b);
    }
    return span;
  }
  ignoreEvent() { return false; }
}
const suggestion = StateField.define({
  create: () => null,
  update(value, tr) {
    for (const e of tr.effects) if (e.is(setSuggestion)) return e.value;
    return tr.docChanged || tr.selection ? null : value;
  },
  provide: (f) => EditorView.decorations.from(f, (s) => (s && s.text
    ? Decoration.set([Decoration.widget({ widget: new Ghost(s.text), side: 1 }).range(s.pos)])
    : Decoration.none)),
});
function accept(view) {
  const s = view.state.field(suggestion);
  if (!s || !s.text) return false;
  view.dispatch({ changes: { from: s.pos, insert: s.text }, selection: { anchor: s.pos + s.text.length }, userEvent: 'input.complete' });
  view.focus();
  return true;
}
function dismiss(view) {
  if (!view.state.field(suggestion)) return false;
  cancel();
  view.dispatch({ effects: setSuggestion.of(null) });
  return true;
}
function cancel() {
  clearTimeout(timer);
  inflight?.abort();
  inflight = null;
}

// ---- completion ------------------------------------------------------------------------------
async function suggest(view) {
  if (!engine) return;
  cancel();
  const controller = new AbortController();
  inflight = controller;
  const state = view.state;
  const pos = state.selection.main.head;
  const line = state.doc.lineAt(pos);
  const before = state.doc.sliceString(Math.max(0, pos - 4000), pos);
  const after = state.doc.sliceString(pos, line.to);
  const language = $('language').value;
  const { maxTokens } = policy();
  let raw = '';
  const show = (text) => {
    if (inflight === controller && view.state.doc === state.doc) view.dispatch({ effects: setSuggestion.of({ pos, text }) });
  };
  const t0 = performance.now();
  try {
    const r = await engine.complete({
      prompt: before, maxTokens, temperature: 0, stop: STOP_SEQUENCES[language], signal: controller.signal,
      onText: (piece) => {
        raw += piece;
        const t = trimSuggestion(raw, language, before, after);
        show(t.text);
        if (t.done) controller.abort(); // the line or block is complete: stop generating
      },
    });
    show(trimSuggestion(r.text, language, before, after).text);
    const t = r.timings;
    lastStats = `last: ${Math.round(performance.now() - t0)} ms, ${(t.decodeTokens / Math.max(t.decodeMs, 1) * 1000).toFixed(1)} tok/s`;
  } catch (e) {
    if (e.name !== 'AbortError') lastStats = `last: error ${e.code || e.message}`;
    else if (raw) lastStats = `last: ${Math.round(performance.now() - t0)} ms (stopped at the end of the ${after.trim() ? 'line' : 'block'})`;
  } finally {
    if (inflight === controller) inflight = null;
    showStatus();
  }
}

const theme = EditorView.theme({
  '&': { color: '#e6e1cf', backgroundColor: '#1f2430' },
  '.cm-gutters': { backgroundColor: '#1a1f29', color: '#5c6370', border: 'none' },
  '.cm-activeLine': { backgroundColor: '#262c3a' },
  '.cm-activeLineGutter': { backgroundColor: '#262c3a' },
  '.cm-cursor': { borderLeftColor: '#ffcc66' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground': { backgroundColor: '#3a4356' },
}, { dark: true });

const language = new Compartment();
const view = new EditorView({
  parent: $('editor'),
  state: EditorState.create({
    doc: SAMPLES.python,
    selection: { anchor: SAMPLES.python.length },
    extensions: [
      Prec.highest(keymap.of([{ key: 'Tab', run: accept }, { key: 'Escape', run: dismiss }])),
      basicSetup,
      theme,
      keymap.of([indentWithTab]),
      language.of(python()),
      suggestion,
      EditorView.updateListener.of((u) => {
        const typed = u.transactions.some((tr) => tr.isUserEvent('input') || tr.isUserEvent('delete') || tr.isUserEvent('undo') || tr.isUserEvent('redo'));
        if (u.docChanged && typed) {
          cancel(); // the next keystroke cancels the running completion
          timer = setTimeout(() => suggest(u.view), policy().debounceMs);
        }
      }),
    ],
  }),
});
window.hearthEditor = view; // for tests and the console

$('language').onchange = () => {
  const lang = $('language').value;
  cancel();
  view.dispatch({
    effects: language.reconfigure(LANGUAGES[lang]()),
    changes: { from: 0, to: view.state.doc.length, insert: SAMPLES[lang] },
    selection: { anchor: SAMPLES[lang].length },
  });
  view.focus();
};

// ---- model lifecycle -------------------------------------------------------------------------
let info = null;
function showStatus() {
  const s = $('status');
  if (!engine) return;
  const backend = info.backend === 'webgpu' ? 'WebGPU' : 'CPU';
  s.textContent = `ready · ${backend}: ${info.adapter} · ${info.model}${lastStats ? ` · ${lastStats}` : ''}${saving() ? ' · battery saver' : ''}`;
}

async function showStorage() {
  const { usage, quota } = await storageEstimate();
  $('storage').textContent = `storage: ${mb(usage)} used${Number.isFinite(quota) ? ` of ${mb(quota)}` : ''}`;
  $('delete').hidden = !(await listCachedModels()).some((m) => m.id === MODEL.id);
}

async function load() {
  $('setup').hidden = true;
  $('loading').hidden = false;
  $('status').textContent = 'loading model…';
  let t0 = performance.now();
  let lastPhase = '';
  try {
    engine = await createEngine(MODEL.url, {
      id: MODEL.id,
      onProgress: ({ phase, loaded, total }) => {
        if (phase !== lastPhase) { lastPhase = phase; t0 = performance.now(); }
        const secs = (performance.now() - t0) / 1000;
        const label = { download: 'Downloading', verify: 'Reading from this device', upload: 'Preparing the GPU' }[phase] || phase;
        $('phase').textContent = `${label}…`;
        $('progress').value = total ? loaded / total : 0;
        $('progress-text').textContent = `${mb(loaded)}${total ? ` / ${mb(total)}` : ''}${secs > 0.2 && phase !== 'upload' ? ` · ${mb(loaded / secs)}/s` : ''}`;
      },
    });
    info = await engine.info();
    $('loading').hidden = true;
    showStatus();
    showStorage();
    view.focus();
  } catch (e) {
    $('loading').hidden = true;
    $('setup').hidden = false;
    $('status').textContent = `error: ${e.code || ''} ${e.message}`;
  }
}

$('delete').onclick = async () => {
  cancel();
  await engine?.unload();
  engine = null;
  await deleteCachedModel(MODEL.id);
  $('status').textContent = 'model deleted';
  await showStorage();
  $('setup').hidden = false;
};
$('download').onclick = load;
$('model-name').textContent = MODEL.name;
$('model-size').textContent = mb(MODEL.size);

(async () => {
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js').then((reg) => {
      reg.addEventListener('updatefound', () => {
        if (navigator.serviceWorker.controller) $('update').hidden = false;
      });
    }).catch(() => {});
  }
  await showStorage().catch(() => {});
  const cached = (await listCachedModels().catch(() => [])).some((m) => m.id === MODEL.id);
  if (cached) load(); // no question to ask: the model is already on this device
  else { $('setup').hidden = false; $('status').textContent = 'the model is not on this device yet'; }
})();
