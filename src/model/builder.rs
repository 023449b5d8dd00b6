//! The GPU model built as its tensors arrive in file order (`gguf::stream::Sink`): a layer is
//! repacked and uploaded as soon as the last of its tensors has come, and their bytes dropped;
//! the embedding, final norm and output likewise. A load then holds at most one layer's tensors
//! (or the largest single tensor) besides what the model keeps, never the file.

use super::config::Config;
use super::embedding::Embedding;
use super::linear::Linear;
use super::llama::{Layer, Llama};
use super::weights::{self, Found, Role, Tensors, WeightRef};
use crate::error::{GgufError, HearthError};
use crate::gguf::{GgmlType, Gguf, TensorInfo};
use crate::gpu::{self, Tensor};
use crate::kernels::Family;
use crate::quant::float;
use std::collections::HashMap;

/// A tensor held until the rest of its layer has come.
struct Held {
    ty: GgmlType,
    dims: Vec<u64>,
    bytes: Vec<u8>,
}

/// Held tensors, looked up by name as `weights` does.
struct Stash<'a>(&'a HashMap<String, Held>);

impl<'a> Tensors<'a> for Stash<'a> {
    fn find(&self, name: &str) -> Option<Found<'a>> {
        let (k, h) = self.0.get_key_value(name)?;
        Some(Found { name: k, ty: h.ty, dims: h.dims.clone(), bytes: &h.bytes })
    }
}

pub struct Builder {
    gpu: gpu::Gpu,
    family: Family,
    max_binding: u64,
    config: Config,
    /// Per layer: the tensors the header lists for it, those held so far, the layer once built.
    expected: Vec<usize>,
    held: Vec<HashMap<String, Held>>,
    layers: Vec<Option<Layer>>,
    /// `output.weight` absent: the output projection is the token embedding.
    tied: bool,
    embedding: Option<Embedding>,
    output_norm: Option<Tensor<1>>, // (n_embd)
    output: Option<Linear>,         // (n_vocab, n_embd)
    /// The most tensor bytes held at once, waiting for the rest of their layer.
    peak: usize,
}

impl Builder {
    /// From the header: the configuration and which tensors make each layer.
    pub fn new(g: &Gguf<'_>, on: &gpu::Gpu, family: Family) -> Result<Self, HearthError> {
        let config = Config::from_gguf(g)?;
        let n = config.n_layer;
        let mut expected = vec![0; n];
        for t in g.tensors() {
            if let Role::Layer(i) = weights::role(t.name, n) {
                expected[i] += 1;
            }
        }
        // No binding above WebGPU's default limit, nor above what this adapter allows.
        let max_binding = match on.limits.max_storage_buffer_binding_size {
            0 => crate::kernels::DEFAULT_MAX_BINDING,
            l => l.min(crate::kernels::DEFAULT_MAX_BINDING),
        };
        Ok(Builder {
            gpu: on.clone(),
            family,
            max_binding,
            tied: g.tensor("output.weight").is_none(),
            expected,
            held: (0..n).map(|_| HashMap::new()).collect(),
            layers: (0..n).map(|_| None).collect(),
            embedding: None,
            output_norm: None,
            output: None,
            peak: 0,
            config,
        })
    }

    /// The most tensor bytes held at once (layers waiting for their last tensor).
    pub fn peak_held(&self) -> usize {
        self.peak
    }

    /// One tensor, in any order; a layer is uploaded when its last tensor comes.
    pub fn tensor(&mut self, t: &TensorInfo<'_>, bytes: Vec<u8>) -> Result<(), HearthError> {
        let role = weights::role(t.name, self.config.n_layer);
        if role == Role::Unused {
            return Ok(());
        }
        let mut one = HashMap::new();
        let held = Held { ty: t.ty, dims: t.dims.clone(), bytes };
        let c = &self.config;
        match role {
            Role::Layer(i) => {
                self.held[i].insert(t.name.to_string(), held);
                let now = self.held.iter().flat_map(|h| h.values()).map(|h| h.bytes.len()).sum();
                self.peak = self.peak.max(now);
                if self.held[i].len() == self.expected[i] {
                    self.build_layer(i)?;
                }
            }
            Role::TokenEmbd => {
                one.insert(t.name.to_string(), held);
                let w = weights::token_embd(&Stash(&one), c)?;
                if self.tied {
                    self.output = Some(self.linear(&w)?);
                }
                let (ty, rows, cols) = (w.ty, w.rows, w.cols);
                // The embedding keeps these bytes (rows are decoded on the host): moved, not copied.
                let bytes = one.remove(t.name).map(|h| h.bytes).unwrap_or_default();
                self.embedding = Some(Embedding::from_bytes(t.name, ty, rows, cols, bytes)?);
            }
            Role::OutputNorm => {
                one.insert(t.name.to_string(), held);
                self.output_norm = Some(self.norm(&weights::output_norm(&Stash(&one), c)?)?);
            }
            Role::Output => {
                one.insert(t.name.to_string(), held);
                let w = weights::output(&Stash(&one), c)?.ok_or_else(|| missing("output.weight"))?;
                self.output = Some(self.linear(&w)?);
            }
            Role::Unused => {}
        }
        Ok(())
    }

    fn build_layer(&mut self, i: usize) -> Result<(), HearthError> {
        let held = std::mem::take(&mut self.held[i]);
        let l = weights::LayerRefs::new(&Stash(&held), &self.config, i)?;
        let (device, family, mb) = (&self.gpu.device, self.family, self.max_binding);
        self.layers[i] = Some(Layer {
            attn_norm: self.norm(&l.attn_norm)?,
            wqkv: Linear::upload(device, family, mb, &[&l.wq, &l.wk, &l.wv], &[l.bq.as_ref(), l.bk.as_ref(), l.bv.as_ref()])?,
            wo: Linear::upload(device, family, mb, &[&l.wo], &[None])?,
            ffn_norm: self.norm(&l.ffn_norm)?,
            w_gate_up: Linear::upload(device, family, mb, &[&l.w_gate, &l.w_up], &[None, None])?,
            w_down: Linear::upload(device, family, mb, &[&l.w_down], &[None])?,
        });
        Ok(())
    }

    fn norm(&self, w: &WeightRef<'_>) -> Result<Tensor<1>, HearthError> {
        Ok(gpu::tensor_from_f32(&self.gpu.device, float::to_f32(w.ty, w.bytes)?, [w.rows]))
    }

    fn linear(&self, w: &WeightRef<'_>) -> Result<Linear, HearthError> {
        Linear::upload(&self.gpu.device, self.family, self.max_binding, &[w], &[None])
    }

    /// Every tensor has come: the model. A layer still incomplete names what it lacks.
    pub fn finish(mut self) -> Result<Llama, HearthError> {
        for i in 0..self.config.n_layer {
            if self.layers[i].is_none() {
                self.build_layer(i)?; // fails with the first tensor missing
            }
        }
        let layers = self.layers.into_iter().map(|l| l.ok_or_else(|| missing("a layer"))).collect::<Result<_, _>>()?;
        Ok(Llama::from_parts(
            self.config,
            &self.gpu.device,
            self.embedding.ok_or_else(|| missing("token_embd.weight"))?,
            layers,
            self.output_norm.ok_or_else(|| missing("output_norm.weight"))?,
            self.output.ok_or_else(|| missing("output.weight"))?,
            self.family,
        ))
    }
}

fn missing(name: &str) -> HearthError {
    HearthError::BadModel(GgufError::BadTensor { name: name.to_string(), why: "missing".into() })
}

