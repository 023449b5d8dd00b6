//! The one file that knows GGUF tensor names: it maps a parsed file onto the model's weights
//! as borrowed, shape-checked views. Nothing here touches the GPU.

use super::config::Config;
use crate::error::{GgufError, HearthError};
use crate::gguf::{GgmlType, Gguf};

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
        let q_dim = c.n_head * c.head_dim;
        let kv_dim = c.n_head_kv * c.head_dim;
        let mut layers = Vec::with_capacity(c.n_layer);
        for i in 0..c.n_layer {
            let w = |name: &str, rows, cols| get(g, &format!("blk.{i}.{name}.weight"), rows, cols);
            let b = |name: &str, rows| opt(g, &format!("blk.{i}.{name}.bias"), rows, 1);
            layers.push(LayerRefs {
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
            });
        }
        let token_embd = get(g, "token_embd.weight", c.n_vocab, c.n_embd)?;
        let output = opt(g, "output.weight", c.n_vocab, c.n_embd)?.unwrap_or(token_embd);
        Ok(ModelRefs { token_embd, layers, output_norm: get(g, "output_norm.weight", c.n_embd, 1)?, output })
    }
}

/// Tensor `name`, which must hold `rows × cols` elements laid out as GGUF [cols, rows]
/// (a vector is rows × 1 and GGUF [rows]).
fn get<'a>(g: &Gguf<'a>, name: &str, rows: usize, cols: usize) -> Result<WeightRef<'a>, HearthError> {
    opt(g, name, rows, cols)?.ok_or_else(|| {
        HearthError::BadModel(GgufError::BadTensor { name: name.to_string(), why: "missing".into() })
    })
}

fn opt<'a>(g: &Gguf<'a>, name: &str, rows: usize, cols: usize) -> Result<Option<WeightRef<'a>>, HearthError> {
    let Some(t) = g.tensor(name) else { return Ok(None) };
    let expect: Vec<u64> = if cols == 1 { vec![rows as u64] } else { vec![cols as u64, rows as u64] };
    if t.dims != expect {
        return Err(HearthError::BadModel(GgufError::BadTensor {
            name: name.to_string(),
            why: format!("shape {:?}, expected {expect:?}", t.dims),
        }));
    }
    Ok(Some(WeightRef { name: t.name, ty: t.ty, rows, cols, bytes: g.tensor_data(t) }))
}
