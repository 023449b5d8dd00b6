//! The weight store (wasm only): models in IndexedDB, in chunks, each verified on every read.
//!
//! Layout (database `hearth`):
//! - `chunks`:    key `"{id}/{index}"` → `Uint8Array` (≤ `MAX_CHUNK` bytes)
//! - `partials`:  key `id` → `Manifest` of a download in progress (`chunks` = hashes so far)
//! - `manifests`: key `id` → `Manifest` of a whole model, written **last**: only a model with a
//!   manifest is ever served, so a half-written one never is.
//!
//! A download (`download.rs`) resumes with HTTP Range from the end of the last chunk written; a
//! chunk whose sha256 does not match is refused (`corrupt_cache`) and the model drops back to a
//! partial that ends before it, so the next load fetches just the rest.

use crate::download;
use crate::error::HearthError;
use crate::fetch;
use idb::{Database, DatabaseEvent, Factory, ObjectStoreParams, TransactionMode};
use js_sys::{Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

mod hash;
pub(crate) use hash::{chunk_sha256, hex};

pub const DB_NAME: &str = "hearth";
const DB_VERSION: u32 = 1;
pub const CHUNKS: &str = "chunks";
pub const PARTIALS: &str = "partials";
pub const MANIFESTS: &str = "manifests";
/// The largest chunk: big enough to keep the record count low, small enough for a phone's
/// IndexedDB transaction and one allocation of scratch.
pub const MAX_CHUNK: u64 = 64 << 20;
/// The default chunk size.
pub const DEFAULT_CHUNK: u64 = 32 << 20;

/// What is stored about one model.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    pub id: String,
    pub url: String,
    /// Bytes in the whole file.
    pub size: u64,
    pub chunk_size: u64,
    /// sha256 (hex) of each chunk, in order.
    pub chunks: Vec<String>,
    /// When the model was stored (ms since the epoch).
    pub stored_at: f64,
    /// The server's `ETag` (else `Last-Modified`) for the file: a resumed download whose
    /// response has another one starts over.
    #[serde(default)]
    pub validator: Option<String>,
    /// sha256 (hex) of the whole file, once it is whole.
    #[serde(default)]
    pub sha256: Option<String>,
}

impl Manifest {
    /// A download not started yet.
    pub fn fresh(id: &str, url: &str, chunk_size: u64) -> Self {
        Manifest { id: id.into(), url: url.into(), size: 0, chunk_size, chunks: Vec::new(), stored_at: 0.0, validator: None, sha256: None }
    }

    pub fn bytes_done(&self) -> u64 {
        (self.chunks.len() as u64 * self.chunk_size).min(self.size)
    }
}

/// Where a load is: `phase` is `download` or `verify`.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub phase: &'static str,
    pub loaded: u64,
    pub total: Option<u64>,
}

/// How a model was obtained.
#[derive(Debug, Clone, Default)]
pub struct LoadStats {
    /// Bytes read back from IndexedDB (all of them when the model was cached).
    pub from_cache: u64,
    /// Bytes downloaded now, and the offset the download started at (> 0: it resumed).
    pub downloaded: u64,
    pub resumed_at: u64,
    /// Connections opened (1 + retries; 0 when nothing was downloaded).
    pub attempts: u32,
}

fn storage(what: &str, e: impl std::fmt::Display) -> HearthError {
    let msg = format!("{what}: {e}");
    if msg.contains("Quota") || msg.contains("quota") {
        HearthError::StorageQuota(msg)
    } else {
        HearthError::Storage(msg)
    }
}

pub fn chunk_key(id: &str, index: usize) -> JsValue {
    JsValue::from(format!("{id}/{index}"))
}

/// Open (creating on first use) the store's database.
pub async fn open_db() -> Result<Database, HearthError> {
    let factory = Factory::new().map_err(|e| storage("IndexedDB unavailable", e))?;
    let mut request = factory.open(DB_NAME, Some(DB_VERSION)).map_err(|e| storage("open", e))?;
    request.on_upgrade_needed(|event| {
        let Ok(db) = event.database() else { return };
        for name in [CHUNKS, PARTIALS, MANIFESTS] {
            if !db.store_names().iter().any(|n| n == name) {
                let _ = db.create_object_store(name, ObjectStoreParams::new());
            }
        }
    });
    request.await.map_err(|e| storage("open", e))
}

async fn get(db: &Database, store: &str, key: JsValue) -> Result<Option<JsValue>, HearthError> {
    let tx = db.transaction(&[store], TransactionMode::ReadOnly).map_err(|e| storage("read", e))?;
    let s = tx.object_store(store).map_err(|e| storage("read", e))?;
    let v = s.get(key).map_err(|e| storage("read", e))?.await.map_err(|e| storage("read", e))?;
    Ok(v.filter(|v| !v.is_undefined()))
}

pub(crate) async fn get_manifest(db: &Database, store: &str, id: &str) -> Result<Option<Manifest>, HearthError> {
    match get(db, store, JsValue::from(id)).await? {
        None => Ok(None),
        // An unreadable record is as good as none: the model is fetched again.
        Some(v) => Ok(serde_wasm_bindgen::from_value(v).ok()),
    }
}

fn to_js(m: &Manifest) -> Result<JsValue, HearthError> {
    serde_wasm_bindgen::to_value(m).map_err(|e| storage("manifest", e))
}

/// Write chunk `index` and the partial manifest that now covers it, in one transaction.
pub(crate) async fn put_chunk(db: &Database, partial: &Manifest, index: usize, bytes: &[u8]) -> Result<(), HearthError> {
    let tx = db.transaction(&[CHUNKS, PARTIALS], TransactionMode::ReadWrite).map_err(|e| storage("write", e))?;
    let chunks = tx.object_store(CHUNKS).map_err(|e| storage("write", e))?;
    chunks
        .put(&Uint8Array::from(bytes).into(), Some(&chunk_key(&partial.id, index)))
        .map_err(|e| storage("write chunk", e))?;
    let partials = tx.object_store(PARTIALS).map_err(|e| storage("write", e))?;
    partials.put(&to_js(partial)?, Some(&JsValue::from(partial.id.as_str()))).map_err(|e| storage("write", e))?;
    commit(tx, "write chunk").await
}

async fn commit(tx: idb::Transaction, what: &str) -> Result<(), HearthError> {
    // Kept to read why it aborted (a full disk aborts the transaction with QuotaExceededError).
    let raw: web_sys::IdbTransaction = tx.into();
    let r = idb::Transaction::from(raw.clone()).await.map_err(|e| storage(what, e))?;
    if r.is_committed() {
        Ok(())
    } else {
        let why = raw.error().map_or_else(|| "no reason given".to_string(), |e| format!("{}: {}", e.name(), e.message()));
        Err(storage(what, format!("transaction aborted ({why})")))
    }
}

/// The model is whole: write its manifest and drop the partial, in one transaction.
pub(crate) async fn put_manifest(db: &Database, m: &Manifest) -> Result<(), HearthError> {
    let tx = db.transaction(&[PARTIALS, MANIFESTS], TransactionMode::ReadWrite).map_err(|e| storage("write", e))?;
    tx.object_store(MANIFESTS)
        .map_err(|e| storage("write", e))?
        .put(&to_js(m)?, Some(&JsValue::from(m.id.as_str())))
        .map_err(|e| storage("write manifest", e))?;
    tx.object_store(PARTIALS).map_err(|e| storage("write", e))?.delete(JsValue::from(m.id.as_str())).map_err(|e| storage("write", e))?;
    commit(tx, "write manifest").await
}

/// Read chunks `0..m.chunks.len()` back, verifying each. On a mismatch the model drops back to
/// a partial ending before the bad chunk, and `corrupt_cache` is returned. `signal` is checked
/// before each chunk (reading writes nothing, so an abort leaves the store as it was).
pub(crate) async fn read_verified(
    db: &Database,
    m: &Manifest,
    signal: Option<&AbortSignal>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<Vec<u8>, HearthError> {
    let total = m.bytes_done();
    let mut out = Vec::new();
    out.try_reserve_exact(total as usize).map_err(|_| HearthError::StorageQuota(format!("no memory for {total} bytes")))?;
    read_verified_each(db, m, signal, on_progress, &mut |piece| {
        out.extend_from_slice(piece);
        Ok(())
    })
    .await?;
    Ok(out)
}

/// `read_verified`, handing each verified chunk to `each` in order instead of keeping the file:
/// one chunk's buffer is all it holds.
pub(crate) async fn read_verified_each(
    db: &Database,
    m: &Manifest,
    signal: Option<&AbortSignal>,
    on_progress: &mut dyn FnMut(Progress),
    each: &mut dyn FnMut(&[u8]) -> Result<(), HearthError>,
) -> Result<(), HearthError> {
    let total = m.bytes_done();
    let mut done = 0u64;
    let mut buf = Vec::new();
    for (i, want) in m.chunks.iter().enumerate() {
        if signal.is_some_and(|s| s.aborted()) {
            return Err(HearthError::Aborted);
        }
        let value = get(db, CHUNKS, chunk_key(&m.id, i)).await?;
        let array = value.and_then(|v| v.dyn_into::<Uint8Array>().ok());
        let expected_len = m.chunk_size.min(m.size - i as u64 * m.chunk_size) as usize;
        // Copied straight into the buffer, then hashed where it lies.
        let ok = match array {
            Some(a) if a.length() as usize == expected_len => {
                buf.resize(expected_len, 0);
                a.copy_to(&mut buf);
                &chunk_sha256(&buf).await == want
            }
            _ => false,
        };
        if !ok {
            demote(db, m, i).await?;
            return Err(HearthError::CorruptCache(format!("model '{}': chunk {i} is missing or fails its sha256", m.id)));
        }
        each(&buf)?;
        done += expected_len as u64;
        on_progress(Progress { phase: "verify", loaded: done, total: Some(total) });
    }
    Ok(())
}

/// Keep chunks `..good` as a partial download; forget the manifest and the bad chunk.
async fn demote(db: &Database, m: &Manifest, good: usize) -> Result<(), HearthError> {
    let mut partial = m.clone();
    partial.chunks.truncate(good);
    let tx = db.transaction(&[CHUNKS, PARTIALS, MANIFESTS], TransactionMode::ReadWrite).map_err(|e| storage("write", e))?;
    let key = JsValue::from(m.id.as_str());
    tx.object_store(MANIFESTS).map_err(|e| storage("write", e))?.delete(key.clone()).map_err(|e| storage("write", e))?;
    tx.object_store(CHUNKS).map_err(|e| storage("write", e))?.delete(chunk_key(&m.id, good)).map_err(|e| storage("write", e))?;
    tx.object_store(PARTIALS).map_err(|e| storage("write", e))?.put(&to_js(&partial)?, Some(&key)).map_err(|e| storage("write", e))?;
    commit(tx, "demote").await
}

/// Storage used and available to this origin, in bytes: `(usage, quota)`.
pub async fn estimate() -> Result<(f64, f64), HearthError> {
    let Some(manager) = storage_manager() else { return Ok((0.0, f64::INFINITY)) };
    let p = manager.estimate().map_err(|e| storage("estimate", fetch::describe(&e)))?;
    let est: web_sys::StorageEstimate = JsFuture::from(p).await.map_err(|e| storage("estimate", fetch::describe(&e)))?.unchecked_into();
    Ok((est.get_usage().unwrap_or(0.0), est.get_quota().unwrap_or(f64::INFINITY)))
}

fn storage_manager() -> Option<web_sys::StorageManager> {
    let nav = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let storage = Reflect::get(&nav, &"storage".into()).ok()?;
    (!storage.is_undefined()).then(|| storage.unchecked_into())
}

/// Ask the browser not to evict the store under storage pressure (a hint; may be refused).
pub(crate) async fn request_persist() {
    if let Some(manager) = storage_manager() {
        if let Ok(p) = manager.persist() {
            let _ = JsFuture::from(p).await;
        }
    }
}

fn check_load_args(chunk_size: u64, sha256: Option<&str>) -> Result<(), HearthError> {
    if chunk_size == 0 || chunk_size > MAX_CHUNK || !chunk_size.is_multiple_of(4) {
        return Err(HearthError::InvalidRequest(format!("chunk size {chunk_size}: must be a multiple of 4 up to {MAX_CHUNK}")));
    }
    if sha256.is_some_and(|h| h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Err(HearthError::InvalidRequest("sha256: expected 64 hex digits".into()));
    }
    Ok(())
}

/// A stored model whose sha256 is not the one asked for (another version of the file).
fn stale(m: &Manifest, sha256: Option<&str>) -> bool {
    sha256.is_some_and(|want| m.sha256.as_deref().is_some_and(|got| !got.eq_ignore_ascii_case(want)))
}

/// The model `id`: from IndexedDB when it is there (verified, no network), otherwise downloaded
/// from `url` (resuming a partial download, retrying a flaky server; see `download`), stored in
/// chunks of `chunk_size`, then read back. `sha256` (hex), when given, is the whole file's: a
/// download that ends with other bytes is refused and forgotten.
pub async fn load(
    id: &str,
    url: &str,
    chunk_size: u64,
    sha256: Option<&str>,
    signal: Option<&AbortSignal>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<(Vec<u8>, LoadStats), HearthError> {
    check_load_args(chunk_size, sha256)?;
    let db = open_db().await?;
    let result = async {
        let (m, stats) = stored(&db, id, url, chunk_size, sha256, signal, on_progress).await?;
        Ok((read_verified(&db, &m, signal, on_progress).await?, stats))
    }
    .await;
    db.close();
    result
}

/// What `load_each` hands each verified chunk to: `(the file's size, the chunk)`.
pub type EachChunk<'a> = dyn FnMut(u64, &[u8]) -> Result<(), HearthError> + 'a;

/// `load`, handing the file to `each(size, piece)` chunk by chunk from the store instead of
/// returning it: neither the download nor the read holds the whole file.
pub async fn load_each(
    id: &str,
    url: &str,
    chunk_size: u64,
    sha256: Option<&str>,
    signal: Option<&AbortSignal>,
    on_progress: &mut dyn FnMut(Progress),
    each: &mut EachChunk<'_>,
) -> Result<LoadStats, HearthError> {
    check_load_args(chunk_size, sha256)?;
    let db = open_db().await?;
    let result = async {
        let (m, stats) = stored(&db, id, url, chunk_size, sha256, signal, on_progress).await?;
        let size = m.size;
        read_verified_each(&db, &m, signal, on_progress, &mut |piece| each(size, piece)).await?;
        Ok(stats)
    }
    .await;
    db.close();
    result
}

/// The manifest of model `id` once it is whole in the store: as it was (a cached model of the
/// pinned sha256), or after a download (another version is dropped first).
async fn stored(
    db: &Database,
    id: &str,
    url: &str,
    chunk_size: u64,
    sha256: Option<&str>,
    signal: Option<&AbortSignal>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<(Manifest, LoadStats), HearthError> {
    match get_manifest(db, MANIFESTS, id).await? {
        Some(m) if !stale(&m, sha256) => {
            let stats = LoadStats { from_cache: m.size, ..LoadStats::default() };
            Ok((m, stats))
        }
        found => {
            if found.is_some() {
                delete_in(db, id).await?;
            }
            let stats = download::run(db, id, url, chunk_size, sha256, signal, on_progress).await?;
            let m = get_manifest(db, MANIFESTS, id).await?.ok_or_else(|| HearthError::Storage(format!("model '{id}' was stored but has no manifest")))?;
            Ok((m, stats))
        }
    }
}

/// The whole models in the store.
pub async fn list() -> Result<Vec<Manifest>, HearthError> {
    let db = open_db().await?;
    let tx = db.transaction(&[MANIFESTS], TransactionMode::ReadOnly).map_err(|e| storage("read", e))?;
    let all = tx
        .object_store(MANIFESTS)
        .map_err(|e| storage("read", e))?
        .get_all(None, None)
        .map_err(|e| storage("read", e))?
        .await
        .map_err(|e| storage("read", e))?;
    db.close();
    Ok(all.into_iter().filter_map(|v| serde_wasm_bindgen::from_value(v).ok()).collect())
}

/// Delete a model (whole or partial) and all its chunks. Deleting what is not there is no error.
pub async fn delete(id: &str) -> Result<(), HearthError> {
    let db = open_db().await?;
    let r = delete_in(&db, id).await;
    db.close();
    r
}

/// `delete` on an open database.
pub(crate) async fn delete_in(db: &Database, id: &str) -> Result<(), HearthError> {
    let key = JsValue::from(id);
    let tx = db.transaction(&[CHUNKS, PARTIALS, MANIFESTS], TransactionMode::ReadWrite).map_err(|e| storage("write", e))?;
    // Chunk keys are "{id}/{n}": the range ["{id}/", "{id}/\u{ffff}") holds exactly them.
    let range = idb::KeyRange::bound(&JsValue::from(format!("{id}/")), &JsValue::from(format!("{id}/\u{ffff}")), None, None)
        .map_err(|e| storage("delete", e))?;
    tx.object_store(CHUNKS).map_err(|e| storage("delete", e))?.delete(range).map_err(|e| storage("delete", e))?;
    tx.object_store(PARTIALS).map_err(|e| storage("delete", e))?.delete(key.clone()).map_err(|e| storage("delete", e))?;
    tx.object_store(MANIFESTS).map_err(|e| storage("delete", e))?.delete(key).map_err(|e| storage("delete", e))?;
    commit(tx, "delete").await
}

/// The model id for a URL: its file name ("…/SmolLM2-135M-Instruct.Q4_1.gguf?x" → that name).
pub fn id_for_url(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.rsplit('/').find(|s| !s.is_empty()).unwrap_or(path).to_string()
}
