//! q8_dot on wasm32 relaxed-SIMD (the `relaxed-simd` feature; Chromium 114+): each block's
//! integer dot with `i32x4.relaxed_dot_i8x16_i7x16_add_s`, 16 byte products an instruction from
//! the weights' bytes as stored (no widening to i16). Its second operand must lie in 0..=127 for
//! every engine to compute the same sums (x86 engines run it as `pmaddubsw`, unsigned × signed,
//! whose pairwise i16 sums then never saturate: 2·127·128 < 2¹⁵):
//! - unsigned weights (Q4_0, Q4_1, Q5_0, Q4_K: 0..=31): dot(qx, q), the activations first;
//! - signed weights (Q8_0's i8, Q6_K's q − 32): dot(q, qx⁺) − dot(q, qx⁻) with
//!   qx⁺ = max(qx, 0), qx⁻ = max(−qx, 0) (`Q8Acts::pos` / `neg`), and Q6_K's two halves times
//!   their scales in i32.
//!
//! Each block's sum is the exact integer the simd128 build sums, and the f32 steps are the shared
//! ones (`q8_dot_simd128.rs`): the same bits (tests/cpu_web.rs checks them against each other).

use super::imp::{bytes, fmadd, izero, madd, reduce4, scales, total, zero, Ints};
use super::{one_scale, Q8Acts, QuantKind, QK};
use core::arch::wasm32::*;

/// The sub-block's 32 bytes (16 a vector) and, for Q6_K, i32x4(sa, sb, 0, 0).
type Decoded = [v128; 3];

/// # Safety
/// Lengths as `matmul` checks them; the engine supports relaxed-SIMD (the module validated).
#[target_feature(enable = "simd128,relaxed-simd")]
pub unsafe fn matmul_rows(k: QuantKind, w: &[u8], rows: usize, x: &Q8Acts, y: &mut [f32]) {
    per_format!(k, w, rows, x, y)
}

/// The relaxed dot's activation operands from q (`Q8Acts`): q as i8, max(q, 0), max(−q, 0), 16 a vector.
///
/// # Safety
/// Equal lengths, a multiple of 16 (checked); the engine supports relaxed-SIMD.
#[target_feature(enable = "simd128,relaxed-simd")]
pub unsafe fn signed_parts(q: &[i16], q8: &mut [i8], pos: &mut [i8], neg: &mut [i8]) {
    assert!(q.len().is_multiple_of(16) && q8.len() == q.len() && pos.len() == q.len() && neg.len() == q.len());
    let z = i8x16_splat(0);
    for i in (0..q.len()).step_by(16) {
        // SAFETY: i + 16 ≤ len for all four (asserted); unaligned loads and stores are allowed.
        unsafe {
            let p = q.as_ptr().add(i) as *const v128;
            let b = i8x16_narrow_i16x8(v128_load(p), v128_load(p.add(1))); // |q| ≤ 127: exact
            v128_store(q8.as_mut_ptr().add(i) as *mut v128, b);
            v128_store(pos.as_mut_ptr().add(i) as *mut v128, i8x16_max(b, z));
            v128_store(neg.as_mut_ptr().add(i) as *mut v128, i8x16_max(i8x16_neg(b), z));
        }
    }
}

/// (d, m) and the bytes the relaxed dot takes: as stored, Q6_K's less 32.
#[inline]
#[target_feature(enable = "simd128,relaxed-simd")]
fn decode(kind: QuantKind, block: &[u8], j: usize) -> (f32, f32, Decoded) {
    let (d, m, [a, b], (sa, sb)) = bytes(kind, block, j);
    if kind == QuantKind::Q6K {
        let c = i8x16_splat(32);
        (d, m, [i8x16_sub(a, c), i8x16_sub(b, c), i32x4(sa as i32, sb as i32, 0, 0)])
    } else {
        (d, m, [a, b, izero()])
    }
}

/// 16 bytes of `s` from `at` (checked).
#[inline]
#[target_feature(enable = "simd128")]
fn load(s: &[i8], at: usize) -> v128 {
    let s = &s[at..at + 16];
    // SAFETY: 16 bytes in bounds; v128_load takes unaligned addresses.
    unsafe { v128_load(s.as_ptr() as *const v128) }
}

/// The block's Σ w·qx, spread over 4 lanes.
#[inline]
#[target_feature(enable = "simd128,relaxed-simd")]
fn block_dot(kind: QuantKind, w: &Decoded, x: &Q8Acts, at: usize) -> Ints {
    let dot = i32x4_relaxed_dot_i8x16_i7x16_add;
    match kind {
        QuantKind::Q8_0 | QuantKind::Q6K => {
            let (p0, p1, n0, n1) = (load(&x.pos, at), load(&x.pos, at + 16), load(&x.neg, at), load(&x.neg, at + 16));
            let z = izero();
            if kind == QuantKind::Q8_0 {
                i32x4_sub(dot(w[0], p0, dot(w[1], p1, z)), dot(w[0], n0, dot(w[1], n1, z)))
            } else {
                let a = i32x4_sub(dot(w[0], p0, z), dot(w[0], n0, z));
                let b = i32x4_sub(dot(w[1], p1, z), dot(w[1], n1, z));
                let (sa, sb) = (i32x4_shuffle::<0, 0, 0, 0>(w[2], w[2]), i32x4_shuffle::<1, 1, 1, 1>(w[2], w[2]));
                i32x4_add(i32x4_mul(a, sa), i32x4_mul(b, sb))
            }
        }
        _ => dot(load(&x.q8, at), w[0], dot(load(&x.q8, at + 16), w[1], izero())),
    }
}

