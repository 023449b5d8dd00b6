//! `shaders/rope.wgsl`: rotary position embedding (NORM or NEOX pairing) from a host cos/sin table.

use crate::error::HearthError;
use crate::gpu::{self, Arg, Kernel, Tensor, Wgsl};

pub const WGSL: Wgsl = Wgsl { name: "rope", source: include_str!("../../shaders/rope.wgsl") };
const WORKGROUP: u32 = 64;

/// x (t, heads, hd) at positions pos..pos+t, cos_sin = `table(..)` covering them → rotated.
pub fn forward(x: Tensor<3>, cos_sin: &Tensor<1>, pos: usize, neox: bool) -> Result<Tensor<3>, HearthError> {
    let [t, heads, hd] = x.dims();
    if (pos + t) * hd > cos_sin.dims()[0] {
        return Err(HearthError::InvalidRequest(format!("rope: positions up to {} beyond the table", pos + t)));
    }
    let x = gpu::primitive(x)?;
    let cs = gpu::primitive(cos_sin.clone())?;
    let kernel = Kernel::new(WGSL, &[("workgroup_size", WORKGROUP)]);
    let pairs = t * heads * hd / 2;
    let groups = (pairs.div_ceil(WORKGROUP as usize) as u32, 1, 1);
    let params = [t as u32, heads as u32, hd as u32, neox as u32, pos as u32];
    Ok(gpu::launch(&kernel, groups, &[Arg::Tensor(&x), Arg::Tensor(&cs)], [t, heads, hd], &params, &x))
}

/// The cos/sin table for positions pos..pos+t: θ = p · base^(−2i/hd), in f64, stored as f32
/// pairs (t, hd/2, 2). The model builds it once for every position its KV cache can hold.
pub fn table(pos: usize, t: usize, hd: usize, base: f64) -> Vec<f32> {
    let half = hd / 2;
    let mut out = Vec::with_capacity(t * half * 2);
    for p in pos..pos + t {
        for i in 0..half {
            let theta = p as f64 * base.powf(-2.0 * i as f64 / hd as f64);
            out.push(theta.cos() as f32);
            out.push(theta.sin() as f32);
        }
    }
    out
}
