//! The llama/qwen2 decoder as a burn model over our kernels: RMSNorm, RoPE, grouped-query attention
//! over the KV cache, SwiGLU, (tied) output projection; weight matmuls go through `Linear`.

use super::config::{Config, RopeStyle};
use super::embedding::Embedding;
use super::kv_cache::KvCache;
use super::linear::Linear;
use super::weights::{ModelRefs, WeightRef};
use crate::error::HearthError;
use crate::gguf::Gguf;
use crate::gpu::{self, Device, Tensor};
use crate::kernels::{attention, flash_decode, qkv_split, rms_norm, swiglu, Family};
use crate::quant::float;

struct Layer {
    attn_norm: Tensor<1>, // (n_embd)
    wqkv: Linear,         // (n_head·hd + 2·n_kv·hd, n_embd): q, k, v stacked
    wo: Linear,
    ffn_norm: Tensor<1>,  // (n_embd)
    w_gate_up: Linear,    // (2·n_ff, n_embd): gate, up stacked
    w_down: Linear,
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
    /// Build the model from a parsed GGUF: repack and upload every weight.
    pub fn load(g: &Gguf<'_>, on: &gpu::Gpu) -> Result<Self, HearthError> {
        Self::load_with(g, on, Family::for_adapter(on.software))
    }

    /// The same, launching `family`'s kernels whatever the adapter (tests run both families).
    pub fn load_with(g: &Gguf<'_>, on: &gpu::Gpu, family: Family) -> Result<Self, HearthError> {
        let device = &on.device;
        // No binding above WebGPU's default limit, nor above what this adapter allows.
        let max_binding = match on.limits.max_storage_buffer_binding_size {
            0 => crate::kernels::DEFAULT_MAX_BINDING,
            l => l.min(crate::kernels::DEFAULT_MAX_BINDING),
        };
        let config = Config::from_gguf(g)?;
        let refs = ModelRefs::new(g, &config)?;
        let norm = |w: &WeightRef<'_>| -> Result<Tensor<1>, HearthError> {
            Ok(gpu::tensor_from_f32(device, float::to_f32(w.ty, w.bytes)?, [w.rows]))
        };
        let mut layers = Vec::with_capacity(config.n_layer);
        for l in &refs.layers {
            layers.push(Layer {
                attn_norm: norm(&l.attn_norm)?,
                wqkv: Linear::upload(device, family, max_binding, &[&l.wq, &l.wk, &l.wv], &[l.bq.as_ref(), l.bk.as_ref(), l.bv.as_ref()])?,
                wo: Linear::upload(device, family, max_binding, &[&l.wo], &[None])?,
                ffn_norm: norm(&l.ffn_norm)?,
                w_gate_up: Linear::upload(device, family, max_binding, &[&l.w_gate, &l.w_up], &[None, None])?,
                w_down: Linear::upload(device, family, max_binding, &[&l.w_down], &[None])?,
            });
        }
        Ok(Llama {
            embedding: Embedding::new(&refs.token_embd)?,
            output_norm: norm(&refs.output_norm)?,
            output: Linear::upload(device, family, max_binding, &[&refs.output], &[None])?,
            layers,
            config,
            device: device.clone(),
            family,
        })
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
            let h = rms_norm::forward(x.clone(), &layer.attn_norm, c.rms_eps)?;
            let (keys, values) = cache.layer(i); // (n_kv, capacity, hd), rows pos..pos+t written below
            let q = qkv_split::forward(layer.wqkv.forward(h)?, &cache.rope, keys, values, split)?; // (t, n_head, hd)
            let att = match self.family {
                Family::Narrow => attention::forward(q, keys, values, pos)?, // (t, n_head · hd)
                Family::Wide => flash_decode::forward(q, keys, values, pos)?,
            };
            x = layer.wo.forward_onto(att, Some(x))?; // x + att · Woᵀ, one launch
            let h = rms_norm::forward(x.clone(), &layer.ffn_norm, c.rms_eps)?;
            let act = swiglu::forward(layer.w_gate_up.forward(h)?)?; // (t, n_ff)
            x = layer.w_down.forward_onto(act, Some(x))?;
        }
        cache.advance(t);
        let x = if all_logits { x } else { x.narrow(0, t - 1, 1) };
        self.output.forward(rms_norm::forward(x, &self.output_norm, c.rms_eps)?)
    }
}
