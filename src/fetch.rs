//! Fetch (wasm only): stream a model over HTTP, optionally from a byte offset (HTTP Range), in a
//! page or a Worker, and classify each failure as worth a retry or not. The first step of the
//! data flow; `store` decides what to ask for.

use crate::download_policy::{retryable_status, Failure, Response};
use crate::error::HearthError;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, Request, RequestInit, Window, WorkerGlobalScope};

/// An open response body, read piece by piece (none after a 416).
pub struct Download {
    reader: Option<ReadableStreamDefaultReader>,
    /// Where the body starts, the file's length and validator, as the response says.
    pub response: Response,
}

fn failed(what: &str, e: JsValue) -> Failure {
    if is_abort(&e) {
        return Failure::fatal(HearthError::Aborted);
    }
    // A network error (connection refused or reset, a dropped body) may pass.
    Failure::transient(HearthError::DownloadFailed(format!("{what}: {}", describe(&e))))
}

/// "AbortError" from a fetch or a read cancelled through an AbortSignal.
pub fn is_abort(e: &JsValue) -> bool {
    Reflect::get(e, &"name".into()).ok().and_then(|n| n.as_string()).is_some_and(|n| n == "AbortError")
}

/// A JS error's message, or its string form.
pub fn describe(e: &JsValue) -> String {
    let message = Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"));
    // A DOMException's name is its kind ("QuotaExceededError"); a plain Error's says nothing.
    match Reflect::get(e, &"name".into()).ok().and_then(|n| n.as_string()) {
        Some(name) if !name.is_empty() && name != "Error" && !message.contains(&name) => format!("{name}: {message}"),
        _ => message,
    }
}

/// `fetch` in a page or a Worker.
async fn fetch(request: &Request) -> Result<web_sys::Response, Failure> {
    let global = js_sys::global();
    let promise = if let Some(w) = global.dyn_ref::<Window>() {
        w.fetch_with_request(request)
    } else if let Some(w) = global.dyn_ref::<WorkerGlobalScope>() {
        w.fetch_with_request(request)
    } else {
        return Err(Failure::fatal(HearthError::DownloadFailed("no fetch in this global scope".into())));
    };
    let resp = JsFuture::from(promise).await.map_err(|e| failed("fetch", e))?;
    resp.dyn_into::<web_sys::Response>().map_err(|e| failed("fetch", e))
}

/// Start downloading `url` from byte `start` (a Range request when `start > 0`). What the
/// response says about itself is in `Download::response`; `download_policy::resume` judges it.
pub async fn open(url: &str, start: u64, signal: Option<&AbortSignal>) -> Result<Download, Failure> {
    let init = RequestInit::new();
    init.set_signal(signal);
    // Revalidate with the server: an HTTP cache must not answer a resumed download with a
    // stale copy of another version of the file.
    init.set_cache(web_sys::RequestCache::NoStore);
    let request = Request::new_with_str_and_init(url, &init).map_err(|e| Failure::fatal(HearthError::DownloadFailed(format!("request: {}", describe(&e)))))?;
    if start > 0 {
        request.headers().set("Range", &format!("bytes={start}-")).map_err(|e| failed("request", e))?;
    }
    let resp = fetch(&request).await?;
    let header = |name: &str| resp.headers().get(name).ok().flatten().filter(|v| !v.is_empty());
    let validator = header("ETag").or_else(|| header("Last-Modified"));
    // "bytes 1000-1999/2000" (206) or "bytes */2000" (416)
    let range = header("Content-Range").unwrap_or_default();
    let range_total = range.rsplit('/').next().and_then(|s| s.parse().ok());
    let response = match resp.status() {
        200 => Response { start: 0, total: header("Content-Length").and_then(|l| l.parse().ok()), validator, range_refused: false },
        206 => {
            let first = range.strip_prefix("bytes ").and_then(|r| r.split('-').next()).and_then(|s| s.parse().ok());
            match first {
                Some(first) => Response { start: first, total: range_total, validator, range_refused: false },
                None => return Err(Failure::transient(HearthError::DownloadFailed(format!("{url}: unreadable Content-Range {range:?}")))),
            }
        }
        416 => return Ok(Download { reader: None, response: Response { start, total: range_total, validator, range_refused: true } }),
        s => {
            let e = HearthError::DownloadFailed(format!("{url}: HTTP {s} {}", resp.status_text()));
            return Err(Failure { error: e, retry: retryable_status(s) });
        }
    };
    let body = resp.body().ok_or_else(|| Failure::transient(HearthError::DownloadFailed(format!("{url}: empty body"))))?;
    let reader = body.get_reader().dyn_into::<ReadableStreamDefaultReader>().map_err(|e| failed("body reader", e.into()))?;
    Ok(Download { reader: Some(reader), response })
}

/// Wait `ms` milliseconds, or less when `signal` aborts (then `Aborted`).
pub async fn sleep(ms: u32, signal: Option<&AbortSignal>) -> Result<(), HearthError> {
    const SLICE_MS: u32 = 50;
    let mut left = ms;
    while left > 0 {
        if signal.is_some_and(|s| s.aborted()) {
            return Err(HearthError::Aborted);
        }
        let step = left.min(SLICE_MS);
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            let set_timeout = Reflect::get(&js_sys::global(), &"setTimeout".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
            match set_timeout {
                Some(f) => {
                    let _ = f.call2(&JsValue::NULL, &resolve, &JsValue::from(step));
                }
                None => {
                    let _ = resolve.call0(&JsValue::NULL);
                }
            }
        });
        let _ = JsFuture::from(promise).await;
        left -= step;
    }
    if signal.is_some_and(|s| s.aborted()) {
        return Err(HearthError::Aborted);
    }
    Ok(())
}

impl Download {
    /// The next piece of the body; `None` at its end.
    pub async fn next(&mut self) -> Result<Option<Vec<u8>>, Failure> {
        let Some(reader) = &self.reader else { return Ok(None) };
        let step = JsFuture::from(reader.read()).await.map_err(|e| failed("read", e))?;
        let done = Reflect::get(&step, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true);
        if done {
            return Ok(None);
        }
        let value = Reflect::get(&step, &"value".into()).map_err(|e| failed("read", e))?;
        Ok(Some(Uint8Array::new(&value).to_vec()))
    }

    /// Stop reading (the connection is released).
    pub fn cancel(self) {
        if let Some(reader) = self.reader {
            let _ = reader.cancel();
        }
    }
}
