//! attention on the CPU: q (t, heads, hd) at positions pos..pos+t over the KV cache's keys and
//! values (kv_heads, capacity, hd), causal, grouped-query; the dot products and the weighted sum
//! of values in wasm `simd128` (plain loops natively). Twin: `reference::attention`, held to it by
//! `tests/cpu.rs` (and `tests/cpu_web.rs` for the SIMD build).

use super::pool::Pool;
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
    let mut out = vec![0f32; q.len()];
    let mut scores = vec![0f32; pos + t];
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
    out
}

/// softmax(q·kⱼ·scale) over j, then Σ pⱼ vⱼ into `out` (which starts at zero).
macro_rules! head_body {
    ($q:ident, $k:ident, $v:ident, $scale:ident, $scores:ident, $out:ident, $dot:ident, $axpy:ident) => {{
        let hd = $q.len();
        let mut max = f32::NEG_INFINITY;
        for (j, s) in $scores.iter_mut().enumerate() {
            *s = $dot($q, &$k[j * hd..(j + 1) * hd]) * $scale;
            max = max.max(*s);
        }
        let mut sum = 0f32;
        for s in $scores.iter_mut() {
            *s = (*s - max).exp();
            sum += *s;
        }
        for (j, &p) in $scores.iter().enumerate() {
            $axpy(p / sum, &$v[j * hd..(j + 1) * hd], $out);
        }
    }};
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use core::arch::wasm32::*;

    /// # Safety
    /// `k` and `v` hold `scores.len()` rows of `q.len()` floats, a multiple of 4; SIMD engine.
    #[target_feature(enable = "simd128")]
    pub unsafe fn head(q: &[f32], k: &[f32], v: &[f32], scale: f32, scores: &mut [f32], out: &mut [f32]) {
        head_body!(q, k, v, scale, scores, out, dot, axpy)
    }

    #[inline]
    #[target_feature(enable = "simd128")]
    fn dot(a: &[f32], b: &[f32]) -> f32 {
        assert!(a.len() == b.len() && a.len().is_multiple_of(4));
        let mut s = f32x4_splat(0.0);
        for i in (0..a.len()).step_by(4) {
            // SAFETY: i + 4 ≤ len (asserted multiple of 4); unaligned loads are allowed.
            unsafe {
                s = f32x4_add(s, f32x4_mul(v128_load(a.as_ptr().add(i) as *const v128), v128_load(b.as_ptr().add(i) as *const v128)));
            }
        }
        f32x4_extract_lane::<0>(s) + f32x4_extract_lane::<1>(s) + f32x4_extract_lane::<2>(s) + f32x4_extract_lane::<3>(s)
    }

    /// out += a · x
    #[inline]
    #[target_feature(enable = "simd128")]
    fn axpy(a: f32, x: &[f32], out: &mut [f32]) {
        assert!(x.len() == out.len() && x.len().is_multiple_of(4));
        let av = f32x4_splat(a);
        for i in (0..x.len()).step_by(4) {
            // SAFETY: in bounds as above.
            unsafe {
                let o = out.as_mut_ptr().add(i) as *mut v128;
                v128_store(o, f32x4_add(v128_load(o), f32x4_mul(av, v128_load(x.as_ptr().add(i) as *const v128))));
            }
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    /// # Safety
    /// None needed; `unsafe` only to share the wasm signature.
    pub unsafe fn head(q: &[f32], k: &[f32], v: &[f32], scale: f32, scores: &mut [f32], out: &mut [f32]) {
        head_body!(q, k, v, scale, scores, out, dot, axpy)
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

    fn axpy(a: f32, x: &[f32], out: &mut [f32]) {
        out.iter_mut().zip(x).for_each(|(o, x)| *o += a * x);
    }
}
