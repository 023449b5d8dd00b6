//! KV-cache equivalences on the real model: prefill of n tokens == n single steps, and
//! truncate(k) + re-prefill == a fresh prefill; the engine's prefix reuse changes nothing.
#![cfg(not(target_family = "wasm"))] // native tests; the browser ones are web.rs, store.rs, cpu_web.rs

mod common;

use hearth::engine::{CompletionRequest, Engine};
use hearth::gpu;

/// Logit agreement between two f32 computations of the same positions in a different order
/// (batched vs one at a time): both sit ~1e-4 from exact, so 1e-3 apart is a real difference.
const ORDER_TOLERANCE: f32 = 1e-3;

/// The engine whose GPU model the tests drive directly (`Engine::gpu_model`), each with caches
/// of its own.
fn engine() -> Option<Engine> {
    let path = common::model_path()?;
    let gpu = common::gpu()?;
    let bytes = std::fs::read(path).expect("read");
    Some(Engine::load(&bytes, &gpu, 64).expect("load"))
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

const IDS: [u32; 12] = [1604, 3987, 46477, 24, 94, 727, 198, 216, 216, 216, 472, 585];

#[test]
fn prefill_equals_single_steps() {
    let Some(e) = engine() else { return };
    let m = e.gpu_model().expect("a GPU model");
    let mut batched = m.new_cache(64);
    let all = gpu::read_f32(m.forward(&IDS, &mut batched, true).expect("prefill")).expect("read");
    let n_vocab = m.config.n_vocab;
    let mut stepped = m.new_cache(64);
    for (i, id) in IDS.iter().enumerate() {
        let one = gpu::read_f32(m.forward(&[*id], &mut stepped, false).expect("step")).expect("read");
        let d = max_diff(&one, &all[i * n_vocab..(i + 1) * n_vocab]);
        assert!(d <= ORDER_TOLERANCE, "position {i}: max diff {d}");
    }
    assert_eq!(stepped.len(), IDS.len());
    assert_eq!(batched.len(), IDS.len());
}

#[test]
fn truncate_then_reprefill_equals_fresh() {
    let Some(e) = engine() else { return };
    let m = e.gpu_model().expect("a GPU model");
    let mut fresh = m.new_cache(64);
    let want = gpu::read_f32(m.forward(&IDS, &mut fresh, false).expect("fresh")).expect("read");
    // fill the cache with a different tail, cut it back, then prefill the real tail in chunks
    let mut reused = m.new_cache(64);
    m.forward(&IDS[..5], &mut reused, false).expect("prefix");
    m.forward(&[7, 8, 9, 10, 11, 12, 13], &mut reused, false).expect("other tail");
    reused.truncate(5);
    assert_eq!(reused.len(), 5);
    m.forward(&IDS[5..9], &mut reused, false).expect("tail part 1");
    let got = gpu::read_f32(m.forward(&IDS[9..], &mut reused, false).expect("tail part 2")).expect("read");
    let d = max_diff(&got, &want);
    assert!(d <= ORDER_TOLERANCE, "max diff {d}");
}

#[test]
fn context_overflow_is_an_error() {
    let Some(e) = engine() else { return };
    let m = e.gpu_model().expect("a GPU model");
    let mut cache = m.new_cache(8);
    let e = m.forward(&IDS, &mut cache, false).expect_err("overflow");
    assert_eq!(e.code(), "context_overflow");
    assert_eq!(cache.len(), 0);
}

#[test]
fn engine_reuses_the_common_prefix() {
    let Some(path) = common::model_path() else { return };
    if common::gpu().is_none() {
        return;
    }
    let mut warm = Engine::load_file(&path, 256).expect("load");
    let first = CompletionRequest::greedy("def fibonacci(n):\n    if n", 4);
    warm.complete(&first, &mut |_| {}).expect("first");
    let second = CompletionRequest::greedy("def fibonacci(n):\n    if n < 2:\n", 8);
    let reused = warm.complete(&second, &mut |_| {}).expect("second");
    assert!(reused.timings.reused_tokens >= 6, "reused {}", reused.timings.reused_tokens);
    let mut cold = Engine::load_file(&path, 256).expect("load");
    let fresh = cold.complete(&second, &mut |_| {}).expect("fresh");
    assert_eq!(fresh.timings.reused_tokens, 0);
    assert_eq!(reused.generated_ids, fresh.generated_ids);
    assert_eq!(reused.text, fresh.text);
}

#[test]
fn abort_keeps_the_prefix_for_the_next_request() {
    let Some(path) = common::model_path() else { return };
    if common::gpu().is_none() {
        return;
    }
    let mut engine = Engine::load_file(&path, 256).expect("load");
    let req = CompletionRequest::greedy("def fibonacci(n):\n    if n", 16);
    // abort on the 4th poll: after the prefill and two generated tokens
    let polls = std::cell::Cell::new(0);
    let aborted = || {
        polls.set(polls.get() + 1);
        polls.get() > 3
    };
    let e = futures_lite::future::block_on(engine.complete_async(&req, &mut |_| {}, &aborted)).expect_err("aborted");
    assert_eq!(e.code(), "aborted");
    // the next keystroke: the same prompt plus one character
    let next = CompletionRequest::greedy("def fibonacci(n):\n    if n ", 8);
    let warm = engine.complete(&next, &mut |_| {}).expect("after abort");
    assert!(warm.timings.reused_tokens >= 6, "reused {}", warm.timings.reused_tokens);
    let mut cold = Engine::load_file(&path, 256).expect("load");
    let fresh = cold.complete(&next, &mut |_| {}).expect("fresh");
    assert_eq!(warm.generated_ids, fresh.generated_ids);
}
