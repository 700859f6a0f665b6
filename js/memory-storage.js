// memoryStorage(): the embedded default storage. Keys live in sorted chunks so that inserts
// and prefix scans stay cheap as the store grows to millions of keys.

const CHUNK = 512;

function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sorted set of strings stored as a list of sorted chunks. */
class SortedKeys {
  #chunks = [[]];

  /** Index of the chunk that holds or would hold `key`. */
  #chunkFor(key) {
    const chunks = this.#chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (compare(chunks[mid][0], key) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  static #search(chunk, key) {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (chunk[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(key) {
    const c = this.#chunkFor(key);
    const chunk = this.#chunks[c];
    const i = SortedKeys.#search(chunk, key);
    if (chunk[i] === key) return;
    chunk.splice(i, 0, key);
    if (chunk.length > CHUNK * 2) this.#chunks.splice(c, 1, chunk.slice(0, CHUNK), chunk.slice(CHUNK));
  }

  /** Keys under `prefix`, after `after` (exclusive) in the scan direction, at most `limit`. */
  range(prefix, after, limit, reverse) {
    const out = [];
    if (limit <= 0) return out;
    const chunks = this.#chunks;
    if (!reverse) {
      const from = after !== undefined && after >= prefix ? after : prefix;
      let c = this.#chunkFor(from);
      let i = SortedKeys.#search(chunks[c], from);
      for (; c < chunks.length; c++, i = 0) {
        const chunk = chunks[c];
        for (; i < chunk.length; i++) {
          const key = chunk[i];
          if (key === after) continue;
          if (!key.startsWith(prefix)) {
            if (key > prefix) return out;
            continue;
          }
          out.push(key);
          if (out.length >= limit) return out;
        }
      }
      return out;
    }
    // Reverse: start just below `after`, or at the last key under the prefix.
    const upper = after !== undefined ? after : prefix + '\uffff';
    let c = this.#chunkFor(upper);
    let i = SortedKeys.#search(chunks[c], upper) - 1;
    for (; c >= 0; c--, i = c >= 0 ? chunks[c].length - 1 : -1) {
      const chunk = chunks[c];
      for (; i >= 0; i--) {
        const key = chunk[i];
        if (key >= upper) continue;
        if (!key.startsWith(prefix)) {
          if (key < prefix) return out;
          continue;
        }
        out.push(key);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }
}

/**
 * In-memory storage implementing the storage contract. Data lives as long as the object.
 * @returns {import('./index').LoyaltyStorage}
 */
export function memoryStorage() {
  /** @type {Map<string, { value: string, version: number }>} */
  const entries = new Map();
  const order = new SortedKeys();

  return {
    async read(keys) {
      const out = new Array(keys.length);
      for (let i = 0; i < keys.length; i++) out[i] = entries.get(keys[i]) ?? null;
      return out;
    },

    async commit(writes) {
      for (const w of writes) {
        const current = entries.get(w.key);
        if ((current ? current.version : 0) !== w.version) return { ok: false, conflict: w.key };
      }
      for (const w of writes) {
        if (w.value === null || w.value === undefined) continue; // a check: nothing to write
        if (w.version === 0) order.insert(w.key);
        // A fresh object per version: a reader holding the old entry keeps seeing the old value.
        entries.set(w.key, { value: w.value, version: w.version + 1 });
      }
      return { ok: true };
    },

    async scan({ prefix, after, limit, reverse = false }) {
      return order.range(prefix, after, limit, reverse).map((key) => {
        const e = entries.get(key);
        return { key, value: e.value, version: e.version };
      });
    },
  };
}
