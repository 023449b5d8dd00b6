//! A lost GPU device (a driver reset, the browser's GPU process crashed, a phone's backgrounded
//! tab) costs at most one request: the engine loads the model again from the store onto a new
//! device. The request that met the loss is run again there when none of its text had been
//! streamed yet; otherwise it fails with `device_lost` and the next request recovers first.

use super::{js_error, run, WasmEngine};
use crate::engine::{Completion, CompletionRequest};
use crate::error::HearthError;
use crate::gpu;
use js_sys::Function;
use std::cell::Cell;
use wasm_bindgen::JsValue;
use web_sys::AbortSignal;

impl WasmEngine {
    /// `complete`'s run: recover from an earlier loss, run, and on a loss recover and (when
    /// nothing was streamed and the caller did not abort) run once more.
    pub(super) async fn complete_recovering(
        &mut self,
        req: &CompletionRequest,
        on_text: &Option<Function>,
        signal: Option<&AbortSignal>,
    ) -> Result<Completion, JsValue> {
        if self.device_lost.pending {
            self.recover(signal).await?;
        }
        let streamed = Cell::new(false);
        match run(&mut self.engine, req, on_text, signal, &streamed).await {
            Err(HearthError::DeviceLost(message)) if self.engine.backend.name() == "webgpu" => {
                // Forget the device now, once: every later device_async makes a new one.
                gpu::forget_device();
                self.device_lost.pending = true;
                self.device_lost.count += 1;
                let message = brief(&message);
                self.device_lost.last = Some(message.clone());
                web_sys::console::warn_1(&format!("hearth: the GPU device was lost ({message}); loading the model again").into());
                if streamed.get() || signal.is_some_and(|s| s.aborted()) {
                    return Err(js_error(HearthError::DeviceLost(message)));
                }
                self.recover(signal).await?;
                run(&mut self.engine, req, on_text, signal, &streamed).await.map_err(js_error)
            }
            other => other.map_err(js_error),
        }
    }

    /// Load the model again (from the store: no network while it is cached) on a new device,
    /// self-tested as at load; `backend: 'auto'` goes to the CPU if no GPU comes back. On failure
    /// (aborted, no GPU for `backend: 'webgpu'`) the loss stays pending for the next request.
    async fn recover(&mut self, signal: Option<&AbortSignal>) -> Result<(), JsValue> {
        let last = self.device_lost.last.clone().unwrap_or_default();
        let Some((url, options)) = self.reload.clone() else {
            return Err(js_error(HearthError::DeviceLost(format!("{last}; the model was loaded from memory: load it again"))));
        };
        let t0 = js_sys::Date::now();
        let fresh = Self::open(url, options, &None, signal).await?;
        self.engine = fresh.engine;
        self.gpu_fallback = fresh.gpu_fallback;
        self.device_lost.pending = false;
        self.device_lost.recovered += 1;
        self.device_lost.recover_ms = js_sys::Date::now() - t0;
        Ok(())
    }
}

/// cubecl's error chain ("The device is poisoned / Caused by: … / Backtrace: …") as one line:
/// its distinct causes, without the backtrace.
fn brief(message: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for line in message.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("Caused by") || line.starts_with("Backtrace") || line.contains("backtrace") {
            continue;
        }
        if !parts.contains(&line) {
            parts.push(line);
        }
    }
    parts.join(": ")
}
