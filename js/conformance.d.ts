import type { LoyaltyStorage } from './index.js';

export interface StorageConformanceCheck {
  name: string;
  run(storage: LoyaltyStorage): Promise<void>;
}

export declare const storageConformanceTests: readonly StorageConformanceCheck[];

export interface StorageConformanceReport {
  passed: number;
  failed: { name: string; error: unknown }[];
}

/** Registers one test per check with `test`, or runs them all and reports. */
export declare function runStorageConformance(
  makeStorage: () => LoyaltyStorage | Promise<LoyaltyStorage>,
  options: { test: (name: string, fn: () => Promise<void>) => unknown; prefix?: string },
): void;
export declare function runStorageConformance(
  makeStorage: () => LoyaltyStorage | Promise<LoyaltyStorage>,
  options?: { prefix?: string },
): Promise<StorageConformanceReport>;
