//! gemv_wide (shaders/gemv_wide.wgsl): the one-token body for hardware GPUs (many invocations a
//! row, a workgroup-memory tree adds them), compiled after each format's decode
//! (shaders/blocks/<format>.wgsl) and the lanes' dot product (shaders/gemv_wide_dot.wgsl).
//! Launched by `QuantMatrix::forward` when the family is `Family::Wide`; twin
//! `quant::matmul_reference`.

use crate::gpu::Wgsl;

macro_rules! gemv_wide_for {
    ($name:literal, $block:literal) => {
        Wgsl { name: $name, source: concat!(include_str!("../../shaders/epilogue.wgsl"), include_str!(concat!("../../shaders/blocks/", $block)), include_str!("../../shaders/gemv_wide_dot.wgsl"), include_str!("../../shaders/gemv_wide.wgsl")) }
    };
}

pub const Q4_0: Wgsl = gemv_wide_for!("gemv_wide_q4_0", "q4_0.wgsl");
pub const Q4_1: Wgsl = gemv_wide_for!("gemv_wide_q4_1", "q4_1.wgsl");
pub const Q8_0: Wgsl = gemv_wide_for!("gemv_wide_q8_0", "q8_0.wgsl");
pub const Q5_0: Wgsl = gemv_wide_for!("gemv_wide_q5_0", "q5_0.wgsl");
pub const Q4_K: Wgsl = gemv_wide_for!("gemv_wide_q4_k", "q4_k.wgsl");
pub const Q6_K: Wgsl = gemv_wide_for!("gemv_wide_q6_k", "q6_k.wgsl");
