//! q8_dot on x86_64: SSE2 (every x86_64 CPU has it), op for op the wasm simd128 build of
//! `q8_dot_simd128.rs` — `_mm_madd_epi16` is `i32x4.dot_i16x8_s` — at SIMD speed; with the
//! f32 steps `q8_dot.rs` defines, native runs (tests, the CLI, benchmarks) compute the browser's bits.

use super::{one_scale, Q8Acts, QuantKind, QK};
use crate::quant::{f16_to_f32, le_u16, le_u32};
use core::arch::x86_64::*;

type Acc = __m128;
type Ints = __m128i;
/// 32 weight values as i16, in element order.
type Decoded = [__m128i; 4];

#[inline(always)]
fn zero() -> Acc {
    // SAFETY: SSE2 is part of x86_64.
    unsafe { _mm_setzero_ps() }
}

#[inline(always)]
fn izero() -> Ints {
    // SAFETY: SSE2 is part of x86_64.
    unsafe { _mm_setzero_si128() }
}

/// # Safety
/// Lengths as `matmul` checks them (SSE2 is part of x86_64).
pub unsafe fn matmul_rows(k: QuantKind, w: &[u8], rows: usize, x: &Q8Acts, y: &mut [f32]) {
    per_format!(k, w, rows, x, y)
}

/// The row's (d, m) a block (`scales_from`, scalar: native speed matters less than the browser's).
#[inline(always)]
fn scales(kind: QuantKind, row: &[u8], wd: &mut [f32], wm: &mut [f32]) {
    super::scales_from(kind, row, 0, wd, wm)
}

/// One block of activations to 8 bits (`quantize_block_scalar`).
///
/// # Safety
/// None needed; `unsafe` only to share the wasm build's signature.
pub unsafe fn quantize_block(xb: &[f32], qb: &mut [i16]) -> (f32, i32) {
    super::quantize_block_scalar(xb, qb)
}

/// Bytes `at..at + 16` of `block` (checked).
#[inline(always)]
fn load16(block: &[u8], at: usize) -> __m128i {
    let s = &block[at..at + 16];
    // SAFETY: 16 bytes in bounds; loadu takes unaligned addresses.
    unsafe { _mm_loadu_si128(s.as_ptr() as *const __m128i) }
}

// SAFETY (every function below): SSE2 intrinsics on registers only, part of x86_64.

#[inline(always)]
fn widen_u8(lo: __m128i, hi: __m128i) -> Decoded {
    unsafe {
        let z = _mm_setzero_si128();
        [_mm_unpacklo_epi8(lo, z), _mm_unpackhi_epi8(lo, z), _mm_unpacklo_epi8(hi, z), _mm_unpackhi_epi8(hi, z)]
    }
}

/// Bytes `v >> n` (n < 8), each byte on its own.
#[inline(always)]
fn shr_u8(v: __m128i, n: u32) -> __m128i {
    unsafe { _mm_and_si128(_mm_srl_epi16(v, _mm_cvtsi32_si128(n as i32)), _mm_set1_epi8((0xFFu8 >> n) as i8)) }
}

/// (d, m) and the 32 integer values of sub-block `j`, as `BlockFormat::sub_block` gives them.
#[inline(always)]
fn decode(kind: QuantKind, block: &[u8], j: usize) -> (f32, f32, Decoded) {
    unsafe {
        let nib = _mm_set1_epi8(0x0F);
        match kind {
            QuantKind::Q4_0 | QuantKind::Q4_1 => {
                let at = if kind == QuantKind::Q4_0 { 2 } else { 4 };
                let v = load16(block, at);
                let d = f16_to_f32(le_u16(block, 0));
                let m = if kind == QuantKind::Q4_0 { -8.0 * d } else { f16_to_f32(le_u16(block, 2)) };
                (d, m, widen_u8(_mm_and_si128(v, nib), shr_u8(v, 4)))
            }
            QuantKind::Q8_0 => {
                let (a, b) = (load16(block, 2), load16(block, 18));
                let ext = |lo: __m128i| _mm_srai_epi16(lo, 8);
                let d = f16_to_f32(le_u16(block, 0));
                (d, 0.0, [ext(_mm_unpacklo_epi8(a, a)), ext(_mm_unpackhi_epi8(a, a)), ext(_mm_unpacklo_epi8(b, b)), ext(_mm_unpackhi_epi8(b, b))])
            }
            QuantKind::Q5_0 => {
                let qh = le_u32(block, 2);
                let bits = _mm_setr_epi8(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128);
                let spread = |lo: u8, hi: u8| {
                    let (l, h) = (lo as i8, hi as i8);
                    _mm_setr_epi8(l, l, l, l, l, l, l, l, h, h, h, h, h, h, h, h)
                };
                let high = |v: __m128i| _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(v, bits), bits), _mm_set1_epi8(0x10));
                let [b0, b1, b2, b3] = qh.to_le_bytes();
                let v = load16(block, 6);
                let lo = _mm_or_si128(_mm_and_si128(v, nib), high(spread(b0, b1)));
                let hi = _mm_or_si128(shr_u8(v, 4), high(spread(b2, b3)));
                let d = f16_to_f32(le_u16(block, 0));
                (d, -16.0 * d, widen_u8(lo, hi))
            }
            QuantKind::Q4K => {
                let at = 16 + 32 * (j / 2);
                let (a, b) = (load16(block, at), load16(block, at + 16));
                let (a, b) = if j.is_multiple_of(2) { (_mm_and_si128(a, nib), _mm_and_si128(b, nib)) } else { (shr_u8(a, 4), shr_u8(b, 4)) };
                let (d1, m1) = crate::quant::q4_k::sub_scales(block, j);
                (d1, -m1, widen_u8(a, b))
            }
            QuantKind::Q6K => {
                let (n, k) = (j / 4, j % 4);
                let ql = 64 * n + 32 * (k % 2);
                let qh = 128 + 32 * n;
                let low = |v: __m128i| if k < 2 { _mm_and_si128(v, nib) } else { shr_u8(v, 4) };
                let high = |v: __m128i| _mm_slli_epi16(_mm_and_si128(shr_u8(v, 2 * k as u32), _mm_set1_epi8(3)), 4);
                let a = _mm_or_si128(low(load16(block, ql)), high(load16(block, qh)));
                let b = _mm_or_si128(low(load16(block, ql + 16)), high(load16(block, qh + 16)));
                let (sa, sb) = (_mm_set1_epi16(block[192 + 2 * j] as i8 as i16), _mm_set1_epi16(block[193 + 2 * j] as i8 as i16));
                let c = _mm_set1_epi16(32);
                let [w0, w1, w2, w3] = widen_u8(a, b);
                let w = [
                    _mm_mullo_epi16(_mm_sub_epi16(w0, c), sa),
                    _mm_mullo_epi16(_mm_sub_epi16(w1, c), sa),
                    _mm_mullo_epi16(_mm_sub_epi16(w2, c), sb),
                    _mm_mullo_epi16(_mm_sub_epi16(w3, c), sb),
                ];
                (f16_to_f32(le_u16(block, 208)), 0.0, w)
            }
        }
    }
}

/// The block's Σ w·qx, spread over 4 lanes: Σ of `pmaddwd(w, x)` over its 4 vectors.
#[inline(always)]
fn block_dot(_: QuantKind, w: &Decoded, x: &Q8Acts, at: usize) -> Ints {
    let x = &x.q[at..at + QK];
    let p = x.as_ptr() as *const __m128i;
    // SAFETY: 32 i16 = 4 vectors in bounds; loadu takes unaligned addresses.
    unsafe {
        let a = _mm_add_epi32(_mm_madd_epi16(w[0], _mm_loadu_si128(p)), _mm_madd_epi16(w[1], _mm_loadu_si128(p.add(1))));
        let b = _mm_add_epi32(_mm_madd_epi16(w[2], _mm_loadu_si128(p.add(2))), _mm_madd_epi16(w[3], _mm_loadu_si128(p.add(3))));
        _mm_add_epi32(a, b)
    }
}

/// Lane k: the sum of `v[k]`'s lanes (exact integers, so the shuffles' order does not matter).
#[inline(always)]
fn reduce4(v: [Ints; 4]) -> Ints {
    unsafe {
        let a = _mm_add_epi32(_mm_unpacklo_epi32(v[0], v[1]), _mm_unpackhi_epi32(v[0], v[1]));
        let b = _mm_add_epi32(_mm_unpacklo_epi32(v[2], v[3]), _mm_unpackhi_epi32(v[2], v[3]));
        _mm_add_epi32(_mm_unpacklo_epi64(a, b), _mm_unpackhi_epi64(a, b))
    }
}

/// 4 f32 of `s` (checked).
#[inline(always)]
fn load4(s: &[f32]) -> __m128 {
    let s = &s[..4];
    // SAFETY: 4 f32 in bounds; loadu takes unaligned addresses.
    unsafe { _mm_loadu_ps(s.as_ptr()) }
}

/// acc + f32(ints) · (d · dx), lane by lane.
#[inline(always)]
fn madd(acc: Acc, ints: Ints, d: &[f32], dx: &[f32]) -> Acc {
    unsafe { _mm_add_ps(acc, _mm_mul_ps(_mm_cvtepi32_ps(ints), _mm_mul_ps(load4(d), load4(dx)))) }
}

/// acc + m · s, lane by lane.
#[inline(always)]
fn fmadd(acc: Acc, m: &[f32], s: &[f32]) -> Acc {
    unsafe { _mm_add_ps(acc, _mm_mul_ps(load4(m), load4(s))) }
}

#[inline(always)]
fn total(a: Acc) -> f32 {
    let mut l = [0f32; 4];
    // SAFETY: 4 floats.
    unsafe { _mm_storeu_ps(l.as_mut_ptr(), a) };
    (l[0] + l[1]) + (l[2] + l[3])
}
