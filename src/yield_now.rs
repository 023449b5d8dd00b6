//! yield_now: give the event loop a turn. The CPU backend computes on the thread that runs the
//! engine (a Worker's, in the package): without a turn between passes, an `abort` message (or
//! anything else) waits until the completion ends. A MessageChannel message is a task, so
//! whatever is queued before it runs first, and unlike `setTimeout(0)` it is not clamped to
//! 4 ms. Natively there is no event loop to feed: it returns at once.

#[cfg(target_family = "wasm")]
pub async fn yield_now() {
    use wasm_bindgen::{closure::Closure, JsCast, JsValue};
    let Ok(channel) = web_sys::MessageChannel::new() else { return };
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let done = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        channel.port1().set_onmessage(Some(done.unchecked_ref()));
        let _ = channel.port2().post_message(&JsValue::NULL);
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[cfg(not(target_family = "wasm"))]
pub async fn yield_now() {}
