//! gemv (shaders/gemv.wgsl): the shared one-token body for every sub-block format, compiled after
//! the format's decode (shaders/blocks/<format>.wgsl). Launched by `QuantMatrix::forward`; twin
//! `quant::matmul_reference`.

use crate::gpu::Wgsl;

macro_rules! gemv_for {
    ($name:literal, $block:literal) => {
        Wgsl { name: $name, source: concat!(include_str!("../../shaders/epilogue.wgsl"), include_str!(concat!("../../shaders/blocks/", $block)), include_str!("../../shaders/gemv.wgsl")) }
    };
}

pub const Q5_0: Wgsl = gemv_for!("gemv_q5_0", "q5_0.wgsl");
pub const Q4_K: Wgsl = gemv_for!("gemv_q4_k", "q4_k.wgsl");
pub const Q6_K: Wgsl = gemv_for!("gemv_q6_k", "q6_k.wgsl");
