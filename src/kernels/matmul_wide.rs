//! matmul_wide (shaders/matmul_wide.wgsl): the prefill body for hardware GPUs (64×64 tiles through
//! workgroup memory), one body for every format (`blocks`). Launched by `QuantMatrix::forward`
//! for more than one token when the family is `Family::Wide`; twin `quant::matmul_reference`.

use super::blocks::{self, FORMATS};
use crate::gpu::Wgsl;
use crate::quant::QuantKind;
use std::sync::OnceLock;

const EPILOGUE: &str = include_str!("../../shaders/epilogue.wgsl");
const BODY: &str = include_str!("../../shaders/matmul_wide.wgsl");

/// The kernel for a format.
pub fn wgsl(kind: QuantKind) -> Wgsl {
    static MADE: [OnceLock<Wgsl>; FORMATS] = [const { OnceLock::new() }; FORMATS];
    blocks::assemble(&MADE, kind, "matmul_wide", &[EPILOGUE], BODY)
}
