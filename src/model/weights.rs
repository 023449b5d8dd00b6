//! The one file that knows GGUF tensor names: it maps a parsed file (or the tensors a streaming
//! load holds) onto the model's weights as borrowed, shape-checked views. Nothing here touches the
//! GPU.

use super::config::Config;
use crate::error::{GgufError, HearthError};
use crate::gguf::{GgmlType, Gguf};

/// A tensor found by name: its GGUF type, dims (`dims[0]` the contiguous axis) and bytes.
pub struct Found<'a> {
    pub name: &'a str,
    pub ty: GgmlType,
    pub dims: Vec<u64>,
    pub bytes: &'a [u8],
}

/// Where weights are looked up by name: a whole parsed file, or the tensors a streaming load
/// holds for one layer (`model::builder`).
pub trait Tensors<'a> {
    fn find(&self, name: &str) -> Option<Found<'a>>;
}

impl<'a> Tensors<'a> for Gguf<'a> {
    fn find(&self, name: &str) -> Option<Found<'a>> {
        let t = self.tensor(name)?;
        Some(Found { name: t.name, ty: t.ty, dims: t.dims.clone(), bytes: self.tensor_data(t) })
    }
}

/// What a tensor is to the model, by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    TokenEmbd,
    OutputNorm,
    Output,
    /// A tensor of layer `i` (one of `LAYER_TENSORS`).
    Layer(usize),
    /// Not read by this model.
    Unused,
}

/// The tensors of a layer this model reads, after `blk.{i}.` (the biases: qwen2 only).
pub const LAYER_TENSORS: [&str; 12] = [
    "attn_norm.weight",
    "attn_q.weight",
    "attn_k.weight",
    "attn_v.weight",
    "attn_q.bias",
    "attn_k.bias",
    "attn_v.bias",
    "attn_output.weight",
    "ffn_norm.weight",
    "ffn_gate.weight",
    "ffn_up.weight",
    "ffn_down.weight",
];

pub fn role(name: &str, n_layer: usize) -> Role {
    match name {
        "token_embd.weight" => Role::TokenEmbd,
        "output_norm.weight" => Role::OutputNorm,
        "output.weight" => Role::Output,
        _ => {
            let layer = name.strip_prefix("blk.").and_then(|r| r.split_once('.')).and_then(|(i, rest)| Some((i.parse::<usize>().ok()?, rest)));
            match layer {
                Some((i, rest)) if i < n_layer && LAYER_TENSORS.contains(&rest) => Role::Layer(i),
                _ => Role::Unused,
            }
        }
    }
}

/// A borrowed weight tensor: GGUF type, logical shape (rows = outputs, cols = inputs), bytes.
#[derive(Clone, Copy)]
pub struct WeightRef<'a> {
    pub name: &'a str,
    pub ty: GgmlType,
    pub rows: usize,
    pub cols: usize,
    pub bytes: &'a [u8],
}

pub struct LayerRefs<'a> {
    pub attn_norm: WeightRef<'a>, // (n_embd)
    pub wq: WeightRef<'a>,        // (n_head * head_dim, n_embd)
    pub wk: WeightRef<'a>,        // (n_head_kv * head_dim, n_embd)
    pub wv: WeightRef<'a>,        // (n_head_kv * head_dim, n_embd)
    pub bq: Option<WeightRef<'a>>, // (n_head * head_dim)     qwen2
    pub bk: Option<WeightRef<'a>>, // (n_head_kv * head_dim)  qwen2
    pub bv: Option<WeightRef<'a>>, // (n_head_kv * head_dim)  qwen2
    pub wo: WeightRef<'a>,        // (n_embd, n_head * head_dim)
    pub ffn_norm: WeightRef<'a>,  // (n_embd)
    pub w_gate: WeightRef<'a>,    // (n_ff, n_embd)
    pub w_up: WeightRef<'a>,      // (n_ff, n_embd)
    pub w_down: WeightRef<'a>,    // (n_embd, n_ff)
}

pub struct ModelRefs<'a> {
    pub token_embd: WeightRef<'a>, // (n_vocab, n_embd)
    pub layers: Vec<LayerRefs<'a>>,
    pub output_norm: WeightRef<'a>, // (n_embd)
    /// `output.weight`, or the token embedding when tied. (n_vocab, n_embd)
    pub output: WeightRef<'a>,
}

impl<'a> ModelRefs<'a> {
    pub fn new(g: &Gguf<'a>, c: &Config) -> Result<Self, HearthError> {
        let layers = (0..c.n_layer).map(|i| LayerRefs::new(g, c, i)).collect::<Result<_, _>>()?;
        let token_embd = token_embd(g, c)?;
        let output = output(g, c)?.unwrap_or(token_embd);
        Ok(ModelRefs { token_embd, layers, output_norm: output_norm(g, c)?, output })
    }
}

impl<'a> LayerRefs<'a> {
    /// Layer `i`'s weights from `t`.
    pub fn new(t: &impl Tensors<'a>, c: &Config, i: usize) -> Result<Self, HearthError> {
        let q_dim = c.n_head * c.head_dim;
        let kv_dim = c.n_head_kv * c.head_dim;
        let w = |name: &str, rows, cols| get(t, &format!("blk.{i}.{name}.weight"), rows, cols);
        let b = |name: &str, rows| opt(t, &format!("blk.{i}.{name}.bias"), rows, 1);
        Ok(LayerRefs {
            attn_norm: w("attn_norm", c.n_embd, 1)?,
            wq: w("attn_q", q_dim, c.n_embd)?,
            wk: w("attn_k", kv_dim, c.n_embd)?,
            wv: w("attn_v", kv_dim, c.n_embd)?,
            bq: b("attn_q", q_dim)?,
            bk: b("attn_k", kv_dim)?,
            bv: b("attn_v", kv_dim)?,
            wo: w("attn_output", c.n_embd, q_dim)?,
            ffn_norm: w("ffn_norm", c.n_embd, 1)?,
            w_gate: w("ffn_gate", c.n_ff, c.n_embd)?,
            w_up: w("ffn_up", c.n_ff, c.n_embd)?,
            w_down: w("ffn_down", c.n_embd, c.n_ff)?,
        })
    }
}

/// `token_embd.weight` (n_vocab, n_embd).
pub fn token_embd<'a>(t: &impl Tensors<'a>, c: &Config) -> Result<WeightRef<'a>, HearthError> {
    get(t, "token_embd.weight", c.n_vocab, c.n_embd)
}

/// `output.weight` (n_vocab, n_embd); none when the output is tied to the token embedding.
pub fn output<'a>(t: &impl Tensors<'a>, c: &Config) -> Result<Option<WeightRef<'a>>, HearthError> {
    opt(t, "output.weight", c.n_vocab, c.n_embd)
}

/// `output_norm.weight` (n_embd).
pub fn output_norm<'a>(t: &impl Tensors<'a>, c: &Config) -> Result<WeightRef<'a>, HearthError> {
    get(t, "output_norm.weight", c.n_embd, 1)
}

/// Tensor `name`, which must hold `rows × cols` elements laid out as GGUF [cols, rows]
/// (a vector is rows × 1 and GGUF [rows]).
fn get<'a>(t: &impl Tensors<'a>, name: &str, rows: usize, cols: usize) -> Result<WeightRef<'a>, HearthError> {
    opt(t, name, rows, cols)?.ok_or_else(|| {
        HearthError::BadModel(GgufError::BadTensor { name: name.to_string(), why: "missing".into() })
    })
}

fn opt<'a>(t: &impl Tensors<'a>, name: &str, rows: usize, cols: usize) -> Result<Option<WeightRef<'a>>, HearthError> {
    let Some(f) = t.find(name) else { return Ok(None) };
    let expect: Vec<u64> = if cols == 1 { vec![rows as u64] } else { vec![cols as u64, rows as u64] };
    if f.dims != expect {
        return Err(HearthError::BadModel(GgufError::BadTensor {
            name: name.to_string(),
            why: format!("shape {:?}, expected {expect:?}", f.dims),
        }));
    }
    Ok(Some(WeightRef { name: f.name, ty: f.ty, rows, cols, bytes: f.bytes }))
}
