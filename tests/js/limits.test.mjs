// Stored numbers at their limits: a record seeded through a host storage with a balance, a
// total, a month of tier points or a revision at the edge of the safe-integer range, then the
// public API. Each change that would pass the limit is a coded error (never a trap, which the
// module's overflow checks would give), the record is left as it was, and the instance goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryStorage } from 'wix-loyalty-wasm';
import { activeWithAccount, rejects } from './helpers.mjs';

const MAX = Number.MAX_SAFE_INTEGER;

/** A backend over a host storage (not the default one's fast path), an account with 100 points. */
async function seeded() {
  const base = memoryStorage();
  const storage = { read: (k) => base.read(k), commit: (w) => base.commit(w), scan: (r) => base.scan(r) };
  const { loyalty, account } = await activeWithAccount({ storage });
  await loyalty.accounts.earnPoints(account._id, { amount: 100, appId: 'shop', idempotencyKey: 'seed' });
  const key = `acct/${account._id}`;
  /** Rewrites the stored account with `change` applied to its parsed record. */
  const poke = async (change) => {
    const [row] = await base.read([key]);
    const record = JSON.parse(row.value);
    change(record);
    const outcome = await base.commit([{ key, value: JSON.stringify(record), version: row.version }]);
    assert.equal(outcome.ok, true);
  };
  const stored = async () => (await base.read([key]))[0];
  return { loyalty, id: account._id, poke, stored };
}

/** `call` is refused with `reason`, leaves the stored record as it was, and the account still reads. */
async function refused(s, call, reason) {
  const before = await s.stored();
  const e = await rejects(call(), 'FAILED_PRECONDITION', reason);
  assert.doesNotMatch(e.message, /trap|unreachable|overflow/i, e.message);
  assert.deepEqual(await s.stored(), before, 'the record is left as it was');
  assert.equal((await s.loyalty.accounts.getAccount(s.id))._id, s.id);
  return e;
}

test('a balance at the safe limit refuses an earn and an adjustment up, and still takes one down', async () => {
  const s = await seeded();
  await s.poke((r) => { r.points.balance = MAX - 5; });
  await refused(s, () => s.loyalty.accounts.earnPoints(s.id, { amount: 10, appId: 'shop', idempotencyKey: 'over' }), 'POINTS_LIMIT_EXCEEDED');
  await refused(s, () => s.loyalty.accounts.adjustPoints(s.id, { amount: 6 }), 'POINTS_LIMIT_EXCEEDED');
  const { account } = await s.loyalty.accounts.adjustPoints(s.id, { amount: -5 });
  assert.equal(account.points.balance, MAX - 10);
});

test('an earned total at the limit refuses the next earn; an adjusted total at the limit the next adjustment', async () => {
  const s = await seeded();
  await s.poke((r) => { r.points.earned = MAX - 1; });
  await refused(s, () => s.loyalty.accounts.earnPoints(s.id, { amount: 2, appId: 'shop', idempotencyKey: 'over' }), 'POINTS_LIMIT_EXCEEDED');
  await s.poke((r) => { r.points.earned = 100; r.points.adjusted = -MAX + 1; });
  await refused(s, () => s.loyalty.accounts.adjustPoints(s.id, { amount: -2 }), 'POINTS_LIMIT_EXCEEDED');
  const { account } = await s.loyalty.accounts.earnPoints(s.id, { amount: 2, appId: 'shop', idempotencyKey: 'fine' });
  assert.equal(account.points.balance, 102);
});

test('a month of tier points at the limit refuses the change that would pass it', async () => {
  const s = await seeded();
  const now = new Date();
  const month = now.getUTCFullYear() * 12 + now.getUTCMonth();
  await s.poke((r) => { r.window = [[month, MAX - 3]]; r.tierPoints = MAX - 3; });
  await refused(s, () => s.loyalty.accounts.earnPoints(s.id, { amount: 4, appId: 'shop', idempotencyKey: 'over' }), 'POINTS_LIMIT_EXCEEDED');
  await refused(s, () => s.loyalty.accounts.adjustPoints(s.id, { amount: 4 }), 'POINTS_LIMIT_EXCEEDED');
  // Spread over the months of the longest window (36), the sum is what counts.
  await s.poke((r) => { r.window = [[month - 1, MAX - 3]]; });
  await refused(s, () => s.loyalty.accounts.earnPoints(s.id, { amount: 4, appId: 'shop', idempotencyKey: 'over2' }), 'POINTS_LIMIT_EXCEEDED');
  const { account } = await s.loyalty.accounts.earnPoints(s.id, { amount: 3, appId: 'shop', idempotencyKey: 'fits' });
  assert.equal(account.points.balance, 103);
});

test('an account whose revision is the last safe integer refuses a change rather than write one that no longer reads', async () => {
  const s = await seeded();
  await s.poke((r) => { r.revision = MAX; });
  await refused(s, () => s.loyalty.accounts.earnPoints(s.id, { amount: 1, appId: 'shop', idempotencyKey: 'over' }), 'REVISION_LIMIT_EXCEEDED');
  await refused(s, () => s.loyalty.accounts.adjustPoints(s.id, { amount: -1 }), 'REVISION_LIMIT_EXCEEDED');
  assert.equal(String((await s.loyalty.accounts.getAccount(s.id)).revision), String(MAX));
});
