// memoryStorage(): the embedded default storage. Its entries live inside the wasm module
// (src/wasm/local.rs), so the engine runs an operation on it in one synchronous call; its
// read/commit/scan answer the storage contract over the same entries for everything else.
//
// A trap replaces the wasm instance and every store in it, so each memoryStorage() keeps on
// this side the journal of what its store applied (taken after each call that committed,
// before the commit is acknowledged), and rebuilds its store from it in the next instance.
// When the journal holds more overwritten data than live data, it is replaced by a dump of the
// store (a synchronous pause that grows with the store; a store that only grows never needs it).

import {
  localCreate, localDrop, localJournal, localJournalAt, wasmMemory, localLiveBytes, localReplay, localDump,
  localCommit, localScan, localRead,
} from './wasm/wix_loyalty_wasm.js';
import { currentGeneration, fromCall } from './instance.js';

/**
 * The store in wasm of each object memoryStorage() returned, by identity: a wrapper (a Proxy
 * counting calls or injecting faults) is another object, so the engine goes through its
 * read/commit/scan like any host's storage instead of past them.
 */
const STORES = new WeakMap();

/** The wasm-side store of `storage` if it is an object memoryStorage() returned, else null. */
export function localStoreOf(storage) {
  return STORES.get(storage) ?? null;
}

/** Journal bytes kept beyond twice the live data before compacting. */
const COMPACT_SLACK = 8 << 20;

// A store whose memoryStorage() was collected is freed in wasm (if its instance still lives).
const stores = new FinalizationRegistry((slot) => {
  if (slot.gen === currentGeneration()) {
    try {
      localDrop(slot.id);
    } catch {
      // the instance is gone: so is the store
    }
  }
});

let memoryOf = { gen: -1, memory: null };
/** The current instance's memory. */
function memory() {
  if (memoryOf.gen !== currentGeneration()) memoryOf = { gen: currentGeneration(), memory: wasmMemory() };
  return memoryOf.memory;
}

/** Bytes per part of the kept journal (a take larger than this gets a part of its own). */
const PART = 4 << 20;

/** A memoryStorage()'s store in wasm, and the journal that outlives the instance. */
class LocalStore {
  #slot = { id: 0, gen: -1 };
  // The journal, in few large parts (many small buffers would cost the garbage collector).
  #parts = [];
  #tail = new Uint8Array(0);
  #fill = 0;
  #keptBytes = 0;

  constructor(owner) {
    stores.register(owner, this.#slot);
  }

  /** The store's id in the current instance, rebuilt from the journal after a trap. */
  id() {
    const slot = this.#slot;
    if (slot.gen === currentGeneration()) return slot.id;
    const id = localCreate();
    for (const part of this.#parts) localReplay(id, part);
    if (this.#fill > 0) localReplay(id, this.#tail.subarray(0, this.#fill));
    slot.id = id;
    slot.gen = currentGeneration();
    return id;
  }

  /** Keeps what the last call committed; call it after every call that may have committed. */
  keep() {
    const slot = this.#slot;
    if (slot.gen !== currentGeneration()) return;
    const len = localJournal(slot.id);
    if (len === 0) return;
    // Copied straight from the module's memory, where it stays valid until the next write.
    this.#append(new Uint8Array(memory().buffer, localJournalAt(slot.id), len));
    if (this.#keptBytes > 2 * localLiveBytes(slot.id) + COMPACT_SLACK) this.#compact(slot.id);
  }

  #append(bytes) {
    if (this.#fill + bytes.length > this.#tail.length) {
      if (this.#fill > 0) this.#parts.push(this.#tail.subarray(0, this.#fill));
      this.#tail = new Uint8Array(Math.max(PART, bytes.length));
      this.#fill = 0;
    }
    this.#tail.set(bytes, this.#fill);
    this.#fill += bytes.length;
    this.#keptBytes += bytes.length;
  }

  #compact(id) {
    // The dump becomes the journal as it is: no second copy of the whole store.
    const dump = localDump(id);
    this.#parts = [dump];
    this.#tail = new Uint8Array(0);
    this.#fill = 0;
    this.#keptBytes = dump.length;
  }
}

/** Runs `fn(id)` against the store; a trap becomes a LoyaltyError (and the store is rebuilt on next use). */
function call(local, fn) {
  try {
    return fn(local.id());
  } catch (thrown) {
    throw fromCall(thrown);
  } finally {
    local.keep();
  }
}

/** Unpacks `n,n,...\n` + strings (src/wasm/local.rs `Packer`): the numbers, and a reader of the strings by length. */
function unpack(packed) {
  const nl = packed.indexOf('\n');
  const nums = nl === 0 ? [] : packed.slice(0, nl).split(',').map(Number);
  let pos = nl + 1;
  const text = (len) => packed.slice(pos, (pos += len));
  return { nums, text };
}

function contractError(message) {
  return new TypeError(`memoryStorage: ${message}`);
}

/**
 * In-memory storage implementing the storage contract. Data lives as long as the object.
 * @returns {import('./index').LoyaltyStorage}
 */
export function memoryStorage() {
  const storage = {
    async read(keys) {
      if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) throw contractError('read takes an array of string keys');
      const out = new Array(keys.length);
      for (let i = 0; i < keys.length; i++) {
        const { nums, text } = unpack(call(local, (id) => localRead(id, keys[i])));
        out[i] = nums.length === 2 ? { value: text(nums[1]), version: nums[0] } : null;
      }
      return out;
    },

    async commit(writes) {
      if (!Array.isArray(writes)) throw contractError('commit takes an array of writes');
      const n = writes.length;
      const keys = new Array(n);
      const values = new Array(n);
      const versions = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const w = writes[i];
        if (w === null || typeof w !== 'object' || typeof w.key !== 'string') throw contractError(`write ${i} has no string key`);
        if (w.value !== null && w.value !== undefined && typeof w.value !== 'string') throw contractError(`write ${i}: value must be a string or null`);
        if (!Number.isSafeInteger(w.version) || w.version < 0) throw contractError(`write ${i}: version must be a whole number ≥ 0`);
        keys[i] = w.key;
        values[i] = w.value ?? null;
        versions[i] = w.version;
      }
      const conflict = call(local, (id) => localCommit(id, keys, values, versions));
      return conflict === undefined ? { ok: true } : { ok: false, conflict };
    },

    async scan({ prefix, after, limit, reverse = false }) {
      if (typeof prefix !== 'string') throw contractError('scan needs a string prefix');
      if (after !== undefined && after !== null && typeof after !== 'string') throw contractError('scan: after must be a string');
      const n = Math.max(0, Math.min(Math.floor(Number(limit)) || 0, 0xffffffff));
      const { nums, text } = unpack(call(local, (id) => localScan(id, prefix, after ?? undefined, n, reverse === true)));
      const out = new Array(nums.length / 3);
      for (let i = 0; i < out.length; i++) {
        const key = text(nums[3 * i + 1]);
        out[i] = { key, value: text(nums[3 * i + 2]), version: nums[3 * i] };
      }
      return out;
    },
  };
  const local = new LocalStore(storage);
  STORES.set(storage, local);
  return storage;
}
