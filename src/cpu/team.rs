//! team: the CPU backend's helper threads and how they meet. The thread that runs the model (the
//! leader: the engine's Worker in the browser) publishes a region — n tasks, e.g. ranges of a
//! matmul's rows — and takes tasks itself; helpers that are awake take the others, one at a time,
//! so a helper whose core is busy elsewhere holds up at most the one task it took. Between regions
//! a helper spins for a few tens of microseconds (the gap between two matmuls of one token), then
//! waits on a condition variable (a futex: `memory.atomic.wait32` in wasm) until the next region:
//! idle helpers cost nothing, and on a loaded machine they give their core back.
//!
//! One atomic word carries the region's state, `cursor` = epoch (32 bits) | tasks (16) | next
//! task (16); a task is claimed by a compare-exchange that also checks the epoch, so a helper that
//! was late can never take a task of the next region with the previous one's closure.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex};
use web_time::Instant;

/// Polls of the cursor before a waiting thread sleeps: ≈ 30–100 µs.
const SPIN: u32 = 1 << 15;
/// Regions measured before the leader decides whether its helpers pay (see `Lead`).
const WINDOW: u32 = 64;
/// Regions then run by the leader alone when they did not, before it measures again; doubled
/// each time they again did not (a window with a preempted helper costs the leader its stalls),
/// up to `SOLO << MAX_BACKOFF` (≈ 100 SmolLM2 tokens), and back to `SOLO` once they pay.
const SOLO: u32 = 1024;
const MAX_BACKOFF: u32 = 4;
/// The helpers pay when a region with them takes at most this share of what the leader alone
/// would have taken.
const PAYS: f64 = 1.0;
/// A window is judged at once when its regions have already lost this much against the leader
/// alone (seconds): one helper preempted while it holds a task stalls the leader for a time slice
/// (milliseconds), and a whole window of such stalls cost more than the helpers ever gave back.
const LOSS_MAX: f64 = 0.002;
/// Tasks in one region at most (16 bits of the cursor).
pub const MAX_TASKS: usize = 0xffff;

fn epoch(c: u64) -> u32 {
    (c >> 32) as u32
}
fn tasks(c: u64) -> usize {
    ((c >> 16) & 0xffff) as usize
}
fn next(c: u64) -> usize {
    (c & 0xffff) as usize
}
fn pack(epoch: u32, tasks: usize, next: usize) -> u64 {
    (u64::from(epoch) << 32) | ((tasks as u64) << 16) | next as u64
}

/// The current region's tasks: `task(i)` for each claimed i.
struct Region<'a> {
    task: &'a (dyn Fn(usize) + Sync),
}

#[derive(Default)]
pub struct Team {
    cursor: AtomicU64,
    region: AtomicPtr<()>, // *const Region of the current epoch; valid while one of its tasks is claimed and not done
    done: AtomicUsize,     // tasks of the current region finished
    panicked: AtomicBool,  // a task of the current region panicked (natively; wasm aborts)
    exit: AtomicBool,      // the pool is dropped: helpers return
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
    lead: Mutex<Lead>, // one leader at a time
}

/// The leader's measure of its helpers. A helper whose core is busy with another process is
/// preempted now and then while it holds a task, and the leader waits for it: on a loaded
/// machine the team can be slower than the leader alone (measured here: 0.8× at 2 threads with
/// the other core busy). So the leader times its regions against its own pace (its tasks' mean
/// time × the region's tasks), and when the helpers did not pay over a window of regions, or
/// missed a quarter of them, it runs alone for a while (longer each time in a row), then
/// measures again.
#[derive(Default)]
struct Lead {
    regions: u32,
    with_team: f64,  // seconds the window's regions took
    alone_est: f64,  // seconds the leader alone would have taken
    solo_left: u32,  // regions still to run alone
    backoff: u32,    // windows in a row that did not pay, at most MAX_BACKOFF
    missed: u32,     // regions of the window the helpers took no task of
}

impl Team {
    /// Spin on `ready`, then sleep until a `notify` makes it true.
    fn wait(&self, mut ready: impl FnMut() -> bool) {
        for _ in 0..SPIN {
            if ready() {
                return;
            }
            std::hint::spin_loop();
        }
        let Ok(mut guard) = self.lock.lock() else { return };
        self.sleepers.fetch_add(1, SeqCst);
        while !ready() {
            match self.wake.wait(guard) {
                Ok(g) => guard = g,
                Err(_) => break,
            }
        }
        self.sleepers.fetch_sub(1, SeqCst);
    }

    /// Wake every sleeper (after a change that may make its `ready` true).
    fn notify(&self) {
        if self.sleepers.load(SeqCst) > 0 {
            let _guard = self.lock.lock();
            self.wake.notify_all();
        }
    }

    /// Claim and run tasks of region `e` until none is left; returns how many this thread ran.
    fn work(&self, e: u32) -> usize {
        let mut ran = 0;
        loop {
            let c = self.cursor.load(SeqCst);
            if epoch(c) != e || next(c) >= tasks(c) {
                return ran;
            }
            if self.cursor.compare_exchange_weak(c, c + 1, SeqCst, SeqCst).is_err() {
                continue;
            }
            // SAFETY: task next(c) of epoch e is claimed and not done, so the leader is still in
            // `region` for epoch e and its Region is alive (it stored the pointer before the epoch).
            let region = unsafe { &*(self.region.load(SeqCst) as *const Region<'_>) };
            if catch_unwind(AssertUnwindSafe(|| (region.task)(next(c)))).is_err() {
                self.panicked.store(true, SeqCst);
            }
            if self.done.fetch_add(1, SeqCst) + 1 == tasks(c) {
                self.notify();
            }
            ran += 1;
        }
    }

    /// A helper thread's life: wait for a region, work on it, until the pool is dropped.
    pub fn helper(&self) {
        let mut seen = epoch(self.cursor.load(SeqCst));
        loop {
            let mut c = 0;
            self.wait(|| {
                c = self.cursor.load(SeqCst);
                epoch(c) != seen || self.exit.load(SeqCst)
            });
            if self.exit.load(SeqCst) {
                return;
            }
            seen = epoch(c);
            self.work(seen);
        }
    }

    /// `task(i)` for i in 0..n on the leader and the helpers awake; returns once all are done.
    /// With another leader running (never, in hearth), too many tasks, or while the helpers do
    /// not pay (see `Lead`): on this thread alone.
    pub fn region(&self, n: usize, task: &(dyn Fn(usize) + Sync)) {
        let Ok(mut lead) = self.lead.try_lock() else { return (0..n).for_each(task) };
        if n > MAX_TASKS || lead.solo_left > 0 {
            lead.solo_left = lead.solo_left.saturating_sub(1);
            return (0..n).for_each(task);
        }
        let t0 = Instant::now();
        let region = Region { task };
        self.done.store(0, SeqCst);
        self.panicked.store(false, SeqCst);
        self.region.store(&region as *const Region<'_> as *mut (), SeqCst);
        let e = epoch(self.cursor.load(SeqCst)).wrapping_add(1);
        self.cursor.store(pack(e, n, 0), SeqCst);
        self.notify();
        let ran = self.work(e);
        let t1 = Instant::now();
        self.wait(|| self.done.load(SeqCst) == n);
        let t2 = Instant::now();
        self.region.store(std::ptr::null_mut(), SeqCst);
        if self.panicked.load(SeqCst) {
            panic!("a CPU backend task panicked on a helper thread");
        }
        // Regions the helpers took part in say what they are worth against the leader's pace; one
        // they missed (asleep after a long gap, or not scheduled) cost the leader nothing but the
        // publishing, but helpers that miss many are spinning on a core shared with other work
        // and slow the leader down instead (measured: one core busy, 58% of regions missed, the
        // leader's own work 10% slower than alone).
        if ran > 0 && ran < n {
            lead.with_team += (t2 - t0).as_secs_f64();
            lead.alone_est += (t1 - t0).as_secs_f64() / ran as f64 * n as f64;
            lead.regions += 1;
        } else if ran == n {
            lead.missed += 1;
        }
        let lost = lead.with_team > PAYS * lead.alone_est;
        if lead.regions + lead.missed >= WINDOW || lead.with_team > PAYS * lead.alone_est + LOSS_MAX {
            let backoff = if lost || lead.missed * 4 > lead.regions + lead.missed {
                lead.solo_left = SOLO << lead.backoff;
                (lead.backoff + 1).min(MAX_BACKOFF)
            } else {
                0
            };
            *lead = Lead { solo_left: lead.solo_left, backoff, ..Lead::default() };
        }
    }

    /// Tell the helpers to return (the pool is dropped).
    pub fn stop(&self) {
        self.exit.store(true, SeqCst);
        let _guard = self.lock.lock();
        self.wake.notify_all();
    }
}
