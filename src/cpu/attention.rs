//! attention on the CPU: q (t, heads, hd) at positions pos..pos+t over the KV cache's keys and
//! values (kv_heads, capacity, hd), causal, grouped-query; the dot products and the weighted sum
//! of values in wasm `simd128` (plain loops natively). Twin: `reference::attention`, held to it by
//! `tests/cpu.rs` (and `tests/cpu_web.rs` for the SIMD build).
//!
//! Tiled: the query rows that share a KV head (its group's heads at each token) are taken a tile
//! at a time, and a tile reads the keys, then the values, a block of `KEY_BLOCK` at a time for all
//! its rows while the block is in the core's cache. A 32-token prefill chunk of SmolLM2 (3 heads a
//! KV head) reads each key 3 times instead of 96; a decode step reads it once for the group's
//! heads (3 in SmolLM2, 7 in Qwen2.5-Coder) instead of once a head. A row's arithmetic is the same
//! in any tile and at any block boundary (blocks start at multiples of 4 keys, as the 4-key dots
//! do; the softmax runs over the whole row; the weighted sum adds in key order from zero), so a
//! batch of tokens gives the bits of one token at a time (speculative verification relies on
//! it), and threads change nothing.

use super::pool::{padded, unpad, Pool, PAD};
use crate::reference::AttentionShape;
use std::ops::Range;

/// Work (multiply-adds) below which `forward_on` stays on one thread: a decode step's attention
/// over fewer than ≈ 60 positions costs less than the threads meeting (SmolLM2: 9 heads of 64).
const PARALLEL_MIN_WORK: usize = 1 << 15;

/// Keys (and values) a tile reads at a time for all its rows: 16 KB at hd 64. A multiple of 4.
const KEY_BLOCK: usize = 64;

/// Rows a tile takes at most: its scores are (rows, keys), 256 KB at 2048 keys.
const MAX_TILE_ROWS: usize = 32;

/// Tiles a thread has at least, where the rows allow (a late thread's share is taken by others).
const TILES_PER_THREAD: usize = 3;

/// Rows `rows` of KV head `kv`: row r is token r / group, head kv·group + r % group.
struct Tile {
    kv: usize,
    rows: Range<usize>,
}

/// Each KV head's t·group rows cut into tiles: as few as one a KV head (each key read once) on
/// one thread, enough for every thread to have `TILES_PER_THREAD` on several.
fn tiles(shape: &AttentionShape, t: usize, threads: usize) -> Vec<Tile> {
    let per_kv = t * (shape.heads / shape.kv_heads);
    let len = if threads == 1 { per_kv } else { (per_kv * shape.kv_heads).div_ceil(threads * TILES_PER_THREAD) };
    let len = len.clamp(1, MAX_TILE_ROWS);
    (0..shape.kv_heads)
        .flat_map(|kv| (0..per_kv).step_by(len).map(move |s| Tile { kv, rows: s..(s + len).min(per_kv) }))
        .collect()
}

/// `forward`, its tiles spread over the pool's threads when there is enough work (prefill, long
/// contexts); a row's arithmetic does not depend on its tile, so the same bits.
pub fn forward_on(pool: &Pool, q: &[f32], keys: &[f32], values: &[f32], shape: AttentionShape) -> Vec<f32> {
    let t = check(q, keys, values, &shape);
    if pool.threads() == 1 || t * (shape.pos + t) * shape.heads * shape.hd < PARALLEL_MIN_WORK {
        return forward(q, keys, values, shape);
    }
    let tiles = tiles(&shape, t, pool.threads());
    let parts = pool.map(tiles.len(), |i| attend(q, keys, values, &shape, &tiles[i]));
    gather(&tiles, &parts, &shape, q.len())
}

/// Returns (t, heads, hd).
pub fn forward(q: &[f32], keys: &[f32], values: &[f32], shape: AttentionShape) -> Vec<f32> {
    let t = check(q, keys, values, &shape);
    let tiles = tiles(&shape, t, 1);
    let parts: Vec<Vec<f32>> = tiles.iter().map(|tile| attend(q, keys, values, &shape, tile)).collect();
    gather(&tiles, &parts, &shape, q.len())
}

/// The shapes both entry points hold to (a tile reads its KV head's rows 0..pos+t, inside the
/// cache's capacity); returns t.
fn check(q: &[f32], keys: &[f32], values: &[f32], shape: &AttentionShape) -> usize {
    let AttentionShape { heads, kv_heads, hd, pos, capacity } = *shape;
    let t = q.len() / (heads * hd);
    assert!(hd.is_multiple_of(4) && heads.is_multiple_of(kv_heads) && q.len() == t * heads * hd);
    assert!(keys.len() >= kv_heads * capacity * hd && values.len() == keys.len() && pos + t <= capacity);
    t
}

/// The tiles' rows (each a `padded` (rows, hd)) put in their places in (t, heads, hd).
fn gather(tiles: &[Tile], parts: &[Vec<f32>], shape: &AttentionShape, len: usize) -> Vec<f32> {
    let (heads, hd, group) = (shape.heads, shape.hd, shape.heads / shape.kv_heads);
    let mut out = vec![0f32; len];
    for (tile, part) in tiles.iter().zip(parts) {
        for (r, row) in tile.rows.clone().zip(part[PAD..].chunks_exact(hd)) {
            let h = tile.kv * group + r % group;
            out[(r / group * heads + h) * hd..][..hd].copy_from_slice(row);
        }
    }
    out
}

/// One tile's rows, `padded` (rows, hd): scores a key block at a time for every row, each row's
/// softmax, then the values a block at a time for every row.
fn attend(q: &[f32], keys: &[f32], values: &[f32], shape: &AttentionShape, tile: &Tile) -> Vec<f32> {
    let AttentionShape { heads, kv_heads, hd, pos, capacity } = *shape;
    let group = heads / kv_heads;
    let scale = 1.0 / (hd as f32).sqrt();
    let n_keys = |r: usize| pos + r / group + 1; // causal: row r's token sees keys 0..=its position
    let width = n_keys(tile.rows.end - 1); // the tile's last row sees the most keys
    let base = tile.kv * capacity * hd;
    let (k, v) = (&keys[base..base + width * hd], &values[base..base + width * hd]); // (width, hd)
    let q_row = |r: usize| &q[((r / group) * heads + tile.kv * group + r % group) * hd..][..hd];
    // written at every key of every row, by each thread for its tiles: off other threads' lines
    let (mut scores_buf, mut out_buf) = (padded(tile.rows.len() * width), padded(tile.rows.len() * hd));
    let (scores, out) = (unpad(&mut scores_buf), unpad(&mut out_buf)); // (rows, width), (rows, hd)
    // block j0.. of the keys (or values) that row r sees, if any
    let block = |r: usize, j0: usize| (j0 < n_keys(r)).then(|| j0..(j0 + KEY_BLOCK).min(n_keys(r)));
    // Each block for the rows that see it, two rows at once where both see the same keys of it
    // (one load of a key or value serves both).
    let rows = tile.rows.len();
    let each_block = |f: &mut dyn FnMut(usize, bool, Range<usize>)| {
        for j0 in (0..width).step_by(KEY_BLOCK) {
            let mut i = 0;
            while i < rows {
                let r = tile.rows.start + i;
                match block(r, j0) {
                    Some(b) if i + 1 < rows && block(r + 1, j0) == Some(b.clone()) => {
                        f(i, true, b); // rows i and i + 1
                        i += 2;
                    }
                    Some(b) => {
                        f(i, false, b);
                        i += 1;
                    }
                    None => i += 1,
                }
            }
        }
    };
    let first = tile.rows.start;
    each_block(&mut |i, paired, b| {
        let kb = &k[b.start * hd..b.end * hd];
        let (head, tail) = scores.split_at_mut((i + 1) * width);
        let sa = &mut head[i * width..][b.clone()];
        // SAFETY: rows of hd floats (hd a multiple of 4), inside k; b starts at a multiple of 4.
        if paired {
            unsafe { imp::scores2(q_row(first + i), q_row(first + i + 1), kb, scale, sa, &mut tail[b]) }
        } else {
            unsafe { imp::scores(q_row(first + i), kb, scale, sa) }
        }
    });
    for (i, r) in tile.rows.clone().enumerate() {
        // SAFETY: plain f32 slices.
        unsafe { imp::softmax(&mut scores[i * width..][..n_keys(r)]) };
    }
    each_block(&mut |i, paired, b| {
        let vb = &v[b.start * hd..b.end * hd];
        let (oa, ob) = out.split_at_mut((i + 1) * hd);
        let (pa, oa) = (&scores[i * width..][b.clone()], &mut oa[i * hd..]);
        // SAFETY: as above, for v.
        if paired {
            unsafe { imp::weighted_sum2(pa, &scores[(i + 1) * width..][b], vb, oa, &mut ob[..hd]) }
        } else {
            unsafe { imp::weighted_sum(pa, vb, oa) }
        }
    });
    out_buf
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

/// A row's scores for a block of its keys (starting at a multiple of 4): sⱼ = q·kⱼ·scale, four keys
/// at a time (each dot's 4 lanes summed ((l₀+l₁)+l₂)+l₃), then any last keys one at a time.
macro_rules! scores_body {
    ($q:ident, $k:ident, $scale:ident, $s:ident) => {{
        let (hd, n) = ($q.len(), $s.len());
        let mut j = 0;
        while j + 4 <= n {
            dots4($q, &$k[j * hd..(j + 4) * hd], $scale, &mut $s[j..j + 4]);
            j += 4;
        }
        for j in j..n {
            $s[j] = dot($q, &$k[j * hd..(j + 1) * hd]) * $scale;
        }
    }};
}

/// A row's softmax over all its keys: pⱼ = exp(sⱼ − max) (`exp_neg`), Σp (lanes j ≡ l mod 4
/// summed alike, then the tail in order), pⱼ ← pⱼ / Σp.
macro_rules! softmax_body {
    ($s:ident) => {{
        let max = max_of($s);
        let sum = exp_sum($s, max);
        divide($s, sum);
    }};
}

#[cfg(target_arch = "wasm32")]
#[path = "attention_simd128.rs"]
mod imp;

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::exp_neg;

    /// # Safety
    /// None needed; `unsafe` only to share the wasm signature.
    pub unsafe fn scores(q: &[f32], k: &[f32], scale: f32, s: &mut [f32]) {
        scores_body!(q, k, scale, s)
    }

    /// # Safety
    /// None needed.
    pub unsafe fn softmax(s: &mut [f32]) {
        softmax_body!(s)
    }

    /// # Safety
    /// None needed.
    pub unsafe fn scores2(qa: &[f32], qb: &[f32], k: &[f32], scale: f32, sa: &mut [f32], sb: &mut [f32]) {
        unsafe { (scores(qa, k, scale, sa), scores(qb, k, scale, sb)) };
    }

    /// # Safety
    /// None needed.
    pub unsafe fn weighted_sum2(pa: &[f32], pb: &[f32], v: &[f32], oa: &mut [f32], ob: &mut [f32]) {
        unsafe { (weighted_sum(pa, v, oa), weighted_sum(pb, v, ob)) };
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

    /// out += Σⱼ pⱼ·vⱼ, j in order.
    ///
    /// # Safety
    /// None needed.
    pub unsafe fn weighted_sum(p: &[f32], v: &[f32], out: &mut [f32]) {
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
