// indexedDbStorage({ name }): the storage contract over the browser's IndexedDB.
//
// One database `name` with one object store `kv` of { key, value, version } records (keyPath
// `key`). A commit is one readwrite transaction that reads every key, checks the versions,
// then writes every record, or aborts; IndexedDB runs readwrite transactions on one store one
// at a time, so the check and the write cannot be split by another tab. Data survives reloads.

const STORE = 'kv';

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    tx.onerror = () => reject(tx.error);
  });
}

/**
 * @param {{ name?: string, indexedDB?: IDBFactory }} [options]
 * @returns {import('../index').LoyaltyStorage & { close(): void }}
 */
export function indexedDbStorage(options = {}) {
  const { name = 'wix-loyalty', indexedDB: factory = globalThis.indexedDB } = options;
  if (!factory) throw new TypeError('indexedDbStorage: IndexedDB is not available here (browsers only)');
  let opened = null;
  const open = () => {
    opened ??= new Promise((resolve, reject) => {
      const req = factory.open(name, 1);
      let abandoned = false;
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'key' });
      req.onsuccess = () => {
        const db = req.result;
        if (abandoned) return db.close(); // a blocked open that went through after all
        // Another tab upgrading the database: let it, and reopen on the next call.
        db.onversionchange = () => { db.close(); opened = null; };
        resolve(db);
      };
      req.onerror = () => { opened = null; reject(req.error); };
      // Another connection (another tab, or this page's own code) holds an older version open
      // and does not close it: fail now, and try again on the next call. (An open that never
      // answers at all ends at the engine's deadline, storageTimeoutMs.)
      req.onblocked = () => {
        abandoned = true;
        opened = null;
        reject(new Error(`IndexedDB database ${name} cannot be opened: another connection (another tab, or this page) holds an older version of it open; close it and try again`));
      };
    });
    return opened;
  };

  return {
    async read(keys) {
      const db = await open();
      const tx = db.transaction(STORE, 'readonly');
      const store = tx.objectStore(STORE);
      const found = await Promise.all(keys.map((k) => request(store.get(k))));
      return found.map((r) => (r ? { value: r.value, version: r.version } : null));
    },

    async commit(writes) {
      const db = await open();
      const tx = db.transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      const finished = done(tx);
      // Requests of one transaction run in order: all reads, then (if every version matches) all writes.
      const current = await Promise.all(writes.map((w) => request(store.get(w.key))));
      const bad = writes.findIndex((w, i) => (current[i] ? current[i].version : 0) !== w.version);
      if (bad >= 0) {
        tx.abort();
        await finished.catch(() => {});
        return { ok: false, conflict: writes[bad].key };
      }
      // Entries without a value are checks only.
      for (const w of writes) if (w.value !== null && w.value !== undefined) store.put({ key: w.key, value: w.value, version: w.version + 1 });
      await finished;
      return { ok: true };
    },

    async scan({ prefix, after, limit, reverse = false }) {
      const db = await open();
      const tx = db.transaction(STORE, 'readonly');
      const store = tx.objectStore(STORE);
      const upper = prefix + '\uffff';
      let range;
      if (after === undefined || after === null) range = IDBKeyRange.bound(prefix, upper, false, false);
      else if (reverse) range = after <= prefix ? null : after > upper ? IDBKeyRange.bound(prefix, upper) : IDBKeyRange.bound(prefix, after, false, true);
      else range = after >= upper ? null : IDBKeyRange.bound(after < prefix ? prefix : after, upper, after >= prefix, false);
      if (range === null || limit <= 0) return [];
      const rows = [];
      await new Promise((resolve, reject) => {
        const req = store.openCursor(range, reverse ? 'prev' : 'next');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const cursor = req.result;
          if (!cursor) return resolve();
          const r = cursor.value;
          if (r.key.startsWith(prefix)) rows.push({ key: r.key, value: r.value, version: r.version });
          if (rows.length >= limit) return resolve();
          cursor.continue();
        };
      });
      return rows;
    },

    close() {
      opened?.then((db) => db.close());
      opened = null;
    },
  };
}
