//! A GGUF v3 writer: metadata and tensors in, a file's bytes out. It writes what `Gguf::parse`
//! reads (tests build hostile variants with it; `model::tiny` builds whole small models with it).

use super::GgmlType;

/// Metadata value type ids (GGUF's `gguf_type`).
const T_U32: u32 = 4;
const T_I32: u32 = 5;
const T_F32: u32 = 6;
const T_BOOL: u32 = 7;
const T_STRING: u32 = 8;
const T_ARRAY: u32 = 9;
const ALIGNMENT: usize = 32;

#[derive(Default)]
pub struct Writer {
    kv: Vec<u8>,
    n_kv: u64,
    index: Vec<u8>,
    n_tensors: u64,
    data: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    fn str(buf: &mut Vec<u8>, s: &str) {
        buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
        buf.extend_from_slice(s.as_bytes());
    }

    fn key(&mut self, key: &str, ty: u32) {
        Self::str(&mut self.kv, key);
        self.kv.extend_from_slice(&ty.to_le_bytes());
        self.n_kv += 1;
    }

    pub fn u32(mut self, key: &str, v: u32) -> Self {
        self.key(key, T_U32);
        self.kv.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn f32(mut self, key: &str, v: f32) -> Self {
        self.key(key, T_F32);
        self.kv.extend_from_slice(&v.to_le_bytes());
        self
    }

    pub fn bool(mut self, key: &str, v: bool) -> Self {
        self.key(key, T_BOOL);
        self.kv.push(v as u8);
        self
    }

    pub fn string(mut self, key: &str, v: &str) -> Self {
        self.key(key, T_STRING);
        Self::str(&mut self.kv, v);
        self
    }

    pub fn strings(mut self, key: &str, items: &[String]) -> Self {
        self.key(key, T_ARRAY);
        self.kv.extend_from_slice(&T_STRING.to_le_bytes());
        self.kv.extend_from_slice(&(items.len() as u64).to_le_bytes());
        for s in items {
            Self::str(&mut self.kv, s);
        }
        self
    }

    pub fn i32s(mut self, key: &str, items: &[i32]) -> Self {
        self.key(key, T_ARRAY);
        self.kv.extend_from_slice(&T_I32.to_le_bytes());
        self.kv.extend_from_slice(&(items.len() as u64).to_le_bytes());
        for v in items {
            self.kv.extend_from_slice(&v.to_le_bytes());
        }
        self
    }

    /// A tensor of GGUF shape `dims` (dims[0] contiguous) whose bytes are `data`, placed at the
    /// next aligned offset of the data section.
    pub fn tensor(mut self, name: &str, dims: &[u64], ty: GgmlType, data: &[u8]) -> Self {
        while !self.data.len().is_multiple_of(ALIGNMENT) {
            self.data.push(0);
        }
        Self::str(&mut self.index, name);
        self.index.extend_from_slice(&(dims.len() as u32).to_le_bytes());
        for d in dims {
            self.index.extend_from_slice(&d.to_le_bytes());
        }
        self.index.extend_from_slice(&ty.id().to_le_bytes());
        self.index.extend_from_slice(&(self.data.len() as u64).to_le_bytes());
        self.data.extend_from_slice(data);
        self.n_tensors += 1;
        self
    }

    pub fn build(&self) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&self.n_tensors.to_le_bytes());
        out.extend_from_slice(&self.n_kv.to_le_bytes());
        out.extend_from_slice(&self.kv);
        out.extend_from_slice(&self.index);
        while !out.len().is_multiple_of(ALIGNMENT) {
            out.push(0);
        }
        out.extend_from_slice(&self.data);
        out
    }
}
