// One redeeming process: 20 redemptions at a time of one reward from one account, over a shared
// storage, until the account can no longer afford it; then a JSON report on stdout. Run by
// load.mjs's redeemRace.
//   node redeemer.mjs <storage spec> <account id> <reward id>
import { createLoyaltyBackend } from 'wix-loyalty-wasm';
import { openStorage } from './helpers.mjs';

const [spec, accountId, rewardId] = process.argv.slice(2);
const storage = await openStorage(spec);
const loyalty = createLoyaltyBackend({ storage });
const coupons = [];
const unexpected = [];
let exhausted = false;
// Until it is spent; a steady other refusal ends it too (the test then fails on `unexpected`).
for (let round = 0; !exhausted && unexpected.length === 0 && round < 1000; round++) {
  const settled = await Promise.allSettled(Array.from({ length: 20 }, () => loyalty.coupons.redeemPointsForCoupon(rewardId, { loyaltyAccountId: accountId })));
  for (const s of settled) {
    if (s.status === 'fulfilled') coupons.push(s.value.coupon._id);
    else if (s.reason?.reason === 'INSUFFICIENT_POINTS') exhausted = true;
    else unexpected.push(`${s.reason?.code}/${s.reason?.reason}: ${s.reason?.message}`);
  }
}
await storage.close();
process.stdout.write(`${JSON.stringify({ coupons, unexpected })}\n`);
