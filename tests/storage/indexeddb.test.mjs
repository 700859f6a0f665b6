// IndexedDB in headless Chromium: the conformance kit, and data that survives a page reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { serve, launch } from '../support/browser.mjs';

const pkg = fileURLToPath(new URL('../../pkg', import.meta.url));
let server;
let browser;
let page;

before(async () => {
  server = await serve(pkg);
  browser = await launch();
  page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(server.url);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('indexedDbStorage passes the storage conformance kit in Chromium', async () => {
  const report = await page.evaluate(async () => {
    const { runStorageConformance } = await import('/conformance.js');
    const { indexedDbStorage } = await import('/storage/indexeddb.js');
    let n = 0;
    const r = await runStorageConformance(() => indexedDbStorage({ name: `conformance-${n++}` }));
    return { passed: r.passed, failed: r.failed.map((f) => `${f.name}: ${f.error?.message ?? f.error}`) };
  });
  assert.deepEqual(report.failed, []);
  assert.equal(report.passed, 14);
  console.log(`# indexedDbStorage conformance in Chromium: ${report.passed} checks passed`);
});

test('accounts and ledger written through indexedDbStorage survive a page reload', async () => {
  const written = await page.evaluate(async () => {
    const { createLoyaltyBackend } = await import('/index.js');
    const { indexedDbStorage } = await import('/storage/indexeddb.js');
    const loyalty = createLoyaltyBackend({ storage: indexedDbStorage({ name: 'reload-test' }) });
    await loyalty.programs.activateLoyaltyProgram();
    const ids = [];
    for (const [i, contact] of ['3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d', '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b'].entries()) {
      const { account } = await loyalty.accounts.createAccount(contact);
      for (let k = 0; k < 3; k++) await loyalty.accounts.earnPoints(account._id, { amount: 10 * (i + 1) + k, appId: 'web', idempotencyKey: `${i}-${k}` });
      await loyalty.accounts.adjustPoints(account._id, { amount: -5 });
      ids.push(account._id);
    }
    const accounts = await Promise.all(ids.map((id) => loyalty.accounts.getAccount(id)));
    const { items } = await loyalty.transactions.queryLoyaltyTransactions().ascending('_createdDate').find();
    return { ids, balances: accounts.map((a) => a.points.balance), ledger: items.map((t) => [t._id, t.accountId, t.amount, t.transactionType]) };
  });
  assert.deepEqual(written.balances, [28, 58]);
  assert.equal(written.ledger.length, 8);

  await page.reload();
  const read = await page.evaluate(async (ids) => {
    const { createLoyaltyBackend } = await import('/index.js');
    const { indexedDbStorage } = await import('/storage/indexeddb.js');
    const loyalty = createLoyaltyBackend({ storage: indexedDbStorage({ name: 'reload-test' }) });
    const accounts = await Promise.all(ids.map((id) => loyalty.accounts.getAccount(id)));
    const { items } = await loyalty.transactions.queryLoyaltyTransactions().ascending('_createdDate').find();
    const { loyaltyProgram } = await loyalty.programs.getLoyaltyProgram();
    const replay = await loyalty.accounts.earnPoints(ids[0], { amount: 10, appId: 'web', idempotencyKey: '0-0' });
    return {
      status: loyaltyProgram.status,
      balances: accounts.map((a) => a.points.balance),
      ledger: items.map((t) => [t._id, t.accountId, t.amount, t.transactionType]),
      replayBalance: replay.account.points.balance,
    };
  }, written.ids);
  assert.equal(read.status, 'ACTIVE');
  assert.deepEqual(read.balances, written.balances);
  assert.deepEqual(read.ledger, written.ledger);
  assert.equal(read.replayBalance, 10, 'an idempotent retry after the reload returns the original result');
});

test('events a page committed but never delivered (it went away) are delivered after the reload, under their stored ids', async () => {
  const left = await page.evaluate(async () => {
    const { createLoyaltyBackend } = await import('/index.js');
    const { indexedDbStorage } = await import('/storage/indexeddb.js');
    const storage = indexedDbStorage({ name: 'outbox-test' });
    // The hook leaves each commit's events undelivered and unmarked, as a page closed there would.
    const loyalty = createLoyaltyBackend({ storage, onEvent: () => {}, testing: { beforeDelivery: () => false } });
    await loyalty.programs.activateLoyaltyProgram();
    const { account } = await loyalty.accounts.createAccount('3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d');
    await loyalty.accounts.earnPoints(account._id, { amount: 5, appId: 'web', idempotencyKey: 'e1' });
    const rows = await storage.scan({ prefix: 'outbox/', limit: 100, reverse: false });
    return { ids: rows.flatMap((r) => JSON.parse(r.value).events.map((e) => e.metadata._id)), pending: (await loyalty.verify()).counts.pendingEvents };
  });
  assert.equal(left.ids.length, 4, 'program_updated, account_created, and the earn\'s two events');
  assert.equal(left.pending, 4);
  await page.reload();
  const after = await page.evaluate(async () => {
    const { createLoyaltyBackend } = await import('/index.js');
    const { indexedDbStorage } = await import('/storage/indexeddb.js');
    const seen = [];
    const loyalty = createLoyaltyBackend({ storage: indexedDbStorage({ name: 'outbox-test' }), onEvent: (e) => seen.push(e.metadata._id), redeliverEventsAfterMs: 0 });
    await loyalty.flushEvents(); // the sweep as the backend starts, and its marks
    return { seen, pending: (await loyalty.verify()).counts.pendingEvents };
  });
  assert.deepEqual([...after.seen].sort(), [...left.ids].sort());
  assert.equal(after.pending, 0);
});

test('IndexedDB in the browser: keys with a NUL or a lone surrogate are INVALID_ARGUMENT, a NUL in a description is kept', async () => {
  const out = await page.evaluate(async () => {
    const { createLoyaltyBackend } = await import('/index.js');
    const { indexedDbStorage } = await import('/storage/indexeddb.js');
    const loyalty = createLoyaltyBackend({ storage: indexedDbStorage({ name: 'text-test' }) });
    await loyalty.programs.activateLoyaltyProgram();
    const { account } = await loyalty.accounts.createAccount('3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d');
    const refused = [];
    for (const key of ['order-\u0000', 'order-\ud800', 'order-\udfff']) {
      try {
        await loyalty.accounts.earnPoints(account._id, { amount: 5, appId: 'web', idempotencyKey: key });
        refused.push('accepted');
      } catch (e) {
        refused.push(`${e.code} ${e.details.validationError?.fieldViolations[0].field}`);
      }
    }
    const r = await loyalty.accounts.earnPoints(account._id, { amount: 5, appId: 'web', idempotencyKey: 'order-1', description: 'a\u0000b' });
    const t = await loyalty.transactions.getLoyaltyTransaction(r.transactionId);
    return { refused, description: t.description, balance: r.account.points.balance, ok: (await loyalty.verify()).ok };
  });
  assert.deepEqual(out.refused, Array(3).fill('INVALID_ARGUMENT options.idempotencyKey'));
  assert.deepEqual([out.description, out.balance, out.ok], ['a\u0000b', 5, true]);
});
