// Stop rules: where a suggestion ends, so a completion finishes the current line or block
// instead of running on. Pure functions of the text (tested in tests/browser/app.test.mjs).

/** Engine-side stop sequences per language (cheap early exits). */
export const STOP_SEQUENCES = {
  python: ['\n\n\n', '\nif __name__', '\nclass ', '\n@'],
  javascript: ['\n\n\n', '\nexport ', '\nimport '],
  rust: ['\n\n\n', '\nuse ', '\n#['],
};

const indentOf = (line) => line.length - line.trimStart().length;

/**
 * Trim `text` (generated at the cursor) to what belongs to the current line or block.
 * `before`: the document up to the cursor; `after`: the rest of the cursor's line.
 * Returns { text, done }: done = the rule cut it (no need to generate more).
 */
export function trimSuggestion(text, language, before, after) {
  // Mid-line: complete the line only.
  if (after.trim() !== '') {
    const nl = text.indexOf('\n');
    return nl >= 0 ? { text: text.slice(0, nl), done: true } : { text, done: false };
  }
  const lines = before.split('\n');
  const current = lines[lines.length - 1];
  if (language === 'python') {
    // The block the cursor opens or sits in: its header's indentation bounds the suggestion.
    let base = indentOf(current);
    const header = [...lines].reverse().find((l) => l.trim() !== '');
    if (header !== undefined && header.trimEnd().endsWith(':')) base = indentOf(header);
    else base = Math.max(0, indentOf(header ?? '') - 1);
    const out = text.split('\n');
    for (let i = 1; i < out.length; i++) {
      const l = out[i];
      if (l.trim() !== '' && indentOf(l) <= base) {
        return { text: out.slice(0, i).join('\n').trimEnd(), done: true };
      }
    }
    return { text, done: false };
  }
  // Brace languages: stop after the brace that closes the block the cursor is in, or after a
  // block the suggestion opened and closed itself at the cursor's level.
  let depth = 0;
  let opened = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') { depth++; opened = true; }
    else if (c === '}') {
      depth--;
      if (depth < 0 || (depth === 0 && opened)) {
        return { text: text.slice(0, i + 1), done: true };
      }
    }
  }
  const blank = text.indexOf('\n\n');
  if (depth === 0 && blank > 0 && text.slice(0, blank).trim() !== '') return { text: text.slice(0, blank), done: true };
  return { text, done: false };
}
