// The engine in this thread: a wasm module built by wasm-bindgen, driven directly. Used inside the
// Worker (worker.js) and, with { worker: false }, on the page itself. There are three builds:
// hearth.js (WebGPU and CPU backends), hearth_cpu.js (the CPU backend only, a tenth of the size)
// and hearth_cpu_threads.js (the CPU backend on shared memory and a pool of Workers, for a
// cross-origin isolated page); the two CPU builds also come with relaxed-SIMD dot products
// (hearth_cpu_relaxed.js, hearth_cpu_threads_relaxed.js: the same bits, faster), loaded where the
// engine validates relaxed-SIMD. A load fetches and compiles (streaming) only the one it will run.
import { abortError, toHearthError } from './errors.js';

/** Whether this engine validates relaxed-SIMD: a function of one
 *  `i32x4.relaxed_dot_i8x16_i7x16_add_s` (the instruction hearth's relaxed builds add). */
export function relaxedSimd() {
  const c = [0xfd, 0x0c, ...new Array(16).fill(0)]; // v128.const 0
  const body = [0, ...c, ...c, ...c, 0xfd, 0x93, 0x02, 0x0b];
  const bytes = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7b, 3, 2, 1, 0, 10, body.length + 2, 1, body.length, ...body];
  try {
    return WebAssembly.validate(new Uint8Array(bytes));
  } catch {
    return false;
  }
}

const builds = new Map(); // name → Promise<module>, each instantiated once
function wasmBuild(name, threads) {
  if (!builds.has(name)) {
    const module = name === 'cpu' ? import('./hearth_cpu.js')
      : name === 'cpu-relaxed' ? import('./hearth_cpu_relaxed.js')
      : name === 'cpu-threads' ? import('./hearth_cpu_threads.js')
      : name === 'cpu-threads-relaxed' ? import('./hearth_cpu_threads_relaxed.js') : import('./hearth.js');
    builds.set(name, module.then(async (m) => {
      await m.default();
      if (name.startsWith('cpu-threads')) { // helpers: one Worker per thread but this one, started once per module
        await m.initThreadPool(threads - 1);
        m.threadPoolReady(threads - 1);
      }
      return m;
    }));
  }
  return builds.get(name);
}

/** The CPU threads a load gets by default: the cores the browser reports minus one (the page, the
 *  browser and other apps always use one), at least 1, at most 4. On a 2-core device that is one
 *  thread: measured on one, 2 threads with the other core busy ran at 0.8–1.0× of one thread. */
export function defaultThreads() {
  const cores = globalThis.navigator?.hardwareConcurrency || 1;
  return Math.max(1, Math.min(cores - 1, 4));
}

/** Whether wasm threads can run here: shared memory (a cross-origin isolated page) and a Worker
 *  (a pool's caller blocks while its threads compute, which a page's main thread may not). */
function threadsPossible() {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function'
    && typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope;
}

/** The build a load needs: the CPU builds for backend 'cpu', and for 'auto' where the browser has
 *  no hardware WebGPU adapter (none at all, or a fallback one such as SwiftShader, which the
 *  engine's 'auto' would not use either): `cpu-threads` where threads can run and more than one
 *  is asked, else `cpu`, each `-relaxed` where the engine has relaxed-SIMD and `relaxed` allows;
 *  otherwise the WebGPU build (which also rejects an unknown backend). */
async function buildFor(backend = 'auto', threads = defaultThreads(), relaxed = true) {
  const cpu = () => (threads > 1 && threadsPossible() ? 'cpu-threads' : 'cpu') + (relaxed && relaxedSimd() ? '-relaxed' : '');
  if (backend === 'cpu') return cpu();
  if (backend !== 'auto') return 'webgpu';
  const gpu = globalThis.navigator?.gpu;
  if (!gpu) return cpu();
  try {
    const adapter = await gpu.requestAdapter();
    return !adapter || adapter.info?.isFallbackAdapter ? cpu() : 'webgpu';
  } catch {
    return cpu();
  }
}

/** The module for `build`; a threads build that cannot start (no memory for a shared heap, Workers
 *  refused) falls back to the one-thread CPU build. */
async function loadBuild(build, threads) {
  if (!build.startsWith('cpu-threads')) return wasmBuild(build);
  try {
    return await wasmBuild(build, Math.min(threads, 64));
  } catch (e) {
    builds.delete(build);
    console.warn('hearth: wasm threads unavailable, using one thread:', e);
    return wasmBuild(build.replace('-threads', ''));
  }
}

async function bytesOf(source) {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof Blob !== 'undefined' && source instanceof Blob) return new Uint8Array(await source.arrayBuffer());
  return null;
}

export class LocalEngine {
  #wasm;
  #queue = Promise.resolve(); // completions run one at a time, in order

  constructor(wasm) {
    this.#wasm = wasm;
  }

  /** source: URL string (cached in IndexedDB), ArrayBuffer, typed array or Blob (not cached). */
  static async create(source, { signal, onProgress, context, id, chunkSize, backend, numerics, sha256, threads, relaxedSimd: relaxed } = {}) {
    try {
      if (signal?.aborted) throw abortError();
      if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) {
        throw { code: 'invalid_request', message: `threads ${threads}: expected an integer from 1 to 64` };
      }
      if (relaxed !== undefined && typeof relaxed !== 'boolean') {
        throw { code: 'invalid_request', message: `relaxedSimd ${relaxed}: expected true or false` };
      }
      const { WasmEngine } = await loadBuild(await buildFor(backend, threads ?? defaultThreads(), relaxed ?? true), threads ?? defaultThreads());
      if (signal?.aborted) throw abortError();
      const options = { context, id, chunkSize, backend, numerics, sha256, threads };
      const bytes = await bytesOf(source);
      let wasm;
      if (bytes) {
        wasm = await WasmEngine.load(bytes, options, onProgress);
      } else if (typeof source === 'string' || source instanceof URL) {
        wasm = await WasmEngine.loadUrl(String(source), options, onProgress, signal);
      } else {
        throw { code: 'invalid_request', message: 'source must be a URL, ArrayBuffer, typed array or Blob' };
      }
      if (signal?.aborted) {
        wasm.free();
        throw abortError();
      }
      return new LocalEngine(wasm);
    } catch (e) {
      throw toHearthError(e);
    }
  }

  /** request: { prompt, maxTokens, temperature, topK, topP, repeatPenalty, seed, stop };
   *  onText(piece) streams; signal aborts (rejects with an AbortError). */
  complete(request, onText, signal) {
    const run = async () => {
      if (!this.#wasm) throw { code: 'invalid_request', message: 'engine unloaded' };
      if (signal?.aborted) throw abortError();
      return await this.#wasm.complete(request, onText, signal);
    };
    const result = this.#queue.then(run).catch((e) => { throw toHearthError(e); });
    this.#queue = result.catch(() => {});
    return result;
  }

  info() {
    if (!this.#wasm) throw toHearthError({ code: 'invalid_request', message: 'engine unloaded' });
    return this.#wasm.info();
  }

  /** Free the GPU buffers once the running completion (if any) ends. */
  unload() {
    const done = this.#queue.then(() => {
      this.#wasm?.free();
      this.#wasm = null;
    });
    this.#queue = done;
    return done;
  }
}
