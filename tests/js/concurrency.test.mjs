// The concurrency claim of the storage contract: N concurrent adjustPoints({ amount: 1 }) on one
// account, from one backend or from several sharing one store that yields between read and
// commit, end with exactly N more points, N ledger entries and revision + N.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoyaltyBackend, memoryStorage, operationTable } from 'wix-loyalty-wasm';
import { CONTACT_A, counted, yielding, assertConsistent, contactId } from './helpers.mjs';

const N = 1000;

async function setup(backends) {
  const shared = counted(yielding(memoryStorage()));
  const instances = Array.from({ length: backends }, () => createLoyaltyBackend({ storage: shared.storage }));
  await instances[0].programs.activateLoyaltyProgram();
  const { account } = await instances[0].accounts.createAccount(CONTACT_A);
  return { instances, calls: shared.calls, account };
}

for (const backends of [1, 2]) {
  test(`${N} concurrent adjustPoints(+1) from ${backends} backend(s) over a yielding store`, async () => {
    const { instances, calls, account } = await setup(backends);
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) => instances[i % backends].accounts.adjustPoints(account._id, { amount: 1 })),
    );
    const { account: after, ledger } = await assertConsistent(instances[0], account._id);
    assert.equal(after.points.balance, N);
    assert.equal(after.revision, String(1 + N));
    assert.equal(ledger.length, N);
    assert.equal(new Set(results.map((r) => r.transactionId)).size, N, 'every call got its own transaction');
    assert.deepEqual([...new Set(results.map((r) => r.account.revision))].length, N, 'every call saw its own revision');
    if (backends > 1) assert.ok(calls.conflicts > 0, 'two backends really collided (and retried)');
    console.log(`# ${backends} backend(s): ${calls.commit} commits, ${calls.conflicts} conflicts retried`);
  });
}

test('concurrent earns with repeated idempotency keys from two backends credit each key once', async () => {
  const { instances, account } = await setup(2);
  const keys = 100;
  const calls = [];
  for (let copy = 0; copy < 3; copy++) {
    for (let k = 0; k < keys; k++) {
      calls.push(instances[(k + copy) % 2].accounts.earnPoints(account._id, { amount: 1 + (k % 5), appId: 'shop', idempotencyKey: `order-${k}` }));
    }
  }
  const results = await Promise.all(calls);
  for (let k = 0; k < keys; k++) {
    const same = [results[k], results[keys + k], results[2 * keys + k]];
    assert.equal(new Set(same.map((r) => r.transactionId)).size, 1, `key order-${k} has one transaction`);
  }
  const expected = Array.from({ length: keys }, (_, k) => 1 + (k % 5)).reduce((a, b) => a + b, 0);
  const { account: after, ledger } = await assertConsistent(instances[0], account._id);
  assert.equal(after.points.earned, expected);
  assert.equal(ledger.length, keys);
});

test('concurrent createAccount for the same contacts from two backends makes one account each', async () => {
  const { instances } = await setup(2);
  const contacts = Array.from({ length: 20 }, (_, i) => contactId(i));
  const attempts = contacts.flatMap((c) => [instances[0].accounts.createAccount(c), instances[1].accounts.createAccount(c), instances[1].accounts.createAccount(c)]);
  const settled = await Promise.allSettled(attempts);
  assert.equal(settled.filter((s) => s.status === 'fulfilled').length, contacts.length);
  for (const s of settled.filter((x) => x.status === 'rejected')) assert.equal(s.reason.reason, 'ACCOUNT_ALREADY_EXISTS');
  const all = await instances[0].accounts.listAccounts({ cursorPaging: { limit: 100 } });
  assert.equal(all.accounts.length, contacts.length + 1);
});

test('a stale revision under concurrency: exactly one of the racing callers wins', async () => {
  const { instances, account } = await setup(2);
  const settled = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) => instances[i % 2].accounts.adjustPoints(account._id, { amount: 5, revision: '1' })),
  );
  assert.equal(settled.filter((s) => s.status === 'fulfilled').length, 1);
  for (const s of settled.filter((x) => x.status === 'rejected')) assert.equal(s.reason.reason, 'REVISION_MISMATCH');
  const { account: after } = await assertConsistent(instances[0], account._id);
  assert.equal(after.points.balance, 5);
});

test('a writer that never gets in ends with ABORTED after the table\'s attempts, waiting as the table says', async () => {
  const { attempts } = operationTable();
  const base = memoryStorage();
  const loyalty = createLoyaltyBackend({ storage: base });
  await loyalty.programs.activateLoyaltyProgram();
  const { account } = await loyalty.accounts.createAccount(CONTACT_A);
  let commits = 0;
  const hostile = { ...base, commit: async (writes) => { commits++; return { ok: false, conflict: writes[0].key }; } };
  const deadline = 4321; // the storage calls' timers, told apart from the waits between attempts
  const starved = createLoyaltyBackend({ storage: hostile, storageTimeoutMs: deadline, outbox: false });
  // Every timer the engine sets meanwhile, but the storage deadlines: the waits before attempts.
  const waits = [];
  const setTimer = globalThis.setTimeout;
  globalThis.setTimeout = (fn, ms, ...rest) => {
    if (ms !== deadline) waits.push({ before: commits + 1, ms });
    return setTimer(fn, ms, ...rest);
  };
  try {
    await assert.rejects(starved.accounts.adjustPoints(account._id, { amount: 1 }), (e) => {
      assert.equal(e.code, 'ABORTED');
      assert.equal(e.reason, 'TOO_MANY_CONFLICTS');
      assert.equal(e.details.applicationError.data.key, `acct/${account._id}`);
      return true;
    });
  } finally {
    globalThis.setTimeout = setTimer;
  }
  assert.equal(commits, attempts.max, 'one commit per attempt');
  // No wait before the first `backoffAfter` attempts, one before each later one, within the cap.
  assert.deepEqual(waits.map((w) => w.before), Array.from({ length: attempts.max - attempts.backoffAfter }, (_, i) => attempts.backoffAfter + 1 + i));
  for (const { before, ms } of waits) assert.ok(ms >= 0 && ms <= Math.min(2 ** before, attempts.backoffCapMs), `wait of ${ms} ms before attempt ${before}`);
  await assertConsistent(loyalty, account._id);
});

// Redemption: N concurrent redemptions whose total exceeds the balance. Exactly the affordable
// ones succeed (each with its coupon and one REDEEM), the rest are refused with
// INSUFFICIENT_POINTS, and the balance never goes below zero.
for (const backends of [1, 2]) {
  test(`200 concurrent redemptions of 10 points on 1,000 points from ${backends} backend(s): exactly 100 succeed`, async () => {
    const { instances, calls, account } = await setup(backends);
    await instances[0].accounts.adjustPoints(account._id, { balance: 1000 });
    const reward = await instances[0].rewards.createReward({ name: 'Ten off', active: true, couponReward: { fixedAmount: { configsByTier: [{ costInPoints: 10, amount: 10 }] } } });
    const settled = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => instances[i % backends].coupons.redeemPointsForCoupon(reward._id, { loyaltyAccountId: account._id })),
    );
    const won = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value.coupon);
    const lost = settled.filter((s) => s.status === 'rejected').map((s) => s.reason);
    assert.equal(won.length, 100);
    assert.ok(lost.every((e) => e.reason === 'INSUFFICIENT_POINTS'), lost.find((e) => e.reason !== 'INSUFFICIENT_POINTS')?.message);
    const { account: after, ledger } = await assertConsistent(instances[0], account._id);
    assert.deepEqual([after.points.balance, after.points.redeemed], [0, 1000]);
    assert.equal(ledger.filter((t) => t.transactionType === 'REDEEM').length, 100);
    assert.equal(new Set(won.map((c) => c.couponReference.code)).size, 100, 'codes are unique');
    assert.deepEqual(new Set(won.map((c) => c.transactionId)), new Set(ledger.filter((t) => t.transactionType === 'REDEEM').map((t) => t._id)), 'one coupon per redemption');
    const report = await instances[0].verify();
    assert.deepEqual(report.discrepancies, []);
    if (backends > 1) assert.ok(calls.conflicts > 0, 'two backends really collided (and retried)');
  });
}

test('redemptions while the reward is repriced, then deleted: each charged a price the reward had, none after the delete', async () => {
  const { instances, account } = await setup(2);
  await instances[0].accounts.adjustPoints(account._id, { balance: 100000 });
  let reward = await instances[0].rewards.createReward({ name: 'Ten off', active: true, couponReward: { percentage: { configsByTier: [{ costInPoints: 10, percentage: 10 }] } } });
  const redeem = (i) => instances[i % 2].coupons.redeemPointsForCoupon(reward._id, { loyaltyAccountId: account._id });
  const first = Array.from({ length: 100 }, (_, i) => redeem(i));
  ({ reward } = await instances[1].rewards.updateReward(reward._id, { name: 'Ten off', revision: reward.revision, couponReward: { percentage: { configsByTier: [{ costInPoints: 25, percentage: 10 }] } } }));
  const second = Array.from({ length: 100 }, (_, i) => redeem(i));
  await Promise.allSettled([...first, ...second]);
  await instances[0].rewards.deleteReward(reward._id, reward.revision);
  const after = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => redeem(i)));
  assert.ok(after.every((s) => s.status === 'rejected' && s.reason.reason === 'REWARD_NOT_FOUND'));
  const { account: final, ledger } = await assertConsistent(instances[0], account._id);
  const redeems = ledger.filter((t) => t.transactionType === 'REDEEM');
  assert.ok(redeems.every((t) => t.amount === -10 || t.amount === -25), 'charged one of the prices the reward had');
  assert.ok(redeems.some((t) => t.amount === -25), 'some saw the new price');
  assert.equal(final.points.redeemed, -redeems.reduce((s, t) => s + t.amount, 0));
  assert.deepEqual((await instances[0].verify()).discrepancies, []);
});
