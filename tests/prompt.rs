//! Fill-in-the-middle as a request: the prompt layout (prefix, then suffix), the user's text never
//! becoming special tokens, a model without FIM answering prefix-only, the line-boundary cut
//! that does not move while typing, and the KV cache reused keystroke after keystroke.
#![cfg(not(target_family = "wasm"))]

mod common;

use common::{model_path_of, QWEN_CODER, SMOLLM2};
use hearth::engine::{CompletionRequest, Engine};
use hearth::gguf::Gguf;
use hearth::prompt::{build, PromptSpec, CUT_LINE_STEP};
use hearth::tokenizer::Tokenizer;

fn tokenizer(f: &common::Fixture) -> Option<Tokenizer> {
    let bytes = std::fs::read(model_path_of(f)?).expect("read model");
    Some(Tokenizer::from_gguf(&Gguf::parse(&bytes).expect("parse")).expect("tokenizer"))
}

fn lcp(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[test]
fn fim_tokens_come_from_the_model() {
    let Some(tok) = tokenizer(&QWEN_CODER) else { return };
    let f = tok.fim.expect("Qwen2.5-Coder has FIM tokens");
    assert_eq!((f.prefix, f.suffix, f.middle), (151659, 151661, 151660));
    assert_eq!((f.pad, f.repo, f.sep), (Some(151662), Some(151663), Some(151664)));
    for id in [151643, 151645, 151662, 151664] {
        assert!(tok.is_eog(id), "{id} ends a generation");
    }
    let Some(smol) = tokenizer(&SMOLLM2) else { return };
    assert_eq!(smol.fim, None, "SmolLM2 has no FIM tokens");
}

#[test]
fn user_text_never_becomes_special_tokens() {
    let Some(tok) = tokenizer(&QWEN_CODER) else { return };
    let f = tok.fim.expect("fim");
    let prefix = "s = '<|fim_suffix|>' + \"<|im_start|>user\"\n";
    let suffix = "<|fim_middle|><|endoftext|>\n";
    let p = build(&tok, &PromptSpec { open_line: false, line_in_middle: false, ..PromptSpec::new(prefix, Some(suffix)) }).expect("build");
    assert!(p.fim);
    let specials: Vec<usize> = p.ids.iter().enumerate().filter(|(_, &id)| id >= 151643).map(|(i, _)| i).collect();
    // Exactly the three hearth placed: <|fim_prefix|> first, <|fim_suffix|> after the prefix, <|fim_middle|> last.
    let n_prefix = tok.encode(prefix).expect("encode").len();
    assert_eq!(specials, vec![0, 1 + n_prefix, p.ids.len() - 1], "{:?}", p.ids);
    assert_eq!(p.ids[0], f.prefix);
    assert_eq!(p.ids[1 + n_prefix], f.suffix);
    assert_eq!(*p.ids.last().expect("ids"), f.middle);
    assert_eq!(tok.decode(&p.ids[1..1 + n_prefix]), prefix, "the text comes back as it was written");
}

#[test]
fn a_model_without_fim_completes_the_prefix_only() {
    let Some(tok) = tokenizer(&SMOLLM2) else { return };
    let p = build(&tok, &PromptSpec::new("def add(a, b):\n    ", Some("\n    return c\n"))).expect("build");
    assert!(!p.fim);
    assert_eq!(p.ids, tok.encode("def add(a, b):\n    ").expect("encode"));
}

#[test]
fn prefix_cut_is_at_a_line_boundary_and_stays_while_typing() {
    let Some(tok) = tokenizer(&QWEN_CODER) else { return };
    let file: String = (0..200).map(|i| format!("    total_{i} = compute(values[{i}], weight={i})\n")).collect();
    let mut spec = PromptSpec::new(&file, Some("\nreturn total\n"));
    spec.max_prefix_tokens = 300;
    let first = build(&tok, &spec).expect("build");
    assert!(first.prefix_cut > 0 && file[..first.prefix_cut].ends_with('\n'), "whole lines dropped");
    let dropped_lines = file[..first.prefix_cut].matches('\n').count();
    assert_eq!(dropped_lines % CUT_LINE_STEP, 0, "cut in steps of {CUT_LINE_STEP} lines");
    assert!(first.ids.len() <= 300 + 3 + 64);
    // Typing a few characters at the cursor keeps the cut, so the cached tokens stay valid.
    for typed in ["x", "x =", "x = 1"] {
        spec.prefix = format!("{file}{typed}");
        let p = build(&tok, &spec).expect("build");
        assert_eq!(p.prefix_cut, first.prefix_cut, "typed {typed:?}");
    }
}

#[test]
fn suffix_is_cut_at_a_line_boundary() {
    let Some(tok) = tokenizer(&QWEN_CODER) else { return };
    let suffix: String = (0..100).map(|i| format!("print({i})\n")).collect();
    let mut spec = PromptSpec { open_line: false, line_in_middle: false, ..PromptSpec::new("def f():\n    ", Some(&suffix)) };
    spec.max_suffix_tokens = 40;
    let p = build(&tok, &spec).expect("build");
    let kept = suffix.len() - p.suffix_cut;
    assert!(suffix[..kept].ends_with('\n'));
    let suffix_ids = p.ids.len() - 1 - tok.encode("def f():\n    ").expect("enc").len() - 2;
    assert!(suffix_ids <= 40, "{suffix_ids} suffix tokens");
}

#[test]
fn typing_a_line_with_the_prefix_as_is_prefills_the_new_tokens_and_the_suffix() {
    let Some(path) = model_path_of(&QWEN_CODER) else { return };
    let mut engine = Engine::load_cpu(std::fs::read(path).expect("read"), 512).expect("load");
    let head = "def mean(values):\n    ";
    let line = "total = sum(values)";
    let suffix = "\n    return total / len(values)\n";
    let suffix_tokens = engine.tokenizer.encode(suffix).expect("encode").len();
    let mut prev_prefix_ids: Option<Vec<u32>> = None;
    for n in 0..=line.len() {
        let prefix = format!("{head}{}", &line[..n]);
        let mut req = CompletionRequest::greedy(&prefix, 1);
        req.suffix = Some(suffix.to_string());
        req.open_line = false; // the prefix as typed (open_line is `open_line_...` below)
        req.line_in_middle = false; // (`line_in_middle_...` below)
        let c = engine.complete(&req, &mut |_| {}).expect("complete");
        assert!(c.fim);
        let prefix_ids = engine.tokenizer.encode(&prefix).expect("encode");
        if let Some(prev) = &prev_prefix_ids {
            let new_tokens = prefix_ids.len() - lcp(prev, &prefix_ids);
            // <|fim_suffix|>, the suffix and <|fim_middle|> follow the changed prefix tokens.
            assert_eq!(c.timings.prefill_tokens, new_tokens + suffix_tokens + 2, "after typing {:?}", &line[..n]);
            assert!(new_tokens <= 4, "typing one character changes only the last word's tokens ({new_tokens})");
            assert_eq!(c.timings.reused_tokens + c.timings.prefill_tokens, c.prompt_ids.len());
        }
        prev_prefix_ids = Some(prefix_ids);
    }
}

#[test]
fn open_line_leaves_the_newline_and_indentation_to_the_model() {
    let Some(tok) = tokenizer(&QWEN_CODER) else { return };
    let f = tok.fim.expect("fim");
    let spec = PromptSpec { open_line: true, ..PromptSpec::new("def mean(values):\n    ", Some("\n    return total / len(values)\n")) };
    let p = build(&tok, &spec).expect("build");
    assert_eq!(p.lead, "\n    ");
    assert!(!p.lead_optional);
    let n = tok.encode("def mean(values):").expect("encode").len();
    assert_eq!(&p.ids[1..1 + n], &tok.encode("def mean(values):").expect("encode")[..], "the prefix ends before the cursor line's newline");
    assert_eq!(p.ids[1 + n], f.suffix);
    let plain = build(&tok, &PromptSpec { open_line: false, ..spec.clone() }).expect("build");
    assert_eq!(plain.lead, "");
    // Mid-line nothing is left for the model to write (the line is in the prompt).
    let mid = build(&tok, &PromptSpec { open_line: true, ..PromptSpec::new("def mean(values):\n    total = ", Some("\n")) }).expect("build");
    assert_eq!(mid.lead, "");
    // After a blank line the prefix sent still ends at a line start: a line written without
    // the newline is the cursor's.
    let blank = build(&tok, &PromptSpec { open_line: true, ..PromptSpec::new("x = 1\n\n", Some("\n")) }).expect("build");
    assert_eq!((blank.lead.as_str(), blank.lead_optional), ("\n", true));
    // What the model writes after the lead is the suggestion: the cursor line's indentation is
    // the editor's already, deeper indentation is kept, a continued previous line is nothing.
    use hearth::prompt::{view_after_lead, LeadView};
    assert_eq!(view_after_lead("\n    total = 0", "\n    ", false), LeadView::At(5, String::new()));
    assert_eq!(view_after_lead("\n        x", "\n    ", false), LeadView::At(9, "    ".into()));
    assert_eq!(view_after_lead("\n  ", "\n    ", false), LeadView::Pending);
    assert_eq!(view_after_lead(" -> float:", "\n    ", false), LeadView::Off);
    assert_eq!(view_after_lead("    for n in x:", "\n", true), LeadView::At(4, "    ".into()));
    // End to end on the CPU backend: the suggestion starts at the cursor.
    let Some(path) = model_path_of(&QWEN_CODER) else { return };
    let mut engine = Engine::load_cpu(std::fs::read(path).expect("read"), 512).expect("load");
    let mut req = CompletionRequest::greedy("def add(a, b):\n    ", 16);
    req.suffix = Some("\n\nprint(add(1, 2))\n".into());
    req.mode = hearth::stop::StopMode::Line;
    req.open_line = true;
    let mut streamed = String::new();
    let c = engine.complete(&req, &mut |s| streamed.push_str(s)).expect("complete");
    assert_eq!(c.text, "return a + b", "{:?}", c.text);
    assert_eq!(streamed, c.text);
    assert_eq!(engine.tokenizer.decode(&c.generated_ids[..1]).chars().next(), Some('\n'), "the model wrote the newline");
}

#[test]
fn line_in_middle_puts_the_cursor_line_after_fim_middle() {
    let Some(tok) = tokenizer(&QWEN_CODER) else { return };
    let f = tok.fim.expect("fim");
    let (head, suffix) = ("def mean(values):\n    total = 0\n", "\n    return total / len(values)\n");
    let on = |prefix: &str, suffix: &str| PromptSpec { line_in_middle: true, ..PromptSpec::new(prefix, Some(suffix)) };
    let at_start = build(&tok, &on(&format!("{head}    "), suffix)).expect("build");
    let typed = build(&tok, &on(&format!("{head}    for v in val"), suffix)).expect("build");
    let enc = |s: &str| tok.encode(s).expect("encode");
    let body = &head[..head.len() - 1]; // up to the cursor line's newline
    let mut want = vec![f.prefix];
    want.extend(enc(body));
    want.push(f.suffix);
    want.extend(enc(suffix));
    want.push(f.middle);
    assert_eq!(at_start.ids, want, "at the line's start the model writes the newline (open_line)");
    want.extend(enc("\n    for v in val"));
    assert_eq!(typed.ids, want, "mid-line the typed line starts the middle, as plain text");
    assert_eq!((typed.lead.as_str(), typed.prefix_cut), ("", 0));
    // Off: the typed line ends the prefix, as the fixture's layout has it.
    let plain = build(&tok, &PromptSpec { line_in_middle: false, ..PromptSpec::new(&format!("{head}    for v in val"), Some(suffix)) }).expect("build");
    assert_eq!(&plain.ids[1..1 + enc(&format!("{head}    for v in val")).len()], &enc(&format!("{head}    for v in val"))[..]);
    // A prefix with no newline is all cursor line; a line longer than its share of the limit
    // keeps its end and drops the body.
    let one = build(&tok, &on("x = compute(", ")\n")).expect("build");
    assert_eq!(&one.ids[one.ids.len() - enc("x = compute(").len()..], &enc("x = compute(")[..]);
    let long_line = format!("{head}    x = [{}", "1, ".repeat(400));
    let mut spec = on(&long_line, suffix);
    spec.max_prefix_tokens = 256;
    let cut = build(&tok, &spec).expect("build");
    assert_eq!(cut.ids[1], f.suffix, "the body is dropped");
    assert!(cut.ids.len() <= 3 + enc(suffix).len() + 256 / 8);
    assert!(cut.prefix_cut > head.len());
}

#[test]
fn typing_a_line_prefills_only_the_lines_new_tokens() {
    let Some(path) = model_path_of(&QWEN_CODER) else { return };
    let mut engine = Engine::load_cpu(std::fs::read(path).expect("read"), 512).expect("load");
    let head = "def mean(values):\n    ";
    let line = "total = sum(values)";
    let suffix = "\n    return total / len(values)\n";
    let mut prev_line_ids: Option<Vec<u32>> = None;
    for n in 0..=line.len() {
        let prefix = format!("{head}{}", &line[..n]);
        let mut req = CompletionRequest::greedy(&prefix, 1);
        req.suffix = Some(suffix.to_string());
        req.line_in_middle = true;
        let c = engine.complete(&req, &mut |_| {}).expect("complete");
        assert!(c.fim);
        let line_ids = engine.tokenizer.encode(&format!("\n    {}", &line[..n])).expect("encode");
        let line_ids = if n == 0 { Vec::new() } else { line_ids }; // at the start: open_line
        if let Some(prev) = &prev_line_ids {
            let new_tokens = line_ids.len() - lcp(prev, &line_ids);
            assert_eq!(c.timings.prefill_tokens, new_tokens.max(1), "after typing {:?}: the suffix stays cached", &line[..n]);
            assert!(new_tokens <= 4, "typing one character changes only the last word's tokens ({new_tokens})");
            assert_eq!(c.timings.reused_tokens + c.timings.prefill_tokens, c.prompt_ids.len());
        }
        prev_line_ids = Some(line_ids);
    }
}

#[test]
fn line_and_block_modes_end_the_suggestion_in_the_runtime() {
    let Some(path) = model_path_of(&QWEN_CODER) else { return };
    let mut engine = Engine::load_cpu(std::fs::read(path).expect("read"), 512).expect("load");
    // The fixture's FIM prompt continues past the line ("return a + b\n\ndef subtract...").
    let mut req = CompletionRequest::greedy("def add(a, b):\n    ", 24);
    req.suffix = Some("\n    return c\n".into());
    req.mode = hearth::stop::StopMode::Line;
    // Which line the int8 path writes is a near tie ("return a + b" / "c = a + b"): the rules are
    // checked, not the choice.
    let c = engine.complete(&req, &mut |_| {}).expect("complete");
    let line = c.text.clone();
    assert!(!line.is_empty() && !line.contains('\n') && line.contains("a + b"), "line mode: one line, {line:?}");
    assert_eq!(c.stop_reason.as_str(), "stop");
    req.mode = hearth::stop::StopMode::Block;
    req.language = Some("python".into());
    let mut streamed = String::new();
    let c = engine.complete(&req, &mut |s| streamed.push_str(s)).expect("complete");
    assert!(!c.text.contains("def subtract"), "block mode stops at the dedent: {:?}", c.text);
    assert!(c.text.starts_with(&line), "{:?}", c.text);
    assert_eq!(streamed, c.text, "what streamed is what was returned: nothing taken back");
    // fim: false — the prompt is the prefix alone, the suffix still ends the suggestion.
    req.fim = false;
    req.mode = hearth::stop::StopMode::Line;
    let c = engine.complete(&req, &mut |_| {}).expect("complete");
    let alone = engine.complete(&CompletionRequest { suffix: None, ..req.clone() }, &mut |_| {}).expect("complete");
    assert!(!c.fim && c.prompt_ids == alone.prompt_ids, "fim: false sends the prefix alone");
    assert!(!c.text.contains('\n') && c.stop_reason.as_str() == "stop", "the suffix's line rule still ends it: {:?}", c.text);
}

/// The prefix cut's reference twin: tokenize the whole text, then search every stepped line
/// start (what `keep_tail` did before it learned to skip what cannot fit).
fn keep_tail_twin(tok: &Tokenizer, text: &str, max: usize) -> (usize, Vec<u32>) {
    let ids = tok.encode(text).expect("encode");
    if ids.len() <= max {
        return (0, ids);
    }
    let starts = text.match_indices('\n').map(|(i, _)| i + 1).filter(|&i| i < text.len());
    for s in starts.skip(CUT_LINE_STEP - 1).step_by(CUT_LINE_STEP) {
        let ids = tok.encode(&text[s..]).expect("encode");
        if ids.len() <= max {
            return (s, ids);
        }
    }
    unreachable!("the test texts end in short lines")
}

#[test]
fn a_huge_file_is_cut_as_the_whole_text_would_be_without_tokenizing_it() {
    let Some(tok) = tokenizer(&QWEN_CODER) else { return };
    let line = |i: usize| format!("    total_{i} = compute(values[{i}], weight={}.5)  # step {i}\n", i % 7);
    // 2,000 lines (≈ 120 KB): the twin can still tokenize it all.
    let text: String = (0..2000).map(line).collect();
    for max in [400, 1024] {
        let mut spec = PromptSpec::new(&text, None);
        spec.max_prefix_tokens = max;
        let p = build(&tok, &spec).expect("build");
        let (cut, ids) = keep_tail_twin(&tok, &text, max);
        assert_eq!((p.prefix_cut, &p.ids), (cut, &ids), "max {max}");
    }
    // 10 MB: the same tail as the text whose early lines are empty (same line numbers, so the same
    // stepped starts), and only the tail is tokenized (this would take minutes otherwise).
    let n = 170_000;
    let big: String = (0..n).map(line).collect();
    assert!(big.len() > 10 << 20);
    let blank: String = (0..n).map(|i| if i < n - 3000 { "\n".to_string() } else { line(i) }).collect();
    let t0 = std::time::Instant::now();
    let p = build(&tok, &PromptSpec::new(&big, None)).expect("build 10 MB");
    let elapsed = t0.elapsed();
    let q = build(&tok, &PromptSpec::new(&blank, None)).expect("build");
    assert_eq!(p.ids, q.ids);
    assert_eq!(big.len() - p.prefix_cut, blank.len() - q.prefix_cut, "the same bytes kept");
    assert!(p.ids.len() <= hearth::prompt::DEFAULT_MAX_PREFIX_TOKENS);
    eprintln!("10 MB prefix built in {elapsed:?}");
    // And the suffix side: a 10 MB suffix keeps its first lines.
    let s = build(&tok, &PromptSpec { open_line: false, ..PromptSpec::new("x = 1\n", Some(&big)) }).expect("build");
    assert!(s.fim && s.ids.len() <= 4 + 8 + hearth::prompt::DEFAULT_MAX_SUFFIX_TOKENS);
    let kept = big.len() - s.suffix_cut;
    assert!(kept > 0 && big[..kept].ends_with('\n'), "whole lines kept");
}
