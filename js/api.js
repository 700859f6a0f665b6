// The package's public surface, shared by every entry point (browser ESM, Node ESM, Node CJS).

import { createLoyaltyBackend } from './engine.js';
import { memoryStorage } from './memory-storage.js';

export { createLoyaltyBackend, engineStats, operationTable } from './engine.js';
export { memoryStorage } from './memory-storage.js';
export { LoyaltyError, isLoyaltyError, ERROR_CODES } from './errors.js';
export { QueryBuilder, QueryResult } from './query.js';
export { createWixFetch } from './rest.js';

/** The embedded default: a ready backend over in-memory storage, as `wix-loyalty-backend` is. */
const wixLoyaltyBackend = createLoyaltyBackend({ storage: memoryStorage() });

// The modules of @wix/loyalty by name, acting on the default backend; and the legacy singular
// modules of wix-loyalty-backend.
export const {
  accounts, programs, transactions, rewards, coupons, tiers, earningRules, imports, checkoutExchange, socialMedia,
  account, program, jobs, refunds,
} = wixLoyaltyBackend;
export default wixLoyaltyBackend;
