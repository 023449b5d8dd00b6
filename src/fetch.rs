//! Fetch (wasm only): stream a model over HTTP, optionally from a byte offset (HTTP Range), in a
//! page or a Worker. The first step of the data flow; `store` decides what to ask for.

use crate::error::HearthError;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStreamDefaultReader, Request, RequestInit, Response, Window, WorkerGlobalScope};

/// An open response body, read piece by piece.
pub struct Download {
    reader: ReadableStreamDefaultReader,
    /// The byte offset of the first byte this body delivers (0 when the server ignored Range).
    pub start: u64,
    /// The whole file's size, when the server said.
    pub total: Option<u64>,
}

fn failed(what: &str, e: JsValue) -> HearthError {
    if is_abort(&e) {
        return HearthError::Aborted;
    }
    HearthError::DownloadFailed(format!("{what}: {}", describe(&e)))
}

/// "AbortError" from a fetch or a read cancelled through an AbortSignal.
pub fn is_abort(e: &JsValue) -> bool {
    Reflect::get(e, &"name".into()).ok().and_then(|n| n.as_string()).is_some_and(|n| n == "AbortError")
}

/// A JS error's message, or its string form.
pub fn describe(e: &JsValue) -> String {
    Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

/// `fetch` in a page or a Worker.
async fn fetch(request: &Request) -> Result<Response, HearthError> {
    let global = js_sys::global();
    let promise = if let Some(w) = global.dyn_ref::<Window>() {
        w.fetch_with_request(request)
    } else if let Some(w) = global.dyn_ref::<WorkerGlobalScope>() {
        w.fetch_with_request(request)
    } else {
        return Err(HearthError::DownloadFailed("no fetch in this global scope".into()));
    };
    let resp = JsFuture::from(promise).await.map_err(|e| failed("fetch", e))?;
    resp.dyn_into::<Response>().map_err(|e| failed("fetch", e))
}

/// Start downloading `url` from byte `start` (a Range request when `start > 0`).
pub async fn open(url: &str, start: u64, signal: Option<&AbortSignal>) -> Result<Download, HearthError> {
    let init = RequestInit::new();
    init.set_signal(signal);
    let request = Request::new_with_str_and_init(url, &init).map_err(|e| failed("request", e))?;
    if start > 0 {
        request.headers().set("Range", &format!("bytes={start}-")).map_err(|e| failed("request", e))?;
    }
    let resp = fetch(&request).await?;
    let header = |name: &str| resp.headers().get(name).ok().flatten();
    let (start, total) = match resp.status() {
        200 => (0, header("Content-Length").and_then(|l| l.parse().ok())),
        206 => {
            // "bytes 1000-1999/2000"
            let range = header("Content-Range").unwrap_or_default();
            let first = range.strip_prefix("bytes ").and_then(|r| r.split('-').next()).and_then(|s| s.parse().ok());
            let total = range.rsplit('/').next().and_then(|s| s.parse().ok());
            match first {
                Some(first) if first == start => (first, total),
                _ => return Err(HearthError::DownloadFailed(format!("{url}: unexpected Content-Range {range:?}"))),
            }
        }
        416 => return Err(HearthError::DownloadFailed(format!("{url}: range {start}- not satisfiable (file changed?)"))),
        s => return Err(HearthError::DownloadFailed(format!("{url}: HTTP {s} {}", resp.status_text()))),
    };
    let body = resp.body().ok_or_else(|| HearthError::DownloadFailed(format!("{url}: empty body")))?;
    let reader = body
        .get_reader()
        .dyn_into::<ReadableStreamDefaultReader>()
        .map_err(|e| failed("body reader", e.into()))?;
    Ok(Download { reader, start, total })
}

impl Download {
    /// The next piece of the body; `None` at its end.
    pub async fn next(&mut self) -> Result<Option<Vec<u8>>, HearthError> {
        let step = JsFuture::from(self.reader.read()).await.map_err(|e| failed("read", e))?;
        let done = Reflect::get(&step, &"done".into()).ok().and_then(|d| d.as_bool()).unwrap_or(true);
        if done {
            return Ok(None);
        }
        let value = Reflect::get(&step, &"value".into()).map_err(|e| failed("read", e))?;
        Ok(Some(Uint8Array::new(&value).to_vec()))
    }

    /// Stop reading (the connection is released).
    pub fn cancel(self) {
        let _ = self.reader.cancel();
    }
}
