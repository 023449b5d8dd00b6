//! pool: the CPU backend's threads. A matmul's rows are cut into ranges that the threads take as
//! they come (a thread that is late because its core is busy elsewhere leaves its ranges to the
//! others instead of holding everyone up); idle threads wait, they do not spin (see `team`). The
//! calling thread computes too, with `threads - 1` helpers: natively OS threads; in wasm with the
//! `threads` feature (shared memory, built with -Z build-std) jobs on rayon's global pool of Web
//! Workers that the page started (`initThreadPool`, then `thread_pool_ready`); the plain wasm
//! build runs on the calling thread alone (the Worker's).

use super::team::Team;
use crate::error::HearthError;
use std::mem::MaybeUninit;
use std::ops::Range;
use std::sync::Arc;

/// Rows per range at least: below this, splitting costs more than it saves.
const MIN_ROWS: usize = 64;
/// Ranges per thread, so that a late thread's share can be taken by the others.
const RANGES_PER_THREAD: usize = 4;
/// Rows per range at most: a big matrix (the output projection's 49152–151936 rows) in ranges of
/// a few hundred microseconds, not a quarter of a thread's share, so that the threads finish together.
const MAX_ROWS: usize = 512;

/// A request for more threads gets this many (no unbounded thread creation from an option).
const MAX_THREADS: usize = 64;

/// wasm threads: how many helper Workers rayon's global pool has (0: none started). Set once by
/// the page after `initThreadPool(n)` resolved; before that nothing may touch the global pool
/// (rayon would try to spawn OS threads, which wasm has not).
#[cfg(all(target_family = "wasm", feature = "threads"))]
static WASM_POOL: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The page started rayon's global pool with `n` Workers (see `web::thread_pool_ready`).
#[cfg(all(target_family = "wasm", feature = "threads"))]
pub fn wasm_pool_ready(n: usize) {
    WASM_POOL.store(n.min(MAX_THREADS), std::sync::atomic::Ordering::SeqCst);
}

/// The helper Workers rayon's global pool has in this wasm build (0 without threads).
pub fn wasm_pool_threads() -> usize {
    #[cfg(all(target_family = "wasm", feature = "threads"))]
    return WASM_POOL.load(std::sync::atomic::Ordering::SeqCst);
    #[cfg(not(all(target_family = "wasm", feature = "threads")))]
    0
}

pub struct Pool {
    threads: usize,
    team: Option<Arc<Team>>, // None: one thread, the caller's
}

impl Drop for Pool {
    fn drop(&mut self) {
        if let Some(team) = &self.team {
            team.stop();
        }
    }
}

impl Pool {
    /// A pool of `threads` (1..=64): the caller and `threads - 1` helpers. The wasm build has
    /// at most the Workers the page started, plus the caller (one thread without the `threads` build).
    pub fn new(threads: usize) -> Result<Self, HearthError> {
        #[cfg(not(target_family = "wasm"))]
        let threads = threads.clamp(1, MAX_THREADS);
        #[cfg(target_family = "wasm")]
        let threads = threads.clamp(1, MAX_THREADS).min(wasm_pool_threads() + 1);
        if threads == 1 {
            return Ok(Pool { threads, team: None });
        }
        let team = Arc::new(Team::default());
        let pool = Pool { threads, team: Some(team.clone()) }; // dropped on an error below: stops the helpers started
        for i in 1..threads {
            let team = team.clone();
            #[cfg(not(target_family = "wasm"))]
            std::thread::Builder::new()
                .name(format!("hearth-cpu-{i}"))
                .spawn(move || team.helper())
                .map_err(|e| HearthError::InvalidRequest(format!("cannot start {threads} threads: {e}")))?;
            #[cfg(all(target_family = "wasm", feature = "threads"))]
            {
                let _ = i;
                rayon::spawn(move || team.helper());
            }
            #[cfg(all(target_family = "wasm", not(feature = "threads")))]
            let _ = (i, team);
        }
        Ok(pool)
    }

    /// The threads this pool computes on.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The threads a machine should use by default: its cores, minus one for everything else
    /// when it has more than two, at most 8. In wasm: the Workers the page started, plus the caller.
    pub fn default_threads() -> usize {
        #[cfg(not(target_family = "wasm"))]
        {
            let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
            if cores > 2 { (cores - 1).min(8) } else { cores }
        }
        #[cfg(target_family = "wasm")]
        (wasm_pool_threads() + 1)
    }

    /// `f(i)` for i in 0..n, spread over the pool's threads; results in order.
    pub fn map<R: Send>(&self, n: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
        let Some(team) = self.team.as_ref().filter(|_| n > 1) else { return (0..n).map(f).collect() };
        let mut out: Vec<MaybeUninit<R>> = (0..n).map(|_| MaybeUninit::uninit()).collect();
        let slots = Slots(out.as_mut_ptr());
        // SAFETY: the team runs each i in 0..n exactly once, each writing only its own slot, and
        // `region` returns after all of them (or panics, leaving `out` uninitialised and unread).
        team.region(n, &|i| unsafe { slots.write(i, f(i)) });
        out.into_iter().map(|r| unsafe { r.assume_init() }).collect()
    }

    /// y (n_tok, rows), each range of rows computed by `f(range, out)` into `out` (n_tok, range.len()).
    pub fn rows(&self, rows: usize, n_tok: usize, f: impl Fn(Range<usize>, &mut [f32]) + Sync + Send) -> Vec<f32> {
        let mut ys = self.rows_many(&[rows], n_tok, |_, r, out| f(r, out));
        ys.pop().unwrap_or_default()
    }

    /// Several matrices' rows in one parallel region (q, k and v; gate and up): `ys[m]` is
    /// (n_tok, sizes[m]), each range of matrix m's rows computed by `f(m, range, out)` into `out`
    /// (n_tok, range.len()). One region instead of several: fewer times the threads meet.
    pub fn rows_many(&self, sizes: &[usize], n_tok: usize, f: impl Fn(usize, Range<usize>, &mut [f32]) + Sync + Send) -> Vec<Vec<f32>> {
        let total: usize = sizes.iter().sum();
        if self.threads == 1 || total < 2 * MIN_ROWS {
            return sizes.iter().enumerate().map(|(m, &rows)| {
                let mut y = vec![0f32; n_tok * rows];
                f(m, 0..rows, &mut y);
                y
            }).collect();
        }
        let len = total.div_ceil(self.threads * RANGES_PER_THREAD).clamp(MIN_ROWS, MAX_ROWS);
        let tasks: Vec<(usize, Range<usize>)> = sizes.iter().enumerate()
            .flat_map(|(m, &rows)| (0..rows).step_by(len).map(move |s| (m, s..(s + len).min(rows))))
            .collect();
        let parts = self.map(tasks.len(), |i| {
            let (m, r) = &tasks[i];
            let mut out = padded(n_tok * r.len());
            f(*m, r.clone(), unpad(&mut out));
            out
        });
        let mut ys: Vec<Vec<f32>> = sizes.iter().map(|&rows| vec![0f32; n_tok * rows]).collect();
        for ((m, r), part) in tasks.iter().zip(&parts) {
            let rows = sizes[*m];
            for (t, src) in part[PAD..part.len() - PAD].chunks_exact(r.len()).enumerate() {
                ys[*m][t * rows + r.start..t * rows + r.end].copy_from_slice(src);
            }
        }
        ys
    }
}

/// Floats of padding at both ends of `padded` buffers: a cache line.
pub const PAD: usize = 16;

/// A zeroed buffer for n floats that a task writes while another thread writes its own: 64 bytes
/// unused at each end, so that the two never share a cache line (the wasm threads build has one
/// heap, where buffers allocated side by side by two threads did, and writes moved the line
/// between cores at every step). The n floats are `unpad(&mut buf)`.
pub fn padded(n: usize) -> Vec<f32> {
    vec![0f32; n + 2 * PAD]
}

/// The n floats of a `padded(n)` buffer.
pub fn unpad(buf: &mut [f32]) -> &mut [f32] {
    let n = buf.len() - 2 * PAD;
    &mut buf[PAD..PAD + n]
}

/// `Pool::map`'s results, written by the team's threads.
struct Slots<R>(*mut MaybeUninit<R>);
// SAFETY: each thread writes a different slot (see `Pool::map`).
unsafe impl<R: Send> Sync for Slots<R> {}
impl<R> Slots<R> {
    /// # Safety
    /// `i` in bounds, written once, by one thread.
    unsafe fn write(&self, i: usize, r: R) {
        unsafe { (*self.0.add(i)).write(r) };
    }
}
