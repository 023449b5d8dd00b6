//! hearth: offline code completion — GGUF models on burn/wgpu with fused quantized WGSL kernels.
//!
//! Data flows one way: fetch → store → `gguf` → `quant` (repack) → `kernels`/`gpu` (upload) →
//! `model` → `sampler` → `engine` (stream). See ARCHITECTURE.md.

pub mod catalog;
pub mod cpu;
pub mod download_policy;
pub mod error;
pub mod gguf;
pub mod gpu;
#[cfg(feature = "gpu")]
pub mod kernels;
pub mod model;
pub mod quant;
pub mod reference;
pub mod sampler;
pub mod stop;
pub mod tokenizer;
pub mod backend;
pub mod engine;
#[cfg(feature = "gpu")]
pub mod loader;
pub mod prompt;
pub mod completion;
pub mod request;
pub mod speculate;
pub mod yield_now;

pub use error::{GgufError, HearthError, Result};
pub use engine::{Completion, CompletionRequest, Engine, StopReason};

#[cfg(target_family = "wasm")]
pub mod download;
#[cfg(target_family = "wasm")]
pub mod fetch;
#[cfg(target_family = "wasm")]
pub mod store;
#[cfg(target_family = "wasm")]
pub mod web;
