//! A weight matrix on the CPU: GGUF quant blocks as stored (read by `quant_dot`), or f32.

use super::quant_dot;
use crate::error::HearthError;
use crate::model::WeightRef;
use crate::quant::{float, QuantKind, QK};

enum Data {
    Quant(QuantKind, Vec<u8>), // (rows, cols / 32 blocks) as in the file
    Dense(Vec<f32>),           // (rows, cols)
}

pub struct CpuMatrix {
    pub rows: usize,
    pub cols: usize,
    data: Data,
    bias: Option<Vec<f32>>, // (rows)
}

impl CpuMatrix {
    pub fn new(w: &WeightRef<'_>, bias: Option<&WeightRef<'_>>) -> Result<Self, HearthError> {
        let data = match QuantKind::from_ggml(w.ty) {
            Some(kind) if w.cols.is_multiple_of(QK) => Data::Quant(kind, w.bytes.to_vec()),
            Some(_) => return Err(HearthError::UnsupportedModel(format!("{}: row length {} is not a multiple of {QK}", w.name, w.cols))),
            None => Data::Dense(
                float::to_f32(w.ty, w.bytes).map_err(|_| HearthError::UnsupportedQuant(format!("{} (tensor {})", w.ty.name(), w.name)))?,
            ),
        };
        let bias = bias.map(|b| float::to_f32(b.ty, b.bytes)).transpose()?;
        Ok(CpuMatrix { rows: w.rows, cols: w.cols, data, bias })
    }

    /// y (n_tok, rows) = x (n_tok, cols) · Wᵀ (+ bias); `xsum` = `quant_dot::block_sums(x)`.
    pub fn forward_with_sums(&self, x: &[f32], xsum: &[f32]) -> Vec<f32> {
        let n_tok = x.len() / self.cols;
        let mut y = vec![0f32; n_tok * self.rows];
        match &self.data {
            Data::Quant(kind, bytes) => quant_dot::matmul(*kind, bytes, self.rows, self.cols, x, xsum, &mut y),
            Data::Dense(w) => {
                for (xt, yt) in x.chunks_exact(self.cols).zip(y.chunks_exact_mut(self.rows)) {
                    for (wr, out) in w.chunks_exact(self.cols).zip(yt.iter_mut()) {
                        *out = wr.iter().zip(xt).map(|(a, b)| a * b).sum();
                    }
                }
            }
        }
        if let Some(b) = &self.bias {
            for yt in y.chunks_exact_mut(self.rows) {
                yt.iter_mut().zip(b).for_each(|(v, b)| *v += b);
            }
        }
        y
    }

    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        self.forward_with_sums(x, &quant_dot::block_sums(x))
    }
}
