//! Tokenizer built from the GGUF's `tokenizer.ggml.*` vocabulary and merges with the `tokenizers`
//! crate (byte-level BPE and the model's pre-tokenizer), and a streaming decoder that never
//! emits half a UTF-8 character. Special and end-of-generation ids come from metadata.

use crate::error::{GgufError, HearthError};
use crate::gguf::{Gguf, Value};
use std::collections::HashMap;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::{AddedToken, SplitDelimiterBehavior};

/// llama.cpp's token types (tokenizer.ggml.token_type).
const TYPE_CONTROL: i64 = 3;
const TYPE_USER_DEFINED: i64 = 4;
const TYPE_BYTE: i64 = 6;

/// Qwen2's pre-tokenizer split (as llama.cpp's LLAMA_VOCAB_PRE_TYPE_QWEN2).
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    token_bytes: Vec<Vec<u8>>, // (n_vocab) the bytes each id stands for in output; empty for control tokens
    eog: Vec<u32>,
    pub bos: Option<u32>,
    pub add_bos: bool,
}

impl Tokenizer {
    pub fn from_gguf(g: &Gguf<'_>) -> Result<Self, HearthError> {
        let model = g.get("tokenizer.ggml.model").and_then(Value::as_str).unwrap_or("");
        if model != "gpt2" {
            return Err(HearthError::UnsupportedModel(format!("tokenizer model '{model}' (byte-level BPE 'gpt2' is supported)")));
        }
        let tokens = strings(g, "tokenizer.ggml.tokens")?;
        let merges = strings(g, "tokenizer.ggml.merges")?;
        let types: Vec<i64> = match g.get("tokenizer.ggml.token_type").and_then(Value::as_array) {
            Some(a) => a.iter().map(|v| v.as_u64().map(|x| x as i64).unwrap_or(1)).collect(),
            None => vec![1; tokens.len()],
        };
        if types.len() != tokens.len() {
            return Err(bad("tokenizer.ggml.token_type", "length differs from tokenizer.ggml.tokens"));
        }

        let vocab: tokenizers::models::bpe::Vocab =
            tokens.iter().enumerate().map(|(i, t)| (t.to_string(), i as u32)).collect();
        let merges: Vec<(String, String)> = merges
            .iter()
            .map(|m| m.split_once(' ').map(|(a, b)| (a.to_string(), b.to_string())).ok_or_else(|| bad("tokenizer.ggml.merges", "a merge without a space")))
            .collect::<Result<_, _>>()?;
        let bpe = BPE::builder().vocab_and_merges(vocab, merges).build().map_err(|e| HearthError::Tokenizer(e.to_string()))?;

        let pre = g.get("tokenizer.ggml.pre").and_then(Value::as_str).unwrap_or("default");
        let pre_tokenizer: PreTokenizerWrapper = match pre {
            "smollm" | "starcoder" | "refact" => Sequence::new(vec![Digits::new(true).into(), ByteLevel::new(false, true, true).into()]).into(),
            "qwen2" => {
                let split = Split::new(SplitPattern::Regex(QWEN2_SPLIT.into()), SplitDelimiterBehavior::Isolated, false)
                    .map_err(|e| HearthError::Tokenizer(e.to_string()))?;
                Sequence::new(vec![split.into(), ByteLevel::new(false, false, false).into()]).into()
            }
            "default" | "gpt2" | "gpt-2" => ByteLevel::new(false, true, true).into(),
            other => return Err(HearthError::UnsupportedModel(format!("pre-tokenizer '{other}'"))),
        };
        let mut inner = tokenizers::Tokenizer::new(bpe);
        inner.with_pre_tokenizer(Some(pre_tokenizer));
        let specials: Vec<AddedToken> = tokens
            .iter()
            .zip(&types)
            .filter(|(_, &ty)| ty == TYPE_CONTROL || ty == TYPE_USER_DEFINED)
            .map(|(t, _)| AddedToken::from(t.to_string(), true))
            .collect();
        inner.add_special_tokens(specials).map_err(|e| HearthError::Tokenizer(e.to_string()))?;

        let unicode_to_byte = byte_level_decoder();
        let token_bytes = tokens
            .iter()
            .zip(&types)
            .map(|(t, &ty)| match ty {
                TYPE_CONTROL => Vec::new(),
                TYPE_USER_DEFINED => t.as_bytes().to_vec(),
                TYPE_BYTE => parse_byte_token(t).map(|b| vec![b]).unwrap_or_default(),
                _ => t.chars().flat_map(|ch| match unicode_to_byte.get(&ch) {
                    Some(&b) => vec![b],
                    None => ch.to_string().into_bytes(),
                }).collect(),
            })
            .collect();

        let id = |k: &str| g.get(k).and_then(Value::as_u64).filter(|&i| (i as usize) < tokens.len()).map(|i| i as u32);
        let mut eog: Vec<u32> = ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"]
            .iter()
            .filter_map(|k| id(k))
            .collect();
        eog.dedup();
        Ok(Tokenizer {
            inner,
            token_bytes,
            eog,
            bos: id("tokenizer.ggml.bos_token_id"),
            add_bos: g.get("tokenizer.ggml.add_bos_token").and_then(Value::as_bool).unwrap_or(false),
        })
    }

    /// Token ids for `text`; special tokens written in the text are parsed as such.
    /// A BOS is prepended when the model's metadata asks for one.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, HearthError> {
        let enc = self.inner.encode(text, false).map_err(|e| HearthError::Tokenizer(e.to_string()))?;
        let mut ids = Vec::with_capacity(enc.len() + 1);
        if let (true, Some(bos)) = (self.add_bos, self.bos) {
            ids.push(bos);
        }
        ids.extend_from_slice(enc.get_ids());
        Ok(ids)
    }

    pub fn n_vocab(&self) -> usize {
        self.token_bytes.len()
    }

    /// The bytes `id` contributes to generated text (empty for control tokens and bad ids).
    pub fn token_bytes(&self, id: u32) -> &[u8] {
        self.token_bytes.get(id as usize).map(Vec::as_slice).unwrap_or(&[])
    }

    /// End-of-generation ids from metadata (eos, eot, eom).
    pub fn eog_ids(&self) -> &[u32] {
        &self.eog
    }

    pub fn is_eog(&self, id: u32) -> bool {
        self.eog.contains(&id)
    }

    /// Whole-sequence decode; invalid UTF-8 becomes U+FFFD.
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids.iter().flat_map(|&i| self.token_bytes(i).iter().copied()).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Turns a stream of token bytes into text, holding back an incomplete UTF-8 sequence until
/// the bytes that complete it arrive.
#[derive(Default)]
pub struct StreamDecoder {
    pending: Vec<u8>,
}

impl StreamDecoder {
    /// Add a token's bytes; returns the text that is now complete.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    out.push_str(s);
                    self.pending.clear();
                    return out;
                }
                Err(e) => {
                    let good = e.valid_up_to();
                    out.push_str(std::str::from_utf8(&self.pending[..good]).unwrap_or_default());
                    match e.error_len() {
                        // invalid bytes in the middle: replace them and go on
                        Some(bad) => {
                            out.push('\u{FFFD}');
                            self.pending.drain(..good + bad);
                        }
                        // an incomplete sequence at the end: wait for more
                        None => {
                            self.pending.drain(..good);
                            return out;
                        }
                    }
                }
            }
        }
    }

    /// End of stream: whatever is held back, with incomplete sequences replaced.
    pub fn finish(&mut self) -> String {
        let out = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        out
    }
}

/// GPT-2's byte-to-unicode table, inverted: the printable character standing for each byte.
fn byte_level_decoder() -> HashMap<char, u8> {
    let mut printable: Vec<u32> = (b'!' as u32..=b'~' as u32).chain(0xA1..=0xAC).chain(0xAE..=0xFF).collect();
    let mut chars: Vec<u32> = printable.clone();
    let mut n = 0;
    for b in 0..256u32 {
        if !printable.contains(&b) {
            printable.push(b);
            chars.push(256 + n);
            n += 1;
        }
    }
    printable.iter().zip(&chars).filter_map(|(&b, &c)| char::from_u32(c).map(|ch| (ch, b as u8))).collect()
}

/// "<0x0A>" → 0x0A
fn parse_byte_token(t: &str) -> Option<u8> {
    let hex = t.strip_prefix("<0x")?.strip_suffix('>')?;
    u8::from_str_radix(hex, 16).ok()
}

fn strings<'a>(g: &Gguf<'a>, key: &str) -> Result<Vec<&'a str>, HearthError> {
    let arr = g.get(key).and_then(Value::as_array).ok_or_else(|| bad(key, "missing or not an array"))?;
    arr.iter().map(|v| v.as_str().ok_or_else(|| bad(key, "an element is not a string"))).collect()
}

fn bad(key: &str, why: &str) -> HearthError {
    HearthError::BadModel(GgufError::BadMetadata { key: key.to_string(), why: why.to_string() })
}
