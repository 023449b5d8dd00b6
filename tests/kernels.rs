//! Every kernel against its CPU twin (`quant::matmul_reference`, f64 accumulate) at the models'
//! real shapes (in × out): SmolLM2 576×1536, 1536×576, 576×49152; Qwen2.5-Coder 896×4864,
//! 4864×896 (and its 896×151936 output, split to WebGPU's default binding limit).
#![cfg(not(target_family = "wasm"))] // native tests; the browser ones are web.rs, store.rs, cpu_web.rs

mod common;
mod cpu_checks;

use common::TestRng;
use cpu_checks::Rng;
use hearth::gpu::{self, Gpu};
use hearth::kernels::{self, Family, QuantMatrix};
use hearth::quant::{QuantKind, QK};

/// Allowed |gpu − reference| relative to Σ|w·x| of the output. Measured worst on lavapipe:
/// 8.5e-8 (f32 accumulation, different summation order from the f64 twin). 1e-6 leaves 10×
/// headroom for other adapters and still catches any wrong weight: one flipped nibble moves an
/// output by ≥ 1e-3 of Σ|w·x| at these sizes.
const KERNEL_REL_TOLERANCE: f64 = 1e-6;
/// Token counts in the matmul tests: the 8- and 32-token tiles, neither a multiple, so the
/// tail path runs too; and a keystroke's 3 (the 4-token tile).
const MATMUL_TOKENS: [usize; 3] = [13, 45, 3];
const SHAPES: [(usize, usize); 3] = [(576, 1536), (1536, 576), (576, 49152)];
/// Qwen2.5-Coder's shapes per format: Q5_0 is q/k/v/o/gate/up (and some ffn_down), the k-quants
/// only ffn_down (4864 = 19 super-blocks; 896 is not a whole number of them).
const QWEN_SHAPES: [(usize, usize); 2] = [(896, 4864), (4864, 896)];
const K_QUANT_SHAPES: [(usize, usize); 1] = [(4864, 896)];

fn shapes(kind: QuantKind) -> &'static [(usize, usize)] {
    match kind {
        QuantKind::Q4_0 | QuantKind::Q4_1 | QuantKind::Q8_0 => &SHAPES,
        QuantKind::Q5_0 => &QWEN_SHAPES,
        QuantKind::Q4K | QuantKind::Q6K => &K_QUANT_SHAPES,
    }
}

fn random_matrix(kind: QuantKind, rows: usize, cols: usize, rng: &mut TestRng) -> Vec<u8> {
    cpu_checks::random_matrix(kind, rows, cols, &mut Rng(rng.u8() as u64 + 1))
}


/// What the epilogue adds (shaders/epilogue.wgsl): every kernel runs each case somewhere below.
#[derive(Clone, Copy, Debug)]
enum Adding {
    Nothing,
    Bias,
    Residual,
}

fn check(gpu: &Gpu, kind: QuantKind, n_tok: usize, matmul: bool) {
    // The GEMVs with nothing added and onto a residual (the o and down projections); the
    // matmuls with a bias (q|k|v) on the longer chunks, and nothing on a keystroke's 3 tokens.
    let adding: &[Adding] = match (matmul, n_tok) {
        (false, _) => &[Adding::Nothing, Adding::Residual],
        (true, 3) => &[Adding::Nothing],
        (true, 13) => &[Adding::Bias],
        (true, _) => &[Adding::Residual],
    };
    for &add in adding {
        check_family(gpu, kind, n_tok, matmul, Family::Narrow, add);
    }
}

fn check_family(gpu: &Gpu, kind: QuantKind, n_tok: usize, matmul: bool, family: Family, adding: Adding) {
    check_kernel(gpu, kind, n_tok, matmul, family, false, adding)
}

/// `subgroups`: the wide GEMV adds its lanes with subgroup shuffles (gemv_wide_subgroup).
fn check_kernel(gpu: &Gpu, kind: QuantKind, n_tok: usize, matmul: bool, family: Family, subgroups: bool, adding: Adding) {
    let mut rng = TestRng::new(7 + kind as u64);
    for &(cols, rows) in shapes(kind) {
        let bytes = random_matrix(kind, rows, cols, &mut rng);
        let x: Vec<f32> = (0..n_tok * cols).map(|_| rng.f32(-1.0, 1.0)).collect();
        let m = QuantMatrix::upload(&gpu.device, kind, &bytes, rows, cols).expect("upload").with_family(family).with_subgroups(subgroups);
        let xt = gpu::tensor_from_f32(&gpu.device, x.clone(), [n_tok, cols]);
        let add_rows = match adding {
            Adding::Nothing => 0,
            Adding::Bias => 1,
            Adding::Residual => n_tok,
        };
        let extra: Vec<f32> = (0..add_rows * rows).map(|_| rng.f32(-4.0, 4.0)).collect();
        let add = match adding {
            Adding::Nothing => kernels::Add::Nothing,
            Adding::Bias => kernels::Add::Bias(gpu::tensor_from_f32(&gpu.device, extra.clone(), [1, rows])),
            Adding::Residual => kernels::Add::Residual(gpu::tensor_from_f32(&gpu.device, extra.clone(), [n_tok, rows])),
        };
        let y = m.forward_add(xt, add, matmul).expect("launch");
        assert_eq!(y.dims(), [n_tok, rows]);
        let got = gpu::read_f32(y).expect("readback");
        let (mut want, mut mag) = hearth::quant::matmul_reference(kind, &bytes, rows, cols, &x);
        for (i, (w, m)) in want.iter_mut().zip(&mut mag).enumerate() {
            let (t, r) = (i / rows, i % rows);
            let a = match adding {
                Adding::Nothing => 0.0,
                Adding::Bias => extra[r] as f64,
                Adding::Residual => extra[t * rows + r] as f64,
            };
            *w += a;
            *m += a.abs();
        }
        let what = if matmul { "matmul" } else if subgroups { "gemv (subgroups)" } else { "gemv" };
        let what = format!("{kind:?} {} {what}: {cols}x{rows} tokens {n_tok} adding {adding:?}", family.name());
        assert_close(&what, &got, &want, &mag);
    }
}

/// Every output within `KERNEL_REL_TOLERANCE` of its twin, relative to its Σ|w·x| (+ |add|);
/// logs the worst.
fn assert_close(what: &str, got: &[f32], want: &[f64], mag: &[f64]) {
    assert_eq!(got.len(), want.len(), "{what}");
    let mut worst = 0f64;
    for i in 0..want.len() {
        assert!(mag[i] > 0.0);
        let rel = (got[i] as f64 - want[i]).abs() / mag[i];
        worst = worst.max(rel);
        assert!(rel <= KERNEL_REL_TOLERANCE, "{what}, out {i}: gpu {} ref {} (rel err {rel:.2e})", got[i], want[i]);
    }
    eprintln!("{what}: worst rel err {worst:.2e}");
}

macro_rules! kernel_test {
    ($name:ident, $kind:expr, $n_tok:expr, $matmul:expr) => {
        #[test]
        fn $name() {
            let Some(gpu) = common::gpu() else { return };
            check(&gpu, $kind, $n_tok, $matmul);
        }
    };
}

kernel_test!(gemv_q4_0_matches_reference, QuantKind::Q4_0, 1, false);
kernel_test!(gemv_q4_1_matches_reference, QuantKind::Q4_1, 1, false);
kernel_test!(gemv_q8_0_matches_reference, QuantKind::Q8_0, 1, false);
kernel_test!(matmul_q4_0_matches_reference, QuantKind::Q4_0, MATMUL_TOKENS[0], true);
kernel_test!(matmul_q4_1_matches_reference, QuantKind::Q4_1, MATMUL_TOKENS[0], true);
kernel_test!(matmul_q8_0_matches_reference, QuantKind::Q8_0, MATMUL_TOKENS[0], true);
kernel_test!(matmul_q4_0_long_matches_reference, QuantKind::Q4_0, MATMUL_TOKENS[1], true);
kernel_test!(matmul_q4_1_long_matches_reference, QuantKind::Q4_1, MATMUL_TOKENS[1], true);
kernel_test!(matmul_q8_0_long_matches_reference, QuantKind::Q8_0, MATMUL_TOKENS[1], true);
kernel_test!(matmul_q4_0_short_matches_reference, QuantKind::Q4_0, MATMUL_TOKENS[2], true);
kernel_test!(matmul_q4_1_short_matches_reference, QuantKind::Q4_1, MATMUL_TOKENS[2], true);
kernel_test!(matmul_q8_0_short_matches_reference, QuantKind::Q8_0, MATMUL_TOKENS[2], true);
/// The wide family (hardware GPUs: many invocations a row, a workgroup reduction), every format.
/// GEMV (one token) and the 64×64-tile matmul: 70 tokens (two token tiles, the second partial)
/// and a keystroke's 3.
macro_rules! wide_test {
    ($name:ident, $kind:expr) => {
        #[test]
        fn $name() {
            let Some(gpu) = common::gpu() else { return };
            check_family(&gpu, $kind, 1, false, Family::Wide, Adding::Residual);
            check_family(&gpu, $kind, WIDE_MATMUL_TOKENS[0], true, Family::Wide, Adding::Bias);
            check_family(&gpu, $kind, WIDE_MATMUL_TOKENS[0], true, Family::Wide, Adding::Residual);
            check_family(&gpu, $kind, WIDE_MATMUL_TOKENS[1], true, Family::Wide, Adding::Nothing);
        }
    };
}
const WIDE_MATMUL_TOKENS: [usize; 2] = [70, 3];

wide_test!(wide_q4_0_matches_reference, QuantKind::Q4_0);
wide_test!(wide_q4_1_matches_reference, QuantKind::Q4_1);
wide_test!(wide_q8_0_matches_reference, QuantKind::Q8_0);
wide_test!(wide_q5_0_matches_reference, QuantKind::Q5_0);
wide_test!(wide_q4_k_matches_reference, QuantKind::Q4K);
wide_test!(wide_q6_k_matches_reference, QuantKind::Q6K);

/// The wide GEMV with subgroup shuffles, every format at real shapes, with each epilogue. Here on
/// lavapipe (subgroups of 8, so a row's 16 or 32 lanes span subgroups and the barrier path runs
/// too); a CI machine without subgroups is a failure, not a skip.
macro_rules! gemv_wide_subgroup_test {
    ($name:ident, $kind:expr) => {
        #[test]
        fn $name() {
            let Some(gpu) = common::gpu() else { return };
            assert!(gpu::subgroups() || !common::in_ci(), "no subgroups on {}", gpu.adapter);
            if !gpu::subgroups() {
                return;
            }
            for adding in [Adding::Nothing, Adding::Bias, Adding::Residual] {
                check_kernel(&gpu, $kind, 1, false, Family::Wide, true, adding);
            }
        }
    };
}

gemv_wide_subgroup_test!(gemv_wide_subgroup_q4_0_matches_reference, QuantKind::Q4_0);
gemv_wide_subgroup_test!(gemv_wide_subgroup_q4_1_matches_reference, QuantKind::Q4_1);
gemv_wide_subgroup_test!(gemv_wide_subgroup_q8_0_matches_reference, QuantKind::Q8_0);
gemv_wide_subgroup_test!(gemv_wide_subgroup_q5_0_matches_reference, QuantKind::Q5_0);
gemv_wide_subgroup_test!(gemv_wide_subgroup_q4_k_matches_reference, QuantKind::Q4K);
gemv_wide_subgroup_test!(gemv_wide_subgroup_q6_k_matches_reference, QuantKind::Q6K);
/// The wide GEMV with the inputs it applies itself (shaders/inputs/): RMS-normalised x (the norm
/// before q|k|v, gate|up, the output; with a bias, as Qwen's q|k|v) and SwiGLU of a gate|up output
/// (the down projection; onto a residual), every format at real shapes, with the tree and (where
/// the device has them) subgroups. Twin: reference::rms_norm / swiglu in f64, rounded to the f32
/// the matrix's twin takes, then quant::matmul_reference; same tolerance as the plain kernels.
fn check_inputs(gpu: &Gpu, kind: QuantKind, subgroups: bool) {
    let mut rng = TestRng::new(17 + kind as u64);
    for &(cols, rows) in shapes(kind) {
        let bytes = random_matrix(kind, rows, cols, &mut rng);
        let m = QuantMatrix::upload(&gpu.device, kind, &bytes, rows, cols).expect("upload").with_family(Family::Wide).with_subgroups(subgroups);
        let x: Vec<f32> = (0..2 * cols).map(|_| rng.f32(-3.0, 3.0)).collect();
        let nw: Vec<f32> = (0..cols).map(|_| rng.f32(0.2, 2.0)).collect();
        let extra: Vec<f32> = (0..rows).map(|_| rng.f32(-4.0, 4.0)).collect();
        let nw_t = gpu::tensor_from_f32(&gpu.device, nw.clone(), [cols]);
        let extra_t = gpu::tensor_from_f32(&gpu.device, extra.clone(), [1, rows]);
        for swiglu in [false, true] {
            let (x, taken, input, add) = if swiglu {
                (x.clone(), hearth::reference::swiglu_fused(&x, cols), kernels::Input::SwiGlu, kernels::Add::Residual(extra_t.clone()))
            } else {
                (x[..cols].to_vec(), hearth::reference::rms_norm(&x[..cols], &nw, 1e-6), kernels::Input::Norm(&nw_t, 1e-6), kernels::Add::Bias(extra_t.clone()))
            };
            let taken: Vec<f32> = taken.iter().map(|&v| v as f32).collect();
            let y = m.forward_from(gpu::tensor_from_f32(&gpu.device, x.clone(), [1, x.len()]), input, add).expect("launch");
            let got = gpu::read_f32(y).expect("readback");
            let (mut want, mut mag) = hearth::quant::matmul_reference(kind, &bytes, rows, cols, &taken);
            for ((w, m), &e) in want.iter_mut().zip(&mut mag).zip(&extra) {
                *w += e as f64;
                *m += e.abs() as f64;
            }
            let what = if swiglu { "after swiglu" } else { "after the norm" };
            assert_close(&format!("{kind:?} wide gemv{} {what}: {cols}x{rows}", if subgroups { " (subgroups)" } else { "" }), &got, &want, &mag);
        }
    }
}

macro_rules! gemv_wide_inputs_test {
    ($name:ident, $kind:expr) => {
        #[test]
        fn $name() {
            let Some(gpu) = common::gpu() else { return };
            check_inputs(&gpu, $kind, false);
            if gpu::subgroups() {
                check_inputs(&gpu, $kind, true);
            }
        }
    };
}

gemv_wide_inputs_test!(gemv_wide_inputs_q4_0_match_reference, QuantKind::Q4_0);
gemv_wide_inputs_test!(gemv_wide_inputs_q4_1_match_reference, QuantKind::Q4_1);
gemv_wide_inputs_test!(gemv_wide_inputs_q8_0_match_reference, QuantKind::Q8_0);
gemv_wide_inputs_test!(gemv_wide_inputs_q5_0_match_reference, QuantKind::Q5_0);
gemv_wide_inputs_test!(gemv_wide_inputs_q4_k_match_reference, QuantKind::Q4K);
gemv_wide_inputs_test!(gemv_wide_inputs_q6_k_match_reference, QuantKind::Q6K);

kernel_test!(gemv_q5_0_matches_reference, QuantKind::Q5_0, 1, false);
kernel_test!(gemv_q4_k_matches_reference, QuantKind::Q4K, 1, false);
kernel_test!(gemv_q6_k_matches_reference, QuantKind::Q6K, 1, false);
kernel_test!(matmul_q5_0_matches_reference, QuantKind::Q5_0, MATMUL_TOKENS[0], true);
kernel_test!(matmul_q4_k_matches_reference, QuantKind::Q4K, MATMUL_TOKENS[0], true);
kernel_test!(matmul_q6_k_matches_reference, QuantKind::Q6K, MATMUL_TOKENS[0], true);
kernel_test!(matmul_q5_0_short_matches_reference, QuantKind::Q5_0, MATMUL_TOKENS[2], true);
kernel_test!(matmul_q4_k_short_matches_reference, QuantKind::Q4K, MATMUL_TOKENS[2], true);
kernel_test!(matmul_q6_k_short_matches_reference, QuantKind::Q6K, MATMUL_TOKENS[2], true);

#[test]
fn output_split_to_default_binding_limit_matches_reference() {
    // Qwen2.5-Coder's output.weight: Q8_0 896×151936, 136 MiB of values, more than WebGPU's
    // default 128 MiB binding. It loads as row ranges within the limit and computes the same.
    let Some(gpu) = common::gpu() else { return };
    let (cols, rows) = (896, 151936);
    let mut rng = TestRng::new(21);
    let bytes = random_matrix(QuantKind::Q8_0, rows, cols, &mut rng);
    let parts = QuantMatrix::upload_split(&gpu.device, QuantKind::Q8_0, &bytes, rows, cols, kernels::DEFAULT_MAX_BINDING).expect("upload");
    assert!(parts.len() >= 2, "{} parts", parts.len());
    assert!(parts.iter().all(|p| p.largest_binding() as u64 <= kernels::DEFAULT_MAX_BINDING), "each buffer within the limit");
    assert_eq!(parts.iter().map(|p| p.rows).sum::<usize>(), rows);
    let x: Vec<f32> = (0..cols).map(|_| rng.f32(-1.0, 1.0)).collect();
    // Each part writes its columns of one output (the model's path: no concatenation).
    let out = gpu::empty(&gpu.device, [1, rows]);
    let mut col = 0;
    for p in &parts {
        p.forward_into(gpu::tensor_from_f32(&gpu.device, x.clone(), [1, cols]), kernels::Input::Plain, kernels::Add::Nothing, &out, col, false).expect("gemv");
        col += p.rows;
    }
    let got = gpu::read_f32(out).expect("read");
    let (want, mag) = hearth::quant::matmul_reference(QuantKind::Q8_0, &bytes, rows, cols, &x);
    for i in 0..rows {
        let rel = (got[i] as f64 - want[i]).abs() / mag[i];
        assert!(rel <= KERNEL_REL_TOLERANCE, "row {i}: gpu {} ref {} (rel {rel:.2e})", got[i], want[i]);
    }
}

#[test]
fn pieces_write_their_columns_of_one_output() {
    // Qwen2.5-Coder's q|k|v where they differ in format: q Q5_0 896×896, k Q8_0 896×128, v Q5_0
    // 896×128, each with its bias, written into one (n_tok, 1152) output at columns 0, 896, 1024;
    // one token (GEMV) and 13 (matmul), both kernel families. A wrong stride or offset overwrites a
    // neighbour's columns or leaves some unwritten (the output starts uninitialised).
    let Some(gpu) = common::gpu() else { return };
    let mut rng = TestRng::new(5);
    let cols = 896;
    let pieces = [(QuantKind::Q5_0, 896), (QuantKind::Q8_0, 128), (QuantKind::Q5_0, 128)];
    let total: usize = pieces.iter().map(|p| p.1).sum();
    let data: Vec<(Vec<u8>, Vec<f32>)> =
        pieces.iter().map(|&(kind, rows)| (random_matrix(kind, rows, cols, &mut rng), (0..rows).map(|_| rng.f32(-2.0, 2.0)).collect())).collect();
    for family in [Family::Narrow, Family::Wide] {
        for n_tok in [1, 13] {
            let x: Vec<f32> = (0..n_tok * cols).map(|_| rng.f32(-1.0, 1.0)).collect();
            let out = gpu::empty(&gpu.device, [n_tok, total]);
            let mut col = 0;
            for (&(kind, rows), (bytes, bias)) in pieces.iter().zip(&data) {
                let m = QuantMatrix::upload(&gpu.device, kind, bytes, rows, cols).expect("upload").with_family(family);
                let b = kernels::Add::Bias(gpu::tensor_from_f32(&gpu.device, bias.clone(), [1, rows]));
                m.forward_into(gpu::tensor_from_f32(&gpu.device, x.clone(), [n_tok, cols]), kernels::Input::Plain, b, &out, col, false).expect("launch");
                col += rows;
            }
            let got = gpu::read_f32(out).expect("read");
            let mut col = 0;
            for (&(kind, rows), (bytes, bias)) in pieces.iter().zip(&data) {
                let (want, mag) = hearth::quant::matmul_reference(kind, bytes, rows, cols, &x);
                for t in 0..n_tok {
                    for r in 0..rows {
                        let (g, w) = (got[t * total + col + r] as f64, want[t * rows + r] + bias[r] as f64);
                        let rel = (g - w).abs() / (mag[t * rows + r] + bias[r].abs() as f64);
                        assert!(rel <= KERNEL_REL_TOLERANCE, "{} {kind:?} token {t} column {}: gpu {g} ref {w}", family.name(), col + r);
                    }
                }
                col += rows;
            }
        }
    }
    // A piece that does not fit the output is refused, not written out of bounds.
    let m = QuantMatrix::upload(&gpu.device, QuantKind::Q8_0, &data[1].0, 128, cols).expect("upload");
    let out = gpu::empty(&gpu.device, [1, 200]);
    assert!(m.forward_into(gpu::tensor_from_f32(&gpu.device, vec![0.0; cols], [1, cols]), kernels::Input::Plain, kernels::Add::Nothing, &out, 100, false).is_err());
}

#[test]
fn matmul_single_token_matches_gemv_path() {
    // forward() picks the GEMV for one token and the matmul for more; both must agree.
    let Some(gpu) = common::gpu() else { return };
    let mut rng = TestRng::new(99);
    let (cols, rows) = (576, 1536);
    let bytes = random_matrix(QuantKind::Q4_1, rows, cols, &mut rng);
    let x: Vec<f32> = (0..cols).map(|_| rng.f32(-1.0, 1.0)).collect();
    let m = QuantMatrix::upload(&gpu.device, QuantKind::Q4_1, &bytes, rows, cols).expect("upload");
    let a = gpu::read_f32(m.forward(gpu::tensor_from_f32(&gpu.device, x.clone(), [1, cols])).expect("gemv")).expect("read");
    let b = gpu::read_f32(m.forward_matmul(gpu::tensor_from_f32(&gpu.device, x.clone(), [1, cols])).expect("matmul")).expect("read");
    let (_, mag) = hearth::quant::matmul_reference(QuantKind::Q4_1, &bytes, rows, cols, &x);
    for i in 0..rows {
        let diff = (a[i] - b[i]).abs() as f64;
        assert!(diff <= 2.0 * KERNEL_REL_TOLERANCE * mag[i], "row {i}: gemv {} matmul {}", a[i], b[i]);
    }
}

#[test]
fn read_bandwidth_matches_reference() {
    let Some(gpu) = common::gpu() else { return };
    let mut rng = TestRng::new(3);
    let words: Vec<u32> = (0..(1 << 20) + 4 * 37).map(|_| rng.u8() as u32 * 16_777_619).collect();
    let buf = gpu::upload_u32(&gpu.device, words.clone()).expect("upload");
    let like = gpu::tensor_from_f32(&gpu.device, vec![0.0], [1]);
    let partial = gpu::read_f32(kernels::read_bandwidth(&buf, 64, &like).expect("launch")).expect("read");
    let got = partial.iter().fold(0u32, |a, p| a.wrapping_add(p.to_bits()));
    assert_eq!(got, kernels::read_bandwidth_reference(&words));
}

#[test]
fn repack_is_lossless() {
    // Decoding the GPU layout on the CPU gives back exactly the GGUF weights.
    let mut rng = TestRng::new(11);
    for kind in [QuantKind::Q4_0, QuantKind::Q4_1, QuantKind::Q8_0] {
        let (rows, cols) = (3, 5 * QK); // 5 blocks: the scale rows carry padding
        let bytes = random_matrix(kind, rows, cols, &mut rng);
        let layout = kind.repack(&bytes, rows, cols).expect("repack");
        let nb = cols / QK;
        let stride = hearth::quant::scale_stride(cols);
        assert_eq!(stride, 8);
        assert_eq!(layout.qs.len(), rows * nb * kind.qs_words());
        assert_eq!(layout.sc.len(), rows * stride);
        let row_bytes = nb * kind.block_bytes();
        for r in 0..rows {
            let mut want = vec![0f32; cols];
            kind.dequantize_row(&bytes[r * row_bytes..(r + 1) * row_bytes], &mut want);
            for b in 0..nb {
                let q = &layout.qs[(r * nb + b) * kind.qs_words()..][..kind.qs_words()];
                let s = layout.sc[r * stride + b];
                for j in 0..QK {
                    let nibble = (q[j % 16 / 4] >> (8 * (j % 4) + 4 * (j / 16))) & 0xF;
                    let got = match kind {
                        QuantKind::Q4_0 => (nibble as f32 - 8.0) * f32::from_bits(s),
                        QuantKind::Q4_1 => {
                            let d = half::f16::from_bits(s as u16).to_f32();
                            let m = half::f16::from_bits((s >> 16) as u16).to_f32();
                            nibble as f32 * d + m
                        }
                        QuantKind::Q8_0 => ((q[j / 4] >> (8 * (j % 4))) as u8 as i8) as f32 * f32::from_bits(s),
                        _ => unreachable!("packed formats only"),
                    };
                    assert_eq!(got, want[b * QK + j], "{kind:?} row {r} weight {}", b * QK + j);
                }
            }
        }
    }
}

/// The load-time self-test passes on this adapter in both families, and a wrong result from any
/// kernel fails it with a typed error (so `auto` falls back to the CPU).
#[test]
fn self_test_passes_here_and_catches_a_wrong_kernel() {
    let Some(gpu) = common::gpu() else { return };
    for family in [Family::Narrow, Family::Wide] {
        futures_lite::future::block_on(kernels::self_test::run(&gpu.device, family)).unwrap_or_else(|e| panic!("{family:?}: {e}"));
        // One output of one readback off by 1% of its value (a wrong weight moves one by more).
        let seen = std::sync::atomic::AtomicUsize::new(0);
        let tamper = |v: &mut Vec<f32>| {
            if seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 3 {
                v[5] += 1e-2 * v[5].abs().max(1.0);
            }
        };
        let err = futures_lite::future::block_on(kernels::self_test::run_with(&gpu.device, family, &tamper)).expect_err("a wrong output must fail");
        assert_eq!(err.code(), "webgpu_unavailable");
        assert!(err.to_string().contains("self-test"), "{err}");
    }
}
