//! Any bytes as the user's text, through both catalog models' real tokenizers: plain encoding
//! decodes back to exactly the text (no byte lost: what a vocabulary cannot spell becomes `?`, no special token made from the user's text),
//! the streaming decoder agrees, and a FIM prompt cut to small limits stays within them.
#![no_main]

use hearth::gguf::Gguf;
use hearth::prompt::{build, PromptSpec};
use hearth::tokenizer::{StreamDecoder, Tokenizer};
use std::sync::OnceLock;

fn tokenizers() -> &'static [Tokenizer] {
    static T: OnceLock<Vec<Tokenizer>> = OnceLock::new();
    T.get_or_init(|| {
        hearth::catalog::MODELS
            .iter()
            .map(|m| {
                let bytes = std::fs::read(m.path()).unwrap_or_else(|e| panic!("{}: {e} (scripts/fetch-model.sh all)", m.path().display()));
                let g = Gguf::parse(&bytes).expect("catalog model parses");
                Tokenizer::from_gguf(&g).expect("catalog tokenizer")
            })
            .collect()
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for (tok, model) in tokenizers().iter().zip(hearth::catalog::MODELS) {
        let Ok(ids) = tok.encode(&text) else { continue };
        let text = tok.spellable(&text); // `?` for what the vocabulary cannot spell
        assert_eq!(tok.decode(&ids), text, "plain text round trip ({}: {ids:?})", model.id);
        let mut stream = StreamDecoder::default();
        let mut streamed: String = ids.iter().map(|&i| stream.push(tok.token_bytes(i))).collect();
        streamed.push_str(&stream.finish());
        assert_eq!(streamed, text, "streamed round trip");
        let _ = tok.encode_template(&text);

        let cut = data.first().map_or(0, |&b| b as usize * text.len() / 256);
        let cut = (0..=cut).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let mut spec = PromptSpec::new(&text[..cut], Some(&text[cut..]));
        spec.max_prefix_tokens = 24;
        spec.max_suffix_tokens = 8;
        let p = build(tok, &spec).expect("prompt");
        assert!(p.ids.len() <= 24 + 8 + 4, "{} ids", p.ids.len());
    }
});
