//! The wgpu device: one per process natively (burn refuses a second init), made on first use.

use crate::error::HearthError;
use burn::tensor::Device;
use std::sync::OnceLock;

/// An initialised GPU: the burn device and a description of the adapter behind it.
#[derive(Clone)]
pub struct Gpu {
    pub device: Device,
    /// e.g. "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan, Cpu)"
    pub adapter: String,
}

#[cfg(not(target_family = "wasm"))]
static GPU: OnceLock<Result<Gpu, String>> = OnceLock::new();

/// The process's GPU, initialised on first call. `gpu_unavailable` when no adapter can be had.
#[cfg(not(target_family = "wasm"))]
pub fn device() -> Result<Gpu, HearthError> {
    GPU.get_or_init(|| {
        // burn panics in some no-adapter paths; a missing GPU must be an error, not a crash.
        let init = std::panic::catch_unwind(|| Device::wgpu_options().init_with_setup());
        match init {
            Ok(Ok((device, setup))) => {
                let info = setup.adapter.get_info();
                Ok(Gpu { device, adapter: format!("{} ({:?}, {:?})", info.name, info.backend, info.device_type) })
            }
            Ok(Err(e)) => Err(format!("{e}")),
            Err(_) => Err("wgpu initialisation panicked (no adapter?)".to_string()),
        }
    })
    .clone()
    .map_err(HearthError::GpuUnavailable)
}
