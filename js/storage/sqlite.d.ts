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
  /**
   * Run the database in a worker thread of its own, so that reads and commits (and their fsync)
   * never hold up the event loop (default true; a `database` you pass, and ":memory:", always run
   * on the calling thread).
   */
  thread?: boolean;
}

export interface SqliteStorage extends LoyaltyStorage {
  /** A better-sqlite3 connection to the database on the calling thread, for inspection and maintenance. */
  readonly database: unknown;
  /** Whether the database runs in a worker thread of its own. */
  readonly threaded: boolean;
  /** Finishes the calls already made, stops the thread, closes the connections. */
  close(): Promise<void>;
}

/** Storage over a SQLite file through better-sqlite3 v12 (Node only). */
export declare function sqliteStorage(options: SqliteStorageOptions): SqliteStorage;
