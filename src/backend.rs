//! The model and its KV cache on one backend, behind one set of calls the completion loop makes
//! (fill, forward, truncate, reset): the GPU (burn/wgpu and hearth's WGSL kernels) or the CPU.

use crate::cpu::{CpuKvCache, CpuLlama};
use crate::error::HearthError;
#[cfg(feature = "gpu")]
use crate::gpu::{self, Tensor};
#[cfg(feature = "gpu")]
use crate::model::{KvCache, Llama};
use crate::model::Config;

/// The model and its KV cache on one backend: the GPU (burn/wgpu + our WGSL kernels) or the CPU
/// (`cpu`, wasm simd128), for browsers without WebGPU.
#[allow(clippy::large_enum_variant)] // one per engine, never moved in a hot path
pub enum Backend {
    #[cfg(feature = "gpu")]
    Gpu { model: Llama, cache: KvCache },
    Cpu { model: CpuLlama, cache: CpuKvCache },
}

/// Logits as a backend produces them: still on the GPU, or already on the host.
#[allow(clippy::large_enum_variant)] // one per forward pass, consumed at once
pub(crate) enum Logits {
    #[cfg(feature = "gpu")]
    Gpu(Tensor<2>),
    Cpu(Vec<f32>),
}

impl Logits {
    pub(crate) async fn read(self) -> Result<Vec<f32>, HearthError> {
        match self {
            #[cfg(feature = "gpu")]
            Logits::Gpu(t) => gpu::read_f32_async(t).await,
            Logits::Cpu(v) => Ok(v),
        }
    }

    /// What the sampler needs of the last position's logits (1, n_vocab): with `on_device`
    /// (greedy, no penalty) the GPU picks the token and only its id comes back.
    pub(crate) async fn scores(self, on_device: bool) -> Result<Scores, HearthError> {
        #[cfg(not(feature = "gpu"))]
        let _ = on_device;
        match self {
            #[cfg(feature = "gpu")]
            Logits::Gpu(t) if on_device => {
                let chosen = gpu::read_f32_async(crate::kernels::argmax::forward(t)?).await?;
                Ok(Scores::Chosen(crate::kernels::argmax::index(&chosen)?))
            }
            other => Ok(Scores::Logits(other.read().await?)),
        }
    }
}

/// The next token's scores: the logits on the host, or the token the GPU already chose.
pub(crate) enum Scores {
    Logits(Vec<f32>),
    #[cfg_attr(not(feature = "gpu"), allow(dead_code))]
    Chosen(u32),
}

impl Backend {
    pub fn config(&self) -> &Config {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { model, .. } => &model.config,
            Backend::Cpu { model, .. } => &model.config,
        }
    }

    /// The CPU backend's threads; `None` on the GPU.
    pub fn cpu_threads(&self) -> Option<usize> {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { .. } => None,
            Backend::Cpu { model, .. } => Some(model.options().threads),
        }
    }

    /// `webgpu` or `cpu` (what `engine.info()` reports).
    pub fn name(&self) -> &'static str {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { .. } => "webgpu",
            Backend::Cpu { .. } => "cpu",
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { cache, .. } => cache.capacity(),
            Backend::Cpu { cache, .. } => cache.capacity(),
        }
    }

    pub(crate) fn truncate(&mut self, n: usize) {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { cache, .. } => cache.truncate(n),
            Backend::Cpu { cache, .. } => cache.truncate(n),
        }
    }

    pub(crate) fn reset(&mut self) {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { model, cache } => *cache = model.new_cache(cache.capacity()),
            Backend::Cpu { model, cache } => *cache = model.new_cache(cache.capacity()),
        }
    }

    /// Put `ids` into the cache without computing logits (a prompt's chunks before its last).
    pub(crate) fn fill(&mut self, ids: &[u32]) -> Result<(), HearthError> {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { model, cache } => model.layers(ids, cache).map(drop),
            Backend::Cpu { model, cache } => model.layers(ids, cache).map(drop),
        }
    }

    pub(crate) fn forward(&mut self, ids: &[u32], all_logits: bool) -> Result<Logits, HearthError> {
        match self {
            #[cfg(feature = "gpu")]
            Backend::Gpu { model, cache } => model.forward(ids, cache, all_logits).map(Logits::Gpu),
            Backend::Cpu { model, cache } => model.forward(ids, cache, all_logits).map(Logits::Cpu),
        }
    }
}
