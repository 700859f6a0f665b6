import type { LoyaltyStorage } from '../index.js';

export interface SqliteStorageOptions {
  /** The database file (created if missing), or ":memory:". */
  path?: string;
  /** An already open better-sqlite3 database instead of `path`. */
  database?: unknown;
  /** Table name (default "loyalty_kv"). */
  table?: string;
  /** How long a writer waits for another process's lock, in ms (default 10000). */
  busyTimeoutMs?: number;
}

export interface SqliteStorage extends LoyaltyStorage {
  /** The better-sqlite3 database. */
  readonly database: unknown;
  close(): void;
}

/** Storage over a SQLite file through better-sqlite3 v12 (Node only). */
export declare function sqliteStorage(options: SqliteStorageOptions): SqliteStorage;
