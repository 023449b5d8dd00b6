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
use std::sync::{Arc, OnceLock};
use tokenizers::{AddedToken, DecoderWrapper, ModelWrapper, NormalizerWrapper, PostProcessorWrapper, PreTokenizedString, PreTokenizer, SplitDelimiterBehavior, TokenizerImpl};

/// A pre-tokenizer shared by every tokenizer that uses it: the compiled Qwen2 split regex is built
/// once per process (tokenizers' `Split` recompiles its regex on every clone; it took 65 ms a load).
#[derive(Clone)]
struct SharedPre(Arc<PreTokenizerWrapper>);

impl PreTokenizer for SharedPre {
    fn pre_tokenize(&self, s: &mut PreTokenizedString) -> tokenizers::Result<()> {
        self.0.pre_tokenize(s)
    }
}

type Inner = TokenizerImpl<ModelWrapper, NormalizerWrapper, SharedPre, PostProcessorWrapper, DecoderWrapper>;

fn qwen2_pre() -> Result<SharedPre, HearthError> {
    static PRE: OnceLock<Result<SharedPre, String>> = OnceLock::new();
    PRE.get_or_init(|| {
        let split = Split::new(SplitPattern::Regex(QWEN2_SPLIT.into()), SplitDelimiterBehavior::Isolated, false).map_err(|e| e.to_string())?;
        let seq: PreTokenizerWrapper = Sequence::new(vec![split.into(), ByteLevel::new(false, false, false).into()]).into();
        Ok(SharedPre(Arc::new(seq)))
    })
    .clone()
    .map_err(HearthError::Tokenizer)
}

/// llama.cpp's token types (tokenizer.ggml.token_type).
const TYPE_CONTROL: i64 = 3;
const TYPE_USER_DEFINED: i64 = 4;
const TYPE_BYTE: i64 = 6;

/// Qwen2's pre-tokenizer split (as llama.cpp's LLAMA_VOCAB_PRE_TYPE_QWEN2).
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// Fill-in-the-middle special tokens. `prefix`, `suffix`, `middle` make the infill prompt;
/// `pad`, `repo`, `sep` end a generation (as llama.cpp's infill treats them) and mark files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FimTokens {
    pub prefix: u32,
    pub suffix: u32,
    pub middle: u32,
    pub pad: Option<u32>,
    pub repo: Option<u32>,
    pub sep: Option<u32>,
}

/// Vocabulary spellings of (prefix, suffix, middle, pad, repo name, file separator) per family,
/// used when the GGUF has no `tokenizer.ggml.fim_*_token_id` metadata.
const FIM_SPELLINGS: [[&str; 6]; 5] = [
    // Qwen2.5-Coder, CodeGemma (with <|file_separator|> as its separator)
    ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>"],
    // StarCoder / StarCoder2, SantaCoder, Refact
    ["<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<fim_pad>", "<reponame>", "<file_sep>"],
    // CodeLlama (sentencepiece spellings)
    ["▁<PRE>", "▁<SUF>", "▁<MID>", "", "", ""],
    // DeepSeek-Coder
    ["<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", "", "", ""],
    // CodeGemma's separator spelling
    ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>", "", "", "<|file_separator|>"],
];

/// End-of-text spellings that end a generation besides the metadata's eos/eot/eom (as
/// llama.cpp's vocabulary loader marks them): a FIM model ends an infill with these.
const EOG_SPELLINGS: [&str; 7] = ["<|endoftext|>", "<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<EOT>", "<｜end▁of▁sentence｜>"];

pub struct Tokenizer {
    /// Text as text: special tokens written in it are plain characters (the user's code).
    inner: Inner,
    /// Special tokens parsed: only for prompts hearth builds (and the golden fixtures' own).
    with_specials: Inner,
    pub fim: Option<FimTokens>,
    token_bytes: Vec<Vec<u8>>, // (n_vocab) the bytes each id stands for in output; empty for control tokens
    max_token_bytes: usize,    // the longest of them (≥ 1)
    spellable: [bool; 256],    // the vocabulary has a token for this byte on its own
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
        let shared = |p: PreTokenizerWrapper| SharedPre(Arc::new(p));
        let pre_tokenizer = match pre {
            "smollm" | "starcoder" | "refact" => shared(Sequence::new(vec![Digits::new(true).into(), ByteLevel::new(false, true, true).into()]).into()),
            "qwen2" => qwen2_pre()?,
            "default" | "gpt2" | "gpt-2" => shared(ByteLevel::new(false, true, true).into()),
            other => return Err(HearthError::UnsupportedModel(format!("pre-tokenizer '{other}'"))),
        };
        let mut inner = Inner::new(bpe.into());
        inner.with_pre_tokenizer(Some(pre_tokenizer));
        let specials: Vec<AddedToken> = tokens
            .iter()
            .zip(&types)
            .filter(|(_, &ty)| ty == TYPE_CONTROL || ty == TYPE_USER_DEFINED)
            .map(|(t, _)| AddedToken::from(t.to_string(), true))
            .collect();
        inner.add_special_tokens(specials).map_err(|e| HearthError::Tokenizer(e.to_string()))?;
        let with_specials = inner.clone();
        inner.set_encode_special_tokens(true); // specials in the text are encoded as its characters

        let unicode_to_byte = byte_level_decoder();
        let token_bytes: Vec<Vec<u8>> = tokens
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
        let by_text: HashMap<&str, u32> = tokens.iter().enumerate().map(|(i, t)| (&**t, i as u32)).collect();
        let fim = fim_tokens(&id, &by_text);
        let mut spellable = [false; 256];
        for (ch, &b) in &unicode_to_byte {
            spellable[b as usize] = by_text.contains_key(ch.to_string().as_str());
        }
        eog.extend(EOG_SPELLINGS.iter().filter_map(|t| by_text.get(t).copied()));
        if let Some(f) = fim {
            eog.extend([f.pad, f.repo, f.sep].into_iter().flatten());
        }
        eog.sort_unstable();
        eog.dedup();
        Ok(Tokenizer {
            inner,
            with_specials,
            fim,
            max_token_bytes: token_bytes.iter().map(Vec::len).max().unwrap_or(0).max(1),
            spellable,
            token_bytes,
            eog,
            bos: id("tokenizer.ggml.bos_token_id"),
            add_bos: g.get("tokenizer.ggml.add_bos_token").and_then(Value::as_bool).unwrap_or(false),
        })
    }

    /// Token ids for `text` as plain text: `<|im_start|>` or `<|fim_suffix|>` written in it are
    /// its characters, never special tokens (the user's code cannot steer the prompt). No BOS.
    /// A character the vocabulary cannot spell (SmolLM2's has no token for 21 of the 256 bytes,
    /// e.g. 0x1D) is encoded as `?`, never dropped: `decode(encode(t)) == spellable(t)`.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, HearthError> {
        let text = self.spellable(text);
        let enc = self.inner.encode(&*text, false).map_err(|e| HearthError::Tokenizer(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    /// `text` with each character whose UTF-8 bytes the vocabulary cannot all spell replaced by
    /// `?` (borrowed when there is none, which is nearly always).
    pub fn spellable<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if text.bytes().all(|b| self.spellable[b as usize]) {
            return std::borrow::Cow::Borrowed(text);
        }
        let mut buf = [0u8; 4];
        let ok = |c: char, buf: &mut [u8; 4]| c.encode_utf8(buf).bytes().all(|b| self.spellable[b as usize]);
        std::borrow::Cow::Owned(text.chars().map(|c| if ok(c, &mut buf) { c } else { '?' }).collect())
    }

    /// Token ids for a prompt hearth built, special tokens written in it parsed as such.
    pub fn encode_template(&self, text: &str) -> Result<Vec<u32>, HearthError> {
        let enc = self.with_specials.encode(text, false).map_err(|e| HearthError::Tokenizer(e.to_string()))?;
        Ok(enc.get_ids().to_vec())
    }

    /// The BOS a prompt starts with, when the model's metadata asks for one.
    pub fn bos_prefix(&self) -> Option<u32> {
        self.bos.filter(|_| self.add_bos)
    }

    pub fn n_vocab(&self) -> usize {
        self.token_bytes.len()
    }

    /// The bytes `id` contributes to generated text (empty for control tokens and bad ids).
    /// The most bytes of text one token stands for: `n` tokens never cover more than `n` times this.
    pub fn max_token_bytes(&self) -> usize {
        self.max_token_bytes
    }

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
pub(crate) fn byte_level_decoder() -> HashMap<char, u8> {
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

/// FIM ids from `tokenizer.ggml.fim_*_token_id` metadata, else from the vocabulary's spellings.
fn fim_tokens(meta: &dyn Fn(&str) -> Option<u32>, by_text: &HashMap<&str, u32>) -> Option<FimTokens> {
    let m = |k: &str| meta(&format!("tokenizer.ggml.fim_{k}_token_id"));
    if let (Some(prefix), Some(suffix), Some(middle)) = (m("pre"), m("suf"), m("mid")) {
        return Some(FimTokens { prefix, suffix, middle, pad: m("pad"), repo: m("rep"), sep: m("sep") });
    }
    let look = |t: &str| if t.is_empty() { None } else { by_text.get(t).copied() };
    FIM_SPELLINGS.iter().find_map(|s| {
        Some(FimTokens { prefix: look(s[0])?, suffix: look(s[1])?, middle: look(s[2])?, pad: look(s[3]), repo: look(s[4]), sep: look(s[5]) })
    })
}
