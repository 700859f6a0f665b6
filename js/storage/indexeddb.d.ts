import type { LoyaltyStorage } from '../index.js';

export interface IndexedDbStorageOptions {
  /** Database name (default "wix-loyalty"). */
  name?: string;
  /** An IDBFactory other than globalThis.indexedDB. */
  indexedDB?: IDBFactory;
}

export interface IndexedDbStorage extends LoyaltyStorage {
  close(): void;
}

/** Storage over the browser's IndexedDB; survives page reloads. */
export declare function indexedDbStorage(options?: IndexedDbStorageOptions): IndexedDbStorage;
