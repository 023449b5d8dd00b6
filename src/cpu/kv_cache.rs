//! The CPU backend's KV cache: keys and values (n_layer, n_kv, capacity, hd), preallocated,
//! with `truncate(n)` for prefix reuse — the same contract as `model::KvCache`.

use crate::error::HearthError;
use crate::model::Config;

pub struct CpuKvCache {
    pub keys: Vec<f32>,   // (n_layer, n_kv, capacity, hd)
    pub values: Vec<f32>, // (n_layer, n_kv, capacity, hd)
    len: usize,
    capacity: usize,
    layer_stride: usize,
}

impl CpuKvCache {
    pub fn new(c: &Config, capacity: usize) -> Self {
        let layer_stride = c.n_head_kv * capacity * c.head_dim;
        CpuKvCache { keys: vec![0.0; c.n_layer * layer_stride], values: vec![0.0; c.n_layer * layer_stride], len: 0, capacity, layer_stride }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Keep the first `n` positions (no data moves: later writes overwrite the rest).
    pub fn truncate(&mut self, n: usize) {
        self.len = self.len.min(n);
    }

    pub fn check_room(&self, t: usize) -> Result<(), HearthError> {
        if self.len + t > self.capacity {
            return Err(HearthError::ContextOverflow { needed: self.len + t, limit: self.capacity });
        }
        Ok(())
    }

    pub(super) fn advance(&mut self, t: usize) {
        self.len += t;
    }

    /// Layer `l`'s (keys, values), each (n_kv, capacity, hd).
    pub(super) fn layer_mut(&mut self, l: usize) -> (&mut [f32], &mut [f32]) {
        let r = l * self.layer_stride..(l + 1) * self.layer_stride;
        (&mut self.keys[r.clone()], &mut self.values[r])
    }
}
