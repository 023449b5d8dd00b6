//! Everything that touches burn's and cubecl's backend API lives here (burn's API churns):
//! device initialisation, raw WGSL launches on burn buffers, tensor upload and readback.

//! Without the `gpu` feature only `Limits` (and, in wasm, the constructors' run-once) is here.

#[cfg(target_family = "wasm")]
mod ctors;
#[cfg(feature = "gpu")]
mod device;
#[cfg(feature = "gpu")]
mod launch;
mod limits;

pub use limits::Limits;
#[cfg(all(feature = "gpu", not(target_family = "wasm")))]
pub use device::device;
#[cfg(feature = "gpu")]
pub use device::{device_async, subgroups, turn_off_subgroups, Gpu};
#[cfg(all(feature = "gpu", target_family = "wasm"))]
pub use device::forget_device;
#[cfg(target_family = "wasm")]
pub use ctors::run_constructors_once;
#[cfg(all(feature = "gpu", not(target_family = "wasm")))]
pub use launch::read_f32;
#[cfg(feature = "gpu")]
pub use launch::{launch, launch_in_place, launches, primitive, read_f32_async, tensor_from_f32, upload_u32, Arg, GpuBuffer, Kernel, Wgsl};

/// burn's tensor types, re-exported so the model names them through one place.
#[cfg(feature = "gpu")]
pub use burn::tensor::{activation, Device, Int, Tensor, TensorData};
/// The cubecl buffer behind a tensor, as raw launches bind it.
#[cfg(feature = "gpu")]
pub use burn::backend::wgpu::CubeTensor;

/// An uninitialised float tensor of `shape`, for kernels that write all of it (`forward_into`).
#[cfg(feature = "gpu")]
pub fn empty<const D: usize>(device: &Device, shape: [usize; D]) -> Tensor<D> {
    Tensor::empty(shape, device)
}
