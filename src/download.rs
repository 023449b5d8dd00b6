//! A model download into the store (wasm only): chunk by chunk into IndexedDB, resumed with
//! HTTP Range after a dropped connection or a 5xx (within one load and across loads), started
//! over when the server ignores Range or the file changed (another ETag/Last-Modified or length),
//! checked against the whole file's sha256, and refused before it fills the disk. What to do
//! after each response or failure is `download_policy`'s decision.
//!
//! Never served half-written: only `store::put_manifest`, after the last byte and the hash,
//! makes a model visible. A full disk or a wrong hash forgets the partial, so it takes no space.

use crate::download_policy::{resume, Failure, Resume, Retries, RETRY};
use crate::error::HearthError;
use crate::fetch;
use crate::store::{self, LoadStats, Manifest, Progress, PARTIALS};
use idb::Database;
use sha2::{Digest, Sha256};
use web_sys::AbortSignal;

/// One load's download: what is held (whole chunks in the store, the rest in `tail`) and of which
/// file. The file is never whole in memory: its sha256 is taken as it comes.
struct State<'a> {
    db: &'a Database,
    id: &'a str,
    url: &'a str,
    partial: Manifest,
    /// Bytes held, from byte 0: the stored chunks and `tail`.
    held: u64,
    /// The bytes after the last stored chunk (less than a chunk between pieces).
    tail: Vec<u8>,
    /// sha256 of the bytes held.
    hasher: Sha256,
    stats: LoadStats,
    /// A connection has been opened in this load (`stats.resumed_at` is the first one's start).
    opened: bool,
}

/// Download `url` as model `id` (resuming the stored partial, if it is of this URL and chunk
/// size), retrying transient failures per `RETRY`. The model is in the store when this returns
/// (read it back with `store::read_verified`/`read_verified_each`).
pub async fn run(
    db: &Database,
    id: &str,
    url: &str,
    chunk_size: u64,
    sha256: Option<&str>,
    signal: Option<&AbortSignal>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<LoadStats, HearthError> {
    let partial = match store::get_manifest(db, PARTIALS, id).await? {
        Some(p) if p.url == url && p.chunk_size == chunk_size => p,
        Some(_) => {
            store::delete_in(db, id).await?;
            Manifest::fresh(id, url, chunk_size)
        }
        None => Manifest::fresh(id, url, chunk_size),
    };
    // What is already here is read (and verified) first, into the hash; the download continues
    // after it.
    let mut hasher = Sha256::new();
    let mut held = 0u64;
    if !partial.chunks.is_empty() {
        store::read_verified_each(db, &partial, signal, on_progress, &mut |piece| {
            hasher.update(piece);
            held += piece.len() as u64;
            Ok(())
        })
        .await?;
    }
    let stats = LoadStats { from_cache: held, ..LoadStats::default() };
    let mut st = State { db, id, url, partial, held, tail: Vec::new(), hasher, stats, opened: false };
    if st.partial.size != 0 && st.held == st.partial.size {
        // Every byte is held (a load stopped between its last chunk and its manifest): no
        // network needed; `finish` checks the whole file's sha256 as after a download.
        return finish(st, sha256).await;
    }
    store::request_persist().await;

    let mut retries = Retries::new(RETRY);
    loop {
        if signal.is_some_and(|s| s.aborted()) {
            return Err(HearthError::Aborted);
        }
        let received = st.stats.downloaded;
        let failure = match attempt(&mut st, signal, on_progress).await {
            Ok(()) => break,
            Err(f) => f,
        };
        if matches!(failure.error, HearthError::StorageQuota(_)) {
            // A full disk: give the space back rather than keep a download that cannot finish.
            let _ = store::delete_in(db, id).await;
            return Err(failure.error);
        }
        match retries.next(&failure, st.stats.downloaded > received) {
            Some(pause_ms) => fetch::sleep(pause_ms, signal).await?,
            None if failure.retry => {
                let last = match failure.error {
                    HearthError::DownloadFailed(m) => m,
                    e => e.to_string(),
                };
                return Err(HearthError::DownloadFailed(format!("gave up after {} attempts; last: {last}", retries.attempts())));
            }
            None => return Err(failure.error),
        }
    }
    st.stats.attempts = retries.attempts();
    finish(st, sha256).await
}

/// Drop what is held: it belongs to another version of the file.
async fn restart(st: &mut State<'_>) -> Result<(), Failure> {
    store::delete_in(st.db, st.id).await?;
    st.partial = Manifest::fresh(st.id, st.url, st.partial.chunk_size);
    st.held = 0;
    st.tail.clear();
    st.hasher = Sha256::new();
    st.stats.from_cache = 0;
    st.stats.resumed_at = 0;
    Ok(())
}

/// One connection: open from the bytes held, judge the response, read the body to its end
/// storing each whole chunk. `Ok` once the file is all held.
async fn attempt(st: &mut State<'_>, signal: Option<&AbortSignal>, on_progress: &mut dyn FnMut(Progress)) -> Result<(), Failure> {
    let from = st.held;
    let mut dl = fetch::open(st.url, from, signal).await?;
    let held_size = (st.partial.size != 0).then_some(st.partial.size);
    match resume(from, held_size, st.partial.validator.as_deref(), &dl.response) {
        Resume::Continue => {}
        Resume::Restart => restart(st).await?,
        Resume::Reopen => {
            dl.cancel();
            restart(st).await?;
            dl = fetch::open(st.url, 0, signal).await?;
        }
    }
    if !st.opened {
        st.opened = true;
        st.stats.resumed_at = dl.response.start;
    }
    if dl.response.range_refused {
        // Even from 0 the range is refused: nothing to read.
        return Err(Failure::transient(HearthError::DownloadFailed(format!("{}: range not satisfiable", st.url))));
    }
    if dl.response.validator.is_some() {
        st.partial.validator = dl.response.validator.clone();
    }
    let total = dl.response.total;
    if let Some(total) = total {
        st.partial.size = total;
        if let Err(e) = check_space(total, dl.response.start).await {
            dl.cancel();
            return Err(e.into());
        }
    }
    let chunk = st.partial.chunk_size as usize;
    loop {
        if signal.is_some_and(|s| s.aborted()) {
            dl.cancel();
            return Err(Failure::fatal(HearthError::Aborted));
        }
        let Some(piece) = dl.next().await? else { break };
        st.stats.downloaded += piece.len() as u64;
        st.held += piece.len() as u64;
        if total.is_some_and(|t| st.held > t) {
            dl.cancel();
            return Err(Failure::fatal(HearthError::DownloadFailed(format!("{}: more bytes than the server said", st.url))));
        }
        st.hasher.update(&piece);
        st.tail.extend_from_slice(&piece);
        // Store every whole chunk as soon as it is complete, and let it go.
        while st.tail.len() >= chunk {
            let i = st.partial.chunks.len();
            st.partial.chunks.push(store::chunk_sha256(&st.tail[..chunk]).await);
            store::put_chunk(st.db, &st.partial, i, &st.tail[..chunk]).await?;
            st.tail.drain(..chunk);
        }
        on_progress(Progress { phase: "download", loaded: st.held, total });
    }
    match total {
        Some(t) if t != st.held => {
            Err(Failure::transient(HearthError::DownloadFailed(format!("{}: body ended at {} of {t} bytes", st.url, st.held))))
        }
        _ => Ok(()),
    }
}

/// Refuse, before reading the body, a file the origin's quota cannot hold.
async fn check_space(total: u64, start: u64) -> Result<(), HearthError> {
    let (usage, quota) = store::estimate().await?;
    let need = total.saturating_sub(start) as f64;
    if quota - usage < need {
        return Err(HearthError::StorageQuota(format!(
            "the model needs {:.0} MB more; this site may use {:.0} MB more",
            need / 1e6,
            ((quota - usage).max(0.0)) / 1e6
        )));
    }
    Ok(())
}

/// The file is all held: store the last (short) chunk, check the whole file's hash, and only
/// then write the manifest that makes it visible.
async fn finish(mut st: State<'_>, sha256: Option<&str>) -> Result<LoadStats, HearthError> {
    if !st.tail.is_empty() {
        let i = st.partial.chunks.len();
        st.partial.chunks.push(store::chunk_sha256(&st.tail).await);
        store::put_chunk(st.db, &st.partial, i, &st.tail).await?;
    }
    let got = store::hex(&st.hasher.finalize());
    if let Some(want) = sha256 {
        if !got.eq_ignore_ascii_case(want) {
            store::delete_in(st.db, st.id).await?;
            return Err(HearthError::DownloadFailed(format!("{}: the file's sha256 is {got}, expected {want}", st.url)));
        }
    }
    st.partial.sha256 = Some(got);
    st.partial.size = st.held;
    st.partial.stored_at = js_sys::Date::now();
    store::put_manifest(st.db, &st.partial).await?;
    Ok(st.stats)
}
