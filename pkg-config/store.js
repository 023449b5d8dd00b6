// The page's view of the weight store. The layout is owned by src/store.rs (database `hearth`:
// `manifests` keyed by model id, `partials`, and `chunks` keyed "{id}/{n}"); this file only lists,
// deletes and measures, so a page can manage storage without loading the wasm.
import { toHearthError } from './errors.js';

const DB = 'hearth';
const VERSION = 1;
const STORES = ['chunks', 'partials', 'manifests'];

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

async function open() {
  const r = indexedDB.open(DB, VERSION);
  r.onupgradeneeded = () => {
    for (const name of STORES) if (!r.result.objectStoreNames.contains(name)) r.result.createObjectStore(name);
  };
  return request(r);
}

/** Whole models in the store: [{ id, url, size, chunkSize, chunks, storedAt, validator, sha256 }]. */
export async function listCachedModels() {
  try {
    const db = await open();
    try {
      return await request(db.transaction('manifests').objectStore('manifests').getAll());
    } finally {
      db.close();
    }
  } catch (e) {
    throw toHearthError({ code: 'storage', message: String(e) });
  }
}

/** Delete a model (whole or partially downloaded) and its chunks. */
export async function deleteCachedModel(id) {
  try {
    const db = await open();
    try {
      const tx = db.transaction(STORES, 'readwrite');
      tx.objectStore('chunks').delete(IDBKeyRange.bound(`${id}/`, `${id}/\uffff`));
      tx.objectStore('partials').delete(id);
      tx.objectStore('manifests').delete(id);
      await new Promise((resolve, reject) => {
        tx.oncomplete = resolve;
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  } catch (e) {
    throw toHearthError({ code: 'storage', message: String(e) });
  }
}

/** { usage, quota, persisted } in bytes for this origin. */
export async function storageEstimate() {
  const s = globalThis.navigator?.storage;
  if (!s?.estimate) return { usage: 0, quota: Infinity, persisted: false };
  const { usage = 0, quota = Infinity } = await s.estimate();
  const persisted = s.persisted ? await s.persisted() : false;
  return { usage, quota, persisted };
}
