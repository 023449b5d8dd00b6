//! The IndexedDB weight store in a real browser (headless Chromium): download in chunks, an
//! interrupted download resumed with HTTP Range, every read verified, a corrupted chunk refused
//! while the rest stays usable, and a second load with no server at all. Run: `make test-web`.
#![cfg(target_family = "wasm")]

mod web_common;

use hearth::store::{self, Progress};
use sha2::{Digest, Sha256};
use wasm_bindgen_test::*;

use web_common::MODEL_URL;

wasm_bindgen_test_configure!(run_in_browser);

/// Nothing listens on the discard port: a load from here must be served by the store alone.
const DEAD_URL: &str = "http://127.0.0.1:9/SmolLM2-135M-Instruct.Q4_1.gguf";
const SIZE: usize = 98_362_432;
const SHA256: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
const CHUNK: u64 = 16 << 20; // 6 chunks, the last one short

fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

async fn cached_ids() -> Vec<String> {
    store::list().await.expect("list").into_iter().map(|m| m.id).collect()
}

#[wasm_bindgen_test]
async fn store_resumes_verifies_and_serves_offline() {
    let id = "test-store-smollm2";
    store::delete(id).await.expect("delete");

    // 1. A download interrupted after ~40 MB: aborted, nothing served, two whole chunks kept.
    let controller = web_sys::AbortController::new().expect("controller");
    let signal = controller.signal();
    let mut stop_early = |p: Progress| {
        if p.loaded > 40 << 20 {
            controller.abort();
        }
    };
    let err = store::load(id, MODEL_URL, CHUNK, None, Some(&signal), &mut stop_early).await.expect_err("aborted");
    assert_eq!(err.code(), "aborted");
    assert!(!cached_ids().await.contains(&id.to_string()), "a partial model is never listed");

    // 2. Load again: it resumes with Range after the last whole chunk and is byte-exact.
    let (bytes, stats) = store::load(id, MODEL_URL, CHUNK, None, None, &mut |_| {}).await.expect("resumed load");
    assert!(stats.resumed_at >= 2 * CHUNK && stats.resumed_at % CHUNK == 0, "resumed at {}", stats.resumed_at);
    assert_eq!(stats.from_cache, stats.resumed_at);
    assert_eq!(stats.downloaded, SIZE as u64 - stats.resumed_at);
    assert_eq!(bytes.len(), SIZE);
    assert_eq!(sha(&bytes), SHA256);
    assert!(cached_ids().await.contains(&id.to_string()));
    let manifest = store::list().await.expect("list").into_iter().find(|m| m.id == id).expect("manifest");
    assert_eq!((manifest.size, manifest.chunks.len()), (SIZE as u64, 6));
    assert_eq!(manifest.sha256.as_deref(), Some(SHA256), "the manifest holds the whole file's sha256");

    // 3. Second load with no server: served from IndexedDB, verified, no network.
    let mut phases = Vec::new();
    let (again, stats) = store::load(id, DEAD_URL, CHUNK, None, None, &mut |p: Progress| phases.push(p.phase)).await.expect("offline load");
    assert_eq!((stats.downloaded, stats.from_cache), (0, SIZE as u64));
    assert!(again == bytes);
    assert!(phases.iter().all(|p| *p == "verify") && !phases.is_empty());

    // 4. Corrupt chunk 3: refused with corrupt_cache, never served.
    let db = store::open_db().await.expect("db");
    let tx = db.transaction(&[store::CHUNKS], idb::TransactionMode::ReadWrite).expect("tx");
    let garbage = js_sys::Uint8Array::from(&vec![0xA5u8; CHUNK as usize][..]);
    tx.object_store(store::CHUNKS).expect("store").put(&garbage.into(), Some(&store::chunk_key(id, 3))).expect("put");
    assert!(tx.await.expect("commit").is_committed());
    db.close();
    let err = store::load(id, DEAD_URL, CHUNK, None, None, &mut |_| {}).await.expect_err("corrupt chunk");
    assert_eq!(err.code(), "corrupt_cache");
    assert!(!cached_ids().await.contains(&id.to_string()));

    // 5. The chunks before it are still good: the next load fetches only from chunk 3 on.
    let (bytes, stats) = store::load(id, MODEL_URL, CHUNK, None, None, &mut |_| {}).await.expect("repair");
    assert_eq!(stats.resumed_at, 3 * CHUNK);
    assert_eq!(sha(&bytes), SHA256);

    // 6. A server error is download_failed, and leaves the stored model alone.
    let err = store::load("test-store-missing", "http://127.0.0.1:9/none.gguf", CHUNK, None, None, &mut |_| {}).await.expect_err("no server");
    assert_eq!(err.code(), "download_failed");
    let err = store::load("x", MODEL_URL, 3, None, None, &mut |_| {}).await.expect_err("bad chunk size");
    assert_eq!(err.code(), "invalid_request");
    assert!(cached_ids().await.contains(&id.to_string()));

    // 7. Every byte held but the manifest never written (a load stopped between its last chunk
    // and its manifest): finished from the store alone, whole-file sha256 checked, then listed.
    demote_to_partial(id).await;
    assert!(!cached_ids().await.contains(&id.to_string()));
    // (The partial's own URL, so that it is kept; `downloaded` and `attempts` show no request.)
    let err = store::load(id, MODEL_URL, CHUNK, Some(&"0".repeat(64)), None, &mut |_| {}).await.expect_err("another sha256");
    assert_eq!(err.code(), "download_failed", "{err}");
    assert!(!cached_ids().await.contains(&id.to_string()), "a whole partial of another sha256 is dropped");
    let _ = store::load(id, MODEL_URL, CHUNK, None, None, &mut |_| {}).await.expect("download again");
    demote_to_partial(id).await;
    let (bytes, stats) = store::load(id, MODEL_URL, CHUNK, Some(SHA256), None, &mut |_| {}).await.expect("finished offline");
    assert_eq!((stats.downloaded, stats.from_cache, stats.attempts), (0, SIZE as u64, 0));
    assert_eq!(sha(&bytes), SHA256);
    assert!(cached_ids().await.contains(&id.to_string()));

    store::delete(id).await.expect("delete");
    assert!(!cached_ids().await.contains(&id.to_string()));
}

/// Move model `id`'s manifest back to the partials store, as if its last write had not landed.
async fn demote_to_partial(id: &str) {
    let db = store::open_db().await.expect("db");
    let tx = db.transaction(&[store::MANIFESTS, store::PARTIALS], idb::TransactionMode::ReadWrite).expect("tx");
    let key = wasm_bindgen::JsValue::from(id);
    let manifests = tx.object_store(store::MANIFESTS).expect("store");
    let m = manifests.get(key.clone()).expect("get").await.expect("read").expect("a manifest");
    manifests.delete(key.clone()).expect("delete").await.expect("deleted");
    tx.object_store(store::PARTIALS).expect("store").put(&m, Some(&key)).expect("put").await.expect("put");
    assert!(tx.await.expect("commit").is_committed());
    db.close();
}
