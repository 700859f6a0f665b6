// postgresStorage({ connectionString } | { pool }): the storage contract over PostgreSQL, via pg.
//
// Schema (created if missing; `table` defaults to loyalty_kv):
//   CREATE TABLE loyalty_kv (key TEXT COLLATE "C" PRIMARY KEY, value TEXT NOT NULL, version BIGINT NOT NULL)
//   CREATE FUNCTION loyalty_kv_apply(keys TEXT[], vals TEXT[], versions BIGINT[]) RETURNS VOID
// The primary key's btree (byte order, "C" collation) serves the prefix scans. A commit is one
// round trip to the function, in a transaction of its own, which checks and writes every row in
// the order given (the adapter sorts the writes by key): it returns when all applied, or raises 'loyalty conflict' with the first key whose
// version did not match in the error's detail, which rolls every write of the call back (no
// subtransaction). Reads are one `key = ANY($1)` query. (Releases before this one used a
// function loyalty_kv_commit that returned the key from a subtransaction; it is left in place
// for them and no longer called.)
// Every statement is prepared once per connection (named statements).
//
// Timeouts (its own pool only; a pool you pass keeps its settings): a connection must be made,
// or a pooled one free, within `connectionTimeoutMs`; the server ends a statement after
// `statementTimeoutMs`, a wait for a row lock after `lockTimeoutMs`, and a session left idle
// inside a transaction (a client that died mid-way) after `idleInTransactionTimeoutMs`; a query
// whose answer has not come after `queryTimeoutMs` (a server that stopped answering: the socket
// stays open, nothing comes back) fails on this side and its connection is dropped. TCP
// keep-alive is on. A call whose `signal` (the engine's deadline) has aborted by the time it has
// a connection is not sent at all.
import pg from 'pg';
import { scanQuery } from './prefix.js';

const TABLE = /^[a-z_][a-z0-9_]{0,40}$/;

/** A short stable name for a prepared statement (PostgreSQL truncates names at 63 bytes). */
function statementName(table, text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${table}_${h.toString(16)}`;
}

function schemaSql(table) {
  const fn = `${table}_apply`;
  return `
    CREATE TABLE IF NOT EXISTS ${table} (
      key TEXT COLLATE "C" PRIMARY KEY,
      value TEXT NOT NULL,
      version BIGINT NOT NULL
    );
    CREATE OR REPLACE FUNCTION ${fn}(keys TEXT[], vals TEXT[], versions BIGINT[]) RETURNS VOID
    LANGUAGE plpgsql AS $fn$
    DECLARE
      i INT;
      n INT;
    BEGIN
      -- The caller sends the writes in key order, so concurrent commits lock rows in one order.
      FOR i IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
        IF vals[i] IS NULL THEN
          -- A check: the row must be at this version (0: absent), share-locked so that it
          -- cannot change before this transaction ends; nothing is written.
          IF versions[i] = 0 THEN
            PERFORM 1 FROM ${table} WHERE key = keys[i];
            n := CASE WHEN FOUND THEN 0 ELSE 1 END;
          ELSE
            PERFORM 1 FROM ${table} WHERE key = keys[i] AND version = versions[i] FOR SHARE;
            n := CASE WHEN FOUND THEN 1 ELSE 0 END;
          END IF;
        ELSIF versions[i] = 0 THEN
          INSERT INTO ${table} (key, value, version) VALUES (keys[i], vals[i], 1) ON CONFLICT (key) DO NOTHING;
          GET DIAGNOSTICS n = ROW_COUNT;
        ELSE
          UPDATE ${table} SET value = vals[i], version = version + 1 WHERE key = keys[i] AND version = versions[i];
          GET DIAGNOSTICS n = ROW_COUNT;
        END IF;
        IF n <> 1 THEN
          -- Fails the call's statement, and with it its transaction: every write of the call
          -- is rolled back (no subtransaction needed); the key travels in the error's detail.
          RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'loyalty conflict', DETAIL = keys[i];
        END IF;
      END LOOP;
    END
    $fn$;`;
}

/** The timeouts' defaults, in milliseconds. */
export const POSTGRES_TIMEOUTS = Object.freeze({
  connectionTimeoutMs: 5_000,
  statementTimeoutMs: 5_000,
  lockTimeoutMs: 5_000,
  idleInTransactionTimeoutMs: 10_000,
  queryTimeoutMs: 10_000,
});

/**
 * Gives a connection back after a query: one whose query the server refused (a conflict) or that
 * ended well goes back to the pool; one that failed on this side (a timeout, a dropped socket)
 * is dropped.
 */
function releaseAfter(client, failure) {
  client.release(failure === undefined || failure instanceof pg.DatabaseError ? undefined : failure);
}

/**
 * @param {{ connectionString?: string, pool?: import('pg').Pool, table?: string, poolSize?: number,
 *   connectionTimeoutMs?: number, statementTimeoutMs?: number, lockTimeoutMs?: number,
 *   idleInTransactionTimeoutMs?: number, queryTimeoutMs?: number }} options
 */
export function postgresStorage(options) {
  const { connectionString, table = 'loyalty_kv', poolSize = 10 } = options ?? {};
  if (!options?.pool && typeof connectionString !== 'string') {
    throw new TypeError('postgresStorage: give options.connectionString or options.pool');
  }
  if (!TABLE.test(table)) throw new TypeError(`postgresStorage: options.table must be a lower-case SQL identifier (got ${table})`);
  const timeouts = {};
  for (const [name, fallback] of Object.entries(POSTGRES_TIMEOUTS)) {
    const value = options[name] ?? fallback;
    if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`postgresStorage: options.${name} must be a whole number of milliseconds above 0 (got ${value})`);
    timeouts[name] = value;
  }
  const ownPool = !options.pool;
  const pool = options.pool ?? new pg.Pool({
    connectionString,
    max: poolSize,
    connectionTimeoutMillis: timeouts.connectionTimeoutMs,
    statement_timeout: timeouts.statementTimeoutMs,
    lock_timeout: timeouts.lockTimeoutMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionTimeoutMs,
    query_timeout: timeouts.queryTimeoutMs,
    keepAlive: true,
  });
  // Without a listener, an idle client's error (server restart) would crash the process.
  if (ownPool) pool.on('error', () => {});
  const fn = `${table}_apply`;
  let ready = null;

  // Creates the table and function once; a failure is retried on the next call.
  const setup = () => {
    ready ??= (async () => {
      const client = await pool.connect();
      let failure;
      try {
        // Serialize concurrent first starts (CREATE OR REPLACE FUNCTION races otherwise).
        await client.query('SELECT pg_advisory_lock(hashtext($1))', [table]);
        try {
          await client.query(schemaSql(table));
        } finally {
          await client.query('SELECT pg_advisory_unlock(hashtext($1))', [table]);
        }
      } catch (e) {
        failure = e;
        throw e;
      } finally {
        releaseAfter(client, failure);
      }
    })().catch((e) => {
      ready = null;
      throw e;
    });
    return ready;
  };

  /** Runs one query on a pooled connection, unless `signal` aborted while it waited for one. */
  const listened = new WeakSet();
  async function query(config, signal) {
    const client = await pool.connect();
    if (!listened.has(client)) {
      // A connection lost while checked out is also an 'error' event, which would crash the
      // process unheard; its query fails with it, and that failure is what the caller gets.
      client.on('error', () => {});
      listened.add(client);
    }
    if (signal?.aborted) {
      client.release();
      throw new Error('the call\'s deadline passed while it waited for a connection: not sent to PostgreSQL');
    }
    try {
      const result = await client.query(config);
      releaseAfter(client);
      return result;
    } catch (e) {
      releaseAfter(client, e);
      throw e;
    }
  }

  const readSql = `SELECT key, value, version FROM ${table} WHERE key = ANY($1::text[])`;
  const commitSql = `SELECT ${fn}($1::text[], $2::text[], $3::bigint[])`;
  const readName = statementName(table, readSql);
  const commitName = statementName(table, commitSql);
  return {
    pool,
    async read(keys, context) {
      await setup();
      const { rows } = await query({ name: readName, text: readSql, values: [keys] }, context?.signal);
      const found = new Map(rows.map((r) => [r.key, { value: r.value, version: Number(r.version) }]));
      return keys.map((k) => found.get(k) ?? null);
    },
    async commit(writes, context) {
      if (writes.length === 0) return { ok: true };
      await setup();
      // In key order (JS string order: any one order serves), so that concurrent commits lock
      // rows in the same order and never deadlock.
      const sorted = writes.length > 1 ? [...writes].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) : writes;
      try {
        await query({
          name: commitName,
          text: commitSql,
          values: [sorted.map((w) => w.key), sorted.map((w) => w.value ?? null), sorted.map((w) => w.version)],
        }, context?.signal);
      } catch (e) {
        if (e?.code === 'P0001' && e.message === 'loyalty conflict' && typeof e.detail === 'string') return { ok: false, conflict: e.detail };
        throw e;
      }
      return { ok: true };
    },
    async scan(request, context) {
      await setup();
      const q = scanQuery(request, (n) => `$${n}`);
      const text = `SELECT key, value, version FROM ${table} WHERE ${q.where} ORDER BY key ${q.order} LIMIT ${q.limit}`;
      // Prepared once per connection and query shape.
      const { rows } = await query({ name: statementName(table, text), text, values: q.params }, context?.signal);
      return rows.filter((r) => r.key.startsWith(request.prefix)).map((r) => ({ key: r.key, value: r.value, version: Number(r.version) }));
    },
    async close() {
      if (ownPool) await pool.end();
    },
  };
}
