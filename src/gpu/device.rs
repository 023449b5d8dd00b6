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

/// Whether the current device runs subgroup kernels (WebGPU's `subgroups`: the wide GEMV reduces
/// with them, `kernels::gemv_wide_subgroup`): set when a device is made, turned off when they fail
/// the self-test; what `QuantMatrix::upload` picks by default.
static SUBGROUPS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The current device has subgroup operations (and they are not turned off).
pub fn subgroups() -> bool {
    SUBGROUPS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Matrices uploaded from now on use the workgroup-memory tree (the subgroup kernel failed the
/// self-test on this device).
pub fn turn_off_subgroups() {
    SUBGROUPS.store(false, std::sync::atomic::Ordering::Relaxed);
}

/// Record whether `device` runs subgroup kernels: when it has them, unless `HEARTH_SUBGROUPS=0`
/// (natively) turns them off.
fn note_subgroups(device: &burn::tensor::wgpu::wgpu::Device) {
    let off = !cfg!(target_family = "wasm") && std::env::var("HEARTH_SUBGROUPS").as_deref() == Ok("0");
    let on = !off && device.features().contains(burn::tensor::wgpu::wgpu::Features::SUBGROUP);
    SUBGROUPS.store(on, std::sync::atomic::Ordering::Relaxed);
}


fn limits_of(device: &burn::tensor::wgpu::wgpu::Device) -> Limits {
    let l = device.limits();
    Limits { max_buffer_size: l.max_buffer_size, max_storage_buffer_binding_size: l.max_storage_buffer_binding_size }
}

#[cfg(not(target_family = "wasm"))]
static GPU: OnceLock<Result<Gpu, String>> = OnceLock::new();

#[cfg(target_family = "wasm")]
thread_local! {
    static WEB_GPU: std::cell::RefCell<Option<Gpu>> = const { std::cell::RefCell::new(None) };
    /// burn's default device was registered (once a page: burn refuses a second registration).
    static REGISTERED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The GPU, initialised on first call, without blocking: the only way in a browser (WebGPU's
/// adapter and device requests are promises). `webgpu_unavailable` when there is none. After
/// `forget_device` (the device was lost) the next call makes a new device.
#[cfg(target_family = "wasm")]
pub async fn device_async() -> Result<Gpu, HearthError> {
    super::run_constructors_once();
    if let Some(g) = WEB_GPU.with(|g| g.borrow().clone()) {
        return Ok(g);
    }
    let unavailable = |e: String| HearthError::GpuUnavailable(e);
    let (device, setup) = if !REGISTERED.get() {
        Device::wgpu_options().init_with_setup_async().await.map_err(|e| unavailable(format!("{e}")))?
    } else {
        // burn's default device is taken by the lost one: register a new setup under a new id.
        let setup = new_setup().await?;
        let device = Device::wgpu_options().setup(setup.clone()).init().map_err(|e| unavailable(format!("{e}")))?;
        (device, setup)
    };
    REGISTERED.set(true);
    super::launch::forget_params();
    note_subgroups(&setup.device);
    let gpu = Gpu { device, adapter: describe(&setup.adapter), limits: limits_of(&setup.device), software: is_software(&setup.adapter) };
    WEB_GPU.with(|g| *g.borrow_mut() = Some(gpu.clone()));
    Ok(gpu)
}

/// The device was lost (a driver reset, the browser's GPU process crashed, a backgrounded tab):
/// the next `device_async` asks the browser for a new one. Tensors on the old one are garbage.
#[cfg(target_family = "wasm")]
pub fn forget_device() {
    WEB_GPU.with(|g| *g.borrow_mut() = None);
}

/// A WebGPU adapter and device asked for as cubecl asks for its default one (the adapter's
/// features and limits, memory hints for usage), to register with burn as an existing setup.
#[cfg(target_family = "wasm")]
async fn new_setup() -> Result<burn::tensor::wgpu::WgpuSetup, HearthError> {
    use burn::tensor::wgpu::wgpu;
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::BROWSER_WEBGPU,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    let options = wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        force_fallback_adapter: false,
        compatible_surface: None,
        ..wgpu::RequestAdapterOptions::default()
    };
    // The browser's GPU process may still be restarting: ask three times, a second apart.
    let mut tries = 0;
    let adapter = loop {
        match instance.request_adapter(&options).await {
            Ok(a) => break a,
            Err(e) if tries == 2 => return Err(HearthError::GpuUnavailable(format!("no adapter after the device was lost: {e}"))),
            Err(_) => {
                tries += 1;
                crate::fetch::sleep(1000, None).await?;
            }
        }
    };
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: None,
            required_features: adapter.features().difference(wgpu::Features::MAPPABLE_PRIMARY_BUFFERS),
            required_limits: adapter.limits(),
            memory_hints: wgpu::MemoryHints::MemoryUsage,
            trace: wgpu::Trace::Off,
            // SAFETY: what cubecl enables on the device it makes itself (passthrough shaders).
            experimental_features: unsafe { wgpu::ExperimentalFeatures::enabled() },
        })
        .await
        .map_err(|e| HearthError::GpuUnavailable(format!("no device after the device was lost: {e}")))?;
    Ok(burn::tensor::wgpu::WgpuSetup { instance, adapter, device, queue, backend: wgpu::Backend::BrowserWebGpu })
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
            Ok(Ok((device, setup))) => {
                note_subgroups(&setup.device);
                Ok(Gpu { device, adapter: describe(&setup.adapter), limits: limits_of(&setup.device), software: is_software(&setup.adapter) })
            }
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
