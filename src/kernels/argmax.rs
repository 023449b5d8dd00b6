//! `shaders/argmax.wgsl`: the index of the largest logit on the GPU (greedy decoding reads back
//! one number, not the vocabulary). Twin: `sampler::argmax` (the first maximum), held by
//! `tests/ops.rs`.

use crate::error::HearthError;
use crate::gpu::{self, Arg, Kernel, Tensor, Wgsl};

pub const WGSL: Wgsl = Wgsl { name: "argmax", source: include_str!("../../shaders/argmax.wgsl") };
/// One workgroup of 256 (WebGPU's default maximum): a 151936-token vocabulary is 594 strided
/// reads an invocation.
const WORKGROUP: u32 = 256;

/// logits (1, n) → (1, 1): the index of the first maximum, as f32 (`index` reads it).
pub fn forward(logits: Tensor<2>) -> Result<Tensor<2>, HearthError> {
    let [rows, n] = logits.dims();
    if rows != 1 || n == 0 || n >= 1 << 24 {
        return Err(HearthError::InvalidRequest(format!("argmax of {rows}×{n} logits")));
    }
    let l = gpu::primitive(logits)?;
    let kernel = Kernel::new(WGSL, &[("workgroup_size", WORKGROUP)]);
    Ok(gpu::launch(&kernel, (1, 1, 1), &[Arg::Tensor(&l)], [1, 1], &[n as u32], &l))
}

/// The token id in `forward`'s read-back output.
pub fn index(read_back: &[f32]) -> Result<u32, HearthError> {
    match read_back {
        [v] if *v >= 0.0 && v.fract() == 0.0 => Ok(*v as u32),
        other => Err(HearthError::DeviceLost(format!("argmax read back {other:?}"))),
    }
}
