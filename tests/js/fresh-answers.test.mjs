// Every answer is the caller's own: the engine remembers decoded records (accounts, the program,
// rewards and their prices, ledger rows in query pages), but what it hands out is built afresh
// for each call. A caller that changes every field of an answer, nested objects and Dates
// included, then reads the same thing again (itself, or another backend on the same store)
// gets the original answer back, and the ledger still checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoyaltyBackend, memoryStorage } from 'wix-loyalty-wasm';
import { CONTACT_A, yielding } from './helpers.mjs';

/** Changes every leaf of `value` in place: numbers, strings, booleans, Dates, arrays grow. */
function scribble(value) {
  if (Array.isArray(value)) {
    value.forEach(scribble);
    value.push('scribbled');
    return;
  }
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (v instanceof Date) v.setTime(0);
    else if (typeof v === 'number') value[key] = v + 1;
    else if (typeof v === 'string') value[key] = `${v}!`;
    else if (typeof v === 'boolean') value[key] = !v;
    else if (v !== null && typeof v === 'object') scribble(v);
  }
  value.scribbled = true;
}

// A memoryStorage() behind other functions is a host's storage to the engine (the generic path).
for (const [label, storage] of [['memoryStorage()', memoryStorage], ['a host storage', () => yielding(memoryStorage())]]) {
  test(`an answer changed by its caller changes nothing the next caller reads, on ${label}`, async () => {
    const store = storage();
    const loyalty = createLoyaltyBackend({ storage: store });
    const other = createLoyaltyBackend({ storage: store });
    await loyalty.programs.activateLoyaltyProgram();
    const reward = await loyalty.rewards.createReward({
      name: 'Tote', active: true, couponReward: { fixedAmount: { configsByTier: [{ costInPoints: 10, amount: 5 }] } },
    });
    const { account } = await loyalty.accounts.createAccount(CONTACT_A);
    await loyalty.accounts.earnPoints(account._id, { amount: 100, appId: 'shop', idempotencyKey: 'e1' });
    for (let i = 0; i < 5; i++) await loyalty.accounts.adjustPoints(account._id, { amount: 1 });
    const { coupon } = await loyalty.coupons.redeemPointsForCoupon(reward._id, { loyaltyAccountId: account._id });

    const reads = {
      account: (b) => b.accounts.getAccount(account._id),
      page: (b) => b.transactions.queryLoyaltyTransactions().eq('accountId', account._id).limit(50).find().then((p) => p.items),
      program: (b) => b.programs.getLoyaltyProgram(),
      reward: (b) => b.rewards.getReward(reward._id),
      rewards: (b) => b.rewards.listRewards(),
      coupon: (b) => b.coupons.getLoyaltyCoupon(coupon._id),
      earn: (b) => b.accounts.earnPoints(account._id, { amount: 100, appId: 'shop', idempotencyKey: 'e1' }), // a retry: the first answer again
    };
    for (const [what, read] of Object.entries(reads)) {
      const first = await read(loyalty);
      const kept = structuredClone(first);
      scribble(first);
      assert.notDeepEqual(first, kept, `${what}: the scribble changed the answer`);
      assert.deepEqual(await read(loyalty), kept, `${what}, read again by the same backend`);
      assert.deepEqual(await read(other), kept, `${what}, read by another backend on the same store`);
    }
    const report = await loyalty.verify();
    assert.equal(report.ok, true, JSON.stringify(report.discrepancies));
  });
}
