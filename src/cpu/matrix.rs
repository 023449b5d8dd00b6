//! A weight matrix on the CPU: GGUF quant blocks read in place from the model file's bytes
//! (shared, never copied: by `quant_dot` for matmuls, a row at a time for the embedding), or f32.

use super::quant_dot;
use crate::error::HearthError;
use crate::model::WeightRef;
use crate::quant::{float, QuantKind};
use std::ops::Range;
use std::sync::Arc;

/// A range of the model file held in memory, shared by every matrix that reads from it.
#[derive(Clone)]
pub struct FileBytes {
    file: Arc<Vec<u8>>,
    range: Range<usize>,
}

impl FileBytes {
    /// `part` must be a sub-slice of `file` (a tensor view from parsing it).
    pub fn new(file: &Arc<Vec<u8>>, part: &[u8]) -> Result<Self, HearthError> {
        let start = (part.as_ptr() as usize).wrapping_sub(file.as_ptr() as usize);
        if start > file.len() || file.len() - start < part.len() {
            return Err(HearthError::InvalidRequest("tensor bytes are not part of the model file".into()));
        }
        Ok(FileBytes { file: file.clone(), range: start..start + part.len() })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.file[self.range.clone()]
    }
}

enum Data {
    Quant(QuantKind, FileBytes), // (rows, cols / 32 blocks) as in the file
    Dense(Vec<f32>),             // (rows, cols)
}

pub struct CpuMatrix {
    pub rows: usize,
    pub cols: usize,
    data: Data,
    bias: Option<Vec<f32>>, // (rows)
}

impl CpuMatrix {
    /// `w` is a view into `file` (as `ModelRefs` makes them).
    pub fn new(file: &Arc<Vec<u8>>, w: &WeightRef<'_>, bias: Option<&WeightRef<'_>>) -> Result<Self, HearthError> {
        let data = match QuantKind::from_ggml(w.ty) {
            Some(kind) if kind.fits(w.cols) => Data::Quant(kind, FileBytes::new(file, w.bytes)?),
            Some(_) => return Err(HearthError::UnsupportedModel(format!("{}: row length {} is not whole blocks", w.name, w.cols))),
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
            Data::Quant(kind, bytes) => quant_dot::matmul(*kind, bytes.bytes(), self.rows, self.cols, x, xsum, &mut y),
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

    /// Rows `ids` as f32 (ids.len(), cols): the token embedding lookup.
    pub fn rows_f32(&self, ids: &[u32]) -> Result<Vec<f32>, HearthError> {
        let mut out = vec![0f32; ids.len() * self.cols];
        for (&id, dst) in ids.iter().zip(out.chunks_exact_mut(self.cols)) {
            let r = id as usize;
            if r >= self.rows {
                return Err(HearthError::InvalidRequest(format!("token id {id} ≥ vocabulary size {}", self.rows)));
            }
            match &self.data {
                Data::Quant(kind, bytes) => {
                    let row_bytes = kind.row_bytes(self.cols);
                    kind.dequantize_row(&bytes.bytes()[r * row_bytes..(r + 1) * row_bytes], dst);
                }
                Data::Dense(w) => dst.copy_from_slice(&w[r * self.cols..(r + 1) * self.cols]),
            }
        }
        Ok(out)
    }
}
