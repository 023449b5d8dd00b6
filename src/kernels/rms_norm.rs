//! `shaders/rms_norm.wgsl`: y = x / sqrt(mean(x²) + eps) · w, one invocation per row.

use crate::error::HearthError;
use crate::gpu::{self, Arg, Kernel, Tensor, Wgsl};

pub const WGSL: Wgsl = Wgsl { name: "rms_norm", source: include_str!("../../shaders/rms_norm.wgsl") };
const WORKGROUP: u32 = 16;

/// x (n, d), w (d) → (n, d)
pub fn forward(x: Tensor<2>, w: &Tensor<1>, eps: f64) -> Result<Tensor<2>, HearthError> {
    let [n, d] = x.dims();
    let x = gpu::primitive(x)?;
    let w = gpu::primitive(w.clone())?;
    let kernel = Kernel::new(WGSL, &[("workgroup_size", WORKGROUP)]);
    let groups = (n.div_ceil(WORKGROUP as usize) as u32, 1, 1);
    Ok(gpu::launch(&kernel, groups, &[Arg::Tensor(&x), Arg::Tensor(&w)], [n, d], &[n as u32, d as u32, (eps as f32).to_bits()], &x))
}
