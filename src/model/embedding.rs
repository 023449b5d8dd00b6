//! Token embedding lookup on the host: the rows for the ids at hand are decoded with the
//! quant twins and uploaded. The (possibly tied) output projection uses the GPU copy instead.

use crate::error::HearthError;
use crate::gguf::GgmlType;
use crate::quant::{float, QuantKind};

pub struct Embedding {
    kind: Option<QuantKind>, // None: a float type decoded by `float::to_f32`
    ty: GgmlType,
    bytes: Vec<u8>, // (n_vocab, row_bytes) as in the GGUF file
    row_bytes: usize,
    pub n_vocab: usize,
    pub n_embd: usize,
}

impl Embedding {
    /// The token embedding `name` (n_vocab = `rows`, n_embd = `cols`) in `ty`, keeping `bytes`
    /// (n_vocab, row_bytes) as they came from the file, without a copy.
    pub fn from_bytes(name: &str, ty: GgmlType, rows: usize, cols: usize, bytes: Vec<u8>) -> Result<Self, HearthError> {
        let kind = QuantKind::from_ggml(ty);
        let row_bytes = match kind {
            Some(k) if k.fits(cols) => k.row_bytes(cols),
            Some(_) => return Err(HearthError::UnsupportedModel(format!("{name}: row length {cols} is not whole blocks"))),
            None => {
                let (per_block, block_bytes) = ty.block_geometry();
                if per_block != 1 {
                    return Err(HearthError::UnsupportedQuant(format!("{} (tensor {name})", ty.name())));
                }
                cols * block_bytes as usize
            }
        };
        if bytes.len() != row_bytes * rows {
            return Err(HearthError::UnsupportedModel(format!("{name}: {} bytes for {rows} rows of {row_bytes}", bytes.len())));
        }
        Ok(Embedding { kind, ty, bytes, row_bytes, n_vocab: rows, n_embd: cols })
    }

    /// (ids.len(), n_embd) row-major.
    pub fn lookup(&self, ids: &[u32]) -> Result<Vec<f32>, HearthError> {
        let mut out = vec![0f32; ids.len() * self.n_embd];
        for (&id, dst) in ids.iter().zip(out.chunks_exact_mut(self.n_embd)) {
            if id as usize >= self.n_vocab {
                return Err(HearthError::InvalidRequest(format!("token id {id} ≥ vocabulary size {}", self.n_vocab)));
            }
            let row = &self.bytes[id as usize * self.row_bytes..][..self.row_bytes];
            match self.kind {
                Some(k) => k.dequantize_row(row, dst),
                None => dst.copy_from_slice(&float::to_f32(self.ty, row)?),
            }
        }
        Ok(out)
    }
}
