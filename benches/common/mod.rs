//! What the end-to-end benchmarks share: the code prompt, and llama.cpp (benches/llamacpp_bench.py,
//! llama-cpp-python) run on the same GGUF and prompt ids.

use std::path::Path;

/// A code file of ≈ 1700 tokens (the benches take its first N).
pub fn prompt_text() -> String {
    (0..64)
        .map(|i| format!("def handler_{i}(request, retries={i}):\n    \"\"\"Handle request number {i}.\"\"\"\n    for attempt in range(retries):\n        if request.ok():\n            return request.value * {i}\n    raise TimeoutError('handler_{i}')\n\n"))
        .collect()
}

/// llama.cpp's figures for `ids` then `decode` greedy tokens on `threads`:
/// (load s, prefill tok/s, decode tok/s), or why there are none.
pub fn llamacpp(model: &Path, ids: &[u32], decode: usize, threads: usize) -> Result<(f64, f64, f64), String> {
    let ids_path = std::env::temp_dir().join(format!("hearth-bench-ids-{}-{threads}.json", std::process::id()));
    std::fs::write(&ids_path, serde_json::to_string(ids).expect("json")).map_err(|e| e.to_string())?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/llamacpp_bench.py");
    let out = std::process::Command::new("python3")
        .args([script, model.to_str().expect("path"), ids_path.to_str().expect("path"), &decode.to_string(), &threads.to_string()])
        .output();
    let _ = std::fs::remove_file(&ids_path);
    match out {
        Ok(o) if o.status.success() => {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).map_err(|e| format!("llama.cpp JSON: {e}"))?;
            let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
            Ok((f("load_s"), f("prefill_tok_s"), f("decode_tok_s")))
        }
        Ok(o) => Err(format!("llama.cpp failed: {}", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or(""))),
        Err(e) => Err(format!("llama.cpp not measured: {e}; `pip install llama-cpp-python numpy` to compare")),
    }
}
