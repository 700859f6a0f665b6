// The package's public surface, shared by every entry point (browser ESM, Node ESM, Node CJS).

import { createLoyaltyBackend } from './engine.js';
import { memoryStorage } from './memory-storage.js';

export { createLoyaltyBackend, engineStats } from './engine.js';
export { memoryStorage } from './memory-storage.js';
export { LoyaltyError, isLoyaltyError, ERROR_CODES } from './errors.js';
export { LoyaltyTransactionsQueryBuilder, LoyaltyTransactionsQueryResult } from './query.js';

/** The embedded default: a ready backend over in-memory storage, as `wix-loyalty-backend` is. */
const wixLoyaltyBackend = createLoyaltyBackend({ storage: memoryStorage() });

export const { programs, program, accounts, account, transactions } = wixLoyaltyBackend;
export default wixLoyaltyBackend;
