//! The wasm module's static constructors, run once (both wasm builds: with and without the GPU).

/// Run the module's static constructors (cubecl registers its IR through `inventory`) exactly
/// once. Without an exported function that calls `__wasm_call_ctors`, wasm-ld treats the module
/// as a "command" and re-runs every constructor at the top of *every* export — each JS→wasm
/// call, promise callback included — which cost 4–6 ms per kernel launch in the browser.
pub fn run_constructors_once() {
    use std::sync::atomic::{AtomicBool, Ordering};
    extern "C" {
        fn __wasm_call_ctors();
    }
    static DONE: AtomicBool = AtomicBool::new(false);
    if !DONE.swap(true, Ordering::Relaxed) {
        // SAFETY: the linker-synthesised constructor list, run once before any other use.
        unsafe { __wasm_call_ctors() }
    }
}
