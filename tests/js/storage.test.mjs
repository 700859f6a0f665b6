// The storage boundary: failing, misbehaving and corrupted storage, and the conformance kit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoyaltyBackend, memoryStorage } from 'wix-loyalty-wasm';
import { runStorageConformance, storageConformanceTests } from 'wix-loyalty-wasm/conformance';
import { CONTACT_A, CONTACT_B, activeWithAccount, assertConsistent, rejects } from './helpers.mjs';

runStorageConformance(() => memoryStorage(), { test, prefix: 'memoryStorage conformance: ' });

test('the conformance kit catches a storage that is not atomic', async () => {
  const naive = () => {
    const map = new Map();
    return {
      async read(keys) { return keys.map((k) => map.get(k) ?? null); },
      async commit(writes) {
        // Wrong: checks and applies key by key, so a late conflict leaves earlier writes applied.
        for (const w of writes) {
          const current = map.get(w.key)?.version ?? 0;
          if (current !== w.version) return { ok: false, conflict: w.key };
          map.set(w.key, { value: w.value, version: current + 1 });
        }
        return { ok: true };
      },
      async scan({ prefix, after, limit, reverse }) {
        let keys = [...map.keys()].filter((k) => k.startsWith(prefix)).sort();
        if (reverse) keys.reverse();
        if (after !== undefined) keys = keys.filter((k) => (reverse ? k < after : k > after));
        return keys.slice(0, limit).map((key) => ({ key, ...map.get(key) }));
      },
    };
  };
  const report = await runStorageConformance(naive);
  // It fails the atomicity check, and (knowing nothing of check entries) the check-entry one.
  assert.deepEqual(report.failed.map((f) => f.name), [storageConformanceTests[4].name, storageConformanceTests[5].name]);
  assert.equal(report.passed, storageConformanceTests.length - 2);
  const good = await runStorageConformance(() => memoryStorage());
  assert.deepEqual([good.passed, good.failed.length], [storageConformanceTests.length, 0]);
});

function faulty(base, faults) {
  return {
    read: (keys) => (faults.read ? faults.read(keys) : base.read(keys)),
    commit: (writes) => (faults.commit ? faults.commit(writes) : base.commit(writes)),
    scan: (req) => (faults.scan ? faults.scan(req) : base.scan(req)),
  };
}

test('a storage callback that throws or rejects is UNAVAILABLE / STORAGE_ERROR with the cause, and nothing is half-written', async () => {
  const base = memoryStorage();
  const good = createLoyaltyBackend({ storage: base });
  await good.programs.activateLoyaltyProgram();
  const { account } = await good.accounts.createAccount(CONTACT_A);
  const boom = new Error('disk on fire');
  for (const [name, faults, touches] of [
    ['read rejects', { read: async () => { throw boom; } }, ['adjust', 'earn', 'get']],
    ['read throws synchronously', { read: () => { throw boom; } }, ['adjust', 'earn', 'get']],
    ['commit rejects', { commit: async () => { throw boom; } }, ['adjust', 'earn']],
    ['commit throws synchronously', { commit: () => { throw boom; } }, ['adjust', 'earn']],
    ['scan rejects', { scan: async () => { throw boom; } }, ['query']],
  ]) {
    const loyalty = createLoyaltyBackend({ storage: faulty(base, faults) });
    const ops = {
      adjust: () => loyalty.accounts.adjustPoints(account._id, { amount: 5 }),
      earn: () => loyalty.accounts.earnPoints(account._id, { amount: 5, appId: 'a', idempotencyKey: 'k-retry' }),
      get: () => loyalty.accounts.getAccount(account._id),
      query: () => loyalty.transactions.queryLoyaltyTransactions().find(),
    };
    for (const op of touches) {
      const e = await rejects(ops[op](), 'UNAVAILABLE', 'STORAGE_ERROR');
      assert.equal(e.cause, boom, `${name}/${op}: the original error is the cause`);
      assert.match(e.message, /disk on fire/);
    }
  }
  const { account: after, ledger } = await assertConsistent(good, account._id);
  assert.equal(after.points.balance, 0, 'no failed call changed anything');
  assert.equal(ledger.length, 0);
  // The same key works once storage is healthy again.
  assert.equal((await good.accounts.earnPoints(account._id, { amount: 5, appId: 'a', idempotencyKey: 'k-retry' })).account.points.balance, 5);
  await assertConsistent(good, account._id);
});

test('storage answers that break the contract are INTERNAL / STORAGE_PROTOCOL_ERROR', async () => {
  const base = memoryStorage();
  const loyalty = createLoyaltyBackend({ storage: base });
  await loyalty.programs.activateLoyaltyProgram();
  const { account } = await loyalty.accounts.createAccount(CONTACT_A);
  await loyalty.accounts.adjustPoints(account._id, { amount: 3 });
  for (const faults of [
    { read: async () => 'nope' },
    { read: async () => [] },
    { read: async (keys) => keys.map(() => ({ value: 1, version: 1 })) },
    { read: async (keys) => keys.map(() => ({ value: '{}', version: -1 })) },
    { commit: async () => undefined },
    { commit: async () => ({ ok: 'yes' }) },
    { scan: async () => [{ key: 5 }] },
    { scan: async () => [{ key: 'elsewhere/x', value: '{}', version: 1 }] },
  ]) {
    const broken = createLoyaltyBackend({ storage: faulty(base, faults) });
    await broken.programs.activateLoyaltyProgram().catch(() => {});
    const ops = [broken.accounts.adjustPoints(account._id, { amount: 100 }), broken.transactions.queryLoyaltyTransactions().find()];
    const settled = await Promise.allSettled(ops);
    const failures = settled.filter((s) => s.status === 'rejected').map((s) => s.reason);
    assert.ok(failures.length >= 1, `a broken storage is noticed: ${JSON.stringify(Object.keys(faults))}`);
    for (const e of failures) assert.deepEqual([e.code, e.reason], ['INTERNAL', 'STORAGE_PROTOCOL_ERROR'], e.message);
    // A broken read or commit lets no adjustment through (a broken scan touches only the query).
    if (!faults.scan) assert.equal(settled[0].status, 'rejected', JSON.stringify(Object.keys(faults)));
  }
  // The store the broken views sat on: nothing changed, nothing is inconsistent.
  const { account: after } = await assertConsistent(loyalty, account._id);
  assert.equal(after.points.balance, 3 + 200, 'only the two scan-fault views adjusted');
  assert.ok((await loyalty.verify()).ok);
});

test('a corrupted or foreign record names its key; other accounts keep working', async () => {
  const base = memoryStorage();
  const loyalty = createLoyaltyBackend({ storage: base });
  await loyalty.programs.activateLoyaltyProgram();
  const { account: a } = await loyalty.accounts.createAccount(CONTACT_A);
  const { account: b } = await loyalty.accounts.createAccount(CONTACT_B);
  const key = `acct/${a._id}`;
  const [entry] = await base.read([key]);
  await base.commit([{ key, value: '{"schema":1,"id":', version: entry.version }]);
  const e = await rejects(loyalty.accounts.getAccount(a._id), 'INTERNAL', 'CORRUPT_RECORD');
  assert.ok(e.message.includes(key), e.message);
  assert.equal(e.details.applicationError.data.key, key);
  await rejects(loyalty.accounts.adjustPoints(a._id, { amount: 1 }), 'INTERNAL', 'CORRUPT_RECORD');
  await base.commit([{ key, value: '{"schema":9,"id":"x"}', version: entry.version + 1 }]);
  const e2 = await rejects(loyalty.accounts.getAccount(a._id), 'FAILED_PRECONDITION', 'SCHEMA_TOO_NEW');
  assert.ok(e2.message.includes(key));
  await loyalty.accounts.adjustPoints(b._id, { amount: 3 });
  await assertConsistent(loyalty, b._id);
});

test('verify() audits the whole store and lists every discrepancy with ids', async () => {
  const base = memoryStorage();
  const loyalty = createLoyaltyBackend({ storage: base });
  await loyalty.programs.activateLoyaltyProgram();
  const { account: a } = await loyalty.accounts.createAccount(CONTACT_A);
  const { account: b } = await loyalty.accounts.createAccount(CONTACT_B);
  for (let i = 0; i < 3; i++) {
    await loyalty.accounts.earnPoints(a._id, { amount: 10, appId: 'shop', idempotencyKey: `k${i}` });
    await loyalty.accounts.adjustPoints(b._id, { amount: 2 });
  }
  const clean = await loyalty.verify();
  assert.equal(clean.ok, true);
  assert.deepEqual(clean.discrepancies, []);
  assert.equal(clean.counts.accounts, 2);
  assert.equal(clean.counts.transactions, 6);
  assert.equal(clean.counts.points, 36);

  // Tamper with a balance and break a record: both are reported, neither throws.
  const [acct] = await base.read([`acct/${a._id}`]);
  const record = JSON.parse(acct.value);
  record.points.balance += 100;
  await base.commit([{ key: `acct/${a._id}`, value: JSON.stringify(record), version: acct.version }]);
  const [idem] = await base.read(['idem/k1']);
  await base.commit([{ key: 'idem/k1', value: '{"schema":1,', version: idem.version }]);
  const report = await loyalty.verify();
  assert.equal(report.ok, false);
  const found = report.discrepancies.map((d) => [d.code, d.accountId ?? d.key]);
  assert.deepEqual(found.filter(([c]) => c === 'LEDGER_SUM_MISMATCH'), [['LEDGER_SUM_MISMATCH', a._id]]);
  assert.ok(found.some(([c, k]) => c === 'CORRUPT_RECORD' && k === 'idem/k1'), JSON.stringify(found));
  assert.ok(found.some(([c]) => c === 'IDEMPOTENCY_RECORD_MISSING'));
  assert.equal(report.discrepancyCount, report.discrepancies.length);

  const broken = createLoyaltyBackend({ storage: { ...base, scan: async () => { throw new Error('scan down'); } } });
  await rejects(broken.verify(), 'UNAVAILABLE', 'STORAGE_ERROR');
});

test('memoryStorage keeps keys in byte order, however long the prefix they share', async () => {
  // The store compares keys eight bytes at a step (src/store/entries.rs `order`): keys that share
  // long prefixes, differ at every position of a word, or are prefixes of each other.
  const storage = memoryStorage();
  const keys = new Set();
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const alphabet = ['a', 'b', '/', '0', '9', 'z', 'é', '~'];
  for (let i = 0; i < 600; i++) {
    let k = 'ledger-time/000001764301862717/'.slice(0, next() % 32);
    for (let n = next() % 12; n > 0; n--) k += alphabet[next() % alphabet.length];
    keys.add(k);
  }
  const all = [...keys];
  for (const key of all) assert.deepEqual(await storage.commit([{ key, value: key, version: 0 }]), { ok: true });
  const bytes = (s) => Buffer.from(s, 'utf8');
  const sorted = [...all].sort((x, y) => Buffer.compare(bytes(x), bytes(y)));
  assert.deepEqual((await storage.scan({ prefix: '', limit: 10_000 })).map((r) => r.key), sorted);
  assert.deepEqual((await storage.scan({ prefix: '', limit: 10_000, reverse: true })).map((r) => r.key), [...sorted].reverse());
  for (const prefix of ['ledger-time/0000017', 'ledger-time/000001764301862717/', 'le', 'ledger-time/000001764301862717/a']) {
    const under = sorted.filter((k) => k.startsWith(prefix));
    assert.deepEqual((await storage.scan({ prefix, limit: 10_000 })).map((r) => r.key), under, prefix);
    assert.deepEqual((await storage.scan({ prefix, limit: 10_000, reverse: true })).map((r) => r.key), [...under].reverse(), prefix);
  }
  for (const key of all) assert.equal((await storage.read([key]))[0].value, key);
  assert.equal((await storage.read(['ledger-time/000001764301862717/not-there']))[0], null);
});

test('memoryStorage keeps order and versions through runs of appends, random keys and rewrites', async () => {
  // Thousands of keys (the store's sorted chunks split at 256): per "account" an ascending
  // ledger, a global time-ordered family, random ids between them, and rewrites of existing
  // keys; new keys are put in order only when a scan needs it (src/store/entries.rs).
  const storage = memoryStorage();
  const versions = new Map();
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const put = async (key) => {
    const version = versions.get(key) ?? 0;
    assert.deepEqual(await storage.commit([{ key, value: `${key}@${version + 1}`, version }]), { ok: true }, key);
    versions.set(key, version + 1);
  };
  const revisions = [0, 0, 0, 0, 0];
  const bytes = (s) => Buffer.from(s, 'utf8');
  for (let i = 0; i < 4000; i++) {
    const acct = next() % 5;
    revisions[acct] += 1;
    await put(`txn/${next().toString(36)}-${i}`);
    await put(`ledger/a${acct}/${String(revisions[acct]).padStart(20, '0')}`);
    await put(`ledger-time/${String(1000 + i).padStart(15, '0')}/a${acct}`);
    if (i % 7 === 0) await put(`acct/a${acct}`);
    if (i % 13 === 0) await put(`ledger/a${acct}/${String(next() % revisions[acct] + 1).padStart(20, '0')}`);
    // Scans now and then: the keys written since the last scan are put in order either one by
    // one (few next to many) or with all keys sorted afresh (many).
    if (i % 997 === 0 || i === 1001 || i === 1003) {
      const under = [...versions.keys()].filter((k) => k.startsWith('txn/')).sort((x, y) => Buffer.compare(bytes(x), bytes(y)));
      assert.deepEqual((await storage.scan({ prefix: 'txn/', limit: 100_000 })).map((r) => r.key), under, `txn/ after ${i}`);
    }
  }
  const sorted = [...versions.keys()].sort((x, y) => Buffer.compare(bytes(x), bytes(y)));
  const rows = await storage.scan({ prefix: '', limit: 100_000 });
  assert.deepEqual(rows.map((r) => r.key), sorted);
  for (const r of rows) {
    assert.equal(r.version, versions.get(r.key), r.key);
    assert.equal(r.value, `${r.key}@${r.version}`);
  }
  const reverse = await storage.scan({ prefix: 'ledger/a3/', limit: 100_000, reverse: true });
  assert.deepEqual(reverse.map((r) => r.key), sorted.filter((k) => k.startsWith('ledger/a3/')).reverse());
  for (const key of sorted.filter((_, i) => i % 37 === 0)) assert.deepEqual(await storage.read([key]), [{ value: `${key}@${versions.get(key)}`, version: versions.get(key) }]);
  // A stale version is refused and changes nothing.
  const key = sorted[100];
  assert.deepEqual(await storage.commit([{ key, value: 'stale', version: versions.get(key) - 1 }]), { ok: false, conflict: key });
  assert.equal((await storage.read([key]))[0].value, `${key}@${versions.get(key)}`);
});

test('a query page read again reflects every change to its rows, however recently they were read', async () => {
  // Decoded rows are remembered by their exact text (src/core/query/scan.rs): a row whose
  // text changed must be decoded afresh, a corrupted one reported, never answered from memory.
  const base = memoryStorage();
  const loyalty = createLoyaltyBackend({ storage: base });
  await loyalty.programs.activateLoyaltyProgram();
  const { account: a } = await loyalty.accounts.createAccount(CONTACT_A);
  for (let i = 1; i <= 5; i++) await loyalty.accounts.adjustPoints(a._id, { amount: i, description: `d${i}` });
  const page = () => loyalty.transactions.queryLoyaltyTransactions().eq('accountId', a._id).limit(10).find();
  const first = await page();
  assert.deepEqual(first.items.map((t) => t.description), ['d5', 'd4', 'd3', 'd2', 'd1']);
  assert.deepEqual((await page()).items, first.items);
  const [row] = (await base.scan({ prefix: `ledger/${a._id}/`, limit: 10 })).filter((r) => JSON.parse(r.value).description === 'd3');
  const edited = JSON.stringify({ ...JSON.parse(row.value), description: 'changed' });
  await base.commit([{ key: row.key, value: edited, version: row.version }]);
  assert.deepEqual((await page()).items.map((t) => t.description), ['d5', 'd4', 'changed', 'd2', 'd1']);
  await base.commit([{ key: row.key, value: row.value.slice(0, -3), version: row.version + 1 }]);
  const e = await rejects(page(), 'INTERNAL', 'CORRUPT_RECORD');
  assert.ok(e.message.includes(row.key), e.message);
  await base.commit([{ key: row.key, value: row.value, version: row.version + 2 }]);
  assert.deepEqual((await page()).items, first.items);
});
