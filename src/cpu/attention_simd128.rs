//! attention's row kernels on wasm32 simd128 (`attention.rs` cuts the work into tiles and
//! defines the arithmetic every build shares: 4-key dots, `exp_neg`, sums in key order); the
//! two-row kernels let one load of a key or value serve two query rows.

use super::{exp_neg, EXP_LO, EXP_P, LN2_HI, LN2_LO, LOG2E};
use core::arch::wasm32::*;

/// # Safety
/// `k` holds `s.len()` rows of `q.len()` floats, a multiple of 4; a SIMD engine.
#[target_feature(enable = "simd128")]
pub unsafe fn scores(q: &[f32], k: &[f32], scale: f32, s: &mut [f32]) {
    scores_body!(q, k, scale, s)
}

/// # Safety
/// A SIMD engine.
#[target_feature(enable = "simd128")]
pub unsafe fn softmax(s: &mut [f32]) {
    softmax_body!(s)
}

/// `scores` of two rows over the same keys: each key vector loaded serves both rows' dots
/// (8 sums in registers), each dot's arithmetic that of `dots4`.
///
/// # Safety
/// As `scores`, for both rows.
#[target_feature(enable = "simd128")]
pub unsafe fn scores2(qa: &[f32], qb: &[f32], k: &[f32], scale: f32, sa: &mut [f32], sb: &mut [f32]) {
    let (hd, n) = (qa.len(), sa.len());
    assert!(hd.is_multiple_of(4) && qb.len() == hd && sb.len() == n && k.len() >= n * hd);
    let mut j = 0;
    while j + 4 <= n {
        let (ka, kb) = (k[j * hd..].as_ptr(), hd);
        let z = f32x4_splat(0.0);
        let (mut a0, mut a1, mut a2, mut a3, mut b0, mut b1, mut b2, mut b3) = (z, z, z, z, z, z, z, z);
        for i in (0..hd).step_by(4) {
            // SAFETY: 4 key rows of hd floats from ka (asserted above), i + 4 ≤ hd.
            let (k0, k1, k2, k3) = unsafe {
                (at(ka, i), at(ka, kb + i), at(ka, 2 * kb + i), at(ka, 3 * kb + i))
            };
            let (x, y) = (load(qa, i), load(qb, i));
            a0 = f32x4_add(a0, f32x4_mul(x, k0));
            a1 = f32x4_add(a1, f32x4_mul(x, k1));
            a2 = f32x4_add(a2, f32x4_mul(x, k2));
            a3 = f32x4_add(a3, f32x4_mul(x, k3));
            b0 = f32x4_add(b0, f32x4_mul(y, k0));
            b1 = f32x4_add(b1, f32x4_mul(y, k1));
            b2 = f32x4_add(b2, f32x4_mul(y, k2));
            b3 = f32x4_add(b3, f32x4_mul(y, k3));
        }
        // SAFETY: j + 4 ≤ n, the rows' lengths.
        unsafe {
            v128_store(sa[j..].as_mut_ptr() as *mut v128, reduce4(a0, a1, a2, a3, scale));
            v128_store(sb[j..].as_mut_ptr() as *mut v128, reduce4(b0, b1, b2, b3, scale));
        }
        j += 4;
    }
    for j in j..n {
        sa[j] = dot(qa, &k[j * hd..(j + 1) * hd]) * scale;
        sb[j] = dot(qb, &k[j * hd..(j + 1) * hd]) * scale;
    }
}

/// `weighted_sum` of two rows over the same values: 16 columns of both rows in registers, each
/// value vector loaded serving both; each lane adds in `weighted_sum`'s order.
///
/// # Safety
/// As `weighted_sum`, for both rows.
#[target_feature(enable = "simd128")]
pub unsafe fn weighted_sum2(pa: &[f32], pb: &[f32], v: &[f32], oa: &mut [f32], ob: &mut [f32]) {
    let (hd, n) = (oa.len(), pa.len());
    assert!(hd.is_multiple_of(4) && ob.len() == hd && pb.len() == n && v.len() >= n * hd);
    let wide = hd / 16 * 16;
    for c0 in (0..wide).step_by(16) {
        let (mut a, mut b) = ([f32x4_splat(0.0); 4], [f32x4_splat(0.0); 4]);
        for i in 0..4 {
            (a[i], b[i]) = (load(oa, c0 + 4 * i), load(ob, c0 + 4 * i));
        }
        let row0 = v[c0..].as_ptr();
        for j in 0..n {
            let (x, y) = (f32x4_splat(pa[j]), f32x4_splat(pb[j]));
            for i in 0..4 {
                // SAFETY: row j's columns c0..c0 + 16 (c0 + 16 ≤ hd, j < n: asserted above).
                let w = unsafe { at(row0, j * hd + 4 * i) };
                a[i] = f32x4_add(a[i], f32x4_mul(x, w));
                b[i] = f32x4_add(b[i], f32x4_mul(y, w));
            }
        }
        for i in 0..4 {
            // SAFETY: c0 + 16 ≤ hd.
            unsafe {
                v128_store(oa.as_mut_ptr().add(c0 + 4 * i) as *mut v128, a[i]);
                v128_store(ob.as_mut_ptr().add(c0 + 4 * i) as *mut v128, b[i]);
            }
        }
    }
    for c0 in (wide..hd).step_by(4) {
        let (mut a, mut b) = (load(oa, c0), load(ob, c0));
        for j in 0..n {
            let w = load(v, j * hd + c0);
            a = f32x4_add(a, f32x4_mul(f32x4_splat(pa[j]), w));
            b = f32x4_add(b, f32x4_mul(f32x4_splat(pb[j]), w));
        }
        // SAFETY: c0 + 4 ≤ hd.
        unsafe {
            v128_store(oa.as_mut_ptr().add(c0) as *mut v128, a);
            v128_store(ob.as_mut_ptr().add(c0) as *mut v128, b);
        }
    }
}

/// The 4 floats at `p + i`.
///
/// # Safety
/// They are in bounds.
#[inline]
#[target_feature(enable = "simd128")]
unsafe fn at(p: *const f32, i: usize) -> v128 {
    unsafe { v128_load(p.add(i) as *const v128) }
}

/// dot(q, kₗ)·scale for l = 0..4, from the four rows' lane sums: lanes summed as `dot`'s
/// ((l₀+l₁)+l₂)+l₃, after a transpose.
#[inline]
#[target_feature(enable = "simd128")]
fn reduce4(a: v128, b: v128, c: v128, d: v128, scale: f32) -> v128 {
    let (ab0, ab1) = (i32x4_shuffle::<0, 4, 1, 5>(a, b), i32x4_shuffle::<2, 6, 3, 7>(a, b));
    let (cd0, cd1) = (i32x4_shuffle::<0, 4, 1, 5>(c, d), i32x4_shuffle::<2, 6, 3, 7>(c, d));
    let (l0, l1) = (i32x4_shuffle::<0, 1, 4, 5>(ab0, cd0), i32x4_shuffle::<2, 3, 6, 7>(ab0, cd0));
    let (l2, l3) = (i32x4_shuffle::<0, 1, 4, 5>(ab1, cd1), i32x4_shuffle::<2, 3, 6, 7>(ab1, cd1));
    f32x4_mul(f32x4_add(f32x4_add(f32x4_add(l0, l1), l2), l3), f32x4_splat(scale))
}

#[inline]
#[target_feature(enable = "simd128")]
fn load(s: &[f32], at: usize) -> v128 {
    let s = &s[at..at + 4];
    // SAFETY: 4 floats in bounds; unaligned loads are allowed.
    unsafe { v128_load(s.as_ptr() as *const v128) }
}

#[inline]
#[target_feature(enable = "simd128")]
fn hsum(s: v128) -> f32 {
    f32x4_extract_lane::<0>(s) + f32x4_extract_lane::<1>(s) + f32x4_extract_lane::<2>(s) + f32x4_extract_lane::<3>(s)
}

#[inline]
#[target_feature(enable = "simd128")]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    assert!(a.len() == b.len() && a.len().is_multiple_of(4));
    let mut s = f32x4_splat(0.0);
    for i in (0..a.len()).step_by(4) {
        s = f32x4_add(s, f32x4_mul(load(a, i), load(b, i)));
    }
    hsum(s)
}

/// `out[l] = dot(q, kₗ)·scale` for the 4 rows of `k`: four independent sums (the single dot's
/// one chain of adds waits on itself), lanes summed as `dot`'s after a transpose.
#[inline]
#[target_feature(enable = "simd128")]
fn dots4(q: &[f32], k: &[f32], scale: f32, out: &mut [f32]) {
    let hd = q.len();
    assert!(hd.is_multiple_of(4) && k.len() == 4 * hd && out.len() == 4);
    let (k0, k1, k2, k3) = (&k[..hd], &k[hd..2 * hd], &k[2 * hd..3 * hd], &k[3 * hd..]);
    let z = f32x4_splat(0.0);
    let (mut a, mut b, mut c, mut d) = (z, z, z, z);
    for i in (0..hd).step_by(4) {
        let x = load(q, i);
        a = f32x4_add(a, f32x4_mul(x, load(k0, i)));
        b = f32x4_add(b, f32x4_mul(x, load(k1, i)));
        c = f32x4_add(c, f32x4_mul(x, load(k2, i)));
        d = f32x4_add(d, f32x4_mul(x, load(k3, i)));
    }
    let s = reduce4(a, b, c, d, scale);
    // SAFETY: out has 4 floats (asserted).
    unsafe { v128_store(out.as_mut_ptr() as *mut v128, s) };
}

/// The largest score (a NaN score is passed over, as f32::max does).
#[inline]
#[target_feature(enable = "simd128")]
fn max_of(s: &[f32]) -> f32 {
    let mut m = f32x4_splat(f32::NEG_INFINITY);
    let mut chunks = s.chunks_exact(4);
    for c in &mut chunks {
        m = f32x4_pmax(m, load(c, 0));
    }
    let mut max = [0f32; 4];
    // SAFETY: 4 floats.
    unsafe { v128_store(max.as_mut_ptr() as *mut v128, m) };
    max.iter().chain(chunks.remainder()).fold(f32::NEG_INFINITY, |a, &b| a.max(b))
}

/// pⱼ ← pⱼ / sum.
#[inline]
#[target_feature(enable = "simd128")]
fn divide(p: &mut [f32], sum: f32) {
    let d = f32x4_splat(sum);
    let mut chunks = p.chunks_exact_mut(4);
    for c in &mut chunks {
        let at = c.as_mut_ptr() as *mut v128;
        // SAFETY: a chunk of 4 floats.
        unsafe { v128_store(at, f32x4_div(v128_load(at), d)) };
    }
    chunks.into_remainder().iter_mut().for_each(|v| *v /= sum);
}

/// `exp_neg` of 4 lanes, step for step.
#[inline]
#[target_feature(enable = "simd128")]
fn exp4(x: v128) -> v128 {
    let x = f32x4_pmax(x, f32x4_splat(EXP_LO));
    let n = f32x4_nearest(f32x4_mul(x, f32x4_splat(LOG2E)));
    let r = f32x4_sub(f32x4_sub(x, f32x4_mul(n, f32x4_splat(LN2_HI))), f32x4_mul(n, f32x4_splat(LN2_LO)));
    let mut p = f32x4_splat(EXP_P[0]);
    for &c in &EXP_P[1..] {
        p = f32x4_add(f32x4_mul(p, r), f32x4_splat(c));
    }
    let e = f32x4_add(f32x4_add(f32x4_mul(f32x4_mul(p, r), r), r), f32x4_splat(1.0));
    let pow2 = i32x4_shl(i32x4_add(i32x4_trunc_sat_f32x4(n), i32x4_splat(127)), 23);
    f32x4_mul(e, pow2)
}

/// sⱼ ← exp(sⱼ − max); returns Σ sⱼ (lanes j ≡ l mod 4, ((l₀+l₁)+l₂)+l₃, then the tail).
#[inline]
#[target_feature(enable = "simd128")]
fn exp_sum(s: &mut [f32], max: f32) -> f32 {
    let (m, mut acc) = (f32x4_splat(max), f32x4_splat(0.0));
    let mut chunks = s.chunks_exact_mut(4);
    for c in &mut chunks {
        let p = c.as_mut_ptr() as *mut v128;
        // SAFETY: a chunk of 4 floats.
        let e = unsafe { exp4(f32x4_sub(v128_load(p), m)) };
        unsafe { v128_store(p, e) };
        acc = f32x4_add(acc, e);
    }
    let mut sum = hsum(acc);
    for p in chunks.into_remainder() {
        *p = exp_neg(*p - max);
        sum += *p;
    }
    sum
}

/// out += Σⱼ pⱼ·vⱼ, j in order: 32 columns at a time in registers (a fixed 8 vectors, so
/// that they stay in registers), then any last columns 4 at a time. Called block after block
/// on an `out` that starts at zero, it adds as one call over all the blocks would.
///
/// # Safety
/// `v` holds `p.len()` rows of `out.len()` floats, a multiple of 4; a SIMD engine.
#[target_feature(enable = "simd128")]
pub unsafe fn weighted_sum(p: &[f32], v: &[f32], out: &mut [f32]) {
    let hd = out.len();
    assert!(hd.is_multiple_of(4) && v.len() >= p.len() * hd);
    let wide = hd / 32 * 32;
    for c0 in (0..wide).step_by(32) {
        let mut acc = [f32x4_splat(0.0); 8];
        for (i, o) in acc.iter_mut().enumerate() {
            *o = load(out, c0 + 4 * i);
        }
        for (j, &pj) in p.iter().enumerate() {
            let (a, row) = (f32x4_splat(pj), &v[j * hd + c0..j * hd + c0 + 32]);
            for (i, o) in acc.iter_mut().enumerate() {
                *o = f32x4_add(*o, f32x4_mul(a, load(row, 4 * i)));
            }
        }
        for (i, o) in acc.iter().enumerate() {
            // SAFETY: c0 + 32 ≤ hd.
            unsafe { v128_store(out.as_mut_ptr().add(c0 + 4 * i) as *mut v128, *o) };
        }
    }
    for c0 in (wide..hd).step_by(4) {
        let mut acc = load(out, c0);
        for (j, &pj) in p.iter().enumerate() {
            acc = f32x4_add(acc, f32x4_mul(f32x4_splat(pj), load(v, j * hd + c0)));
        }
        // SAFETY: c0 + 4 ≤ hd.
        unsafe { v128_store(out.as_mut_ptr().add(c0) as *mut v128, acc) };
    }
}
