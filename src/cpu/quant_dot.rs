//! quant_dot: the CPU backend's quantized matmul kernel, y = x · Wᵀ for GGUF Q4_0 / Q4_1 / Q8_0 /
//! Q5_0 / Q4_K / Q6_K rows read in place (no repack). wasm32 runs it with `simd128` (every browser with wasm SIMD:
//! Chrome 91+, Firefox 89+, Safari 16.4+); elsewhere the same arithmetic in plain loops.
//! Twin: `quant::matmul_reference` (f64), held to it by `tests/cpu.rs` and, for the SIMD build,
//! `tests/cpu_web.rs` in the browser.
//!
//! Every 32-weight (sub-)block is written as w = q·d + m (Q4_0: q = nibble, m = −8d; Q4_1: m
//! stored; Q8_0: q signed, m = 0; Q5_0: q = 5 bits, m = −16d; Q4_K: d·sc and −dmin·m of the
//! sub-block; Q6_K: q = (q6 − 32)·sc, exact integers, d of the super-block, m = 0), so a block's
//! dot with x is d·Σqᵢxᵢ + m·Σxᵢ, and Σxᵢ per block is computed once per token for all rows. A
//! block is decoded once and applied to every token of the call.

#[cfg(target_arch = "wasm32")]
use crate::quant::{f16_to_f32, le_u16};
use crate::quant::{QuantKind, QK};

/// Σ x over each 32-wide block of each token: (n_tok, cols / 32).
pub fn block_sums(x: &[f32]) -> Vec<f32> {
    x.chunks_exact(QK).map(|b| b.iter().sum()).collect()
}

/// (d, m) of a block.
#[cfg(target_arch = "wasm32")]
#[inline(always)]
fn scales(kind: QuantKind, block: &[u8]) -> (f32, f32) {
    let d = f16_to_f32(le_u16(block, 0));
    match kind {
        QuantKind::Q4_0 => (d, -8.0 * d),
        QuantKind::Q4_1 => (d, f16_to_f32(le_u16(block, 2))),
        QuantKind::Q5_0 => (d, -16.0 * d),
        _ => (d, 0.0),
    }
}

#[cfg(target_arch = "wasm32")]
#[inline(always)]
fn le_u32_at(block: &[u8], at: usize) -> u32 {
    crate::quant::le_u32(block, at)
}

/// Bytes before a block's quantized values.
#[cfg(target_arch = "wasm32")]
const fn header(kind: QuantKind) -> usize {
    match kind {
        QuantKind::Q4_1 => 4,
        QuantKind::Q5_0 => 6,
        _ => 2,
    }
}

/// (d, m) and the values of sub-block `j` as f32, by the format's plain integer decode.
#[inline(always)]
fn plain_sub_block(kind: QuantKind, block: &[u8], j: usize, q: &mut [f32; QK]) -> (f32, f32) {
    let mut qi = [0i16; QK];
    let dm = kind.sub_block(block, j, &mut qi);
    q.iter_mut().zip(qi).for_each(|(o, v)| *o = v as f32);
    dm
}

/// y (n_tok, rows) = x (n_tok, cols) · Wᵀ, W (rows, cols) as GGUF blocks of `kind`.
/// `xsum` = `block_sums(x)`. Panics if the lengths disagree (callers size them from one shape).
pub fn matmul(kind: QuantKind, w: &[u8], rows: usize, cols: usize, x: &[f32], xsum: &[f32], y: &mut [f32]) {
    let nb = cols / QK;
    let n_tok = x.len() / cols;
    assert!(kind.fits(cols) && w.len() == rows * kind.row_bytes(cols) && y.len() == n_tok * rows && xsum.len() == n_tok * nb);
    // SAFETY: lengths checked above; on wasm32 the module is built for engines with SIMD.
    unsafe { imp::matmul_rows(kind, w, rows, cols, x, xsum, y) }
}

/// The loop both builds share; `decode` and `dot` are the platform's.
macro_rules! matmul_rows_body {
    ($kind:ident, $w:ident, $rows:ident, $cols:ident, $x:ident, $xsum:ident, $y:ident) => {{
    let nb = $cols / QK;
    let bb = $kind.block_bytes();
    let subs = $kind.block_weights() / QK;
    let row_bytes = $kind.row_bytes($cols);
    let n_tok = $x.len() / $cols;
    let (kind, w, rows, cols, x, xsum, y) = ($kind, $w, $rows, $cols, $x, $xsum, $y);
    let mut acc = vec![0f32; n_tok];
    for r in 0..rows {
        acc.iter_mut().for_each(|a| *a = 0.0);
        let row = &w[r * row_bytes..(r + 1) * row_bytes];
        for (i, block) in row.chunks_exact(bb).enumerate() {
            for j in 0..subs {
                let b = i * subs + j;
                let (d, m, qv) = decode(kind, block, j);
                for t in 0..n_tok {
                    let xb = &x[t * cols + b * QK..][..QK];
                    acc[t] += d * dot(&qv, xb) + m * xsum[t * nb + b];
                }
            }
        }
        for t in 0..n_tok {
            y[t * rows + r] = acc[t];
        }
    }
    }};
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{header, plain_sub_block, scales, QuantKind, QK};
    use core::arch::wasm32::*;

    /// # Safety
    /// Lengths as `matmul` checks them; the engine supports SIMD.
    #[target_feature(enable = "simd128")]
    pub unsafe fn matmul_rows(k: QuantKind, w: &[u8], rows: usize, cols: usize, x: &[f32], xsum: &[f32], y: &mut [f32]) {
        matmul_rows_body!(k, w, rows, cols, x, xsum, y)
    }

    /// A block's 32 quantized values as f32, in element order.
    pub type Decoded = [v128; 8];

    #[inline]
    #[target_feature(enable = "simd128")]
    fn u8x16_to_f32(v: v128) -> [v128; 4] {
        let lo = u16x8_extend_low_u8x16(v);
        let hi = u16x8_extend_high_u8x16(v);
        [
            f32x4_convert_u32x4(u32x4_extend_low_u16x8(lo)),
            f32x4_convert_u32x4(u32x4_extend_high_u16x8(lo)),
            f32x4_convert_u32x4(u32x4_extend_low_u16x8(hi)),
            f32x4_convert_u32x4(u32x4_extend_high_u16x8(hi)),
        ]
    }

    #[inline]
    #[target_feature(enable = "simd128")]
    fn i8x16_to_f32(v: v128) -> [v128; 4] {
        let lo = i16x8_extend_low_i8x16(v);
        let hi = i16x8_extend_high_i8x16(v);
        [
            f32x4_convert_i32x4(i32x4_extend_low_i16x8(lo)),
            f32x4_convert_i32x4(i32x4_extend_high_i16x8(lo)),
            f32x4_convert_i32x4(i32x4_extend_low_i16x8(hi)),
            f32x4_convert_i32x4(i32x4_extend_high_i16x8(hi)),
        ]
    }

    /// (d, m) and the values of sub-block `j` of `block`.
    #[inline]
    #[target_feature(enable = "simd128")]
    fn decode(kind: QuantKind, block: &[u8], j: usize) -> (f32, f32, Decoded) {
        if matches!(kind, QuantKind::Q4K | QuantKind::Q6K) {
            let mut q = [0f32; QK];
            let (d, m) = plain_sub_block(kind, block, j, &mut q);
            let p = q.as_ptr() as *const v128;
            // SAFETY: 32 floats are 8 v128.
            return (d, m, unsafe { core::array::from_fn(|k| v128_load(p.add(k))) });
        }
        let (d, m) = scales(kind, block);
        (d, m, decode_values(kind, &block[header(kind)..], block))
    }

    /// A 32-weight block's values; `q` holds at least 16 (Q4, Q5) or 32 (Q8) bytes (checked).
    #[inline]
    #[target_feature(enable = "simd128")]
    fn decode_values(kind: QuantKind, q: &[u8], block: &[u8]) -> Decoded {
        assert!(q.len() >= if kind == QuantKind::Q8_0 { 32 } else { 16 } && block.len() >= 6);
        let p = q.as_ptr() as *const v128;
        // SAFETY: in bounds (asserted); v128_load takes unaligned addresses.
        unsafe {
        match kind {
            QuantKind::Q8_0 => {
                let [a, b, c, d] = i8x16_to_f32(v128_load(p));
                let [e, f, g, h] = i8x16_to_f32(v128_load(p.add(1)));
                [a, b, c, d, e, f, g, h]
            }
            QuantKind::Q5_0 => {
                // High bit of element l (0..16) is bit l of qh, of element l+16 bit l+16: spread
                // qh's bytes over lanes, keep each lane's own bit, turn it into 0x10.
                let qh = super::le_u32_at(block, 2);
                let bits = u8x16(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
                let spread = |lo: u8, hi: u8| u8x16(lo, lo, lo, lo, lo, lo, lo, lo, hi, hi, hi, hi, hi, hi, hi, hi);
                let high = |v: v128| v128_and(u8x16_eq(v128_and(v, bits), bits), u8x16_splat(0x10));
                let [b0, b1, b2, b3] = qh.to_le_bytes();
                let v = v128_load(p);
                let lo = v128_or(v128_and(v, u8x16_splat(0x0F)), high(spread(b0, b1)));
                let hi = v128_or(u8x16_shr(v, 4), high(spread(b2, b3)));
                let [a, b, c, d] = u8x16_to_f32(lo);
                let [e, f, g, h] = u8x16_to_f32(hi);
                [a, b, c, d, e, f, g, h]
            }
            _ => {
                let v = v128_load(p);
                let [a, b, c, d] = u8x16_to_f32(v128_and(v, u8x16_splat(0x0F)));
                let [e, f, g, h] = u8x16_to_f32(u8x16_shr(v, 4));
                [a, b, c, d, e, f, g, h]
            }
        }
        }
    }

    /// Σ qᵢ·xᵢ over one block; `x` holds 32 floats (checked).
    #[inline]
    #[target_feature(enable = "simd128")]
    fn dot(q: &Decoded, x: &[f32]) -> f32 {
        assert!(x.len() >= 32);
        let p = x.as_ptr() as *const v128;
        // SAFETY: in bounds (asserted).
        unsafe {
        let mut s0 = f32x4_mul(q[0], v128_load(p));
        let mut s1 = f32x4_mul(q[1], v128_load(p.add(1)));
        s0 = f32x4_add(s0, f32x4_mul(q[2], v128_load(p.add(2))));
        s1 = f32x4_add(s1, f32x4_mul(q[3], v128_load(p.add(3))));
        s0 = f32x4_add(s0, f32x4_mul(q[4], v128_load(p.add(4))));
        s1 = f32x4_add(s1, f32x4_mul(q[5], v128_load(p.add(5))));
        s0 = f32x4_add(s0, f32x4_mul(q[6], v128_load(p.add(6))));
        s1 = f32x4_add(s1, f32x4_mul(q[7], v128_load(p.add(7))));
        let s = f32x4_add(s0, s1);
        f32x4_extract_lane::<0>(s) + f32x4_extract_lane::<1>(s) + f32x4_extract_lane::<2>(s) + f32x4_extract_lane::<3>(s)
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::{plain_sub_block, QuantKind, QK};

    pub type Decoded = [f32; 32];

    /// # Safety
    /// None needed; `unsafe` only to share the wasm signature.
    pub unsafe fn matmul_rows(k: QuantKind, w: &[u8], rows: usize, cols: usize, x: &[f32], xsum: &[f32], y: &mut [f32]) {
        matmul_rows_body!(k, w, rows, cols, x, xsum, y)
    }

    /// (d, m) and the values of sub-block `j` of `block`.
    #[inline(always)]
    fn decode(kind: QuantKind, block: &[u8], j: usize) -> (f32, f32, Decoded) {
        let mut out = [0f32; 32];
        let (d, m) = plain_sub_block(kind, block, j, &mut out);
        (d, m, out)
    }

    /// Σ qᵢ·xᵢ over one block, in the same lane order as the SIMD version.
    #[inline(always)]
    fn dot(q: &Decoded, x: &[f32]) -> f32 {
        let mut s = [0f32; 8];
        for (i, (qa, xa)) in q.chunks_exact(4).zip(x.chunks_exact(4)).enumerate() {
            let lane = i % 2 * 4;
            for k in 0..4 {
                s[lane + k] += qa[k] * xa[k];
            }
        }
        (s[0] + s[4]) + (s[1] + s[5]) + (s[2] + s[6]) + (s[3] + s[7])
    }
}
