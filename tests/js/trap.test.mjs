// A trap (what a panic becomes on wasm32) must never strand a caller: the call rejects with
// INTERNAL / WASM_TRAP, the module is instantiated afresh, and every other call goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoyaltyBackend, memoryStorage, engineStats } from 'wix-loyalty-wasm';
import { CONTACT_A, contactId, rejects, assertConsistent } from './helpers.mjs';

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

/** Runs `fn` with console.error silenced (each forced trap logs its panic). */
async function quietly(fn) {
  const consoleError = console.error;
  console.error = () => {};
  try {
    return await fn();
  } finally {
    console.error = consoleError;
  }
}

test('traps during a load on the default store lose no acknowledged write', async () => {
  // The default store lives in wasm; a trap replaces the instance, and the store is rebuilt from
  // the journal kept on the JS side. Eight workers write while a second backend on the same
  // store traps again and again between (and around) their operations.
  const storage = memoryStorage();
  const loyalty = createLoyaltyBackend({ storage });
  const trapping = createLoyaltyBackend({ storage, testing: { trapBefore: ['getAccount'] } });
  await loyalty.programs.activateLoyaltyProgram();
  const accounts = [];
  for (let i = 0; i < 8; i++) accounts.push((await loyalty.accounts.createAccount(contactId(900 + i))).account._id);
  const acknowledged = new Map(accounts.map((id) => [id, { sum: 0, count: 0, earned: [] }]));
  const before = engineStats().traps;
  let traps = 0;
  await quietly(() => Promise.all(accounts.map(async (id, w) => {
    const mine = acknowledged.get(id);
    for (let i = 0; i < 150; i++) {
      if ((i + w) % 7 === 0) {
        await rejects(trapping.accounts.getAccount(id), 'INTERNAL', 'WASM_TRAP');
        traps++;
      }
      if (i % 3 === 0) {
        const key = `load-${w}-${i}`;
        const r = await loyalty.accounts.earnPoints(id, { amount: 2, appId: 'load', idempotencyKey: key });
        mine.earned.push({ key, transactionId: r.transactionId });
        mine.sum += 2;
      } else {
        await loyalty.accounts.adjustPoints(id, { amount: i % 2 ? 3 : -1 });
        mine.sum += i % 2 ? 3 : -1;
      }
      mine.count++;
      await new Promise((r) => setImmediate(r));
    }
  })));
  assert.ok(traps >= 150, `traps happened during the load (${traps})`);
  assert.equal(engineStats().traps - before, traps, 'each forced trap replaced the instance');
  for (const id of accounts) {
    const mine = acknowledged.get(id);
    const { account, ledger } = await assertConsistent(loyalty, id);
    assert.equal(account.points.balance, mine.sum, 'every acknowledged write is in the balance');
    assert.equal(ledger.length, mine.count, 'and in the ledger, once');
    // Idempotency keys keep their meaning across the rebuilds: a retry answers the original.
    for (const { key, transactionId } of mine.earned.slice(0, 5)) {
      const again = await loyalty.accounts.earnPoints(id, { amount: 2, appId: 'load', idempotencyKey: key });
      assert.equal(again.transactionId, transactionId);
    }
  }
  assert.equal((await loyalty.verify()).ok, true);
});

test('a compacted journal rebuilds the default store after a trap', async () => {
  // Overwriting one key with a large value makes the journal outgrow the live data many times,
  // so it is replaced by a dump of the store; a trap afterwards rebuilds from that dump. The
  // keys written before the big ones exist only in the dump once it was taken.
  const storage = memoryStorage();
  const trapping = createLoyaltyBackend({ storage, testing: { trapBefore: ['getAccount'] } });
  assert.deepEqual(await storage.commit([{ key: 'other/1', value: 'one', version: 0 }, { key: 'other/2', value: 'two', version: 0 }]), { ok: true });
  const big = (n) => `${n}:${'x'.repeat(200_000)}`;
  for (let v = 0; v < 60; v++) assert.deepEqual(await storage.commit([{ key: 'big', value: big(v), version: v }]), { ok: true });
  await quietly(() => rejects(trapping.accounts.getAccount(CONTACT_A), 'INTERNAL', 'WASM_TRAP'));
  const [found] = await storage.read(['big']);
  assert.equal(found.version, 60);
  assert.equal(found.value, big(59));
  assert.deepEqual((await storage.scan({ prefix: 'other/', limit: 10 })).map((r) => [r.key, r.value, r.version]), [['other/1', 'one', 1], ['other/2', 'two', 1]]);
  assert.deepEqual(await storage.commit([{ key: 'big', value: 'small', version: 59 }]), { ok: false, conflict: 'big' });
});
