//! `shaders/qkv_split.wgsl`: rotates q and k of the fused q|k|v projection and writes k, v into
//! the KV cache in place; returns the rotated q.

use crate::error::HearthError;
use crate::gpu::{self, Arg, Kernel, Tensor, Wgsl};

pub const WGSL: Wgsl = Wgsl { name: "qkv_split", source: include_str!("../../shaders/qkv_split.wgsl") };
const WORKGROUP: u32 = 64;

/// Where the split goes: the head layout, the positions, the RoPE pairing.
#[derive(Debug, Clone, Copy)]
pub struct Split {
    pub heads: usize,
    pub kv_heads: usize,
    pub head_dim: usize,
    /// Position of the first token.
    pub pos: usize,
    /// NEOX pairing (qwen2) instead of NORM (llama).
    pub neox: bool,
}

/// qkv (t, (heads + 2·kv_heads)·hd) → q (t, heads, hd); keys and values (kv_heads, capacity, hd)
/// get rows pos..pos+t written. `cos_sin` = `table(0, capacity, ..)`.
pub fn forward(qkv: Tensor<2>, cos_sin: &Tensor<1>, keys: &Tensor<3>, values: &Tensor<3>, s: Split) -> Result<Tensor<3>, HearthError> {
    let [t, width] = qkv.dims();
    let [kv_heads, capacity, hd] = keys.dims();
    let slots = s.heads + 2 * s.kv_heads;
    if width != slots * s.head_dim || kv_heads != s.kv_heads || hd != s.head_dim || s.pos + t > capacity || cos_sin.dims()[0] < capacity * hd {
        return Err(HearthError::InvalidRequest(format!("qkv_split: {t}×{width} into cache {:?} at {}", keys.dims(), s.pos)));
    }
    let qkv = gpu::primitive(qkv)?;
    let cs = gpu::primitive(cos_sin.clone())?;
    let k = gpu::primitive(keys.clone())?; // contiguous already: the same buffer, written in place
    let v = gpu::primitive(values.clone())?;
    let kernel = Kernel::new(WGSL, &[("workgroup_size", WORKGROUP)]);
    let n = t * slots * hd / 2;
    let groups = (n.div_ceil(WORKGROUP as usize) as u32, 1, 1);
    let params = [t as u32, s.heads as u32, s.kv_heads as u32, hd as u32, s.pos as u32, capacity as u32, s.neox as u32];
    let inputs = [Arg::Tensor(&qkv), Arg::Tensor(&cs), Arg::Tensor(&k), Arg::Tensor(&v)];
    Ok(gpu::launch(&kernel, groups, &inputs, [t, s.heads, hd], &params, &qkv))
}

/// The RoPE cos/sin table for positions pos..pos+t: θ = p · base^(−2i/hd), in f64, stored as f32
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
