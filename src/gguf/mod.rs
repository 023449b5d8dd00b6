//! GGUF v2/v3 reader: header, metadata, tensor index and zero-copy tensor views over the file bytes.
//! Every count, length and offset is checked against the file before it is trusted.

mod cursor;
pub mod stream;
mod types;
mod value;
pub mod writer;

pub use types::GgmlType;
pub use value::Value;

use crate::error::GgufError;
use cursor::Cursor;
use std::collections::HashMap;

const MAGIC: u32 = 0x4655_4747; // "GGUF" little-endian
/// Most tensors accepted in one file (a 70B model has ~720).
pub const MAX_TENSORS: u64 = 1 << 16;
/// Most metadata entries accepted.
pub const MAX_KV: u64 = 1 << 16;
const MAX_DIMS: u32 = 4;
const MAX_NAME_LEN: u64 = 256;
const DEFAULT_ALIGNMENT: u64 = 32;

/// One entry of the tensor index. `dims` are GGUF's ne[]: dims[0] is the contiguous (input) axis.
#[derive(Debug, Clone)]
pub struct TensorInfo<'a> {
    pub name: &'a str,
    pub dims: Vec<u64>,
    pub ty: GgmlType,
    /// Offset from the start of the data section.
    pub offset: u64,
    pub n_bytes: u64,
}

impl TensorInfo<'_> {
    pub fn n_elements(&self) -> u64 {
        self.dims.iter().product()
    }
}

/// A parsed GGUF file borrowing the file's bytes.
pub struct Gguf<'a> {
    pub version: u32,
    metadata: HashMap<&'a str, Value<'a>>,
    tensors: Vec<TensorInfo<'a>>,
    by_name: HashMap<&'a str, usize>,
    data: &'a [u8],
    /// Where the data section starts in the file.
    data_start: u64,
}

impl<'a> Gguf<'a> {
    /// A whole file: every tensor's bytes are in `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, GgufError> {
        let mut g = Self::parse_header(bytes, bytes.len() as u64)?;
        g.data = bytes.get(g.data_start as usize..).unwrap_or(&[]);
        Ok(g)
    }

    /// The header (metadata and tensor index) from the first bytes of a file of `file_len`
    /// bytes, every tensor checked to lie within the file. A `Truncated` error with
    /// `bytes.len() < file_len` means the header goes on past `bytes`. The result holds no tensor
    /// data (`tensor_data` is empty): a streaming load reads the tensors (`stream::TensorStream`).
    pub fn parse_header(bytes: &'a [u8], file_len: u64) -> Result<Self, GgufError> {
        let mut c = Cursor::new(bytes);
        let magic = c.u32()?;
        if magic != MAGIC {
            return Err(GgufError::BadMagic(magic));
        }
        let version = c.u32()?;
        if !(2..=3).contains(&version) {
            return Err(GgufError::UnsupportedVersion(version));
        }
        let n_tensors = c.u64()?;
        let n_kv = c.u64()?;
        check_limit("tensor count", n_tensors, MAX_TENSORS)?;
        check_limit("metadata count", n_kv, MAX_KV)?;

        let mut metadata = HashMap::with_capacity(n_kv as usize);
        for _ in 0..n_kv {
            let key = c.string(MAX_NAME_LEN)?;
            let ty = c.u32()?;
            let value = Value::read(&mut c, ty, 0)?;
            if metadata.insert(key, value).is_some() {
                return Err(GgufError::Duplicate { what: "metadata key", name: key.to_string() });
            }
        }

        let mut tensors = Vec::with_capacity(n_tensors as usize);
        let mut by_name = HashMap::with_capacity(n_tensors as usize);
        for i in 0..n_tensors as usize {
            let t = read_tensor_info(&mut c)?;
            if by_name.insert(t.name, i).is_some() {
                return Err(GgufError::Duplicate { what: "tensor", name: t.name.to_string() });
            }
            tensors.push(t);
        }

        let alignment = match metadata.get("general.alignment") {
            None => DEFAULT_ALIGNMENT,
            Some(v) => match v.as_u64() {
                Some(a) if a.is_power_of_two() && a <= 1 << 16 => a,
                _ => return Err(GgufError::BadMetadata { key: "general.alignment".into(), why: format!("{v:?} is not a power of two ≤ 65536") }),
            },
        };
        let data_start = (c.pos() as u64).div_ceil(alignment) * alignment;
        let data_len = file_len.saturating_sub(data_start);
        for t in &tensors {
            if t.offset % alignment != 0 {
                return Err(bad_tensor(t.name, format!("offset {} is not a multiple of the alignment {alignment}", t.offset)));
            }
            let end = t.offset.checked_add(t.n_bytes).ok_or_else(|| bad_tensor(t.name, "offset overflows".into()))?;
            if end > data_len {
                return Err(GgufError::Truncated { offset: data_start.saturating_add(t.offset), needed: t.n_bytes, len: file_len });
            }
        }
        Ok(Gguf { version, metadata, tensors, by_name, data: &[], data_start })
    }

    /// Where the data section starts: tensor `t` is at `data_start() + t.offset` in the file.
    pub fn data_start(&self) -> u64 {
        self.data_start
    }

    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        self.metadata.get(key)
    }

    pub fn metadata_keys(&self) -> impl Iterator<Item = &&'a str> {
        self.metadata.keys()
    }

    pub fn tensors(&self) -> &[TensorInfo<'a>] {
        &self.tensors
    }

    pub fn tensor(&self, name: &str) -> Option<&TensorInfo<'a>> {
        self.by_name.get(name).map(|&i| &self.tensors[i])
    }

    /// The tensor's bytes, borrowed from the file (bounds were checked by `parse`); empty for a
    /// header parsed alone.
    pub fn tensor_data(&self, t: &TensorInfo<'_>) -> &'a [u8] {
        self.data.get(t.offset as usize..(t.offset + t.n_bytes) as usize).unwrap_or(&[])
    }
}

fn check_limit(what: &'static str, value: u64, limit: u64) -> Result<(), GgufError> {
    if value > limit {
        return Err(GgufError::LimitExceeded { what, value, limit });
    }
    Ok(())
}

fn bad_tensor(name: &str, why: String) -> GgufError {
    GgufError::BadTensor { name: name.to_string(), why }
}

fn read_tensor_info<'a>(c: &mut Cursor<'a>) -> Result<TensorInfo<'a>, GgufError> {
    let name = c.string(MAX_NAME_LEN)?;
    let n_dims = c.u32()?;
    if n_dims == 0 || n_dims > MAX_DIMS {
        return Err(bad_tensor(name, format!("{n_dims} dimensions (1..={MAX_DIMS} allowed)")));
    }
    let mut dims = Vec::with_capacity(n_dims as usize);
    let mut n_elements: u64 = 1;
    for _ in 0..n_dims {
        let d = c.u64()?;
        if d == 0 {
            return Err(bad_tensor(name, "a dimension is 0".into()));
        }
        n_elements = n_elements.checked_mul(d).ok_or_else(|| bad_tensor(name, "element count overflows".into()))?;
        dims.push(d);
    }
    let ty_id = c.u32()?;
    let ty = GgmlType::from_u32(ty_id).ok_or_else(|| bad_tensor(name, format!("unknown ggml type {ty_id}")))?;
    let offset = c.u64()?;
    let (block, block_bytes) = ty.block_geometry();
    if dims[0] % block != 0 {
        return Err(bad_tensor(name, format!("row length {} is not a multiple of the {} block {block}", dims[0], ty.name())));
    }
    let n_bytes = (n_elements / block)
        .checked_mul(block_bytes)
        .ok_or_else(|| bad_tensor(name, "byte size overflows".into()))?;
    Ok(TensorInfo { name, dims, ty, offset, n_bytes })
}
