//! attention on the CPU: q (t, heads, hd) at positions pos..pos+t over the KV cache's keys and
//! values (kv_heads, capacity, hd), causal, grouped-query; the dot products and the weighted sum
//! of values in wasm `simd128` (plain loops natively). Twin: `reference::attention`, held to it by
//! `tests/cpu.rs` (and `tests/cpu_web.rs` for the SIMD build).

use super::pool::{padded, unpad, Pool};
use crate::reference::AttentionShape;

/// Work (multiply-adds) below which `forward_on` stays on one thread: a decode step's attention
/// over fewer than ≈ 60 positions costs less than the threads meeting (SmolLM2: 9 heads of 64).
const PARALLEL_MIN_WORK: usize = 1 << 15;

/// `forward`, its heads split over the pool's threads when there is enough work (prefill, long
/// contexts); the same arithmetic per head, so the same bits.
pub fn forward_on(pool: &Pool, q: &[f32], keys: &[f32], values: &[f32], shape: AttentionShape) -> Vec<f32> {
    let AttentionShape { heads, hd, pos, .. } = shape;
    let t = q.len() / (heads * hd);
    if pool.threads() == 1 || t * (pos + t) * heads * hd < PARALLEL_MIN_WORK {
        return forward(q, keys, values, shape);
    }
    // each head's rows (t, hd), computed apart, then interleaved into (t, heads, hd)
    let per_head = pool.map(heads, |h| {
        let qh: Vec<f32> = (0..t).flat_map(|ti| q[(ti * heads + h) * hd..][..hd].iter().copied()).collect();
        let kv = AttentionShape { heads: 1, kv_heads: 1, hd, pos, capacity: shape.capacity };
        let base = (h / (heads / shape.kv_heads)) * shape.capacity * hd;
        let len = shape.capacity * hd;
        forward(&qh, &keys[base..base + len], &values[base..base + len], kv)
    });
    let mut out = vec![0f32; q.len()];
    for (h, rows) in per_head.iter().enumerate() {
        for (ti, row) in rows.chunks_exact(hd).enumerate() {
            out[(ti * heads + h) * hd..][..hd].copy_from_slice(row);
        }
    }
    out
}

/// Returns (t, heads, hd).
pub fn forward(q: &[f32], keys: &[f32], values: &[f32], shape: AttentionShape) -> Vec<f32> {
    let AttentionShape { heads, kv_heads, hd, pos, capacity } = shape;
    let t = q.len() / (heads * hd);
    assert!(hd.is_multiple_of(4) && q.len() == t * heads * hd && keys.len() >= kv_heads * capacity * hd && values.len() == keys.len() && pos + t <= capacity);
    let group = heads / kv_heads;
    let scale = 1.0 / (hd as f32).sqrt();
    // written at every key and head, by each thread for its heads: off other threads' lines
    let (mut out_buf, mut scores_buf) = (padded(q.len()), padded(pos + t));
    let (out, scores) = (unpad(&mut out_buf), unpad(&mut scores_buf));
    for ti in 0..t {
        let n_keys = pos + ti + 1;
        for h in 0..heads {
            let base = (h / group) * capacity * hd;
            let qr = &q[(ti * heads + h) * hd..][..hd];
            let o = &mut out[(ti * heads + h) * hd..][..hd];
            // SAFETY: row lengths asserted above (hd a multiple of 4, rows inside the cache).
            unsafe { imp::head(qr, &keys[base..base + n_keys * hd], &values[base..base + n_keys * hd], scale, &mut scores[..n_keys], o) };
        }
    }
    out.to_vec()
}

/// exp(x) for the softmax's x = score − max ≤ 0: Cephes' `expf` (x = n·ln2 + r, |r| ≤ ln2/2, a
/// degree-6 polynomial in r, times 2ⁿ), relative error ≈ 1e-7; x below −87 is taken as −87
/// (e⁻⁸⁷ ≈ 1.6e-38, nothing beside the maximum's 1). The same f32 steps as `imp::exp4`, so every
/// build gives the same bits; libm's `expf` was a third of a decode step's attention in wasm.
#[inline]
pub fn exp_neg(x: f32) -> f32 {
    let x = if x < EXP_LO { EXP_LO } else { x };
    let n = (x * LOG2E).round_ties_even();
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p = EXP_P[0];
    for c in &EXP_P[1..] {
        p = p * r + c;
    }
    let e = (p * r) * r + r + 1.0;
    e * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

const EXP_LO: f32 = -87.0;
const LOG2E: f32 = std::f32::consts::LOG2_E;
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
const EXP_P: [f32; 6] = [1.987_569_1e-4, 1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5];

/// One head: scores sⱼ = q·kⱼ·scale (each dot's 4 lanes summed ((l₀+l₁)+l₂)+l₃), pⱼ = exp(sⱼ − max)
/// (`exp_neg`), Σp (lanes j ≡ l mod 4 summed alike, then the tail in order), then out = Σⱼ (pⱼ/Σp)·vⱼ
/// summed in j's order from 0. `out` starts at zero.
macro_rules! head_body {
    ($q:ident, $k:ident, $v:ident, $scale:ident, $scores:ident, $out:ident) => {{
        let (hd, n) = ($q.len(), $scores.len());
        let mut j = 0;
        while j + 4 <= n {
            dots4($q, &$k[j * hd..(j + 4) * hd], $scale, &mut $scores[j..j + 4]);
            j += 4;
        }
        for j in j..n {
            $scores[j] = dot($q, &$k[j * hd..(j + 1) * hd]) * $scale;
        }
        let max = max_of($scores);
        let sum = exp_sum($scores, max);
        divide($scores, sum);
        weighted_sum($scores, $v, $out);
    }};
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{exp_neg, EXP_LO, EXP_P, LN2_HI, LN2_LO, LOG2E};
    use core::arch::wasm32::*;

    /// # Safety
    /// `k` and `v` hold `scores.len()` rows of `q.len()` floats, a multiple of 4; SIMD engine.
    #[target_feature(enable = "simd128")]
    pub unsafe fn head(q: &[f32], k: &[f32], v: &[f32], scale: f32, scores: &mut [f32], out: &mut [f32]) {
        head_body!(q, k, v, scale, scores, out)
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
        let (ab0, ab1) = (i32x4_shuffle::<0, 4, 1, 5>(a, b), i32x4_shuffle::<2, 6, 3, 7>(a, b));
        let (cd0, cd1) = (i32x4_shuffle::<0, 4, 1, 5>(c, d), i32x4_shuffle::<2, 6, 3, 7>(c, d));
        let (l0, l1) = (i32x4_shuffle::<0, 1, 4, 5>(ab0, cd0), i32x4_shuffle::<2, 3, 6, 7>(ab0, cd0));
        let (l2, l3) = (i32x4_shuffle::<0, 1, 4, 5>(ab1, cd1), i32x4_shuffle::<2, 3, 6, 7>(ab1, cd1));
        let s = f32x4_mul(f32x4_add(f32x4_add(f32x4_add(l0, l1), l2), l3), f32x4_splat(scale));
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

    /// out = Σⱼ pⱼ·vⱼ (out zero on entry), j in order: 32 columns at a time in registers (a
    /// fixed 8 vectors, so that they stay in registers), then any last columns 4 at a time.
    #[inline]
    #[target_feature(enable = "simd128")]
    fn weighted_sum(p: &[f32], v: &[f32], out: &mut [f32]) {
        let hd = out.len();
        assert!(hd.is_multiple_of(4) && v.len() >= p.len() * hd);
        let wide = hd / 32 * 32;
        for c0 in (0..wide).step_by(32) {
            let mut acc = [f32x4_splat(0.0); 8];
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
            let mut acc = f32x4_splat(0.0);
            for (j, &pj) in p.iter().enumerate() {
                acc = f32x4_add(acc, f32x4_mul(f32x4_splat(pj), load(v, j * hd + c0)));
            }
            // SAFETY: c0 + 4 ≤ hd.
            unsafe { v128_store(out.as_mut_ptr().add(c0) as *mut v128, acc) };
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::exp_neg;

    /// # Safety
    /// None needed; `unsafe` only to share the wasm signature.
    pub unsafe fn head(q: &[f32], k: &[f32], v: &[f32], scale: f32, scores: &mut [f32], out: &mut [f32]) {
        head_body!(q, k, v, scale, scores, out)
    }

    /// In the same lane order as the SIMD version.
    fn dot(a: &[f32], b: &[f32]) -> f32 {
        let mut s = [0f32; 4];
        for (x, y) in a.chunks_exact(4).zip(b.chunks_exact(4)) {
            for l in 0..4 {
                s[l] += x[l] * y[l];
            }
        }
        s[0] + s[1] + s[2] + s[3]
    }

    fn dots4(q: &[f32], k: &[f32], scale: f32, out: &mut [f32]) {
        for (o, kr) in out.iter_mut().zip(k.chunks_exact(q.len())) {
            *o = dot(q, kr) * scale;
        }
    }

    fn exp_sum(s: &mut [f32], max: f32) -> f32 {
        let mut acc = [0f32; 4];
        let mut chunks = s.chunks_exact_mut(4);
        for c in &mut chunks {
            for l in 0..4 {
                c[l] = exp_neg(c[l] - max);
                acc[l] += c[l];
            }
        }
        let mut sum = acc[0] + acc[1] + acc[2] + acc[3];
        for p in chunks.into_remainder() {
            *p = exp_neg(*p - max);
            sum += *p;
        }
        sum
    }

    fn max_of(s: &[f32]) -> f32 {
        s.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v))
    }

    fn divide(p: &mut [f32], sum: f32) {
        p.iter_mut().for_each(|v| *v /= sum);
    }

    fn weighted_sum(p: &[f32], v: &[f32], out: &mut [f32]) {
        let hd = out.len();
        for (j, &pj) in p.iter().enumerate() {
            out.iter_mut().zip(&v[j * hd..(j + 1) * hd]).for_each(|(o, x)| *o += pj * x);
        }
    }
}

#[cfg(test)]
mod tests {
    /// `exp_neg` against f64's exp on a fine grid of [−87, 0] (and below, where it clamps).
    #[test]
    fn exp_neg_is_within_a_few_ulp() {
        let mut worst = 0f64;
        for i in 0..=870_000 {
            let x = -(i as f32) * 1e-4;
            let (got, want) = (super::exp_neg(x) as f64, (x as f64).exp());
            worst = worst.max((got - want).abs() / want);
        }
        assert!(worst < 3e-7, "worst relative error {worst:.2e}");
        assert!(super::exp_neg(-1e9) < 2e-38 && super::exp_neg(f32::NEG_INFINITY) < 2e-38);
        assert_eq!(super::exp_neg(0.0), 1.0);
    }
}
