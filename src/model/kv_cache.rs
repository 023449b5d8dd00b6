//! The KV cache: per layer, keys and values preallocated to a fixed capacity.
//! `truncate(n)` forgets everything after the first n positions, so a new request that shares a
//! prefix with the last one re-prefills only its tail.

use super::config::Config;
use crate::error::HearthError;
use crate::gpu::{Device, Tensor};
use crate::kernels::qkv_split;

pub struct KvCache {
    k: Vec<Tensor<3>>, // per layer (n_head_kv, capacity, head_dim), written in place by qkv_split
    v: Vec<Tensor<3>>, // per layer (n_head_kv, capacity, head_dim), written in place by qkv_split
    /// RoPE cos/sin for every position the cache can hold. (capacity, head_dim / 2, 2)
    pub(crate) rope: Tensor<1>,
    len: usize,
    capacity: usize,
}

impl KvCache {
    pub fn new(c: &Config, capacity: usize, device: &Device) -> Self {
        let zeros = || Tensor::zeros([c.n_head_kv, capacity, c.head_dim], device);
        KvCache {
            k: (0..c.n_layer).map(|_| zeros()).collect(),
            v: (0..c.n_layer).map(|_| zeros()).collect(),
            rope: crate::gpu::tensor_from_f32(device, qkv_split::table(0, capacity, c.head_dim, c.rope_base), [capacity * c.head_dim]),
            len: 0,
            capacity,
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

    /// The keys and values of `layer`, each (n_head_kv, capacity, head_dim); rows 0..len are filled.
    pub(crate) fn layer(&self, layer: usize) -> (&Tensor<3>, &Tensor<3>) {
        (&self.k[layer], &self.v[layer])
    }

    /// Room for `n` more positions, or `context_overflow`.
    pub(crate) fn check_room(&self, n: usize) -> Result<(), HearthError> {
        if self.len + n > self.capacity {
            return Err(HearthError::ContextOverflow { needed: self.len + n, limit: self.capacity });
        }
        Ok(())
    }

    pub(crate) fn advance(&mut self, n: usize) {
        self.len += n;
    }
}
