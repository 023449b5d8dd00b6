//! The llama/qwen2 decoder as a burn model: RMSNorm, RoPE, grouped-query attention over the KV
//! cache, SwiGLU, (tied) output projection. Weight matmuls go through `Linear` (our kernels).

use super::config::{Config, RopeStyle};
use super::embedding::Embedding;
use super::kv_cache::KvCache;
use super::linear::Linear;
use super::weights::{ModelRefs, WeightRef};
use crate::error::HearthError;
use crate::gguf::Gguf;
use crate::gpu::{self, activation, Device, Tensor};
use crate::quant::float;

struct Layer {
    attn_norm: Tensor<1>, // (n_embd)
    wq: Linear,
    wk: Linear,
    wv: Linear,
    wo: Linear,
    ffn_norm: Tensor<1>, // (n_embd)
    w_gate: Linear,
    w_up: Linear,
    w_down: Linear,
}

pub struct Llama {
    pub config: Config,
    device: Device,
    embedding: Embedding,
    layers: Vec<Layer>,
    output_norm: Tensor<1>, // (n_embd)
    output: Linear,         // (n_vocab, n_embd)
}

/// Additive attention mask value for future positions (exp underflows to exactly 0).
const MASKED: f32 = -1.0e30;

impl Llama {
    /// Build the model from a parsed GGUF: repack and upload every weight.
    pub fn load(g: &Gguf<'_>, device: &Device) -> Result<Self, HearthError> {
        let config = Config::from_gguf(g)?;
        let refs = ModelRefs::new(g, &config)?;
        let norm = |w: &WeightRef<'_>| -> Result<Tensor<1>, HearthError> {
            Ok(gpu::tensor_from_f32(device, float::to_f32(w.ty, w.bytes)?, [w.rows]))
        };
        let mut layers = Vec::with_capacity(config.n_layer);
        for l in &refs.layers {
            layers.push(Layer {
                attn_norm: norm(&l.attn_norm)?,
                wq: Linear::upload(device, &l.wq, l.bq.as_ref())?,
                wk: Linear::upload(device, &l.wk, l.bk.as_ref())?,
                wv: Linear::upload(device, &l.wv, l.bv.as_ref())?,
                wo: Linear::upload(device, &l.wo, None)?,
                ffn_norm: norm(&l.ffn_norm)?,
                w_gate: Linear::upload(device, &l.w_gate, None)?,
                w_up: Linear::upload(device, &l.w_up, None)?,
                w_down: Linear::upload(device, &l.w_down, None)?,
            });
        }
        Ok(Llama {
            embedding: Embedding::new(&refs.token_embd)?,
            output_norm: norm(&refs.output_norm)?,
            output: Linear::upload(device, &refs.output, None)?,
            layers,
            config,
            device: device.clone(),
        })
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
        if pos + t > cache.capacity() {
            return Err(HearthError::ContextOverflow { needed: pos + t, limit: cache.capacity() });
        }
        let rope = Rope::new(c, pos, t, &self.device);
        let mask = (t > 1).then(|| causal_mask(pos, t, &self.device));
        let mut x = gpu::tensor_from_f32(&self.device, self.embedding.lookup(ids)?, [t, c.n_embd]); // (t, n_embd)
        for (i, layer) in self.layers.iter().enumerate() {
            let h = rms_norm(x.clone(), &layer.attn_norm, c.rms_eps);
            let q = rope.apply(layer.wq.forward(h.clone())?.reshape([t, c.n_head, c.head_dim])); // (t, n_head, hd)
            let k = rope.apply(layer.wk.forward(h.clone())?.reshape([t, c.n_head_kv, c.head_dim])); // (t, n_kv, hd)
            let v = layer.wv.forward(h)?.reshape([t, c.n_head_kv, c.head_dim]); // (t, n_kv, hd)
            let (keys, values) = cache.write(i, k.swap_dims(0, 1), v.swap_dims(0, 1))?; // (n_kv, pos+t, hd)
            let att = attention(c, q, keys, values, mask.clone()); // (t, n_head * hd)
            x = x + layer.wo.forward(att)?;
            let h = rms_norm(x.clone(), &layer.ffn_norm, c.rms_eps);
            let gate = activation::silu(layer.w_gate.forward(h.clone())?);
            x = x + layer.w_down.forward(gate * layer.w_up.forward(h)?)?;
        }
        cache.advance(t);
        let x = if all_logits { x } else { x.narrow(0, t - 1, 1) };
        self.output.forward(rms_norm(x, &self.output_norm, c.rms_eps))
    }
}

/// x / sqrt(mean(x²) + eps) · w over the last axis. x (n, d), w (d).
fn rms_norm(x: Tensor<2>, w: &Tensor<1>, eps: f64) -> Tensor<2> {
    let ms = (x.clone() * x.clone()).mean_dim(1); // (n, 1)
    x * ms.add_scalar(eps).sqrt().recip() * w.clone().unsqueeze_dim::<2>(0)
}

/// q (t, n_head, hd) attends over keys/values (n_kv, L, hd), L = pos + t; query head h uses kv
/// head h / (n_head / n_kv). `mask` (t, L) is additive. Returns (t, n_head · hd).
fn attention(c: &Config, q: Tensor<3>, keys: Tensor<3>, values: Tensor<3>, mask: Option<Tensor<2>>) -> Tensor<2> {
    let [t, _, hd] = q.dims();
    let len = keys.dims()[1];
    let group = c.n_head / c.n_head_kv;
    // (t, n_head, hd) → (n_head, t, hd) → (n_kv, group · t, hd): each kv head's queries stacked.
    let q = q.swap_dims(0, 1).reshape([c.n_head_kv, group * t, hd]);
    let scores = q.matmul(keys.swap_dims(1, 2)).mul_scalar(1.0 / (hd as f64).sqrt()); // (n_kv, group·t, L)
    let scores = match mask {
        Some(m) => (scores.reshape([c.n_head_kv, group, t, len]) + m.reshape([1, 1, t, len])).reshape([c.n_head_kv, group * t, len]),
        None => scores,
    };
    let out = activation::softmax(scores, 2).matmul(values); // (n_kv, group·t, hd)
    out.reshape([c.n_head, t, hd]).swap_dims(0, 1).reshape([t, c.n_head * hd])
}

/// (t, pos + t): 0 where query i (at position pos + i) may see key j, MASKED elsewhere.
fn causal_mask(pos: usize, t: usize, device: &Device) -> Tensor<2> {
    let len = pos + t;
    let data = (0..t).flat_map(|i| (0..len).map(move |j| if j <= pos + i { 0.0 } else { MASKED })).collect();
    gpu::tensor_from_f32(device, data, [t, len])
}

/// RoPE angles for positions pos..pos+t: θ = p · base^(−2i/hd), computed in f64.
struct Rope {
    cos: Tensor<4>, // Norm: (t, 1, hd/2, 1)   Neox: (t, 1, 1, hd/2)
    sin: Tensor<4>,
    style: RopeStyle,
}

impl Rope {
    fn new(c: &Config, pos: usize, t: usize, device: &Device) -> Self {
        let half = c.head_dim / 2;
        let mut cos = Vec::with_capacity(t * half);
        let mut sin = Vec::with_capacity(t * half);
        for p in pos..pos + t {
            for i in 0..half {
                let theta = p as f64 * c.rope_base.powf(-2.0 * i as f64 / c.head_dim as f64);
                cos.push(theta.cos() as f32);
                sin.push(theta.sin() as f32);
            }
        }
        let shape = match c.rope {
            RopeStyle::Norm => [t, 1, half, 1],
            RopeStyle::Neox => [t, 1, 1, half],
        };
        Rope { cos: gpu::tensor_from_f32(device, cos, shape), sin: gpu::tensor_from_f32(device, sin, shape), style: c.rope }
    }

    /// x (t, heads, hd) → rotated, same shape. (x0, x1) → (x0·cos − x1·sin, x0·sin + x1·cos).
    fn apply(&self, x: Tensor<3>) -> Tensor<3> {
        let [t, h, hd] = x.dims();
        let (x, axis) = match self.style {
            RopeStyle::Norm => (x.reshape([t, h, hd / 2, 2]), 3),
            RopeStyle::Neox => (x.reshape([t, h, 2, hd / 2]), 2),
        };
        let x0 = x.clone().narrow(axis, 0, 1);
        let x1 = x.narrow(axis, 1, 1);
        let r0 = x0.clone() * self.cos.clone() - x1.clone() * self.sin.clone();
        let r1 = x0 * self.sin.clone() + x1 * self.cos.clone();
        Tensor::cat(vec![r0, r1], axis).reshape([t, h, hd])
    }
}
