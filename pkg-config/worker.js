// The dedicated Worker: one LocalEngine, driven by messages from index.js.
// In:  { id, op: 'load' | 'complete' | 'info' | 'unload', args }   and   { op: 'abort', id }
// Out: { id, progress } | { id, text } | { id, result } | { id, error: { code, message } }
import { LocalEngine } from './local.js';
import { toHearthError } from './errors.js';

let engine = null;
const controllers = new Map();

self.onmessage = async ({ data }) => {
  const { id, op, args } = data;
  if (op === 'abort') {
    controllers.get(id)?.abort();
    return;
  }
  const controller = new AbortController();
  controllers.set(id, controller);
  try {
    let result;
    if (op === 'load') {
      engine = await LocalEngine.create(args.source, {
        ...args.options,
        signal: controller.signal,
        onProgress: (progress) => self.postMessage({ id, progress }),
      });
      result = engine.info();
    } else if (!engine) {
      throw { code: 'invalid_request', message: 'no model loaded' };
    } else if (op === 'complete') {
      result = await engine.complete(args.request, (text) => self.postMessage({ id, text }), controller.signal);
    } else if (op === 'info') {
      result = engine.info();
    } else if (op === 'unload') {
      await engine.unload();
      engine = null;
    } else {
      throw { code: 'invalid_request', message: `unknown op ${op}` };
    }
    self.postMessage({ id, result });
  } catch (e) {
    const err = toHearthError(e);
    self.postMessage({ id, error: { code: err.code, message: err.message } });
  } finally {
    controllers.delete(id);
  }
};
