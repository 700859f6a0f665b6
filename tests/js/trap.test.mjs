// A trap (what a panic becomes on wasm32) must never strand a caller: the call rejects with
// INTERNAL / WASM_TRAP, the module is instantiated afresh, and every other call goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoyaltyBackend, memoryStorage, engineStats } from 'wix-loyalty-wasm';
import { CONTACT_A, rejects, assertConsistent } from './helpers.mjs';

test('a forced trap rejects with INTERNAL and leaves a working engine', async () => {
  const storage = memoryStorage();
  const loyalty = createLoyaltyBackend({ storage });
  const trapping = createLoyaltyBackend({ storage, testing: { trapBefore: ['adjustPoints', 'verify'] } });
  await loyalty.programs.activateLoyaltyProgram();
  const { account } = await loyalty.accounts.createAccount(CONTACT_A);
  const before = engineStats();
  const logged = [];
  const consoleError = console.error;
  console.error = (...args) => logged.push(args.join(' '));
  let results;
  try {
    // Calls in flight on the normal backend while traps happen must complete normally.
    const inFlight = Array.from({ length: 50 }, () => loyalty.accounts.adjustPoints(account._id, { amount: 1 }));
    for (let i = 0; i < 20; i++) {
      const e = await rejects(trapping.accounts.adjustPoints(account._id, { amount: 1000 }), 'INTERNAL', 'WASM_TRAP');
      assert.ok(e.cause instanceof Error, 'the RuntimeError is the cause');
    }
    await rejects(trapping.verify(), 'INTERNAL', 'WASM_TRAP');
    results = await Promise.all(inFlight);
  } finally {
    console.error = consoleError;
  }
  // Each call in flight was applied exactly once: one after the other, balances 1 to 50.
  assert.deepEqual(results.map((r) => r.account.points.balance).sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i + 1));
  assert.equal(new Set(results.map((r) => r.transactionId)).size, 50);
  assert.equal(logged.filter((l) => l.includes('wix-loyalty-wasm panicked') && l.includes('forced by the testing.trapBefore option')).length, 21, 'the panic hook logged every panic');

  const after = engineStats();
  assert.equal(after.traps - before.traps, 21);
  assert.equal(after.instances - before.instances, 21, 'each trap re-instantiated the module');
  // Everything works afterwards, on both backends, and no trapped call wrote anything.
  assert.equal((await trapping.accounts.earnPoints(account._id, { amount: 5, appId: 'a', idempotencyKey: 'after' })).account.points.balance, 55);
  const { account: final } = await assertConsistent(loyalty, account._id);
  assert.equal(final.points.balance, 55);
  assert.equal((await loyalty.verify()).ok, true);
  assert.equal(engineStats().operationsInFlight, 0, 'no operation state left behind');
});
