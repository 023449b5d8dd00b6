//! What the JS API returns, as the package's types (`pkg-config/index.d.ts`) describe it:
//! `complete()`'s result and `info()`, camelCase, JSON-compatible.

use crate::engine::Completion;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Response {
    pub(super) text: String,
    /// The suffix went in as fill-in-the-middle.
    pub(super) fim: bool,
    pub(super) tokens: Vec<u32>,
    pub(super) prompt_tokens: Vec<u32>,
    pub(super) stop_reason: &'static str,
    pub(super) timings: Timings,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Timings {
    pub(super) reused_tokens: usize,
    pub(super) prefill_tokens: usize,
    pub(super) prefill_ms: f64,
    pub(super) decode_tokens: usize,
    pub(super) decode_ms: f64,
    /// Speculative decoding: drafts verified / accepted.
    pub(super) drafted_tokens: usize,
    pub(super) accepted_tokens: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Info {
    pub(super) model: String,
    pub(super) backend: &'static str,
    pub(super) adapter: String,
    pub(super) context: usize,
    pub(super) vocab: usize,
    /// The model has fill-in-the-middle tokens: `complete({ prompt, suffix })` uses the suffix.
    pub(super) fim: bool,
    pub(super) limits: LimitsInfo,
    /// How the weights were obtained: `cache`, `network` (resumed or not) or `memory`.
    pub(super) source: String,
    pub(super) load_ms: f64,
    /// What the load read: bytes from the store, bytes downloaded, the offset the download
    /// started at, connections opened.
    pub(super) load: LoadInfo,
    /// Which wasm build runs: `webgpu` (hearth.js: both backends), `cpu` (hearth_cpu.js) or
    /// `cpu-threads` (hearth_cpu_threads.js: the CPU backend on shared memory and Workers).
    pub(super) wasm_build: &'static str,
    /// The CPU kernels' dot products: "relaxed" (relaxed-SIMD builds) or "simd128".
    pub(super) cpu_simd: &'static str,
    /// The CPU backend's threads (`null` on WebGPU).
    pub(super) threads: Option<usize>,
    /// Why `backend: 'auto'` runs on the CPU (no adapter, a software one, or one that failed the
    /// kernel self-test); `null` on WebGPU or when the CPU was asked for.
    pub(super) gpu_fallback: Option<String>,
    /// Bytes of this engine's wasm linear memory (it grows, never shrinks: flat in a long session).
    pub(super) wasm_memory_bytes: f64,
    /// GPU devices lost, and recovered from by loading the model again from the store.
    pub(super) device_lost: DeviceLostInfo,
}

#[derive(Serialize, Clone, Copy, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct LoadInfo {
    pub(super) from_cache: f64,
    pub(super) downloaded: f64,
    pub(super) resumed_at: f64,
    pub(super) attempts: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LimitsInfo {
    pub(super) max_buffer_size: f64,
    pub(super) max_storage_buffer_binding_size: f64,
}

#[derive(Serialize, Clone, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeviceLostInfo {
    /// Lost and not yet recovered: the next request loads the model again first.
    #[serde(skip)]
    #[cfg_attr(not(feature = "gpu"), allow(dead_code))]
    pub(super) pending: bool,
    pub(super) count: u32,
    pub(super) recovered: u32,
    pub(super) last: Option<String>,
    pub(super) recover_ms: f64,
}

impl From<Completion> for Response {
    fn from(c: Completion) -> Self {
        let t = &c.timings;
        let timings = Timings {
            reused_tokens: t.reused_tokens,
            prefill_tokens: t.prefill_tokens,
            prefill_ms: t.prefill.as_secs_f64() * 1e3,
            decode_tokens: t.decode_tokens,
            decode_ms: t.decode.as_secs_f64() * 1e3,
            drafted_tokens: t.drafted_tokens,
            accepted_tokens: t.accepted_tokens,
        };
        Response { text: c.text, fim: c.fim, tokens: c.generated_ids, prompt_tokens: c.prompt_ids, stop_reason: c.stop_reason.as_str(), timings }
    }
}
