//! The completion loop: tokenize, reuse the cached prefix, prefill the rest in chunks, then
//! sample → stream → stop. Abort is checked between chunks and between tokens.

use crate::cpu::{CpuKvCache, CpuLlama, CpuOptions, Numerics};
use crate::error::HearthError;
use crate::gguf::Gguf;
use crate::gpu;
#[cfg(feature = "gpu")]
use crate::gpu::{Gpu, Tensor};
use crate::model::Config;
use crate::speculate::{self, Pending};
#[cfg(feature = "gpu")]
use crate::model::{KvCache, Llama};
use crate::sampler::{Sampler, SamplerConfig};
use crate::stop::{self, Cursor, StopMode};
use crate::tokenizer::{StreamDecoder, Tokenizer};
use std::time::Duration;
use web_time::Instant;

/// Tokens per prefill pass: bounds the attention scratch and the time between abort checks.
pub const PREFILL_CHUNK: usize = 256;
/// Prompt tokens per pass on the CPU backend: it computes on the engine's own thread, so an abort
/// lands between passes; 32 tokens keep that wait short (≈ 1–2 s for Qwen2.5-Coder in a browser)
/// and still share each decoded weight block among enough tokens.
pub const CPU_PREFILL_CHUNK: usize = 32;
/// Default KV capacity: enough for completion contexts, small enough for a phone.
pub const DEFAULT_CONTEXT: usize = 2048;

/// Where the default model lives natively: `$HEARTH_MODEL`, else the cache that
/// `scripts/fetch-model.sh` (`make model`) fills.
#[cfg(not(target_family = "wasm"))]
pub fn default_model_path() -> std::path::PathBuf {
    match std::env::var_os("HEARTH_MODEL") {
        Some(p) => p.into(),
        None => crate::catalog::SMOLLM2.path(),
    }
}

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

/// The model and its KV cache on one backend: the GPU (burn/wgpu + our WGSL kernels) or the CPU
/// (`cpu`, wasm simd128), for browsers without WebGPU.
#[allow(clippy::large_enum_variant)] // one per engine, never moved in a hot path
pub enum Backend {
    #[cfg(feature = "gpu")]
    Gpu { model: Llama, cache: KvCache },
    Cpu { model: CpuLlama, cache: CpuKvCache },
}

/// Logits as a backend produces them: still on the GPU, or already on the host.
#[allow(clippy::large_enum_variant)] // one per forward pass, consumed at once
enum Logits {
    #[cfg(feature = "gpu")]
    Gpu(Tensor<2>),
    Cpu(Vec<f32>),
}

impl Logits {
    async fn read(self) -> Result<Vec<f32>, HearthError> {
        match self {
            #[cfg(feature = "gpu")]
            Logits::Gpu(t) => gpu::read_f32_async(t).await,
            Logits::Cpu(v) => Ok(v),
        }
    }

    /// What the sampler needs of the last position's logits (1, n_vocab): with `on_device`
    /// (greedy, no penalty) the GPU picks the token and only its id comes back.
    async fn scores(self, on_device: bool) -> Result<Scores, HearthError> {
        #[cfg(not(feature = "gpu"))]
        let _ = on_device;
        match self {
            #[cfg(feature = "gpu")]
            Logits::Gpu(t) if on_device => {
                let chosen = gpu::read_f32_async(crate::kernels::argmax::forward(t)?).await?;
                Ok(Scores::Chosen(crate::kernels::argmax::index(&chosen)?))
            }
            other => Ok(Scores::Logits(other.read().await?)),
        }
    }
}

/// The next token's scores: the logits on the host, or the token the GPU already chose.
enum Scores {
    Logits(Vec<f32>),
    #[cfg_attr(not(feature = "gpu"), allow(dead_code))]
    Chosen(u32),
}

impl Backend {
    pub fn config(&self) -> &Config {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { model, .. } => &model.config,
            Backend::Cpu { model, .. } => &model.config,
        }
    }

    /// The CPU backend's threads; `None` on the GPU.
    pub fn cpu_threads(&self) -> Option<usize> {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { .. } => None,
            Backend::Cpu { model, .. } => Some(model.options().threads),
        }
    }

    /// `webgpu` or `cpu` (what `engine.info()` reports).
    pub fn name(&self) -> &'static str {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { .. } => "webgpu",
            Backend::Cpu { .. } => "cpu",
        }
    }

    fn capacity(&self) -> usize {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { cache, .. } => cache.capacity(),
            Backend::Cpu { cache, .. } => cache.capacity(),
        }
    }

    fn truncate(&mut self, n: usize) {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { cache, .. } => cache.truncate(n),
            Backend::Cpu { cache, .. } => cache.truncate(n),
        }
    }

    fn reset(&mut self) {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { model, cache } => *cache = model.new_cache(cache.capacity()),
            Backend::Cpu { model, cache } => *cache = model.new_cache(cache.capacity()),
        }
    }

    /// Put `ids` into the cache without computing logits (a prompt's chunks before its last).
    fn fill(&mut self, ids: &[u32]) -> Result<(), HearthError> {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { model, cache } => model.layers(ids, cache).map(drop),
            Backend::Cpu { model, cache } => model.layers(ids, cache).map(drop),
        }
    }

    fn forward(&mut self, ids: &[u32], all_logits: bool) -> Result<Logits, HearthError> {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { model, cache } => model.forward(ids, cache, all_logits).map(Logits::Gpu),
            Backend::Cpu { model, cache } => model.forward(ids, cache, all_logits).map(Logits::Cpu),
        }
    }
}

pub struct Engine {
    pub backend: Backend,
    pub tokenizer: Tokenizer,
    /// The GPU adapter, or a description of the CPU path.
    pub adapter: String,
    pub limits: gpu::Limits,
    /// `general.name` from the GGUF, else its architecture.
    pub model_name: String,
    /// Speculative decoding from the context (`speculate`) for greedy requests on the CPU
    /// backend; the output is the same either way. Default on.
    pub speculative: bool,
    cached_ids: Vec<u32>, // exactly the ids whose keys/values are in the backend's cache
}

pub(crate) fn model_name(g: &Gguf<'_>) -> String {
    g.get("general.name")
        .and_then(|v| v.as_str())
        .or_else(|| g.get("general.architecture").and_then(|v| v.as_str()))
        .unwrap_or("unknown")
        .to_string()
}

impl Engine {
    /// Parse, repack and upload a GGUF model held in memory.
    #[cfg(feature = "gpu")]
    pub fn load(bytes: &[u8], gpu: &Gpu, context: usize) -> Result<Self, HearthError> {
        Self::load_with_family(bytes, gpu, context, crate::kernels::Family::for_adapter(gpu.software))
    }

    /// The same with `family`'s kernels whatever the adapter (tests hold both to the fixtures).
    #[cfg(feature = "gpu")]
    /// The bytes go through the streaming load (`loader::GpuLoad`), as the store's chunks do.
    pub fn load_with_family(bytes: &[u8], gpu: &Gpu, context: usize, family: crate::kernels::Family) -> Result<Self, HearthError> {
        let mut load = crate::loader::GpuLoad::new(bytes.len() as u64, gpu, family);
        load.push(bytes)?;
        load.finish(context)
    }

    /// An engine over a GPU model built by `loader::GpuLoad`.
    #[cfg(feature = "gpu")]
    pub(crate) fn from_gpu_model(model: Llama, tokenizer: Tokenizer, gpu: &Gpu, model_name: String, context: usize) -> Self {
        let context = context.clamp(1, model.config.n_ctx_train);
        let cache = model.new_cache(context);
        let backend = Backend::Gpu { model, cache };
        Engine { backend, tokenizer, adapter: gpu.adapter.clone(), limits: gpu.limits, model_name, speculative: true, cached_ids: Vec::new() }
    }

    /// Parse a GGUF model for the CPU backend (no GPU involved). The model keeps `bytes` and
    /// reads its quantized weights from them in place.
    pub fn load_cpu(bytes: Vec<u8>, context: usize) -> Result<Self, HearthError> {
        Engine::load_cpu_with(bytes, context, CpuOptions::default())
    }

    /// `load_cpu` with the numerics and threads chosen (`CpuOptions`).
    pub fn load_cpu_with(bytes: Vec<u8>, context: usize, options: CpuOptions) -> Result<Self, HearthError> {
        let file = std::sync::Arc::new(bytes);
        let g = Gguf::parse(&file)?;
        let tokenizer = Tokenizer::from_gguf(&g)?;
        let model = CpuLlama::load(&g, &file, options)?;
        let context = context.clamp(1, model.config.n_ctx_train);
        let cache = model.new_cache(context);
        let o = model.options();
        let simd = match (cfg!(target_arch = "wasm32"), cfg!(feature = "relaxed-simd")) {
            (true, true) => "wasm relaxed-SIMD",
            (true, false) => "wasm simd128",
            _ => "native CPU",
        };
        let numerics = match o.numerics {
            Numerics::Exact => "f32",
            Numerics::Int8 => "int8 activations",
        };
        let adapter = format!("{simd}, {} thread{}, {numerics}", o.threads, if o.threads == 1 { "" } else { "s" });
        let backend = Backend::Cpu { model, cache };
        Ok(Engine { backend, tokenizer, adapter, limits: gpu::Limits::default(), model_name: model_name(&g), speculative: true, cached_ids: Vec::new() })
    }

    pub fn config(&self) -> &Config {
        self.backend.config()
    }

    /// The GPU model, when the engine runs on the GPU (benchmarks drive it directly).
    #[cfg(feature = "gpu")]
    pub fn gpu_model(&self) -> Option<&Llama> {
        match &self.backend {
            Backend::Gpu { model, .. } => Some(model),
            Backend::Cpu { .. } => None,
        }
    }

    /// Load a GGUF file from disk onto the process's GPU.
    #[cfg(all(feature = "gpu", not(target_family = "wasm")))]
    pub fn load_file(path: &std::path::Path, context: usize) -> Result<Self, HearthError> {
        let bytes = std::fs::read(path)?;
        Engine::load(&bytes, &gpu::device()?, context)
    }

    pub fn context(&self) -> usize {
        self.backend.capacity()
    }

    /// Run a completion. `on_text` receives text as it becomes final; `aborted` is polled
    /// between prefill chunks and tokens.
    pub async fn complete_async(
        &mut self,
        req: &CompletionRequest,
        on_text: &mut dyn FnMut(&str),
        aborted: &dyn Fn() -> bool,
    ) -> Result<Completion, HearthError> {
        crate::request::check(req)?;
        let prompt = match &req.prompt_ids {
            Some(ids) => crate::prompt::Prompt { ids: ids.clone(), fim: false, prefix_cut: 0, suffix_cut: 0, lead: String::new(), lead_optional: false },
            None => {
                // A long file in a small context: the sides shrink to fit rather than fail.
                let mut spec = req.prompt_spec();
                (spec.max_prefix_tokens, spec.max_suffix_tokens) =
                    crate::prompt::fit_limits(self.context(), req.max_tokens, spec.max_prefix_tokens, spec.max_suffix_tokens);
                crate::prompt::build(&self.tokenizer, &spec)?
            }
        };
        let prompt_ids = prompt.ids;
        if prompt_ids.is_empty() {
            return Err(HearthError::InvalidRequest("empty prompt".into()));
        }
        if prompt_ids.len() >= self.context() {
            return Err(HearthError::ContextOverflow { needed: prompt_ids.len() + 1, limit: self.context() });
        }
        let result = self.run(&prompt_ids, (&prompt.lead, prompt.lead_optional), req, on_text, aborted).await.map(|c| Completion { fim: prompt.fim, ..c });
        match &result {
            // An abort lands between passes: cache and ids still agree, so the next request
            // (the next keystroke) reuses the prefix.
            Ok(_) | Err(HearthError::Aborted) => {}
            // Anything else may have left part of a pass behind: forget it rather than trust it.
            Err(_) => self.reset(),
        }
        result
    }

    /// Native convenience: `complete_async` driven to completion on this thread.
    #[cfg(not(target_family = "wasm"))]
    pub fn complete(&mut self, req: &CompletionRequest, on_text: &mut dyn FnMut(&str)) -> Result<Completion, HearthError> {
        futures_lite::future::block_on(self.complete_async(req, on_text, &|| false))
    }

    /// Forget the cached prefix.
    pub fn reset(&mut self) {
        self.backend.reset();
        self.cached_ids.clear();
    }

    /// `lead`: the end of the prefix the model is to write first (`Prompt::lead`); the suggestion
    /// is what follows it.
    async fn run(
        &mut self,
        prompt_ids: &[u32],
        (lead, lead_optional): (&str, bool),
        req: &CompletionRequest,
        on_text: &mut dyn FnMut(&str),
        aborted: &dyn Fn() -> bool,
    ) -> Result<Completion, HearthError> {
        let mut timings = Timings::default();
        let begun = Instant::now();
        let late = || req.deadline.is_some_and(|d| begun.elapsed() >= d);
        // Reuse the common prefix; at least one prompt token is always run to get logits.
        let common = self.cached_ids.iter().zip(prompt_ids).take_while(|(a, b)| a == b).count();
        let keep = common.min(prompt_ids.len() - 1);
        self.backend.truncate(keep);
        self.cached_ids.truncate(keep);
        timings.reused_tokens = keep;

        let start = Instant::now();
        let mut logits = None;
        let cpu = matches!(self.backend, Backend::Cpu { .. });
        let chunk_len = if cpu { CPU_PREFILL_CHUNK } else { PREFILL_CHUNK };
        let n_chunks = (prompt_ids.len() - keep).div_ceil(chunk_len);
        for (i, chunk) in prompt_ids[keep..].chunks(chunk_len).enumerate() {
            if cpu {
                crate::yield_now::yield_now().await; // let an abort message in (module docs)
            }
            if aborted() {
                return Err(HearthError::Aborted);
            }
            if late() {
                // Out of time mid-prompt: what was prefilled stays cached for the next request.
                timings.prefill_tokens = self.cached_ids.len() - keep;
                timings.prefill = start.elapsed();
                let text = String::new();
                return Ok(Completion { prompt_ids: prompt_ids.to_vec(), fim: false, generated_ids: Vec::new(), text, stop_reason: StopReason::Deadline, timings });
            }
            if i + 1 < n_chunks {
                self.backend.fill(chunk)?; // only the last chunk's logits are read
            } else {
                logits = Some(self.backend.forward(chunk, false)?);
            }
            self.cached_ids.extend_from_slice(chunk);
        }
        // Greedy without a penalty needs only the argmax: on the GPU it is computed there.
        let argmax_on_device = !cpu && req.sampler.temperature <= 0.0 && req.sampler.repeat_penalty == 1.0;
        let logits = logits.ok_or_else(|| HearthError::InvalidRequest("nothing to prefill".into()))?;
        let mut scores = logits.scores(argmax_on_device).await?;
        timings.prefill_tokens = prompt_ids.len() - keep;
        timings.prefill = start.elapsed();

        let start = Instant::now();
        let mut sampler = Sampler::new(req.sampler.clone());
        let mut stream = StreamDecoder::default();
        let mut raw = String::new(); // what the model wrote (with the lead, if any)
        let mut text = String::new(); // the suggestion: raw after the lead
        let mut emitted = 0; // bytes of `text` already passed to on_text
        let mut generated = Vec::new();
        let budget = req.max_tokens.min(self.context() - self.cached_ids.len());
        let mut stop_reason = StopReason::Length;
        let suffix = req.suffix.as_deref().unwrap_or("");
        let cursor = Cursor { before: &req.prompt, after: suffix, language: req.language.as_deref() };
        let mut first_line_checked = false; // the first line is held back until it is known not to repeat the suffix
        // Drafts are verified exactly only where a batch computes each token as a single pass
        // would (the CPU backend) and the choice is the argmax.
        let speculate = self.speculative && cpu && req.sampler.temperature == 0.0;
        let mut pending = Pending::default();
        while generated.len() < budget {
            if cpu {
                crate::yield_now::yield_now().await;
            }
            if aborted() {
                self.drop_pending(&mut pending);
                return Err(HearthError::Aborted);
            }
            if late() {
                stop_reason = StopReason::Deadline;
                break;
            }
            let token = match &mut scores {
                Scores::Logits(logits) => sampler.sample(logits, &self.cached_ids),
                Scores::Chosen(token) => *token,
            };
            generated.push(token);
            if !req.ignore_eos && self.tokenizer.is_eog(token) {
                stop_reason = StopReason::Eos;
                break;
            }
            raw.push_str(&stream.push(self.tokenizer.token_bytes(token)));
            match suggestion(&raw, lead, lead_optional) {
                Some(t) => text = t,
                None if lead.is_empty() => unreachable!("no lead: the suggestion is the raw text"),
                None => {
                    // Not a new line: it went on writing the line before the cursor.
                    text.clear();
                    stop_reason = StopReason::Stop;
                    break;
                }
            }
            if let Some(at) = find_stop(&text, &req.stop) {
                text.truncate(at);
                stop_reason = StopReason::Stop;
                break;
            }
            let (keep, done) = stop::trim(&text, req.mode, &cursor);
            if done {
                text.truncate(keep);
                stop_reason = StopReason::Stop;
                break;
            }
            if !first_line_checked && text.contains('\n') {
                first_line_checked = true;
                if stop::repeats_suffix(text.split('\n').next().unwrap_or(""), suffix) {
                    text.clear();
                    stop_reason = StopReason::Stop;
                    break;
                }
            }
            // The first line streams once it can no longer be a copy of the line after the cursor.
            let first_line_known = first_line_checked || !stop::may_repeat_suffix(&text, suffix);
            let safe = (text.len() - held_back(&text, &req.stop)).min(held_for_rules(&text, req.mode, first_line_known));
            if safe > emitted {
                on_text(&text[emitted..safe]);
                emitted = safe;
            }
            if generated.len() == budget {
                break;
            }
            let room = if speculate { budget - generated.len() - 1 } else { 0 };
            scores = self.advance(token, &mut pending, room, argmax_on_device, &mut timings).await?;
        }
        self.drop_pending(&mut pending);
        if stop_reason != StopReason::Stop {
            raw.push_str(&stream.finish());
            text = suggestion(&raw, lead, lead_optional).unwrap_or_default();
            if stop_reason == StopReason::Deadline && req.mode != StopMode::Line {
                // Cut short mid-block: keep whole lines (a half-written line is no suggestion),
                // but never less than what already streamed.
                if let Some(nl) = text.rfind('\n') {
                    text.truncate(nl.max(emitted));
                }
            }
            if !first_line_checked && stop::repeats_suffix(&text, suffix) {
                text.clear();
                stop_reason = StopReason::Stop;
            }
        }
        if text.len() > emitted {
            on_text(&text[emitted..]);
        }
        timings.decode_tokens = generated.len();
        timings.decode = start.elapsed();
        Ok(Completion { prompt_ids: prompt_ids.to_vec(), fim: false, generated_ids: generated, text, stop_reason, timings })
    }

    /// Put `token` (just chosen) into the cache and return the logits that follow it: a verified
    /// draft's when the model chose that draft, else those of a pass over `token` — with up to
    /// `room` draft tokens looked up in the context (`speculate::draft`) behind it in the batch.
    async fn advance(&mut self, token: u32, pending: &mut Pending, room: usize, argmax_on_device: bool, timings: &mut Timings) -> Result<Scores, HearthError> {
        if let Some(logits) = pending.take_if(token) {
            self.cached_ids.push(token);
            timings.accepted_tokens += 1;
            return Ok(Scores::Logits(logits));
        }
        self.drop_pending(pending);
        self.cached_ids.push(token);
        let room = room.min(self.context().saturating_sub(self.cached_ids.len())).min(pending.next_len());
        let drafts = speculate::draft(&self.cached_ids, room);
        let mut batch = Vec::with_capacity(1 + drafts.len());
        batch.push(token);
        batch.extend_from_slice(&drafts);
        let out = self.backend.forward(&batch, !drafts.is_empty())?;
        if drafts.is_empty() {
            pending.fill(std::iter::empty());
            return out.scores(argmax_on_device).await;
        }
        let mut rows = out.read().await?; // (1 + drafts, n_vocab)
        let n_vocab = self.config().n_vocab;
        let after = rows.split_off(n_vocab.min(rows.len()));
        timings.drafted_tokens += drafts.len();
        pending.fill(drafts.into_iter().zip(after.chunks_exact(n_vocab).map(<[f32]>::to_vec)));
        Ok(Scores::Logits(rows))
    }

    /// Drafts the model did not take leave the cache, which again holds exactly `cached_ids`.
    fn drop_pending(&mut self, pending: &mut Pending) {
        if pending.clear() > 0 {
            self.backend.truncate(self.cached_ids.len());
        }
    }

    /// Logits (n, n_vocab) for every position of `ids`, run from an empty cache (teacher forcing).
    #[cfg(not(target_family = "wasm"))]
    pub fn logits_all(&mut self, ids: &[u32]) -> Result<Vec<f32>, HearthError> {
        self.reset();
        let out = self.backend.forward(ids, true);
        self.reset();
        futures_lite::future::block_on(out?.read())
    }

    /// `logits_all` one token a forward pass, as decode runs (the GEMV kernels, not the matmul).
    #[cfg(not(target_family = "wasm"))]
    pub fn logits_stepwise(&mut self, ids: &[u32]) -> Result<Vec<f32>, HearthError> {
        self.reset();
        let mut all = Vec::new();
        let mut steps = || {
            for &id in ids {
                all.extend(futures_lite::future::block_on(self.backend.forward(&[id], false)?.read())?);
            }
            Ok(())
        };
        let done = steps();
        self.reset();
        done.map(|()| all)
    }
}

/// How much of `text` may be streamed before the stop rules have seen more: nothing of the first
/// line while it may still turn out to repeat the suffix (`first_line_known` false), and in
/// `block` mode no trailing whitespace that spans a newline (the next line may leave the block).
/// The suggestion in the model's text `raw` after `lead` (`prompt::view_after_lead`): None when
/// the model did not open the cursor's line; "" while its indentation is still being written.
fn suggestion(raw: &str, lead: &str, optional: bool) -> Option<String> {
    if lead.is_empty() {
        return Some(raw.to_string());
    }
    match crate::prompt::view_after_lead(raw, lead, optional) {
        crate::prompt::LeadView::Pending => Some(String::new()),
        crate::prompt::LeadView::Off => None,
        crate::prompt::LeadView::At(skip, extra) => Some(extra + &raw[skip..]),
    }
}

fn held_for_rules(text: &str, mode: StopMode, first_line_known: bool) -> usize {
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
fn find_stop(text: &str, stop: &[String]) -> Option<usize> {
    stop.iter().filter(|s| !s.is_empty()).filter_map(|s| text.find(s.as_str())).min()
}

/// Length of the longest suffix of `text` that begins some stop sequence (held back while
/// streaming, since the next token may complete it).
fn held_back(text: &str, stop: &[String]) -> usize {
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
