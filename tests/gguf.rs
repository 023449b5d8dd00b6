//! The GGUF reader on well-formed and hostile input: every malformed file is a typed error,
//! never a panic or an unbounded allocation.
#![cfg(not(target_family = "wasm"))] // native tests; the browser ones are web.rs, store.rs, cpu_web.rs

mod common;

use hearth::gguf::{GgmlType, Gguf, Value};
use hearth::{GgufError, HearthError};

/// A small GGUF writer for building test files.
struct Writer {
    kv: Vec<u8>,
    n_kv: u64,
    tensors: Vec<u8>,
    n_tensors: u64,
    data: Vec<u8>,
}

impl Writer {
    fn new() -> Self {
        Writer { kv: vec![], n_kv: 0, tensors: vec![], n_tensors: 0, data: vec![] }
    }
    fn str(buf: &mut Vec<u8>, s: &str) {
        buf.extend_from_slice(&(s.len() as u64).to_le_bytes());
        buf.extend_from_slice(s.as_bytes());
    }
    fn kv_u32(mut self, key: &str, v: u32) -> Self {
        Self::str(&mut self.kv, key);
        self.kv.extend_from_slice(&4u32.to_le_bytes());
        self.kv.extend_from_slice(&v.to_le_bytes());
        self.n_kv += 1;
        self
    }
    fn kv_str(mut self, key: &str, v: &str) -> Self {
        Self::str(&mut self.kv, key);
        self.kv.extend_from_slice(&8u32.to_le_bytes());
        Self::str(&mut self.kv, v);
        self.n_kv += 1;
        self
    }
    fn kv_str_array(mut self, key: &str, items: &[&str]) -> Self {
        Self::str(&mut self.kv, key);
        self.kv.extend_from_slice(&9u32.to_le_bytes());
        self.kv.extend_from_slice(&8u32.to_le_bytes());
        self.kv.extend_from_slice(&(items.len() as u64).to_le_bytes());
        for s in items {
            Self::str(&mut self.kv, s);
        }
        self.n_kv += 1;
        self
    }
    fn kv_raw(mut self, raw: &[u8]) -> Self {
        self.kv.extend_from_slice(raw);
        self.n_kv += 1;
        self
    }
    /// A tensor whose data is appended (aligned to 32).
    fn tensor(mut self, name: &str, dims: &[u64], ty: u32, data: &[u8]) -> Self {
        while !self.data.len().is_multiple_of(32) {
            self.data.push(0);
        }
        let offset = self.data.len() as u64;
        self.data.extend_from_slice(data);
        self.tensor_at(name, dims, ty, offset)
    }
    fn tensor_at(mut self, name: &str, dims: &[u64], ty: u32, offset: u64) -> Self {
        Self::str(&mut self.tensors, name);
        self.tensors.extend_from_slice(&(dims.len() as u32).to_le_bytes());
        for d in dims {
            self.tensors.extend_from_slice(&d.to_le_bytes());
        }
        self.tensors.extend_from_slice(&ty.to_le_bytes());
        self.tensors.extend_from_slice(&offset.to_le_bytes());
        self.n_tensors += 1;
        self
    }
    fn build_with(&self, version: u32, n_tensors: u64, n_kv: u64) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&n_tensors.to_le_bytes());
        out.extend_from_slice(&n_kv.to_le_bytes());
        out.extend_from_slice(&self.kv);
        out.extend_from_slice(&self.tensors);
        while !out.len().is_multiple_of(32) {
            out.push(0);
        }
        out.extend_from_slice(&self.data);
        out
    }
    fn build(&self) -> Vec<u8> {
        self.build_with(3, self.n_tensors, self.n_kv)
    }
}

fn sample() -> Writer {
    let f32s: Vec<u8> = (0..8).flat_map(|i| (i as f32).to_le_bytes()).collect();
    Writer::new()
        .kv_str("general.architecture", "llama")
        .kv_u32("llama.block_count", 1)
        .kv_str_array("tokenizer.ggml.tokens", &["a", "b", "ab"])
        .tensor("norm.weight", &[8], 0, &f32s)
        .tensor("q.weight", &[32, 2], 3, &[0x11; 40])
}

fn err(bytes: &[u8]) -> GgufError {
    match Gguf::parse(bytes) {
        Ok(_) => panic!("malformed file was accepted"),
        Err(e) => e,
    }
}

#[test]
fn parses_a_well_formed_file() {
    for version in [2, 3] {
        let w = sample();
        let bytes = w.build_with(version, w.n_tensors, w.n_kv);
        let g = Gguf::parse(&bytes).expect("parse");
        assert_eq!(g.version, version);
        assert_eq!(g.get("general.architecture").and_then(Value::as_str), Some("llama"));
        assert_eq!(g.get("llama.block_count").and_then(Value::as_u64), Some(1));
        let toks = g.get("tokenizer.ggml.tokens").and_then(Value::as_array).expect("tokens");
        assert_eq!(toks.iter().filter_map(Value::as_str).collect::<Vec<_>>(), ["a", "b", "ab"]);
        let norm = g.tensor("norm.weight").expect("norm");
        assert_eq!(norm.ty, GgmlType::F32);
        let data = g.tensor_data(norm);
        assert_eq!(f32::from_le_bytes([data[12], data[13], data[14], data[15]]), 3.0);
        let q = g.tensor("q.weight").expect("q");
        assert_eq!((q.ty, q.dims.clone(), q.n_bytes), (GgmlType::Q4_1, vec![32, 2], 40));
        assert_eq!(g.tensor_data(q), &[0x11; 40]);
    }
}

#[test]
fn every_truncation_is_a_typed_error() {
    let bytes = sample().build();
    for len in 0..bytes.len() {
        let e = err(&bytes[..len]);
        assert!(matches!(e, GgufError::Truncated { .. }), "length {len}: {e:?}");
    }
}

#[test]
fn bad_magic_and_versions() {
    let mut bytes = sample().build();
    bytes[0] = b'X';
    assert!(matches!(err(&bytes), GgufError::BadMagic(_)));
    let w = sample();
    for v in [1, 4, 0xFFFF_FFFF] {
        assert_eq!(err(&w.build_with(v, w.n_tensors, w.n_kv)), GgufError::UnsupportedVersion(v));
    }
}

#[test]
fn huge_counts_are_refused_before_allocating() {
    let w = sample();
    assert!(matches!(err(&w.build_with(3, u64::MAX, w.n_kv)), GgufError::LimitExceeded { what: "tensor count", .. }));
    assert!(matches!(err(&w.build_with(3, w.n_tensors, 1 << 40)), GgufError::LimitExceeded { what: "metadata count", .. }));
    // an array claiming 2^24 elements in a tiny file
    let mut raw = Vec::new();
    Writer::str(&mut raw, "big");
    raw.extend_from_slice(&9u32.to_le_bytes());
    raw.extend_from_slice(&4u32.to_le_bytes());
    raw.extend_from_slice(&(1u64 << 24).to_le_bytes());
    assert!(matches!(err(&sample().kv_raw(&raw).build()), GgufError::Truncated { .. }));
    raw.truncate(raw.len() - 8);
    raw.extend_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(err(&sample().kv_raw(&raw).build()), GgufError::LimitExceeded { what: "array length", .. }));
    // a string claiming 2^60 bytes
    let mut raw = Vec::new();
    raw.extend_from_slice(&(1u64 << 60).to_le_bytes());
    assert!(matches!(err(&sample().kv_raw(&raw).build()), GgufError::LimitExceeded { what: "string length", .. }));
}

#[test]
fn wrong_types_are_refused() {
    let mut raw = Vec::new();
    Writer::str(&mut raw, "k");
    raw.extend_from_slice(&13u32.to_le_bytes());
    assert_eq!(err(&sample().kv_raw(&raw).build()), GgufError::BadValueType(13));
    let e = err(&sample().tensor("t", &[32], 99, &[0; 64]).build());
    assert!(matches!(e, GgufError::BadTensor { ref why, .. } if why.contains("unknown ggml type")), "{e:?}");
    let e = err(&sample().tensor("t", &[33], 2, &[0; 64]).build());
    assert!(matches!(e, GgufError::BadTensor { ref why, .. } if why.contains("multiple")), "{e:?}");
}

#[test]
fn bad_shapes_and_offsets_are_refused() {
    for dims in [&[][..], &[1, 1, 1, 1, 1][..]] {
        assert!(matches!(err(&sample().tensor("t", dims, 0, &[0; 4]).build()), GgufError::BadTensor { .. }));
    }
    assert!(matches!(err(&sample().tensor("t", &[4, 0], 0, &[0; 4]).build()), GgufError::BadTensor { .. }));
    let e = err(&sample().tensor("t", &[1 << 32, 1 << 32, 1 << 32], 0, &[]).build());
    assert!(matches!(e, GgufError::BadTensor { ref why, .. } if why.contains("overflow")), "{e:?}");
    // data beyond the end of the file, and an offset that wraps
    assert!(matches!(err(&sample().tensor_at("t", &[1024], 0, 64).build()), GgufError::Truncated { .. }));
    assert!(matches!(err(&sample().tensor_at("t", &[8], 0, u64::MAX - 31).build()), GgufError::BadTensor { .. }));
    // misaligned
    let e = err(&sample().tensor_at("t", &[1], 0, 4).build());
    assert!(matches!(e, GgufError::BadTensor { ref why, .. } if why.contains("alignment")), "{e:?}");
}

#[test]
fn duplicates_are_refused() {
    let e = err(&sample().kv_u32("llama.block_count", 2).build());
    assert!(matches!(e, GgufError::Duplicate { what: "metadata key", .. }));
    let e = err(&sample().tensor("q.weight", &[8], 0, &[0; 32]).build());
    assert!(matches!(e, GgufError::Duplicate { what: "tensor", .. }));
}

#[test]
fn errors_carry_the_bad_model_code() {
    let e: HearthError = err(b"GGUF").into();
    assert_eq!(e.code(), "bad_model");
}

#[test]
fn bad_utf8_is_refused() {
    let mut raw = Vec::new();
    Writer::str(&mut raw, "k");
    raw.extend_from_slice(&8u32.to_le_bytes());
    raw.extend_from_slice(&2u64.to_le_bytes());
    raw.extend_from_slice(&[0xC3, 0x28]);
    assert!(matches!(err(&sample().kv_raw(&raw).build()), GgufError::BadUtf8(_)));
}

#[test]
fn reads_the_real_model() {
    let Some(path) = common::model_path() else { return };
    let bytes = std::fs::read(path).expect("read model");
    let g = Gguf::parse(&bytes).expect("parse");
    assert_eq!(g.version, 3);
    assert_eq!(g.tensors().len(), 272);
    let embd = g.tensor("token_embd.weight").expect("embedding");
    assert_eq!((embd.ty, embd.dims.clone()), (GgmlType::Q8_0, vec![576, 49152]));
    assert_eq!(g.get("tokenizer.ggml.pre").and_then(Value::as_str), Some("smollm"));
    // and a truncated copy is refused, wherever it is cut
    for cut in [10, 1 << 20, bytes.len() / 2, bytes.len() - 1] {
        assert!(Gguf::parse(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}

/// Found by the GGUF fuzzer (fuzz/corpus/gguf/regression-offset-overflow): a tensor offset near
/// u64::MAX overflowed the error's own offset arithmetic (a panic with overflow checks on, a
/// wrong offset without). The error now names the offset saturated.
#[test]
fn a_huge_tensor_offset_is_a_typed_error() {
    let bytes = include_bytes!("../fuzz/corpus/gguf/regression-offset-overflow");
    match Gguf::parse(bytes) {
        Err(GgufError::Truncated { offset, .. }) => assert_eq!(offset, u64::MAX),
        Err(e) => panic!("another error than the one found: {e}"),
        Ok(_) => panic!("the file is refused"),
    }
}
