//! A tiny random model as a GGUF file: a byte-level BPE vocabulary (the 256 bytes, a few merges,
//! the end-of-text and, optionally, Qwen2.5-Coder's FIM tokens), `n_layer` layers of random
//! weights in one quantized format. It loads and runs in milliseconds: the fuzzer's seed files
//! and a whole model for tests of what a real one would make slow. Its output means nothing.

use super::Arch;
use crate::gguf::writer::Writer;
use crate::gguf::GgmlType;
use crate::tokenizer::byte_level_decoder;

#[derive(Debug, Clone, Copy)]
pub struct TinySpec {
    pub arch: Arch,
    /// The weight matrices' format: Q4_0, Q4_1, Q5_0, Q8_0 (32-wide rows), Q4_K, Q6_K (256-wide).
    pub weights: GgmlType,
    pub n_layer: usize,
    /// Add `<|fim_prefix|>` … `<|repo_name|>` to the vocabulary.
    pub fim: bool,
    /// Only tab, newline and printable ASCII in the byte vocabulary (smaller files: fuzzer
    /// seeds); other text is then a tokenizer error.
    pub ascii_only: bool,
    pub seed: u64,
}

impl TinySpec {
    pub fn new(arch: Arch, weights: GgmlType) -> Self {
        TinySpec { arch, weights, n_layer: 1, fim: arch == Arch::Qwen2, ascii_only: false, seed: 1 }
    }
}

const MERGES: [(&str, &str); 6] = [("Ġ", "t"), ("i", "n"), ("d", "e"), ("de", "f"), ("Ġ", "Ġ"), ("ĠĠ", "ĠĠ")];
const FIM: [&str; 6] = ["<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// Uniform in [-a, a).
    fn f32(&mut self, a: f32) -> f32 {
        ((self.next() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * a
    }
}

/// `rows × cols` weights in `ty`: random quants, every f16 scale a small finite value.
fn weights(rng: &mut Rng, ty: GgmlType, rows: usize, cols: usize) -> Vec<u8> {
    if ty == GgmlType::F32 {
        return (0..rows * cols).flat_map(|_| rng.f32(0.5).to_le_bytes()).collect();
    }
    let (block, block_bytes) = ty.block_geometry();
    let n_blocks = rows * cols / block as usize;
    // Byte offsets of each block's f16 scales (d, and m/dmin where the format has one).
    let scales: &[usize] = match ty {
        GgmlType::Q4_1 | GgmlType::Q4K => &[0, 2],
        GgmlType::Q6K => &[208],
        _ => &[0],
    };
    let mut out = Vec::with_capacity(n_blocks * block_bytes as usize);
    for _ in 0..n_blocks {
        let start = out.len();
        out.extend((0..block_bytes).map(|_| rng.next() as u8));
        for &at in scales {
            let v = half::f16::from_f32(0.002 + rng.f32(0.001).abs()).to_bits().to_le_bytes();
            out[start + at..start + at + 2].copy_from_slice(&v);
        }
    }
    out
}

/// `rows × cols` random weights in `ty` from `seed` (finite small scales): what the GPU
/// self-test (kernels/self_test.rs) runs each format's kernels on.
pub fn random_weights(seed: u64, ty: GgmlType, rows: usize, cols: usize) -> Vec<u8> {
    weights(&mut Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1), ty, rows, cols)
}

fn f32s(v: impl Iterator<Item = f32>) -> Vec<u8> {
    v.flat_map(f32::to_le_bytes).collect()
}

/// The model's GGUF bytes.
pub fn tiny_model(spec: &TinySpec) -> Vec<u8> {
    let mut rng = Rng(spec.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let (block, _) = spec.weights.block_geometry();
    let n_embd = block.max(32) as usize;
    let (n_head, n_head_kv, n_ff) = (4usize, 2usize, 2 * n_embd);
    let hd = n_embd / n_head;
    let arch = match spec.arch {
        Arch::Llama => "llama",
        Arch::Qwen2 => "qwen2",
    };

    // Vocabulary: the 256 byte characters in id order of their byte, merges, specials.
    let mut by_byte: Vec<(u8, char)> = byte_level_decoder().into_iter().map(|(c, b)| (b, c)).collect();
    by_byte.sort_unstable();
    if spec.ascii_only {
        by_byte.retain(|&(b, _)| b == b'\t' || b == b'\n' || (b' '..=b'~').contains(&b));
    }
    let mut tokens: Vec<String> = by_byte.iter().map(|&(_, c)| c.to_string()).collect();
    let mut types = vec![1i32; tokens.len()];
    for (a, b) in MERGES {
        tokens.push(format!("{a}{b}"));
        types.push(1);
    }
    let eos = tokens.len() as u32;
    tokens.push("<|endoftext|>".into());
    types.push(3);
    if spec.fim {
        for t in FIM {
            tokens.push(t.into());
            types.push(3);
        }
    }
    let n_vocab = tokens.len();
    let merges: Vec<String> = MERGES.iter().map(|(a, b)| format!("{a} {b}")).collect();

    let key = |k: &str| format!("{arch}.{k}");
    let mut w = Writer::new()
        .string("general.architecture", arch)
        .string("general.name", &format!("tiny-{arch}-{}", spec.weights.name()))
        .u32(&key("block_count"), spec.n_layer as u32)
        .u32(&key("context_length"), 256)
        .u32(&key("embedding_length"), n_embd as u32)
        .u32(&key("feed_forward_length"), n_ff as u32)
        .u32(&key("attention.head_count"), n_head as u32)
        .u32(&key("attention.head_count_kv"), n_head_kv as u32)
        .f32(&key("attention.layer_norm_rms_epsilon"), 1e-6)
        .f32(&key("rope.freq_base"), 10000.0)
        .string("tokenizer.ggml.model", "gpt2")
        .string("tokenizer.ggml.pre", if spec.arch == Arch::Qwen2 { "qwen2" } else { "smollm" })
        .strings("tokenizer.ggml.tokens", &tokens)
        .i32s("tokenizer.ggml.token_type", &types)
        .strings("tokenizer.ggml.merges", &merges)
        .u32("tokenizer.ggml.eos_token_id", eos)
        .bool("tokenizer.ggml.add_bos_token", false);

    let mat = |rng: &mut Rng, rows: usize, cols: usize| weights(rng, spec.weights, rows, cols);
    let dims = |rows: usize, cols: usize| [cols as u64, rows as u64];
    let ones = |n: usize| f32s((0..n).map(|_| 1.0));
    w = w.tensor("token_embd.weight", &dims(n_vocab, n_embd), spec.weights, &mat(&mut rng, n_vocab, n_embd));
    for i in 0..spec.n_layer {
        let t = |n: &str| format!("blk.{i}.{n}");
        let (q, kv) = (n_head * hd, n_head_kv * hd);
        w = w
            .tensor(&t("attn_norm.weight"), &[n_embd as u64], GgmlType::F32, &ones(n_embd))
            .tensor(&t("attn_q.weight"), &dims(q, n_embd), spec.weights, &mat(&mut rng, q, n_embd))
            .tensor(&t("attn_k.weight"), &dims(kv, n_embd), spec.weights, &mat(&mut rng, kv, n_embd))
            .tensor(&t("attn_v.weight"), &dims(kv, n_embd), spec.weights, &mat(&mut rng, kv, n_embd))
            .tensor(&t("attn_output.weight"), &dims(n_embd, q), spec.weights, &mat(&mut rng, n_embd, q))
            .tensor(&t("ffn_norm.weight"), &[n_embd as u64], GgmlType::F32, &ones(n_embd))
            .tensor(&t("ffn_gate.weight"), &dims(n_ff, n_embd), spec.weights, &mat(&mut rng, n_ff, n_embd))
            .tensor(&t("ffn_up.weight"), &dims(n_ff, n_embd), spec.weights, &mat(&mut rng, n_ff, n_embd))
            .tensor(&t("ffn_down.weight"), &dims(n_embd, n_ff), spec.weights, &mat(&mut rng, n_embd, n_ff));
        if spec.arch == Arch::Qwen2 {
            for (name, n) in [("attn_q.bias", q), ("attn_k.bias", kv), ("attn_v.bias", kv)] {
                let b = f32s((0..n).map(|_| rng.f32(0.1)));
                w = w.tensor(&t(name), &[n as u64], GgmlType::F32, &b);
            }
        }
    }
    w = w.tensor("output_norm.weight", &[n_embd as u64], GgmlType::F32, &ones(n_embd));
    if spec.arch == Arch::Qwen2 {
        // Untied, as Qwen2.5-Coder's: Q8_0 when the rows allow it.
        let ty = if n_embd.is_multiple_of(32) { GgmlType::Q8_0 } else { spec.weights };
        w = w.tensor("output.weight", &dims(n_vocab, n_embd), ty, &weights(&mut rng, ty, n_vocab, n_embd));
    }
    w.build()
}
