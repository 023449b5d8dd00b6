//! The llama/qwen2 decoder as a burn model over our kernels: RMSNorm, RoPE, grouped-query attention
//! over the KV cache, SwiGLU, (tied) output projection; weight matmuls go through `Linear`, which
//! takes the norm before it and SwiGLU as its input (inside the GEMV where the kernels fuse them).

use super::config::{Config, RopeStyle};
use super::embedding::Embedding;
use super::kv_cache::KvCache;
use super::linear::Linear;
use crate::error::HearthError;
use crate::gpu::{self, Device, Tensor};
use crate::kernels::{attention, flash_decode, qkv_split, Family, Input};

pub(super) struct Layer {
    pub(super) attn_norm: Tensor<1>, // (n_embd)
    pub(super) wqkv: Linear,         // (n_head·hd + 2·n_kv·hd, n_embd): q, k, v stacked
    pub(super) wo: Linear,
    pub(super) ffn_norm: Tensor<1>,  // (n_embd)
    pub(super) w_gate_up: Linear,    // (2·n_ff, n_embd): gate, up stacked
    pub(super) w_down: Linear,
}

pub struct Llama {
    pub config: Config,
    device: Device,
    embedding: Embedding,
    layers: Vec<Layer>,
    output_norm: Tensor<1>, // (n_embd)
    output: Linear,         // (n_vocab, n_embd)
    /// The kernels' shapes: narrow on software adapters, wide on hardware GPUs.
    family: Family,
}

impl Llama {
    /// The model `model::builder` made from a GGUF's tensors (a load goes through `loader::GpuLoad`).
    pub(super) fn from_parts(config: Config, device: &Device, embedding: Embedding, layers: Vec<Layer>, output_norm: Tensor<1>, output: Linear, family: Family) -> Self {
        Llama { config, device: device.clone(), embedding, layers, output_norm, output, family }
    }

    /// The kernel family this model launches (from the adapter, or `HEARTH_KERNELS`).
    pub fn family(&self) -> Family {
        self.family
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// A KV cache for this model holding `capacity` positions.
    pub fn new_cache(&self, capacity: usize) -> KvCache {
        KvCache::new(&self.config, capacity, &self.device)
    }

    /// Run `ids` at positions cache.len().. and append them to the cache.
    /// Returns logits (n, n_vocab): every position if `all_logits`, else only the last.
    pub fn forward(&self, ids: &[u32], cache: &mut KvCache, all_logits: bool) -> Result<Tensor<2>, HearthError> {
        let t = ids.len();
        let x = self.layers(ids, cache)?;
        let x = if all_logits { x } else { x.narrow(0, t - 1, 1) };
        self.output.forward_from(x, Input::Norm(&self.output_norm, self.config.rms_eps), None)
    }

    /// `forward` without the output projection: only the cache is wanted (a prompt's chunks
    /// before its last). Returns the last layer's hidden states (t, n_embd).
    pub fn layers(&self, ids: &[u32], cache: &mut KvCache) -> Result<Tensor<2>, HearthError> {
        let c = &self.config;
        let t = ids.len();
        if t == 0 {
            return Err(HearthError::InvalidRequest("forward of zero tokens".into()));
        }
        let pos = cache.len();
        cache.check_room(t)?;
        let split = qkv_split::Split { heads: c.n_head, kv_heads: c.n_head_kv, head_dim: c.head_dim, pos, neox: c.rope == RopeStyle::Neox };
        let mut x = gpu::tensor_from_f32(&self.device, self.embedding.lookup(ids)?, [t, c.n_embd]); // (t, n_embd)
        for (i, layer) in self.layers.iter().enumerate() {
            let (keys, values) = cache.layer(i); // (n_kv, capacity, hd), rows pos..pos+t written below
            let qkv = layer.wqkv.forward_from(x.clone(), Input::Norm(&layer.attn_norm, c.rms_eps), None)?; // (t, (n_head + 2·n_kv)·hd)
            let q = qkv_split::forward(qkv, &cache.rope, keys, values, split)?; // (t, n_head, hd)
            let att = match self.family {
                Family::Narrow => attention::forward(q, keys, values, pos)?, // (t, n_head · hd)
                Family::Wide => flash_decode::forward(q, keys, values, pos)?,
            };
            x = layer.wo.forward_onto(att, Some(x))?; // x + att · Woᵀ, one launch
            let gate_up = layer.w_gate_up.forward_from(x.clone(), Input::Norm(&layer.ffn_norm, c.rms_eps), None)?; // (t, 2·n_ff)
            x = layer.w_down.forward_from(gate_up, Input::SwiGlu, Some(x))?; // x + silu(gate)·up · Wdownᵀ
        }
        cache.advance(t);
        Ok(x)
    }
}
