// The storage deadline (README "Storage"): a storage call that does not answer within
// storageTimeoutMs ends as UNAVAILABLE / STORAGE_TIMEOUT, the operation lets go of everything it
// held, and the backend goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoyaltyBackend, memoryStorage, engineStats } from 'wix-loyalty-wasm';
import { indexedDbStorage } from 'wix-loyalty-wasm/storage/indexeddb';
import { CONTACT_A, rejects } from './helpers.mjs';

/** memoryStorage()'s contract, except that while `hang.on` a call of `hang.call` never answers. */
function hanging(hang) {
  const base = memoryStorage();
  const signals = [];
  const wrap = (name) => (arg, context) => {
    if (hang.on && hang.call === name) {
      signals.push(context?.signal);
      return new Promise(() => {});
    }
    return base[name](arg);
  };
  return { signals, storage: { read: wrap('read'), commit: wrap('commit'), scan: wrap('scan') } };
}

test('a storage call past storageTimeoutMs ends as UNAVAILABLE / STORAGE_TIMEOUT, its signal aborts, and the operation lets go of its queue slot and its state', async () => {
  const hang = { on: false, call: 'commit' };
  const { storage, signals } = hanging(hang);
  const loyalty = createLoyaltyBackend({ storage, storageTimeoutMs: 50 });
  await loyalty.programs.activateLoyaltyProgram();
  const { account } = await loyalty.accounts.createAccount(CONTACT_A);
  hang.on = true;
  const e = await rejects(loyalty.accounts.adjustPoints(account._id, { amount: 5 }), 'UNAVAILABLE', 'STORAGE_TIMEOUT');
  assert.match(e.message, /storage\.commit did not answer within 50 ms/);
  assert.equal(signals.length, 1);
  assert.equal(signals[0].aborted, true, 'the adapter hears that the deadline passed');
  // The same account again: the first call's queue slot was released.
  hang.call = 'read';
  await rejects(loyalty.accounts.getAccount(account._id), 'UNAVAILABLE', 'STORAGE_TIMEOUT');
  hang.call = 'scan';
  await rejects(loyalty.transactions.queryLoyaltyTransactions().find(), 'UNAVAILABLE', 'STORAGE_TIMEOUT');
  hang.on = false;
  const { account: after } = await loyalty.accounts.adjustPoints(account._id, { amount: 2 });
  assert.equal(after.points.balance, 2, 'the timed-out commit was never applied by this store; the next one is');
  assert.equal(engineStats().operationsInFlight, 0, 'no operation state left behind');
  assert.equal((await loyalty.verify()).ok, true);
});

test('a deadline ends verify() and the scheduled work as well', async () => {
  const hang = { on: false, call: 'scan' };
  const { storage } = hanging(hang);
  const loyalty = createLoyaltyBackend({ storage, storageTimeoutMs: 50 });
  await loyalty.programs.activateLoyaltyProgram();
  hang.on = true;
  await rejects(loyalty.verify(), 'UNAVAILABLE', 'STORAGE_TIMEOUT');
  await rejects(loyalty.runScheduledWork(), 'UNAVAILABLE', 'STORAGE_TIMEOUT');
  hang.on = false;
  assert.equal((await loyalty.runScheduledWork()).checkedAccounts, 0);
});

test('storageTimeoutMs must be a positive number of milliseconds', () => {
  for (const storageTimeoutMs of [0, -1, '5000', NaN, Infinity, 2 ** 31]) {
    assert.throws(() => createLoyaltyBackend({ storage: memoryStorage(), storageTimeoutMs }), (e) => e.code === 'INVALID_ARGUMENT' && e.reason === 'INVALID_OPTIONS', String(storageTimeoutMs));
  }
});

test('indexedDbStorage: an open that never answers ends at the deadline; a blocked open is a clear error, and a later call opens again', async () => {
  const requests = [];
  // A factory whose open requests answer only when the test says so.
  const factory = { open: () => { const req = {}; requests.push(req); return req; } };
  const loyalty = createLoyaltyBackend({ storage: indexedDbStorage({ name: 'held', indexedDB: factory }), storageTimeoutMs: 50 });
  await rejects(loyalty.programs.getLoyaltyProgram(), 'UNAVAILABLE', 'STORAGE_TIMEOUT');
  const blocked = createLoyaltyBackend({ storage: indexedDbStorage({ name: 'held', indexedDB: factory }), storageTimeoutMs: 300 });
  const call = blocked.programs.getLoyaltyProgram();
  await new Promise((r) => setTimeout(r, 10));
  requests.at(-1).onblocked();
  const e = await rejects(call, 'UNAVAILABLE', 'STORAGE_ERROR');
  assert.match(e.message, /IndexedDB database held cannot be opened: another connection .* holds an older version of it open/);
  const count = requests.length;
  await rejects(blocked.programs.getLoyaltyProgram(), 'UNAVAILABLE', 'STORAGE_TIMEOUT');
  assert.equal(requests.length, count + 1, 'the next call tries to open again');
});
