// sqliteStorage({ path }): the storage contract over a SQLite file, through better-sqlite3 (v12).
//
// One table (created if missing):
//   CREATE TABLE loyalty_kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID
// WAL journal, synchronous=FULL: a commit is on disk when its promise resolves. Each commit is
// one IMMEDIATE transaction that checks every version and writes every row, or rolls back.
// An entry without a value is only checked.
// Several processes may share one file: writers queue on SQLite's lock (busy_timeout).
import Database from 'better-sqlite3';
import { scanQuery } from './prefix.js';

const TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

class Conflict {
  constructor(key) { this.key = key; }
}

/**
 * @param {{ path: string, table?: string, busyTimeoutMs?: number, database?: import('better-sqlite3').Database }} options
 * @returns {import('../index').LoyaltyStorage & { close(): void, database: import('better-sqlite3').Database }}
 */
export function sqliteStorage(options) {
  const { path, table = 'loyalty_kv', busyTimeoutMs = 10_000 } = options ?? {};
  if (!options?.database && (typeof path !== 'string' || path === '')) {
    throw new TypeError('sqliteStorage: options.path must be a file path (or ":memory:")');
  }
  if (!TABLE.test(table)) throw new TypeError(`sqliteStorage: options.table must be a plain SQL identifier (got ${table})`);
  const db = options.database ?? new Database(path, { timeout: busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`busy_timeout = ${Number(busyTimeoutMs) | 0}`);
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID`);

  const get = db.prepare(`SELECT value, version FROM ${table} WHERE key = ?`);
  const insert = db.prepare(`INSERT INTO ${table} (key, value, version) VALUES (?, ?, 1) ON CONFLICT (key) DO NOTHING`);
  const update = db.prepare(`UPDATE ${table} SET value = ?, version = version + 1 WHERE key = ? AND version = ?`);
  const scans = new Map();
  const scanAll = (request) => {
    const q = scanQuery(request, () => '?');
    const sql = `SELECT key, value, version FROM ${table} WHERE ${q.where} ORDER BY key ${q.order} LIMIT ${q.limit}`;
    if (!scans.has(sql)) scans.set(sql, db.prepare(sql));
    return scans.get(sql).all(...q.params);
  };

  // A read of many keys sees one snapshot.
  const readMany = db.transaction((keys) => keys.map((k) => get.get(k) ?? null));
  const commitAll = db.transaction((writes) => {
    for (const w of writes) {
      if (w.value === null || w.value === undefined) {
        // A check: the key must be at this version (0: absent); nothing is written.
        if ((get.get(w.key)?.version ?? 0) !== w.version) throw new Conflict(w.key);
        continue;
      }
      const changed = w.version === 0 ? insert.run(w.key, w.value).changes : update.run(w.value, w.key, w.version).changes;
      if (changed !== 1) throw new Conflict(w.key);
    }
  });

  return {
    database: db,
    async read(keys) {
      return readMany(keys);
    },
    async commit(writes) {
      try {
        commitAll.immediate(writes);
        return { ok: true };
      } catch (e) {
        if (e instanceof Conflict) return { ok: false, conflict: e.key };
        throw e;
      }
    },
    async scan(request) {
      return scanAll(request).filter((r) => r.key.startsWith(request.prefix));
    },
    close() {
      db.close();
    },
  };
}
