//! The model: configuration from metadata, weight views by name, and the burn decoder.

pub mod config;
mod embedding;
pub mod kv_cache;
mod linear;
pub mod llama;
pub mod weights;

pub use config::{Arch, Config, RopeStyle};
pub use kv_cache::KvCache;
pub use llama::Llama;
pub use embedding::Embedding;
pub use weights::{LayerRefs, ModelRefs, WeightRef};
