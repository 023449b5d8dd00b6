//! pool: the CPU backend's threads. A matmul's rows are cut into ranges that the pool's threads
//! take as they come (work stealing: a thread that is late because its core is busy elsewhere
//! leaves its ranges to the others instead of holding everyone up; idle threads sleep, they do
//! not spin). Natively a rayon pool of the requested size. In wasm with the `threads` feature
//! (shared memory, built with -Z build-std), rayon's global pool of Web Workers that the page
//! started (`initThreadPool`, then `thread_pool_ready`); the plain wasm build runs on the calling
//! thread (one thread: the Worker's).

use crate::error::HearthError;
use std::ops::Range;

/// Rows per range at least: below this, splitting costs more than it saves.
const MIN_ROWS: usize = 64;
/// Ranges per thread, so that a late thread's share can be taken by the others.
#[cfg_attr(all(target_family = "wasm", not(feature = "threads")), allow(dead_code))]
const RANGES_PER_THREAD: usize = 4;

/// A request for more threads gets this many (no unbounded thread creation from an option).
const MAX_THREADS: usize = 64;

/// wasm threads: how many Workers rayon's global pool has (0: none started). Set once by the
/// page after `initThreadPool(n)` resolved; before that nothing may touch the global pool (rayon
/// would try to spawn OS threads, which wasm has not).
#[cfg(all(target_family = "wasm", feature = "threads"))]
static WASM_POOL: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The page started rayon's global pool with `n` Workers (see `web::thread_pool_ready`).
#[cfg(all(target_family = "wasm", feature = "threads"))]
pub fn wasm_pool_ready(n: usize) {
    WASM_POOL.store(n.min(MAX_THREADS), std::sync::atomic::Ordering::Release);
}

/// The Workers rayon's global pool has in this wasm build (0 without threads).
pub fn wasm_pool_threads() -> usize {
    #[cfg(all(target_family = "wasm", feature = "threads"))]
    return WASM_POOL.load(std::sync::atomic::Ordering::Acquire);
    #[cfg(not(all(target_family = "wasm", feature = "threads")))]
    0
}

enum Exec {
    /// One thread: the caller's.
    Caller,
    #[cfg(not(target_family = "wasm"))]
    Own(rayon::ThreadPool),
    /// rayon's global pool (wasm threads: the page's Workers).
    #[cfg(all(target_family = "wasm", feature = "threads"))]
    Global,
}

pub struct Pool {
    threads: usize,
    exec: Exec,
}

impl Pool {
    /// A pool of `threads` (1..=64). The wasm build has at most the Workers the page started
    /// (one, the caller, without the `threads` build).
    pub fn new(threads: usize) -> Result<Self, HearthError> {
        let threads = threads.clamp(1, MAX_THREADS);
        #[cfg(not(target_family = "wasm"))]
        {
            if threads == 1 {
                return Ok(Pool { threads, exec: Exec::Caller });
            }
            let p = rayon::ThreadPoolBuilder::new().num_threads(threads).thread_name(|i| format!("hearth-cpu-{i}")).build();
            let p = p.map_err(|e| HearthError::InvalidRequest(format!("cannot start {threads} threads: {e}")))?;
            Ok(Pool { threads, exec: Exec::Own(p) })
        }
        #[cfg(target_family = "wasm")]
        {
            let threads = threads.min(wasm_pool_threads().max(1));
            #[cfg(feature = "threads")]
            if threads > 1 {
                return Ok(Pool { threads, exec: Exec::Global });
            }
            let _ = threads;
            Ok(Pool { threads: 1, exec: Exec::Caller })
        }
    }

    /// The threads this pool computes on.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The threads a machine should use by default: its cores, minus one for everything else
    /// when it has more than two, at most 8. In wasm: the Workers the page started (1 without).
    pub fn default_threads() -> usize {
        #[cfg(not(target_family = "wasm"))]
        {
            let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
            if cores > 2 { (cores - 1).min(8) } else { cores }
        }
        #[cfg(target_family = "wasm")]
        wasm_pool_threads().max(1)
    }

    /// y (n_tok, rows), each range of rows computed by `f(range, out)` into `out` (n_tok, range.len()).
    pub fn rows(&self, rows: usize, n_tok: usize, f: impl Fn(Range<usize>, &mut [f32]) + Sync) -> Vec<f32> {
        let mut y = vec![0f32; n_tok * rows];
        #[cfg_attr(all(target_family = "wasm", not(feature = "threads")), allow(unused_variables))]
        let split = rows >= 2 * MIN_ROWS;
        match &self.exec {
            #[cfg(not(target_family = "wasm"))]
            Exec::Own(pool) if split => pool.install(|| split_rows(self.threads, rows, n_tok, &f, &mut y)),
            #[cfg(all(target_family = "wasm", feature = "threads"))]
            Exec::Global if split => split_rows(self.threads, rows, n_tok, &f, &mut y),
            _ => f(0..rows, &mut y),
        }
        y
    }
}

/// `Pool::rows` on the current rayon pool: ranges of rows, each into its own buffer, then into y.
#[cfg(any(not(target_family = "wasm"), feature = "threads"))]
fn split_rows(threads: usize, rows: usize, n_tok: usize, f: &(impl Fn(Range<usize>, &mut [f32]) + Sync), y: &mut [f32]) {
    use rayon::prelude::*;
    let len = rows.div_ceil(threads * RANGES_PER_THREAD).max(MIN_ROWS);
    let ranges: Vec<Range<usize>> = (0..rows).step_by(len).map(|s| s..(s + len).min(rows)).collect();
    let parts: Vec<Vec<f32>> = ranges.par_iter().map(|r| {
        let mut out = vec![0f32; n_tok * r.len()];
        f(r.clone(), &mut out);
        out
    }).collect();
    for (r, part) in ranges.iter().zip(&parts) {
        for (t, src) in part.chunks_exact(r.len()).enumerate() {
            y[t * rows + r.start..t * rows + r.end].copy_from_slice(src);
        }
    }
}
