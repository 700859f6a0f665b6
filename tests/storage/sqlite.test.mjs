// SQLite: the conformance kit on files, bad stored states, and the storage across processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLoyaltyBackend, memoryStorage } from 'wix-loyalty-wasm';
import { sqliteStorage } from 'wix-loyalty-wasm/storage/sqlite';
import { runStorageConformance } from 'wix-loyalty-wasm/conformance';
import { runLoad, redeemRace, checkRace, expireRace, checkExpireRace, eventsRace, checkEventsRace } from './load.mjs';
import { verifyStore, checkRedemptions } from './helpers.mjs';

const dir = mkdtempSync(join(tmpdir(), 'wix-loyalty-sqlite-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `db-${++n}.sqlite`);

runStorageConformance(() => sqliteStorage({ path: fresh() }), { test, prefix: 'sqliteStorage conformance: ' });

test('sqlite: data is durable across reopening the file', async () => {
  const path = fresh();
  const first = sqliteStorage({ path });
  const a = createLoyaltyBackend({ storage: first });
  await a.programs.activateLoyaltyProgram();
  const { account } = await a.accounts.createAccount('3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d');
  const earned = await a.accounts.earnPoints(account._id, { amount: 42, appId: 'shop', idempotencyKey: 'k' });
  first.close();
  const second = sqliteStorage({ path });
  const b = createLoyaltyBackend({ storage: second });
  assert.equal((await b.accounts.getAccount(account._id)).points.balance, 42);
  assert.deepEqual(await b.accounts.earnPoints(account._id, { amount: 42, appId: 'shop', idempotencyKey: 'k' }), earned);
  assert.equal(second.database.pragma('journal_mode', { simple: true }), 'wal');
  second.close();
});

test('sqlite: a hand-edited invalid record and a newer-schema row give clear errors; other accounts keep working', async () => {
  const storage = sqliteStorage({ path: fresh() });
  const loyalty = createLoyaltyBackend({ storage });
  await loyalty.programs.activateLoyaltyProgram();
  const { account: a } = await loyalty.accounts.createAccount('3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d');
  const { account: b } = await loyalty.accounts.createAccount('7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b');
  const { account: c } = await loyalty.accounts.createAccount('c0ffee00-1234-4abc-9def-0123456789ab');
  storage.database.prepare('UPDATE loyalty_kv SET value = ? WHERE key = ?').run('{"schema":1, "id": oops', `acct/${a._id}`);
  storage.database.prepare('UPDATE loyalty_kv SET value = ? WHERE key = ?').run('{"schema":2,"id":"x","newField":true}', `acct/${b._id}`);
  await assert.rejects(loyalty.accounts.getAccount(a._id), (e) => e.code === 'INTERNAL' && e.reason === 'CORRUPT_RECORD' && e.message.includes(`acct/${a._id}`));
  await assert.rejects(loyalty.accounts.adjustPoints(b._id, { amount: 1 }), (e) => e.reason === 'SCHEMA_TOO_NEW' && e.message.includes(`acct/${b._id}`) && e.message.includes('schema version 2'));
  assert.equal((await loyalty.accounts.adjustPoints(c._id, { amount: 7 })).account.points.balance, 7);
  storage.close();
});

test('sqlite: an unopenable file is a clear error', () => {
  assert.throws(() => sqliteStorage({ path: join(dir, 'missing-dir', 'x.db') }), /unable to open database file|directory does not exist/);
});

test('sqlite: 4 processes on one file, mixed load with retries, then kill -9 and restart', async () => {
  const path = fresh();
  const spec = `sqlite:${path}`;
  const calm = await runLoad({ spec, workers: 4, seconds: 4, label: 'sqlite' });
  const crashed = await runLoad({ spec, workers: 4, seconds: 3, kill: 2, label: 'sqlite crash' });
  const storage = sqliteStorage({ path });
  const totals = await verifyStore(storage, { contacts: calm.contacts });
  const audit = await createLoyaltyBackend({ storage }).verify();
  assert.deepEqual(audit.discrepancies, [], 'verify() finds nothing wrong');
  assert.equal(audit.counts.ledgerEntries, totals.entries);
  await checkRedemptions(storage, [...calm.redeems, ...crashed.redeems]);
  assert.ok(calm.counts['redeem ok'] > 0, 'redemptions ran');
  storage.close();
  for (const [key, transactionId] of [...calm.earns, ...crashed.earns]) {
    assert.equal(totals.earnKeys.get(key)?._id, transactionId, `every caller of ${key} got the one transaction the ledger holds`);
  }
  assert.ok(totals.entries > 0 && calm.ops > 0 && crashed.killed === 2);
  console.log(`# sqlite store after both runs: ${totals.accounts} accounts, ${totals.entries} ledger entries, ${totals.points} points, ${totals.earnKeys.size} idempotency keys, all invariants hold`);
});

test('the demo on a durable SQLite file: a second run shows the data of the first', () => {
  const demo = fileURLToPath(new URL('../../js/demo.mjs', import.meta.url));
  const path = fresh();
  const first = execFileSync(process.execPath, [demo, '--storage', `sqlite:${path}`], { encoding: 'utf8' });
  assert.match(first, /new account/);
  assert.doesNotMatch(first, /from an earlier run/);
  const second = execFileSync(process.execPath, [demo, '--storage', `sqlite:${path}`], { encoding: 'utf8' });
  assert.match(second, /found 3 accounts from an earlier run:\n\s+\S+ \S+\s+balance \d+, revision \d+/);
  assert.match(second, /existing account/);
  assert.match(second, /Check: sum of balances (\d+) = sum of the ledger \1 ✓/);
});

for (const kill of [0, 2]) {
  test(`sqlite: 4 processes redeem from one account until it is spent${kill ? ', 2 killed with SIGKILL mid-flight and replaced' : ''}: exactly the affordable coupons, each paid once`, async () => {
    const race = await redeemRace({ spec: `sqlite:${fresh()}`, processes: 4, balance: 1000, cost: 10, kill });
    checkRace(race, kill);
  });
}

for (const kill of [0, 1]) {
  test(`sqlite: 3 processes run the scheduled work at once over 300 due accounts${kill ? ', 1 killed with SIGKILL mid-run and replaced' : ''}: every account expired exactly once`, async () => {
    const race = await expireRace({ spec: `sqlite:${fresh()}`, processes: 3, accounts: 300, kill });
    checkExpireRace(race, kill);
  });
}

test('sqlite: events at least once: a process SIGKILLed between a commit and its delivery, 3 more (1 SIGKILLed mid-way and replaced), then the scheduled work: every event delivered, a duplicate only under its id', async () => {
  checkEventsRace(await eventsRace({ spec: `sqlite:${fresh()}`, processes: 3, accounts: 5, ops: 40 }));
});

/**
 * How late a 1 ms interval timer fires, at worst, while 8 callers each make 40 balance changes
 * on `storage`: how long the event loop was held up.
 */
async function loopLateness(storage) {
  const loyalty = createLoyaltyBackend({ storage });
  await loyalty.programs.activateLoyaltyProgram();
  const ids = [];
  for (let c = 0; c < 8; c++) ids.push((await loyalty.accounts.createAccount(`bbbbbbbb-0000-4000-8000-${String(c).padStart(12, '0')}`)).account._id);
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const t = performance.now();
    worst = Math.max(worst, t - last);
    last = t;
  }, 1);
  await Promise.all(ids.map(async (id) => {
    for (let i = 0; i < 40; i++) await loyalty.accounts.adjustPoints(id, { amount: 1 });
  }));
  const t = performance.now();
  worst = Math.max(worst, t - last);
  clearInterval(timer);
  return worst;
}

/**
 * The shortest of three `loopLateness` runs, each on a fresh store from `make`: one run's worst
 * stall can be a collection or a compilation that has nothing to do with the storage; what the
 * storage itself holds the loop up for is there every time.
 */
async function leastLateness(make) {
  let least = Infinity;
  for (let round = 0; round < 3; round++) {
    const storage = make();
    least = Math.min(least, await loopLateness(storage));
    await storage.close?.();
  }
  return least;
}

test('sqlite: the event loop stays free during a burst of commits (the database in its own thread), as with memoryStorage(); on the calling thread it does not', async () => {
  const probe = sqliteStorage({ path: fresh() });
  const probeOnCaller = sqliteStorage({ path: fresh(), thread: false });
  assert.equal(probe.threaded, true);
  assert.equal(probeOnCaller.threaded, false);
  await probe.close();
  await probeOnCaller.close();
  const memory = await leastLateness(() => memoryStorage());
  const free = await leastLateness(() => sqliteStorage({ path: fresh() }));
  const held = await leastLateness(() => sqliteStorage({ path: fresh(), thread: false }));
  console.log(`# longest event-loop stall during 320 commits: memoryStorage() ${memory.toFixed(1)} ms, SQLite in its thread ${free.toFixed(1)} ms (${(free / memory).toFixed(2)}×), SQLite on the calling thread ${held.toFixed(1)} ms (${(held / memory).toFixed(2)}×)`);
  assert.ok(free / memory < 2, `SQLite in its thread held the loop up ${(free / memory).toFixed(2)}× as long as memoryStorage() did`);
  assert.ok(held / free > 5, 'the measure tells the two apart: on the calling thread, every commit holds the loop');
});
