//! The store's sha256: of a chunk (WebCrypto where the browser has it) and of a whole file.

use js_sys::{Reflect, Uint8Array};
use sha2::{Digest, Sha256};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// sha256 (hex) of `bytes`, by the `sha2` crate, fed in pieces: each call is a new entry into
/// the function, so V8's optimised code takes over early (it does not replace a running wasm call).
fn sha256_hex(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    for piece in bytes.chunks(1 << 16) {
        h.update(piece);
    }
    hex(&h.finalize())
}

pub(crate) fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// sha256 (hex) of one chunk (≤ `MAX_CHUNK`): the browser's WebCrypto where it has it (a secure
/// context; it copies the chunk, hence not for whole files), else `sha256_hex`. WebCrypto runs at
/// native speed: the first 32 MiB chunk of a load in a fresh Worker took 2.3 s in our wasm, whose
/// hash function starts unoptimised.
pub(crate) async fn chunk_sha256(bytes: &[u8]) -> String {
    match subtle_sha256(bytes).await {
        Some(d) => hex(&d),
        None => sha256_hex(bytes),
    }
}

/// `crypto.subtle.digest('SHA-256', bytes)`, or `None` where there is no WebCrypto (an insecure
/// origin) or it refuses the buffer (wasm memory that is shared, in a threaded build).
async fn subtle_sha256(bytes: &[u8]) -> Option<Vec<u8>> {
    let crypto = Reflect::get(&js_sys::global(), &"crypto".into()).ok()?;
    let subtle = Reflect::get(&crypto, &"subtle".into()).ok().filter(|s| s.is_object())?;
    let digest: js_sys::Function = Reflect::get(&subtle, &"digest".into()).ok()?.dyn_into().ok()?;
    // The threads build's memory is shared, which WebCrypto refuses: there, a copy (≈ 10 ms for
    // 32 MiB). SAFETY (the view): digest() copies its input before it returns (WebCrypto: "get a
    // copy of the bytes held by the data parameter"), and nothing allocates between making the
    // view and that call.
    let view = if cfg!(target_feature = "atomics") { Uint8Array::from(bytes) } else { unsafe { Uint8Array::view(bytes) } };
    let promise: js_sys::Promise = digest.call2(&subtle, &"SHA-256".into(), &view).ok()?.dyn_into().ok()?;
    let out = JsFuture::from(promise).await.ok()?;
    Some(Uint8Array::new(&out).to_vec())
}
