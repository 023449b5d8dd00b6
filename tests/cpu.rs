//! The CPU backend's kernels (`cpu::quant_dot`, `cpu::attention`) against their f64 twins
//! (`quant::matmul_reference`, `reference::attention`) at the model's real shapes. Natively this
//! checks the plain-loop build; `tests/cpu_web.rs` runs the same checks on the wasm simd128 build.
#![cfg(not(target_family = "wasm"))] // native tests; the browser ones are web.rs, store.rs, cpu_web.rs

mod cpu_checks;

use hearth::quant::QuantKind;

fn log(s: String) {
    eprintln!("{s}");
}

#[test]
fn quant_dot_q4_0_matches_reference() {
    cpu_checks::quant_dot_matches_reference(QuantKind::Q4_0, &log);
}

#[test]
fn quant_dot_q4_1_matches_reference() {
    cpu_checks::quant_dot_matches_reference(QuantKind::Q4_1, &log);
}

#[test]
fn quant_dot_q8_0_matches_reference() {
    cpu_checks::quant_dot_matches_reference(QuantKind::Q8_0, &log);
}

#[test]
fn quant_dot_q5_0_matches_reference() {
    cpu_checks::quant_dot_matches_reference(QuantKind::Q5_0, &log);
}

#[test]
fn quant_dot_q4_k_matches_reference() {
    cpu_checks::quant_dot_matches_reference(QuantKind::Q4K, &log);
}

#[test]
fn quant_dot_q6_k_matches_reference() {
    cpu_checks::quant_dot_matches_reference(QuantKind::Q6K, &log);
}

#[test]
fn q8_dot_q4_0_matches_reference() {
    cpu_checks::q8_dot_matches_reference(QuantKind::Q4_0, &log);
}

#[test]
fn q8_dot_q4_1_matches_reference() {
    cpu_checks::q8_dot_matches_reference(QuantKind::Q4_1, &log);
}

#[test]
fn q8_dot_q8_0_matches_reference() {
    cpu_checks::q8_dot_matches_reference(QuantKind::Q8_0, &log);
}

#[test]
fn q8_dot_q5_0_matches_reference() {
    cpu_checks::q8_dot_matches_reference(QuantKind::Q5_0, &log);
}

#[test]
fn q8_dot_q4_k_matches_reference() {
    cpu_checks::q8_dot_matches_reference(QuantKind::Q4K, &log);
}

#[test]
fn q8_dot_q6_k_matches_reference() {
    cpu_checks::q8_dot_matches_reference(QuantKind::Q6K, &log);
}

#[test]
fn q8_acts_quantize_as_specified() {
    cpu_checks::q8_acts_quantize_as_specified(&log);
}

#[test]
fn attention_matches_reference() {
    cpu_checks::attention_matches_reference(&log);
}

#[test]
fn attention_batch_is_stepwise() {
    assert!(cpu_checks::attention_batch_is_stepwise(2, &log) > 0);
}
