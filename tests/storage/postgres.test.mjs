// PostgreSQL: the conformance kit, bad states, and many processes with crashes. Needs the
// private cluster of scripts/with-postgres.sh (npm test starts it); fails without it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { createLoyaltyBackend } from 'wix-loyalty-wasm';
import { postgresStorage } from 'wix-loyalty-wasm/storage/postgres';
import { runStorageConformance } from 'wix-loyalty-wasm/conformance';
import { runLoad, redeemRace, checkRace, expireRace, checkExpireRace, eventsRace, checkEventsRace, freezeLoad, checkFreeze } from './load.mjs';
import { postgresUrl, verifyStore, checkRedemptions } from './helpers.mjs';

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

  // A connection dropped while a call's query is on the wire (as on a restart or failover):
  // through a proxy that holds the query, then cuts every connection.
  const proxy = await dropProxy(new URL(url).port);
  try {
    const viaProxy = new URL(url);
    viaProxy.port = String(proxy.port);
    const storage = fresh({ poolSize: 2, connectionString: viaProxy.href });
    const live = createLoyaltyBackend({ storage });
    await live.programs.activateLoyaltyProgram();
    const { account } = await live.accounts.createAccount('3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d');
    proxy.hold();
    const call = live.accounts.adjustPoints(account._id, { amount: 5 });
    await proxy.held();
    proxy.cut();
    const e = await call.then(() => null, (x) => x);
    assert.ok(e, 'the call whose connection was cut fails');
    assert.deepEqual([e.code, e.reason], ['UNAVAILABLE', 'STORAGE_ERROR'], e.message);
    const r = await live.accounts.adjustPoints(account._id, { amount: 1 });
    assert.equal(r.account.points.balance, 1, 'the pool reconnects; the failed call wrote nothing');
  } finally {
    proxy.close();
  }
});

/** A TCP proxy to PostgreSQL that can hold what clients send, and cut every connection. */
async function dropProxy(targetPort) {
  const { createServer, connect } = await import('node:net');
  const sockets = new Set();
  let holding = false;
  let onHeld = null;
  const server = createServer((client) => {
    const upstream = connect(Number(targetPort), '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d) => {
      if (holding) {
        onHeld?.();
        return; // swallowed: the query never reaches the server
      }
      upstream.write(d);
    });
    upstream.on('data', (d) => client.write(d));
    for (const s of [client, upstream]) s.on('error', () => {}).on('close', () => { client.destroy(); upstream.destroy(); });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    hold: () => { holding = true; },
    held: () => new Promise((resolve) => { onHeld = resolve; }),
    cut: () => {
      holding = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    close: () => { for (const s of sockets) s.destroy(); server.close(); },
  };
}

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
  await checkRedemptions(storage, [...calm.redeems, ...crashed.redeems]);
  assert.ok(calm.counts['redeem ok'] > 0, 'redemptions ran');
  for (const [key, transactionId] of [...calm.earns, ...crashed.earns]) {
    assert.equal(totals.earnKeys.get(key)?._id, transactionId, `every caller of ${key} got the one transaction the ledger holds`);
  }
  assert.ok(totals.entries > 0 && crashed.killed === 2);
  console.log(`# postgres store after both runs: ${totals.accounts} accounts, ${totals.entries} ledger entries, ${totals.points} points, ${totals.earnKeys.size} idempotency keys, all invariants hold`);
});

for (const kill of [0, 2]) {
  test(`postgres: 4 processes redeem from one account until it is spent${kill ? ', 2 killed with SIGKILL mid-flight and replaced' : ''}: exactly the affordable coupons, each paid once`, async () => {
    process.env.WIX_LOYALTY_PG_TABLE = `race_${process.pid}_${kill}`;
    const race = await redeemRace({ spec: `postgres:${url}`, processes: 4, balance: 1000, cost: 10, kill });
    checkRace(race, kill);
  });
}

for (const kill of [0, 1]) {
  test(`postgres: 3 processes run the scheduled work at once over 300 due accounts${kill ? ', 1 killed with SIGKILL mid-run and replaced' : ''}: every account expired exactly once`, async () => {
    process.env.WIX_LOYALTY_PG_TABLE = `expire_${process.pid}_${kill}`;
    const race = await expireRace({ spec: `postgres:${url}`, processes: 3, accounts: 300, kill });
    checkExpireRace(race, kill);
  });
}

test('postgres: events at least once: a process SIGKILLed between a commit and its delivery, 3 more (1 SIGKILLed mid-way and replaced), then the scheduled work: every event delivered, a duplicate only under its id', async () => {
  checkEventsRace(await eventsRace({ spec: `postgres:${url}`, processes: 3, accounts: 5, ops: 40 }));
});

/** Every process of the private cluster (the postmaster and its children), to SIGSTOP and SIGCONT. */
function clusterPids() {
  const dir = process.env.WIX_LOYALTY_PG_DIR;
  assert.ok(dir, 'WIX_LOYALTY_PG_DIR is set (run inside scripts/with-postgres.sh)');
  const postmaster = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' }).split('\n').map(Number).filter((n) => n > 0);
  return [postmaster, ...children];
}

test('postgres: a server that stops answering (SIGSTOP) mid-load: every call ends by its deadline with UNAVAILABLE, the workers carry on once it resumes, nothing lost, duplicated or invented', async () => {
  let frozen = [];
  const run = await freezeLoad({
    spec: `postgres:${url}`,
    workers: 4,
    seconds: 9,
    timeoutMs: 1000,
    freezeAt: 2.5,
    freezeFor: 4,
    freeze: (on) => {
      if (on) frozen = clusterPids();
      for (const pid of frozen) process.kill(pid, on ? 'SIGSTOP' : 'SIGCONT');
    },
  });
  checkFreeze(run, 1500);
});

test('postgres: the pool sets its timeouts; a lock held by a session that went quiet mid-transaction ends (lock_timeout, idle_in_transaction_session_timeout)', async () => {
  const table = `t${process.pid}_locks`;
  const storage = fresh({ table, lockTimeoutMs: 300 });
  const shown = async (name) => (await storage.pool.query(`SHOW ${name}`)).rows[0][name];
  assert.deepEqual(
    [await shown('statement_timeout'), await shown('lock_timeout'), await shown('idle_in_transaction_session_timeout')],
    ['5s', '300ms', '10s'],
    'the defaults, and the option given',
  );
  const loyalty = createLoyaltyBackend({ storage });
  await loyalty.programs.activateLoyaltyProgram();
  const { account } = await loyalty.accounts.createAccount('3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d');
  // Another process's adapter took the account's row lock inside a transaction, then went quiet
  // (its process died in the middle, leaving the session open).
  const other = fresh({ table, idleInTransactionTimeoutMs: 600 });
  const quiet = await other.pool.connect();
  quiet.on('error', () => {}); // the server ends its session
  await quiet.query('BEGIN');
  await quiet.query(`SELECT 1 FROM ${table} WHERE key = $1 FOR UPDATE`, [`acct/${account._id}`]);
  const blocked = await loyalty.accounts.adjustPoints(account._id, { amount: 1 }).then(() => null, (e) => e);
  assert.ok(blocked && blocked.code === 'UNAVAILABLE' && /lock timeout/.test(blocked.message), `a commit waiting on the lock ends after lock_timeout: ${blocked?.message}`);
  await new Promise((r) => setTimeout(r, 900));
  const { account: after } = await loyalty.accounts.adjustPoints(account._id, { amount: 1 });
  assert.equal(after.points.balance, 1, 'once the server ended the quiet session, the lock is free');
  quiet.release(true);
});
