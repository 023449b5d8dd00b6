//! Quantized weight formats: GGUF block structs, their CPU reference twins (dequantize, f64 dot)
//! and the load-time repack into the GPU layout the WGSL kernels read (no shader-f16 needed).
//!
//! GPU layout, shared by every block format, for a matrix of `rows` outputs × `cols` inputs
//! (`nb = cols / 32` blocks a row), in two arrays read as `vec4<u32>`:
//! - `qs`: the block's quantized values, `QS_WORDS` u32 (one or two vec4) per block, row-major:
//!   block `b` of row `r` at `(r * nb + b) * QS_WORDS`, byte order as in the GGUF block.
//! - `sc`: one u32 of scale(s) per block, row-major with rows padded to a multiple of 4 blocks:
//!   block `b` of row `r` at `r * nb4 * 4 + b`, `nb4 = ceil(nb / 4)`, so four blocks' scales are
//!   one vec4 load.
//!
//! Row-major vec4 loads are what CPU adapters (llvmpipe, SwiftShader) read fastest: every
//! invocation streams its own rows (measured in benches/kernels.rs).

pub mod float;
pub mod q4_0;
pub mod q4_1;
pub mod q8_0;

use crate::error::HearthError;
use crate::gguf::GgmlType;

/// Weights per block for every block format here.
pub const QK: usize = 32;

/// A GGUF block format with a fused GPU kernel.
pub trait BlockFormat {
    /// Bytes per block in the GGUF file.
    const BYTES: usize;
    /// u32 words of quantized values per block in the GPU layout (a multiple of 4).
    const QS_WORDS: usize;
    /// Decode one block (`Self::BYTES` bytes) into 32 weights, exactly as ggml does (f32 math).
    fn dequantize_block(block: &[u8], out: &mut [f32; QK]);
    /// Re-encode one block: its values into `qs` (`QS_WORDS` words) and its scale word.
    fn repack_block(block: &[u8], qs: &mut [u32]) -> u32;
}

/// The block formats with GPU kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuantKind {
    Q4_0,
    Q4_1,
    Q8_0,
}

impl QuantKind {
    pub fn from_ggml(ty: GgmlType) -> Option<Self> {
        match ty {
            GgmlType::Q4_0 => Some(QuantKind::Q4_0),
            GgmlType::Q4_1 => Some(QuantKind::Q4_1),
            GgmlType::Q8_0 => Some(QuantKind::Q8_0),
            _ => None,
        }
    }

    pub fn block_bytes(self) -> usize {
        match self {
            QuantKind::Q4_0 => q4_0::Q4_0::BYTES,
            QuantKind::Q4_1 => q4_1::Q4_1::BYTES,
            QuantKind::Q8_0 => q8_0::Q8_0::BYTES,
        }
    }

    /// u32 words of quantized values per block in the GPU layout.
    pub fn qs_words(self) -> usize {
        match self {
            QuantKind::Q4_0 => q4_0::Q4_0::QS_WORDS,
            QuantKind::Q4_1 => q4_1::Q4_1::QS_WORDS,
            QuantKind::Q8_0 => q8_0::Q8_0::QS_WORDS,
        }
    }

    /// Dequantize one row of `out.len()` weights (reference twin).
    pub fn dequantize_row(self, row: &[u8], out: &mut [f32]) {
        match self {
            QuantKind::Q4_0 => dequantize_row::<q4_0::Q4_0>(row, out),
            QuantKind::Q4_1 => dequantize_row::<q4_1::Q4_1>(row, out),
            QuantKind::Q8_0 => dequantize_row::<q8_0::Q8_0>(row, out),
        }
    }

    /// Repack a `rows × cols` matrix from GGUF bytes into the GPU layout.
    pub fn repack(self, bytes: &[u8], rows: usize, cols: usize) -> Result<GpuLayout, HearthError> {
        match self {
            QuantKind::Q4_0 => repack::<q4_0::Q4_0>(bytes, rows, cols),
            QuantKind::Q4_1 => repack::<q4_1::Q4_1>(bytes, rows, cols),
            QuantKind::Q8_0 => repack::<q8_0::Q8_0>(bytes, rows, cols),
        }
    }
}

/// Dequantize a row (reference twin of every kernel's weight decode).
pub fn dequantize_row<F: BlockFormat>(row: &[u8], out: &mut [f32]) {
    let mut block = [0f32; QK];
    for (src, dst) in row.chunks_exact(F::BYTES).zip(out.chunks_exact_mut(QK)) {
        F::dequantize_block(src, &mut block);
        dst.copy_from_slice(&block);
    }
}

/// Reference matrix-vector product, f64 accumulate: `y[t][r] = Σ_c W[r][c] · x[t][c]` for a
/// `rows × cols` quantized matrix and `n_tok` input rows `x` (n_tok, cols).
/// Also returns `Σ |W·x|` per output, the scale against which a kernel's error is judged.
pub fn matmul_reference(kind: QuantKind, bytes: &[u8], rows: usize, cols: usize, x: &[f32]) -> (Vec<f64>, Vec<f64>) {
    let n_tok = x.len() / cols;
    let row_bytes = cols / QK * kind.block_bytes();
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

/// A matrix in the GPU layout (see the module docs).
pub struct GpuLayout {
    pub qs: Vec<u32>, // (rows, nb, QS_WORDS)
    pub sc: Vec<u32>, // (rows, nb4 * 4)
}

/// Blocks per row of scales in the GPU layout (padded to a multiple of 4).
pub fn scale_stride(cols: usize) -> usize {
    (cols / QK).div_ceil(4) * 4
}

fn repack<F: BlockFormat>(bytes: &[u8], rows: usize, cols: usize) -> Result<GpuLayout, HearthError> {
    if !cols.is_multiple_of(QK) {
        return Err(HearthError::UnsupportedModel(format!("row length {cols} is not a multiple of {QK}")));
    }
    let n_blocks = cols / QK;
    if bytes.len() != rows * n_blocks * F::BYTES {
        return Err(HearthError::UnsupportedModel(format!("{} bytes for a {rows}×{cols} matrix", bytes.len())));
    }
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

#[inline]
pub(crate) fn f16_to_f32(bits: u16) -> f32 {
    half::f16::from_bits(bits).to_f32()
}
