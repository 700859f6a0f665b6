import type { LoyaltyStorage } from '../index.js';

export interface PostgresStorageOptions {
  /** e.g. postgres://user:password@host:5432/db; the adapter then owns its pool. */
  connectionString?: string;
  /** A pg.Pool of yours instead (not ended by close()). */
  pool?: unknown;
  /** Table name (default "loyalty_kv"); the commit function is "<table>_commit". */
  table?: string;
  /** Connections in the adapter's own pool (default 10). */
  poolSize?: number;
}

export interface PostgresStorage extends LoyaltyStorage {
  /** The pg.Pool in use. */
  readonly pool: unknown;
  /** Ends the pool if the adapter created it. */
  close(): Promise<void>;
}

/** Storage over PostgreSQL through pg (Node only). Creates its table and function if missing. */
export declare function postgresStorage(options: PostgresStorageOptions): PostgresStorage;
