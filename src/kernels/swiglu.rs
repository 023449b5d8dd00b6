//! `shaders/swiglu.wgsl`: y = silu(gate) · up from the fused gate|up projection.

use crate::error::HearthError;
use crate::gpu::{self, Arg, Kernel, Tensor, Wgsl};

pub const WGSL: Wgsl = Wgsl { name: "swiglu", source: include_str!("../../shaders/swiglu.wgsl") };
const WORKGROUP: u32 = 64;

/// gate_up (n, 2f): gate in columns 0..f, up in f..2f → (n, f); f must be a multiple of 4.
pub fn forward(gate_up: Tensor<2>) -> Result<Tensor<2>, HearthError> {
    let [n, f2] = gate_up.dims();
    let f = f2 / 2;
    if f2 % 2 != 0 || f % 4 != 0 {
        return Err(HearthError::InvalidRequest(format!("swiglu: gate|up width {f2}")));
    }
    let gu = gpu::primitive(gate_up)?;
    let kernel = Kernel::new(WGSL, &[("workgroup_size", WORKGROUP)]);
    let groups = ((n * f / 4).div_ceil(WORKGROUP as usize) as u32, 1, 1);
    Ok(gpu::launch(&kernel, groups, &[Arg::Tensor(&gu)], [n, f], &[n as u32, (f / 4) as u32], &gu))
}
