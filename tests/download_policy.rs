//! The download's decisions (`src/download_policy.rs`): when a response continues the bytes held,
//! when the file must start over, and how long and how often a failed connection is retried.
//! The browser test `tests/browser/network.test.mjs` drives the same decisions against a flaky
//! server; this one pins each rule on its own.

use hearth::download_policy::{resume, retryable_status, Failure, Response, Resume, Retries, RetryPolicy, RETRY};
use hearth::error::HearthError;

fn response(start: u64, total: Option<u64>, validator: Option<&str>) -> Response {
    Response { start, total, validator: validator.map(str::to_string), range_refused: false }
}

fn dropped() -> Failure {
    Failure::transient(HearthError::DownloadFailed("connection dropped".into()))
}

#[test]
fn a_fresh_download_reads_whatever_comes() {
    // Nothing held: any 200 is the file, whatever it says about itself.
    assert_eq!(resume(0, None, None, &response(0, Some(100), Some("\"a\""))), Resume::Continue);
    assert_eq!(resume(0, Some(100), Some("\"a\""), &response(0, None, None)), Resume::Continue);
}

#[test]
fn a_matching_206_continues() {
    let got = response(4096, Some(100_000), Some("\"a\""));
    assert_eq!(resume(4096, Some(100_000), Some("\"a\""), &got), Resume::Continue);
    // A server that exposes no validator or length cannot contradict what is held.
    assert_eq!(resume(4096, Some(100_000), Some("\"a\""), &response(4096, None, None)), Resume::Continue);
    assert_eq!(resume(4096, None, None, &got), Resume::Continue);
}

#[test]
fn a_server_that_ignores_range_restarts_from_its_body() {
    // 200 with the whole file: keep reading this body, drop what is held.
    assert_eq!(resume(4096, Some(100_000), Some("\"a\""), &response(0, Some(100_000), Some("\"a\""))), Resume::Restart);
    // Even when it is another file: the body is that file from byte 0.
    assert_eq!(resume(4096, Some(100_000), Some("\"a\""), &response(0, Some(90_000), Some("\"b\""))), Resume::Restart);
}

#[test]
fn a_changed_file_is_never_spliced() {
    // Another ETag with the same length: the bytes held belong to the old file.
    assert_eq!(resume(4096, Some(100_000), Some("\"a\""), &response(4096, Some(100_000), Some("\"b\""))), Resume::Reopen);
    // Another length with the same (weak) validator.
    assert_eq!(resume(4096, Some(100_000), Some("\"a\""), &response(4096, Some(100_001), Some("\"a\""))), Resume::Reopen);
    // The file shrank below the offset asked for: 416.
    let refused = Response { range_refused: true, total: Some(1000), ..Response::default() };
    assert_eq!(resume(4096, Some(100_000), Some("\"a\""), &refused), Resume::Reopen);
}

#[test]
fn a_body_from_another_offset_is_not_trusted() {
    assert_eq!(resume(4096, Some(100_000), Some("\"a\""), &response(2048, Some(100_000), Some("\"a\""))), Resume::Reopen);
    assert_eq!(resume(4096, Some(100_000), Some("\"a\""), &response(8192, Some(100_000), Some("\"a\""))), Resume::Reopen);
}

#[test]
fn which_statuses_are_retried() {
    for s in [408, 425, 429, 500, 502, 503, 504, 599] {
        assert!(retryable_status(s), "{s}");
    }
    for s in [200, 206, 301, 400, 401, 403, 404, 410, 416, 451] {
        assert!(!retryable_status(s), "{s}");
    }
}

#[test]
fn pauses_double_up_to_the_cap_then_it_gives_up() {
    let mut r = Retries::new(RETRY);
    let pauses: Vec<_> = (0..RETRY.max_stalled).map(|_| r.next(&dropped(), false).expect("a retry within max_stalled")).collect();
    assert_eq!(pauses, [250, 500, 1000, 2000]);
    assert_eq!(r.next(&dropped(), false), None, "{} failures without a byte", RETRY.max_stalled + 1);
    assert_eq!(r.attempts(), 1 + RETRY.max_stalled);

    let policy = RetryPolicy { max_stalled: 10, max_attempts: 100, base_ms: 250, max_ms: 4000 };
    let mut r = Retries::new(policy);
    let pauses: Vec<_> = (0..10).map(|_| r.next(&dropped(), false).expect("a retry within max_stalled")).collect();
    assert_eq!(pauses, [250, 500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000]);
}

#[test]
fn progress_resets_the_stall_count() {
    // A connection that drops after every few MB finishes: each drop after new bytes is the
    // first failure again.
    let mut r = Retries::new(RETRY);
    for _ in 0..40 {
        assert_eq!(r.next(&dropped(), true), Some(RETRY.base_ms));
    }
    // Stalls after progress count from 1 again.
    assert_eq!(r.next(&dropped(), false), Some(500));
    assert_eq!(r.attempts(), 42);
}

#[test]
fn the_whole_load_is_bounded() {
    // A server that sends one byte per connection forever still ends.
    let mut r = Retries::new(RETRY);
    let mut n = 0;
    while r.next(&dropped(), true).is_some() {
        n += 1;
        assert!(n < 1000);
    }
    assert_eq!(r.attempts(), RETRY.max_attempts);
}

#[test]
fn a_fatal_failure_is_not_retried() {
    let mut r = Retries::new(RETRY);
    assert_eq!(r.next(&Failure::fatal(HearthError::DownloadFailed("HTTP 404".into())), false), None);
    let quota: Failure = HearthError::StorageQuota("full".into()).into();
    assert!(!quota.retry);
    assert_eq!(r.next(&quota, true), None);
    assert_eq!(r.attempts(), 1);
}
