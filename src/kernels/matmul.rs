//! matmul (shaders/matmul.wgsl): the shared many-token (prefill) body for every sub-block format, compiled after
//! the format's decode (shaders/blocks/<format>.wgsl). Launched by `QuantMatrix::forward`; twin
//! `quant::matmul_reference`.

use crate::gpu::Wgsl;

macro_rules! matmul_for {
    ($name:literal, $block:literal) => {
        Wgsl { name: $name, source: concat!(include_str!("../../shaders/epilogue.wgsl"), include_str!(concat!("../../shaders/blocks/", $block)), include_str!("../../shaders/matmul.wgsl")) }
    };
}

pub const Q5_0: Wgsl = matmul_for!("matmul_q5_0", "q5_0.wgsl");
pub const Q4_K: Wgsl = matmul_for!("matmul_q4_k", "q4_k.wgsl");
pub const Q6_K: Wgsl = matmul_for!("matmul_q6_k", "q6_k.wgsl");
