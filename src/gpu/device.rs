//! The wgpu device: one per process natively (burn refuses a second init), made on first use.

use super::Limits;
use crate::error::HearthError;
use burn::tensor::Device;
#[cfg(not(target_family = "wasm"))]
use std::sync::OnceLock;

/// An initialised GPU: the burn device and a description of the adapter behind it.
#[derive(Clone)]
pub struct Gpu {
    pub device: Device,
    /// e.g. "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan, Cpu)"
    pub adapter: String,
    /// The device's limits that size hearth's buffers.
    pub limits: Limits,
    /// A software rasterizer (SwiftShader, llvmpipe): a CPU pretending to be a GPU.
    pub software: bool,
}


fn limits_of(device: &burn::tensor::wgpu::wgpu::Device) -> Limits {
    let l = device.limits();
    Limits { max_buffer_size: l.max_buffer_size, max_storage_buffer_binding_size: l.max_storage_buffer_binding_size }
}

#[cfg(not(target_family = "wasm"))]
static GPU: OnceLock<Result<Gpu, String>> = OnceLock::new();

/// The GPU, initialised on first call, without blocking: the only way in a browser (WebGPU's
/// adapter and device requests are promises). `webgpu_unavailable` when there is none.
#[cfg(target_family = "wasm")]
pub async fn device_async() -> Result<Gpu, HearthError> {
    thread_local! {
        static WEB_GPU: std::cell::RefCell<Option<Gpu>> = const { std::cell::RefCell::new(None) };
    }
    super::run_constructors_once();
    if let Some(g) = WEB_GPU.with(|g| g.borrow().clone()) {
        return Ok(g);
    }
    let (device, setup) = Device::wgpu_options()
        .init_with_setup_async()
        .await
        .map_err(|e| HearthError::GpuUnavailable(format!("{e}")))?;
    let gpu = Gpu { device, adapter: describe(&setup.adapter), limits: limits_of(&setup.device), software: is_software(&setup.adapter) };
    WEB_GPU.with(|g| *g.borrow_mut() = Some(gpu.clone()));
    Ok(gpu)
}

/// Native: the same as `device()`.
#[cfg(not(target_family = "wasm"))]
pub async fn device_async() -> Result<Gpu, HearthError> {
    device()
}

/// The process's GPU, initialised on first call. `gpu_unavailable` when no adapter can be had.
#[cfg(not(target_family = "wasm"))]
pub fn device() -> Result<Gpu, HearthError> {
    GPU.get_or_init(|| {
        // burn panics in some no-adapter paths; a missing GPU must be an error, not a crash.
        let init = std::panic::catch_unwind(|| Device::wgpu_options().init_with_setup());
        match init {
            Ok(Ok((device, setup))) => Ok(Gpu {
                device,
                adapter: describe(&setup.adapter),
                limits: limits_of(&setup.device),
                software: is_software(&setup.adapter),
            }),
            Ok(Err(e)) => Err(format!("{e}")),
            Err(_) => Err("wgpu initialisation panicked (no adapter?)".to_string()),
        }
    })
    .clone()
    .map_err(HearthError::GpuUnavailable)
}

fn is_software(adapter: &burn::tensor::wgpu::wgpu::Adapter) -> bool {
    adapter.get_info().device_type == burn::tensor::wgpu::wgpu::DeviceType::Cpu
}

/// "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan, Cpu)"
fn describe(adapter: &burn::tensor::wgpu::wgpu::Adapter) -> String {
    let info = adapter.get_info();
    // Browsers may hide the adapter's name (WebGPU's adapter info is privacy-filtered).
    let name = [&info.name, &info.driver, &info.driver_info].into_iter().find(|s| !s.is_empty()).map_or("adapter", |s| s.as_str());
    format!("{name} ({:?}, {:?})", info.backend, info.device_type)
}
