//! The JS API (wasm only), as the npm package's glue (`pkg-config/*.js`) calls it:
//! `WasmEngine.load(bytes, options, onProgress)`, `WasmEngine.loadUrl(url, options, onProgress,
//! signal)`, `engine.complete(request, onText, signal)`, `engine.info()`, and the store's
//! `listCachedModels()`, `deleteCachedModel(id)`, `storageEstimate()`.
//! Errors are `Error` objects with a stable `code` property (`HearthError::code`).

use crate::cpu::{CpuOptions, Numerics};
use crate::engine::{Completion, CompletionRequest, Engine, DEFAULT_CONTEXT};
use crate::error::HearthError;
use crate::gpu;
use crate::request::RequestFields;
use crate::store;
use js_sys::{Function, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use web_sys::AbortSignal;

#[cfg(feature = "gpu")]
mod lost;
mod replies;

use replies::{DeviceLostInfo, Info, LimitsInfo, LoadInfo, Response};

/// An `Error` whose `code` is the stable code and whose `name` is `AbortError` for aborts.
fn js_error(e: HearthError) -> JsValue {
    let err = js_sys::Error::new(&format!("{}: {e}", e.code()));
    let _ = Reflect::set(&err, &"code".into(), &e.code().into());
    if matches!(e, HearthError::Aborted) {
        err.set_name("AbortError");
    }
    err.into()
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error(HearthError::InvalidRequest(e.to_string())))
}

/// Runs when the module is instantiated: static constructors once (see `gpu::run_constructors_once`).
#[wasm_bindgen(start)]
fn start() {
    gpu::run_constructors_once();
}

/// `{ id, context, chunkSize, backend, numerics, sha256 }`, all optional. `backend`: `auto` (default: WebGPU when
/// the browser has a hardware adapter, else the CPU), `webgpu` or `cpu`.
#[derive(Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
struct LoadOptions {
    id: Option<String>,
    context: Option<usize>,
    chunk_size: Option<u64>,
    backend: Option<String>,
    /// The CPU backend's arithmetic: `int8` (default) or `exact`.
    numerics: Option<String>,
    /// The whole file's sha256 (hex): a download that ends with other bytes fails
    /// (`download_failed`) and is not kept.
    sha256: Option<String>,
    /// The CPU backend's threads (1..=64): at most the Workers the page started
    /// (`initThreadPool`, the `threads` build); default all of them.
    threads: Option<usize>,
}

/// A WebGPU device to run on; the CPU-only build (`hearth_cpu`, no burn/wgpu) has none.
#[cfg(feature = "gpu")]
type GpuDevice = gpu::Gpu;
#[cfg(not(feature = "gpu"))]
enum GpuDevice {}

/// Where the model will run: a WebGPU device, or `None` for the CPU; and, when `auto` chose the
/// CPU, why (`info().gpuFallback`). A hardware adapter is trusted only after every kernel passed
/// its numeric self-test on it (kernels/self_test.rs); `webgpu` asked for explicitly fails with
/// `webgpu_unavailable` where `auto` would fall back.
async fn choose_backend(options: &LoadOptions) -> Result<(Option<GpuDevice>, Option<String>), JsValue> {
    match options.backend.as_deref().unwrap_or("auto") {
        "cpu" => Ok((None, None)),
        #[cfg(feature = "gpu")]
        "webgpu" => {
            let g = gpu::device_async().await.map_err(js_error)?;
            crate::kernels::self_test::trust(&g.device, crate::kernels::Family::for_adapter(g.software)).await.map_err(js_error)?;
            Ok((Some(g), None))
        }
        // A software adapter (SwiftShader) runs our kernels slower than the wasm CPU path does
        // (measured: 4.5 vs 24 tok/s decode on the same 2-core machine), so auto skips it.
        #[cfg(feature = "gpu")]
        "auto" => Ok(match gpu::device_async().await {
            Err(e) => (None, Some(e.to_string())),
            Ok(g) if g.software => (None, Some(format!("software adapter ({}): the CPU backend is faster", g.adapter))),
            Ok(g) => match crate::kernels::self_test::trust(&g.device, crate::kernels::Family::for_adapter(false)).await {
                Ok(()) => (Some(g), None),
                Err(e) => (None, Some(e.to_string())),
            },
        }),
        // The package loads this build only where the CPU will run (see pkg-config/local.js).
        #[cfg(not(feature = "gpu"))]
        "webgpu" => Err(js_error(HearthError::GpuUnavailable("hearth's CPU-only build has no WebGPU backend".into()))),
        #[cfg(not(feature = "gpu"))]
        "auto" => Ok((None, Some("no hardware WebGPU adapter: the package loaded the CPU build".into()))),
        other => Err(js_error(HearthError::InvalidRequest(format!("backend {other:?}: expected auto, webgpu or cpu")))),
    }
}

fn load_options(v: JsValue) -> Result<LoadOptions, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(LoadOptions::default());
    }
    serde_wasm_bindgen::from_value(v).map_err(|e| js_error(HearthError::InvalidRequest(e.to_string())))
}

fn progress(cb: &Option<Function>, phase: &str, loaded: f64, total: Option<f64>) {
    if let Some(cb) = cb {
        let o = js_sys::Object::new();
        let _ = Reflect::set(&o, &"phase".into(), &phase.into());
        let _ = Reflect::set(&o, &"loaded".into(), &loaded.into());
        let _ = Reflect::set(&o, &"total".into(), &total.map_or(JsValue::NULL, JsValue::from));
        let _ = cb.call1(&JsValue::NULL, &o);
    }
}

#[wasm_bindgen]
pub struct WasmEngine {
    engine: Engine,
    source: String,
    load_ms: f64,
    load: LoadInfo,
    gpu_fallback: Option<String>,
    /// How to load the model again when the GPU device is lost: a URL load's url and options
    /// (its bytes are in the store); `None` for a model loaded from memory.
    #[cfg_attr(not(feature = "gpu"), allow(dead_code))]
    reload: Option<(String, LoadOptions)>,
    /// Devices lost and recovered from, and the last loss's message (`info().deviceLost`).
    device_lost: DeviceLostInfo,
}

impl WasmEngine {
    /// `loadUrl`, and the reload after a lost device.
    async fn open(url: String, options: LoadOptions, on_progress: &Option<Function>, signal: Option<&AbortSignal>) -> Result<WasmEngine, JsValue> {
        let t0 = js_sys::Date::now();
        let id = options.id.clone().unwrap_or_else(|| store::id_for_url(&url));
        let chunk = options.chunk_size.unwrap_or(store::DEFAULT_CHUNK);
        // Decide the backend first: asking for WebGPU when there is none fails before downloading.
        let (gpu, gpu_fallback) = choose_backend(&options).await?;
        let mut report = |p: store::Progress| progress(on_progress, p.phase, p.loaded as f64, p.total.map(|t| t as f64));
        let (engine, stats) = match gpu {
            #[cfg(feature = "gpu")]
            Some(gpu) => {
                // Chunk by chunk from the store onto the GPU: the file is never whole in memory.
                let family = crate::kernels::Family::for_adapter(gpu.software);
                let mut load: Option<crate::loader::GpuLoad> = None;
                let mut each = |size: u64, piece: &[u8]| {
                    let l = load.get_or_insert_with(|| crate::loader::GpuLoad::new(size, &gpu, family));
                    l.push(piece)?;
                    progress(on_progress, "upload", l.position() as f64, Some(size as f64));
                    Ok(())
                };
                let stats = store::load_each(&id, &url, chunk, options.sha256.as_deref(), signal, &mut report, &mut each).await.map_err(js_error)?;
                let load = load.ok_or_else(|| js_error(HearthError::InvalidRequest("an empty model file".into())))?;
                (load.finish(options.context.unwrap_or(DEFAULT_CONTEXT)).map_err(js_error)?, stats)
            }
            #[cfg(not(feature = "gpu"))]
            Some(never) => match never {},
            None => {
                let (bytes, stats) = store::load(&id, &url, chunk, options.sha256.as_deref(), signal, &mut report).await.map_err(js_error)?;
                (Self::cpu_from_bytes(bytes, &options, on_progress)?, stats)
            }
        };
        let source = match (stats.downloaded, stats.resumed_at) {
            (0, _) => "cache".to_string(),
            (_, 0) => "network".to_string(),
            (_, at) => format!("network (resumed at {at})"),
        };
        let load = LoadInfo {
            from_cache: stats.from_cache as f64,
            downloaded: stats.downloaded as f64,
            resumed_at: stats.resumed_at as f64,
            attempts: stats.attempts,
        };
        let load_ms = js_sys::Date::now() - t0;
        Ok(WasmEngine { engine, source, load_ms, load, gpu_fallback, reload: Some((url, options)), device_lost: DeviceLostInfo::default() })
    }

    /// The CPU backend keeps the bytes: its weights are read in place.
    fn cpu_from_bytes(bytes: Vec<u8>, options: &LoadOptions, on_progress: &Option<Function>) -> Result<Engine, JsValue> {
        let context = options.context.unwrap_or(DEFAULT_CONTEXT);
        let n = bytes.len() as f64;
        progress(on_progress, "upload", 0.0, Some(n));
        let numerics = match options.numerics.as_deref().unwrap_or("int8") {
            "int8" => Numerics::Int8,
            "exact" => Numerics::Exact,
            other => return Err(js_error(HearthError::InvalidRequest(format!("numerics {other:?}: expected int8 or exact")))),
        };
        let threads = match options.threads {
            Some(t) if (1..=64).contains(&t) => t,
            Some(t) => return Err(js_error(HearthError::InvalidRequest(format!("threads {t}: expected 1 to 64")))),
            None => crate::cpu::pool::Pool::default_threads(),
        };
        let engine = Engine::load_cpu_with(bytes, context, CpuOptions { numerics, threads }).map_err(js_error)?;
        progress(on_progress, "upload", n, Some(n));
        Ok(engine)
    }

    /// A model held by the page, onto the GPU a chunk at a time (no copy of the whole file).
    #[cfg(feature = "gpu")]
    fn gpu_from_array(bytes: &Uint8Array, gpu: &GpuDevice, options: &LoadOptions, on_progress: &Option<Function>) -> Result<Engine, HearthError> {
        let n = bytes.length();
        let mut load = crate::loader::GpuLoad::new(n as u64, gpu, crate::kernels::Family::for_adapter(gpu.software));
        let step = store::DEFAULT_CHUNK as u32;
        let mut buf = Vec::new();
        for start in (0..n).step_by(step as usize) {
            let end = n.min(start + step);
            buf.resize((end - start) as usize, 0);
            bytes.subarray(start, end).copy_to(&mut buf);
            load.push(&buf)?;
            progress(on_progress, "upload", end as f64, Some(n as f64));
        }
        load.finish(options.context.unwrap_or(DEFAULT_CONTEXT))
    }
}

#[wasm_bindgen]
impl WasmEngine {
    /// Parse, repack and upload a GGUF model held in memory (not cached).
    pub async fn load(bytes: Uint8Array, options: JsValue, on_progress: Option<Function>) -> Result<WasmEngine, JsValue> {
        let t0 = js_sys::Date::now();
        let options = load_options(options)?;
        let (gpu, gpu_fallback) = choose_backend(&options).await?;
        let engine = match gpu {
            #[cfg(feature = "gpu")]
            Some(gpu) => Self::gpu_from_array(&bytes, &gpu, &options, &on_progress).map_err(js_error)?,
            #[cfg(not(feature = "gpu"))]
            Some(never) => match never {},
            None => Self::cpu_from_bytes(bytes.to_vec(), &options, &on_progress)?,
        };
        Ok(WasmEngine { engine, source: "memory".into(), load_ms: js_sys::Date::now() - t0, load: LoadInfo::default(), gpu_fallback, reload: None, device_lost: DeviceLostInfo::default() })
    }

    /// Load the model at `url`: from the IndexedDB store when it is there (no network), else
    /// downloaded (resuming a partial download), stored, then uploaded.
    #[wasm_bindgen(js_name = loadUrl)]
    pub async fn load_url(url: String, options: JsValue, on_progress: Option<Function>, signal: Option<AbortSignal>) -> Result<WasmEngine, JsValue> {
        Self::open(url, load_options(options)?, &on_progress, signal.as_ref()).await
    }

    /// Run a completion: `{ prompt, suffix, mode, language, maxPrefixTokens, maxSuffixTokens, maxTokens, temperature,
    /// topK, topP, repeatPenalty, seed, stop }` → `{ text, fim, tokens, promptTokens, stopReason, timings }`. `onText(piece)` streams the text;
    /// `signal` aborts between tokens and prefill chunks (rejecting with an `AbortError`).
    pub async fn complete(&mut self, request: JsValue, on_text: Option<Function>, signal: Option<AbortSignal>) -> Result<JsValue, JsValue> {
        if request.is_object() {
            let obj: &js_sys::Object = request.unchecked_ref();
            let keys: Vec<String> = js_sys::Object::keys(obj).iter().filter_map(|k| k.as_string()).collect();
            crate::request::check_keys(keys.iter().map(String::as_str)).map_err(js_error)?;
        }
        let fields: RequestFields = serde_wasm_bindgen::from_value(request).map_err(|e| js_error(HearthError::InvalidRequest(e.to_string())))?;
        let req = fields.into_request(&CompletionRequest::new("")).map_err(js_error)?;
        #[cfg(feature = "gpu")]
        let c = self.complete_recovering(&req, &on_text, signal.as_ref()).await?;
        #[cfg(not(feature = "gpu"))]
        let c = run(&mut self.engine, &req, &on_text, signal.as_ref(), &std::cell::Cell::new(false)).await.map_err(js_error)?;
        to_js(&Response::from(c))
    }

    /// `{ model, backend, adapter, context, vocab, fim, limits, source, loadMs, load, wasmBuild, threads, gpuFallback, wasmMemoryBytes, deviceLost }`
    pub fn info(&self) -> Result<JsValue, JsValue> {
        let e = &self.engine;
        to_js(&Info {
            model: e.model_name.clone(),
            backend: e.backend.name(),
            adapter: e.adapter.clone(),
            context: e.context(),
            vocab: e.config().n_vocab,
            fim: e.tokenizer.fim.is_some(),
            limits: LimitsInfo {
                max_buffer_size: e.limits.max_buffer_size as f64,
                max_storage_buffer_binding_size: e.limits.max_storage_buffer_binding_size as f64,
            },
            source: self.source.clone(),
            load_ms: self.load_ms,
            load: self.load,
            wasm_build: if cfg!(feature = "gpu") { "webgpu" } else if cfg!(feature = "threads") { "cpu-threads" } else { "cpu" },
            cpu_simd: if cfg!(feature = "relaxed-simd") { "relaxed" } else { "simd128" },
            threads: e.backend.cpu_threads(),
            gpu_fallback: self.gpu_fallback.clone(),
            wasm_memory_bytes: wasm_memory_bytes(),
            device_lost: self.device_lost.clone(),
        })
    }
}

/// One completion on `engine`, streaming to `on_text`; `streamed` turns true with the first piece.
async fn run(
    engine: &mut Engine,
    req: &CompletionRequest,
    on_text: &Option<Function>,
    signal: Option<&AbortSignal>,
    streamed: &std::cell::Cell<bool>,
) -> Result<Completion, HearthError> {
    let mut emit = |piece: &str| {
        streamed.set(true);
        if let Some(f) = on_text {
            let _ = f.call1(&JsValue::NULL, &piece.into());
        }
    };
    let aborted = || signal.is_some_and(|s| s.aborted());
    engine.complete_async(req, &mut emit, &aborted).await
}

/// wasm threads: start rayon's pool of `n` Workers on this module's shared memory (a Promise;
/// the page must be cross-origin isolated), then call `threadPoolReady(n)`.
#[cfg(feature = "threads")]
pub use wasm_bindgen_rayon::init_thread_pool;

/// The pool `initThreadPool(n)` started is running: engines loaded from now on may use `n`
/// helper threads besides this one.
#[cfg(feature = "threads")]
#[wasm_bindgen(js_name = threadPoolReady)]
pub fn thread_pool_ready(n: usize) {
    crate::cpu::pool::wasm_pool_ready(n);
}

/// Whole models in the store: `[{ id, url, size, chunkSize, chunks, storedAt, validator, sha256 }]`.
#[wasm_bindgen(js_name = listCachedModels)]
pub async fn list_cached_models() -> Result<JsValue, JsValue> {
    to_js(&store::list().await.map_err(js_error)?)
}

/// Delete a model (whole or partial) from the store.
#[wasm_bindgen(js_name = deleteCachedModel)]
pub async fn delete_cached_model(id: String) -> Result<(), JsValue> {
    store::delete(&id).await.map_err(js_error)
}

/// `{ usage, quota }` in bytes for this origin.
#[wasm_bindgen(js_name = storageEstimate)]
pub async fn storage_estimate() -> Result<JsValue, JsValue> {
    let (usage, quota) = store::estimate().await.map_err(js_error)?;
    let o = js_sys::Object::new();
    let _ = Reflect::set(&o, &"usage".into(), &usage.into());
    let _ = Reflect::set(&o, &"quota".into(), &quota.into());
    Ok(o.into())
}

fn wasm_memory_bytes() -> f64 {
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64
}
