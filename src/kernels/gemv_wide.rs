//! gemv_wide (shaders/gemv_wide.wgsl): the one-token body for hardware GPUs (many invocations a
//! row, a workgroup-memory tree adds them; `gemv_wide_subgroup` adds them with subgroup
//! shuffles), compiled after the format's decode (`blocks`), the input
//! (shaders/inputs/<input>.wgsl) and the lanes' dot product (shaders/gemv_wide_dot.wgsl).
//! Launched by `QuantMatrix::forward` when the family is `Family::Wide`; twin
//! `quant::matmul_reference` (after `reference::rms_norm` or `reference::swiglu` for those inputs).

use super::{blocks, gemv_wide_subgroup};
use crate::gpu::Wgsl;
use crate::quant::QuantKind;
use std::sync::OnceLock;

/// How the wide GEMV reads x (shaders/inputs/): as it is; RMS-normalised as it loads it (the norm
/// before q|k|v, gate|up and the output needs no launch of its own); or as silu(gate) · up of
/// the gate|up projection's output (SwiGLU inside the down projection).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    Plain,
    Norm,
    SwiGlu,
}

impl InputKind {
    fn source(self) -> (&'static str, &'static str) {
        match self {
            InputKind::Plain => ("plain", include_str!("../../shaders/inputs/plain.wgsl")),
            InputKind::Norm => ("norm", include_str!("../../shaders/inputs/norm.wgsl")),
            InputKind::SwiGlu => ("swiglu", include_str!("../../shaders/inputs/swiglu.wgsl")),
        }
    }
}

const EPILOGUE: &str = include_str!("../../shaders/epilogue.wgsl");
const DOT: &str = include_str!("../../shaders/gemv_wide_dot.wgsl");
const TREE: &str = include_str!("../../shaders/gemv_wide.wgsl");

/// The kernel for a format, an input and a reduction (`subgroups`: shuffles, else the tree).
/// Each of the 36 is put together once, the first time a model launches it; after that a launch
/// finds it by index (no lock, no search on the decode path).
pub fn wgsl(kind: QuantKind, input: InputKind, subgroups: bool) -> Wgsl {
    static MADE: [OnceLock<Wgsl>; blocks::FORMATS * 6] = [const { OnceLock::new() }; blocks::FORMATS * 6];
    *MADE[(kind as usize * 3 + input as usize) * 2 + subgroups as usize].get_or_init(|| {
        let ((block_name, block_src), (input_name, input_src)) = (blocks::decode(kind), input.source());
        let (body_name, directives, body) =
            if subgroups { ("gemv_wide_subgroup", gemv_wide_subgroup::DIRECTIVES, gemv_wide_subgroup::BODY) } else { ("gemv_wide", "", TREE) };
        let name: &'static str = format!("{body_name}_{input_name}_{block_name}").leak();
        let source: &'static str = [directives, EPILOGUE, block_src, input_src, DOT, body].concat().leak();
        Wgsl { name, source }
    })
}
