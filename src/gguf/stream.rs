//! A GGUF file read in pieces (a store's chunks, a download): the header once it is whole, then
//! each tensor once its bytes are, in file order. A loader that uploads as tensors arrive then
//! never holds the file, only the header, the tensor at hand and what it keeps itself.

use super::{Gguf, GgmlType, TensorInfo};
use crate::error::{GgufError, HearthError};

/// The largest header accepted (metadata + tensor index): a 256k-token vocabulary with its scores
/// and merges is ≈ 15 MB.
pub const MAX_HEADER: u64 = 64 << 20;

/// What a streaming load does with the pieces.
pub trait Sink {
    /// The header, parsed (its `tensor_data` is empty).
    fn header(&mut self, g: &Gguf<'_>) -> Result<(), HearthError>;
    /// One tensor's bytes (`t.n_bytes` of them), in file order.
    fn tensor(&mut self, t: &TensorInfo<'_>, bytes: Vec<u8>) -> Result<(), HearthError>;
}

/// One entry of the tensor index, owned (the header's bytes are dropped once it is parsed).
struct Entry {
    name: String,
    dims: Vec<u64>,
    ty: GgmlType,
    /// Where the tensor starts in the file.
    at: u64,
    n_bytes: u64,
}

pub struct TensorStream {
    file_len: u64,
    /// Bytes pushed so far.
    pos: u64,
    /// Until the header is whole: every byte so far.
    head: Option<Vec<u8>>,
    /// The tensors by file position; `next` is the one being gathered into `cur`.
    entries: Vec<Entry>,
    next: usize,
    cur: Vec<u8>,
    /// The most bytes held at once (the header, or the tensor being gathered).
    peak: usize,
}

impl TensorStream {
    pub fn new(file_len: u64) -> Self {
        TensorStream { file_len, pos: 0, head: Some(Vec::new()), entries: Vec::new(), next: 0, cur: Vec::new(), peak: 0 }
    }

    /// Bytes pushed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The most bytes this stream held at once: the header, or the largest tensor that did not
    /// come within one push.
    pub fn peak_held(&self) -> usize {
        self.peak
    }

    /// The file's next bytes, in order.
    pub fn push(&mut self, bytes: &[u8], sink: &mut dyn Sink) -> Result<(), HearthError> {
        if self.pos + bytes.len() as u64 > self.file_len {
            return Err(HearthError::BadModel(GgufError::Truncated { offset: self.pos, needed: bytes.len() as u64, len: self.file_len }));
        }
        let start = self.pos;
        self.pos += bytes.len() as u64;
        match self.head.take() {
            Some(mut head) => {
                head.extend_from_slice(bytes);
                self.peak = self.peak.max(head.len());
                match Gguf::parse_header(&head, self.file_len) {
                    Ok(g) => {
                        sink.header(&g)?;
                        let mut entries: Vec<Entry> = g
                            .tensors()
                            .iter()
                            .map(|t| Entry { name: t.name.to_string(), dims: t.dims.clone(), ty: t.ty, at: g.data_start() + t.offset, n_bytes: t.n_bytes })
                            .collect();
                        entries.sort_by_key(|e| e.at);
                        self.entries = entries;
                        // The tensors' bytes that came with the header.
                        self.feed(0, &head, sink)
                    }
                    // The header goes on past what has come: wait for more (within a bound).
                    Err(GgufError::Truncated { len, .. }) if len == head.len() as u64 && len < self.file_len => {
                        if len > MAX_HEADER {
                            return Err(HearthError::UnsupportedModel(format!("a GGUF header larger than {MAX_HEADER} bytes")));
                        }
                        self.head = Some(head);
                        Ok(())
                    }
                    Err(e) => Err(HearthError::BadModel(e)),
                }
            }
            None => self.feed(start, bytes, sink),
        }
    }

    /// `bytes` are the file's from `start` on: hand over every tensor they complete.
    fn feed(&mut self, start: u64, bytes: &[u8], sink: &mut dyn Sink) -> Result<(), HearthError> {
        let end = start + bytes.len() as u64;
        while let Some(e) = self.entries.get(self.next) {
            let have = self.cur.len() as u64;
            let from = e.at + have; // the next byte this tensor needs
            if from >= end {
                break;
            }
            if from < start {
                // It overlaps the tensor before it, whose bytes were handed over and are gone.
                return Err(HearthError::BadModel(GgufError::BadTensor { name: e.name.clone(), why: "overlaps the tensor before it".into() }));
            }
            let take = (e.n_bytes - have).min(end - from);
            if self.cur.is_empty() {
                self.cur.try_reserve_exact(e.n_bytes as usize).map_err(|_| HearthError::UnsupportedModel(format!("no memory for tensor {} ({} bytes)", e.name, e.n_bytes)))?;
            }
            let lo = (from - start) as usize;
            self.cur.extend_from_slice(&bytes[lo..lo + take as usize]);
            self.peak = self.peak.max(self.cur.len());
            if self.cur.len() as u64 == e.n_bytes {
                let t = TensorInfo { name: &e.name, dims: e.dims.clone(), ty: e.ty, offset: e.at, n_bytes: e.n_bytes };
                sink.tensor(&t, std::mem::take(&mut self.cur))?;
                self.next += 1;
            }
        }
        Ok(())
    }

    /// Every byte has come and every tensor was handed over.
    pub fn finish(&self) -> Result<(), HearthError> {
        if self.head.is_some() || self.next < self.entries.len() || self.pos < self.file_len {
            return Err(HearthError::BadModel(GgufError::Truncated { offset: self.pos, needed: self.file_len - self.pos, len: self.file_len }));
        }
        Ok(())
    }
}
