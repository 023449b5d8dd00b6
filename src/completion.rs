//! What a completion asks for and what it returns: the request (prompt, suffix, limits, sampler,
//! stop rules, deadline), why it stopped, its timings. Plain data; `Engine::complete` runs it.

use crate::sampler::SamplerConfig;
use crate::stop::StopMode;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct CompletionRequest {
    /// The text before the cursor (always plain text: special tokens in it are its characters).
    pub prompt: String,
    /// The text after the cursor: fill-in-the-middle on a model with FIM tokens, else ignored
    /// (`Completion::fim` says which).
    pub suffix: Option<String>,
    /// Already-tokenized prompt ids (a template its caller built, e.g. with
    /// `Tokenizer::encode_template`): used as they are instead of `prompt`/`suffix`.
    pub prompt_ids: Option<Vec<u32>>,
    /// Limits on each side, cut at line boundaries (see `prompt`).
    pub max_prefix_tokens: usize,
    pub max_suffix_tokens: usize,
    pub max_tokens: usize,
    pub sampler: SamplerConfig,
    /// Generation ends before the first occurrence of any of these; it is not part of the text.
    pub stop: Vec<String>,
    /// Keep going past end-of-generation tokens (the golden tests decode a fixed count).
    pub ignore_eos: bool,
    /// Where the suggestion ends: the cursor's line, its block, or no rule (`stop`).
    pub mode: StopMode,
    /// The document's language for `block` mode ("python", "rust", ...); None: guessed.
    pub language: Option<String>,
    /// FIM with the cursor at a line's start: the model writes that line's newline and
    /// indentation (`PromptSpec::open_line`, default true).
    pub open_line: bool,
    /// FIM with text before the cursor on its line: that line starts the middle, so typing
    /// along a line keeps the suffix cached (`PromptSpec::line_in_middle`, default false: it scores lower).
    pub line_in_middle: bool,
    /// Fill-in-the-middle where the model has it (default true). false: the prompt is the text
    /// before the cursor alone and `suffix` only ends the suggestion (stop rules), so a keystroke
    /// never prefills the suffix again — what an app asks for where prefilling it would take
    /// longer than a typing pause (www/context.js `fimFits`).
    pub fim: bool,
    /// Stop once this much time has passed since the request started (`StopReason::Deadline`),
    /// checked between passes.
    pub deadline: Option<Duration>,
}

impl CompletionRequest {
    /// `prompt` with the default sampler and limits.
    pub fn new(prompt: &str) -> Self {
        CompletionRequest {
            prompt: prompt.to_string(),
            suffix: None,
            prompt_ids: None,
            max_prefix_tokens: crate::prompt::DEFAULT_MAX_PREFIX_TOKENS,
            max_suffix_tokens: crate::prompt::DEFAULT_MAX_SUFFIX_TOKENS,
            max_tokens: 64,
            sampler: SamplerConfig::default(),
            stop: Vec::new(),
            ignore_eos: false,
            mode: StopMode::Free,
            language: None,
            open_line: true,
            line_in_middle: false,
            fim: true,
            deadline: None,
        }
    }

    pub fn greedy(prompt: &str, max_tokens: usize) -> Self {
        CompletionRequest { max_tokens, sampler: SamplerConfig::greedy(), ..Self::new(prompt) }
    }

    /// The prompt layout this request asks for.
    pub fn prompt_spec(&self) -> crate::prompt::PromptSpec {
        crate::prompt::PromptSpec {
            prefix: self.prompt.clone(),
            suffix: if self.fim { self.suffix.clone() } else { None },
            max_prefix_tokens: self.max_prefix_tokens,
            max_suffix_tokens: self.max_suffix_tokens,
            open_line: self.open_line,
            line_in_middle: self.line_in_middle,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// An end-of-generation token.
    Eos,
    /// max_tokens, or the context is full.
    Length,
    /// A stop sequence, or the line/block rule (`mode`), or a suggestion that only repeated
    /// the suffix's next line (dropped: the text is empty).
    Stop,
    /// `deadline` passed: the text so far (whole lines in `block`/`free` mode), or none if the
    /// prompt was not prefilled yet; what was prefilled stays cached for the next request.
    Deadline,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::Eos => "eos",
            StopReason::Length => "length",
            StopReason::Stop => "stop",
            StopReason::Deadline => "deadline",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// Prompt tokens whose KV was reused from the previous request.
    pub reused_tokens: usize,
    pub prefill_tokens: usize,
    pub prefill: Duration,
    pub decode_tokens: usize,
    pub decode: Duration,
    /// Speculative decoding: draft tokens verified, and how many of them the model agreed with
    /// (each accepted one is a decode step without its own pass).
    pub drafted_tokens: usize,
    pub accepted_tokens: usize,
}

#[derive(Debug, Clone)]
pub struct Completion {
    pub prompt_ids: Vec<u32>,
    /// The suffix went in as fill-in-the-middle (false: no suffix, or a model without FIM).
    pub fim: bool,
    pub generated_ids: Vec<u32>,
    pub text: String,
    pub stop_reason: StopReason,
    pub timings: Timings,
}
