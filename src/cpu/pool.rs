//! pool: the CPU backend's threads. A matmul's rows are cut into ranges that the pool's threads
//! take as they come (work stealing: a thread that is late because its core is busy elsewhere
//! leaves its ranges to the others instead of holding everyone up; idle threads sleep, they do
//! not spin). Natively a rayon pool of the requested size; the wasm build runs on the calling
//! thread (one thread: the Worker's).

use crate::error::HearthError;
use std::ops::Range;

/// Rows per range at least: below this, splitting costs more than it saves.
#[cfg(not(target_family = "wasm"))]
const MIN_ROWS: usize = 64;
/// Ranges per thread, so that a late thread's share can be taken by the others.
#[cfg(not(target_family = "wasm"))]
const RANGES_PER_THREAD: usize = 4;

/// A request for more threads gets this many (no unbounded thread creation from an option).
#[cfg(not(target_family = "wasm"))]
const MAX_THREADS: usize = 64;

pub struct Pool {
    threads: usize,
    #[cfg(not(target_family = "wasm"))]
    pool: Option<rayon::ThreadPool>, // None: one thread, the caller's
}

impl Pool {
    /// A pool of `threads` (1..=64; the wasm build has one whatever is asked).
    pub fn new(threads: usize) -> Result<Self, HearthError> {
        #[cfg(not(target_family = "wasm"))]
        {
            let threads = threads.clamp(1, MAX_THREADS);
            let pool = if threads > 1 {
                let p = rayon::ThreadPoolBuilder::new().num_threads(threads).thread_name(|i| format!("hearth-cpu-{i}")).build();
                Some(p.map_err(|e| HearthError::InvalidRequest(format!("cannot start {threads} threads: {e}")))?)
            } else {
                None
            };
            Ok(Pool { threads, pool })
        }
        #[cfg(target_family = "wasm")]
        {
            let _ = threads; // one thread until the wasm threads build
            Ok(Pool { threads: 1 })
        }
    }

    /// The threads this pool computes on.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The threads a machine should use by default: its cores, minus one for everything else
    /// when it has more than two, at most 8.
    pub fn default_threads() -> usize {
        #[cfg(not(target_family = "wasm"))]
        {
            let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
            if cores > 2 { (cores - 1).min(8) } else { cores }
        }
        #[cfg(target_family = "wasm")]
        1
    }

    /// y (n_tok, rows), each range of rows computed by `f(range, out)` into `out` (n_tok, range.len()).
    pub fn rows(&self, rows: usize, n_tok: usize, f: impl Fn(Range<usize>, &mut [f32]) + Sync) -> Vec<f32> {
        let mut y = vec![0f32; n_tok * rows];
        #[cfg(not(target_family = "wasm"))]
        if let Some(pool) = &self.pool {
            if rows >= 2 * MIN_ROWS {
                use rayon::prelude::*;
                let len = rows.div_ceil(self.threads * RANGES_PER_THREAD).max(MIN_ROWS);
                let ranges: Vec<Range<usize>> = (0..rows).step_by(len).map(|s| s..(s + len).min(rows)).collect();
                let parts: Vec<Vec<f32>> = pool.install(|| {
                    ranges.par_iter().map(|r| {
                        let mut out = vec![0f32; n_tok * r.len()];
                        f(r.clone(), &mut out);
                        out
                    }).collect()
                });
                for (r, part) in ranges.iter().zip(&parts) {
                    for (t, src) in part.chunks_exact(r.len()).enumerate() {
                        y[t * rows + r.start..t * rows + r.end].copy_from_slice(src);
                    }
                }
                return y;
            }
        }
        f(0..rows, &mut y);
        y
    }
}
