// PostgreSQL: the conformance kit, bad states, and many processes with crashes. Needs the
// private cluster of scripts/with-postgres.sh (npm test starts it); fails without it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createLoyaltyBackend } from 'wix-loyalty-wasm';
import { postgresStorage } from 'wix-loyalty-wasm/storage/postgres';
import { runStorageConformance } from 'wix-loyalty-wasm/conformance';
import { runLoad } from './load.mjs';
import { postgresUrl, verifyStore } from './helpers.mjs';

const url = postgresUrl();
const admin = new pg.Pool({ connectionString: url, max: 2 });
const opened = [];
after(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await admin.end();
});
let n = 0;
/** A storage over a fresh table of its own. */
const fresh = (options = {}) => {
  const s = postgresStorage({ connectionString: url, table: `t${process.pid}_${++n}`, poolSize: 4, ...options });
  opened.push(s);
  return s;
};

runStorageConformance(() => fresh(), { test, prefix: 'postgresStorage conformance: ' });

test('postgres: an unreachable server is UNAVAILABLE / STORAGE_ERROR, and a restarted connection recovers', async () => {
  const down = postgresStorage({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres', poolSize: 1 });
  opened.push(down);
  const loyalty = createLoyaltyBackend({ storage: down });
  await assert.rejects(loyalty.programs.getLoyaltyProgram(), (e) => e.code === 'UNAVAILABLE' && e.reason === 'STORAGE_ERROR' && /ECONNREFUSED/.test(e.message) && e.cause instanceof Error);

  const storage = fresh({ poolSize: 2 });
  const live = createLoyaltyBackend({ storage });
  await live.programs.activateLoyaltyProgram();
  const { account } = await live.accounts.createAccount('3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d');
  // The server drops every connection of the pool (as on a restart or failover).
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() AND application_name = $1', ['']);
  const settled = await Promise.allSettled([live.accounts.adjustPoints(account._id, { amount: 5 }), live.accounts.adjustPoints(account._id, { amount: 5 })]);
  for (const s of settled.filter((x) => x.status === 'rejected')) assert.equal(s.reason.code, 'UNAVAILABLE', s.reason.message);
  const ok = settled.filter((x) => x.status === 'fulfilled').length;
  const r = await live.accounts.adjustPoints(account._id, { amount: 1 });
  assert.equal(r.account.points.balance, 5 * ok + 1, 'the pool reconnects; failed calls wrote nothing');
});

test('postgres: a hand-edited invalid record and a newer-schema row give clear errors; other accounts keep working', async () => {
  const storage = fresh();
  const loyalty = createLoyaltyBackend({ storage });
  await loyalty.programs.activateLoyaltyProgram();
  const { account: a } = await loyalty.accounts.createAccount('3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d');
  const { account: b } = await loyalty.accounts.createAccount('7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b');
  const { account: c } = await loyalty.accounts.createAccount('c0ffee00-1234-4abc-9def-0123456789ab');
  const table = `t${process.pid}_${n}`;
  await admin.query(`UPDATE ${table} SET value = $1 WHERE key = $2`, ['{"schema":1,"id": oops', `acct/${a._id}`]);
  await admin.query(`UPDATE ${table} SET value = $1 WHERE key = $2`, ['{"schema":2,"id":"x"}', `acct/${b._id}`]);
  await assert.rejects(loyalty.accounts.getAccount(a._id), (e) => e.code === 'INTERNAL' && e.reason === 'CORRUPT_RECORD' && e.message.includes(`acct/${a._id}`));
  await assert.rejects(loyalty.accounts.earnPoints(b._id, { amount: 1, appId: 'a', idempotencyKey: 'k' }), (e) => e.reason === 'SCHEMA_TOO_NEW' && e.message.includes(`acct/${b._id}`));
  assert.equal((await loyalty.accounts.adjustPoints(c._id, { amount: 7 })).account.points.balance, 7);
});

test('postgres: the documented schema: C-collated primary key serving the prefix scan', async () => {
  const storage = fresh();
  await storage.read(['x']);
  const table = `t${process.pid}_${n}`;
  const { rows } = await admin.query(`SELECT collation_name FROM information_schema.columns WHERE table_name = $1 AND column_name = 'key'`, [table]);
  assert.equal(rows[0].collation_name, 'C', 'keys compare bytewise, as the scan order requires');
  const client = await admin.connect();
  try {
    await client.query('SET enable_seqscan = off');
    const plan = await client.query(`EXPLAIN SELECT key FROM ${table} WHERE key >= 'ledger/' AND key < 'ledger0' ORDER BY key LIMIT 10`);
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    assert.ok(text.includes(`${table}_pkey`) && text.includes('Index Cond'), text);
  } finally {
    client.release();
  }
});

test('postgres: 4 processes, mixed load with retries, then kill -9 and restart', async () => {
  const table = `load_${process.pid}`;
  const spec = `postgres:${url}`;
  process.env.WIX_LOYALTY_PG_TABLE = table;
  const calm = await runLoad({ spec, workers: 4, seconds: 4, label: 'postgres' });
  const crashed = await runLoad({ spec, workers: 4, seconds: 3, kill: 2, label: 'postgres crash' });
  const storage = postgresStorage({ connectionString: url, table });
  opened.push(storage);
  const totals = await verifyStore(storage, { contacts: calm.contacts });
  const audit = await createLoyaltyBackend({ storage }).verify();
  assert.deepEqual(audit.discrepancies, [], 'verify() finds nothing wrong');
  assert.equal(audit.counts.ledgerEntries, totals.entries);
  for (const [key, transactionId] of [...calm.earns, ...crashed.earns]) {
    assert.equal(totals.earnKeys.get(key)?._id, transactionId, `every caller of ${key} got the one transaction the ledger holds`);
  }
  assert.ok(totals.entries > 0 && crashed.killed === 2);
  console.log(`# postgres store after both runs: ${totals.accounts} accounts, ${totals.entries} ledger entries, ${totals.points} points, ${totals.earnKeys.size} idempotency keys, all invariants hold`);
});
