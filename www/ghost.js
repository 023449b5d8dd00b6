// Ghost text for CodeMirror 6: one suggestion ({ pos, text }) drawn after the cursor, Tab accepts
// it, Esc dismisses it, and touch screens get an Accept button. Any edit or cursor move clears it.
import { EditorView, Decoration, WidgetType, keymap } from '@codemirror/view';
import { StateField, StateEffect, Prec } from '@codemirror/state';

/** Dispatch `setSuggestion.of({ pos, text })` to show a suggestion, `.of(null)` to clear it. */
export const setSuggestion = StateEffect.define();

class Ghost extends WidgetType {
  /** `onAccept`: null, or what the Accept button (touch screens) calls with the view. */
  constructor(text, onAccept) { super(); this.text = text; this.onAccept = onAccept; }
  eq(other) { return other.text === this.text; }
  toDOM(view) {
    const span = document.createElement('span');
    span.className = 'ghost';
    span.dataset.testid = 'suggestion';
    span.textContent = this.text;
    if (this.onAccept) {
      const b = document.createElement('button');
      b.className = 'accept';
      b.dataset.testid = 'accept';
      b.textContent = 'Accept';
      b.onmousedown = (e) => e.preventDefault();
      b.onclick = () => this.onAccept(view);
      span.append(b);
    }
    return span;
  }
  ignoreEvent() { return false; }
}

/** The extensions. `coarse`: draw an Accept button (touch screen); `onDismiss()`: Esc was pressed
 *  over a suggestion (cancel the completion that feeds it). */
export function ghostText({ coarse = false, onDismiss = () => {} } = {}) {
  const field = StateField.define({
    create: () => null,
    update(value, tr) {
      for (const e of tr.effects) if (e.is(setSuggestion)) return e.value;
      return tr.docChanged || tr.selection ? null : value;
    },
    provide: (f) => EditorView.decorations.from(f, (s) => (s && s.text
      ? Decoration.set([Decoration.widget({ widget: new Ghost(s.text, coarse ? accept : null), side: 1 }).range(s.pos)])
      : Decoration.none)),
  });
  // Insert the shown suggestion; false (key not handled, Tab indents) when there is none.
  function accept(view) {
    const s = view.state.field(field);
    if (!s || !s.text) return false;
    view.dispatch({ changes: { from: s.pos, insert: s.text }, selection: { anchor: s.pos + s.text.length }, userEvent: 'input.complete' });
    view.focus();
    return true;
  }
  function dismiss(view) {
    if (!view.state.field(field)) return false;
    onDismiss();
    view.dispatch({ effects: setSuggestion.of(null) });
    return true;
  }
  return [Prec.highest(keymap.of([{ key: 'Tab', run: accept }, { key: 'Escape', run: dismiss }])), field];
}
