//! A completion request as callers write it — a JS object (through serde-wasm-bindgen) or a line
//! of the CLI's `--requests` file (JSON) — and the limits every request is checked against before
//! it reaches the model, so that a hostile value is an `invalid_request`, never a panic, a hang or
//! an unbounded allocation. The engine runs `check` on every request, whoever built it.

use crate::engine::CompletionRequest;
use crate::error::HearthError;
use crate::stop::StopMode;
use serde::Deserialize;
use std::time::Duration;

/// Longest prompt or suffix accepted (bytes). Only the end of the prefix and the start of the
/// suffix are tokenized (`prompt`), so anything up to this is cheap.
pub const MAX_TEXT_BYTES: usize = 32 << 20;
/// Most stop strings, and the longest one (bytes).
pub const MAX_STOP_STRINGS: usize = 64;
pub const MAX_STOP_BYTES: usize = 1024;
/// Largest `temperature` accepted (beyond it sampling is uniform anyway).
pub const MAX_TEMPERATURE: f32 = 100.0;
/// Largest `repeatPenalty` accepted.
pub const MAX_REPEAT_PENALTY: f32 = 100.0;
/// Longest deadline accepted (ms): a day.
pub const MAX_DEADLINE_MS: f64 = 86_400_000.0;

/// The fields of a request, all optional but `prompt`. JS writes them in camelCase, the CLI's
/// JSON lines in snake_case; both spellings are accepted. An unknown field is an error (a typo
/// such as `maxToken` would otherwise be ignored silently).
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RequestFields {
    /// Echoed in the CLI's batch output; ignored by the JS API.
    pub id: Option<serde_json::Value>,
    /// The text before the cursor.
    pub prompt: String,
    /// The text after the cursor (fill-in-the-middle where the model has it).
    pub suffix: Option<String>,
    #[serde(alias = "max_prefix_tokens")]
    pub max_prefix_tokens: Option<usize>,
    #[serde(alias = "max_suffix_tokens")]
    pub max_suffix_tokens: Option<usize>,
    /// `line` | `block` | `free`.
    pub mode: Option<String>,
    pub language: Option<String>,
    /// FIM at a line's start: the model writes the newline and indentation (default true).
    #[serde(alias = "open_line")]
    pub open_line: Option<bool>,
    /// FIM mid-line: the cursor's line goes after `<|fim_middle|>` (default true).
    #[serde(alias = "line_in_middle")]
    pub line_in_middle: Option<bool>,
    /// Fill-in-the-middle where the model has it (default true); false: the suffix only ends
    /// the suggestion (`CompletionRequest::fim`).
    pub fim: Option<bool>,
    /// Stop after this many milliseconds (`stopReason: 'deadline'`).
    #[serde(alias = "deadline_ms")]
    pub deadline_ms: Option<f64>,
    #[serde(alias = "max_tokens")]
    pub max_tokens: Option<usize>,
    pub temperature: Option<f32>,
    #[serde(alias = "top_k")]
    pub top_k: Option<usize>,
    #[serde(alias = "top_p")]
    pub top_p: Option<f32>,
    #[serde(alias = "repeat_penalty")]
    pub repeat_penalty: Option<f32>,
    pub seed: Option<u64>,
    pub stop: Option<Vec<String>>,
    #[serde(alias = "ignore_eos")]
    pub ignore_eos: Option<bool>,
}

/// Every field's JS name (the JSON also takes the snake_case spellings). serde-wasm-bindgen reads
/// only the fields a struct names, so the JS API checks an object's keys against this list itself.
pub const FIELD_NAMES: [&str; 19] = [
    "id", "prompt", "suffix", "maxPrefixTokens", "maxSuffixTokens", "mode", "language", "openLine", "lineInMiddle", "fim",
    "deadlineMs", "maxTokens", "temperature", "topK", "topP", "repeatPenalty", "seed", "stop", "ignoreEos",
];

/// `invalid_request` naming the first of `keys` that is no field of a request.
pub fn check_keys<'k>(keys: impl IntoIterator<Item = &'k str>) -> Result<(), HearthError> {
    match keys.into_iter().find(|k| !FIELD_NAMES.contains(k)) {
        Some(k) => Err(invalid(format!("unknown field `{k}` (a request has {})", FIELD_NAMES.join(", ")))),
        None => Ok(()),
    }
}

impl RequestFields {
    /// The request these fields make, `base` supplying what they leave out (the CLI's flags, or
    /// `CompletionRequest::new`'s defaults). The limits are `check`ed by the engine, which runs it
    /// on every request however it was built.
    pub fn into_request(self, base: &CompletionRequest) -> Result<CompletionRequest, HearthError> {
        let mut r = base.clone();
        if let Some(m) = &self.mode {
            r.mode = StopMode::parse(m).ok_or_else(|| invalid(format!("mode {m:?} is not line, block or free")))?;
        }
        if let Some(ms) = self.deadline_ms {
            if !(ms.is_finite() && (0.0..=MAX_DEADLINE_MS).contains(&ms)) {
                return Err(invalid(format!("deadlineMs {ms} is not between 0 and {MAX_DEADLINE_MS}")));
            }
            r.deadline = Some(Duration::from_secs_f64(ms / 1000.0));
        }
        r.prompt = self.prompt;
        r.suffix = self.suffix.or(r.suffix);
        r.language = self.language.or(r.language);
        r.open_line = self.open_line.unwrap_or(r.open_line);
        r.line_in_middle = self.line_in_middle.unwrap_or(r.line_in_middle);
        r.fim = self.fim.unwrap_or(r.fim);
        r.max_prefix_tokens = self.max_prefix_tokens.unwrap_or(r.max_prefix_tokens);
        r.max_suffix_tokens = self.max_suffix_tokens.unwrap_or(r.max_suffix_tokens);
        r.max_tokens = self.max_tokens.unwrap_or(r.max_tokens);
        r.sampler.temperature = self.temperature.unwrap_or(r.sampler.temperature);
        r.sampler.top_k = self.top_k.unwrap_or(r.sampler.top_k);
        r.sampler.top_p = self.top_p.unwrap_or(r.sampler.top_p);
        r.sampler.repeat_penalty = self.repeat_penalty.unwrap_or(r.sampler.repeat_penalty);
        r.sampler.seed = self.seed.unwrap_or(r.sampler.seed);
        r.stop = self.stop.unwrap_or(r.stop);
        r.ignore_eos = self.ignore_eos.unwrap_or(r.ignore_eos);
        Ok(r)
    }
}

fn invalid(why: String) -> HearthError {
    HearthError::InvalidRequest(why)
}

/// Every limit a request must keep. Token counts beyond the context are not errors (the engine
/// fits the prompt into the context and stops generating when it is full).
pub fn check(r: &CompletionRequest) -> Result<(), HearthError> {
    for (name, text) in [("prompt", Some(&r.prompt)), ("suffix", r.suffix.as_ref())] {
        if let Some(t) = text {
            if t.len() > MAX_TEXT_BYTES {
                return Err(invalid(format!("{name} is {} bytes; the limit is {MAX_TEXT_BYTES}", t.len())));
            }
        }
    }
    let s = &r.sampler;
    if !(s.temperature.is_finite() && (0.0..=MAX_TEMPERATURE).contains(&s.temperature)) {
        return Err(invalid(format!("temperature {} is not between 0 and {MAX_TEMPERATURE}", s.temperature)));
    }
    if !(s.top_p.is_finite() && s.top_p > 0.0 && s.top_p <= 1.0) {
        return Err(invalid(format!("topP {} is not in (0, 1]", s.top_p)));
    }
    if !(s.repeat_penalty.is_finite() && s.repeat_penalty > 0.0 && s.repeat_penalty <= MAX_REPEAT_PENALTY) {
        return Err(invalid(format!("repeatPenalty {} is not in (0, {MAX_REPEAT_PENALTY}]", s.repeat_penalty)));
    }
    if r.stop.len() > MAX_STOP_STRINGS {
        return Err(invalid(format!("{} stop strings; the limit is {MAX_STOP_STRINGS}", r.stop.len())));
    }
    if let Some(bad) = r.stop.iter().find(|s| s.is_empty() || s.len() > MAX_STOP_BYTES) {
        return Err(invalid(format!("a stop string of {} bytes (1 to {MAX_STOP_BYTES} allowed)", bad.len())));
    }
    if r.language.as_ref().is_some_and(|l| l.len() > 64) {
        return Err(invalid("language is longer than 64 bytes".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_list_is_the_struct() {
        let named = &FIELD_NAMES;
        let obj: serde_json::Map<String, serde_json::Value> =
            named.iter().map(|k| (k.to_string(), if *k == "prompt" { "p".into() } else { serde_json::Value::Null })).collect();
        serde_json::from_value::<RequestFields>(obj.into()).expect("every listed field is a field");
        assert!(serde_json::from_str::<RequestFields>(r#"{"prompt": "p", "maxToken": 1}"#).is_err());
        assert!(check_keys(["prompt", "maxTokens", "lineInMiddle", "fim", "openLine"]).is_ok());
        assert!(check_keys(["prompt", "maxToken"]).is_err());
    }
}
