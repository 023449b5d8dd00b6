//! matmul (shaders/matmul.wgsl): Y = X·Wᵀ for many tokens (prefill), the software-adapter
//! family's shape (an invocation's rows × tokens tile in registers), one body for every format
//! (`blocks`). Launched by `QuantMatrix::forward` when the family is `Family::Narrow`; twin
//! `quant::matmul_reference`.

use super::blocks::{self, FORMATS};
use crate::gpu::Wgsl;
use crate::quant::QuantKind;
use std::sync::OnceLock;

const EPILOGUE: &str = include_str!("../../shaders/epilogue.wgsl");
const BODY: &str = include_str!("../../shaders/matmul.wgsl");

/// The kernel for a format.
pub fn wgsl(kind: QuantKind) -> Wgsl {
    static MADE: [OnceLock<Wgsl>; FORMATS] = [const { OnceLock::new() }; FORMATS];
    blocks::assemble(&MADE, kind, "matmul", &[EPILOGUE], BODY)
}
