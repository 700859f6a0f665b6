// Run by memory.test.mjs under `node --expose-gc`: 100k operations, memory sampled as it goes.
import { createLoyaltyBackend, memoryStorage, engineStats } from 'wix-loyalty-wasm';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

// Keeps current values but forgets the immutable ledger copies and the events outbox, so a mutation-heavy run does
// not grow the store itself: whatever grows is the engine's.
function forgetful(base) {
  const forget = (k) => k.startsWith('outbox/') || k.startsWith('ledger/') || k.startsWith('ledger-time/') || k.startsWith('txn/');
  return {
    read: (keys) => base.read(keys),
    commit: (writes) => base.commit(writes.filter((w) => !forget(w.key))),
    scan: (req) => base.scan(req),
  };
}

const events = { n: 0 };
const loyalty = createLoyaltyBackend({ storage: forgetful(memoryStorage()), onEvent: () => { events.n++; } });
await loyalty.programs.activateLoyaltyProgram();
const ids = [];
for (let i = 0; i < 10; i++) {
  const { account } = await loyalty.accounts.createAccount(`dddddddd-0000-4000-8000-${String(i).padStart(12, '0')}`);
  await loyalty.accounts.earnPoints(account._id, { amount: 100, appId: 'mem', idempotencyKey: `seed-${i}` });
  ids.push(account._id);
}

const ops = [
  (i) => loyalty.accounts.adjustPoints(ids[i % 10], { amount: i % 2 ? 1 : -1 }).catch(() => null),
  (i) => loyalty.accounts.adjustPoints(ids[i % 10], { balance: 50 + (i % 7), description: 'reset' }),
  (i) => loyalty.accounts.earnPoints(ids[i % 10], { amount: 100, appId: 'mem', idempotencyKey: `seed-${i % 10}` }),
  (i) => loyalty.accounts.getAccount(ids[i % 10]),
  (i) => loyalty.accounts.getAccountBySecondaryId({ contactId: `dddddddd-0000-4000-8000-${String(i % 10).padStart(12, '0')}` }),
  (i) => loyalty.accounts.adjustPoints(ids[i % 10], { amount: -1e6 }).catch(() => null),
  (i) => loyalty.accounts.adjustPoints(ids[i % 10], { amount: 1, revision: '1' }).catch(() => null),
  (i) => loyalty.accounts.earnPoints(ids[i % 10], { amount: 0.5, appId: 'mem', idempotencyKey: 'x' }).catch(() => null),
  () => loyalty.accounts.listAccounts({ cursorPaging: { limit: 5 } }),
  () => loyalty.transactions.queryLoyaltyTransactions().limit(5).find(),
];

const TOTAL = 100_000;
const samples = [];
const sample = (done) => {
  globalThis.gc();
  samples.push({ done, heapUsed: process.memoryUsage().heapUsed, wasmMemoryBytes: engineStats().wasmMemoryBytes });
};
for (let i = 0; i < TOTAL; i++) {
  await ops[i % ops.length](i);
  if ((i + 1) % 20_000 === 0) sample(i + 1);
}
process.stdout.write(`${JSON.stringify({ samples, events: events.n, inFlight: engineStats().operationsInFlight })}\n`);
