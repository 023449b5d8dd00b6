//! Deadlines and an interrupted prefill: a request past its deadline stops with
//! `StopReason::Deadline` and what it had; what was prefilled stays cached, so the next request
//! (the next keystroke) continues from there instead of starting over. CPU backend, SmolLM2.
#![cfg(not(target_family = "wasm"))]

mod common;

use common::{model_path_of, SMOLLM2};
use hearth::engine::{CompletionRequest, Engine, StopReason, CPU_PREFILL_CHUNK};
use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

fn engine() -> Option<Engine> {
    let path = model_path_of(&SMOLLM2)?;
    Some(Engine::load_cpu(std::fs::read(path).expect("read"), 1024).expect("load"))
}

/// A code prompt of a few hundred tokens.
fn long_prompt() -> String {
    (0..24).map(|i| format!("def handler_{i}(request):\n    return request.value * {i}\n\n")).collect()
}

/// Drive a native completion (the CPU backend's futures are ready at once).
fn run(engine: &mut Engine, req: &CompletionRequest, aborted: &dyn Fn() -> bool) -> Result<hearth::engine::Completion, hearth::HearthError> {
    let mut on_text = |_: &str| {};
    let mut fut = std::pin::pin!(engine.complete_async(req, &mut on_text, aborted));
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(r) = fut.as_mut().poll(&mut cx) {
            return r;
        }
    }
}

#[test]
fn a_deadline_stops_the_request_and_keeps_what_was_prefilled() {
    let Some(mut e) = engine() else { return };
    let prompt = long_prompt();
    // Past its deadline before the first pass: nothing computed, nothing lost.
    let mut req = CompletionRequest::greedy(&prompt, 8);
    req.deadline = Some(Duration::ZERO);
    let c = e.complete(&req, &mut |_| {}).expect("complete");
    assert_eq!((c.stop_reason, c.text.as_str(), c.timings.prefill_tokens), (StopReason::Deadline, "", 0));

    // An interrupted prefill (here: an abort after two chunks) leaves those chunks cached.
    let calls = Cell::new(0);
    let stop_after_two = || {
        calls.set(calls.get() + 1);
        calls.get() > 2
    };
    let req = CompletionRequest::greedy(&prompt, 8);
    assert!(matches!(run(&mut e, &req, &stop_after_two), Err(hearth::HearthError::Aborted)));
    let c = e.complete(&req, &mut |_| {}).expect("complete");
    assert_eq!(c.timings.reused_tokens, 2 * CPU_PREFILL_CHUNK, "the next request continues the prefill");
    assert_eq!(c.timings.reused_tokens + c.timings.prefill_tokens, c.prompt_ids.len());

    // A deadline during decoding: the text so far, whole lines in free mode.
    let mut req = CompletionRequest::greedy(&prompt, 400);
    req.ignore_eos = true;
    req.deadline = Some(Duration::from_millis(1500));
    let mut streamed = String::new();
    let c = e.complete(&req, &mut |s| streamed.push_str(s)).expect("complete");
    assert_eq!(c.stop_reason, StopReason::Deadline, "{} tokens in 1.5 s", c.generated_ids.len());
    assert!(!c.generated_ids.is_empty() && c.generated_ids.len() < 400);
    assert_eq!(streamed, c.text, "what streamed is what was returned");
}

#[test]
fn prefill_only_fills_the_cache_for_the_next_request() {
    let Some(mut e) = engine() else { return };
    let prompt = long_prompt();
    let c = e.complete(&CompletionRequest::greedy(&prompt, 0), &mut |_| {}).expect("prefill");
    assert!(c.generated_ids.is_empty() && c.text.is_empty());
    let c = e.complete(&CompletionRequest::greedy(&prompt, 4), &mut |_| {}).expect("complete");
    assert_eq!(c.timings.reused_tokens, c.prompt_ids.len() - 1, "all of the prompt but its last token came from the cache");
}
