//! What a GEMV does to its input before the weights multiply it (shaders/inputs/): nothing, the
//! RMS norm, or SwiGLU. The wide GEMV applies it as it loads x; every other kernel gets x from
//! `rms_norm` or `swiglu` first. Twins: `reference::rms_norm` / `reference::swiglu_fused`, then
//! `quant::matmul_reference` (tests/kernels.rs `gemv_wide_inputs_*`).

use super::{gemv_wide, rms_norm, swiglu};
use crate::error::HearthError;
use crate::gpu::Tensor;
use std::sync::atomic::{AtomicBool, Ordering};

static FUSED: AtomicBool = AtomicBool::new(true);

/// The wide GEMV applies the norm and SwiGLU itself (`true`, the default: a decode step on a
/// hardware GPU is bound by its launches) or leaves them to their own kernels (`false`): the
/// end-to-end benchmark runs both in one run.
pub fn set_fused_inputs(on: bool) {
    FUSED.store(on, Ordering::Relaxed);
}

/// What a GEMV or matmul does to its input x before the weights multiply it. The wide GEMV does
/// it as it loads x (shaders/inputs/, no launch of its own: decode on a hardware GPU is bound by
/// launches); every other kernel gets x from rms_norm or swiglu first (`Input::apply`).
#[derive(Clone, Copy)]
pub enum Input<'a> {
    /// x (n_tok, cols) as it is.
    Plain,
    /// x (n_tok, cols) RMS-normalised: x / sqrt(mean(x²) + eps) · w, w (cols).
    Norm(&'a Tensor<1>, f64),
    /// x (n_tok, 2 · cols) = gate | up → silu(gate) · up (n_tok, cols).
    SwiGlu,
}

impl Input<'_> {
    /// x as the weights take it, computed by its own kernel.
    pub fn apply(self, x: Tensor<2>) -> Result<Tensor<2>, HearthError> {
        match self {
            Input::Plain => Ok(x),
            Input::Norm(w, eps) => rms_norm::forward(x, w, eps),
            Input::SwiGlu => swiglu::forward(x),
        }
    }

    pub(super) fn kind(self) -> gemv_wide::InputKind {
        match self {
            Input::Plain => gemv_wide::InputKind::Plain,
            Input::Norm(..) => gemv_wide::InputKind::Norm,
            Input::SwiGlu => gemv_wide::InputKind::SwiGlu,
        }
    }

    /// Columns of x for a matrix of `cols` columns.
    pub(super) fn width(self, cols: usize) -> usize {
        match self {
            Input::SwiGlu => 2 * cols,
            _ => cols,
        }
    }
}

/// Whether the wide GEMV takes its input itself (`set_fused_inputs`).
pub(super) fn fused() -> bool {
    FUSED.load(Ordering::Relaxed)
}
