//! The CPU backend's kernels against their f64 twins, shared by the native run (tests/cpu.rs:
//! the plain-loop build) and the browser run (tests/cpu_web.rs: the wasm simd128 build).
#![allow(dead_code)]

use hearth::cpu::{attention, quant_dot};
use hearth::quant::{QuantKind, QK};
use hearth::reference::{self, AttentionShape};

/// Worst |cpu − twin| / Σ|w·x| (f32 accumulate over ≤ 1536 products lands near 1e-7).
pub const QUANT_DOT_REL_TOLERANCE: f64 = 1e-5;
/// Worst |cpu − twin| / max|twin| for attention (f32 softmax and sums over ≤ 64 keys).
pub const ATTENTION_REL_TOLERANCE: f64 = 1e-5;
/// (cols, rows, tokens): the model's shapes, decode and a short prefill.
pub const QUANT_DOT_CASES: [(usize, usize, usize); 6] = [(576, 1536, 1), (1536, 576, 1), (576, 49152, 1), (576, 1536, 5), (1536, 576, 3), (576, 49152, 2)];

/// SplitMix64: the same numbers natively and in the browser.
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn f32(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Random but well-formed blocks of `kind` for a rows × cols matrix.
fn random_matrix(kind: QuantKind, rows: usize, cols: usize, rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::with_capacity(rows * cols / QK * kind.block_bytes());
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

/// `quant_dot::matmul` for `kind` at every case; returns the worst relative error (asserted).
pub fn quant_dot_matches_reference(kind: QuantKind, log: &dyn Fn(String)) -> f64 {
    let mut rng = Rng(11);
    let mut worst_all = 0f64;
    for (cols, rows, n_tok) in QUANT_DOT_CASES {
        let w = random_matrix(kind, rows, cols, &mut rng);
        let x: Vec<f32> = (0..n_tok * cols).map(|_| rng.f32(-1.0, 1.0)).collect();
        let mut y = vec![0f32; n_tok * rows];
        quant_dot::matmul(kind, &w, rows, cols, &x, &quant_dot::block_sums(&x), &mut y);
        let (want, mag) = hearth::quant::matmul_reference(kind, &w, rows, cols, &x);
        let worst = y.iter().zip(&want).zip(&mag).map(|((g, w), m)| (*g as f64 - w).abs() / m.max(1e-30)).fold(0f64, f64::max);
        log(format!("quant_dot {kind:?} {cols}x{rows} tokens {n_tok}: worst rel err {worst:.2e}"));
        assert!(worst <= QUANT_DOT_REL_TOLERANCE, "{kind:?} {cols}x{rows} tokens {n_tok}: {worst:.2e}");
        worst_all = worst_all.max(worst);
    }
    worst_all
}

/// `cpu::attention::forward` at SmolLM2's head shape, decode and prefill.
pub fn attention_matches_reference(log: &dyn Fn(String)) {
    let mut rng = Rng(5);
    for (t, pos) in [(1, 40), (5, 20)] {
        let shape = AttentionShape { heads: 9, kv_heads: 3, hd: 64, pos, capacity: 64 };
        let q: Vec<f32> = (0..t * 9 * 64).map(|_| rng.f32(-1.0, 1.0)).collect();
        let k: Vec<f32> = (0..3 * 64 * 64).map(|_| rng.f32(-1.0, 1.0)).collect();
        let v: Vec<f32> = (0..3 * 64 * 64).map(|_| rng.f32(-1.0, 1.0)).collect();
        let got = attention::forward(&q, &k, &v, shape);
        let want = reference::attention(&q, &k, &v, shape);
        let scale = want.iter().fold(0f64, |m, w| m.max(w.abs()));
        let worst = got.iter().zip(&want).map(|(g, w)| (*g as f64 - w).abs() / scale).fold(0f64, f64::max);
        log(format!("attention t={t} pos={pos}: worst rel err {worst:.2e}"));
        assert!(worst <= ATTENTION_REL_TOLERANCE, "t={t} pos={pos}: {worst:.2e}");
    }
}
