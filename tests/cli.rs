//! The CLI as users and the benchmarks call it: JSON output, and clean errors (no panic trace)
//! for a missing, truncated or unsupported model file.
#![cfg(not(target_family = "wasm"))] // native tests; the browser ones are web.rs, store.rs, cpu_web.rs

mod common;

use std::process::Command;

fn hearth(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_hearth")).args(args).output().expect("run hearth")
}

fn assert_clean_failure(out: &std::process::Output, code: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "should fail: {stderr}");
    assert!(stderr.contains(&format!("error[{code}]")), "expected error[{code}] in: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "panic trace: {stderr}");
}

#[test]
fn complete_json_reproduces_the_golden_greedy_ids() {
    let Some(model) = common::model_path() else { return };
    if common::gpu().is_none() {
        return;
    }
    let g = common::golden();
    let p = &g["prompts"][0];
    let prompt = p["prompt"].as_str().expect("prompt");
    let out = hearth(&["complete", "--model", model.to_str().expect("path"), "--prompt", prompt, "--max-tokens", "12", "--temperature", "0", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    assert_eq!(common::ids(&v["prompt_ids"]), common::ids(&p["prompt_ids"]));
    assert_eq!(common::ids(&v["generated_ids"]), common::ids(&p["reference_greedy_ids"])[..12].to_vec());
    assert_eq!(v["text"].as_str(), p["reference_greedy_text_prefix12"].as_str());
}

#[test]
fn missing_model_is_a_clear_error() {
    let out = hearth(&["complete", "--model", "/nonexistent/model.gguf", "--prompt", "x"]);
    assert_clean_failure(&out, "io");
}

#[test]
fn usage_errors_exit_2() {
    let out = hearth(&["complete", "--max-tokens", "many", "--prompt", "x"]);
    assert_eq!(out.status.code(), Some(2));
    let out = hearth(&["fly"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn truncated_model_is_bad_model() {
    let Some(model) = common::model_path() else { return };
    let bytes = std::fs::read(model).expect("read");
    let dir = std::env::temp_dir().join(format!("hearth-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let cut = dir.join("truncated.gguf");
    std::fs::write(&cut, &bytes[..bytes.len() / 3]).expect("write");
    let out = hearth(&["complete", "--model", cut.to_str().expect("path"), "--prompt", "x"]);
    assert_clean_failure(&out, "bad_model");
}

#[test]
fn unsupported_quant_is_named() {
    let Some(model) = common::model_path() else { return };
    let mut bytes = std::fs::read(model).expect("read");
    // Re-label blk.0.attn_q.weight (Q4_1, type 3) as IQ4_NL (type 20, smaller blocks: stays in bounds).
    let name = b"blk.0.attn_q.weight";
    let mut needle = (name.len() as u64).to_le_bytes().to_vec();
    needle.extend_from_slice(name);
    let at = bytes.windows(needle.len()).position(|w| w == needle.as_slice()).expect("tensor entry");
    let ty_at = at + needle.len() + 4 + 2 * 8; // n_dims u32, two u64 dims
    assert_eq!(u32::from_le_bytes(bytes[ty_at..ty_at + 4].try_into().expect("4")), 3);
    bytes[ty_at..ty_at + 4].copy_from_slice(&20u32.to_le_bytes());
    let dir = std::env::temp_dir().join(format!("hearth-cli-q-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let patched = dir.join("iq4nl.gguf");
    std::fs::write(&patched, &bytes).expect("write");
    if common::gpu().is_none() {
        return;
    }
    let out = hearth(&["complete", "--model", patched.to_str().expect("path"), "--prompt", "x"]);
    assert_clean_failure(&out, "unsupported_quant");
    assert!(String::from_utf8_lossy(&out.stderr).contains("IQ4_NL"));
}
