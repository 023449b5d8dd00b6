// The engine in this thread: the wasm module (hearth.js, built by wasm-bindgen) driven directly.
// Used inside the Worker (worker.js) and, with { worker: false }, on the page itself.
import init, { WasmEngine } from './hearth.js';
import { abortError, toHearthError } from './errors.js';

let ready = null;
function initWasm() {
  ready ??= init();
  return ready;
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
  static async create(source, { signal, onProgress, context, id, chunkSize, backend, numerics, sha256 } = {}) {
    try {
      if (signal?.aborted) throw abortError();
      await initWasm();
      const options = { context, id, chunkSize, backend, numerics, sha256 };
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
