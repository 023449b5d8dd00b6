//! The CPU backend in a real browser (headless Chromium): the wasm simd128 build of
//! `cpu::quant_dot` against its f64 twin at the model's shapes, and the CPU model reproducing
//! the golden greedy tokens. Run: `make test-web`.
#![cfg(target_family = "wasm")]

mod web_common;

use hearth::cpu::quant_dot;
use hearth::engine::Engine;
use hearth::quant::{QuantKind, QK};
use wasm_bindgen_test::*;
use web_common::{check_golden_greedy, fetch_bytes, MODEL_URL};

wasm_bindgen_test_configure!(run_in_browser);

/// As in tests/cpu.rs: f32 accumulation over ≤ 1536 products.
const QUANT_DOT_REL_TOLERANCE: f64 = 1e-5;

/// SplitMix64, as tests/common (which is native-only).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn f32(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn random_matrix(kind: QuantKind, rows: usize, cols: usize, rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..rows * cols / QK {
        let start = out.len();
        out.extend_from_slice(&half::f16::from_f32(rng.f32(0.002, 0.05)).to_bits().to_le_bytes());
        if kind == QuantKind::Q4_1 {
            out.extend_from_slice(&half::f16::from_f32(rng.f32(-0.4, 0.0)).to_bits().to_le_bytes());
        }
        while out.len() - start < kind.block_bytes() {
            out.push(rng.next() as u8);
        }
    }
    out
}

#[wasm_bindgen_test]
fn quant_dot_simd128_matches_reference() {
    let mut rng = Rng(11);
    for kind in [QuantKind::Q4_0, QuantKind::Q4_1, QuantKind::Q8_0] {
        for (cols, rows, n_tok) in [(576, 1536, 1), (1536, 576, 3), (576, 49152, 1)] {
            let w = random_matrix(kind, rows, cols, &mut rng);
            let x: Vec<f32> = (0..n_tok * cols).map(|_| rng.f32(-1.0, 1.0)).collect();
            let mut y = vec![0f32; n_tok * rows];
            quant_dot::matmul(kind, &w, rows, cols, &x, &quant_dot::block_sums(&x), &mut y);
            let (want, mag) = hearth::quant::matmul_reference(kind, &w, rows, cols, &x);
            let worst = y.iter().zip(&want).zip(&mag).map(|((g, w), m)| (*g as f64 - w).abs() / m.max(1e-30)).fold(0f64, f64::max);
            console_log!("quant_dot simd128 {kind:?} {cols}x{rows} tokens {n_tok}: worst rel err {worst:.2e}");
            assert!(worst <= QUANT_DOT_REL_TOLERANCE, "{kind:?} {cols}x{rows}: {worst:.2e}");
        }
    }
}

/// As in tests/cpu.rs.
const ATTENTION_REL_TOLERANCE: f64 = 1e-5;

#[wasm_bindgen_test]
fn attention_simd128_matches_reference() {
    use hearth::reference::AttentionShape;
    let mut rng = Rng(5);
    for (t, pos) in [(1, 40), (5, 20)] {
        let shape = AttentionShape { heads: 9, kv_heads: 3, hd: 64, pos, capacity: 64 };
        let q: Vec<f32> = (0..t * 9 * 64).map(|_| rng.f32(-1.0, 1.0)).collect();
        let k: Vec<f32> = (0..3 * 64 * 64).map(|_| rng.f32(-1.0, 1.0)).collect();
        let v: Vec<f32> = (0..3 * 64 * 64).map(|_| rng.f32(-1.0, 1.0)).collect();
        let got = hearth::cpu::attention::forward(&q, &k, &v, shape);
        let want = hearth::reference::attention(&q, &k, &v, shape);
        let scale = want.iter().fold(0f64, |m, w| m.max(w.abs()));
        let worst = got.iter().zip(&want).map(|(g, w)| (*g as f64 - w).abs() / scale).fold(0f64, f64::max);
        console_log!("attention simd128 t={t} pos={pos}: worst rel err {worst:.2e}");
        assert!(worst <= ATTENTION_REL_TOLERANCE, "t={t} pos={pos}: {worst:.2e}");
    }
}

#[wasm_bindgen_test]
async fn cpu_backend_golden_greedy_tokens() {
    let bytes = fetch_bytes(MODEL_URL).await;
    let mut engine = Engine::load_cpu(&bytes, 256).expect("load model");
    drop(bytes);
    assert_eq!(engine.backend.name(), "cpu");
    check_golden_greedy(&mut engine).await;
}
