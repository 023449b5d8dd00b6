// The PWA: a CodeMirror 6 editor with inline (ghost-text) completion from hearth running in a
// Worker on this device, and the choice of model. Bundled by scripts/build-app.mjs; the package is
// loaded from ./pkg/. The runtime decides where a suggestion ends (mode 'line' or 'block').
import { EditorView, keymap } from '@codemirror/view';
import { EditorState, Compartment } from '@codemirror/state';
import { basicSetup } from 'codemirror';
import { indentWithTab } from '@codemirror/commands';
import { python } from '@codemirror/lang-python';
import { javascript } from '@codemirror/lang-javascript';
import { rust } from '@codemirror/lang-rust';
import { createEngine, listCachedModels, deleteCachedModel, storageEstimate } from './pkg/index.js';
import { STOP_SEQUENCES } from './stop.js';
import { around, FimPolicy, modeAt, percentile, PrefillRate, stablePart, windowStart } from './context.js';
import { ghostText, setSuggestion } from './ghost.js';
import { MODELS, byId, modelUrl, recommend, probeDevice, explainLoadError } from './models.js';
import { renderModels, mb } from './picker.js';

const SAMPLES = {
  python: 'import math\n\n',
  javascript: '// Return the sum of an array of numbers\n',
  rust: 'use std::collections::HashMap;\n\n',
};
const LANGUAGES = { python, javascript, rust };
const LAST_MODEL = 'hearth.model'; // localStorage: catalog id of the model last loaded
const $ = (id) => document.getElementById(id);

let engine = null; // the loaded Engine
let current = null; // its catalog entry
let info = null; // its engine.info()
let loading = null; // { model, controller } of the load in flight
let inflight = null; // AbortController of the running completion
let timer = 0;
let lastStats = '';
let typedAt = 0; // performance.now() of the last keystroke: a suggestion's latency counts from it
let latencies = []; // ms from the triggering keystroke to each suggestion shown this session
let cached = new Set(); // store ids (file names) of the whole models on this device
let recommended = null; // catalog id, once the device has been probed

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

// ---- completion ------------------------------------------------------------------------------
function cancel() {
  clearTimeout(timer);
  inflight?.abort();
  inflight = null;
}

async function suggest(view) {
  if (!engine) return;
  cancel();
  const controller = new AbortController();
  inflight = controller;
  const state = view.state;
  const pos = state.selection.main.head;
  const doc = state.doc.toString();
  const { prompt, suffix } = around(doc, pos); // a window whose start does not move while typing
  const fim = fimPolicy.fim(prefillRate.value, suffix); // FIM where the engine re-prefills the suffix in time
  fimOff = !fim && prefillRate.value !== null;
  const mode = modeAt(doc, pos); // finish this line, or the block the cursor is in
  const since = typedAt;
  const language = $('language').value;
  const { maxTokens } = policy();
  let text = '';
  const show = (t) => {
    if (inflight === controller && view.state.doc === state.doc) view.dispatch({ effects: setSuggestion.of({ pos, text: t }) });
  };
  const t0 = performance.now();
  try {
    const r = await engine.complete({
      prompt, suffix, fim, mode, language, maxTokens, temperature: 0, stop: STOP_SEQUENCES[language], signal: controller.signal,
      onText: (piece) => { text += piece; show(text); },
    });
    show(r.text); // the final text ('' when it only repeated the line below the cursor)
    const t = r.timings;
    prefillRate.update(t);
    if (since) latencies.push(performance.now() - since);
    const p = (q) => Math.round(percentile(latencies, q));
    lastStats = `last: ${Math.round(performance.now() - t0)} ms, ${(t.decodeTokens / Math.max(t.decodeMs, 1) * 1000).toFixed(1)} tok/s`
      + (latencies.length ? ` · after a keystroke P50 ${p(0.5)} / P95 ${p(0.95)} ms (${latencies.length})` : '');
  } catch (e) {
    if (e.name !== 'AbortError') lastStats = `last: error ${e.code || e.message}`;
  } finally {
    if (inflight === controller) inflight = null;
    showStatus();
  }
}

/** When the context window has just moved, prefill its stable part now (not cancelled by the
 *  next keystrokes), so the next pause does not pay for the whole window (www/context.js). */
let warmStart = -1;
let prefillRate = new PrefillRate(); // the engine's, from its completions' timings
let fimPolicy = new FimPolicy(); // new with each model: its own rate decides
let fimOff = false; // the last request left FIM off (shown in the status line)
function warm(view) {
  const doc = view.state.doc.toString();
  const pos = view.state.selection.main.head;
  const start = windowStart(doc, pos);
  if (!engine || start === warmStart) return;
  const first = warmStart < 0;
  warmStart = start;
  if (first) return; // the first request after opening prefills the window anyway
  const { prompt, suffix } = stablePart(doc, pos);
  const fim = fimPolicy.fim(prefillRate.value, around(doc, pos).suffix);
  if (prompt) engine.prefill({ prompt, suffix, fim, language: $('language').value, maxTokens: 1, temperature: 0 }).catch(() => {});
}

// ---- the editor ------------------------------------------------------------------------------
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
      ghostText({ coarse: matchMedia('(pointer: coarse)').matches, onDismiss: cancel }),
      basicSetup,
      theme,
      EditorView.lineWrapping, // long lines wrap at phone widths instead of running off the screen
      keymap.of([indentWithTab]),
      language.of(python()),
      EditorView.updateListener.of((u) => {
        const typed = u.transactions.some((tr) => tr.isUserEvent('input') || tr.isUserEvent('delete') || tr.isUserEvent('undo') || tr.isUserEvent('redo'));
        if (u.docChanged && typed) {
          cancel(); // the next keystroke cancels the running completion
          typedAt = performance.now();
          warm(u.view);
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

// ---- models ----------------------------------------------------------------------------------
function showStatus() {
  if (!engine) return;
  const backend = info.backend === 'webgpu' ? 'WebGPU' : 'CPU';
  const fimState = fimOff ? ` · FIM off (prefill ${Math.round(prefillRate.value)} tok/s: the suffix only ends suggestions)` : ' · FIM';
  $('status').textContent = `ready · ${current.name}${info.fim ? fimState : ''} · ${backend}: ${info.adapter}`
    + `${lastStats ? ` · ${lastStats}` : ''}${saving() ? ' · battery saver' : ''}`;
}

/** Re-read what is cached and redraw the model list and the storage figure. */
async function refreshModels() {
  cached = new Set((await listCachedModels().catch(() => [])).map((m) => m.id));
  const state = { cached, active: current?.id ?? null, busy: loading?.model.id ?? null, recommended };
  renderModels($('models'), MODELS, state, { onUse: use, onDelete: remove });
  const { usage, quota } = await storageEstimate().catch(() => ({ usage: 0, quota: Infinity }));
  $('storage').textContent = `storage: ${mb(usage)} used${Number.isFinite(quota) ? ` of ${mb(quota)}` : ''}`;
}

/** Drop the loaded model (its Worker and GPU memory); its weights stay cached. */
async function unloadCurrent() {
  cancel();
  view.dispatch({ effects: setSuggestion.of(null) });
  const old = engine;
  engine = null;
  current = null;
  info = null;
  lastStats = '';
  latencies = [];
  await old?.unload().catch(() => {});
}

function onProgress() {
  // On WebGPU a cached model is read and uploaded a chunk at a time, so `verify` and `upload`
  // alternate: each phase's rate counts from its first event.
  const started = {};
  return ({ phase, loaded, total }) => {
    started[phase] ??= performance.now();
    const secs = (performance.now() - started[phase]) / 1000;
    const label = { download: 'Downloading', verify: 'Reading from this device', upload: 'Preparing the GPU' }[phase] || phase;
    $('phase').textContent = `${label}…`;
    $('progress').value = total ? loaded / total : 0;
    $('progress-text').textContent = `${mb(loaded)}${total ? ` / ${mb(total)}` : ''}${secs > 0.2 && phase !== 'upload' ? ` · ${mb(loaded / secs)}/s` : ''}`;
  };
}

/** Switch to `model` (downloading it first if it is not cached), without reloading the page:
 *  the old model is unloaded first, so the two never need to fit in memory at once. */
async function use(model) {
  loading?.controller.abort(); // a load still in flight loses to the newer choice
  const controller = new AbortController();
  loading = { model, controller };
  await unloadCurrent();
  if (controller.signal.aborted) return; // picked again meanwhile
  $('setup').hidden = true;
  $('loading').hidden = false;
  $('phase').textContent = 'Starting…';
  $('progress').value = 0;
  $('progress-text').textContent = '';
  $('status').textContent = `loading ${model.name}…`;
  refreshModels();
  try {
    const e = await createEngine(modelUrl(model), { id: model.file, sha256: model.sha256, signal: controller.signal, onProgress: onProgress() });
    const i = await e.info().catch(async (err) => { await e.unload().catch(() => {}); throw err; });
    if (controller.signal.aborted) { await e.unload().catch(() => {}); return; }
    engine = e;
    [prefillRate, fimPolicy, warmStart, fimOff] = [new PrefillRate(), new FimPolicy(), -1, false];
    current = model;
    info = i;
    window.hearthEngineInfo = i; // for benches/start.mjs and the console
    localStorage.setItem(LAST_MODEL, model.id);
    $('loading').hidden = true;
    showStatus();
    view.focus();
  } catch (err) {
    if (controller.signal.aborted) return; // another model was picked, or this one deleted
    $('loading').hidden = true;
    $('setup').hidden = false;
    $('status').textContent = explainLoadError(err, model);
  } finally {
    if (loading?.controller === controller) loading = null;
    refreshModels();
  }
}

/** Delete `model`'s weights from this device (unloading it first when it is the one in use). */
async function remove(model) {
  if (loading?.model.id === model.id) {
    loading.controller.abort();
    loading = null;
    $('loading').hidden = true;
  }
  if (current?.id === model.id) await unloadCurrent();
  if (localStorage.getItem(LAST_MODEL) === model.id) localStorage.removeItem(LAST_MODEL);
  try {
    await deleteCachedModel(model.file);
    if (!engine) $('status').textContent = `${model.name} deleted from this device`;
  } catch (e) {
    $('status').textContent = `error deleting ${model.name}: ${e.code || ''} ${e.message}`;
  }
  if (!engine && !loading) $('setup').hidden = false;
  await refreshModels();
}

// The header's Model button opens and closes the list; with no model loaded it stays open.
$('model').onclick = () => {
  if (engine || loading) $('setup').hidden = !$('setup').hidden;
  refreshModels();
};

(async () => {
  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('sw.js').then((reg) => {
      reg.addEventListener('updatefound', () => {
        if (navigator.serviceWorker.controller) $('update').hidden = false;
      });
    }).catch(() => {});
  }
  probeDevice().then((device) => { recommended = recommend(device); refreshModels(); });
  await refreshModels();
  // No question to ask when a model is already on this device: the last one used, else any.
  const start = [byId(localStorage.getItem(LAST_MODEL)), ...MODELS].find((m) => m && cached.has(m.file));
  if (start) use(start);
  else {
    $('setup').hidden = false;
    $('status').textContent = 'no model on this device yet: pick one above';
  }
})();
