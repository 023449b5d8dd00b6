//! The engine in a real browser: wasm32 on WebGPU (SwiftShader in headless Chromium), the real
//! GGUF fetched from the loopback server that scripts/test-web.sh starts, checked against the
//! golden greedy tokens. Run: `make test-web`.
#![cfg(target_family = "wasm")]

use hearth::engine::{CompletionRequest, Engine};
use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const MODEL_URL: &str = match option_env!("HEARTH_MODEL_URL") {
    Some(u) => u,
    None => "http://127.0.0.1:8766/SmolLM2-135M-Instruct.Q4_1.gguf",
};

async fn fetch_bytes(url: &str) -> Vec<u8> {
    let fetch = js_sys::Reflect::get(&js_sys::global(), &"fetch".into()).expect("fetch");
    let fetch: js_sys::Function = fetch.dyn_into().expect("fetch is a function");
    let resp = JsFuture::from(js_sys::Promise::from(fetch.call1(&js_sys::global(), &url.into()).expect("fetch call"))).await.expect("fetch model");
    let buf_fn: js_sys::Function = js_sys::Reflect::get(&resp, &"arrayBuffer".into()).expect("arrayBuffer").dyn_into().expect("fn");
    let buf = JsFuture::from(js_sys::Promise::from(buf_fn.call0(&resp).expect("arrayBuffer call"))).await.expect("body");
    js_sys::Uint8Array::new(&buf).to_vec()
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array().expect("ids").iter().map(|x| x.as_u64().expect("id") as u32).collect()
}

#[wasm_bindgen_test]
async fn golden_greedy_tokens_on_webgpu() {
    let bytes = fetch_bytes(MODEL_URL).await;
    assert_eq!(bytes.len(), 98_362_432, "the default model, whole");
    let gpu = hearth::gpu::device_async().await.expect("a WebGPU adapter");
    console_log!("adapter: {}", gpu.adapter);
    let mut engine = Engine::load(&bytes, &gpu, 256).expect("load model");
    drop(bytes);
    let golden: Value = serde_json::from_str(include_str!("fixtures/smollm2-135m-q4_1.json")).expect("fixture");
    let n_generate = golden["n_generate"].as_u64().expect("n") as usize;
    for p in golden["prompts"].as_array().expect("prompts").iter().take(2) {
        let prompt = p["prompt"].as_str().expect("prompt");
        let must = p["greedy_must_match_len"].as_u64().expect("len") as usize;
        let mut req = CompletionRequest::greedy(prompt, n_generate);
        req.ignore_eos = true;
        let c = engine.complete_async(&req, &mut |_| {}, &|| false).await.expect("complete");
        assert_eq!(c.prompt_ids, ids(&p["prompt_ids"]));
        assert_eq!(&c.generated_ids[..must], &ids(&p["reference_greedy_ids"])[..must], "{prompt:?} → {:?}", c.text);
        console_log!("{prompt:?}: {} tokens match; decode {:.1} tok/s", must, c.timings.decode_tokens as f64 / c.timings.decode.as_secs_f64());
    }
}
