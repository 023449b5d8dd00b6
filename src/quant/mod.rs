//! Quantized weight formats: GGUF block structs, their CPU reference twins (dequantize, f64 dot)
//! and the load-time repack into the GPU layout the WGSL kernels read (no shader-f16 needed).
//!
//! Two GPU layouts, for a matrix of `rows` outputs × `cols` inputs (`nb = cols / 32` blocks a row).
//! The packed one (Q4_0, Q4_1, Q8_0; trait `Packed`), two arrays read as `vec4<u32>`:
//! - `qs`: the block's quantized values, `QS_WORDS` u32 (one or two vec4) per block, row-major:
//!   block `b` of row `r` at `(r * nb + b) * QS_WORDS`, byte order as in the GGUF block.
//! - `sc`: one u32 of scale(s) per block, row-major with rows padded to a multiple of 4 blocks:
//!   block `b` of row `r` at `r * nb4 * 4 + b`, `nb4 = ceil(nb / 4)` (`packed_scale` in
//!   shaders/blocks/shared.wgsl).
//!
//! The sub-block one (Q5_0, Q4_K, Q6_K; trait `SubBlocks`): every 32 weights as one vec4 of
//! values and a few scale words, whatever the GGUF block size.
//!
//! Both are read by the same kernel bodies (gemv, matmul, gemv_wide, matmul_wide), each compiled
//! with the format's decode from `shaders/blocks/<format>.wgsl`.
//!
//! Row-major vec4 loads are what CPU adapters (llvmpipe, SwiftShader) read fastest: every
//! invocation streams its own rows (measured in benches/kernels.rs).

pub mod float;
pub mod q4_0;
pub mod q4_1;
pub mod q4_k;
pub mod q5_0;
pub mod q6_k;
pub mod q8_0;

use crate::error::HearthError;
use crate::gguf::GgmlType;

/// Weights per (sub-)block: every kernel works on 32-weight blocks; k-quant super-blocks of 256
/// are eight of them.
pub const QK: usize = 32;

/// A GGUF block format: its size and the reference decode.
pub trait BlockFormat {
    /// Bytes per GGUF block.
    const BYTES: usize;
    /// Weights per GGUF block: 32, or 256 for a k-quant super-block.
    const WEIGHTS: usize;
    /// Decode one block (`Self::BYTES` bytes) into `Self::WEIGHTS` weights, exactly as ggml's
    /// `dequantize_row_*` does (f32 math, same order of operations).
    fn dequantize_block(block: &[u8], out: &mut [f32]);
    /// 32-weight sub-block `j` (0 for 32-weight formats) as integers `q` and (d, m) with
    /// w = q·d + m (Q4_0: nibble, m = −8d; Q4_1: m stored; Q8_0: signed byte, m = 0; Q5_0: 5
    /// bits, m = −16d; Q4_K: nibble, d·sc and −dmin·m; Q6_K: (q6 − 32)·sc, d of the super-block,
    /// m = 0): the form both CPU kernels compute in, d·Σq·x + m·Σx (`cpu::quant_dot` in f32,
    /// `cpu::q8_dot` in integers).
    fn sub_block(block: &[u8], j: usize, q: &mut [i16; QK]) -> (f32, f32);
}

/// The packed GPU layout of Q4_0 / Q4_1 / Q8_0 (module docs): values in `QS_WORDS` words, one
/// scale word a block, rows of scales padded to 4 blocks.
pub trait Packed: BlockFormat {
    /// u32 words of quantized values per block (a multiple of 4).
    const QS_WORDS: usize;
    /// Re-encode one block: its values into `qs` (`QS_WORDS` words) and its scale word.
    fn repack_block(block: &[u8], qs: &mut [u32]) -> u32;
}

/// The sub-block GPU layout of Q5_0 / Q4_K / Q6_K, read by the shared `gemv` / `matmul` bodies
/// with the format's decode in `shaders/blocks/`: per 32 weights, 4 words (one vec4) of
/// values in `qs` and `SC_WORDS` words of scales (and extra bits) in `sc`, both (rows, nb, ·).
pub trait SubBlocks: BlockFormat {
    const SC_WORDS: usize;
    /// Re-encode one GGUF block (`WEIGHTS / 32` sub-blocks) into `qs` (4 words a sub-block) and
    /// `sc` (`SC_WORDS` a sub-block).
    fn repack_block(block: &[u8], qs: &mut [u32], sc: &mut [u32]);
}

/// Which GPU layout (and so which kernels) a format uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Packed,
    SubBlocks { sc_words: usize },
}

/// The quantized block formats hearth computes with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantKind {
    Q4_0,
    Q4_1,
    Q8_0,
    Q5_0,
    Q4K,
    Q6K,
}

/// `$f` applied to the format type of `$kind`.
macro_rules! with_format {
    ($kind:expr, $f:ident $(, $arg:expr)*) => {
        match $kind {
            QuantKind::Q4_0 => $f::<q4_0::Q4_0>($($arg),*),
            QuantKind::Q4_1 => $f::<q4_1::Q4_1>($($arg),*),
            QuantKind::Q8_0 => $f::<q8_0::Q8_0>($($arg),*),
            QuantKind::Q5_0 => $f::<q5_0::Q5_0>($($arg),*),
            QuantKind::Q4K => $f::<q4_k::Q4K>($($arg),*),
            QuantKind::Q6K => $f::<q6_k::Q6K>($($arg),*),
        }
    };
}

fn bytes_of<F: BlockFormat>() -> usize {
    F::BYTES
}
fn weights_of<F: BlockFormat>() -> usize {
    F::WEIGHTS
}
#[inline(always)]
fn sub_block_of<F: BlockFormat>(block: &[u8], j: usize, q: &mut [i16; QK]) -> (f32, f32) {
    F::sub_block(block, j, q)
}

impl QuantKind {
    pub const ALL: [QuantKind; 6] = [QuantKind::Q4_0, QuantKind::Q4_1, QuantKind::Q8_0, QuantKind::Q5_0, QuantKind::Q4K, QuantKind::Q6K];

    pub fn from_ggml(ty: GgmlType) -> Option<Self> {
        match ty {
            GgmlType::Q4_0 => Some(QuantKind::Q4_0),
            GgmlType::Q4_1 => Some(QuantKind::Q4_1),
            GgmlType::Q8_0 => Some(QuantKind::Q8_0),
            GgmlType::Q5_0 => Some(QuantKind::Q5_0),
            GgmlType::Q4K => Some(QuantKind::Q4K),
            GgmlType::Q6K => Some(QuantKind::Q6K),
            _ => None,
        }
    }

    /// Bytes per GGUF block.
    pub fn block_bytes(self) -> usize {
        with_format!(self, bytes_of)
    }

    /// Weights per GGUF block (32, or 256 for k-quants).
    pub fn block_weights(self) -> usize {
        with_format!(self, weights_of)
    }

    /// Whether a row of `cols` weights is whole blocks.
    pub fn fits(self, cols: usize) -> bool {
        cols > 0 && cols.is_multiple_of(self.block_weights())
    }

    /// Bytes of one row of `cols` weights (`cols` a multiple of `block_weights`).
    pub fn row_bytes(self, cols: usize) -> usize {
        cols / self.block_weights() * self.block_bytes()
    }

    pub fn family(self) -> Family {
        match self {
            QuantKind::Q4_0 | QuantKind::Q4_1 | QuantKind::Q8_0 => Family::Packed,
            QuantKind::Q5_0 => Family::SubBlocks { sc_words: <q5_0::Q5_0 as SubBlocks>::SC_WORDS },
            QuantKind::Q4K => Family::SubBlocks { sc_words: <q4_k::Q4K as SubBlocks>::SC_WORDS },
            QuantKind::Q6K => Family::SubBlocks { sc_words: <q6_k::Q6K as SubBlocks>::SC_WORDS },
        }
    }

    /// u32 words of quantized values per 32 weights in the GPU layout.
    pub fn qs_words(self) -> usize {
        match self {
            QuantKind::Q4_0 => <q4_0::Q4_0 as Packed>::QS_WORDS,
            QuantKind::Q4_1 => <q4_1::Q4_1 as Packed>::QS_WORDS,
            QuantKind::Q8_0 => <q8_0::Q8_0 as Packed>::QS_WORDS,
            QuantKind::Q5_0 | QuantKind::Q4K | QuantKind::Q6K => 4,
        }
    }

    /// Dequantize one row of `out.len()` weights (reference twin).
    pub fn dequantize_row(self, row: &[u8], out: &mut [f32]) {
        with_format!(self, dequantize_row, row, out)
    }

    /// `BlockFormat::sub_block` of this format: sub-block `j` of `block` as integers and (d, m).
    #[inline(always)]
    pub fn sub_block(self, block: &[u8], j: usize, q: &mut [i16; QK]) -> (f32, f32) {
        with_format!(self, sub_block_of, block, j, q)
    }

    /// Repack a `rows × cols` matrix from GGUF bytes into the GPU layout.
    pub fn repack(self, bytes: &[u8], rows: usize, cols: usize) -> Result<GpuLayout, HearthError> {
        match self {
            QuantKind::Q4_0 => repack_packed::<q4_0::Q4_0>(bytes, rows, cols),
            QuantKind::Q4_1 => repack_packed::<q4_1::Q4_1>(bytes, rows, cols),
            QuantKind::Q8_0 => repack_packed::<q8_0::Q8_0>(bytes, rows, cols),
            QuantKind::Q5_0 => repack_sub_blocks::<q5_0::Q5_0>(bytes, rows, cols),
            QuantKind::Q4K => repack_sub_blocks::<q4_k::Q4K>(bytes, rows, cols),
            QuantKind::Q6K => repack_sub_blocks::<q6_k::Q6K>(bytes, rows, cols),
        }
    }
}

/// Dequantize a row (reference twin of every kernel's weight decode).
pub fn dequantize_row<F: BlockFormat>(row: &[u8], out: &mut [f32]) {
    for (src, dst) in row.chunks_exact(F::BYTES).zip(out.chunks_exact_mut(F::WEIGHTS)) {
        F::dequantize_block(src, dst);
    }
}

/// Reference matrix-vector product, f64 accumulate: `y[t][r] = Σ_c W[r][c] · x[t][c]` for a
/// `rows × cols` quantized matrix and `n_tok` input rows `x` (n_tok, cols).
/// Also returns `Σ |W·x|` per output, the scale against which a kernel's error is judged.
pub fn matmul_reference(kind: QuantKind, bytes: &[u8], rows: usize, cols: usize, x: &[f32]) -> (Vec<f64>, Vec<f64>) {
    let n_tok = x.len() / cols;
    let row_bytes = kind.row_bytes(cols);
    let mut w = vec![0f32; cols];
    let mut y = vec![0f64; n_tok * rows];
    let mut mag = vec![0f64; n_tok * rows];
    for r in 0..rows {
        kind.dequantize_row(&bytes[r * row_bytes..(r + 1) * row_bytes], &mut w);
        for t in 0..n_tok {
            let xt = &x[t * cols..(t + 1) * cols];
            let (mut acc, mut abs) = (0f64, 0f64);
            for (a, b) in w.iter().zip(xt) {
                let p = *a as f64 * *b as f64;
                acc += p;
                abs += p.abs();
            }
            y[t * rows + r] = acc;
            mag[t * rows + r] = abs;
        }
    }
    (y, mag)
}

/// A matrix in its format's GPU layout (see the module docs and `SubBlocks`).
pub struct GpuLayout {
    pub qs: Vec<u32>, // (rows, nb, qs_words)
    pub sc: Vec<u32>, // packed: (rows, nb4 * 4); sub-blocks: (rows, nb, SC_WORDS)
}

/// Blocks per row of scales in the GPU layout (padded to a multiple of 4).
pub fn scale_stride(cols: usize) -> usize {
    (cols / QK).div_ceil(4) * 4
}

fn check_shape(kind_bytes: usize, kind_weights: usize, bytes: &[u8], rows: usize, cols: usize) -> Result<(), HearthError> {
    if cols == 0 || !cols.is_multiple_of(kind_weights) {
        return Err(HearthError::UnsupportedModel(format!("row length {cols} is not a multiple of {kind_weights}")));
    }
    if bytes.len() != rows * (cols / kind_weights) * kind_bytes {
        return Err(HearthError::UnsupportedModel(format!("{} bytes for a {rows}×{cols} matrix", bytes.len())));
    }
    Ok(())
}

fn repack_packed<F: Packed>(bytes: &[u8], rows: usize, cols: usize) -> Result<GpuLayout, HearthError> {
    check_shape(F::BYTES, F::WEIGHTS, bytes, rows, cols)?;
    let n_blocks = cols / QK;
    let stride = scale_stride(cols);
    let mut qs = vec![0u32; rows * n_blocks * F::QS_WORDS];
    let mut sc = vec![0u32; rows * stride];
    for r in 0..rows {
        for b in 0..n_blocks {
            let i = r * n_blocks + b;
            let src = &bytes[i * F::BYTES..][..F::BYTES];
            sc[r * stride + b] = F::repack_block(src, &mut qs[i * F::QS_WORDS..(i + 1) * F::QS_WORDS]);
        }
    }
    Ok(GpuLayout { qs, sc })
}

fn repack_sub_blocks<F: SubBlocks>(bytes: &[u8], rows: usize, cols: usize) -> Result<GpuLayout, HearthError> {
    check_shape(F::BYTES, F::WEIGHTS, bytes, rows, cols)?;
    let subs = F::WEIGHTS / QK; // 32-weight sub-blocks a GGUF block
    let n_sub = rows * cols / QK;
    let mut qs = vec![0u32; n_sub * 4];
    let mut sc = vec![0u32; n_sub * F::SC_WORDS];
    for (i, src) in bytes.chunks_exact(F::BYTES).enumerate() {
        let s0 = i * subs;
        F::repack_block(src, &mut qs[s0 * 4..(s0 + subs) * 4], &mut sc[s0 * F::SC_WORDS..(s0 + subs) * F::SC_WORDS]);
    }
    Ok(GpuLayout { qs, sc })
}

/// Little-endian u16 at `at`.
#[inline]
pub(crate) fn le_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

/// Little-endian u32 at `at`.
#[inline]
pub(crate) fn le_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

#[inline(always)]
pub(crate) fn f16_to_f32(bits: u16) -> f32 {
    // Exact for every value (ryg's method): move exponent and mantissa to f32's places, then one
    // multiply by 2^112 re-biases normals and normalizes subnormals; Inf/NaN keep all-ones.
    // Inline and branch-free, unlike a call per block (the CPU kernels convert one a sub-block).
    let em = (bits as u32 & 0x7FFF) << 13;
    let v = if em >= 0x7C00 << 13 { em | 0x7F80_0000 } else { (f32::from_bits(em) * f32::from_bits(0x7780_0000)).to_bits() };
    f32::from_bits(v | (bits as u32 & 0x8000) << 16)
}

#[cfg(test)]
mod tests {
    /// The inline f16 conversion equals `half`'s for all 65536 bit patterns (NaNs: both NaN).
    #[test]
    fn f16_to_f32_is_exact_for_every_value() {
        for bits in 0..=u16::MAX {
            let (got, want) = (super::f16_to_f32(bits), half::f16::from_bits(bits).to_f32());
            assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "{bits:#06x}: {got} vs {want}");
        }
    }
}
