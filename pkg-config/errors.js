// The one error class of the package. `code` is stable: webgpu_unavailable, bad_model,
// unsupported_quant, unsupported_model, storage_quota, storage, download_failed, corrupt_cache,
// device_lost, context_overflow, invalid_request, aborted, internal.
export class HearthError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
    // An abort is an AbortError, as fetch() and DOM APIs reject.
    this.name = code === 'aborted' ? 'AbortError' : 'HearthError';
  }
}

/** Any thrown value (from wasm, the Worker, or the platform) as a HearthError. */
export function toHearthError(e) {
  if (e instanceof HearthError) return e;
  if (e && typeof e === 'object' && typeof e.code === 'string') return new HearthError(e.code, e.message);
  if (e && e.name === 'AbortError') return new HearthError('aborted', e.message || 'aborted');
  return new HearthError('internal', String(e && e.message ? e.message : e));
}

export function abortError() {
  return new HearthError('aborted', 'aborted');
}
