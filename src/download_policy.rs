//! What a model download does after each response and each failure: keep what it has, start the
//! file over, retry after a pause, or give up. Pure decisions (no I/O), so they are tested
//! natively; `store` (wasm) acts on them.

use crate::error::HearthError;

/// A failed attempt, and whether trying again may help (a dropped connection, a 503) or not
/// (a 404, an abort, a full disk).
#[derive(Debug)]
pub struct Failure {
    pub error: HearthError,
    pub retry: bool,
}

impl Failure {
    pub fn transient(error: HearthError) -> Self {
        Failure { error, retry: true }
    }
    pub fn fatal(error: HearthError) -> Self {
        Failure { error, retry: false }
    }
}

impl From<HearthError> for Failure {
    /// Anything not classified where it happened (IndexedDB, quota, abort) is not retried.
    fn from(error: HearthError) -> Self {
        Failure::fatal(error)
    }
}

/// HTTP statuses worth another try: timeouts, rate limits, server errors.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429 | 500..=599)
}

/// How long and how often to retry. A failure after progress (new bytes arrived) starts the
/// count of consecutive failures again, so a connection that drops every few MB still finishes;
/// `max_attempts` bounds the whole load however the server behaves.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Consecutive failures without a new byte before giving up.
    pub max_stalled: u32,
    /// Connections one load may open in all.
    pub max_attempts: u32,
    /// The pause after the first failure; it doubles with each consecutive one, up to `max_ms`.
    pub base_ms: u32,
    pub max_ms: u32,
}

/// 4 tries without progress (pauses 0.25 + 0.5 + 1 + 2 s), 64 connections in all.
pub const RETRY: RetryPolicy = RetryPolicy { max_stalled: 4, max_attempts: 64, base_ms: 250, max_ms: 4000 };

/// The retry state of one load.
#[derive(Debug)]
pub struct Retries {
    policy: RetryPolicy,
    stalled: u32,
    attempts: u32,
}

impl Retries {
    pub fn new(policy: RetryPolicy) -> Self {
        // The first connection counts as an attempt.
        Retries { policy, stalled: 0, attempts: 1 }
    }

    /// Connections opened so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// After a failed attempt: the pause before the next one (ms), or `None` to give up.
    /// `progressed`: the attempt delivered bytes that were kept.
    pub fn next(&mut self, failure: &Failure, progressed: bool) -> Option<u32> {
        if !failure.retry || self.attempts >= self.policy.max_attempts {
            return None;
        }
        self.stalled = if progressed { 1 } else { self.stalled + 1 };
        if self.stalled > self.policy.max_stalled {
            return None;
        }
        self.attempts += 1;
        let pause = u64::from(self.policy.base_ms) << (self.stalled - 1).min(16);
        Some(pause.min(u64::from(self.policy.max_ms)) as u32)
    }
}

/// What was asked for and what a response says about itself.
#[derive(Debug, Clone, Default)]
pub struct Response {
    /// The offset of the body's first byte (0 when the server ignored Range).
    pub start: u64,
    /// The whole file's length, when the server said.
    pub total: Option<u64>,
    /// `ETag`, else `Last-Modified`, when the response exposes one.
    pub validator: Option<String>,
    /// 416: the range asked for is past the file's end (it shrank or was replaced).
    pub range_refused: bool,
}

/// What to do with the bytes already held, given a response to a request from `asked_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// The body continues the bytes held.
    Continue,
    /// The body is the whole file from byte 0: drop what is held and read this body.
    Restart,
    /// The file changed (another validator or length): drop what is held, ask again from 0.
    Reopen,
}

/// `held_size`/`held_validator`: what the bytes held so far were part of (unknown for a fresh
/// download). A changed validator or length means another file: nothing held may be kept.
pub fn resume(asked_from: u64, held_size: Option<u64>, held_validator: Option<&str>, got: &Response) -> Resume {
    if asked_from == 0 {
        return Resume::Continue;
    }
    if got.range_refused {
        return Resume::Reopen;
    }
    let changed = matches!((held_validator, got.validator.as_deref()), (Some(a), Some(b)) if a != b)
        || matches!((held_size, got.total), (Some(a), Some(b)) if a != b);
    match (got.start, changed) {
        (0, _) => Resume::Restart,
        (_, true) => Resume::Reopen,
        (s, false) if s == asked_from => Resume::Continue,
        // A body that starts elsewhere than asked: trust nothing, start over.
        _ => Resume::Reopen,
    }
}
