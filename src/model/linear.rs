//! A linear layer is an enum over weight formats: fused quantized kernels, or a dense f32 matmul.
//! Several projections of the same input (q|k|v, gate|up) load as one stacked matrix, so one
//! kernel launch serves them all.

use super::weights::WeightRef;
use crate::error::HearthError;
use crate::gpu::{self, Device, Tensor};
use crate::kernels::{Add, Family, QuantMatrix};
use crate::quant::{float, QuantKind};

#[allow(clippy::large_enum_variant)] // a few hundred per model, never moved in a hot path
enum Weight {
    /// Row ranges of one matrix, each within the device's binding limit (usually one).
    Quant(Vec<QuantMatrix>),
    Dense(Tensor<2>), // (cols, rows): y = x · W
}

struct Part {
    weight: Weight,
    bias: Option<Tensor<2>>, // (1, rows)
}

pub struct Linear {
    /// One part when the stacked weights share a format (the usual case), else one per weight.
    parts: Vec<Part>,
}

impl Linear {
    /// The rows of `weights` stacked into one layer over the same input; `biases` align with them.
    /// No buffer is larger than `max_binding` bytes (big matrices load as row ranges).
    pub fn upload(device: &Device, family: Family, max_binding: u64, weights: &[&WeightRef<'_>], biases: &[Option<&WeightRef<'_>>]) -> Result<Self, HearthError> {
        let first = weights.first().ok_or_else(|| HearthError::InvalidRequest("a linear layer of no weights".into()))?;
        let same = weights.iter().all(|w| w.ty == first.ty && w.cols == first.cols);
        if weights.len() == 1 || !same {
            let parts = weights.iter().zip(biases).map(|(w, b)| Part::upload(device, family, max_binding, w, b.map(|b| bias_values(b)).transpose()?)).collect::<Result<_, _>>()?;
            return Ok(Linear { parts });
        }
        let bytes: Vec<u8> = weights.iter().flat_map(|w| w.bytes.iter().copied()).collect();
        let stacked = WeightRef { name: first.name, ty: first.ty, rows: weights.iter().map(|w| w.rows).sum(), cols: first.cols, bytes: &bytes };
        let bias = if biases.iter().any(Option::is_some) {
            let mut all = Vec::with_capacity(stacked.rows);
            for (w, b) in weights.iter().zip(biases) {
                match b {
                    Some(b) => all.extend(bias_values(b)?),
                    None => all.extend(std::iter::repeat_n(0.0, w.rows)),
                }
            }
            Some(all)
        } else {
            None
        };
        Ok(Linear { parts: vec![Part::upload(device, family, max_binding, &stacked, bias)?] })
    }

    /// x (n_tok, cols) → (n_tok, Σ rows)
    pub fn forward(&self, x: Tensor<2>) -> Result<Tensor<2>, HearthError> {
        self.forward_onto(x, None)
    }

    /// x (n_tok, cols) → residual + x · Wᵀ (n_tok, Σ rows): the residual add (and the bias) run in
    /// the kernel's epilogue where the weight is one quantized matrix, the usual case.
    pub fn forward_onto(&self, x: Tensor<2>, residual: Option<Tensor<2>>) -> Result<Tensor<2>, HearthError> {
        match self.parts.as_slice() {
            [one] => one.forward(x, residual),
            parts => {
                let y = Tensor::cat(parts.iter().map(|p| p.forward(x.clone(), None)).collect::<Result<_, _>>()?, 1);
                Ok(match residual {
                    Some(r) => y + r,
                    None => y,
                })
            }
        }
    }
}

impl Part {
    fn upload(device: &Device, family: Family, max_binding: u64, w: &WeightRef<'_>, bias: Option<Vec<f32>>) -> Result<Self, HearthError> {
        let weight = match QuantKind::from_ggml(w.ty) {
            Some(kind) => Weight::Quant(
                QuantMatrix::upload_split(device, kind, w.bytes, w.rows, w.cols, max_binding)?.into_iter().map(|m| m.with_family(family)).collect(),
            ),
            None => {
                let data = float::to_f32(w.ty, w.bytes)
                    .map_err(|_| HearthError::UnsupportedQuant(format!("{} (tensor {})", w.ty.name(), w.name)))?;
                Weight::Dense(gpu::tensor_from_f32(device, data, [w.rows, w.cols]).transpose())
            }
        };
        let bias = bias.map(|b| {
            let n = b.len();
            gpu::tensor_from_f32(device, b, [1, n])
        });
        Ok(Part { weight, bias })
    }

    fn forward(&self, x: Tensor<2>, residual: Option<Tensor<2>>) -> Result<Tensor<2>, HearthError> {
        if let Weight::Quant(parts) = &self.weight {
            if let [m] = parts.as_slice() {
                // One launch: the bias or the residual rides in the epilogue (both: the bias does).
                return match (&self.bias, residual) {
                    (None, None) => m.forward(x),
                    (None, Some(r)) => m.forward_add(x, Add::Residual(r), false),
                    (Some(b), None) => m.forward_add(x, Add::Bias(b.clone()), false),
                    (Some(b), Some(r)) => Ok(m.forward_add(x, Add::Bias(b.clone()), false)? + r),
                };
            }
        }
        let y = match &self.weight {
            Weight::Quant(parts) => Tensor::cat(parts.iter().map(|m| m.forward(x.clone())).collect::<Result<_, _>>()?, 1),
            Weight::Dense(w) => x.matmul(w.clone()),
        };
        let y = match &self.bias {
            Some(b) => y + b.clone(),
            None => y,
        };
        Ok(match residual {
            Some(r) => y + r,
            None => y,
        })
    }
}

fn bias_values(b: &WeightRef<'_>) -> Result<Vec<f32>, HearthError> {
    float::to_f32(b.ty, b.bytes)
}
