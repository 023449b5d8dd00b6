//! q8_dot: the CPU backend's fast quantized matmul, y = x · Wᵀ with x quantized to 8 bits per
//! 32-wide block (as llama.cpp's CPU backend quantizes activations to `block_q8_0`), integer dot
//! products of those with the weights' integer values (`BlockFormat::sub_block`), and one f32
//! multiply-add per block: w·x' = d·dx·Σqᵢ·qxᵢ + m·dx·Σqxᵢ, x' = dx·qx. The offset m takes the
//! quantized sum (as llama.cpp's q8_1 / q8_K do), so the error is Σ wᵢ·(x'ᵢ − xᵢ) whatever the
//! format: with the exact Σx it would be Σ (wᵢ − m)·(x'ᵢ − xᵢ), 2× worse for Q4_0's offset −8d.
//! wasm32 runs it with simd128 `i32x4.dot_i16x8_s` (every browser with wasm SIMD), x86_64 with
//! SSE2's `pmaddwd`, the same instruction (`q8_dot_sse2.rs`); elsewhere plain loops. All three do
//! the same integer sums and the same f32 operations in the same lane order: the same bits.
//! Twins: `quant::matmul_reference` over the dequantized activations (`Q8Acts::dequantized`,
//! f64: the kernel's own arithmetic) and `quant_dot` (the exact f32 path: the error the 8-bit
//! activations add is bounded there), both in tests/cpu_checks.

use crate::quant::{QuantKind, QK};

/// Activations (n_tok, cols) quantized per 32-wide block: x ≈ q·d.
pub struct Q8Acts {
    pub cols: usize,
    pub q: Vec<i16>,   // (n_tok, cols): round(x / d) in −127..=127 (i16: the SIMD dot's lane type)
    pub d: Vec<f32>,   // (n_tok, cols / 32): max|x| / 127 of the block
    pub sum: Vec<f32>, // (n_tok, cols / 32): d·Σq of the block (Σ x')
}

impl Q8Acts {
    /// Quantize `x` (n_tok, cols); `cols` a multiple of 32 (panics otherwise: callers size from one shape).
    pub fn new(x: &[f32], cols: usize) -> Self {
        assert!(cols.is_multiple_of(QK) && x.len().is_multiple_of(cols));
        let nb = x.len() / QK;
        let (mut q, mut d, mut sum) = (vec![0i16; x.len()], Vec::with_capacity(nb), Vec::with_capacity(nb));
        for (xb, qb) in x.chunks_exact(QK).zip(q.chunks_exact_mut(QK)) {
            let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
            let scale = amax / 127.0;
            let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
            for (o, v) in qb.iter_mut().zip(xb) {
                *o = (v * inv).round_ties_even().clamp(-127.0, 127.0) as i16;
            }
            d.push(scale);
            sum.push(scale * qb.iter().map(|&v| v as i32).sum::<i32>() as f32);
        }
        Q8Acts { cols, q, d, sum }
    }

    pub fn n_tok(&self) -> usize {
        self.q.len() / self.cols
    }

    /// q·d as f32 (n_tok, cols): what the kernel multiplies the weights with (for its twin).
    pub fn dequantized(&self) -> Vec<f32> {
        self.q.chunks_exact(QK).zip(&self.d).flat_map(|(qb, &d)| qb.iter().map(move |&v| v as f32 * d)).collect()
    }
}

/// y (n_tok, rows) = x · Wᵀ, W (rows, cols) as GGUF blocks of `kind` (`w` exactly `rows` rows).
/// Panics if the lengths disagree (callers size them from one shape).
pub fn matmul(kind: QuantKind, w: &[u8], rows: usize, x: &Q8Acts, y: &mut [f32]) {
    let cols = x.cols;
    assert!(kind.fits(cols) && w.len() == rows * kind.row_bytes(cols) && y.len() == x.n_tok() * rows);
    // SAFETY: lengths checked above; on wasm32 the module is built for engines with SIMD.
    unsafe { imp::matmul_rows(kind, w, rows, x, y) }
}

/// The loop every build shares; `Acc`, `zero`, `decode`, `dot_acc` and `total` are the platform's.
/// Each row is decoded once into `wq` / `dm` (cols / 32 blocks: ≤ 10 KB, in L1), then every
/// token's dot with it runs with its accumulator in a register.
macro_rules! matmul_rows_body {
    ($kind:ident, $w:ident, $rows:ident, $x:ident, $y:ident) => {{
        let (kind, w, rows, x, y) = ($kind, $w, $rows, $x, $y);
        let cols = x.cols;
        let nb = cols / QK;
        let bb = kind.block_bytes();
        let subs = kind.block_weights() / QK;
        let row_bytes = kind.row_bytes(cols);
        let n_tok = x.n_tok();
        let mut wq: Vec<Decoded> = Vec::with_capacity(nb); // the row's values, 32 a block
        let mut dm: Vec<(f32, f32)> = Vec::with_capacity(nb); // the row's (d, m) a block
        for r in 0..rows {
            wq.clear();
            dm.clear();
            for block in w[r * row_bytes..(r + 1) * row_bytes].chunks_exact(bb) {
                for j in 0..subs {
                    let (d, m, v) = decode(kind, block, j);
                    wq.push(v);
                    dm.push((d, m));
                }
            }
            for t in 0..n_tok {
                let (xq, xd, xs) = (&x.q[t * cols..(t + 1) * cols], &x.d[t * nb..(t + 1) * nb], &x.sum[t * nb..(t + 1) * nb]);
                let mut acc = zero(); // 4 lanes of Σ d·dx·Σq·qx
                let mut offs = 0f32; // Σ m·Σx
                for (b, (v, &(d, m))) in wq.iter().zip(&dm).enumerate() {
                    acc = dot_acc(acc, v, &xq[b * QK..(b + 1) * QK], d * xd[b]);
                    offs += m * xs[b];
                }
                y[t * rows + r] = total(acc) + offs;
            }
        }
    }};
}

/// `matmul_rows_body!` once per format with the format a constant, so that `decode`'s match
/// folds away and each format's loop has its decode inline.
macro_rules! per_format {
    ($k:ident, $w:ident, $rows:ident, $x:ident, $y:ident) => {
        match $k {
            QuantKind::Q4_0 => { let k = QuantKind::Q4_0; matmul_rows_body!(k, $w, $rows, $x, $y) }
            QuantKind::Q4_1 => { let k = QuantKind::Q4_1; matmul_rows_body!(k, $w, $rows, $x, $y) }
            QuantKind::Q8_0 => { let k = QuantKind::Q8_0; matmul_rows_body!(k, $w, $rows, $x, $y) }
            QuantKind::Q5_0 => { let k = QuantKind::Q5_0; matmul_rows_body!(k, $w, $rows, $x, $y) }
            QuantKind::Q4K => { let k = QuantKind::Q4K; matmul_rows_body!(k, $w, $rows, $x, $y) }
            QuantKind::Q6K => { let k = QuantKind::Q6K; matmul_rows_body!(k, $w, $rows, $x, $y) }
        }
    };
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{Q8Acts, QuantKind, QK};
    use crate::quant::{f16_to_f32, le_u16, le_u32};
    use core::arch::wasm32::*;

    type Acc = v128;
    #[inline]
    fn zero() -> Acc {
        f32x4_splat(0.0)
    }
    /// 32 weight values as i16, in element order.
    type Decoded = [v128; 4];

    /// # Safety
    /// Lengths as `matmul` checks them; the engine supports SIMD.
    #[target_feature(enable = "simd128")]
    pub unsafe fn matmul_rows(k: QuantKind, w: &[u8], rows: usize, x: &Q8Acts, y: &mut [f32]) {
        per_format!(k, w, rows, x, y)
    }

    #[inline]
    #[target_feature(enable = "simd128")]
    fn widen_u8(lo: v128, hi: v128) -> Decoded {
        [u16x8_extend_low_u8x16(lo), u16x8_extend_high_u8x16(lo), u16x8_extend_low_u8x16(hi), u16x8_extend_high_u8x16(hi)]
    }

    /// Bytes `at..at + 16` of `block` (checked).
    #[inline]
    #[target_feature(enable = "simd128")]
    fn load16(block: &[u8], at: usize) -> v128 {
        let s = &block[at..at + 16];
        // SAFETY: 16 bytes in bounds; v128_load takes unaligned addresses.
        unsafe { v128_load(s.as_ptr() as *const v128) }
    }

    /// (d, m) and the 32 integer values of sub-block `j`, as `BlockFormat::sub_block` gives them.
    #[inline]
    #[target_feature(enable = "simd128")]
    fn decode(kind: QuantKind, block: &[u8], j: usize) -> (f32, f32, Decoded) {
        let nib = u8x16_splat(0x0F);
        match kind {
            QuantKind::Q4_0 | QuantKind::Q4_1 => {
                let at = if kind == QuantKind::Q4_0 { 2 } else { 4 };
                let v = load16(block, at);
                let d = f16_to_f32(le_u16(block, 0));
                let m = if kind == QuantKind::Q4_0 { -8.0 * d } else { f16_to_f32(le_u16(block, 2)) };
                (d, m, widen_u8(v128_and(v, nib), u8x16_shr(v, 4)))
            }
            QuantKind::Q8_0 => {
                let (a, b) = (load16(block, 2), load16(block, 18));
                let d = f16_to_f32(le_u16(block, 0));
                (d, 0.0, [i16x8_extend_low_i8x16(a), i16x8_extend_high_i8x16(a), i16x8_extend_low_i8x16(b), i16x8_extend_high_i8x16(b)])
            }
            QuantKind::Q5_0 => {
                // Bit l of qh is element l's high bit: spread qh's bytes over lanes, keep each
                // lane's own bit, turn it into 0x10.
                let qh = le_u32(block, 2);
                let bits = u8x16(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
                let spread = |lo: u8, hi: u8| u8x16(lo, lo, lo, lo, lo, lo, lo, lo, hi, hi, hi, hi, hi, hi, hi, hi);
                let high = |v: v128| v128_and(u8x16_eq(v128_and(v, bits), bits), u8x16_splat(0x10));
                let [b0, b1, b2, b3] = qh.to_le_bytes();
                let v = load16(block, 6);
                let lo = v128_or(v128_and(v, nib), high(spread(b0, b1)));
                let hi = v128_or(u8x16_shr(v, 4), high(spread(b2, b3)));
                let d = f16_to_f32(le_u16(block, 0));
                (d, -16.0 * d, widen_u8(lo, hi))
            }
            QuantKind::Q4K => {
                // Sub-block j: the low (j even) or high nibbles of qs[32(j/2)..+32].
                let at = 16 + 32 * (j / 2);
                let (a, b) = (load16(block, at), load16(block, at + 16));
                let (a, b) = if j.is_multiple_of(2) { (v128_and(a, nib), v128_and(b, nib)) } else { (u8x16_shr(a, 4), u8x16_shr(b, 4)) };
                let (d1, m1) = crate::quant::q4_k::sub_scales(block, j);
                (d1, -m1, widen_u8(a, b))
            }
            QuantKind::Q6K => {
                // Element l of sub-block j = 4n + k: nibble (k / 2) of ql[64n + 32(k % 2) + l],
                // bits 2k.. of qh[128 + 32n + l] as bits 4..6; value (q − 32)·sc[l / 16].
                let (n, k) = (j / 4, j % 4);
                let ql = 64 * n + 32 * (k % 2);
                let qh = 128 + 32 * n;
                let low = |v: v128| if k < 2 { v128_and(v, nib) } else { u8x16_shr(v, 4) };
                let high = |v: v128| u8x16_shl(v128_and(u8x16_shr(v, 2 * k as u32), u8x16_splat(3)), 4);
                let a = v128_or(low(load16(block, ql)), high(load16(block, qh)));
                let b = v128_or(low(load16(block, ql + 16)), high(load16(block, qh + 16)));
                let (sa, sb) = (i16x8_splat(block[192 + 2 * j] as i8 as i16), i16x8_splat(block[193 + 2 * j] as i8 as i16));
                let c = i16x8_splat(32);
                let [w0, w1, w2, w3] = widen_u8(a, b);
                let w = [i16x8_mul(i16x8_sub(w0, c), sa), i16x8_mul(i16x8_sub(w1, c), sa), i16x8_mul(i16x8_sub(w2, c), sb), i16x8_mul(i16x8_sub(w3, c), sb)];
                (f16_to_f32(le_u16(block, 208)), 0.0, w)
            }
        }
    }

    /// acc + f32(Σ over the 4 vectors of i32x4.dot_i16x8_s(w, x)) · s; `x` holds 32 values (checked).
    #[inline]
    #[target_feature(enable = "simd128")]
    fn dot_acc(acc: v128, w: &Decoded, x: &[i16], s: f32) -> v128 {
        let x = &x[..QK];
        let p = x.as_ptr() as *const v128;
        // SAFETY: 32 i16 = 4 v128 in bounds.
        let sum = unsafe {
            let a = i32x4_add(i32x4_dot_i16x8(w[0], v128_load(p)), i32x4_dot_i16x8(w[1], v128_load(p.add(1))));
            let b = i32x4_add(i32x4_dot_i16x8(w[2], v128_load(p.add(2))), i32x4_dot_i16x8(w[3], v128_load(p.add(3))));
            i32x4_add(a, b)
        };
        f32x4_add(acc, f32x4_mul(f32x4_convert_i32x4(sum), f32x4_splat(s)))
    }

    #[inline]
    #[target_feature(enable = "simd128")]
    fn total(a: v128) -> f32 {
        (f32x4_extract_lane::<0>(a) + f32x4_extract_lane::<1>(a)) + (f32x4_extract_lane::<2>(a) + f32x4_extract_lane::<3>(a))
    }
}

#[cfg(target_arch = "x86_64")]
#[path = "q8_dot_sse2.rs"]
mod imp;

#[cfg(not(any(target_arch = "wasm32", target_arch = "x86_64")))]
mod imp {
    use super::{Q8Acts, QuantKind, QK};

    type Acc = [f32; 4];
    #[inline(always)]
    fn zero() -> Acc {
        [0.0; 4]
    }
    type Decoded = [i16; QK];

    /// # Safety
    /// None needed; `unsafe` only to share the wasm signature.
    pub unsafe fn matmul_rows(k: QuantKind, w: &[u8], rows: usize, x: &Q8Acts, y: &mut [f32]) {
        per_format!(k, w, rows, x, y)
    }

    #[inline(always)]
    fn decode(kind: QuantKind, block: &[u8], j: usize) -> (f32, f32, Decoded) {
        let mut q = [0i16; QK];
        let (d, m) = kind.sub_block(block, j, &mut q);
        (d, m, q)
    }

    /// The SIMD build's lanes: lane k sums elements 8v + 2k and 8v + 2k + 1 over v = 0..4.
    #[inline(always)]
    fn dot_acc(acc: Acc, w: &Decoded, x: &[i16], s: f32) -> Acc {
        let x = &x[..QK];
        let mut lanes = [0i32; 4];
        for v in 0..4 {
            for (k, lane) in lanes.iter_mut().enumerate() {
                let e = 8 * v + 2 * k;
                *lane += w[e] as i32 * x[e] as i32 + w[e + 1] as i32 * x[e + 1] as i32;
            }
        }
        std::array::from_fn(|k| acc[k] + lanes[k] as f32 * s)
    }

    #[inline(always)]
    fn total(a: Acc) -> f32 {
        (a[0] + a[1]) + (a[2] + a[3])
    }
}
