//! Any bytes as a model file: the GGUF reader, the model config, the tokenizer built from the
//! metadata, the weight views and a short completion on the CPU backend. Every outcome but a
//! typed error or a completion is a bug (a panic, an overflow, an allocation past the limit).
#![no_main]

use hearth::cpu::{CpuOptions, Numerics};
use hearth::gguf::Gguf;
use hearth::{CompletionRequest, Engine};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(g) = Gguf::parse(data) {
        for t in g.tensors() {
            assert_eq!(g.tensor_data(t).len() as u64, t.n_bytes);
        }
    }
    let numerics = if data.len() % 2 == 0 { Numerics::Int8 } else { Numerics::Exact };
    let Ok(mut engine) = Engine::load_cpu_with(data.to_vec(), 32, CpuOptions { numerics, threads: 1 }) else { return };
    let mut req = CompletionRequest::greedy("def f", 3);
    req.suffix = Some("\n".into());
    match engine.complete(&req, &mut |_| {}) {
        Ok(c) => assert!(c.generated_ids.len() <= 3),
        Err(e) => assert!(!e.code().is_empty()),
    }
});
