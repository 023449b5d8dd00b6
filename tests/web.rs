//! The engine in a real browser: wasm32 on WebGPU (SwiftShader in headless Chromium), the real
//! GGUF fetched from the loopback server that scripts/test-web.sh starts, checked against the
//! golden greedy tokens. Run: `make test-wasm`.
#![cfg(target_family = "wasm")]

mod web_common;

use hearth::engine::Engine;
use wasm_bindgen_test::*;
use web_common::{check_golden_greedy, check_qwen_fim, fetch_bytes, MODEL_URL, QWEN_URL};

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

/// Qwen2.5-Coder on WebGPU: q|k|v in mixed formats written into one output, its 145 MB output
/// matrix split at WebGPU's default 128 MiB binding limit (whatever SwiftShader offers), the FIM
/// prompt's greedy tokens equal to the golden ones.
#[wasm_bindgen_test]
async fn qwen_fim_golden_tokens_on_webgpu() {
    let bytes = fetch_bytes(QWEN_URL).await;
    let gpu = hearth::gpu::device_async().await.expect("a WebGPU adapter");
    let mut engine = Engine::load(&bytes, &gpu, 256).expect("load model");
    drop(bytes);
    assert!(engine.tokenizer.fim.is_some());
    check_qwen_fim(&mut engine).await;
}

/// The wide family (what hardware adapters get) passes its kernel self-test on SwiftShader too,
/// with the subgroup GEMV (`enable subgroups;` in its WGSL) where the device has subgroups (wgpu
/// 30 asks for none on the web yet: the log says which ran).
#[wasm_bindgen_test]
async fn wide_kernels_pass_the_self_test_on_webgpu() {
    let gpu = hearth::gpu::device_async().await.expect("a WebGPU adapter");
    console_log!("{}: subgroups {}", gpu.adapter, hearth::gpu::subgroups());
    hearth::kernels::self_test::run(&gpu.device, hearth::kernels::Family::Wide).await.expect("the wide kernels' self-test");
}
