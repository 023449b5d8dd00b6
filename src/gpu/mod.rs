//! Everything that touches burn's and cubecl's backend API lives here (burn's API churns):
//! device initialisation, raw WGSL launches on burn buffers, tensor upload and readback.

mod device;
mod launch;

#[cfg(not(target_family = "wasm"))]
pub use device::device;
pub use device::{device_async, Gpu, Limits};
#[cfg(target_family = "wasm")]
pub use device::run_constructors_once;
#[cfg(not(target_family = "wasm"))]
pub use launch::read_f32;
pub use launch::{launch, launch_in_place, primitive, read_f32_async, tensor_from_f32, upload_u32, Arg, GpuBuffer, Kernel, Wgsl};

/// burn's tensor types, re-exported so the model names them through one place.
pub use burn::tensor::{activation, Device, Int, Tensor, TensorData};
