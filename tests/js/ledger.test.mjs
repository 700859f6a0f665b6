// Earning, adjusting and the ledger through the public API, including retries and queries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activeWithAccount, rejects, assertConsistent, counted, CONTACT_A, CONTACT_B } from './helpers.mjs';
import { createLoyaltyBackend, memoryStorage } from 'wix-loyalty-wasm';

test('each mutation costs one batched read and one atomic commit; a create once the program is known, one commit', async () => {
  const { storage, calls } = counted(memoryStorage());
  const loyalty = createLoyaltyBackend({ storage });
  const measure = async (fn) => {
    const before = { ...calls };
    await fn();
    return { read: calls.read - before.read, commit: calls.commit - before.commit, scan: calls.scan - before.scan };
  };
  const one = { read: 1, commit: 1, scan: 0 };
  assert.deepEqual(await measure(() => loyalty.programs.activateLoyaltyProgram()), one);
  let id;
  // The backend saw the program when it activated it: the create commits with a check of it.
  assert.deepEqual(await measure(async () => { id = (await loyalty.accounts.createAccount(CONTACT_B)).account._id; }), { read: 0, commit: 1, scan: 0 });
  // A backend that never saw the program reads first.
  const fresh = createLoyaltyBackend({ storage });
  assert.deepEqual(await measure(() => fresh.accounts.createAccount(CONTACT_A)), one);
  // Another backend paused the program: the check fails, the engine reads, and refuses.
  await fresh.programs.pauseLoyaltyProgram();
  assert.deepEqual(await measure(() => rejects(loyalty.accounts.createAccount('c0ffee00-1234-4abc-9def-0123456789ab'), 'FAILED_PRECONDITION', 'PROGRAM_NOT_ACTIVE')), { read: 1, commit: 1, scan: 0 });
  await fresh.programs.activateLoyaltyProgram();
  assert.deepEqual(await measure(() => loyalty.accounts.earnPoints(id, { amount: 5, appId: 'a', idempotencyKey: 'k' })), one);
  assert.deepEqual(await measure(() => loyalty.accounts.adjustPoints(id, { amount: 5 })), one);
  assert.deepEqual(await measure(() => loyalty.accounts.adjustPoints(id, { balance: 1, revision: '3' })), one);
  assert.deepEqual(await measure(() => loyalty.programs.updateLoyaltyProgram({ name: 'Club' })), one);
  assert.deepEqual(await measure(() => loyalty.accounts.earnPoints(id, { amount: 5, appId: 'a', idempotencyKey: 'k' })), { read: 1, commit: 0, scan: 0 }, 'a replayed earn only reads');
  assert.deepEqual(await measure(() => loyalty.accounts.getAccount(id)), { read: 1, commit: 0, scan: 0 });
});

test('idempotent earn: a retry returns the original result and credits once', async () => {
  const { loyalty, account: a } = await activeWithAccount();
  const options = { amount: 25, appId: 'shop', idempotencyKey: 'order-77', orderId: 'o-77' };
  const first = await loyalty.accounts.earnPoints(a._id, options);
  const retries = await Promise.all(Array.from({ length: 10 }, () => loyalty.accounts.earnPoints(a._id, { ...options })));
  for (const r of retries) assert.deepEqual(r, first);
  const { account, ledger } = await assertConsistent(loyalty, a._id);
  assert.equal(account.points.earned, 25);
  assert.equal(ledger.length, 1);
  await rejects(loyalty.accounts.earnPoints(a._id, { ...options, amount: 26 }), 'FAILED_PRECONDITION', 'IDEMPOTENCY_KEY_REUSED');
});

test('adjust rules: balance wins, no zero, no overdraft, stale revision refused', async () => {
  const { loyalty, account: a } = await activeWithAccount();
  assert.equal((await loyalty.accounts.adjustPoints(a._id, { balance: 50, amount: 3 })).account.points.balance, 50);
  await rejects(loyalty.accounts.adjustPoints(a._id, { amount: 0 }), 'INVALID_ARGUMENT', 'ZERO_AMOUNT');
  await rejects(loyalty.accounts.adjustPoints(a._id, {}), 'INVALID_ARGUMENT', 'MISSING_ADJUSTMENT');
  await rejects(loyalty.accounts.adjustPoints(a._id), 'INVALID_ARGUMENT', 'MISSING_ADJUSTMENT');
  await rejects(loyalty.accounts.adjustPoints(a._id, { amount: -51 }), 'FAILED_PRECONDITION', 'INSUFFICIENT_POINTS');
  await rejects(loyalty.accounts.adjustPoints(a._id, { amount: 1, revision: '1' }), 'ABORTED', 'REVISION_MISMATCH');
  const r = await loyalty.accounts.adjustPoints(a._id, { amount: -20, revision: '2', description: 'correction' });
  assert.equal(r.account.points.balance, 30);
  assert.equal(r.account.points.adjusted, 30);
  const txn = await loyalty.transactions.getLoyaltyTransaction(r.transactionId);
  assert.deepEqual(
    { type: txn.transactionType, amount: txn.amount, description: txn.description, before: txn.adjustInfo.amountBefore, after: txn.adjustInfo.amountAfter },
    { type: 'ADJUST', amount: -20, description: 'correction', before: 50, after: 30 },
  );
  await assertConsistent(loyalty, a._id);
});

test('queryLoyaltyTransactions: filters, order, limit, cursors and next()', async () => {
  let clock = Date.UTC(2025, 0, 1);
  const { loyalty, account: a } = await activeWithAccount({ now: () => (clock += 1000) });
  const { account: b } = await loyalty.accounts.createAccount(CONTACT_B);
  for (let i = 1; i <= 7; i++) {
    await loyalty.accounts.earnPoints(a._id, { amount: i, appId: 'shop', idempotencyKey: `a-${i}` });
    await loyalty.accounts.adjustPoints(b._id, { amount: 10 * i });
  }
  const q = loyalty.transactions.queryLoyaltyTransactions();
  const page1 = await q.eq('accountId', a._id).limit(3).find();
  assert.deepEqual(page1.items.map((t) => t.amount), [7, 6, 5], 'newest first by default');
  assert.ok(page1.hasNext());
  assert.equal(page1.length, 3);
  const page2 = await page1.next();
  assert.deepEqual(page2.items.map((t) => t.amount), [4, 3, 2]);
  const page3 = await page2.next();
  assert.deepEqual(page3.items.map((t) => t.amount), [1]);
  assert.ok(!page3.hasNext());
  await rejects(page3.next(), 'FAILED_PRECONDITION', 'NO_NEXT_PAGE');
  const viaCursor = await q.limit(3).skipTo(page1.cursors.next).find();
  assert.deepEqual(viaCursor.items.map((t) => t.amount), [4, 3, 2]);
  // As with the SDK, the builder's page size (50 unless set) goes with the cursor.
  const rest = await q.skipTo(page1.cursors.next).find();
  assert.deepEqual(rest.items.map((t) => t.amount), [4, 3, 2, 1]);

  const adjusts = await q.eq('transactionType', 'ADJUST').ascending('_createdDate').limit(100).find();
  assert.deepEqual(adjusts.items.map((t) => t.amount), [10, 20, 30, 40, 50, 60, 70]);
  const mid = adjusts.items[3]._createdDate;
  const later = await q.eq('accountId', b._id).gt('_createdDate', mid).ascending('_createdDate').find();
  assert.deepEqual(later.items.map((t) => t.amount), [50, 60, 70]);
  const both = await q.in('accountId', [a._id, b._id]).ge('amount', 6).le('amount', 20).find();
  assert.deepEqual(both.items.map((t) => t.amount).sort((x, y) => x - y), [6, 7, 10, 20]);
  assert.equal(q.eq('accountId', a._id).toQuery().filter.accountId, a._id, 'builders are immutable');
  assert.deepEqual(q.toQuery().filter, {});
  const byAmount = await q.eq('accountId', b._id).descending('amount').limit(2).find();
  assert.deepEqual(byAmount.items.map((t) => t.amount), [70, 60], 'every field sorts');
  assert.equal(byAmount.pageSize, 2, 'pageSize is the limit asked for');
  const back = await (await byAmount.next()).prev();
  assert.deepEqual(back.items.map((t) => t.amount), [70, 60], 'prev() returns to the page before');
  assert.ok(!back.hasPrev());
  await rejects(q.descending('balance').find(), 'INVALID_ARGUMENT', 'UNSUPPORTED_SORT');
  await rejects(q.limit(101).find(), 'INVALID_ARGUMENT', 'OUT_OF_RANGE');
  await rejects(q.skipTo('not a cursor').find(), 'INVALID_ARGUMENT', 'INVALID_CURSOR');
  await rejects(loyalty.transactions.getLoyaltyTransaction(a._id), 'NOT_FOUND', 'TRANSACTION_NOT_FOUND');
});
