//! The CPU backend in a real browser (headless Chromium): the wasm simd128 builds of
//! `cpu::quant_dot`, `cpu::q8_dot` and `cpu::attention` against their f64 twins (the checks of tests/cpu.rs), and
//! the CPU model reproducing the golden greedy tokens. Run: `make test-wasm`.
#![cfg(target_family = "wasm")]

mod cpu_checks;
mod web_common;

use hearth::cpu::{CpuOptions, Numerics};
use hearth::engine::Engine;
use hearth::quant::QuantKind;
use wasm_bindgen_test::*;
use web_common::{check_golden_greedy, check_qwen_fim, fetch_bytes, MODEL_URL, QWEN_URL};

wasm_bindgen_test_configure!(run_in_browser);

fn log(s: String) {
    console_log!("simd128 {s}");
}

#[wasm_bindgen_test]
fn quant_dot_simd128_matches_reference() {
    for kind in QuantKind::ALL {
        cpu_checks::quant_dot_matches_reference(kind, &log);
    }
}

#[wasm_bindgen_test]
fn q8_dot_simd128_matches_reference() {
    for kind in QuantKind::ALL {
        cpu_checks::q8_dot_matches_reference(kind, &log);
    }
}

/// In a `relaxed-simd` build (`make test-wasm` runs this file twice, once with the feature), the
/// relaxed-SIMD dots give the simd128 dots' bits; in the other build both paths are simd128.
#[wasm_bindgen_test]
fn q8_dot_relaxed_gives_the_simd128_bits() {
    console_log!("relaxed-simd feature: {}", cfg!(feature = "relaxed-simd"));
    for kind in QuantKind::ALL {
        cpu_checks::q8_dot_paths_agree(kind, &log);
    }
}

/// The golden contract is the exact path's (f32 activations).
const EXACT: CpuOptions = CpuOptions { numerics: Numerics::Exact, threads: 1 };

#[wasm_bindgen_test]
fn q8_acts_simd128_quantize_as_specified() {
    cpu_checks::q8_acts_quantize_as_specified(&log);
}

#[wasm_bindgen_test]
fn attention_simd128_matches_reference() {
    cpu_checks::attention_matches_reference(&log);
}

/// One thread: this build has no helper Workers (the threads build is checked by
/// tests/browser/threads.test.mjs, whose tokens equal the one-thread build's).
#[wasm_bindgen_test]
fn attention_simd128_batch_is_stepwise() {
    assert!(cpu_checks::attention_batch_is_stepwise(1, &log) > 0);
}

#[wasm_bindgen_test]
async fn cpu_backend_golden_greedy_tokens() {
    let bytes = fetch_bytes(MODEL_URL).await;
    let mut engine = Engine::load_cpu_with(bytes, 256, EXACT).expect("load model");
    assert_eq!(engine.backend.name(), "cpu");
    check_golden_greedy(&mut engine).await;
}

#[wasm_bindgen_test]
async fn cpu_backend_qwen_fim_golden_tokens() {
    let bytes = fetch_bytes(QWEN_URL).await;
    let mut engine = Engine::load_cpu_with(bytes, 256, EXACT).expect("load model");
    assert!(engine.tokenizer.fim.is_some());
    check_qwen_fim(&mut engine).await;
}
