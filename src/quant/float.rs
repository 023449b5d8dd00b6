//! Unquantized tensors (F32, F16, BF16) decoded to f32: norms, and dense linear weights.

use super::{f16_to_f32, le_u16};
use crate::error::HearthError;
use crate::gguf::GgmlType;

/// Decode a float tensor's bytes to f32.
pub fn to_f32(ty: GgmlType, bytes: &[u8]) -> Result<Vec<f32>, HearthError> {
    Ok(match ty {
        GgmlType::F32 => bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        GgmlType::F16 => (0..bytes.len() / 2).map(|i| f16_to_f32(le_u16(bytes, 2 * i))).collect(),
        GgmlType::BF16 => (0..bytes.len() / 2).map(|i| f32::from_bits((le_u16(bytes, 2 * i) as u32) << 16)).collect(),
        other => return Err(HearthError::UnsupportedQuant(format!("{} where a float tensor is needed", other.name()))),
    })
}
