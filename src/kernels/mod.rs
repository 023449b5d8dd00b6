//! Fused dequantising kernels over hearth's GPU weight layout (`src/quant/mod.rs`):
//! a GEMV per format for one token (decode) and a tiled matmul per format for many (prefill).
//! Each kernel's CPU twin is `quant::matmul_reference`; `tests/kernels.rs` holds them together.

pub mod gemv_q4_0;
pub mod gemv_q4_1;
pub mod gemv_q8_0;
pub mod matmul_q4_0;
pub mod matmul_q4_1;
pub mod matmul_q8_0;
pub mod read_bandwidth;

use crate::error::HearthError;
use crate::gpu::{self, Arg, Device, GpuBuffer, Tensor, Wgsl};
use crate::quant::QuantKind;

/// Invocations per workgroup in every kernel here (rows per workgroup).
const ROWS_PER_GROUP: usize = 64;
/// Tokens per workgroup in the matmul kernels (`TT` in the shaders).
const TOKENS_PER_GROUP: usize = 8;

/// A quantized `rows × cols` weight matrix resident on the GPU in hearth's block layout.
pub struct QuantMatrix {
    pub kind: QuantKind,
    pub rows: usize,
    pub cols: usize,
    buffer: GpuBuffer, // (cols / 32, rows, kind.gpu_words()) u32
}

impl QuantMatrix {
    /// Repack GGUF bytes of a `rows × cols` matrix and upload them.
    pub fn upload(device: &Device, kind: QuantKind, bytes: &[u8], rows: usize, cols: usize) -> Result<Self, HearthError> {
        let words = kind.repack(bytes, rows, cols)?;
        Ok(QuantMatrix { kind, rows, cols, buffer: gpu::upload_u32(device, &words)? })
    }

    /// Bytes the GPU reads per pass over the weights.
    pub fn gpu_bytes(&self) -> usize {
        self.buffer.n_bytes
    }

    /// y = x · Wᵀ: x (n_tok, cols) → y (n_tok, rows). One token runs the GEMV, more the matmul.
    pub fn forward(&self, x: Tensor<2>) -> Result<Tensor<2>, HearthError> {
        self.run(x, false)
    }

    /// Always the matmul kernel, whatever `n_tok` is (tests and benchmarks pin the kernel).
    pub fn forward_matmul(&self, x: Tensor<2>) -> Result<Tensor<2>, HearthError> {
        self.run(x, true)
    }

    fn run(&self, x: Tensor<2>, force_matmul: bool) -> Result<Tensor<2>, HearthError> {
        let [n_tok, cols] = x.dims();
        if cols != self.cols || n_tok == 0 {
            return Err(HearthError::InvalidRequest(format!("input is {n_tok}×{cols}, weight takes {} columns", self.cols)));
        }
        let x = gpu::primitive(x)?;
        let row_groups = self.rows.div_ceil(ROWS_PER_GROUP) as u32;
        let (kernel, groups) = if n_tok == 1 && !force_matmul {
            (self.gemv_kernel(), (row_groups, 1, 1))
        } else {
            (self.matmul_kernel(), (row_groups, n_tok.div_ceil(TOKENS_PER_GROUP) as u32, 1))
        };
        let params = [self.rows as u32, self.cols as u32, n_tok as u32];
        Ok(gpu::launch(kernel, groups, &[Arg::Buffer(&self.buffer), Arg::Tensor(&x)], [n_tok, self.rows], &params, &x))
    }

    fn gemv_kernel(&self) -> &'static Wgsl {
        match self.kind {
            QuantKind::Q4_0 => &gemv_q4_0::KERNEL,
            QuantKind::Q4_1 => &gemv_q4_1::KERNEL,
            QuantKind::Q8_0 => &gemv_q8_0::KERNEL,
        }
    }

    fn matmul_kernel(&self) -> &'static Wgsl {
        match self.kind {
            QuantKind::Q4_0 => &matmul_q4_0::KERNEL,
            QuantKind::Q4_1 => &matmul_q4_1::KERNEL,
            QuantKind::Q8_0 => &matmul_q8_0::KERNEL,
        }
    }
}

/// Sum (wrapping) of `words`, read on the GPU with the plain read kernel; `per` loads per invocation.
/// Returns the per-invocation partial sums tensor's total, for checking against the CPU twin.
pub fn read_bandwidth(src: &GpuBuffer, per: usize, like: &Tensor<1>) -> Result<Tensor<1>, HearthError> {
    let n4 = src.n_bytes / 16;
    let n_inv = n4.div_ceil(per);
    let like = gpu::primitive(like.clone())?;
    let groups = (n_inv.div_ceil(ROWS_PER_GROUP) as u32, 1, 1);
    Ok(gpu::launch(&read_bandwidth::KERNEL, groups, &[Arg::Buffer(src)], [n_inv], &[n4 as u32, per as u32], &like))
}

/// CPU twin of `read_bandwidth`: the wrapping sum of all words.
pub fn read_bandwidth_reference(words: &[u32]) -> u32 {
    words.iter().fold(0u32, |a, &w| a.wrapping_add(w))
}
