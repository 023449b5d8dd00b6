//! A linear layer is an enum over weight formats: fused quantized kernels, or a dense f32 matmul.

use super::weights::WeightRef;
use crate::error::HearthError;
use crate::gpu::{self, Device, Tensor};
use crate::kernels::QuantMatrix;
use crate::quant::{float, QuantKind};

#[allow(clippy::large_enum_variant)] // a few hundred per model, never moved in a hot path
enum Weight {
    Quant(QuantMatrix),
    Dense(Tensor<2>), // (cols, rows): y = x · W
}

pub struct Linear {
    weight: Weight,
    bias: Option<Tensor<2>>, // (1, rows)
}

impl Linear {
    pub fn upload(device: &Device, w: &WeightRef<'_>, bias: Option<&WeightRef<'_>>) -> Result<Self, HearthError> {
        let weight = match QuantKind::from_ggml(w.ty) {
            Some(kind) => Weight::Quant(QuantMatrix::upload(device, kind, w.bytes, w.rows, w.cols)?),
            None => {
                let data = float::to_f32(w.ty, w.bytes).map_err(|_| {
                    HearthError::UnsupportedQuant(format!("{} (tensor {})", w.ty.name(), w.name))
                })?;
                Weight::Dense(gpu::tensor_from_f32(device, data, [w.rows, w.cols]).transpose())
            }
        };
        let bias = match bias {
            Some(b) => Some(gpu::tensor_from_f32(device, float::to_f32(b.ty, b.bytes)?, [1, b.rows])),
            None => None,
        };
        Ok(Linear { weight, bias })
    }

    /// x (n_tok, cols) → (n_tok, rows)
    pub fn forward(&self, x: Tensor<2>) -> Result<Tensor<2>, HearthError> {
        let y = match &self.weight {
            Weight::Quant(m) => m.forward(x)?,
            Weight::Dense(w) => x.matmul(w.clone()),
        };
        Ok(match &self.bias {
            Some(b) => y + b.clone(),
            None => y,
        })
    }
}
