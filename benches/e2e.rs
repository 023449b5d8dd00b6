//! End-to-end benchmark on the default model: load time, prefill tok/s for a 512-token prompt,
//! decode tok/s for 128 tokens; next to llama.cpp (llama-cpp-python, if installed) on the same
//! GGUF and the same prompt ids, in the same run. Run: `make bench` (or `cargo bench --bench e2e`).

mod common;

use common::prompt_text;
use hearth::engine::{default_model_path, Engine, PREFILL_CHUNK};
use hearth::gpu;
use hearth::kernels::{argmax as device_argmax, Family};
use hearth::sampler::argmax;
use std::time::Instant;

const PROMPT_TOKENS: usize = 512;
const DECODE_TOKENS: usize = 128;

/// Load time, prefill tok/s over `ids`, decode tok/s for DECODE_TOKENS and hearth's kernel
/// launches a decoded token, with `family`'s kernels.
fn run(bytes: &[u8], gpu: &gpu::Gpu, ids: &[u32], family: Family) -> (f64, f64, f64, f64) {
    let start = Instant::now();
    let engine = Engine::load_with_family(bytes, gpu, PROMPT_TOKENS + DECODE_TOKENS + 8, family).unwrap_or_else(|e| panic!("load: {e}"));
    let load_s = start.elapsed().as_secs_f64();
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
    let mut next = argmax(&gpu::read_f32(last.expect("prefilled")).expect("read"));
    let prefill_s = start.elapsed().as_secs_f64();

    // Greedy as the engine runs it on a GPU: the argmax kernel, 4 bytes read back a token.
    let start = Instant::now();
    let launches0 = gpu::launches();
    for _ in 0..DECODE_TOKENS {
        let logits = m.forward(&[next], &mut cache, false).expect("decode");
        next = device_argmax::index(&gpu::read_f32(device_argmax::forward(logits).expect("argmax")).expect("read")).expect("index");
    }
    let decode_s = start.elapsed().as_secs_f64();
    let per_token = (gpu::launches() - launches0) as f64 / DECODE_TOKENS as f64;
    (load_s, PROMPT_TOKENS as f64 / prefill_s, DECODE_TOKENS as f64 / decode_s, per_token)
}

fn main() {
    let model = default_model_path();
    let gpu = gpu::device().unwrap_or_else(|e| panic!("no GPU adapter: {e}"));
    let bytes = std::fs::read(&model).unwrap_or_else(|e| panic!("read {}: {e}", model.display()));
    let tokenizer = hearth::tokenizer::Tokenizer::from_gguf(&hearth::gguf::Gguf::parse(&bytes).expect("parse")).expect("tokenizer");
    let ids: Vec<u32> = tokenizer.encode(&prompt_text()).expect("encode")[..PROMPT_TOKENS].to_vec();
    // The adapter's own family first (what `auto` runs), then the other, in the same run.
    let own = Family::for_adapter(gpu.software);
    let other = if own == Family::Wide { Family::Narrow } else { Family::Wide };
    let families = if std::env::var_os("HEARTH_KERNELS").is_some() { vec![own] } else { vec![own, other] };

    println!("model: {}\nadapter: {}\nprompt: {PROMPT_TOKENS} tokens, decode: {DECODE_TOKENS} tokens (greedy)\n", model.display(), gpu.adapter);
    println!("| engine | kernels | load s | prefill tok/s | decode tok/s | hearth launches / token |");
    println!("|---|---|---|---|---|---|");
    let mut ours = (0.0, 0.0, 0.0, 0.0);
    for (i, &family) in families.iter().enumerate() {
        let r = run(&bytes, &gpu, &ids, family);
        if i == 0 {
            ours = r;
        }
        println!("| hearth (wgpu, {}) | {} | {:.2} | {:.1} | {:.1} | {:.0} |", gpu.adapter.split(" (").next().unwrap_or("?"), family.name(), r.0, r.1, r.2, r.3);
    }
    if families.contains(&Family::Wide) {
        // The wide GEMV with the norms and SwiGLU as kernels of their own, as before they were
        // fused into it: what the fusion saves (or costs) on this adapter.
        hearth::kernels::set_fused_inputs(false);
        let r = run(&bytes, &gpu, &ids, Family::Wide);
        hearth::kernels::set_fused_inputs(true);
        println!("| hearth (wgpu, {}) | wide, norms and SwiGLU not fused | {:.2} | {:.1} | {:.1} | {:.0} |", gpu.adapter.split(" (").next().unwrap_or("?"), r.0, r.1, r.2, r.3);
    }

    // llama.cpp on the same GGUF and ids, if installed.
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    match common::llamacpp(&model, &ids, DECODE_TOKENS, threads) {
        Ok((load, prefill, decode)) => {
            println!("| llama.cpp (CPU, {threads} threads) | | {load:.2} | {prefill:.1} | {decode:.1} | |");
            println!("\nhearth / llama.cpp: prefill {:.2}×, decode {:.2}×", ours.1 / prefill, ours.2 / decode);
        }
        Err(why) => println!("\n({why})"),
    }
}
