//! `shaders/gemv_q8_0.wgsl`: fused dequant GEMV for one token (decode).

use crate::gpu::Wgsl;

pub const WGSL: Wgsl = Wgsl { name: "gemv_q8_0", source: concat!(include_str!("../../shaders/epilogue.wgsl"), include_str!("../../shaders/gemv_q8_0.wgsl")) };
