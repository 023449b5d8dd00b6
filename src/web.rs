//! The JS API (wasm only): `WasmEngine.load(bytes)` and `engine.complete(request)`, async,
//! with errors as `Error` objects whose message starts with the stable code.

use crate::engine::{CompletionRequest, Engine, DEFAULT_CONTEXT};
use crate::error::HearthError;
use crate::gpu;
use crate::sampler::SamplerConfig;
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

fn js_error(e: HearthError) -> JsError {
    JsError::new(&format!("{}: {e}", e.code()))
}

/// What `complete` accepts (camelCase, all optional but `prompt`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    prompt: String,
    max_tokens: Option<usize>,
    temperature: Option<f32>,
    top_k: Option<usize>,
    top_p: Option<f32>,
    repeat_penalty: Option<f32>,
    seed: Option<u64>,
    #[serde(default)]
    stop: Vec<String>,
    #[serde(default)]
    ignore_eos: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    text: String,
    tokens: Vec<u32>,
    prompt_tokens: Vec<u32>,
    stop_reason: &'static str,
    timings: Timings,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Timings {
    reused_tokens: usize,
    prefill_tokens: usize,
    prefill_ms: f64,
    decode_tokens: usize,
    decode_ms: f64,
}

/// Runs when the module is instantiated: static constructors once (see `gpu::run_constructors_once`).
#[wasm_bindgen(start)]
fn start() {
    gpu::run_constructors_once();
}

#[wasm_bindgen]
pub struct WasmEngine {
    engine: Engine,
}

#[wasm_bindgen]
impl WasmEngine {
    /// Parse, repack and upload a GGUF model on the page's WebGPU device.
    pub async fn load(bytes: js_sys::Uint8Array, context: Option<u32>) -> Result<WasmEngine, JsError> {
        let gpu = gpu::device_async().await.map_err(js_error)?;
        let engine = Engine::load(&bytes.to_vec(), &gpu, context.map_or(DEFAULT_CONTEXT, |c| c as usize)).map_err(js_error)?;
        Ok(WasmEngine { engine })
    }

    /// Run a completion: `{ prompt, maxTokens, temperature, topK, topP, repeatPenalty, seed, stop }`
    /// → `{ text, tokens, promptTokens, stopReason, timings }`.
    pub async fn complete(&mut self, request: JsValue) -> Result<JsValue, JsError> {
        let r: Request = serde_wasm_bindgen::from_value(request).map_err(|e| js_error(HearthError::InvalidRequest(e.to_string())))?;
        let defaults = SamplerConfig::default();
        let req = CompletionRequest {
            prompt: r.prompt,
            max_tokens: r.max_tokens.unwrap_or(64),
            sampler: SamplerConfig {
                temperature: r.temperature.unwrap_or(defaults.temperature),
                top_k: r.top_k.unwrap_or(defaults.top_k),
                top_p: r.top_p.unwrap_or(defaults.top_p),
                repeat_penalty: r.repeat_penalty.unwrap_or(defaults.repeat_penalty),
                seed: r.seed.unwrap_or(defaults.seed),
                ..defaults
            },
            stop: r.stop,
            ignore_eos: r.ignore_eos,
        };
        let c = self.engine.complete_async(&req, &mut |_| {}, &|| false).await.map_err(js_error)?;
        let t = &c.timings;
        let out = Response {
            text: c.text,
            tokens: c.generated_ids,
            prompt_tokens: c.prompt_ids,
            stop_reason: c.stop_reason.as_str(),
            timings: Timings {
                reused_tokens: t.reused_tokens,
                prefill_tokens: t.prefill_tokens,
                prefill_ms: t.prefill.as_secs_f64() * 1e3,
                decode_tokens: t.decode_tokens,
                decode_ms: t.decode.as_secs_f64() * 1e3,
            },
        };
        serde_wasm_bindgen::to_value(&out).map_err(|e| JsError::new(&e.to_string()))
    }

    /// `{ adapter, context, vocab }`
    pub fn info(&self) -> JsValue {
        let o = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&o, &"adapter".into(), &self.engine.adapter.clone().into());
        let _ = js_sys::Reflect::set(&o, &"context".into(), &(self.engine.context() as u32).into());
        let _ = js_sys::Reflect::set(&o, &"vocab".into(), &(self.engine.model.config.n_vocab as u32).into());
        o.into()
    }
}
