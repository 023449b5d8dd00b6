//! The llama/qwen2 decoder on the CPU: the graph of `model::llama` (RMSNorm, RoPE as llama.cpp
//! applies it per arch, grouped-query attention over the KV cache, SwiGLU, tied output) in plain
//! f32 loops, the weight matmuls through `quant_dot`.

use super::attention;
use super::kv_cache::CpuKvCache;
use super::matrix::{CpuMatrix, Input, Numerics};
use super::pool::Pool;
use crate::error::HearthError;
use crate::gguf::Gguf;
use crate::model::{Config, ModelRefs, RopeStyle, WeightRef};
use std::sync::Arc;
use crate::quant::float;
use crate::reference::AttentionShape;

struct Layer {
    attn_norm: Vec<f32>, // (n_embd)
    wq: CpuMatrix,       // (n_head·hd, n_embd)
    wk: CpuMatrix,       // (n_kv·hd, n_embd)
    wv: CpuMatrix,       // (n_kv·hd, n_embd)
    wo: CpuMatrix,       // (n_embd, n_head·hd)
    ffn_norm: Vec<f32>,  // (n_embd)
    w_gate: CpuMatrix,   // (n_ff, n_embd)
    w_up: CpuMatrix,     // (n_ff, n_embd)
    w_down: CpuMatrix,   // (n_embd, n_ff)
}

pub struct CpuLlama {
    pub config: Config,
    token_embd: CpuMatrix, // (n_vocab, n_embd)
    layers: Vec<Layer>,
    output_norm: Vec<f32>,      // (n_embd)
    output: Option<CpuMatrix>, // (n_vocab, n_embd); None: tied to token_embd (one copy of the bytes)
    inv_freq: Vec<f64>,    // (hd / 2): base^(−2i/hd)
    numerics: Numerics,
    pool: Pool,
}

/// How the CPU model computes: `Numerics::Int8` on `Pool::default_threads()` unless asked otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuOptions {
    pub numerics: Numerics,
    pub threads: usize,
}

impl Default for CpuOptions {
    fn default() -> Self {
        CpuOptions { numerics: Numerics::Int8, threads: Pool::default_threads() }
    }
}

fn rms_norm(x: &[f32], w: &[f32], eps: f64) -> Vec<f32> {
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks_exact(w.len()) {
        let ms = row.iter().map(|&v| v * v).sum::<f32>() / w.len() as f32;
        let scale = 1.0 / (ms + eps as f32).sqrt();
        out.extend(row.iter().zip(w).map(|(&v, &g)| v * scale * g));
    }
    out
}

impl CpuLlama {
    /// Build the model over `file`, which `g` was parsed from: quantized weights are read in
    /// place from it, not copied.
    pub fn load(g: &Gguf<'_>, file: &Arc<Vec<u8>>, options: CpuOptions) -> Result<Self, HearthError> {
        let config = Config::from_gguf(g)?;
        let refs = ModelRefs::new(g, &config)?;
        let norm = |w: &WeightRef<'_>| float::to_f32(w.ty, w.bytes);
        let m = |w: &WeightRef<'_>, b: &Option<WeightRef<'_>>| CpuMatrix::new(file, w, b.as_ref());
        let mut layers = Vec::with_capacity(config.n_layer);
        for l in &refs.layers {
            layers.push(Layer {
                attn_norm: norm(&l.attn_norm)?,
                wq: m(&l.wq, &l.bq)?,
                wk: m(&l.wk, &l.bk)?,
                wv: m(&l.wv, &l.bv)?,
                wo: m(&l.wo, &None)?,
                ffn_norm: norm(&l.ffn_norm)?,
                w_gate: m(&l.w_gate, &None)?,
                w_up: m(&l.w_up, &None)?,
                w_down: m(&l.w_down, &None)?,
            });
        }
        let hd = config.head_dim;
        let inv_freq = (0..hd / 2).map(|i| config.rope_base.powf(-2.0 * i as f64 / hd as f64)).collect();
        let tied = std::ptr::eq(refs.output.bytes, refs.token_embd.bytes);
        Ok(CpuLlama {
            token_embd: m(&refs.token_embd, &None)?,
            output_norm: norm(&refs.output_norm)?,
            output: if tied { None } else { Some(m(&refs.output, &None)?) },
            layers,
            config,
            inv_freq,
            numerics: options.numerics,
            pool: Pool::new(options.threads)?,
        })
    }

    pub fn options(&self) -> CpuOptions {
        CpuOptions { numerics: self.numerics, threads: self.pool.threads() }
    }

    pub fn new_cache(&self, capacity: usize) -> CpuKvCache {
        CpuKvCache::new(&self.config, capacity)
    }

    /// Rotate `x` (t, heads, hd) at positions pos..pos+t; `cs` = (t, hd/2) of (cos, sin).
    fn rope(&self, x: &mut [f32], heads: usize, cs: &[(f32, f32)]) {
        let hd = self.config.head_dim;
        let half = hd / 2;
        for (th, row) in x.chunks_exact_mut(hd).enumerate() {
            let cs = &cs[th / heads * half..][..half];
            for (i, &(c, s)) in cs.iter().enumerate() {
                let (a, b) = if self.config.rope == RopeStyle::Neox { (i, i + half) } else { (2 * i, 2 * i + 1) };
                let (x0, x1) = (row[a], row[b]);
                row[a] = x0 * c - x1 * s;
                row[b] = x0 * s + x1 * c;
            }
        }
    }

    /// Run `ids` at positions cache.len().. and append them to the cache.
    /// Returns logits (n, n_vocab): every position if `all_logits`, else only the last.
    pub fn forward(&self, ids: &[u32], cache: &mut CpuKvCache, all_logits: bool) -> Result<Vec<f32>, HearthError> {
        let (c, t) = (&self.config, ids.len());
        let x = self.layers(ids, cache)?;
        let rows = if all_logits { &x[..] } else { &x[(t - 1) * c.n_embd..] };
        let h = rms_norm(rows, &self.output_norm, c.rms_eps);
        Ok(self.output.as_ref().unwrap_or(&self.token_embd).forward(&Input::new(&h, c.n_embd, self.numerics), &self.pool))
    }

    /// `forward` without the output projection: only the cache is wanted (a prompt's chunks
    /// before its last). Returns the last layer's hidden states (t, n_embd).
    pub fn layers(&self, ids: &[u32], cache: &mut CpuKvCache) -> Result<Vec<f32>, HearthError> {
        let c = &self.config;
        let (t, hd, n_embd) = (ids.len(), c.head_dim, c.n_embd);
        if t == 0 {
            return Err(HearthError::InvalidRequest("forward of zero tokens".into()));
        }
        cache.check_room(t)?;
        let pos = cache.len();
        let capacity = cache.capacity();
        let cs: Vec<(f32, f32)> = (0..t)
            .flat_map(|ti| {
                let p = (pos + ti) as f64;
                self.inv_freq.iter().map(move |f| ((p * f).cos() as f32, (p * f).sin() as f32))
            })
            .collect(); // (t, hd/2)
        let pool = &self.pool;
        let mut x = self.token_embd.rows_f32(ids)?; // (t, n_embd)
        for (l, layer) in self.layers.iter().enumerate() {
            let h = rms_norm(&x, &layer.attn_norm, c.rms_eps);
            let h = Input::new(&h, n_embd, self.numerics);
            // q (t, n_head, hd), k and v (t, n_kv, hd)
            let [mut q, mut k, v] = CpuMatrix::forward_many([&layer.wq, &layer.wk, &layer.wv], &h, pool);
            self.rope(&mut q, c.n_head, &cs);
            self.rope(&mut k, c.n_head_kv, &cs);
            let (keys, values) = cache.layer_mut(l);
            for ti in 0..t {
                for kh in 0..c.n_head_kv {
                    let dst = (kh * capacity + pos + ti) * hd;
                    let src = (ti * c.n_head_kv + kh) * hd;
                    keys[dst..dst + hd].copy_from_slice(&k[src..src + hd]);
                    values[dst..dst + hd].copy_from_slice(&v[src..src + hd]);
                }
            }
            let shape = AttentionShape { heads: c.n_head, kv_heads: c.n_head_kv, hd, pos, capacity };
            let att = attention::forward_on(pool, &q, keys, values, shape); // (t, n_head, hd)
            let o = layer.wo.forward(&Input::new(&att, c.n_head * hd, self.numerics), pool);
            x.iter_mut().zip(&o).for_each(|(a, b)| *a += b);
            let h = rms_norm(&x, &layer.ffn_norm, c.rms_eps);
            let h = Input::new(&h, n_embd, self.numerics);
            let act = CpuMatrix::swiglu(&layer.w_gate, &layer.w_up, &h, pool); // (t, n_ff)
            let down = layer.w_down.forward(&Input::new(&act, c.n_ff, self.numerics), pool);
            x.iter_mut().zip(&down).for_each(|(a, b)| *a += b);
        }
        cache.advance(t);
        Ok(x)
    }
}
