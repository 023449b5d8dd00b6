// The models the app offers (the app's copy of src/catalog.rs; tests/browser/app.test.mjs holds
// the two together) and which of them suits this device. No DOM: the test imports it in Node.

/** The catalog, smallest first. `file` is also the model's id in the weight store. */
export const MODELS = [
  {
    id: 'smollm2',
    name: 'SmolLM2 135M',
    blurb: 'fastest; sees only the code before the cursor',
    file: 'SmolLM2-135M-Instruct.Q4_1.gguf',
    sha256: 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53',
    bytes: 98_362_432,
    fim: false,
  },
  {
    id: 'qwen-coder',
    name: 'Qwen2.5-Coder 0.5B',
    blurb: 'a code model that reads both sides of the cursor',
    file: 'Qwen2.5-Coder-0.5B-Instruct.gguf',
    sha256: '1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32',
    bytes: 491_400_064,
    fim: true,
  },
];

export const byId = (id) => MODELS.find((m) => m.id === id);

const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;

/** What to tell a person whose load of `model` failed with `err` (a HearthError): what happened
 *  and what to do about it. */
export function explainLoadError(err, model) {
  switch (err?.code) {
    case 'storage_quota':
      return `Not enough storage on this device for ${model.name} (${mb(model.bytes)}). Nothing was kept. `
        + 'Delete a model you do not use, free space on the device (or clear other sites\' data), '
        + 'or pick a smaller model, then press Download again.';
    case 'download_failed':
      return `The download of ${model.name} failed (${err.message}). Check the connection and press Download again: `
        + 'it continues where it stopped.';
    case 'corrupt_cache':
      return `The stored copy of ${model.name} was damaged; the damaged part was removed. Press Download to fetch it again.`;
    default:
      return `error loading ${model.name}: ${err?.code || ''} ${err?.message ?? err}`;
  }
}

/** Where `make app` (and the test's server) serves the weights: next to the page, under models/. */
export const modelUrl = (m) => `models/${m.file}`;

/** navigator.deviceMemory (GB, rounded down by the browser) below which 491 MB of weights plus
 *  the page risk the tab being killed. */
const MIN_MEMORY_GB = 4;
/** maxStorageBufferBindingSize an adapter must offer to count as a GPU that can run the 0.5B
 *  model: WebGPU's default limit, so any conforming adapter passes; what it rules out is an
 *  adapter that reports less. */
const MIN_BINDING_BYTES = 128 * 2 ** 20;
/** Cores below which the CPU path decodes the 0.5B model too slowly to keep up with typing. */
const MIN_CORES = 4;

/**
 * The catalog id to suggest for a device: `deviceMemory` (GB, undefined where the browser does not
 * say), `cores` (navigator.hardwareConcurrency), `gpu` (null, or the adapter's
 * { maxStorageBufferBindingSize, software }). A software adapter (SwiftShader, llvmpipe) counts
 * as no GPU: the engine's 'auto' backend runs on the CPU then.
 */
export function recommend({ deviceMemory, cores, gpu } = {}) {
  const memory = deviceMemory == null || deviceMemory >= MIN_MEMORY_GB;
  const fastGpu = !!gpu && !gpu.software && gpu.maxStorageBufferBindingSize >= MIN_BINDING_BYTES;
  const fastCpu = (cores ?? 0) >= MIN_CORES;
  return memory && (fastGpu || fastCpu) ? 'qwen-coder' : 'smollm2';
}

const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|lavapipe/i;

/** What `recommend` looks at, read from this browser. Never throws. */
export async function probeDevice(nav = globalThis.navigator) {
  let gpu = null;
  try {
    const adapter = await nav?.gpu?.requestAdapter();
    if (adapter) {
      const info = adapter.info || {};
      const software = !!(info.isFallbackAdapter ?? adapter.isFallbackAdapter)
        || SOFTWARE_ADAPTER.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
      gpu = { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, software };
    }
  } catch {
    gpu = null; // no WebGPU here: the CPU decides
  }
  return { deviceMemory: nav?.deviceMemory, cores: nav?.hardwareConcurrency, gpu };
}
