//! A linear layer is an enum over weight formats: fused quantized kernels, or a dense f32 matmul.
//! Several projections of the same input (q|k|v, gate|up) load as one stacked matrix, so one
//! kernel launch serves them all; where they cannot (q|k|v in two formats, a matrix split at the
//! binding limit) each piece writes its columns of one shared output, still with no
//! concatenation.

use super::weights::WeightRef;
use crate::error::HearthError;
use crate::gpu::{self, Device, Tensor};
use crate::kernels::{Add, Family, Input, QuantMatrix};
use crate::quant::{float, QuantKind};

/// A quantized matrix (or a row range of one) and its share of the layer's bias.
struct Piece {
    matrix: QuantMatrix,
    bias: Option<Tensor<2>>, // (1, matrix.rows)
}

#[allow(clippy::large_enum_variant)] // a few hundred per model, never moved in a hot path
enum Part {
    /// Row ranges of one matrix, each within the device's binding limit (usually one).
    Quant(Vec<Piece>),
    Dense { w: Tensor<2>, bias: Option<Tensor<2>> }, // w (cols, rows): y = x · W; bias (1, rows)
}

pub struct Linear {
    /// One part when the stacked weights share a format (the usual case), else one per weight.
    parts: Vec<Part>,
    rows: usize,
    device: Device,
}

impl Linear {
    /// The rows of `weights` stacked into one layer over the same input; `biases` align with them.
    /// No buffer is larger than `max_binding` bytes (big matrices load as row ranges).
    pub fn upload(device: &Device, family: Family, max_binding: u64, weights: &[&WeightRef<'_>], biases: &[Option<&WeightRef<'_>>]) -> Result<Self, HearthError> {
        let first = weights.first().ok_or_else(|| HearthError::InvalidRequest("a linear layer of no weights".into()))?;
        let rows = weights.iter().map(|w| w.rows).sum();
        let same = weights.iter().all(|w| w.ty == first.ty && w.cols == first.cols);
        if weights.len() == 1 || !same {
            let parts = weights.iter().zip(biases).map(|(w, b)| Part::upload(device, family, max_binding, w, b.map(|b| bias_values(b)).transpose()?)).collect::<Result<_, _>>()?;
            return Ok(Linear { parts, rows, device: device.clone() });
        }
        let bytes: Vec<u8> = weights.iter().flat_map(|w| w.bytes.iter().copied()).collect();
        let stacked = WeightRef { name: first.name, ty: first.ty, rows, cols: first.cols, bytes: &bytes };
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
        Ok(Linear { parts: vec![Part::upload(device, family, max_binding, &stacked, bias)?], rows, device: device.clone() })
    }

    /// x (n_tok, cols) → residual + x · Wᵀ (n_tok, Σ rows).
    pub fn forward_onto(&self, x: Tensor<2>, residual: Option<Tensor<2>>) -> Result<Tensor<2>, HearthError> {
        self.forward_from(x, Input::Plain, residual)
    }

    /// residual + `input`(x) · Wᵀ (n_tok, Σ rows): the norm before a projection or SwiGLU before
    /// the down projection, inside the GEMV where the kernels take it (`QuantMatrix::fuses_input`:
    /// the wide family's decode), else computed once first. One quantized matrix (the usual
    /// case): one launch, the bias or the residual in its epilogue. Several quantized pieces: one
    /// launch each into a shared output, each with its bias. A dense part: burn's matmul and a cat.
    pub fn forward_from(&self, x: Tensor<2>, input: Input<'_>, residual: Option<Tensor<2>>) -> Result<Tensor<2>, HearthError> {
        let pieces: Option<Vec<&Piece>> = self.parts.iter().map(|p| if let Part::Quant(ps) = p { Some(ps.iter()) } else { None }).collect::<Option<Vec<_>>>().map(|v| v.into_iter().flatten().collect());
        let n_tok = x.dims()[0];
        let fused = pieces.as_ref().is_some_and(|ps| ps.iter().all(|p| p.matrix.fuses_input(n_tok)));
        let (x, input) = if fused { (x, input) } else { (input.apply(x)?, Input::Plain) };
        let y = match pieces.as_deref() {
            Some([one]) => {
                return match (&one.bias, residual) {
                    (None, None) => one.matrix.forward_from(x, input, Add::Nothing),
                    (None, Some(r)) => one.matrix.forward_from(x, input, Add::Residual(r)),
                    (Some(b), None) => one.matrix.forward_from(x, input, Add::Bias(b.clone())),
                    (Some(b), Some(r)) => Ok(one.matrix.forward_from(x, input, Add::Bias(b.clone()))? + r),
                };
            }
            Some(pieces) => {
                let out = gpu::empty(&self.device, [n_tok, self.rows]);
                let mut col = 0;
                for p in pieces {
                    let add = p.bias.clone().map_or(Add::Nothing, Add::Bias);
                    p.matrix.forward_into(x.clone(), input, add, &out, col, false)?;
                    col += p.matrix.rows;
                }
                out
            }
            None => Tensor::cat(self.parts.iter().map(|p| p.forward(x.clone())).collect::<Result<_, _>>()?, 1),
        };
        Ok(match residual {
            Some(r) => y + r,
            None => y,
        })
    }
}

impl Part {
    fn upload(device: &Device, family: Family, max_binding: u64, w: &WeightRef<'_>, bias: Option<Vec<f32>>) -> Result<Self, HearthError> {
        let row = |b: &[f32]| gpu::tensor_from_f32(device, b.to_vec(), [1, b.len()]);
        Ok(match QuantKind::from_ggml(w.ty) {
            Some(kind) => {
                let mut r0 = 0;
                let pieces = QuantMatrix::upload_split(device, kind, w.bytes, w.rows, w.cols, max_binding)?
                    .into_iter()
                    .map(|m| {
                        let bias = bias.as_ref().map(|b| row(&b[r0..r0 + m.rows]));
                        r0 += m.rows;
                        Piece { matrix: m.with_family(family), bias }
                    })
                    .collect();
                Part::Quant(pieces)
            }
            None => {
                let data = float::to_f32(w.ty, w.bytes)
                    .map_err(|_| HearthError::UnsupportedQuant(format!("{} (tensor {})", w.ty.name(), w.name)))?;
                Part::Dense { w: gpu::tensor_from_f32(device, data, [w.rows, w.cols]).transpose(), bias: bias.as_deref().map(row) }
            }
        })
    }

    /// This part alone: x (n_tok, cols) → (n_tok, rows).
    fn forward(&self, x: Tensor<2>) -> Result<Tensor<2>, HearthError> {
        match self {
            Part::Quant(pieces) => Ok(Tensor::cat(
                pieces.iter().map(|p| p.matrix.forward_add(x.clone(), p.bias.clone().map_or(Add::Nothing, Add::Bias), false)).collect::<Result<_, _>>()?,
                1,
            )),
            Part::Dense { w, bias } => {
                let y = x.matmul(w.clone());
                Ok(match bias {
                    Some(b) => y + b.clone(),
                    None => y,
                })
            }
        }
    }
}

fn bias_values(b: &WeightRef<'_>) -> Result<Vec<f32>, HearthError> {
    float::to_f32(b.ty, b.bytes)
}
