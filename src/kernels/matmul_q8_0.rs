//! `shaders/matmul_q8_0.wgsl`: fused dequant matmul for many tokens (prefill), 8-token tiles.

use crate::gpu::Wgsl;

pub const WGSL: Wgsl = Wgsl { name: "matmul_q8_0", source: concat!(include_str!("../../shaders/epilogue.wgsl"), include_str!("../../shaders/matmul_q8_0.wgsl")) };
