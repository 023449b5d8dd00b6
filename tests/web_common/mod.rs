//! Shared by the wasm browser tests (tests/web.rs, tests/cpu_web.rs): the model from the loopback
//! server that scripts/test-web.sh starts, and the golden greedy check.
#![allow(dead_code)] // each test file uses part of it

use hearth::engine::{CompletionRequest, Engine};
use serde_json::Value;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::console_log;

pub const MODEL_URL: &str = match option_env!("HEARTH_MODEL_URL") {
    Some(u) => u,
    None => "http://127.0.0.1:8766/SmolLM2-135M-Instruct.Q4_1.gguf",
};

pub const QWEN_URL: &str = match option_env!("HEARTH_QWEN_URL") {
    Some(u) => u,
    None => "http://127.0.0.1:8766/Qwen2.5-Coder-0.5B-Instruct.gguf",
};

pub async fn fetch_bytes(url: &str) -> Vec<u8> {
    let window = web_sys::window().expect("window");
    let resp: web_sys::Response = JsFuture::from(window.fetch_with_str(url)).await.expect("fetch").dyn_into().expect("response");
    let buf = JsFuture::from(resp.array_buffer().expect("body")).await.expect("body");
    js_sys::Uint8Array::new(&buf).to_vec()
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array().expect("ids").iter().map(|x| x.as_u64().expect("id") as u32).collect()
}

/// The first two golden prompts reproduce `reference_greedy_ids` up to `greedy_must_match_len`.
pub async fn check_golden_greedy(engine: &mut Engine) {
    let golden: Value = serde_json::from_str(include_str!("../fixtures/smollm2-135m-q4_1.json")).expect("fixture");
    let n_generate = golden["n_generate"].as_u64().expect("n") as usize;
    for p in golden["prompts"].as_array().expect("prompts").iter().take(2) {
        let prompt = p["prompt"].as_str().expect("prompt");
        let must = p["greedy_must_match_len"].as_u64().expect("len") as usize;
        let mut req = CompletionRequest::greedy(prompt, n_generate);
        req.ignore_eos = true;
        let c = engine.complete_async(&req, &mut |_| {}, &|| false).await.expect("complete");
        assert_eq!(c.prompt_ids, ids(&p["prompt_ids"]));
        assert_eq!(&c.generated_ids[..must], &ids(&p["reference_greedy_ids"])[..must], "{prompt:?} → {:?}", c.text);
        console_log!(
            "{} {prompt:?}: {must} tokens match; prefill {:.1} tok/s, decode {:.1} tok/s",
            engine.backend.name(),
            c.timings.prefill_tokens as f64 / c.timings.prefill.as_secs_f64(),
            c.timings.decode_tokens as f64 / c.timings.decode.as_secs_f64()
        );
    }
}

/// Qwen2.5-Coder's fill-in-the-middle golden prompt as a user's request (prefix + suffix): the
/// engine's FIM layout gives the fixture's ids and the greedy tokens match the reference.
pub async fn check_qwen_fim(engine: &mut Engine) {
    let golden: Value = serde_json::from_str(include_str!("../fixtures/qwen2.5-coder-0.5b.json")).expect("fixture");
    let n_generate = golden["n_generate"].as_u64().expect("n") as usize;
    let p = &golden["prompts"][1];
    let prompt = p["prompt"].as_str().expect("prompt");
    let (prefix, suffix) = prompt
        .strip_prefix("<|fim_prefix|>")
        .and_then(|r| r.strip_suffix("<|fim_middle|>"))
        .and_then(|r| r.split_once("<|fim_suffix|>"))
        .expect("a FIM prompt");
    let must = p["greedy_must_match_len"].as_u64().expect("len") as usize;
    let mut req = CompletionRequest::greedy(prefix, n_generate);
    req.suffix = Some(suffix.to_string());
    req.ignore_eos = true;
    req.open_line = false; // the fixture's layout: the prefix as it is
    req.line_in_middle = false;
    let c = engine.complete_async(&req, &mut |_| {}, &|| false).await.expect("complete");
    assert!(c.fim);
    assert_eq!(c.prompt_ids, ids(&p["prompt_ids"]));
    assert_eq!(&c.generated_ids[..must], &ids(&p["reference_greedy_ids"])[..must], "FIM → {:?}", c.text);
    console_log!(
        "{} qwen FIM: {must} tokens match ({:?}); prefill {:.1} tok/s, decode {:.1} tok/s",
        engine.backend.name(),
        c.text,
        c.timings.prefill_tokens as f64 / c.timings.prefill.as_secs_f64(),
        c.timings.decode_tokens as f64 / c.timings.decode.as_secs_f64()
    );
}
