//! The CPU backend, for browsers without WebGPU (and natively, for tests): the same llama/qwen2
//! graph in plain Rust, f32 throughout, with the quantized weights read in place by `quant_dot`
//! (wasm `simd128`). Its results are held to the same golden fixtures as the GPU model.

pub mod attention;
pub mod kv_cache;
pub mod llama;
pub mod matrix;
pub mod quant_dot;

pub use kv_cache::CpuKvCache;
pub use llama::CpuLlama;
