//! `shaders/swiglu.wgsl`: y = silu(gate) · up, elementwise.

use crate::error::HearthError;
use crate::gpu::{self, Arg, Kernel, Tensor, Wgsl};

pub const WGSL: Wgsl = Wgsl { name: "swiglu", source: include_str!("../../shaders/swiglu.wgsl") };
const WORKGROUP: u32 = 64;

/// gate, up (n, f) → (n, f); f must be a multiple of 4.
pub fn forward(gate: Tensor<2>, up: Tensor<2>) -> Result<Tensor<2>, HearthError> {
    let [n, f] = gate.dims();
    if up.dims() != [n, f] || f % 4 != 0 {
        return Err(HearthError::InvalidRequest(format!("swiglu: gate {:?} up {:?}", gate.dims(), up.dims())));
    }
    let gate = gpu::primitive(gate)?;
    let up = gpu::primitive(up)?;
    let n4 = n * f / 4;
    let kernel = Kernel::new(WGSL, &[("workgroup_size", WORKGROUP)]);
    let groups = (n4.div_ceil(WORKGROUP as usize) as u32, 1, 1);
    Ok(gpu::launch(&kernel, groups, &[Arg::Tensor(&gate), Arg::Tensor(&up)], [n, f], &[n4 as u32], &gate))
}
