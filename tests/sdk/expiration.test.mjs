// Points expiration through the official SDK, in-process (createWixFetch): the settings, an
// account's pointsExpiration, and the EXPIRE entry the scheduled work writes, each the same as
// the direct API reads it.
import test from 'node:test';
import assert from 'node:assert/strict';
import { createLoyaltyBackend, memoryStorage, createWixFetch } from 'wix-loyalty-wasm';
import { sdk, contacts, CONTACT_A } from './suite.mjs';

test('points expire on the backend clock and the SDK reads the settings, pointsExpiration and the EXPIRE entry', async () => {
  let now = Date.UTC(2025, 0, 15, 10);
  const direct = createLoyaltyBackend({ storage: memoryStorage(), contacts, now: () => now });
  const admin = sdk(createWixFetch(direct));
  await admin.programs.activateLoyaltyProgram();
  assert.equal((await admin.programs.getLoyaltyProgramPremiumFeatures()).pointsExpiration, true);
  const settings = await admin.programs.updateLoyaltyProgram({ pointsExpiration: { monthsOfInactivity: 1, expiringPointsPercentage: 50 } });
  assert.deepEqual(settings.loyaltyProgram.pointsExpiration, { status: 'DISABLED', monthsOfInactivity: 1, expiringPointsPercentage: 50 });
  assert.equal((await admin.programs.enablePointsExpiration()).loyaltyProgram.pointsExpiration.status, 'ENABLED');
  const { account } = await admin.accounts.createAccount(CONTACT_A);
  const earned = await admin.accounts.earnPoints(account._id, { amount: 10, appId: 'shop', idempotencyKey: 'sdk-expiry-1' });
  assert.deepEqual(earned.account.pointsExpiration, { expirationDate: new Date(Date.UTC(2025, 1, 16)), expiringPointsAmount: 5 });
  assert.deepEqual(await admin.accounts.getAccount(account._id), await direct.accounts.getAccount(account._id));

  now += 40 * 86_400_000;
  assert.equal((await direct.runScheduledWork()).expiredAccounts, 1);
  const after = await admin.accounts.getAccount(account._id);
  assert.deepEqual(after, await direct.accounts.getAccount(account._id));
  assert.deepEqual([after.points.balance, after.points.expired], [5, 5]);
  const page = await admin.transactions.queryLoyaltyTransactions().eq('transactionType', 'EXPIRE').find();
  assert.equal(page.items.length, 1);
  const expired = page.items[0];
  assert.deepEqual(expired, (await direct.transactions.queryLoyaltyTransactions().eq('transactionType', 'EXPIRE').find()).items[0]);
  assert.deepEqual([expired.amount, expired.expireInfo], [-5, { amountBefore: 10, amountAfter: 5 }]);
  assert.deepEqual(await admin.transactions.getLoyaltyTransaction(expired._id), expired);
  assert.equal((await admin.accounts.getProgramTotals()).points.expired, 5);
});
