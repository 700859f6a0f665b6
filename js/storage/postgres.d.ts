import type { LoyaltyStorage } from '../index.js';

export interface PostgresStorageOptions {
  /** e.g. postgres://user:password@host:5432/db; the adapter then owns its pool. */
  connectionString?: string;
  /** A pg.Pool of yours instead (not ended by close()). */
  pool?: unknown;
  /** Table name (default "loyalty_kv"); the commit function is "<table>_apply". */
  table?: string;
  /** Connections in the adapter's own pool (default 10). */
  poolSize?: number;
  /** Own pool only: how long to wait for a connection (a new one, or a busy pool's), in ms (default 5000). */
  connectionTimeoutMs?: number;
  /** Own pool only: the server's statement_timeout, in ms (default 5000). */
  statementTimeoutMs?: number;
  /** Own pool only: the server's lock_timeout, in ms (default 5000). */
  lockTimeoutMs?: number;
  /** Own pool only: the server's idle_in_transaction_session_timeout, in ms (default 10000). */
  idleInTransactionTimeoutMs?: number;
  /** Own pool only: how long this side waits for a query's answer before dropping its connection, in ms (default 10000). */
  queryTimeoutMs?: number;
}

export interface PostgresStorage extends LoyaltyStorage {
  /** The pg.Pool in use. */
  readonly pool: unknown;
  /** Ends the pool if the adapter created it. */
  close(): Promise<void>;
}

/** The timeouts' defaults, in milliseconds. */
export declare const POSTGRES_TIMEOUTS: Readonly<{ connectionTimeoutMs: number; statementTimeoutMs: number; lockTimeoutMs: number; idleInTransactionTimeoutMs: number; queryTimeoutMs: number }>;

/** Storage over PostgreSQL through pg (Node only). Creates its table and function if missing. */
export declare function postgresStorage(options: PostgresStorageOptions): PostgresStorage;
