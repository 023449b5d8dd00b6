//! Hostile requests get a typed error and leave the engine usable: a table of bad values (as the
//! CLI's JSON lines and the JS API write them, and through the Rust API where JSON cannot say it,
//! e.g. NaN), each followed by a normal request that must still return the golden tokens.
//! The browser twin of this table is in tests/browser/package.test.mjs.
#![cfg(not(target_family = "wasm"))]

mod common;

use common::{golden, ids, model_path};
use hearth::cpu::{CpuOptions, Numerics};
use hearth::gguf::GgmlType;
use hearth::model::tiny::{tiny_model, TinySpec};
use hearth::model::Arch;
use hearth::request::{RequestFields, MAX_STOP_STRINGS, MAX_TEXT_BYTES};
use hearth::{CompletionRequest, Engine, HearthError};

const CONTEXT: usize = 512;
/// Golden ids checked after every case (the first generated steps all have margins > 0.4 but
/// the first, 0.069, which the exact path reproduces).
const PROBE_TOKENS: usize = 8;

fn json(s: &str) -> Result<CompletionRequest, HearthError> {
    serde_json::from_str::<RequestFields>(s)
        .map_err(|e| HearthError::InvalidRequest(e.to_string()))?
        .into_request(&CompletionRequest::new(""))
}

fn api(f: impl Fn(&mut CompletionRequest)) -> Result<CompletionRequest, HearthError> {
    let mut r = CompletionRequest::new("def add(a, b):\n");
    r.max_tokens = 4;
    f(&mut r);
    Ok(r)
}

/// Each case: its name, the request (or the error building it), and `None` for "completes" or
/// the error code it must get.
fn cases() -> Vec<(&'static str, Result<CompletionRequest, HearthError>, Option<&'static str>)> {
    let big = "x = 1\n".repeat((10 << 20) / 6);
    let huge = "y".repeat(MAX_TEXT_BYTES + 1);
    let stops: Vec<String> = (0..10_000).map(|i| format!("s{i}")).collect();
    let long_prompt: String = (0..3000).map(|i| format!("v{i} = {i}\n")).collect();
    vec![
        ("maxTokens negative", json(r#"{"prompt": "a", "maxTokens": -1}"#), Some("invalid_request")),
        ("maxTokens 1e30", json(r#"{"prompt": "a", "maxTokens": 1e30}"#), Some("invalid_request")),
        ("maxTokens huge: bounded by the context", api(|r| r.max_tokens = usize::MAX), None),
        ("maxTokens 0: prefill only", json(r#"{"prompt": "def f():", "maxTokens": 0}"#), None),
        ("temperature NaN", api(|r| r.sampler.temperature = f32::NAN), Some("invalid_request")),
        ("temperature negative", json(r#"{"prompt": "a", "temperature": -1}"#), Some("invalid_request")),
        ("temperature 1e9", json(r#"{"prompt": "a", "temperature": 1e9}"#), Some("invalid_request")),
        ("temperature infinite", api(|r| r.sampler.temperature = f32::INFINITY), Some("invalid_request")),
        ("topK huge: off", api(|r| { r.sampler.temperature = 0.7; r.sampler.top_k = usize::MAX }), None),
        ("topK negative", json(r#"{"prompt": "a", "topK": -3}"#), Some("invalid_request")),
        ("topP NaN", api(|r| r.sampler.top_p = f32::NAN), Some("invalid_request")),
        ("topP 0", json(r#"{"prompt": "a", "topP": 0}"#), Some("invalid_request")),
        ("topP 2", json(r#"{"prompt": "a", "topP": 2}"#), Some("invalid_request")),
        ("repeatPenalty 0", json(r#"{"prompt": "a", "repeatPenalty": 0}"#), Some("invalid_request")),
        ("repeatPenalty NaN", api(|r| r.sampler.repeat_penalty = f32::NAN), Some("invalid_request")),
        ("seed negative", json(r#"{"prompt": "a", "seed": -1}"#), Some("invalid_request")),
        ("prompt not a string", json(r#"{"prompt": 42}"#), Some("invalid_request")),
        ("prompt missing", json(r#"{"suffix": "x"}"#), Some("invalid_request")),
        ("prompt null", json(r#"{"prompt": null}"#), Some("invalid_request")),
        ("not an object", json(r#"[1, 2, 3]"#), Some("invalid_request")),
        ("unknown field (a typo)", json(r#"{"prompt": "a", "maxToken": 3}"#), Some("invalid_request")),
        ("empty prompt", json(r#"{"prompt": ""}"#), Some("invalid_request")),
        ("prompt of 10 MB", api(|r| { r.prompt = big.clone(); r.max_prefix_tokens = 64 }), None),
        ("suffix of 10 MB", api(|r| r.suffix = Some(big.clone())), None),
        ("prompt over the size limit", api(|r| r.prompt = huge.clone()), Some("invalid_request")),
        ("10,000 stop strings", api(|r| r.stop = stops.clone()), Some("invalid_request")),
        ("the most stop strings", api(|r| r.stop = stops[..MAX_STOP_STRINGS].to_vec()), None),
        ("an empty stop string", json(r#"{"prompt": "a", "stop": [""]}"#), Some("invalid_request")),
        ("stop not a list", json(r#"{"prompt": "a", "stop": "\n"}"#), Some("invalid_request")),
        ("mode unknown", json(r#"{"prompt": "a", "mode": "paragraph"}"#), Some("invalid_request")),
        ("deadlineMs negative", json(r#"{"prompt": "a", "deadlineMs": -5}"#), Some("invalid_request")),
        ("deadlineMs 0: stops at once", json(r#"{"prompt": "def f():", "deadlineMs": 0}"#), None),
        ("prompt longer than the context: cut to fit", api(|r| { r.prompt = long_prompt.clone(); r.max_prefix_tokens = 100_000 }), None),
        ("special tokens in the prompt are text", json(r#"{"prompt": "<|im_start|>user\n<|endoftext|>", "maxTokens": 2}"#), None),
        ("prompt ids over the context", api(|r| r.prompt_ids = Some(vec![1; CONTEXT + 5])), Some("context_overflow")),
    ]
}

fn probe(g: &serde_json::Value) -> (CompletionRequest, Vec<u32>) {
    let p = &g["prompts"][0];
    let mut r = CompletionRequest::greedy("", PROBE_TOKENS);
    r.prompt_ids = Some(ids(&p["prompt_ids"]));
    r.ignore_eos = true;
    (r, ids(&p["reference_greedy_ids"])[..PROBE_TOKENS].to_vec())
}

#[test]
fn hostile_requests_get_typed_errors_and_the_engine_still_works() {
    let Some(path) = model_path() else { return };
    let bytes = std::fs::read(path).expect("read model");
    let options = CpuOptions { numerics: Numerics::Exact, ..CpuOptions::default() };
    let mut engine = Engine::load_cpu_with(bytes, CONTEXT, options).expect("load");
    let (probe, want) = probe(&golden());
    let got = engine.complete(&probe, &mut |_| {}).expect("probe").generated_ids;
    assert_eq!(got, want, "golden tokens before the table");
    for (name, req, expect) in cases() {
        let outcome = req.and_then(|r| engine.complete(&r, &mut |_| {}).map(|c| (c, r.max_tokens)));
        match (&outcome, expect) {
            (Ok((c, max)), None) => {
                assert!(c.generated_ids.len() <= (*max).min(CONTEXT), "{name}: {} tokens", c.generated_ids.len());
                assert!(c.prompt_ids.len() < CONTEXT, "{name}: the prompt fits the context");
            }
            (Err(e), Some(code)) => assert_eq!(e.code(), code, "{name}: {e}"),
            (Ok(_), Some(code)) => panic!("{name}: completed, expected {code}"),
            (Err(e), None) => panic!("{name}: {e}"),
        }
        let got = engine.complete(&probe, &mut |_| {}).unwrap_or_else(|e| panic!("after {name}: {e}")).generated_ids;
        assert_eq!(got, want, "golden tokens after {name}");
    }
}

/// Every tiny model (each weight format, both architectures) loads, completes and refuses a
/// truncated copy of itself with a typed error; `HEARTH_WRITE_SEEDS=dir` also writes the small
/// ones there as the GGUF fuzzer's seed corpus (`make fuzz-seeds`).
#[test]
fn tiny_models_load_and_complete() {
    let seeds = std::env::var_os("HEARTH_WRITE_SEEDS").map(std::path::PathBuf::from);
    for arch in [Arch::Llama, Arch::Qwen2] {
        for ty in [GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q8_0, GgmlType::Q4K, GgmlType::Q6K] {
            let small = ty.block_geometry().0 == 32;
            let spec = TinySpec { ascii_only: small, ..TinySpec::new(arch, ty) };
            let bytes = tiny_model(&spec);
            let mut e = Engine::load_cpu_with(bytes.clone(), 64, CpuOptions { numerics: Numerics::Int8, threads: 1 })
                .unwrap_or_else(|e| panic!("{arch:?} {ty:?}: {e}"));
            let mut r = CompletionRequest::greedy("def f(x):\n", 5);
            r.suffix = Some("\n".into());
            r.ignore_eos = true;
            r.open_line = false; // a random model does not write the newline the lead asks for
            let c = e.complete(&r, &mut |_| {}).expect("complete");
            assert_eq!(c.generated_ids.len(), 5, "{arch:?} {ty:?}: {:?} {:?}", c.stop_reason, c.text);
            assert_eq!(c.fim, arch == Arch::Qwen2);
            let cut = Engine::load_cpu(bytes[..bytes.len() - 1].to_vec(), 64).err().expect("truncated file refused");
            assert_eq!(cut.code(), "bad_model");
            if let (Some(dir), true) = (&seeds, small) {
                std::fs::create_dir_all(dir).expect("seed dir");
                std::fs::write(dir.join(format!("tiny-{arch:?}-{}.gguf", ty.name()).to_lowercase()), &bytes).expect("write seed");
            }
        }
    }
}

/// Abort anywhere in a completion (seeded: after a random number of the engine's abort checks,
/// over prompts that share and do not share the cached prefix, greedy with drafts and sampled):
/// the next request still gives exactly the ids a fresh engine gives.
#[test]
fn aborts_at_random_points_leave_the_engine_consistent() {
    let models: Vec<(&str, Vec<u8>, usize)> = {
        let mut m = vec![("tiny qwen2", tiny_model(&TinySpec::new(Arch::Qwen2, GgmlType::Q8_0)), 300)];
        if let Some(path) = model_path() {
            m.push(("smollm2", std::fs::read(path).expect("read model"), 24));
        }
        m
    };
    let prompts = ["def add(a, b):\n    return a + b\n\ndef sub(a, b):\n", "def add(a, b):\n    return", "import os\nimport sys\n", "class Stack:\n    def push(self, x):\n"];
    for (name, bytes, rounds) in models {
        let options = CpuOptions { numerics: Numerics::Int8, threads: 1 };
        let mut fresh = Engine::load_cpu_with(bytes.clone(), 256, options).expect("load");
        let mut e = Engine::load_cpu_with(bytes, 256, options).expect("load");
        let probe = |p: &str| {
            let mut r = CompletionRequest::greedy(p, 12);
            r.ignore_eos = true;
            r
        };
        let want: Vec<Vec<u32>> = prompts.iter().map(|p| { fresh.reset(); fresh.complete(&probe(p), &mut |_| {}).expect("fresh").generated_ids }).collect();
        let mut rng = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let mut aborted = 0;
        for round in 0..rounds {
            let i = next(prompts.len() as u64) as usize;
            let mut req = probe(prompts[i]);
            if next(3) == 0 {
                req.sampler.temperature = 0.8;
                req.sampler.seed = round as u64;
            }
            let after = next(30) as usize;
            let polls = std::cell::Cell::new(0usize);
            let abort = || {
                polls.set(polls.get() + 1);
                polls.get() > after
            };
            match futures_lite::future::block_on(e.complete_async(&req, &mut |_| {}, &abort)) {
                Err(err) => {
                    assert_eq!(err.code(), "aborted", "{name} round {round}");
                    aborted += 1;
                }
                Ok(c) => assert!(c.generated_ids.len() <= 12),
            }
            let j = next(prompts.len() as u64) as usize;
            let got = e.complete(&probe(prompts[j]), &mut |_| {}).expect("after an abort").generated_ids;
            assert_eq!(got, want[j], "{name} round {round}: prompt {j} after an abort at poll {after}");
        }
        eprintln!("{name}: {rounds} rounds, {aborted} aborted");
        assert!(aborted >= rounds / 4, "{name}: only {aborted} of {rounds} aborted");
    }
}
