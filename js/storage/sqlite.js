// sqliteStorage({ path }): the storage contract over a SQLite file, through better-sqlite3 (v12).
//
// One table (created if missing):
//   CREATE TABLE loyalty_kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID
// WAL journal, synchronous=FULL: a commit is on disk when its promise resolves. Each commit is
// one IMMEDIATE transaction that checks every version and writes every row, or rolls back.
// An entry without a value is only checked.
// Several processes may share one file: writers queue on SQLite's lock (busy_timeout).
//
// better-sqlite3 is synchronous: on the calling thread every commit (its fsync, and its wait for
// another process's write lock) would hold up Node's event loop (timers, sockets, other
// requests). So by default commits run in a worker thread of its own, on one connection (one
// writer, as SQLite wants): each commit is a message to it, answered in order, and a busy lock
// waits there. A commit whose `signal` (the engine's deadline) aborted before the thread reached
// it is not run. Reads and scans stay on the calling thread's connection: in WAL mode a reader
// neither waits for writers nor syncs, so they take microseconds, and a message to the thread
// would cost more than the read. `thread: false`, a `database` opened by the caller, and
// ":memory:" keep commits on the calling thread too. Either way this thread opens the file first
// (so a bad path fails at once, and the table exists), and keeps that connection as `database`.
import Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { scanQuery } from './prefix.js';

const TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * The store over an open database: synchronous read, commit and scan. It uses nothing outside
 * itself and its arguments: the worker thread runs a copy of its source text.
 */
function sqliteCore(db, table, scanQuery) {
  class Conflict {
    constructor(key) { this.key = key; }
  }
  const get = db.prepare(`SELECT value, version FROM ${table} WHERE key = ?`);
  const insert = db.prepare(`INSERT INTO ${table} (key, value, version) VALUES (?, ?, 1) ON CONFLICT (key) DO NOTHING`);
  const update = db.prepare(`UPDATE ${table} SET value = ?, version = version + 1 WHERE key = ? AND version = ?`);
  const scans = new Map();
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
    read: (keys) => readMany(keys),
    commit(writes) {
      try {
        commitAll.immediate(writes);
        return { ok: true };
      } catch (e) {
        if (e instanceof Conflict) return { ok: false, conflict: e.key };
        throw e;
      }
    },
    scan(request) {
      const q = scanQuery(request, () => '?');
      const sql = `SELECT key, value, version FROM ${table} WHERE ${q.where} ORDER BY key ${q.order} LIMIT ${q.limit}`;
      if (!scans.has(sql)) scans.set(sql, db.prepare(sql));
      return scans.get(sql).all(...q.params).filter((r) => r.key.startsWith(request.prefix));
    },
  };
}

/**
 * The worker thread: opens the file, then answers `{ id, op, arg }` messages in order with
 * `{ id, result }`, `{ id, error }` or `{ id, notRun }` (a `{ cancel: id }` came first). Its
 * source text runs in the thread, with the source of sqliteCore and scanQuery as arguments.
 */
function workerMain(scanQuery, sqliteCore) {
  // eslint-disable-next-line no-undef
  const { parentPort, workerData, receiveMessageOnPort } = require('node:worker_threads');
  // eslint-disable-next-line no-undef
  const Db = require(workerData.module);
  const db = new Db(workerData.path, { timeout: workerData.busyTimeoutMs });
  db.pragma('synchronous = FULL');
  db.pragma(`busy_timeout = ${workerData.busyTimeoutMs}`);
  const store = sqliteCore(db, workerData.table, scanQuery);
  const queue = [];
  const cancelled = new Set();
  const take = (m) => (m.cancel === undefined ? queue.push(m) : cancelled.add(m.cancel));
  parentPort.on('message', (first) => {
    take(first);
    while (queue.length > 0) {
      // Cancels that came while the last call ran (a busy lock) drop the calls they name.
      for (let m = receiveMessageOnPort(parentPort); m; m = receiveMessageOnPort(parentPort)) take(m.message);
      const { id, op, arg } = queue.shift();
      if (cancelled.delete(id)) {
        parentPort.postMessage({ id, notRun: true });
      } else if (op === 'close') {
        db.close();
        parentPort.postMessage({ id, result: null });
        parentPort.close();
        return;
      } else {
        try {
          parentPort.postMessage({ id, result: store[op](arg) });
        } catch (e) {
          parentPort.postMessage({ id, error: { message: String(e?.message ?? e), code: e?.code, name: e?.name } });
        }
      }
    }
    cancelled.clear();
  });
}

/** Where better-sqlite3 is, for the worker thread to load the same copy (this file is ESM or bundled CJS). */
function sqliteModulePath() {
  // eslint-disable-next-line no-undef
  const here = typeof __filename === 'string' ? __filename : import.meta.url;
  return createRequire(here).resolve('better-sqlite3');
}

/** The calls of a store whose database runs in a worker thread. */
function threaded({ path, table, busyTimeoutMs }) {
  const worker = new Worker(`(${workerMain})(${scanQuery}, ${sqliteCore})`, {
    eval: true,
    workerData: { module: sqliteModulePath(), path, table, busyTimeoutMs },
  });
  worker.unref(); // an idle store does not keep the process alive
  const pending = new Map();
  let nextId = 1;
  let stopped = null;
  let closing = false;
  const fail = (error) => {
    stopped ??= error;
    for (const { reject } of pending.values()) reject(stopped);
    pending.clear();
  };
  // (An unref before the thread is online does not hold: again once it is.)
  worker.once('online', () => {
    if (pending.size === 0 && !closing) worker.unref();
  });
  worker.on('error', (e) => fail(new Error(`sqliteStorage: the database thread failed: ${e?.message ?? e}`, { cause: e })));
  worker.on('exit', () => fail(new Error('sqliteStorage: the database thread has stopped (closed)')));
  worker.on('message', ({ id, result, error, notRun }) => {
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    if (pending.size === 0 && !closing) worker.unref();
    if (error) call.reject(Object.assign(new Error(error.message), { code: error.code, name: error.name }));
    else if (notRun) call.reject(new Error('sqliteStorage: not run: the deadline passed before the database thread reached the call'));
    else call.resolve(result);
  });
  const call = (op, arg, signal) => new Promise((resolve, reject) => {
    if (stopped) return reject(stopped);
    const id = nextId++;
    pending.set(id, { resolve, reject });
    if (pending.size === 1) worker.ref();
    worker.postMessage({ id, op, arg });
    signal?.addEventListener('abort', () => {
      if (pending.has(id)) worker.postMessage({ cancel: id });
    }, { once: true });
  });
  return {
    commit: (writes, context) => (writes.length === 0 ? Promise.resolve({ ok: true }) : call('commit', writes, context?.signal)),
    close: async () => {
      closing = true;
      worker.ref(); // until it has exited
      if (!stopped) await call('close').catch(() => {});
      await new Promise((resolve) => (worker.threadId === -1 ? resolve() : worker.once('exit', resolve)));
    },
  };
}

/**
 * @param {{ path: string, table?: string, busyTimeoutMs?: number, thread?: boolean, database?: import('better-sqlite3').Database }} options
 * @returns {import('../index').LoyaltyStorage & { close(): Promise<void>, database: import('better-sqlite3').Database, threaded: boolean }}
 */
export function sqliteStorage(options) {
  const { path, table = 'loyalty_kv', busyTimeoutMs = 10_000, thread = true } = options ?? {};
  if (!options?.database && (typeof path !== 'string' || path === '')) {
    throw new TypeError('sqliteStorage: options.path must be a file path (or ":memory:")');
  }
  if (!TABLE.test(table)) throw new TypeError(`sqliteStorage: options.table must be a plain SQL identifier (got ${table})`);
  if (typeof thread !== 'boolean') throw new TypeError(`sqliteStorage: options.thread must be a boolean (got ${typeof thread})`);
  const timeout = Number(busyTimeoutMs) | 0;
  const db = options.database ?? new Database(path, { timeout });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`busy_timeout = ${timeout}`);
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID`);

  if (!thread || options.database || path === ':memory:') {
    const store = sqliteCore(db, table, scanQuery);
    return {
      database: db,
      threaded: false,
      read: async (keys) => store.read(keys),
      commit: async (writes) => store.commit(writes),
      scan: async (request) => store.scan(request),
      async close() {
        db.close();
      },
    };
  }
  const calls = threaded({ path, table, busyTimeoutMs: timeout });
  const reader = sqliteCore(db, table, scanQuery);
  return {
    database: db,
    threaded: true,
    read: async (keys) => reader.read(keys),
    commit: calls.commit,
    scan: async (request) => reader.scan(request),
    /** Stops the database thread (after the calls already sent), then closes this thread's connection. */
    async close() {
      await calls.close();
      if (db.open) db.close();
    },
  };
}
