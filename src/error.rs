//! The one error type of hearth: every failure carries a stable, machine-readable code.

use thiserror::Error;

/// Why a GGUF file was refused. Each variant is a distinct, testable cause.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GgufError {
    #[error("not a GGUF file (magic {0:#010x})")]
    BadMagic(u32),
    #[error("GGUF version {0} is not supported (2 and 3 are)")]
    UnsupportedVersion(u32),
    #[error("file ends early: needed {needed} bytes at offset {offset}, file has {len}")]
    Truncated { offset: u64, needed: u64, len: u64 },
    #[error("{what} = {value} exceeds the limit {limit}")]
    LimitExceeded { what: &'static str, value: u64, limit: u64 },
    #[error("unknown metadata value type {0}")]
    BadValueType(u32),
    #[error("string is not valid UTF-8 at offset {0}")]
    BadUtf8(u64),
    #[error("duplicate {what} '{name}'")]
    Duplicate { what: &'static str, name: String },
    #[error("tensor '{name}': {why}")]
    BadTensor { name: String, why: String },
    #[error("metadata key '{key}': {why}")]
    BadMetadata { key: String, why: String },
}

/// Every error hearth returns. `code()` is stable and is what callers (CLI, JS API) match on.
#[derive(Debug, Error)]
pub enum HearthError {
    #[error("bad model file: {0}")]
    BadModel(#[from] GgufError),
    #[error("unsupported quantization type {0}")]
    UnsupportedQuant(String),
    #[error("unsupported model: {0}")]
    UnsupportedModel(String),
    #[error("no usable GPU adapter: {0}")]
    GpuUnavailable(String),
    #[error("GPU device lost: {0}")]
    DeviceLost(String),
    #[error("prompt and completion need {needed} tokens but the context holds {limit}")]
    ContextOverflow { needed: usize, limit: usize },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("aborted")]
    Aborted,
    #[error("not enough storage: {0}")]
    StorageQuota(String),
    #[error("download failed: {0}")]
    DownloadFailed(String),
    #[error("cached model is corrupt: {0}")]
    CorruptCache(String),
    #[error("storage: {0}")]
    Storage(String),
}

impl HearthError {
    /// Stable error code, shared with the JS API.
    pub fn code(&self) -> &'static str {
        match self {
            HearthError::BadModel(_) => "bad_model",
            HearthError::UnsupportedQuant(_) => "unsupported_quant",
            HearthError::UnsupportedModel(_) => "unsupported_model",
            HearthError::GpuUnavailable(_) => "webgpu_unavailable",
            HearthError::DeviceLost(_) => "device_lost",
            HearthError::ContextOverflow { .. } => "context_overflow",
            HearthError::InvalidRequest(_) => "invalid_request",
            HearthError::Tokenizer(_) => "tokenizer",
            HearthError::Io(_) => "io",
            HearthError::Aborted => "aborted",
            HearthError::StorageQuota(_) => "storage_quota",
            HearthError::DownloadFailed(_) => "download_failed",
            HearthError::CorruptCache(_) => "corrupt_cache",
            HearthError::Storage(_) => "storage",
        }
    }
}

pub type Result<T, E = HearthError> = std::result::Result<T, E>;
