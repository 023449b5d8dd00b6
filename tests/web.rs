//! The engine in a real browser: wasm32 on WebGPU (SwiftShader in headless Chromium), the real
//! GGUF fetched from the loopback server that scripts/test-web.sh starts, checked against the
//! golden greedy tokens. Run: `make test-wasm`.
#![cfg(target_family = "wasm")]

mod web_common;

use hearth::engine::Engine;
use wasm_bindgen_test::*;
use web_common::{check_golden_greedy, fetch_bytes, MODEL_URL};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn golden_greedy_tokens_on_webgpu() {
    let bytes = fetch_bytes(MODEL_URL).await;
    assert_eq!(bytes.len(), 98_362_432, "the default model, whole");
    let gpu = hearth::gpu::device_async().await.expect("a WebGPU adapter");
    console_log!("adapter: {}", gpu.adapter);
    let mut engine = Engine::load(&bytes, &gpu, 256).expect("load model");
    drop(bytes);
    assert_eq!(engine.backend.name(), "webgpu");
    check_golden_greedy(&mut engine).await;
}
