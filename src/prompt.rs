//! The prompt a completion request becomes: the text before the cursor, and for a model with
//! fill-in-the-middle tokens the text after it, laid out so that typing at the cursor keeps the
//! longest token prefix cached (prefix first, then the suffix), each side bounded by a token
//! limit and cut at a line boundary that does not move on every keystroke. The user's text is
//! always encoded as plain text: only hearth places special tokens.

use crate::error::HearthError;
use crate::tokenizer::Tokenizer;

/// Defaults: the prefix carries most of the signal; the suffix is re-prefilled on every
/// keystroke (it sits after the cursor), so it stays short.
pub const DEFAULT_MAX_PREFIX_TOKENS: usize = 1024;
pub const DEFAULT_MAX_SUFFIX_TOKENS: usize = 256;
/// A cut drops whole lines in steps of this many, counted from the start of the prefix (or from
/// the cursor for the suffix), so it moves once per this many lines typed, not per keystroke.
pub const CUT_LINE_STEP: usize = 8;

/// Special tokens a template adds around the text (BOS, and FIM's prefix, suffix and middle).
const TEMPLATE_TOKENS: usize = 4;

/// The (prefix, suffix) token limits that leave room in a `context`-token cache for the
/// template and for generating `max_tokens` (at most a quarter of the context is kept for that);
/// the suffix gets at most a quarter of what remains. Limits that already fit are kept.
pub fn fit_limits(context: usize, max_tokens: usize, max_prefix: usize, max_suffix: usize) -> (usize, usize) {
    let room = context.saturating_sub(TEMPLATE_TOKENS + 1 + max_tokens.min(context / 4));
    let suffix = max_suffix.min(room / 4);
    (max_prefix.min(room - suffix), suffix)
}

/// What the cursor sees: the text before it, optionally the text after it, and the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptSpec {
    /// Text before the cursor.
    pub prefix: String,
    /// Text after the cursor (fill-in-the-middle), if the caller sends it.
    pub suffix: Option<String>,
    pub max_prefix_tokens: usize,
    pub max_suffix_tokens: usize,
    /// Fill-in-the-middle with the cursor at the start of a line (only spaces or tabs before it
    /// on its line): end the FIM prefix before that line's newline and let the model write the
    /// newline and indentation itself, as Qwen2.5-Coder's own FIM training and evaluation lay it
    /// out (`lead`; measured by benches/fim_bench.py: 64% against 62% pass@1 for the prefix as
    /// it is, 2026-12-02, see the README's FIM table). Default on.
    pub open_line: bool,
    /// Fill-in-the-middle with text before the cursor on its line: that line (its newline and
    /// what is typed of it) goes after `<|fim_middle|>`, as the start of the middle the model is
    /// writing, instead of at the end of the FIM prefix. The prefix and the suffix then stay the
    /// same while the user types along a line, so each keystroke prefills only the line's
    /// changed tokens, not the whole suffix again; the prompt at the line's start (`open_line`)
    /// is a token prefix of every prompt typed along that line. Default off: it costs quality
    /// (benches/fim_bench.py --typed, 50 problems, 2026-12-05: 56% pass@1 against 80% with the
    /// typed line ending the prefix); a latency lever for slow devices, not the default.
    pub line_in_middle: bool,
}

impl PromptSpec {
    pub fn new(prefix: &str, suffix: Option<&str>) -> Self {
        PromptSpec {
            prefix: prefix.to_string(),
            suffix: suffix.map(str::to_string),
            max_prefix_tokens: DEFAULT_MAX_PREFIX_TOKENS,
            max_suffix_tokens: DEFAULT_MAX_SUFFIX_TOKENS,
            open_line: true,
            line_in_middle: false,
        }
    }
}

/// A built prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub ids: Vec<u32>,
    /// The suffix went in as fill-in-the-middle (false: prefix-only, e.g. a model without FIM).
    pub fim: bool,
    /// Bytes of the prefix dropped from its start, and of the suffix from its end, to fit the limits.
    pub prefix_cut: usize,
    pub suffix_cut: usize,
    /// The end of the prefix left out for the model to write (`PromptSpec::open_line`): "\n" and
    /// the cursor line's indentation, or "". The suggestion is what the model writes after it.
    pub lead: String,
    /// The prefix sent still ends at a line start (a blank line precedes the cursor's): the model
    /// may write the cursor's line without the newline first.
    pub lead_optional: bool,
}

/// Where the cursor's line starts in `prefix` (its "\n"), when only spaces or tabs follow it.
pub fn line_lead(prefix: &str) -> Option<usize> {
    let nl = prefix.rfind('\n')?;
    prefix[nl + 1..].bytes().all(|b| b == b' ' || b == b'\t').then_some(nl)
}

/// Build the ids for `spec`. A suffix is used when the model has FIM tokens (else prefix-only).
pub fn build(tok: &Tokenizer, spec: &PromptSpec) -> Result<Prompt, HearthError> {
    let mut ids: Vec<u32> = tok.bos_prefix().into_iter().collect();
    if let (Some(f), Some(suffix)) = (tok.fim, spec.suffix.as_deref()) {
        let open = if spec.open_line { line_lead(&spec.prefix) } else { None };
        // The cursor's line typed so far (from its newline), when it goes in the middle.
        let typed_at = match open {
            None if spec.line_in_middle => Some(spec.prefix.rfind('\n').unwrap_or(0)),
            _ => None,
        };
        let split = open.or(typed_at).unwrap_or(spec.prefix.len());
        let (body, rest) = spec.prefix.split_at(split);
        // The line's share of the prefix limit is fixed, so the body's cut does not move as the
        // line grows (nor between the line's start and its first character).
        let line_max = spec.max_prefix_tokens / 8;
        let (typed_cut, typed) = match typed_at {
            Some(_) => keep_tail(tok, rest, line_max)?,
            None => (0, Vec::new()),
        };
        let body_max = if spec.line_in_middle { spec.max_prefix_tokens - line_max } else { spec.max_prefix_tokens };
        let (body_cut, prefix) = match typed_cut {
            0 => keep_tail(tok, body, body_max)?,
            _ => (body.len(), Vec::new()), // a line too long for its share: only its end is sent
        };
        let (suffix_keep, suffix_ids) = keep_head(tok, suffix, spec.max_suffix_tokens)?;
        ids.push(f.prefix);
        ids.extend(prefix);
        ids.push(f.suffix);
        ids.extend(suffix_ids);
        ids.push(f.middle);
        ids.extend(typed);
        let prefix_cut = body_cut + typed_cut;
        let lead = if open.is_some() { rest } else { "" };
        let lead_optional = !lead.is_empty() && (body.is_empty() || body.ends_with('\n'));
        return Ok(Prompt { ids, fim: true, prefix_cut, suffix_cut: suffix.len() - suffix_keep, lead: lead.to_string(), lead_optional });
    }
    let (prefix_cut, prefix) = keep_tail(tok, &spec.prefix, spec.max_prefix_tokens)?;
    ids.extend(prefix);
    Ok(Prompt { ids, fim: false, prefix_cut, suffix_cut: 0, lead: String::new(), lead_optional: false })
}

/// What the model wrote after a `lead` ("\n" + the cursor line's indentation), as the suggestion
/// at the cursor: `Pending` until its first line's indentation is known, `Off` when it did not
/// start a new line (it went on writing the line before the cursor: nothing to insert) — unless
/// `optional` (`Prompt::lead_optional`): then a line written without the newline is the cursor's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeadView {
    Pending,
    Off,
    /// (bytes of the raw text before the suggestion's body, indentation beyond the cursor's).
    At(usize, String),
}

pub fn view_after_lead(raw: &str, lead: &str, optional: bool) -> LeadView {
    let (nl, rest) = match raw.strip_prefix('\n') {
        Some(rest) => (1, rest),
        None if raw.is_empty() => return LeadView::Pending,
        None if optional => (0, raw),
        None => return LeadView::Off,
    };
    let ind_len = rest.bytes().take_while(|&b| b == b' ' || b == b'\t').count();
    if ind_len == rest.len() {
        return LeadView::Pending;
    }
    // Indentation the editor already has (the lead's) is not inserted again; more is.
    let ind = &rest[..ind_len];
    let have = lead.strip_prefix('\n').unwrap_or(lead);
    let common = ind.bytes().zip(have.bytes()).take_while(|(a, b)| a == b).count();
    LeadView::At(nl + ind_len, ind[common..].to_string())
}

/// Byte offsets where each line after the first starts.
fn line_starts(text: &str) -> impl DoubleEndedIterator<Item = usize> + '_ {
    text.match_indices('\n').map(|(i, _)| i + 1).filter(move |&i| i < text.len())
}

/// The end of `text` within `max` tokens: whole lines dropped from its start in steps of
/// `CUT_LINE_STEP` (line numbers counted from the start, so the cut is stable while the user types
/// at the end). Returns (bytes dropped, ids). A last stretch longer than the limit keeps its last
/// `max` tokens.
///
/// No token is longer than `Tokenizer::max_token_bytes`, so text more than `max` × that many
/// bytes from the end cannot fit: only the part after it is ever tokenized (a 10 MB file costs
/// what its last few thousand lines cost), and the answer is the one the whole text would give.
fn keep_tail(tok: &Tokenizer, text: &str, max: usize) -> Result<(usize, Vec<u32>), HearthError> {
    let budget = max.saturating_mul(tok.max_token_bytes());
    let too_far = text.len().saturating_sub(budget); // a start before this cannot fit
    if too_far == 0 {
        let ids = tok.encode(text)?;
        if ids.len() <= max {
            return Ok((0, ids));
        }
    }
    // Candidate starts, earliest first: fewer tokens the later the start (binary search).
    let starts: Vec<usize> =
        line_starts(text).skip(CUT_LINE_STEP - 1).step_by(CUT_LINE_STEP).filter(|&s| s >= too_far).collect();
    match first_fit(&starts, |&s| Ok(tok.encode(&text[s..])?.len() <= max))? {
        Some(s) => Ok((s, tok.encode(&text[s..])?)),
        None => {
            // The last stretch alone is too long: its last `max` tokens, from a line start (or a
            // character boundary) within reach.
            let from = line_starts(text).find(|&s| s >= too_far).unwrap_or_else(|| ceil_char_boundary(text, too_far));
            let ids = tok.encode(&text[from..])?;
            let kept = ids[ids.len().saturating_sub(max)..].to_vec();
            Ok((text.len().saturating_sub(tok.decode(&kept).len()), kept))
        }
    }
}

fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i.min(text.len())
}

/// The start of `text` within `max` tokens: whole lines dropped from its end, keeping a multiple
/// of `CUT_LINE_STEP` lines when that many fit, else whole lines. Returns (bytes kept, ids).
/// As in `keep_tail`, nothing beyond `max` × the longest token's bytes is tokenized.
fn keep_head(tok: &Tokenizer, text: &str, max: usize) -> Result<(usize, Vec<u32>), HearthError> {
    let budget = max.saturating_mul(tok.max_token_bytes());
    if text.len() <= budget {
        let ids = tok.encode(text)?;
        if ids.len() <= max {
            return Ok((text.len(), ids));
        }
    }
    let ends: Vec<usize> = line_starts(text).take_while(|&e| e <= budget).collect();
    let stepped: Vec<usize> = ends.iter().copied().skip(CUT_LINE_STEP - 1).step_by(CUT_LINE_STEP).rev().collect();
    let fits = |&e: &usize| Ok(tok.encode(&text[..e])?.len() <= max);
    let end = match first_fit(&stepped, fits)? {
        Some(e) => Some(e),
        None => first_fit(&ends.iter().copied().rev().collect::<Vec<_>>(), fits)?,
    };
    match end {
        Some(e) => Ok((e, tok.encode(&text[..e])?)),
        None => Ok((0, Vec::new())),
    }
}

/// The first candidate that fits, given that once one fits all later ones do.
fn first_fit(cands: &[usize], fits: impl Fn(&usize) -> Result<bool, HearthError>) -> Result<Option<usize>, HearthError> {
    let (mut lo, mut hi) = (0, cands.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        if fits(&cands[mid])? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(cands.get(lo).copied())
}
