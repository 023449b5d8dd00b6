//! The completion loop: tokenize, reuse the cached prefix, prefill the rest in chunks, then
//! sample → stream → stop. Abort is checked between chunks and between tokens.

pub use crate::backend::Backend;
use crate::backend::Scores;
use crate::cpu::{CpuLlama, CpuOptions, Numerics};
use crate::error::HearthError;
use crate::gguf::Gguf;
use crate::gpu;
#[cfg(feature = "gpu")]
use crate::gpu::Gpu;
use crate::model::Config;
use crate::speculate::{self, Pending};
#[cfg(feature = "gpu")]
use crate::model::Llama;
use crate::sampler::Sampler;
use crate::stop::{self, find_stop, held_back, held_for_rules, suggestion, Cursor, StopMode};
pub use crate::completion::{Completion, CompletionRequest, StopReason, Timings};
use crate::tokenizer::{StreamDecoder, Tokenizer};
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
