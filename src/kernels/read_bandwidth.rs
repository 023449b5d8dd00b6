//! `shaders/read_bandwidth.wgsl`: plain strided read: the adapter's read bandwidth, the yardstick for the GEMV kernels.

use crate::gpu::Wgsl;

pub const WGSL: Wgsl = Wgsl { name: "read_bandwidth", source: include_str!("../../shaders/read_bandwidth.wgsl") };
