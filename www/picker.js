// The model list of the first-run screen (and of the header's Model button): each catalog model
// with its size and blurb, a Recommended badge, and Download/Use and Delete buttons that follow
// what is cached and what is loaded. Only draws; app.js owns loading and deleting.

export const mb = (n) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${(n / 1e6).toFixed(1)} MB`);

const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

/** What a model's main button does: download it, switch to it, or nothing (it is loaded). */
function useLabel(model, { cached, active, busy }) {
  if (model.id === active) return 'In use';
  if (model.id === busy) return 'Loading…';
  return cached.has(model.file) ? 'Use' : 'Download';
}

/**
 * Draw `models` into `list` (a <ul>). `state`: { cached: Set of store ids (file names),
 * active: id of the loaded model or null, busy: id being loaded or null, recommended: id }.
 * `onUse(model)` and `onDelete(model)` are called from the buttons.
 */
export function renderModels(list, models, state, { onUse, onDelete }) {
  list.replaceChildren(...models.map((m) => {
    const cached = state.cached.has(m.file);
    const title = el('b', {}, m.name);
    const head = el('div', { className: 'model-head' }, title);
    if (m.id === state.recommended) {
      const badge = el('span', { className: 'badge' }, 'Recommended');
      badge.dataset.testid = `recommended-${m.id}`;
      head.append(badge);
    }
    if (m.fim) head.append(el('span', { className: 'tag' }, 'FIM'));
    const about = el('div', { className: 'model-about' }, `${mb(m.bytes)} · ${m.blurb}${cached ? ' · on this device' : ''}`);
    const use = el('button', {
      className: cached ? 'use' : 'download',
      textContent: useLabel(m, state),
      disabled: m.id === state.active || m.id === state.busy,
      onclick: () => onUse(m),
    });
    use.dataset.testid = `download-${m.id}`;
    const del = el('button', { className: 'delete', textContent: 'Delete', hidden: !cached, disabled: m.id === state.busy, onclick: () => onDelete(m) });
    del.dataset.testid = `delete-${m.id}`;
    const li = el('li', { className: 'model' }, el('div', { className: 'model-text' }, head, about), el('div', { className: 'model-buttons' }, use, del));
    li.dataset.testid = `model-${m.id}`;
    return li;
  }));
}
