// Shared by the storage suites: opening a storage from a spec string, and checking every
// invariant of a whole store through the public API.
import assert from 'node:assert/strict';
import { createLoyaltyBackend } from 'wix-loyalty-wasm';

/** `sqlite:<path>` or `postgres:<connection string>` → a storage (with close()). */
export async function openStorage(spec) {
  const [kind, ...rest] = spec.split(':');
  const target = rest.join(':');
  if (kind === 'sqlite') {
    const { sqliteStorage } = await import('wix-loyalty-wasm/storage/sqlite');
    return sqliteStorage({ path: target });
  }
  if (kind === 'postgres') {
    const { postgresStorage } = await import('wix-loyalty-wasm/storage/postgres');
    return postgresStorage({ connectionString: target, poolSize: 4, table: process.env.WIX_LOYALTY_PG_TABLE ?? 'loyalty_kv' });
  }
  throw new Error(`unknown storage ${spec}`);
}

/** One delivered event as a line of the events race's log: id, type, entity, sequence. */
export const eventLine = (e) => `${e.metadata._id} ${e.metadata.eventType} ${e.metadata.entityId} ${e.metadata.entityEventSequence}\n`;

/** The PostgreSQL URL from scripts/with-postgres.sh; the suites fail (not skip) without it. */
export function postgresUrl() {
  const url = process.env.WIX_LOYALTY_PG_URL;
  assert.ok(url, 'WIX_LOYALTY_PG_URL is not set: run these tests through scripts/with-postgres.sh (npm test does)');
  return url;
}

/** The amount an earn with this key always asks for, so every retry of a key is the same request. */
export function amountFor(key) {
  let h = 0;
  for (const c of key) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return 1 + (h % 50);
}

export const contactOf = (n) => `cccccccc-0000-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * Scans the whole store and checks: per account, balance = earned + adjusted − redeemed −
 * expired = sum of its ledger, earned = sum of EARN, adjusted = sum of ADJUST, balance ≥ 0,
 * revision = 1 + ledger entries; one account per contact; every idempotency key credited once,
 * for the amount its requests asked; getProgramTotals equal to the ledgers' sums. Returns totals.
 */
export async function verifyStore(storage, { contacts = [] } = {}) {
  const loyalty = createLoyaltyBackend({ storage });
  const accounts = [];
  let page = await loyalty.accounts.listAccounts({ cursorPaging: { limit: 100 } });
  for (;;) {
    accounts.push(...page.accounts);
    const next = page.pagingMetadata.cursors.next;
    if (!next) break;
    page = await loyalty.accounts.listAccounts({ cursorPaging: { limit: 100, cursor: next } });
  }
  const byContact = new Map();
  for (const a of accounts) {
    assert.ok(!byContact.has(a.contactId), `contact ${a.contactId} has two accounts`);
    byContact.set(a.contactId, a._id);
  }
  for (const c of contacts) {
    if (!byContact.has(c)) continue;
    const { account } = await loyalty.accounts.getAccountBySecondaryId({ contactId: c });
    assert.equal(account._id, byContact.get(c), `the contact index of ${c} points at its one account`);
  }
  const keys = new Map();
  let entries = 0;
  let points = 0;
  // What getProgramTotals must answer: the ledgers' sums (balance, earned, adjusted, redeemed).
  const ledgers = [0, 0, 0, 0];
  for (const a of accounts) {
    const ledger = [];
    let q = await loyalty.transactions.queryLoyaltyTransactions().eq('accountId', a._id).ascending('_createdDate').limit(100).find();
    for (;;) {
      ledger.push(...q.items);
      if (!q.hasNext()) break;
      q = await q.next();
    }
    const sum = (type) => ledger.filter((t) => !type || t.transactionType === type).reduce((s, t) => s + t.amount, 0);
    const p = a.points;
    assert.ok(p.balance >= 0, `account ${a._id} is negative`);
    assert.equal(p.balance, p.earned + p.adjusted - p.redeemed - p.expired, `account ${a._id}: balance = earned + adjusted - redeemed - expired`);
    assert.equal(p.balance, sum(), `account ${a._id}: balance = sum of its ledger`);
    assert.equal(p.earned, sum('EARN'), `account ${a._id}: earned = sum of EARN`);
    assert.equal(p.adjusted, sum('ADJUST'), `account ${a._id}: adjusted = sum of ADJUST`);
    assert.equal(p.redeemed, -sum('REDEEM') - sum('REFUND'), `account ${a._id}: redeemed = the points of its redemptions`);
    assert.equal(Number(a.revision), 1 + ledger.length, `account ${a._id}: revision = 1 + changes`);
    let before = 0;
    for (const t of ledger) {
      if (t.adjustInfo) assert.equal(t.adjustInfo.amountBefore, before, `account ${a._id}: ledger is a chain`);
      before += t.amount;
      if (t.transactionType === 'EARN') {
        assert.ok(!keys.has(t.idempotencyKey), `idempotency key ${t.idempotencyKey} credited twice`);
        keys.set(t.idempotencyKey, t);
        assert.equal(t.amount, amountFor(t.idempotencyKey), `key ${t.idempotencyKey} credited the amount its requests asked`);
      }
    }
    entries += ledger.length;
    points += p.balance;
    ledgers[0] += sum();
    ledgers[1] += sum('EARN');
    ledgers[2] += sum('ADJUST');
    ledgers[3] += -sum('REDEEM') - sum('REFUND');
  }
  const totals = await loyalty.accounts.getProgramTotals();
  const t = totals.points;
  assert.deepEqual([t.balance, t.earned, t.adjusted, t.redeemed], ledgers, 'getProgramTotals = the sums of every ledger');
  assert.equal(totals.tierTotals.reduce((n, x) => n + x.numberOfAccounts, 0), accounts.length, 'getProgramTotals counts every account in a tier');
  return { accounts: accounts.length, entries, points, earnKeys: keys };
}

/** Every redemption a caller saw succeed (`[accountId, key, couponId]`) is the one its key's record holds. */
export async function checkRedemptions(storage, redeems) {
  const records = await storage.read(redeems.map(([accountId, key]) => `redeem/${accountId}/${key}`));
  redeems.forEach(([, key, couponId], i) => {
    assert.ok(records[i], `redemption ${key} has its record`);
    assert.equal(JSON.parse(records[i].value).couponId, couponId, `every caller of ${key} got the one coupon the store holds`);
  });
}
