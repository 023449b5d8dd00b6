//! q8_dot on wasm32 simd128 (every browser with wasm SIMD): each block's integer dot with
//! `i32x4.dot_i16x8_s` over i16 weights and activations (SSE2's `pmaddwd`, `q8_dot_sse2.rs`), the
//! f32 steps as `q8_dot.rs` defines them for every build.

use super::{one_scale, Q8Acts, QuantKind, QK};
use crate::quant::{f16_to_f32, le_u16, le_u32};
use core::arch::wasm32::*;

pub(super) type Acc = v128;
pub(super) type Ints = v128;
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
pub(super) fn zero() -> Acc {
    f32x4_splat(0.0)
}

#[inline]
#[target_feature(enable = "simd128")]
pub(super) fn izero() -> Ints {
    i32x4_splat(0)
}

#[inline]
#[target_feature(enable = "simd128")]
fn widen_u8(lo: v128, hi: v128) -> Decoded {
    [u16x8_extend_low_u8x16(lo), u16x8_extend_high_u8x16(lo), u16x8_extend_low_u8x16(hi), u16x8_extend_high_u8x16(hi)]
}

/// One block of activations to 8 bits, `quantize_block_scalar`'s values 8 lanes at a time: the
/// largest |x| (NaN passed over, as f32::max does), q = round-half-even(x / d) clamped to ±127.
///
/// # Safety
/// `xb` and `qb` hold 32 values (checked); the engine supports SIMD.
#[target_feature(enable = "simd128")]
pub unsafe fn quantize_block(xb: &[f32], qb: &mut [i16]) -> (f32, i32) {
    let (xb, qb) = (&xb[..QK], &mut qb[..QK]);
    let v: [v128; 8] = core::array::from_fn(|i| load4(&xb[4 * i..]));
    let m = v.iter().fold(f32x4_splat(0.0), |m, &v| f32x4_pmax(m, f32x4_abs(v)));
    let amax = (0f32.max(f32x4_extract_lane::<0>(m)).max(f32x4_extract_lane::<1>(m))).max(f32x4_extract_lane::<2>(m)).max(f32x4_extract_lane::<3>(m));
    let scale = amax / 127.0;
    let inv = f32x4_splat(if scale > 0.0 { 1.0 / scale } else { 0.0 });
    let (lo, hi) = (i32x4_splat(-127), i32x4_splat(127));
    let q = |v: v128| i32x4_min(i32x4_max(i32x4_trunc_sat_f32x4(f32x4_nearest(f32x4_mul(v, inv))), lo), hi);
    let mut total = i32x4_splat(0);
    for (i, pair) in v.chunks_exact(2).enumerate() {
        let (a, b) = (q(pair[0]), q(pair[1]));
        total = i32x4_add(total, i32x4_add(a, b));
        // SAFETY: 8 i16 at 8i of 32; v128_store takes unaligned addresses.
        unsafe { v128_store(qb.as_mut_ptr().add(8 * i) as *mut v128, i16x8_narrow_i32x4(a, b)) };
    }
    let s = i32x4_extract_lane::<0>(total) + i32x4_extract_lane::<1>(total) + i32x4_extract_lane::<2>(total) + i32x4_extract_lane::<3>(total);
    (scale, s)
}

/// f16 → f32 of the low 16 bits of each lane, exact for every value: `f16_to_f32`'s steps.
#[inline]
#[target_feature(enable = "simd128")]
fn f16x4(h: v128) -> v128 {
    let em = i32x4_shl(v128_and(h, u32x4_splat(0x7FFF)), 13);
    let normal = f32x4_mul(em, f32x4_splat(f32::from_bits(0x7780_0000)));
    let special = u32x4_ge(em, u32x4_splat(0x7C00 << 13)); // Inf, NaN: all-ones exponent
    let v = v128_bitselect(v128_or(em, u32x4_splat(0x7F80_0000)), normal, special);
    v128_or(v, i32x4_shl(v128_and(h, u32x4_splat(0x8000)), 16))
}

/// Block i's (d, m) of a `one_scale` row into `wd[i]`, `wm[i]`: 4 blocks' leading 4 bytes
/// gathered into one vector, their f16 converted together (`scales_from`'s values; a scalar f16
/// conversion a block was a third of Q4_1's decode).
#[inline]
#[target_feature(enable = "simd128")]
pub(super) fn scales(kind: QuantKind, row: &[u8], wd: &mut [f32], wm: &mut [f32]) {
    let bb = kind.block_bytes();
    let nb = row.len() / bb;
    let (wd4, wm4) = (wd[..nb].chunks_exact_mut(4), wm[..nb].chunks_exact_mut(4));
    let done = wd4.len() * 4;
    for (i, (d4, m4)) in wd4.zip(wm4).enumerate() {
        let at = 4 * i * bb;
        let h = u32x4(le_u32(row, at), le_u32(row, at + bb), le_u32(row, at + 2 * bb), le_u32(row, at + 3 * bb));
        let d = f16x4(v128_and(h, u32x4_splat(0xFFFF)));
        let m = match kind {
            QuantKind::Q4_0 => f32x4_mul(f32x4_splat(-8.0), d),
            QuantKind::Q4_1 => f16x4(u32x4_shr(h, 16)),
            QuantKind::Q5_0 => f32x4_mul(f32x4_splat(-16.0), d),
            _ => f32x4_splat(0.0),
        };
        // SAFETY: chunks of 4 f32; v128_store takes unaligned addresses.
        unsafe {
            v128_store(d4.as_mut_ptr() as *mut v128, d);
            v128_store(m4.as_mut_ptr() as *mut v128, m);
        }
    }
    super::scales_from(kind, row, done, wd, wm);
}

/// Bytes `at..at + 16` of `block` (checked).
#[inline]
#[target_feature(enable = "simd128")]
pub(super) fn load16(block: &[u8], at: usize) -> v128 {
    let s = &block[at..at + 16];
    // SAFETY: 16 bytes in bounds; v128_load takes unaligned addresses.
    unsafe { v128_load(s.as_ptr() as *const v128) }
}

/// Sub-block `j`'s 32 values as bytes in element order (16 a vector) with its (d, m) and, for
/// Q6_K, the two halves' scales: 0..=31 for Q4_0, Q4_1, Q5_0 and Q4_K (value q·d + m); i8 for
/// Q8_0 (q·d); Q6_K's q in 0..=63 (value (q − 32)·sc·d, sc = `sc.0` for elements 0..16, `sc.1` after).
#[inline]
#[target_feature(enable = "simd128")]
pub(super) fn bytes(kind: QuantKind, block: &[u8], j: usize) -> (f32, f32, [v128; 2], (i8, i8)) {
    let nib = u8x16_splat(0x0F);
    match kind {
        QuantKind::Q4_0 | QuantKind::Q4_1 => {
            let at = if kind == QuantKind::Q4_0 { 2 } else { 4 };
            let v = load16(block, at);
            let d = f16_to_f32(le_u16(block, 0));
            let m = if kind == QuantKind::Q4_0 { -8.0 * d } else { f16_to_f32(le_u16(block, 2)) };
            (d, m, [v128_and(v, nib), u8x16_shr(v, 4)], (0, 0))
        }
        QuantKind::Q8_0 => (f16_to_f32(le_u16(block, 0)), 0.0, [load16(block, 2), load16(block, 18)], (0, 0)),
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
            (d, -16.0 * d, [lo, hi], (0, 0))
        }
        QuantKind::Q4K => {
            // Sub-block j: the low (j even) or high nibbles of qs[32(j/2)..+32].
            let at = 16 + 32 * (j / 2);
            let (a, b) = (load16(block, at), load16(block, at + 16));
            let (a, b) = if j.is_multiple_of(2) { (v128_and(a, nib), v128_and(b, nib)) } else { (u8x16_shr(a, 4), u8x16_shr(b, 4)) };
            let (d1, m1) = crate::quant::q4_k::sub_scales(block, j);
            (d1, -m1, [a, b], (0, 0))
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
            (f16_to_f32(le_u16(block, 208)), 0.0, [a, b], (block[192 + 2 * j] as i8, block[193 + 2 * j] as i8))
        }
    }
}

/// (d, m) and the 32 integer values of sub-block `j` as i16, as `BlockFormat::sub_block` gives them.
#[inline]
#[target_feature(enable = "simd128")]
fn decode(kind: QuantKind, block: &[u8], j: usize) -> (f32, f32, Decoded) {
    let (d, m, [a, b], (sa, sb)) = bytes(kind, block, j);
    let w = match kind {
        QuantKind::Q8_0 => [i16x8_extend_low_i8x16(a), i16x8_extend_high_i8x16(a), i16x8_extend_low_i8x16(b), i16x8_extend_high_i8x16(b)],
        QuantKind::Q6K => {
            let (sa, sb, c) = (i16x8_splat(sa as i16), i16x8_splat(sb as i16), i16x8_splat(32));
            let [w0, w1, w2, w3] = widen_u8(a, b);
            [i16x8_mul(i16x8_sub(w0, c), sa), i16x8_mul(i16x8_sub(w1, c), sa), i16x8_mul(i16x8_sub(w2, c), sb), i16x8_mul(i16x8_sub(w3, c), sb)]
        }
        _ => widen_u8(a, b),
    };
    (d, m, w)
}

/// The block's Σ w·qx, spread over 4 lanes: Σ of `i32x4.dot_i16x8_s(w, x)` over its 4 vectors.
#[inline]
#[target_feature(enable = "simd128")]
fn block_dot(_: QuantKind, w: &Decoded, x: &Q8Acts, at: usize) -> Ints {
    let x = &x.q[at..at + QK];
    let p = x.as_ptr() as *const v128;
    // SAFETY: 32 i16 = 4 v128 in bounds.
    unsafe {
        let a = i32x4_add(i32x4_dot_i16x8(w[0], v128_load(p)), i32x4_dot_i16x8(w[1], v128_load(p.add(1))));
        let b = i32x4_add(i32x4_dot_i16x8(w[2], v128_load(p.add(2))), i32x4_dot_i16x8(w[3], v128_load(p.add(3))));
        i32x4_add(a, b)
    }
}

/// Lane k: the sum of `v[k]`'s lanes (exact integers, so the shuffles' order does not matter).
#[inline]
#[target_feature(enable = "simd128")]
pub(super) fn reduce4(v: [Ints; 4]) -> Ints {
    let a = i32x4_add(i32x4_shuffle::<0, 4, 1, 5>(v[0], v[1]), i32x4_shuffle::<2, 6, 3, 7>(v[0], v[1]));
    let b = i32x4_add(i32x4_shuffle::<0, 4, 1, 5>(v[2], v[3]), i32x4_shuffle::<2, 6, 3, 7>(v[2], v[3]));
    i32x4_add(i32x4_shuffle::<0, 1, 4, 5>(a, b), i32x4_shuffle::<2, 3, 6, 7>(a, b))
}

/// 4 f32 of `s` (checked).
#[inline]
#[target_feature(enable = "simd128")]
pub(super) fn load4(s: &[f32]) -> v128 {
    let s = &s[..4];
    // SAFETY: 4 f32 in bounds; v128_load takes unaligned addresses.
    unsafe { v128_load(s.as_ptr() as *const v128) }
}

/// acc + f32(ints) · (d · dx), lane by lane.
#[inline]
#[target_feature(enable = "simd128")]
pub(super) fn madd(acc: Acc, ints: Ints, d: &[f32], dx: &[f32]) -> Acc {
    f32x4_add(acc, f32x4_mul(f32x4_convert_i32x4(ints), f32x4_mul(load4(d), load4(dx))))
}

/// acc + m · s, lane by lane.
#[inline]
#[target_feature(enable = "simd128")]
pub(super) fn fmadd(acc: Acc, m: &[f32], s: &[f32]) -> Acc {
    f32x4_add(acc, f32x4_mul(load4(m), load4(s)))
}

#[inline]
#[target_feature(enable = "simd128")]
pub(super) fn total(a: Acc) -> f32 {
    (f32x4_extract_lane::<0>(a) + f32x4_extract_lane::<1>(a)) + (f32x4_extract_lane::<2>(a) + f32x4_extract_lane::<3>(a))
}
