//! The engine against the float64 reference of the same GGUF (tests/fixtures, `how_to_compare`):
//! tokenization, teacher-forced logits at every position, greedy decoding.
#![cfg(not(target_family = "wasm"))] // native tests; the browser ones are web.rs, store.rs, cpu_web.rs

mod common;

use common::{golden, ids};
use hearth::engine::{CompletionRequest, Engine};
use serde_json::Value;

/// Allowed |engine − reference| on a logit. The fixture's contract allows at most 1e-2; f32
/// lands near 1e-4 (measured here on lavapipe: worst 4.2e-5 over all prompts and positions).
/// 5e-4 leaves 10× headroom for other adapters' summation order and still catches a wrong op.
const LOGIT_TOLERANCE: f64 = 5e-4;

fn engine() -> Option<Engine> {
    let path = common::model_path()?;
    common::gpu()?;
    Some(Engine::load_file(&path, 512).expect("load model"))
}

/// The same model on the CPU backend (no GPU needed).
fn cpu_engine() -> Option<Engine> {
    let path = common::model_path()?;
    Some(Engine::load_cpu(std::fs::read(path).expect("read model"), 512).expect("load model"))
}

fn check_top(what: &str, logits: &[f32], expected: &Value, worst: &mut f64) {
    for pair in expected.as_array().expect("pairs") {
        let id = pair[0].as_u64().expect("id") as usize;
        let want = pair[1].as_f64().expect("logit");
        let diff = (logits[id] as f64 - want).abs();
        *worst = worst.max(diff);
        assert!(diff <= LOGIT_TOLERANCE, "{what}: logit[{id}] = {} but reference {want} (diff {diff:.2e})", logits[id]);
    }
}

#[test]
fn prompts_tokenize_as_the_reference() {
    let Some(engine) = engine() else { return };
    for p in golden()["prompts"].as_array().expect("prompts") {
        let prompt = p["prompt"].as_str().expect("prompt");
        assert_eq!(engine.tokenizer.encode(prompt).expect("encode"), ids(&p["prompt_ids"]), "{prompt:?}");
    }
}

#[test]
fn tokenization_cases_encode_exactly() {
    let Some(engine) = engine() else { return };
    for case in golden()["tokenization"].as_array().expect("cases") {
        let text = case["text"].as_str().expect("text");
        assert_eq!(engine.tokenizer.encode(text).expect("encode"), ids(&case["ids"]), "{text:?}");
    }
}

#[test]
fn teacher_forced_logits_match_reference() {
    let Some(engine) = engine() else { return };
    teacher_forced(engine);
}

#[test]
fn cpu_teacher_forced_logits_match_reference() {
    let Some(engine) = cpu_engine() else { return };
    teacher_forced(engine);
}

fn teacher_forced(mut engine: Engine) {
    let n_vocab = engine.config().n_vocab;
    let mut worst = 0f64;
    for p in golden()["prompts"].as_array().expect("prompts") {
        let mut seq = ids(&p["prompt_ids"]);
        let n_prompt = seq.len();
        seq.extend(ids(&p["reference_greedy_ids"]));
        let logits = engine.logits_all(&seq).expect("forward");
        assert_eq!(logits.len(), seq.len() * n_vocab);
        let positions = p["positions"].as_array().expect("positions");
        assert!(positions.len() + 1 >= seq.len() - 1, "fixture covers the sequence");
        for pos in positions {
            let j = pos["pos"].as_u64().expect("pos") as usize;
            let row = &logits[j * n_vocab..(j + 1) * n_vocab];
            check_top(&format!("{:?} pos {j}", p["prompt"]), row, &pos["top5"], &mut worst);
        }
        let row = &logits[(n_prompt - 1) * n_vocab..n_prompt * n_vocab];
        check_top(&format!("{:?} first generated top50", p["prompt"]), row, &p["first_generated_top50"], &mut worst);
    }
    eprintln!("{}: worst logit difference vs float64 reference: {worst:.3e}", engine.backend.name());
}

#[test]
fn greedy_decoding_matches_reference() {
    let Some(engine) = engine() else { return };
    greedy(engine);
}

#[test]
fn cpu_greedy_decoding_matches_reference() {
    let Some(engine) = cpu_engine() else { return };
    greedy(engine);
}

fn greedy(mut engine: Engine) {
    let fixture = golden();
    let n_generate = fixture["n_generate"].as_u64().expect("n_generate") as usize;
    for p in fixture["prompts"].as_array().expect("prompts") {
        let prompt = p["prompt"].as_str().expect("prompt");
        let must = p["greedy_must_match_len"].as_u64().expect("len") as usize;
        let want = ids(&p["reference_greedy_ids"]);
        let mut req = CompletionRequest::greedy(prompt, n_generate);
        req.ignore_eos = true;
        let c = engine.complete(&req, &mut |_| {}).expect("complete");
        assert_eq!(c.prompt_ids, ids(&p["prompt_ids"]));
        assert_eq!(c.generated_ids.len(), n_generate);
        assert_eq!(&c.generated_ids[..must], &want[..must], "{prompt:?}: got {:?}", c.text);
    }
}
