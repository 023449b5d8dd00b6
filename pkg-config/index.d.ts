// Types of the hearth-complete package (the entry is index.js).

export type ErrorCode =
  | 'webgpu_unavailable' | 'bad_model' | 'unsupported_quant' | 'unsupported_model'
  | 'storage_quota' | 'storage' | 'download_failed' | 'corrupt_cache' | 'device_lost'
  | 'context_overflow' | 'invalid_request' | 'tokenizer' | 'aborted' | 'internal';

/** Every error the package throws. `name` is 'AbortError' when `code` is 'aborted'. */
export class HearthError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message?: string);
}

export interface Progress {
  phase: 'download' | 'verify' | 'upload';
  loaded: number;
  /** null when the server did not say. */
  total: number | null;
}

export interface CreateOptions {
  /** Aborts the load (rejects with an AbortError). In a Worker (the default) it lands at once in
   *  any phase; with `worker: false` between downloaded pieces and verified chunks, and after the
   *  upload. Whole chunks already stored are kept: the next load resumes from them. */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Run the engine in a dedicated Worker (default) or on this thread. */
  worker?: boolean;
  /** 'auto' (default): WebGPU on a hardware adapter, else the CPU (wasm simd128; also when the
   *  only adapter is a software one such as SwiftShader, which is slower than the CPU path).
   *  Where the CPU will run, only the CPU build of the wasm (hearth_cpu_bg.wasm, ≈ 2 MB) is
   *  fetched; the WebGPU build (hearth_bg.wasm) only where WebGPU will. */
  backend?: 'auto' | 'webgpu' | 'cpu';
  /** The CPU backend's arithmetic: 'int8' (default: activations rounded to 8 bits per 32 values
   *  and integer dot products, as llama.cpp computes on CPUs; about 2× faster) or 'exact' (f32,
   *  the path held to the float64 reference). */
  numerics?: 'int8' | 'exact';
  /** The CPU backend's threads, 1 to 64. Default: the cores the browser reports
   *  (`navigator.hardwareConcurrency`) minus one, at least 1, at most 4. More
   *  than one runs the threads build (hearth_cpu_threads_bg.wasm: a pool of Workers on shared
   *  memory), which needs a cross-origin isolated page (COOP `same-origin` + COEP `require-corp`
   *  or `credentialless`) and the engine in its Worker (the default); elsewhere the load runs on
   *  one thread (`info().threads` says which). The pool is started once per Worker: a later load
   *  in the same Worker gets at most as many. Idle threads wait, they do not spin. */
  threads?: number;
  /** Load the CPU build with relaxed-SIMD dot products where the engine has them (default true;
   *  Chromium 114+). They compute the same bits as the simd128 build; false loads that one. */
  relaxedSimd?: boolean;
  /** KV-cache length in tokens (default 2048). */
  context?: number;
  /** Store key for a URL source (default: the URL's file name). */
  id?: string;
  /** Bytes per IndexedDB chunk (default 32 MiB, at most 64 MiB). */
  chunkSize?: number;
  /** The whole file's sha256 (64 hex digits). A download that ends with other bytes fails with
   *  `download_failed` and nothing is kept; the hash is stored with the model. */
  sha256?: string;
}

export interface CompletionRequest {
  /** The text before the cursor. Always plain text: `<|fim_suffix|>` or `<|im_start|>` written in
   *  it are characters, never special tokens. */
  prompt: string;
  /** The text after the cursor. On a model with fill-in-the-middle tokens (`info().fim`) the
   *  suggestion fits between both; on one without, it is ignored (`Completion.fim` is false). */
  suffix?: string;
  /** With a suffix and the cursor at the start of a line (only indentation before it): the model
   *  writes that line's newline and indentation itself; the suggestion is what follows them.
   *  Default true: 64% against 62% pass@1 on the README's FIM benchmark. */
  openLine?: boolean;
  /** With a suffix and text before the cursor on its line: that line (its newline and what is
   *  typed of it) starts the middle the model writes, instead of ending the prefix, so the prefix
   *  and the suffix stay cached while the user types along the line and each keystroke prefills
   *  only the line's changed tokens. Default false: it scores lower (56% against 80% pass@1 with
   *  the cursor mid-line, the README's FIM section); a latency lever for slow devices. */
  lineInMiddle?: boolean;
  /** Fill-in-the-middle where the model has it (default true). false: the prompt is the text
   *  before the cursor alone and `suffix` only ends the suggestion (line and block rules, the
   *  repeat check), so a keystroke never prefills the suffix again. The app asks for it where the
   *  engine's measured prefill rate cannot re-prefill the suffix within 300 ms (www/context.js
   *  `FimPolicy`); Qwen2.5-Coder-0.5B scores 67% pass@1 without the suffix against 65% with it on
   *  the README's single-line FIM benchmark, 49% with the suffix cut to one line. */
  fim?: boolean;
  /** Token limits on each side, cut at line boundaries (defaults 1024 and 256). */
  maxPrefixTokens?: number;
  maxSuffixTokens?: number;
  /** Where the suggestion ends: 'line' (the cursor's line), 'block' (the block the cursor is in:
   *  indentation for Python-like languages, the closing brace otherwise), 'free' (default). A
   *  suggestion that only repeats the suffix's next line is dropped (empty text). */
  mode?: 'line' | 'block' | 'free';
  /** The document's language for 'block' ('python', 'javascript', ...); guessed when absent. */
  language?: string;
  /** Default 64. */
  maxTokens?: number;
  /** Stop once this many milliseconds have passed since the request started: `stopReason`
   *  'deadline', the text so far (whole lines in 'block'/'free' mode). What was prefilled stays
   *  cached, so the next request continues from there. */
  deadlineMs?: number;
  /** 0 = greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  repeatPenalty?: number;
  seed?: number;
  /** Generation ends before the first of these; it is not part of the text. */
  stop?: string[];
  /** Go on past the model's end-of-text token (benchmarks: a fixed number of tokens). */
  ignoreEos?: boolean;
  signal?: AbortSignal;
  /** Called with each piece of text as it is generated. */
  onText?: (piece: string) => void;
}

export interface Timings {
  /** Prompt tokens whose KV cache was reused from the previous request. */
  reusedTokens: number;
  prefillTokens: number;
  prefillMs: number;
  decodeTokens: number;
  decodeMs: number;
  /** Speculative decoding (greedy requests on the CPU backend): draft tokens looked up in the
   *  context and verified, and how many the model agreed with (decode steps without their own pass). */
  draftedTokens: number;
  acceptedTokens: number;
}

export interface Completion {
  text: string;
  /** The suffix went in as fill-in-the-middle. */
  fim: boolean;
  tokens: number[];
  promptTokens: number[];
  stopReason: 'eos' | 'length' | 'stop' | 'deadline';
  timings: Timings;
}

export interface EngineInfo {
  model: string;
  backend: 'webgpu' | 'cpu';
  adapter: string;
  context: number;
  vocab: number;
  /** The model has fill-in-the-middle tokens. */
  fim: boolean;
  limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
  /** 'cache', 'network', 'network (resumed at N)' or 'memory'. */
  source: string;
  loadMs: number;
  /** What the load read: bytes from IndexedDB, bytes downloaded, the offset the download
   *  started at (> 0: it resumed a partial), HTTP connections opened (1 + retries). */
  load: { fromCache: number; downloaded: number; resumedAt: number; attempts: number };
  /** Bytes of the engine's wasm memory (grows, never shrinks; flat over a long session). */
  wasmMemoryBytes: number;
  /** The wasm build that runs: 'webgpu' (hearth_bg.wasm, both backends), 'cpu'
   *  (hearth_cpu_bg.wasm) or 'cpu-threads' (hearth_cpu_threads_bg.wasm: shared memory, a pool of
   *  Workers). */
  wasmBuild: 'webgpu' | 'cpu' | 'cpu-threads';
  /** The CPU kernels' dot products: 'relaxed' (the `_relaxed` builds: relaxed-SIMD's 8-bit dot,
   *  where the engine validates it; the same results, faster) or 'simd128'. */
  cpuSimd: 'relaxed' | 'simd128';
  /** The CPU backend's threads (null on WebGPU). */
  threads: number | null;
  /** Why `backend: 'auto'` runs on the CPU: no WebGPU adapter, a software one (SwiftShader), or a
   *  hardware adapter that failed hearth's kernel self-test (every kernel is checked against its
   *  CPU twin on the device before the first completion). null on WebGPU, or when 'cpu' was asked
   *  for. `backend: 'webgpu'` on an adapter that fails the self-test rejects with
   *  `webgpu_unavailable`. */
  gpuFallback: string | null;
  /** GPU devices lost (a driver reset, the browser's GPU process crashed, a backgrounded tab) and
   *  recovered from: the engine loads the model again from IndexedDB onto a new device (`recoverMs`
   *  the last time). A request that meets the loss before it streamed any text is run again there;
   *  one that had streamed rejects with `device_lost` and the next one works. A model loaded from
   *  memory (bytes, a Blob) cannot be reloaded: `device_lost` until `createEngine` again. */
  deviceLost: { count: number; recovered: number; last: string | null; recoverMs: number };
}

export interface Engine {
  complete(request: CompletionRequest): Promise<Completion>;
  /** Fill the KV cache for this prompt (prefix + suffix) without generating: the next
   *  completion reuses it (`timings.reusedTokens`). */
  prefill(request: CompletionRequest): Promise<Completion>;
  /** Breaking out of the loop aborts the generation. */
  stream(request: CompletionRequest): AsyncIterable<string>;
  info(): Promise<EngineInfo>;
  unload(): Promise<void>;
}

export function createEngine(source: string | URL | ArrayBuffer | ArrayBufferView | Blob, options?: CreateOptions): Promise<Engine>;

export interface CachedModel {
  id: string;
  url: string;
  size: number;
  chunkSize: number;
  /** sha256 (hex) of each chunk. */
  chunks: string[];
  storedAt: number;
  /** The server's ETag (else Last-Modified) for the file, when it sent one. */
  validator?: string | null;
  /** sha256 (hex) of the whole file, computed when it was stored. */
  sha256?: string | null;
}

export function listCachedModels(): Promise<CachedModel[]>;
export function deleteCachedModel(id: string): Promise<void>;
export function storageEstimate(): Promise<{ usage: number; quota: number; persisted: boolean }>;
