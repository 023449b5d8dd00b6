//! `shaders/attention.wgsl`: causal grouped-query attention over the KV cache, one-pass softmax.

use crate::error::HearthError;
use crate::gpu::{self, Arg, Kernel, Tensor, Wgsl};

pub const WGSL: Wgsl = Wgsl { name: "attention", source: include_str!("../../shaders/attention.wgsl") };
const WORKGROUP: u32 = 16;

/// q (t, heads, hd) at positions pos..pos+t attends over keys/values (kv_heads, capacity, hd),
/// whose rows 0..pos+t are filled. Returns (t, heads · hd).
pub fn forward(q: Tensor<3>, keys: &Tensor<3>, values: &Tensor<3>, pos: usize) -> Result<Tensor<2>, HearthError> {
    let [t, heads, hd] = q.dims();
    let [kv_heads, capacity, _] = keys.dims();
    if hd % 4 != 0 || heads % kv_heads != 0 || pos + t > capacity {
        return Err(HearthError::InvalidRequest(format!("attention: t {t} heads {heads}/{kv_heads} hd {hd} pos {pos} capacity {capacity}")));
    }
    let q = gpu::primitive(q)?;
    let k = gpu::primitive(keys.clone())?;
    let v = gpu::primitive(values.clone())?;
    let kernel = Kernel::new(WGSL, &[("workgroup_size", WORKGROUP), ("head_dim4", (hd / 4) as u32)]);
    let groups = ((t * heads).div_ceil(WORKGROUP as usize) as u32, 1, 1);
    let scale = (1.0 / (hd as f64).sqrt()) as f32;
    let params = [t as u32, heads as u32, kv_heads as u32, hd as u32, pos as u32, capacity as u32, scale.to_bits()];
    Ok(gpu::launch(&kernel, groups, &[Arg::Tensor(&q), Arg::Tensor(&k), Arg::Tensor(&v)], [t, heads * hd], &params, &q))
}
