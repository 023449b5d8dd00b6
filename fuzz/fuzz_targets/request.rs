//! Any bytes as a completion request (the JSON of a CLI line; JS objects reach the same
//! `RequestFields` through serde-wasm-bindgen), run on a tiny FIM model: a typed error or a
//! completion, and afterwards the engine still gives a fixed greedy request the same ids as a
//! fresh engine did (whatever the hostile request left in the KV cache).
#![no_main]

use hearth::cpu::{CpuOptions, Numerics};
use hearth::gguf::GgmlType;
use hearth::model::tiny::{tiny_model, TinySpec};
use hearth::model::Arch;
use hearth::request::RequestFields;
use hearth::{CompletionRequest, Engine};
use std::sync::{Mutex, OnceLock};

const CONTEXT: usize = 96;

fn engine() -> Engine {
    let bytes = tiny_model(&TinySpec::new(Arch::Qwen2, GgmlType::Q8_0));
    Engine::load_cpu_with(bytes, CONTEXT, CpuOptions { numerics: Numerics::Int8, threads: 1 }).expect("tiny model")
}

fn probe() -> CompletionRequest {
    let mut r = CompletionRequest::greedy("def add(a, b):\n    return", 4);
    r.suffix = Some("\n\nprint(add(1, 2))\n".into());
    r.ignore_eos = true;
    r
}

fn state() -> &'static Mutex<(Engine, Vec<u32>)> {
    static S: OnceLock<Mutex<(Engine, Vec<u32>)>> = OnceLock::new();
    S.get_or_init(|| {
        let mut e = engine();
        let ids = e.complete(&probe(), &mut |_| {}).expect("probe").generated_ids;
        Mutex::new((e, ids))
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(fields) = serde_json::from_slice::<RequestFields>(data) else { return };
    let mut guard = state().lock().unwrap_or_else(|p| p.into_inner());
    let (engine, want) = &mut *guard;
    if let Ok(req) = fields.into_request(&CompletionRequest::new("")) {
        match engine.complete(&req, &mut |_| {}) {
            Ok(c) => assert!(c.generated_ids.len() <= req.max_tokens),
            Err(e) => assert!(["invalid_request", "context_overflow", "tokenizer"].contains(&e.code()), "{e}"),
        }
    }
    let got = engine.complete(&probe(), &mut |_| {}).expect("probe after a hostile request").generated_ids;
    assert_eq!(&got, want, "the engine's output changed after a request");
});
