// Text on every store: an idempotency key with a NUL or a lone surrogate is INVALID_ARGUMENT
// (never UNAVAILABLE / STORAGE_ERROR, which a client would retry forever), and free text with a
// NUL is kept as given. Needs the private cluster of scripts/with-postgres.sh.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLoyaltyBackend, memoryStorage } from 'wix-loyalty-wasm';
import { sqliteStorage } from 'wix-loyalty-wasm/storage/sqlite';
import { postgresStorage } from 'wix-loyalty-wasm/storage/postgres';
import { postgresUrl } from './helpers.mjs';

const dir = mkdtempSync(join(tmpdir(), 'wix-loyalty-text-'));
const opened = [];
after(async () => {
  await Promise.all(opened.map((s) => s.close?.()));
  rmSync(dir, { recursive: true, force: true });
});
const STORES = {
  memory: () => memoryStorage(),
  sqlite: () => sqliteStorage({ path: join(dir, 'text.db') }),
  postgres: () => postgresStorage({ connectionString: postgresUrl(), table: `text_${process.pid}` }),
};

for (const [name, make] of Object.entries(STORES)) {
  test(`${name}: keys with a NUL or a lone surrogate are refused, a NUL in a description is kept`, async () => {
    const storage = make();
    opened.push(storage);
    const loyalty = createLoyaltyBackend({ storage });
    await loyalty.programs.activateLoyaltyProgram();
    const { account } = await loyalty.accounts.createAccount('3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d');
    for (const key of ['order-\u0000', 'order-\ud800', 'order-\udfff']) {
      for (const call of [
        () => loyalty.accounts.earnPoints(account._id, { amount: 5, appId: 'shop', idempotencyKey: key }),
        () => loyalty.coupons.redeemPointsForCoupon('4f1d3c2b-0a9e-4d8c-9b7a-6e5f4d3c2b1a', { loyaltyAccountId: account._id, idempotencyKey: key }),
      ]) {
        const e = await call().then(() => null, (x) => x);
        assert.ok(e, `${JSON.stringify(key)} was accepted`);
        assert.equal(e.code, 'INVALID_ARGUMENT', e.message);
        assert.equal(e.details.validationError.fieldViolations[0].field, 'options.idempotencyKey');
      }
    }
    const r = await loyalty.accounts.earnPoints(account._id, { amount: 5, appId: 'shop\u0000app', idempotencyKey: 'order-1', description: 'a\u0000b' });
    const t = await loyalty.transactions.getLoyaltyTransaction(r.transactionId);
    assert.deepEqual([t.description, t.earnInfo.appId], ['a\u0000b', 'shop\u0000app']);
    assert.equal((await loyalty.accounts.getAccount(account._id)).points.balance, 5);
    assert.ok((await loyalty.verify()).ok);
  });
}
