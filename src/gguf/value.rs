//! GGUF metadata values: the twelve scalar/string types and arrays of them.

use super::cursor::Cursor;
use crate::error::GgufError;

/// Longest metadata string accepted (a chat template is a few KiB; 16 MiB is generous).
pub const MAX_STRING_LEN: u64 = 16 << 20;
/// Most elements in one metadata array (vocabularies are ~150k; 16M is generous).
pub const MAX_ARRAY_LEN: u64 = 16 << 20;
/// Deepest nesting of arrays accepted.
const MAX_DEPTH: u32 = 2;

#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    Str(&'a str),
    Array(Vec<Value<'a>>),
    U64(u64),
    I64(i64),
    F64(f64),
}

impl<'a> Value<'a> {
    pub fn read(c: &mut Cursor<'a>, ty: u32, depth: u32) -> Result<Self, GgufError> {
        Ok(match ty {
            0 => Value::U8(c.u8()?),
            1 => Value::I8(c.u8()? as i8),
            2 => Value::U16(c.u16()?),
            3 => Value::I16(c.u16()? as i16),
            4 => Value::U32(c.u32()?),
            5 => Value::I32(c.u32()? as i32),
            6 => Value::F32(c.f32()?),
            7 => match c.u8()? {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                b => return Err(GgufError::BadMetadata { key: String::new(), why: format!("bool byte {b}") }),
            },
            8 => Value::Str(c.string(MAX_STRING_LEN)?),
            9 => {
                if depth >= MAX_DEPTH {
                    return Err(GgufError::LimitExceeded { what: "array nesting", value: depth as u64 + 1, limit: MAX_DEPTH as u64 });
                }
                let elem_ty = c.u32()?;
                let len = c.u64()?;
                if len > MAX_ARRAY_LEN {
                    return Err(GgufError::LimitExceeded { what: "array length", value: len, limit: MAX_ARRAY_LEN });
                }
                // Every element takes at least one byte: a count beyond the bytes left is a lie.
                let min = min_size(elem_ty).ok_or(GgufError::BadValueType(elem_ty))?;
                if len.saturating_mul(min) > c.remaining() as u64 {
                    return Err(GgufError::Truncated { offset: c.pos() as u64, needed: len.saturating_mul(min), len: (c.pos() + c.remaining()) as u64 });
                }
                let mut items = Vec::with_capacity(len as usize);
                for _ in 0..len {
                    items.push(Value::read(c, elem_ty, depth + 1)?);
                }
                Value::Array(items)
            }
            10 => Value::U64(c.u64()?),
            11 => Value::I64(c.u64()? as i64),
            12 => Value::F64(c.f64()?),
            t => return Err(GgufError::BadValueType(t)),
        })
    }

    /// Any integer type that fits in u64 without loss.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::U8(v) => Some(v as u64),
            Value::U16(v) => Some(v as u64),
            Value::U32(v) => Some(v as u64),
            Value::U64(v) => Some(v),
            Value::I8(v) => u64::try_from(v).ok(),
            Value::I16(v) => u64::try_from(v).ok(),
            Value::I32(v) => u64::try_from(v).ok(),
            Value::I64(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::F32(v) => Some(v as f64),
            Value::F64(v) => Some(v),
            _ => self.as_u64().map(|v| v as f64),
        }
    }

    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Array(v) => Some(v),
            _ => None,
        }
    }
}

/// Smallest encoded size of a value of type `ty`, in bytes.
fn min_size(ty: u32) -> Option<u64> {
    Some(match ty {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        8 | 10..=12 => 8,
        9 => 12,
        _ => return None,
    })
}
