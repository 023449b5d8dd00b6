//! A weight matrix on the CPU: GGUF quant blocks read in place from the model file's bytes
//! (shared, never copied: by `q8_dot` or `quant_dot` for matmuls, a row at a time for the
//! embedding), or f32; and `Input`, one matmul input prepared once for every matrix that reads it.

use super::pool::Pool;
use super::q8_dot::{self, Q8Acts};
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

/// How the CPU backend multiplies activations with quantized weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numerics {
    /// f32 activations (`quant_dot`): the golden fixtures' contract.
    Exact,
    /// Activations quantized to 8 bits per 32-wide block, integer dots (`q8_dot`), as llama.cpp
    /// computes on CPUs: faster; its distance from `Exact` is bounded by tests/golden.rs.
    Int8,
}

/// One matmul input x (n_tok, cols), prepared once for every matrix that reads it (q, k, v).
pub struct Input<'a> {
    x: &'a [f32],
    prep: Prep,
}

enum Prep {
    Sums(Vec<f32>), // Exact: Σx per 32-wide block (n_tok, cols / 32)
    Q8(Q8Acts),     // Int8
}

impl<'a> Input<'a> {
    pub fn new(x: &'a [f32], cols: usize, numerics: Numerics) -> Self {
        let prep = match numerics {
            Numerics::Int8 if cols.is_multiple_of(crate::quant::QK) => Prep::Q8(Q8Acts::new(x, cols)),
            _ => Prep::Sums(quant_dot::block_sums(x)),
        };
        Input { x, prep }
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

    /// y (n_tok, rows) = x (n_tok, cols) · Wᵀ (+ bias), rows split over the pool's threads.
    pub fn forward(&self, input: &Input<'_>, pool: &Pool) -> Vec<f32> {
        let [y] = Self::forward_many([self], input, pool);
        y
    }

    /// `forward` of several matrices that read the same input (q, k, v; gate, up), in one
    /// parallel region: `ys[m]` is (n_tok, mats[m].rows).
    pub fn forward_many<const N: usize>(mats: [&CpuMatrix; N], input: &Input<'_>, pool: &Pool) -> [Vec<f32>; N] {
        let x = input.x;
        let sizes: Vec<usize> = mats.iter().map(|m| m.rows).collect();
        let n_tok = mats.first().map_or(0, |m| x.len() / m.cols);
        let mut ys = pool.rows_many(&sizes, n_tok, |i, r, out| mats[i].rows_into(input, r, out));
        for (m, y) in mats.iter().zip(&mut ys) {
            if let Some(b) = &m.bias {
                for yt in y.chunks_exact_mut(m.rows) {
                    yt.iter_mut().zip(b).for_each(|(v, b)| *v += b);
                }
            }
        }
        std::array::from_fn(|i| std::mem::take(&mut ys[i]))
    }

    /// SwiGLU's input to the down projection: silu(x · Gᵀ) ∘ (x · Uᵀ) (n_tok, gate.rows), each task
    /// computing the same rows of both matrices and their product, so the activation is split over
    /// the threads with the matmuls (it was a serial step between them: an exp per element).
    pub fn swiglu(gate: &CpuMatrix, up: &CpuMatrix, input: &Input<'_>, pool: &Pool) -> Vec<f32> {
        let n_tok = input.x.len() / gate.cols;
        pool.rows(gate.rows, n_tok, |r, out| {
            let mut g_buf = super::pool::padded(out.len());
            let g = super::pool::unpad(&mut g_buf); // (n_tok, r.len())
            gate.rows_into(input, r.clone(), g);
            up.rows_into(input, r.clone(), out);
            for (gt, ut) in g.chunks_exact(r.len()).zip(out.chunks_exact_mut(r.len())) {
                for (i, (&g, u)) in gt.iter().zip(ut.iter_mut()).enumerate() {
                    let g = g + gate.bias.as_ref().map_or(0.0, |b| b[r.start + i]);
                    let uv = *u + up.bias.as_ref().map_or(0.0, |b| b[r.start + i]);
                    *u = g / (1.0 + (-g).exp()) * uv;
                }
            }
        })
    }

    /// Rows `r` of x · Wᵀ into `out` (n_tok, r.len()), without the bias.
    fn rows_into(&self, input: &Input<'_>, r: Range<usize>, out: &mut [f32]) {
        let (x, cols) = (input.x, self.cols);
        match (&self.data, &input.prep) {
            (Data::Quant(kind, bytes), prep) => {
                let rb = kind.row_bytes(cols);
                let w = &bytes.bytes()[r.start * rb..r.end * rb];
                match prep {
                    Prep::Sums(xsum) => quant_dot::matmul(*kind, w, r.len(), cols, x, xsum, out),
                    Prep::Q8(q) => q8_dot::matmul(*kind, w, r.len(), q, out),
                }
            }
            (Data::Dense(w), _) => {
                for (xt, yt) in x.chunks_exact(cols).zip(out.chunks_exact_mut(r.len())) {
                    for (wr, o) in w[r.start * cols..r.end * cols].chunks_exact(cols).zip(yt.iter_mut()) {
                        *o = wr.iter().zip(xt).map(|(a, b)| a * b).sum();
                    }
                }
            }
        }
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
