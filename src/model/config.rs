//! Model hyper-parameters read from GGUF metadata (`{arch}.*` keys), for the llama and qwen2 graphs.

use crate::error::{GgufError, HearthError};
use crate::gguf::Gguf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    Llama,
    Qwen2,
}

/// How RoPE pairs dimensions, as llama.cpp applies it per architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopeStyle {
    /// llama: adjacent pairs (x[2i], x[2i+1]).
    Norm,
    /// qwen2: halves (x[i], x[i + n_rot/2]).
    Neox,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub arch: Arch,
    pub n_layer: usize,
    pub n_embd: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    pub head_dim: usize,
    pub n_ff: usize,
    pub n_vocab: usize,
    /// Context length the model was trained for.
    pub n_ctx_train: usize,
    pub rope_base: f64,
    pub rope: RopeStyle,
    pub rms_eps: f64,
}

/// Hyper-parameters whose presence changes the graph in ways hearth does not implement yet.
const UNSUPPORTED_KEYS: [&str; 7] = [
    "rope.scaling.type",
    "rope.scaling.factor",
    "attention.scale",
    "attention.sliding_window",
    "logit_scale",
    "embedding_scale",
    "residual_scale",
];

impl Config {
    pub fn from_gguf(g: &Gguf<'_>) -> Result<Self, HearthError> {
        let arch_name = g
            .get("general.architecture")
            .and_then(|v| v.as_str())
            .ok_or_else(|| missing("general.architecture"))?;
        let (arch, rope) = match arch_name {
            "llama" => (Arch::Llama, RopeStyle::Norm),
            "qwen2" => (Arch::Qwen2, RopeStyle::Neox),
            other => return Err(HearthError::UnsupportedModel(format!("architecture '{other}'"))),
        };
        let key = |k: &str| format!("{arch_name}.{k}");
        let int = |k: &str| -> Result<usize, HearthError> {
            let v = g.get(&key(k)).ok_or_else(|| missing(&key(k)))?;
            v.as_u64()
                .filter(|&n| n > 0 && n < 1 << 24)
                .map(|n| n as usize)
                .ok_or_else(|| bad(&key(k), format!("{v:?} is not a positive count")))
        };
        let float = |k: &str| g.get(&key(k)).and_then(|v| v.as_f64());
        for k in UNSUPPORTED_KEYS {
            if g.get(&key(k)).is_some() {
                return Err(HearthError::UnsupportedModel(format!("{} is set", key(k))));
            }
        }
        let n_embd = int("embedding_length")?;
        let n_head = int("attention.head_count")?;
        let n_head_kv = if g.get(&key("attention.head_count_kv")).is_some() { int("attention.head_count_kv")? } else { n_head };
        let head_dim = if g.get(&key("attention.key_length")).is_some() { int("attention.key_length")? } else { n_embd / n_head };
        let n_rot = if g.get(&key("rope.dimension_count")).is_some() { int("rope.dimension_count")? } else { head_dim };
        if n_rot != head_dim || head_dim % 2 != 0 {
            return Err(HearthError::UnsupportedModel(format!("partial rotary (n_rot {n_rot}, head_dim {head_dim})")));
        }
        if n_head % n_head_kv != 0 {
            return Err(bad(&key("attention.head_count_kv"), format!("{n_head} heads are not a multiple of {n_head_kv}")));
        }
        let vocab = g.tensor("token_embd.weight").map(|t| t.dims.get(1).copied().unwrap_or(0) as usize);
        Ok(Config {
            arch,
            n_layer: int("block_count")?,
            n_embd,
            n_head,
            n_head_kv,
            head_dim,
            n_ff: int("feed_forward_length")?,
            n_vocab: vocab.ok_or_else(|| missing("tensor token_embd.weight"))?,
            n_ctx_train: int("context_length")?,
            rope_base: float("rope.freq_base").unwrap_or(10000.0),
            rope,
            rms_eps: float("attention.layer_norm_rms_epsilon").ok_or_else(|| missing(&key("attention.layer_norm_rms_epsilon")))?,
        })
    }
}

fn missing(key: &str) -> HearthError {
    HearthError::BadModel(GgufError::BadMetadata { key: key.to_string(), why: "missing".into() })
}

fn bad(key: &str, why: String) -> HearthError {
    HearthError::BadModel(GgufError::BadMetadata { key: key.to_string(), why })
}
