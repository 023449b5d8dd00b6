//! The CPU backend, for browsers without WebGPU (and natively: tests, the CLI): the same
//! llama/qwen2 graph in plain Rust, with the quantized weights read in place. Two numerics
//! (`Numerics`): `Int8` (default) quantizes each matmul's input to 8 bits per 32 values and
//! multiplies in integers (`q8_dot`: wasm simd128, x86_64 SSE2), as llama.cpp does on CPUs;
//! `Exact` keeps f32 activations (`quant_dot`) and is held to the golden fixtures like the GPU
//! model, `Int8` to the same fixtures with its own limits. Rows split over `pool`'s threads.

pub mod attention;
pub mod kv_cache;
pub mod llama;
pub mod matrix;
pub mod pool;
pub mod q8_dot;
pub mod quant_dot;
pub mod team;

pub use kv_cache::CpuKvCache;
pub use llama::{CpuLlama, CpuOptions};
pub use matrix::Numerics;
