// `wix-loyalty.v2` under the loader: today's modules, acting as the caller (./backend.mjs);
// wrap a call in wix-auth's elevate() to act as an admin.
import { caller } from './backend.mjs';

export const { accounts, programs, transactions, rewards, coupons, tiers, earningRules, imports, checkoutExchange, socialMedia } = caller;
export default Object.freeze({ accounts, programs, transactions, rewards, coupons, tiers, earningRules, imports, checkoutExchange, socialMedia });
