//! End-to-end benchmark on the default model: load time, prefill tok/s for a 512-token prompt,
//! decode tok/s for 128 tokens; next to llama.cpp (llama-cpp-python, if installed) on the same
//! GGUF and the same prompt ids, in the same run. Run: `make bench` (or `cargo bench --bench e2e`).

use hearth::engine::{default_model_path, Engine, PREFILL_CHUNK};
use hearth::gpu;
use hearth::sampler::argmax;
use std::time::Instant;

const PROMPT_TOKENS: usize = 512;
const DECODE_TOKENS: usize = 128;

/// A code file long enough for PROMPT_TOKENS tokens.
fn prompt_text() -> String {
    (0..64)
        .map(|i| format!("def handler_{i}(request, retries={i}):\n    \"\"\"Handle request number {i}.\"\"\"\n    for attempt in range(retries):\n        if request.ok():\n            return request.value * {i}\n    raise TimeoutError('handler_{i}')\n\n"))
        .collect()
}

fn main() {
    let model = default_model_path();
    let gpu = gpu::device().unwrap_or_else(|e| panic!("no GPU adapter: {e}"));
    let start = Instant::now();
    let engine = Engine::load_file(&model, PROMPT_TOKENS + DECODE_TOKENS + 8).unwrap_or_else(|e| panic!("load {}: {e}", model.display()));
    let load_s = start.elapsed().as_secs_f64();
    let ids: Vec<u32> = engine.tokenizer.encode(&prompt_text()).expect("encode")[..PROMPT_TOKENS].to_vec();
    let m = engine.gpu_model().expect("the GPU backend");

    // Warm-up: compile every pipeline once (prefill and decode shapes).
    let mut cache = m.new_cache(PROMPT_TOKENS + DECODE_TOKENS + 8);
    gpu::read_f32(m.forward(&ids[..16], &mut cache, false).expect("warm-up")).expect("read");
    gpu::read_f32(m.forward(&ids[16..17], &mut cache, false).expect("warm-up")).expect("read");

    let mut cache = m.new_cache(PROMPT_TOKENS + DECODE_TOKENS + 8);
    let start = Instant::now();
    let mut last = None;
    for chunk in ids.chunks(PREFILL_CHUNK) {
        last = Some(m.forward(chunk, &mut cache, false).expect("prefill"));
    }
    let mut logits = gpu::read_f32(last.expect("prefilled")).expect("read");
    let prefill_s = start.elapsed().as_secs_f64();

    let start = Instant::now();
    for _ in 0..DECODE_TOKENS {
        let next = argmax(&logits);
        logits = gpu::read_f32(m.forward(&[next], &mut cache, false).expect("decode")).expect("read");
    }
    let decode_s = start.elapsed().as_secs_f64();
    let ours = (load_s, PROMPT_TOKENS as f64 / prefill_s, DECODE_TOKENS as f64 / decode_s);

    println!("model: {}\nadapter: {}\nprompt: {PROMPT_TOKENS} tokens, decode: {DECODE_TOKENS} tokens (greedy)\n", model.display(), gpu.adapter);
    println!("| engine | load s | prefill tok/s | decode tok/s |");
    println!("|---|---|---|---|");
    println!("| hearth (wgpu, {}) | {:.2} | {:.1} | {:.1} |", gpu.adapter.split(" (").next().unwrap_or("?"), ours.0, ours.1, ours.2);

    // llama.cpp on the same GGUF and ids, if installed.
    let ids_path = std::env::temp_dir().join(format!("hearth-bench-ids-{}.json", std::process::id()));
    std::fs::write(&ids_path, serde_json::to_string(&ids).expect("json")).expect("write ids");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/llamacpp_bench.py");
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let out = std::process::Command::new("python3")
        .args([script, model.to_str().expect("path"), ids_path.to_str().expect("path"), &DECODE_TOKENS.to_string(), &threads.to_string()])
        .output();
    let _ = std::fs::remove_file(&ids_path);
    match out {
        Ok(o) if o.status.success() => {
            let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("llama.cpp JSON");
            let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
            println!("| llama.cpp (CPU, {threads} threads) | {:.2} | {:.1} | {:.1} |", f("load_s"), f("prefill_tok_s"), f("decode_tok_s"));
            println!("\nhearth / llama.cpp: prefill {:.2}×, decode {:.2}×", ours.1 / f("prefill_tok_s"), ours.2 / f("decode_tok_s"));
        }
        Ok(o) => println!("\n(llama.cpp failed: {})", String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("")),
        Err(e) => println!("\n(llama.cpp not measured: {e}; `pip install llama-cpp-python numpy` to compare)"),
    }
}
