//! The model: configuration from metadata, weight views by name, and the burn decoder.

#[cfg(feature = "gpu")]
pub mod builder;
pub mod config;
#[cfg(feature = "gpu")]
mod embedding;
#[cfg(feature = "gpu")]
pub mod kv_cache;
#[cfg(feature = "gpu")]
mod linear;
#[cfg(feature = "gpu")]
pub mod llama;
pub mod tiny;
pub mod weights;

pub use config::{Arch, Config, RopeStyle};
#[cfg(feature = "gpu")]
pub use kv_cache::KvCache;
#[cfg(feature = "gpu")]
pub use llama::Llama;
#[cfg(feature = "gpu")]
pub use embedding::Embedding;
pub use weights::{LayerRefs, ModelRefs, WeightRef};
