// Stop sequences the app sends with each completion: cheap early exits the engine checks as it
// generates. Where a suggestion ends (the line, the block) the runtime decides itself from
// `mode` and `language` (src/stop.rs); the app does no trimming of its own.

/** Engine-side stop sequences per language. */
export const STOP_SEQUENCES = {
  python: ['\n\n\n', '\nif __name__', '\nclass ', '\n@'],
  javascript: ['\n\n\n', '\nexport ', '\nimport '],
  rust: ['\n\n\n', '\nuse ', '\n#['],
};
