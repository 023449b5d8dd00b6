//! The CPU backend natively: prefill tok/s (a 256-token prompt) and decode tok/s (64 tokens) for
//! the exact path (f32 activations) and the int8 path, on 1 thread and on all cores; next to
//! llama.cpp (llama-cpp-python, if installed) on the same GGUF, prompt ids and threads, in one
//! run; then a long prompt (1536 tokens): its prefill and the decode after it, where attention
//! reads the KV cache's 1536 positions beside the weights, next to llama.cpp at the same context. Model: $HEARTH_MODEL
//! (a path) or smollm2. Run: `cargo bench --bench cpu`
//! (`HEARTH_MODEL=~/.cache/hearth/models/Qwen2.5-Coder-0.5B-Instruct.gguf cargo bench --bench cpu`
//! for the code model).

mod common;

use common::prompt_text;
use hearth::cpu::{CpuOptions, Numerics};
use hearth::engine::{default_model_path, CompletionRequest, Engine};

const PROMPT_TOKENS: usize = 256;
const LONG_PROMPT_TOKENS: usize = 1536;
const DECODE_TOKENS: usize = 64;

/// (prefill tok/s, decode tok/s): one completion of `ids` from an empty cache, greedy, EOS ignored.
fn measure(bytes: &[u8], options: CpuOptions, ids: &[u32]) -> (f64, f64) {
    let mut engine = Engine::load_cpu_with(bytes.to_vec(), ids.len() + DECODE_TOKENS + 8, options).expect("load");
    let mut req = CompletionRequest::greedy("", DECODE_TOKENS);
    req.prompt_ids = Some(ids[..16].to_vec());
    req.max_tokens = 2;
    engine.complete(&req, &mut |_| {}).expect("warm-up");
    engine.reset();
    req.prompt_ids = Some(ids.to_vec());
    req.max_tokens = DECODE_TOKENS;
    req.ignore_eos = true;
    let c = engine.complete(&req, &mut |_| {}).expect("complete");
    let t = c.timings;
    (t.prefill_tokens as f64 / t.prefill.as_secs_f64(), t.decode_tokens as f64 / t.decode.as_secs_f64())
}

fn main() {
    let model = default_model_path();
    let bytes = std::fs::read(&model).unwrap_or_else(|e| panic!("read {}: {e}", model.display()));
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let probe = Engine::load_cpu_with(bytes.clone(), 16, CpuOptions { numerics: Numerics::Exact, threads: 1 }).expect("load");
    let all_ids = probe.tokenizer.encode(&prompt_text()).expect("encode");
    let ids = all_ids[..PROMPT_TOKENS].to_vec();
    drop(probe);
    println!("model: {}\nprompt: {PROMPT_TOKENS} tokens, decode: {DECODE_TOKENS} tokens (greedy), {cores} cores\n", model.display());
    println!("| engine | threads | prefill tok/s | decode tok/s |");
    println!("|---|---:|---:|---:|");
    let mut rows = Vec::new();
    for (numerics, threads) in [(Numerics::Exact, 1), (Numerics::Int8, 1), (Numerics::Int8, cores)] {
        let (p, d) = measure(&bytes, CpuOptions { numerics, threads }, &ids);
        let name = if numerics == Numerics::Exact { "hearth cpu exact (f32)" } else { "hearth cpu int8" };
        println!("| {name} | {threads} | {p:.1} | {d:.1} |");
        rows.push((numerics, threads, p, d));
    }

    let mut llama = Vec::new();
    for threads in [1, cores] {
        match common::llamacpp(&model, &ids, DECODE_TOKENS, threads) {
            Ok((_, p, d)) => {
                println!("| llama.cpp (CPU) | {threads} | {p:.1} | {d:.1} |");
                llama.push((threads, p, d));
            }
            Err(why) => println!("\n({why})"),
        }
    }
    let (_, _, p1, d1) = rows[1];
    let (_, _, pn, dn) = rows[2];
    println!("\nint8 vs exact (1 thread): prefill {:.2}×, decode {:.2}×", p1 / rows[0].2, d1 / rows[0].3);
    println!("int8 {cores} threads vs 1: prefill {:.2}×, decode {:.2}×", pn / p1, dn / d1);
    for (threads, p, d) in llama {
        let (hp, hd) = if threads == 1 { (p1, d1) } else { (pn, dn) };
        println!("hearth int8 / llama.cpp at {threads} thread(s): prefill {:.2}×, decode {:.2}×", hp / p, hd / d);
    }

    // A long prompt, 1 thread: its prefill's attention, and each decode step's, reads every
    // earlier position.
    let long = &all_ids[..LONG_PROMPT_TOKENS.min(all_ids.len())];
    let context = long.len();
    println!("\n| engine (1 thread) | context | prefill tok/s | decode tok/s |");
    println!("|---|---:|---:|---:|");
    for numerics in [Numerics::Exact, Numerics::Int8] {
        let (p, d) = measure(&bytes, CpuOptions { numerics, threads: 1 }, long);
        let name = if numerics == Numerics::Exact { "hearth cpu exact (f32)" } else { "hearth cpu int8" };
        println!("| {name} | {context} | {p:.1} | {d:.1} |");
    }
    match common::llamacpp(&model, long, DECODE_TOKENS, 1) {
        Ok((_, p, d)) => println!("| llama.cpp (CPU) | {context} | {p:.1} | {d:.1} |"),
        Err(why) => println!("\n({why})"),
    }
}
