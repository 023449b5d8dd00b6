//! Speculative decoding from the context changes how fast, never what: on both golden fixtures
//! and on code that repeats itself, the ids with drafts verified in batches equal the ids decoded
//! one pass per token, on the CPU backend (int8, its default), and the drafts are really taken.
#![cfg(not(target_family = "wasm"))]

mod common;

use common::{golden_of, ids, model_path_of, Fixture, QWEN_CODER, SMOLLM2};
use hearth::cpu::{CpuOptions, Numerics};
use hearth::{CompletionRequest, Engine};

fn engine(f: &Fixture) -> Option<Engine> {
    let bytes = std::fs::read(model_path_of(f)?).expect("read model");
    Some(Engine::load_cpu_with(bytes, 512, CpuOptions { numerics: Numerics::Int8, ..CpuOptions::default() }).expect("load"))
}

/// (ids with speculation, ids without, drafted, accepted); each run from an empty cache.
fn both(e: &mut Engine, req: &CompletionRequest) -> (Vec<u32>, Vec<u32>, usize, usize) {
    e.speculative = true;
    e.reset();
    let on = e.complete(req, &mut |_| {}).expect("complete");
    e.speculative = false;
    e.reset();
    let off = e.complete(req, &mut |_| {}).expect("complete");
    e.speculative = true;
    assert_eq!((off.timings.drafted_tokens, off.timings.accepted_tokens), (0, 0));
    (on.generated_ids, off.generated_ids, on.timings.drafted_tokens, on.timings.accepted_tokens)
}

#[test]
fn drafts_never_change_the_greedy_ids_on_the_golden_prompts() {
    for f in [&SMOLLM2, &QWEN_CODER] {
        let Some(mut e) = engine(f) else { return };
        let g = golden_of(f);
        for (i, p) in g["prompts"].as_array().expect("prompts").iter().enumerate() {
            let mut req = CompletionRequest::greedy("", ids(&p["reference_greedy_ids"]).len());
            req.prompt_ids = Some(ids(&p["prompt_ids"]));
            req.ignore_eos = true;
            let (on, off, drafted, accepted) = both(&mut e, &req);
            assert_eq!(on, off, "{} prompt {i}", f.file);
            eprintln!("{} prompt {i}: {} tokens, {drafted} drafted, {accepted} accepted", f.file, on.len());
        }
    }
}

#[test]
fn code_that_repeats_itself_is_decoded_with_fewer_passes() {
    let Some(mut e) = engine(&QWEN_CODER) else { return };
    let prompt = "def area(shape):\n    if shape.kind == 'circle':\n        return 3.14159 * shape.r * shape.r\n    if shape.kind == 'square':\n        return shape.side * shape.side\n\n\ndef perimeter(shape):\n    if shape.kind == 'circle':\n";
    let mut req = CompletionRequest::greedy(prompt, 40);
    req.ignore_eos = true;
    let (on, off, drafted, accepted) = both(&mut e, &req);
    assert_eq!(on, off);
    eprintln!("repetitive code: {} tokens, {drafted} drafted, {accepted} accepted", on.len());
    assert!(accepted >= 8, "{accepted} of {drafted} drafts accepted");
}
