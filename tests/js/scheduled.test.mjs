// runScheduledWork() from JS: points expire on the backend's clock, each committed batch is
// reported to the call's onProgress (and the backend's), and bad options are refused with a
// LoyaltyError.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createLoyaltyBackend, memoryStorage, isLoyaltyError } from 'wix-loyalty-wasm';
import { contactId } from './helpers.mjs';

const DAY = 86_400_000;

for (const [name, storage] of [['the default store', () => memoryStorage()], ['a host storage', () => ({ ...memoryStorage() })]]) {
  test(`runScheduledWork expires due points once and reports each batch (${name})`, async () => {
    let now = Date.UTC(2025, 0, 15, 10);
    const backendProgress = [];
    const loyalty = createLoyaltyBackend({ storage: storage(), now: () => now, onProgress: (p) => backendProgress.push(p) });
    await loyalty.programs.activateLoyaltyProgram();
    const ids = [];
    for (let i = 0; i < 150; i++) {
      const { account } = await loyalty.accounts.createAccount(contactId(i));
      await loyalty.accounts.adjustPoints(account._id, { amount: 10 });
      ids.push(account._id);
    }
    await loyalty.programs.updateLoyaltyProgram({ pointsExpiration: { monthsOfInactivity: 1, expiringPointsPercentage: 50 } });
    const { loyaltyProgram } = await loyalty.programs.enablePointsExpiration();
    assert.equal(loyaltyProgram.pointsExpiration.status, 'ENABLED');
    const before = await loyalty.accounts.getAccount(ids[0]);
    assert.deepEqual(before.pointsExpiration, { expirationDate: new Date(Date.UTC(2025, 1, 16)), expiringPointsAmount: 5 });

    now += 40 * DAY;
    const seen = [];
    const run = await loyalty.runScheduledWork({ onProgress: (p) => seen.push(p) });
    assert.deepEqual(run, { checkedAccounts: 150, expiredAccounts: 150, expiredPoints: 750, updatedAccounts: 0, redeliveredEvents: 0 });
    assert.deepEqual(seen.map((p) => p.expiredAccounts), [100, 150], 'one report per batch of 100');
    assert.deepEqual(backendProgress.slice(-2), seen, "the backend's onProgress hears them too");
    const after = await loyalty.accounts.getAccount(ids[0]);
    assert.equal(after.points.balance, 5);
    assert.equal(after.points.expired, 5);
    const { items } = await loyalty.transactions.queryLoyaltyTransactions().eq('transactionType', 'EXPIRE').eq('accountId', ids[0]).find();
    assert.equal(items.length, 1);
    assert.deepEqual(items[0].expireInfo, { amountBefore: 10, amountAfter: 5 });
    const again = await loyalty.jobs.runScheduledWork();
    assert.equal(again.expiredAccounts, 0, 'a second run expires nothing');
    assert.deepEqual((await loyalty.verify()).discrepancies, []);
  });
}

test('runScheduledWork refuses bad options with a LoyaltyError and keeps working', async () => {
  const loyalty = createLoyaltyBackend({ storage: memoryStorage() });
  for (const bad of [5, 'x', { onProgress: 3 }]) {
    await assert.rejects(loyalty.runScheduledWork(bad), (e) => isLoyaltyError(e) && e.code === 'INVALID_ARGUMENT');
  }
  assert.equal((await loyalty.runScheduledWork()).expiredAccounts, 0);
});

test('serve runs the scheduled work on its timer, one run at a time, and close() waits for it', async () => {
  const { serve } = await import('wix-loyalty-wasm');
  let now = Date.UTC(2025, 0, 15, 10);
  const loyalty = createLoyaltyBackend({ storage: memoryStorage(), now: () => now });
  await loyalty.programs.activateLoyaltyProgram();
  const { account } = await loyalty.accounts.createAccount(contactId(1));
  await loyalty.accounts.adjustPoints(account._id, { amount: 10 });
  await loyalty.programs.enablePointsExpiration();
  now += 100 * DAY;
  await assert.rejects(serve({ loyalty, port: 0, scheduledWorkMs: -1, log: () => {} }), /scheduledWorkMs/);
  const lines = [];
  const server = await serve({ loyalty, port: 0, scheduledWorkMs: 20, log: (line) => lines.push(line) });
  for (let i = 0; i < 200 && (await loyalty.accounts.getAccount(account._id)).points.expired === 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await server.close();
  assert.equal((await loyalty.accounts.getAccount(account._id)).points.expired, 10, 'the timer expired the points');
  assert.equal(lines.filter((l) => l.includes('scheduled work: 1 accounts expired 10 points')).length, 1, lines.join('\n'));
});
