//! gemv (shaders/gemv.wgsl): y = W·x for one token, the software-adapter family's shape (one
//! invocation, 32 rows), one body for every format (`blocks`). Launched by `QuantMatrix::forward`
//! when the family is `Family::Narrow`; twin `quant::matmul_reference`.

use super::blocks::{self, FORMATS};
use crate::gpu::Wgsl;
use crate::quant::QuantKind;
use std::sync::OnceLock;

const EPILOGUE: &str = include_str!("../../shaders/epilogue.wgsl");
const BODY: &str = include_str!("../../shaders/gemv.wgsl");

/// The kernel for a format.
pub fn wgsl(kind: QuantKind) -> Wgsl {
    static MADE: [OnceLock<Wgsl>; FORMATS] = [const { OnceLock::new() }; FORMATS];
    blocks::assemble(&MADE, kind, "gemv", &[EPILOGUE], BODY)
}
