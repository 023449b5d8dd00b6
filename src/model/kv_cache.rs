//! The KV cache: per layer, keys and values preallocated to a fixed capacity.
//! `truncate(n)` forgets everything after the first n positions, so a new request that shares a
//! prefix with the last one re-prefills only its tail.

use super::config::Config;
use crate::error::HearthError;
use crate::gpu::{Device, Tensor};
use crate::kernels::rope;

pub struct KvCache {
    k: Vec<Option<Tensor<3>>>, // per layer (n_head_kv, capacity, head_dim)
    v: Vec<Option<Tensor<3>>>, // per layer (n_head_kv, capacity, head_dim)
    /// RoPE cos/sin for every position the cache can hold. (capacity, head_dim / 2, 2)
    pub(crate) rope: Tensor<1>,
    len: usize,
    capacity: usize,
    n_head_kv: usize,
    head_dim: usize,
}

impl KvCache {
    pub fn new(c: &Config, capacity: usize, device: &Device) -> Self {
        let zeros = || Some(Tensor::zeros([c.n_head_kv, capacity, c.head_dim], device));
        KvCache {
            k: (0..c.n_layer).map(|_| zeros()).collect(),
            v: (0..c.n_layer).map(|_| zeros()).collect(),
            rope: crate::gpu::tensor_from_f32(device, rope::table(0, capacity, c.head_dim, c.rope_base), [capacity * c.head_dim]),
            len: 0,
            capacity,
            n_head_kv: c.n_head_kv,
            head_dim: c.head_dim,
        }
    }

    /// Positions held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Keep the first `n` positions (no-op if fewer are held).
    pub fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }

    /// Write `k`, `v` (n_head_kv, n_new, head_dim) for `layer` at positions len..len+n_new and
    /// return the layer's whole key and value tensors (n_head_kv, capacity, head_dim), rows
    /// 0..len+n_new filled. Call `advance` after the last layer.
    pub(crate) fn write(&mut self, layer: usize, k: Tensor<3>, v: Tensor<3>) -> Result<(Tensor<3>, Tensor<3>), HearthError> {
        let n_new = k.dims()[1];
        let end = self.len + n_new;
        if end > self.capacity {
            return Err(HearthError::ContextOverflow { needed: end, limit: self.capacity });
        }
        let slot = [0..self.n_head_kv, self.len..end, 0..self.head_dim];
        let put = |cache: &mut Option<Tensor<3>>, new: Tensor<3>| -> Result<Tensor<3>, HearthError> {
            let full = cache.take().ok_or_else(|| HearthError::DeviceLost("KV cache poisoned by an earlier failure".into()))?;
            let full = full.slice_assign(slot.clone(), new);
            *cache = Some(full.clone());
            Ok(full)
        };
        let keys = put(&mut self.k[layer], k)?;
        let values = put(&mut self.v[layer], v)?;
        Ok((keys, values))
    }

    pub(crate) fn advance(&mut self, n: usize) {
        self.len += n;
    }
}
