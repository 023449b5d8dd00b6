// hearth: offline code completion in the browser. Entry point of the npm package.
//
//   const engine = await createEngine(url, { onProgress, signal });        // in a Worker by default
//   const { text } = await engine.complete({ prompt, maxTokens: 32, signal });
//   for await (const piece of engine.stream({ prompt })) editor.insert(piece);
import { HearthError, abortError, toHearthError } from './errors.js';
import { listCachedModels, deleteCachedModel, storageEstimate } from './store.js';

export { HearthError, listCachedModels, deleteCachedModel, storageEstimate };

/** Split a request into what crosses to the engine and what stays here. */
function split(request) {
  const { signal, onText, ...rest } = request || {};
  return [rest, signal, onText];
}

/** A URL relative to the page, made absolute (the Worker has another base). */
function resolveSource(source) {
  if (typeof source === 'string' || source instanceof URL) return new URL(String(source), globalThis.location?.href).href;
  return source;
}

class WorkerTransport {
  #worker;
  #calls = new Map();
  #next = 1;
  #closed = false;

  constructor() {
    this.#worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.#worker.onmessage = ({ data }) => {
      const call = this.#calls.get(data.id);
      if (!call) return;
      if ('progress' in data) call.onProgress?.(data.progress);
      else if ('text' in data) call.onText?.(data.text);
      else {
        this.#calls.delete(data.id);
        call.cleanup();
        if (data.error) call.reject(new HearthError(data.error.code, data.error.message));
        else call.resolve(data.result);
      }
    };
    this.#worker.onerror = (e) => this.#failAll(new HearthError('internal', `worker: ${e.message || 'failed to start'}`));
  }

  #failAll(err) {
    for (const call of this.#calls.values()) {
      call.cleanup();
      call.reject(err);
    }
    this.#calls.clear();
  }

  call(op, args, { signal, onText, onProgress, transfer = [] } = {}) {
    if (this.#closed) return Promise.reject(new HearthError('invalid_request', 'engine unloaded'));
    if (signal?.aborted) return Promise.reject(abortError());
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const onAbort = () => this.#worker.postMessage({ op: 'abort', id });
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => signal?.removeEventListener('abort', onAbort);
      this.#calls.set(id, { resolve, reject, onText, onProgress, cleanup });
      try {
        this.#worker.postMessage({ id, op, args }, transfer);
      } catch (e) {
        // A value the Worker cannot receive (a function, a DOM node): the request is invalid.
        this.#calls.delete(id);
        cleanup();
        reject(new HearthError('invalid_request', `request cannot be sent to the engine: ${e.message}`));
      }
    });
  }

  terminate(reason = new HearthError('aborted', 'engine unloaded')) {
    this.#closed = true;
    this.#worker.terminate();
    this.#failAll(reason);
  }
}

class LocalTransport {
  #engine;
  constructor(engine) {
    this.#engine = engine;
  }
  async call(op, args, { signal, onText } = {}) {
    if (op === 'complete') return this.#engine.complete(args.request, onText, signal);
    if (op === 'info') return this.#engine.info();
    if (op === 'unload') return this.#engine.unload();
    throw new HearthError('invalid_request', `unknown op ${op}`);
  }
  terminate() {}
}

/** A loaded model. Every method is async, in a Worker or not. */
export class Engine {
  #transport;
  constructor(transport) {
    this.#transport = transport;
  }

  /** → { text, tokens, promptTokens, stopReason, timings } */
  complete(request) {
    const [req, signal, onText] = split(request);
    return this.#transport.call('complete', { request: req }, { signal, onText });
  }

  /** Fill the KV cache for a request's prompt without generating (call it when a file opens or
   *  the user pauses): the next completion with the same text reuses it. → a Completion with no text. */
  prefill(request) {
    return this.complete({ ...request, maxTokens: 0 });
  }

  /** The same request, as an async iterable of text pieces. Breaking out of the loop aborts. */
  stream(request) {
    const [req, outer] = split(request);
    const transport = this.#transport;
    return {
      [Symbol.asyncIterator]() {
        const controller = new AbortController();
        const forward = () => controller.abort();
        outer?.addEventListener('abort', forward, { once: true });
        if (outer?.aborted) controller.abort();
        const pieces = [];
        let wake = null;
        let finished = false;
        let failure = null;
        const poke = () => { wake?.(); wake = null; };
        transport
          .call('complete', { request: req }, { signal: controller.signal, onText: (t) => { pieces.push(t); poke(); } })
          .then(() => { finished = true; poke(); }, (e) => { failure = e; finished = true; poke(); })
          .finally(() => outer?.removeEventListener('abort', forward));
        return {
          async next() {
            for (;;) {
              if (pieces.length) return { value: pieces.shift(), done: false };
              if (failure) throw failure;
              if (finished) return { value: undefined, done: true };
              await new Promise((r) => { wake = r; });
            }
          },
          async return() {
            controller.abort();
            return { value: undefined, done: true };
          },
        };
      },
    };
  }

  /** → { model, backend, adapter, context, vocab, limits, source, loadMs } */
  info() {
    return this.#transport.call('info', {});
  }

  /** Free the model's GPU memory (and the Worker). The engine cannot be used afterwards. */
  async unload() {
    try {
      await this.#transport.call('unload', {});
    } finally {
      this.#transport.terminate();
    }
  }
}

/**
 * Load a model. `source`: a URL (downloaded once, then served from IndexedDB with no network),
 * an ArrayBuffer, a typed array or a Blob. Options: { signal, onProgress({ phase, loaded, total }),
 * worker = true, context, id, chunkSize, backend, numerics, threads, relaxedSimd, sha256 }. Phases: download, verify,
 * upload.
 */
export async function createEngine(source, { signal, onProgress, worker = true, ...options } = {}) {
  if (signal?.aborted) throw abortError();
  if (!worker) {
    const { LocalEngine } = await import('./local.js');
    return new Engine(new LocalTransport(await LocalEngine.create(resolveSource(source), { signal, onProgress, ...options })));
  }
  const transport = new WorkerTransport();
  // An abort during the load ends the Worker at once, whatever it is doing (download, verify,
  // upload): its IndexedDB writes are transactions, so the store keeps what was committed.
  const stop = () => transport.terminate(abortError());
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const src = resolveSource(source);
    const transfer = src instanceof ArrayBuffer ? [src] : [];
    await transport.call('load', { source: src, options }, { onProgress, transfer });
    return new Engine(transport);
  } catch (e) {
    transport.terminate();
    throw toHearthError(e);
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}
