//! The device limits that size hearth's buffers (no burn here: the CPU-only build reports them too).

/// Device limits (bytes) that decide what fits; zero on the CPU backend.
#[derive(Clone, Copy, Debug, Default)]
pub struct Limits {
    pub max_buffer_size: u64,
    pub max_storage_buffer_binding_size: u64,
}
