//! The CPU backend's kernel (`cpu::quant_dot`) against its f64 twin (`quant::matmul_reference`)
//! at the model's real shapes, one token (decode) and several (prefill). Natively this checks the
//! plain-loop build; `tests/cpu_web.rs` checks the wasm simd128 build in the browser.
#![cfg(not(target_family = "wasm"))] // native tests; the browser ones are web.rs, store.rs, cpu_web.rs

mod common;

use common::{random_matrix, TestRng};
use hearth::cpu::quant_dot;
use hearth::quant::QuantKind;

/// Worst |cpu − twin| / Σ|w·x| (f32 accumulate over ≤ 1536 products lands near 1e-7).
const QUANT_DOT_REL_TOLERANCE: f64 = 1e-5;
const SHAPES: [(usize, usize); 3] = [(576, 1536), (1536, 576), (576, 49152)];

fn check(kind: QuantKind, n_tok: usize) {
    let mut rng = TestRng::new(7 + n_tok as u64);
    for (cols, rows) in SHAPES {
        let w = random_matrix(kind, rows, cols, &mut rng);
        let x: Vec<f32> = (0..n_tok * cols).map(|_| rng.f32(-1.0, 1.0)).collect();
        let mut y = vec![0f32; n_tok * rows];
        quant_dot::matmul(kind, &w, rows, cols, &x, &quant_dot::block_sums(&x), &mut y);
        let (want, mag) = hearth::quant::matmul_reference(kind, &w, rows, cols, &x);
        let worst = y.iter().zip(&want).zip(&mag).map(|((g, w), m)| (*g as f64 - w).abs() / m.max(1e-30)).fold(0f64, f64::max);
        eprintln!("quant_dot {kind:?} {cols}x{rows} tokens {n_tok}: worst rel err {worst:.2e}");
        assert!(worst <= QUANT_DOT_REL_TOLERANCE, "{kind:?} {cols}x{rows}: {worst:.2e}");
    }
}

#[test]
fn quant_dot_q4_0_matches_reference() {
    check(QuantKind::Q4_0, 1);
    check(QuantKind::Q4_0, 5);
}

#[test]
fn quant_dot_q4_1_matches_reference() {
    check(QuantKind::Q4_1, 1);
    check(QuantKind::Q4_1, 5);
}

#[test]
fn quant_dot_q8_0_matches_reference() {
    check(QuantKind::Q8_0, 1);
    check(QuantKind::Q8_0, 5);
}

/// Worst |cpu − twin| / max|twin| for attention (f32 softmax and sums over ≤ 64 keys).
const ATTENTION_REL_TOLERANCE: f64 = 1e-5;

#[test]
fn attention_matches_reference() {
    use hearth::reference::AttentionShape;
    let mut rng = TestRng::new(5);
    for (t, pos) in [(1, 40), (5, 20)] {
        let shape = AttentionShape { heads: 9, kv_heads: 3, hd: 64, pos, capacity: 64 };
        let q: Vec<f32> = (0..t * 9 * 64).map(|_| rng.f32(-1.0, 1.0)).collect();
        let k: Vec<f32> = (0..3 * 64 * 64).map(|_| rng.f32(-1.0, 1.0)).collect();
        let v: Vec<f32> = (0..3 * 64 * 64).map(|_| rng.f32(-1.0, 1.0)).collect();
        let got = hearth::cpu::attention::forward(&q, &k, &v, shape);
        let want = hearth::reference::attention(&q, &k, &v, shape);
        let scale = want.iter().fold(0f64, |m, w| m.max(w.abs()));
        let worst = got.iter().zip(&want).map(|(g, w)| (*g as f64 - w).abs() / scale).fold(0f64, f64::max);
        eprintln!("cpu attention t={t} pos={pos}: worst rel err {worst:.2e}");
        assert!(worst <= ATTENTION_REL_TOLERANCE, "t={t} pos={pos}: {worst:.2e}");
    }
}
