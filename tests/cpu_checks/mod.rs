//! The CPU backend's kernels against their f64 twins, shared by the native run (tests/cpu.rs:
//! the plain-loop build) and the browser run (tests/cpu_web.rs: the wasm simd128 build).
#![allow(dead_code)]

use hearth::cpu::{attention, q8_dot, quant_dot};
use hearth::quant::QuantKind;
use hearth::reference::{self, AttentionShape};

/// Worst |cpu − twin| / Σ|w·x| (f32 accumulate over ≤ 1536 products lands near 1e-7).
pub const QUANT_DOT_REL_TOLERANCE: f64 = 1e-5;
/// q8_dot: worst |cpu − twin over the 8-bit activations| / Σ|w·x| (its own arithmetic: f32 sums of exact integer dots).
pub const Q8_DOT_REL_TOLERANCE: f64 = 1e-5;
/// q8_dot against the exact product with the f32 activations: worst |Δ| / Σ|w·x|. Rounding x to
/// 8 bits moves each element by ≤ max|x|/254 of its block: with x uniform in ±1 that bounds the
/// error by 1/127 of Σ|w·x| (7.9e-3), random signs keep it far below.
pub const Q8_DOT_VS_EXACT_REL_TOLERANCE: f64 = 7.9e-3;
/// Worst |cpu − twin| / max|twin| for attention (f32 softmax and sums over ≤ 1003 keys).
pub const ATTENTION_REL_TOLERANCE: f64 = 1e-5;
/// (cols, rows, tokens): the models' shapes, decode and a short prefill. SmolLM2 (Q4_0, Q4_1,
/// Q8_0): 576×1536, 1536×576, 576×49152. Qwen2.5-Coder: 896×4864 (Q5_0 gate/up), 4864×896
/// (every format's ffn_down: Q4_K, Q6_K, Q5_0), 896×151936 (Q8_0 output, Q5_0 embedding).
const SMOLLM2_CASES: [(usize, usize, usize); 6] = [(576, 1536, 1), (1536, 576, 1), (576, 49152, 1), (576, 1536, 5), (1536, 576, 3), (576, 49152, 2)];
const QWEN_CASES: [(usize, usize, usize); 5] = [(896, 4864, 1), (4864, 896, 1), (896, 151936, 1), (896, 4864, 5), (4864, 896, 3)];
/// 4864×896 only: the k-quants are ffn_down (256-weight super-blocks; 896 is not a multiple).
const K_QUANT_CASES: [(usize, usize, usize); 3] = [(4864, 896, 1), (4864, 896, 3), (4864, 896, 5)];

pub fn quant_dot_cases(kind: QuantKind) -> &'static [(usize, usize, usize)] {
    match kind {
        QuantKind::Q4_0 | QuantKind::Q4_1 => &SMOLLM2_CASES,
        QuantKind::Q8_0 | QuantKind::Q5_0 => &QWEN_CASES[..],
        QuantKind::Q4K | QuantKind::Q6K => &K_QUANT_CASES,
    }
}

/// SplitMix64: the same numbers natively and in the browser.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
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

/// Random but well-formed blocks of `kind` for a rows × cols matrix: f16 scales in a sane range
/// where the format keeps them, every other byte random (any value is a valid code).
pub fn random_matrix(kind: QuantKind, rows: usize, cols: usize, rng: &mut Rng) -> Vec<u8> {
    let n_blocks = rows * cols / kind.block_weights();
    let mut out = Vec::with_capacity(n_blocks * kind.block_bytes());
    let f16 = |v: f32| half::f16::from_f32(v).to_bits().to_le_bytes();
    for _ in 0..n_blocks {
        let mut block: Vec<u8> = (0..kind.block_bytes()).map(|_| rng.next() as u8).collect();
        match kind {
            QuantKind::Q4_1 => {
                block[0..2].copy_from_slice(&f16(rng.f32(0.002, 0.05)));
                block[2..4].copy_from_slice(&f16(rng.f32(-0.4, 0.0)));
            }
            // d and dmin of the super-block (sub-block scales are 6-bit codes: any byte).
            QuantKind::Q4K => {
                block[0..2].copy_from_slice(&f16(rng.f32(0.0002, 0.005)));
                block[2..4].copy_from_slice(&f16(rng.f32(0.0, 0.01)));
            }
            // d last; the 16 signed scales stay random bytes.
            QuantKind::Q6K => block[208..210].copy_from_slice(&f16(rng.f32(0.00002, 0.0005))),
            _ => block[0..2].copy_from_slice(&f16(rng.f32(0.002, 0.05))),
        }
        out.extend_from_slice(&block);
    }
    out
}

/// `quant_dot::matmul` for `kind` at every case; returns the worst relative error (asserted).
pub fn quant_dot_matches_reference(kind: QuantKind, log: &dyn Fn(String)) -> f64 {
    let mut rng = Rng(11);
    let mut worst_all = 0f64;
    for &(cols, rows, n_tok) in quant_dot_cases(kind) {
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

/// q8_dot's twin, f64: W·x' with W the reference dequantization and x' the dequantized 8-bit
/// activations. Checks on the way that every block's integer form (`sub_block`: q·d + m, what
/// the kernel multiplies in) is the reference dequantization.
fn q8_twin(kind: QuantKind, w: &[u8], rows: usize, cols: usize, x: &[f32], acts: &q8_dot::Q8Acts) -> (Vec<f64>, Vec<f64>) {
    let (n_tok, nb, bb, subs) = (x.len() / cols, cols / 32, kind.block_bytes(), kind.block_weights() / 32);
    let xq = acts.dequantized();
    let row_bytes = kind.row_bytes(cols);
    let (mut y, mut mag) = (vec![0f64; n_tok * rows], vec![0f64; n_tok * rows]);
    let mut wr = vec![0f32; cols];
    for r in 0..rows {
        let row = &w[r * row_bytes..(r + 1) * row_bytes];
        kind.dequantize_row(row, &mut wr);
        for (i, block) in row.chunks_exact(bb).enumerate() {
            for j in 0..subs {
                let mut q = [0i16; 32];
                let (d, m) = kind.sub_block(block, j, &mut q);
                let b = i * subs + j;
                for (l, &v) in q.iter().enumerate() {
                    let want = wr[b * 32 + l] as f64;
                    let got = v as f64 * d as f64 + m as f64;
                    assert!((got - want).abs() <= 1e-6 * want.abs().max(d.abs() as f64), "{kind:?} row {r} block {b}: sub_block {got} vs dequantize {want}");
                }
            }
        }
        for t in 0..n_tok {
            let (mut acc, mut abs) = (0f64, 0f64);
            for b in 0..nb {
                for l in 0..32 {
                    let c = t * cols + b * 32 + l;
                    let p = wr[b * 32 + l] as f64 * xq[c] as f64;
                    acc += p;
                    abs += (wr[b * 32 + l] as f64 * x[c] as f64).abs();
                }
            }
            y[t * rows + r] = acc;
            mag[t * rows + r] = abs;
        }
    }
    (y, mag)
}

/// `q8_dot::matmul` for `kind` at every case, against its twin over the dequantized 8-bit
/// activations and against the exact product; returns (worst vs twin, worst vs exact) (asserted).
pub fn q8_dot_matches_reference(kind: QuantKind, log: &dyn Fn(String)) -> (f64, f64) {
    let mut rng = Rng(13);
    let (mut worst_twin, mut worst_exact) = (0f64, 0f64);
    let rel = |y: &[f32], want: &[f64], mag: &[f64]| y.iter().zip(want).zip(mag).map(|((g, w), m)| (*g as f64 - w).abs() / m.max(1e-30)).fold(0f64, f64::max);
    for &(cols, rows, n_tok) in quant_dot_cases(kind) {
        let w = random_matrix(kind, rows, cols, &mut rng);
        let x: Vec<f32> = (0..n_tok * cols).map(|_| rng.f32(-1.0, 1.0)).collect();
        let acts = q8_dot::Q8Acts::new(&x, cols);
        let mut y = vec![0f32; n_tok * rows];
        q8_dot::matmul(kind, &w, rows, &acts, &mut y);
        let (twin, twin_mag) = q8_twin(kind, &w, rows, cols, &x, &acts);
        let (exact, mag) = hearth::quant::matmul_reference(kind, &w, rows, cols, &x);
        let (t, e) = (rel(&y, &twin, &twin_mag), rel(&y, &exact, &mag));
        log(format!("q8_dot {kind:?} {cols}x{rows} tokens {n_tok}: worst rel err {t:.2e} vs its twin, {e:.2e} vs the exact product"));
        assert!(t <= Q8_DOT_REL_TOLERANCE, "{kind:?} {cols}x{rows} tokens {n_tok}: {t:.2e} vs twin");
        assert!(e <= Q8_DOT_VS_EXACT_REL_TOLERANCE, "{kind:?} {cols}x{rows} tokens {n_tok}: {e:.2e} vs exact");
        worst_twin = worst_twin.max(t);
        worst_exact = worst_exact.max(e);
    }
    (worst_twin, worst_exact)
}

/// `Q8Acts::new` quantizes as specified (what the SIMD builds must reproduce): per 32-wide block
/// d = max|x| / 127, q = round-half-even(x · (1/d)) clamped to ±127, 0 for a block of zeros, sum = d·Σq;
/// blocks with exact ties, zeros, one huge value and random values, over several tokens.
pub fn q8_acts_quantize_as_specified(log: &dyn Fn(String)) {
    let mut rng = Rng(41);
    let cols = 96;
    let mut x: Vec<f32> = (0..4 * cols).map(|_| rng.f32(-2.0, 2.0)).collect();
    x[..32].copy_from_slice(&std::array::from_fn::<f32, 32, _>(|i| [127.0, 2.5, -3.5, 0.5, -0.5, 1.5, -126.5, 126.5][i % 8]));
    x[32..64].fill(0.0);
    x[100] = 1e30;
    let acts = q8_dot::Q8Acts::new(&x, cols);
    let (nb, np) = (cols / 32, acts.nb_padded());
    for (i, xb) in x.chunks_exact(32).enumerate() {
        let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let inv = if d > 0.0 { 1.0 / d } else { 0.0 };
        let want: Vec<i16> = xb.iter().map(|&v| (v * inv).round_ties_even().clamp(-127.0, 127.0) as i16).collect();
        let at = (i / nb) * np + i % nb;
        let got = &acts.q[i * 32..(i + 1) * 32];
        assert_eq!(got, &want[..], "block {i}: q");
        assert_eq!(acts.d[at].to_bits(), d.to_bits(), "block {i}: d");
        let qsum: i32 = got.iter().map(|&v| v as i32).sum();
        assert_eq!(acts.sum[at].to_bits(), (d * qsum as f32).to_bits(), "block {i}: sum");
    }
    assert_eq!(&acts.q[..8], &[127, 2, -4, 0, 0, 2, -126, 126], "ties round to even");
    assert!(acts.q[32..64].iter().all(|&v| v == 0) && acts.d[1] == 0.0, "a block of zeros");
    log(format!("Q8Acts: {} blocks quantized as specified", x.len() / 32));
}

/// `cpu::attention::forward` at SmolLM2's head shape (9 heads over 3 KV heads of 64) and
/// Qwen2.5-Coder's (14 over 2): decode at a short and a long context, and prefill, with key
/// counts that are and are not multiples of 4 (the kernel takes 4 keys at a time).
pub fn attention_matches_reference(log: &dyn Fn(String)) {
    let mut rng = Rng(5);
    for (heads, kv_heads, t, pos, capacity) in [(9, 3, 1, 40, 64), (9, 3, 5, 20, 64), (9, 3, 1, 601, 1024), (14, 2, 1, 1002, 1024), (14, 2, 3, 37, 64)] {
        let shape = AttentionShape { heads, kv_heads, hd: 64, pos, capacity };
        let q: Vec<f32> = (0..t * heads * 64).map(|_| rng.f32(-1.0, 1.0)).collect();
        let k: Vec<f32> = (0..kv_heads * capacity * 64).map(|_| rng.f32(-1.0, 1.0)).collect();
        let v: Vec<f32> = (0..kv_heads * capacity * 64).map(|_| rng.f32(-1.0, 1.0)).collect();
        let got = attention::forward(&q, &k, &v, shape);
        let want = reference::attention(&q, &k, &v, shape);
        let scale = want.iter().fold(0f64, |m, w| m.max(w.abs()));
        let worst = got.iter().zip(&want).map(|(g, w)| (*g as f64 - w).abs() / scale).fold(0f64, f64::max);
        log(format!("attention {heads}/{kv_heads} heads t={t} pos={pos}: worst rel err {worst:.2e}"));
        assert!(worst <= ATTENTION_REL_TOLERANCE, "{heads}/{kv_heads} heads t={t} pos={pos}: {worst:.2e}");
    }
}

/// `cpu::attention::forward` over a batch of tokens gives, bit for bit, what it gives one token
/// at a time (speculative verification counts on it: a batch's argmax is a single step's), and on
/// a pool of `threads` what it gives on one. Batches that cross key blocks (64 keys) and end off
/// multiples of 4, at both models' head shapes. Returns how many outputs were compared.
pub fn attention_batch_is_stepwise(threads: usize, log: &dyn Fn(String)) -> usize {
    let mut rng = Rng(11);
    let pool = hearth::cpu::pool::Pool::new(threads).expect("pool");
    let mut compared = 0;
    for (heads, kv_heads, t, pos, capacity) in [(9, 3, 70, 37, 128), (14, 2, 32, 200, 256), (9, 3, 5, 1000, 1024), (14, 2, 1, 150, 256)] {
        let shape = AttentionShape { heads, kv_heads, hd: 64, pos, capacity };
        let q: Vec<f32> = (0..t * heads * 64).map(|_| rng.f32(-2.0, 2.0)).collect();
        let k: Vec<f32> = (0..kv_heads * capacity * 64).map(|_| rng.f32(-2.0, 2.0)).collect();
        let v: Vec<f32> = (0..kv_heads * capacity * 64).map(|_| rng.f32(-1.0, 1.0)).collect();
        let batch = attention::forward(&q, &k, &v, shape);
        let row = heads * 64;
        let steps: Vec<f32> = (0..t)
            .flat_map(|ti| attention::forward(&q[ti * row..(ti + 1) * row], &k, &v, AttentionShape { pos: pos + ti, ..shape }))
            .collect();
        let pooled = attention::forward_on(&pool, &q, &k, &v, shape);
        let differ = |a: &[f32], b: &[f32]| a.iter().zip(b).filter(|(x, y)| x.to_bits() != y.to_bits()).count();
        let (by_step, by_pool) = (differ(&batch, &steps), differ(&batch, &pooled));
        log(format!("attention {heads}/{kv_heads} heads t={t} pos={pos}: batch vs one token at a time differ in {by_step}, {threads} threads vs 1 in {by_pool} of {}", batch.len()));
        assert!(by_step == 0 && by_pool == 0, "{heads}/{kv_heads} heads t={t} pos={pos}");
        compared += batch.len();
    }
    compared
}

/// `q8_dot` on the build's best instructions (relaxed-SIMD in a `relaxed-simd` wasm build) against
/// its baseline (simd128) at every case, bit for bit: both sum each block's integers exactly and
/// share the f32 steps. The activations include ±127 codes and zeros, the weights every byte
/// (Q8_0's −128 included): the relaxed dot's edges. Returns how many outputs were compared.
pub fn q8_dot_paths_agree(kind: QuantKind, log: &dyn Fn(String)) -> usize {
    let mut rng = Rng(29);
    let mut compared = 0;
    for &(cols, rows, n_tok) in quant_dot_cases(kind) {
        let w = random_matrix(kind, rows, cols, &mut rng);
        let x: Vec<f32> = (0..n_tok * cols)
            .map(|i| match i % 97 {
                0 => 0.0,
                1 => -3.0,
                2 => 3.0,
                _ => rng.f32(-1.0, 1.0),
            })
            .collect();
        let acts = q8_dot::Q8Acts::new(&x, cols);
        let (mut best, mut base) = (vec![0f32; n_tok * rows], vec![0f32; n_tok * rows]);
        q8_dot::matmul_on(q8_dot::Path::Best, kind, &w, rows, &acts, &mut best);
        q8_dot::matmul_on(q8_dot::Path::Baseline, kind, &w, rows, &acts, &mut base);
        let differ = best.iter().zip(&base).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
        log(format!("q8_dot {kind:?} {cols}x{rows} tokens {n_tok}: best and baseline paths differ in {differ} of {} outputs", best.len()));
        assert_eq!(differ, 0, "{kind:?} {cols}x{rows} tokens {n_tok}");
        compared += best.len();
    }
    compared
}
