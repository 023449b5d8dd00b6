//! q8_dot: the CPU backend's fast quantized matmul, y = x · Wᵀ with x quantized to 8 bits per
//! 32-wide block (as llama.cpp's CPU backend quantizes activations to `block_q8_0`), integer dot
//! products of those with the weights' integer values (`BlockFormat::sub_block`), and f32 only per
//! block: w·x' = d·dx·Σqᵢ·qxᵢ + m·dx·Σqxᵢ, x' = dx·qx. The offset m takes the quantized sum (as
//! llama.cpp's q8_1 / q8_K do), so the error is Σ wᵢ·(x'ᵢ − xᵢ) whatever the format: with the exact
//! Σx it would be Σ (wᵢ − m)·(x'ᵢ − xᵢ), 2× worse for Q4_0's offset −8d.
//! Every build computes each block's integer dot Σqᵢ·qxᵢ exactly (however its instructions split
//! it), then the same f32 operations: lane k of a 4-lane accumulator takes the blocks b ≡ k
//! (mod 4), `acc += f32(Σ) · (d·dx)` and `offs += m · Σx'`, and y = (acc₀+acc₁)+(acc₂+acc₃) plus
//! the same for offs. So every build gives the same bits: wasm32 simd128 `i32x4.dot_i16x8_s`
//! (`q8_dot_simd128.rs`), wasm32 relaxed-SIMD `i32x4.relaxed_dot_i8x16_i7x16_add_s`
//! (`q8_dot_relaxed.rs`, the `relaxed-simd` feature: 16 products an instruction instead of 8,
//! no widening), x86_64 SSE2's `pmaddwd` (`q8_dot_sse2.rs`, what native tests and benchmarks run),
//! elsewhere plain loops (below).
//! Twins: `quant::matmul_reference` over the dequantized activations (`Q8Acts::dequantized`,
//! f64: the kernel's own arithmetic) and `quant_dot` (the exact f32 path: the error the 8-bit
//! activations add is bounded there), both in tests/cpu_checks.

use crate::quant::{QuantKind, QK};

/// Activations (n_tok, cols) quantized per 32-wide block: x ≈ q·d. The per-block arrays are
/// padded to whole groups of 4 blocks (`nb_padded`) with zeros, the accumulators' width.
pub struct Q8Acts {
    pub cols: usize,
    pub q: Vec<i16>,   // (n_tok, cols): round(x / d) in −127..=127 (i16: the simd128 dot's lane type)
    pub d: Vec<f32>,   // (n_tok, nb_padded): max|x| / 127 of the block (0 past the row)
    pub sum: Vec<f32>, // (n_tok, nb_padded): d·Σq of the block (Σ x'; 0 past the row)
    /// The relaxed dot's operands: q as i8 (any sign), and max(q, 0), max(−q, 0) (0..=127, the
    /// 7-bit operand) for the formats whose weights are signed (Q8_0, Q6_K): Σw·q = Σw·q⁺ − Σw·q⁻.
    #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
    pub q8: Vec<i8>, // (n_tok, cols)
    #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
    pub pos: Vec<i8>, // (n_tok, cols): max(q, 0)
    #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
    pub neg: Vec<i8>, // (n_tok, cols): max(−q, 0)
}

/// Blocks in the 4-lane accumulator's groups: `nb` rounded up to a multiple of 4.
fn padded(nb: usize) -> usize {
    nb.div_ceil(4) * 4
}

impl Q8Acts {
    /// Quantize `x` (n_tok, cols); `cols` a multiple of 32 (panics otherwise: callers size from one shape).
    pub fn new(x: &[f32], cols: usize) -> Self {
        assert!(cols.is_multiple_of(QK) && x.len().is_multiple_of(cols));
        let (nb, np) = (cols / QK, padded(cols / QK));
        let n_tok = x.len() / cols;
        let (mut q, mut d, mut sum) = (vec![0i16; x.len()], vec![0f32; n_tok * np], vec![0f32; n_tok * np]);
        for (i, (xb, qb)) in x.chunks_exact(QK).zip(q.chunks_exact_mut(QK)).enumerate() {
            // SAFETY: 32 values in, 32 out; on wasm32 the module is built for engines with SIMD.
            let (scale, qsum) = unsafe { imp::quantize_block(xb, qb) };
            let at = (i / nb) * np + i % nb;
            d[at] = scale;
            sum[at] = scale * qsum as f32;
        }
        #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
        let (q8, pos, neg) = {
            let (mut q8, mut pos, mut neg) = (vec![0i8; q.len()], vec![0i8; q.len()], vec![0i8; q.len()]);
            // SAFETY: equal lengths, a multiple of 32; this build is only loaded where relaxed-SIMD validates.
            unsafe { relaxed::signed_parts(&q, &mut q8, &mut pos, &mut neg) };
            (q8, pos, neg)
        };
        Q8Acts {
            cols,
            q,
            d,
            sum,
            #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
            q8,
            #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
            pos,
            #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
            neg,
        }
    }

    pub fn n_tok(&self) -> usize {
        self.q.len() / self.cols
    }

    /// Blocks a token's `d` and `sum` hold: the row's, rounded up to a multiple of 4.
    pub fn nb_padded(&self) -> usize {
        padded(self.cols / QK)
    }

    /// q·d as f32 (n_tok, cols): what the kernel multiplies the weights with (for its twin).
    pub fn dequantized(&self) -> Vec<f32> {
        let (nb, np) = (self.cols / QK, self.nb_padded());
        self.q.chunks_exact(QK).enumerate().flat_map(|(i, qb)| {
            let d = self.d[(i / nb) * np + i % nb];
            qb.iter().map(move |&v| v as f32 * d)
        }).collect()
    }
}

/// One 32-wide block of activations to 8 bits: q = round(x / d) in −127..=127 with d = max|x| / 127
/// (0 for a block of zeros); returns (d, Σq). The SIMD builds compute the same values.
#[allow(dead_code)] // the wasm build has its own
fn quantize_block_scalar(xb: &[f32], qb: &mut [i16]) -> (f32, i32) {
    let amax = xb.iter().fold(0f32, |m, v| m.max(v.abs()));
    let scale = amax / 127.0;
    let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
    for (o, v) in qb.iter_mut().zip(xb) {
        *o = (v * inv).round_ties_even().clamp(-127.0, 127.0) as i16;
    }
    (scale, qb.iter().map(|&v| v as i32).sum())
}

/// Which instructions run the integer dots (the bits are the same whichever).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    /// The build's best: relaxed-SIMD where built with it, else simd128 / SSE2 / plain loops.
    Best,
    /// simd128 on wasm32 even in a relaxed-SIMD build (its twin in tests); the same as `Best` elsewhere.
    Baseline,
}

/// y (n_tok, rows) = x · Wᵀ, W (rows, cols) as GGUF blocks of `kind` (`w` exactly `rows` rows).
/// Panics if the lengths disagree (callers size them from one shape).
pub fn matmul(kind: QuantKind, w: &[u8], rows: usize, x: &Q8Acts, y: &mut [f32]) {
    matmul_on(Path::Best, kind, w, rows, x, y)
}

/// `matmul` on the instructions of `path`.
pub fn matmul_on(path: Path, kind: QuantKind, w: &[u8], rows: usize, x: &Q8Acts, y: &mut [f32]) {
    let cols = x.cols;
    assert!(kind.fits(cols) && w.len() == rows * kind.row_bytes(cols) && y.len() == x.n_tok() * rows);
    assert!(x.d.len() == x.n_tok() * x.nb_padded() && x.sum.len() == x.d.len());
    let _ = path;
    #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
    if path == Path::Best {
        // SAFETY: lengths checked above; this build is only loaded where relaxed-SIMD validates.
        return unsafe { relaxed::matmul_rows(kind, w, rows, x, y) };
    }
    // SAFETY: lengths checked above; on wasm32 the module is built for engines with SIMD.
    unsafe { imp::matmul_rows(kind, w, rows, x, y) }
}

/// The formats whose 32-weight blocks start with their f16 d (and Q4_1's f16 m): one (d, m) a
/// block, converted for a whole row at once by the platform's `scales` (4 blocks a vector in wasm).
fn one_scale(kind: QuantKind) -> bool {
    matches!(kind, QuantKind::Q4_0 | QuantKind::Q4_1 | QuantKind::Q8_0 | QuantKind::Q5_0)
}

/// Block i's (d, m) of a `one_scale` row into `wd[i]`, `wm[i]`, from block `from` on: the values
/// `decode` gives (Q4_0's m = −8d, Q5_0's −16d, Q8_0's 0).
#[allow(dead_code)] // each build uses it for all blocks or only the last few
fn scales_from(kind: QuantKind, row: &[u8], from: usize, wd: &mut [f32], wm: &mut [f32]) {
    use crate::quant::{f16_to_f32, le_u16};
    let bb = kind.block_bytes();
    for (i, block) in row.chunks_exact(bb).enumerate().skip(from) {
        let d = f16_to_f32(le_u16(block, 0));
        wd[i] = d;
        wm[i] = match kind {
            QuantKind::Q4_0 => -8.0 * d,
            QuantKind::Q4_1 => f16_to_f32(le_u16(block, 2)),
            QuantKind::Q5_0 => -16.0 * d,
            _ => 0.0,
        };
    }
}

/// A value on cache lines of its own (64 bytes, aligned): each thread's per-row scratch. The
/// wasm threads build has one heap, where two threads' scratch allocated side by side shared a
/// line at their edges, and every row's writes moved it between the cores: at 2 threads each ran
/// its rows ≈ 1.6× slower than alone (native allocators give each thread its own arena).
#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct Line<T: Copy>(T);

/// The loop every build shares; `Decoded`, `decode`, `scales`, `block_dot`, `izero`, `reduce4`,
/// `madd`, `zero` and `total` are the platform's. Each row is decoded once into `wq` (its blocks'
/// integer values), `wd` / `wm` (their d and m, padded with 0 to groups of 4); then every token's
/// dot with it runs with its accumulators in registers, 4 blocks at a time.
macro_rules! matmul_rows_body {
    ($kind:ident, $w:ident, $rows:ident, $x:ident, $y:ident) => {{
        let (kind, w, rows, x, y) = ($kind, $w, $rows, $x, $y);
        let cols = x.cols;
        let nb = cols / QK;
        let np = x.nb_padded();
        let bb = kind.block_bytes();
        let subs = kind.block_weights() / QK;
        let row_bytes = kind.row_bytes(cols);
        let n_tok = x.n_tok();
        // The row's values, 32 a block, and its d, m a block: scratch written for every row,
        // kept off other threads' cache lines (`Line`, and 64 bytes unused at both ends).
        let mut wq: Vec<super::Line<Decoded>> = Vec::with_capacity(nb);
        let (mut wd_line, mut wm_line) = (vec![0f32; np + 32], vec![0f32; np + 32]);
        let (wd, wm) = (&mut wd_line[16..16 + np], &mut wm_line[16..16 + np]);
        for r in 0..rows {
            wq.clear();
            let row = &w[r * row_bytes..(r + 1) * row_bytes];
            if one_scale(kind) {
                for block in row.chunks_exact(bb) {
                    wq.push(super::Line(decode(kind, block, 0).2));
                }
                scales(kind, row, wd, wm);
            } else {
                for (i, block) in row.chunks_exact(bb).enumerate() {
                    for j in 0..subs {
                        let (d, m, v) = decode(kind, block, j);
                        wq.push(super::Line(v));
                        wd[i * subs + j] = d;
                        wm[i * subs + j] = m;
                    }
                }
            }
            for t in 0..n_tok {
                let (xe, xb) = (t * cols, t * np); // the token's first element, first block
                let (xd, xs) = (&x.d[xb..xb + np], &x.sum[xb..xb + np]);
                let (mut acc, mut offs) = (zero(), zero()); // lane k: blocks ≡ k (mod 4)
                let mut b = 0;
                while b + 4 <= nb {
                    let dot = |k: usize| block_dot(kind, &wq[b + k].0, x, xe + (b + k) * QK);
                    let ints = reduce4([dot(0), dot(1), dot(2), dot(3)]);
                    acc = madd(acc, ints, &wd[b..b + 4], &xd[b..b + 4]);
                    offs = fmadd(offs, &wm[b..b + 4], &xs[b..b + 4]);
                    b += 4;
                }
                if b < nb {
                    let dot = |k: usize| if b + k < nb { block_dot(kind, &wq[b + k].0, x, xe + (b + k) * QK) } else { izero() };
                    let ints = reduce4([dot(0), dot(1), dot(2), dot(3)]);
                    acc = madd(acc, ints, &wd[b..b + 4], &xd[b..b + 4]);
                    offs = fmadd(offs, &wm[b..b + 4], &xs[b..b + 4]);
                }
                y[t * rows + r] = total(acc) + total(offs);
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
#[path = "q8_dot_simd128.rs"]
mod imp;

#[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
#[path = "q8_dot_relaxed.rs"]
mod relaxed;

#[cfg(target_arch = "x86_64")]
#[path = "q8_dot_sse2.rs"]
mod imp;

#[cfg(not(any(target_arch = "wasm32", target_arch = "x86_64")))]
mod imp {
    use super::{one_scale, Q8Acts, QuantKind, QK};

    type Acc = [f32; 4];
    type Ints = [i32; 4];
    type Decoded = [i16; QK];

    /// # Safety
    /// None needed; `unsafe` only to share the SIMD builds' signature.
    pub unsafe fn matmul_rows(k: QuantKind, w: &[u8], rows: usize, x: &Q8Acts, y: &mut [f32]) {
        per_format!(k, w, rows, x, y)
    }

    #[inline(always)]
    fn zero() -> Acc {
        [0.0; 4]
    }

    #[inline(always)]
    fn izero() -> Ints {
        [0; 4]
    }

    #[inline(always)]
    fn scales(kind: QuantKind, row: &[u8], wd: &mut [f32], wm: &mut [f32]) {
        super::scales_from(kind, row, 0, wd, wm)
    }

    /// # Safety
    /// None needed; `unsafe` only to share the SIMD builds' signature.
    pub unsafe fn quantize_block(xb: &[f32], qb: &mut [i16]) -> (f32, i32) {
        super::quantize_block_scalar(xb, qb)
    }

    #[inline(always)]
    fn decode(kind: QuantKind, block: &[u8], j: usize) -> (f32, f32, Decoded) {
        let mut q = [0i16; QK];
        let (d, m) = kind.sub_block(block, j, &mut q);
        (d, m, q)
    }

    /// The block's Σ w·qx in lane 0 (the SIMD builds spread it over lanes; only the sum counts).
    #[inline(always)]
    fn block_dot(_: QuantKind, w: &Decoded, x: &Q8Acts, at: usize) -> Ints {
        [w.iter().zip(&x.q[at..at + QK]).map(|(&a, &b)| a as i32 * b as i32).sum(), 0, 0, 0]
    }

    #[inline(always)]
    fn reduce4(v: [Ints; 4]) -> Ints {
        v.map(|l| l.iter().sum())
    }

    /// acc + f32(ints) · (d · dx), lane by lane.
    #[inline(always)]
    fn madd(acc: Acc, ints: Ints, d: &[f32], dx: &[f32]) -> Acc {
        std::array::from_fn(|k| acc[k] + ints[k] as f32 * (d[k] * dx[k]))
    }

    /// acc + m · s, lane by lane.
    #[inline(always)]
    fn fmadd(acc: Acc, m: &[f32], s: &[f32]) -> Acc {
        std::array::from_fn(|k| acc[k] + m[k] * s[k])
    }

    #[inline(always)]
    fn total(a: Acc) -> f32 {
        (a[0] + a[1]) + (a[2] + a[3])
    }
}
