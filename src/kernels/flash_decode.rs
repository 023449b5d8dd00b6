//! `shaders/flash_decode.wgsl` + `shaders/flash_merge.wgsl`: attention over the KV cache split
//! into chunks of keys (flash-decoding), so a decode step at 2k context still fills a hardware
//! GPU: one workgroup a (query row, chunk), then one a query row to merge. The wide family's
//! attention (`Family::Wide`); the narrow one is `attention.rs`. Twin `reference::attention`.

use crate::error::HearthError;
use crate::gpu::{self, Arg, Kernel, Tensor, Wgsl};

pub const WGSL: Wgsl = Wgsl { name: "flash_decode", source: include_str!("../../shaders/flash_decode.wgsl") };
pub const MERGE: Wgsl = Wgsl { name: "flash_merge", source: include_str!("../../shaders/flash_merge.wgsl") };
/// Keys a chunk (one workgroup, one key an invocation).
const CHUNK: usize = 64;
const MERGE_WORKGROUP: u32 = 64;

/// q (t, heads, hd) at positions pos..pos+t attends over keys/values (kv_heads, capacity, hd),
/// whose rows 0..pos+t are filled. Returns (t, heads · hd), as `attention::forward`.
pub fn forward(q: Tensor<3>, keys: &Tensor<3>, values: &Tensor<3>, pos: usize) -> Result<Tensor<2>, HearthError> {
    let [t, heads, hd] = q.dims();
    let [kv_heads, capacity, _] = keys.dims();
    if hd % 4 != 0 || heads % kv_heads != 0 || pos + t > capacity {
        return Err(HearthError::InvalidRequest(format!("attention: t {t} heads {heads}/{kv_heads} hd {hd} pos {pos} capacity {capacity}")));
    }
    let chunks = (pos + t).div_ceil(CHUNK);
    let q = gpu::primitive(q)?;
    let k = gpu::primitive(keys.clone())?;
    let v = gpu::primitive(values.clone())?;
    let scale = (1.0 / (hd as f64).sqrt()) as f32;
    let kernel = Kernel::new(WGSL, &[("workgroup_size", CHUNK as u32), ("head_dim4", (hd / 4) as u32)]);
    let params = [t as u32, heads as u32, kv_heads as u32, hd as u32, pos as u32, capacity as u32, scale.to_bits(), chunks as u32];
    let groups = (chunks as u32, (t * heads) as u32, 1);
    let part = gpu::launch(&kernel, groups, &[Arg::Tensor(&q), Arg::Tensor(&k), Arg::Tensor(&v)], [t * heads * chunks, hd + 2], &params, &q);
    let part = gpu::primitive(part)?;
    let merge = Kernel::new(MERGE, &[("workgroup_size", MERGE_WORKGROUP)]);
    let params = [(t * heads) as u32, chunks as u32, hd as u32];
    Ok(gpu::launch(&merge, ((t * heads) as u32, 1, 1), &[Arg::Tensor(&part)], [t, heads * hd], &params, &q))
}
