//! Where a suggestion ends, as an editor wants it: `line` ends at the first newline, `block` when a
//! generated line leaves the block the cursor is in (indentation for Python-like languages, the
//! closing brace for brace languages), `free` only at end-of-generation, the stop sequences or the
//! token limit. And a suggestion that only repeats the suffix's next line is dropped. Pure
//! functions of the text, run by the engine on every piece so every embedder gets them.

/// How far a suggestion may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StopMode {
    /// To the end of the cursor's line.
    Line,
    /// To the end of the block the cursor is in.
    Block,
    /// No rule.
    #[default]
    Free,
}

impl StopMode {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "line" => Some(StopMode::Line),
            "block" => Some(StopMode::Block),
            "free" => Some(StopMode::Free),
            _ => None,
        }
    }
}

/// Languages whose blocks are delimited by indentation rather than braces.
const INDENT_LANGUAGES: [&str; 6] = ["python", "py", "yaml", "nim", "coffeescript", "haskell"];

/// What the rules look at besides the generated text.
#[derive(Debug, Clone, Default)]
pub struct Cursor<'a> {
    /// The document up to the cursor.
    pub before: &'a str,
    /// The document after the cursor.
    pub after: &'a str,
    /// e.g. "python", "javascript"; None: guessed from `before`.
    pub language: Option<&'a str>,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Bytes of `text` (generated at the cursor) that belong to the suggestion under `mode`, and
/// whether the rule has ended it (generating more cannot change it).
pub fn trim(text: &str, mode: StopMode, cur: &Cursor<'_>) -> (usize, bool) {
    let rest_of_line = cur.after.split('\n').next().unwrap_or("");
    // Mid-line (something after the cursor on its line), or line mode: this line only.
    if mode == StopMode::Line || (mode == StopMode::Block && !rest_of_line.trim().is_empty()) {
        return match text.find('\n') {
            Some(nl) => (nl, true),
            None => (text.len(), false),
        };
    }
    if mode == StopMode::Free {
        return (text.len(), false);
    }
    // Runs on every generated piece: read the prefix back from the cursor, only as far as its
    // last non-blank line, never the whole document.
    let current = cur.before.rsplit('\n').next().unwrap_or("");
    let header = cur.before.rsplit('\n').find(|l| !l.trim().is_empty());
    let indent_language = match cur.language {
        Some(l) => INDENT_LANGUAGES.contains(&l.to_ascii_lowercase().as_str()),
        None => header.is_some_and(|h| h.trim_end().ends_with(':')),
    };
    if indent_language {
        // The block the cursor opens or sits in: its header's indentation bounds the suggestion.
        let base = match header {
            Some(h) if h.trim_end().ends_with(':') => indent_of(h),
            Some(h) => indent_of(h).max(indent_of(current)).saturating_sub(1),
            None => 0,
        };
        let mut at = 0;
        for (i, l) in text.split('\n').enumerate() {
            if i > 0 && !l.trim().is_empty() && indent_of(l) <= base {
                return (text[..at].trim_end().len(), true);
            }
            at += l.len() + 1;
        }
        return (text.len(), false);
    }
    // Brace languages: stop after the brace that closes the block the cursor is in, or after a
    // block the suggestion opened and closed itself at the cursor's level.
    let (mut depth, mut opened) = (0i32, false);
    for (i, c) in text.char_indices() {
        match c {
            '{' => {
                depth += 1;
                opened = true;
            }
            '}' => {
                depth -= 1;
                if depth < 0 || (depth == 0 && opened) {
                    return (i + 1, true);
                }
            }
            _ => {}
        }
    }
    if depth == 0 {
        if let Some(blank) = text.find("\n\n") {
            if !text[..blank].trim().is_empty() {
                return (blank, true);
            }
        }
    }
    (text.len(), false)
}

/// A suggestion that only repeats what follows the cursor (its first non-blank line) adds nothing.
pub fn repeats_suffix(suggestion: &str, after: &str) -> bool {
    let s = suggestion.trim();
    if s.is_empty() {
        return false;
    }
    let next = after.split('\n').map(str::trim).find(|l| !l.is_empty());
    next.is_some_and(|n| n == s || (s.lines().count() == 1 && n.starts_with(s) && s.len() * 2 >= n.len()))
}

/// Whether `first_line` (the suggestion's first line so far, no newline yet) could still turn
/// into one that `repeats_suffix` drops: only while its text is a prefix of the next non-blank
/// line after the cursor. Once false it stays false as text is added, so the line can stream.
pub fn may_repeat_suffix(first_line: &str, after: &str) -> bool {
    let s = first_line.trim();
    let next = after.split('\n').map(str::trim).find(|l| !l.is_empty());
    next.is_some_and(|n| n.starts_with(s))
}

/// The suggestion in the model's text `raw` after `lead` (`prompt::view_after_lead`): None when
/// the model did not open the cursor's line; "" while its indentation is still being written.
pub(crate) fn suggestion(raw: &str, lead: &str, optional: bool) -> Option<String> {
    if lead.is_empty() {
        return Some(raw.to_string());
    }
    match crate::prompt::view_after_lead(raw, lead, optional) {
        crate::prompt::LeadView::Pending => Some(String::new()),
        crate::prompt::LeadView::Off => None,
        crate::prompt::LeadView::At(skip, extra) => Some(extra + &raw[skip..]),
    }
}

/// How much of `text` may be streamed before the stop rules have seen more: nothing of the first
/// line while it may still turn out to repeat the suffix (`first_line_known` false), and in
/// `block` mode no trailing whitespace that spans a newline (the next line may leave the block).
pub(crate) fn held_for_rules(text: &str, mode: StopMode, first_line_known: bool) -> usize {
    if !first_line_known {
        return 0;
    }
    let body = text.trim_end();
    if mode == StopMode::Block && text[body.len()..].contains('\n') {
        return body.len();
    }
    text.len()
}

/// Byte offset of the earliest stop sequence in `text`.
pub(crate) fn find_stop(text: &str, stop: &[String]) -> Option<usize> {
    stop.iter().filter(|s| !s.is_empty()).filter_map(|s| text.find(s.as_str())).min()
}

/// Length of the longest suffix of `text` that begins some stop sequence (held back while
/// streaming, since the next token may complete it).
pub(crate) fn held_back(text: &str, stop: &[String]) -> usize {
    let mut held = 0;
    for s in stop {
        for (i, _) in s.char_indices().skip(1) {
            if text.ends_with(&s[..i]) {
                held = held.max(i);
            }
        }
    }
    held
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur<'a>(before: &'a str, after: &'a str, language: Option<&'a str>) -> Cursor<'a> {
        Cursor { before, after, language }
    }

    #[test]
    fn line_mode_ends_at_the_newline() {
        assert_eq!(trim("a + b\n    c", StopMode::Line, &cur("x = ", "", None)), (5, true));
        assert_eq!(trim("a + b", StopMode::Line, &cur("x = ", "", None)), (5, false));
    }

    #[test]
    fn block_mode_mid_line_is_line_mode() {
        assert_eq!(trim("a, b\nfoo", StopMode::Block, &cur("f(", ")\n", None)), (4, true));
    }

    #[test]
    fn python_block_ends_at_a_dedent() {
        let before = "def f(x):\n    ";
        let text = "y = x + 1\n    return y\n\ndef g():\n    pass";
        let (n, done) = trim(text, StopMode::Block, &cur(before, "", Some("python")));
        assert!(done);
        assert_eq!(&text[..n], "y = x + 1\n    return y");
    }

    #[test]
    fn brace_block_ends_at_its_closing_brace() {
        let before = "function f(a) {\n  ";
        let text = "return a + 1;\n}\n\nfunction g() {}";
        let (n, done) = trim(text, StopMode::Block, &cur(before, "", Some("javascript")));
        assert!(done);
        assert_eq!(&text[..n], "return a + 1;\n}");
    }

    #[test]
    fn free_mode_never_cuts() {
        assert_eq!(trim("a\n\n}\n", StopMode::Free, &cur("{", "", None)), (5, false));
    }

    #[test]
    fn a_copy_of_the_next_line_is_dropped() {
        assert!(repeats_suffix("return c", "\n    return c\n"));
        assert!(!repeats_suffix("c = a + b", "\n    return c\n"));
        assert!(!repeats_suffix("", "\n    return c\n"));
    }

    #[test]
    fn a_first_line_streams_once_it_cannot_repeat_the_next_line() {
        let after = "\n    return c\n";
        for held in ["", "   ", "ret", "return ", "return c"] {
            assert!(may_repeat_suffix(held, after), "{held:?}");
        }
        for free in ["x", "retx", "return d", "return c + 1"] {
            assert!(!may_repeat_suffix(free, after), "{free:?}");
            assert!(!repeats_suffix(free, after), "{free:?}");
        }
        assert!(!may_repeat_suffix("anything", "\n\n"));
    }

    #[test]
    fn stop_sequences_are_found_and_held_back() {
        let stop = vec!["\n\n".to_string(), "def ".to_string()];
        assert_eq!(find_stop("a\n\nb", &stop), Some(1));
        assert_eq!(find_stop("abc", &stop), None);
        assert_eq!(held_back("x = 1\n", &stop), 1);
        assert_eq!(held_back("x de", &stop), 2);
        assert_eq!(held_back("x", &stop), 0);
    }
}
