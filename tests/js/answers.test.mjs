// Account answers reach the SDK modules packed (numbers and strings, built into objects without
// parsing: js/shapes.js accountAnswer) and the internal JSON face as JSON. Both must give the
// same object, key order and Dates included, for every shape an account can take.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoyaltyBackend, memoryStorage } from 'wix-loyalty-wasm';

const INTERNAL = Symbol.for('wix-loyalty-wasm.internal');

/** JSON text as the modules would answer it without packing: parsed, dates revived. */
function fromJson(text) {
  const dates = new Set(['_createdDate', '_updatedDate', 'lastActivityDate']);
  return JSON.parse(text, (key, value) => (dates.has(key) && typeof value === 'number' ? new Date(value) : value));
}

/** Deep equality including the order of keys at every level. */
function assertSame(actual, expected, what) {
  assert.deepStrictEqual(actual, expected, what);
  const order = (v) => (v && typeof v === 'object' && !(v instanceof Date) ? Object.entries(v).map(([k, x]) => [k, order(x)]) : v);
  assert.deepStrictEqual(order(actual), order(expected), `${what}: keys in the same order`);
}

const contacts = {
  'c0000000-0000-4000-8000-000000000001': {},
  'c0000000-0000-4000-8000-000000000002': { name: 'Dana Levi' },
  'c0000000-0000-4000-8000-000000000003': { email: 'dana@example.com' },
  'c0000000-0000-4000-8000-000000000004': { name: 'Ünïcødé 😀 "quoted" \\ back\nline', email: 'e@x.io', memberId: 'd0000000-0000-4000-8000-000000000004' },
  'c0000000-0000-4000-8000-000000000005': { picture: 'https://example.com/p.png' },
  'c0000000-0000-4000-8000-000000000006': { picture: { url: 'https://example.com/😀.png', height: 64, width: 48 }, memberId: 'd0000000-0000-4000-8000-000000000006' },
};

for (const [label, storage] of [['memoryStorage()', memoryStorage], ['another storage (the generic path)', wrapped]]) {
  test(`packed account answers equal the JSON answers, on ${label}`, async () => {
    const loyalty = createLoyaltyBackend({ storage: storage(), contacts: async (id) => contacts[id] ?? null });
    const json = async (name, args, member) => fromJson(await loyalty[INTERNAL].call(name, args, member));
    await loyalty.programs.activateLoyaltyProgram();
    // A reward the big earn below affords, so that rewardAvailable travels both ways.
    await loyalty.rewards.createReward({ name: 'r', active: true, couponReward: { freeShipping: { configsByTier: [{ costInPoints: 5_000_000 }] } } });
    for (const contactId of Object.keys(contacts)) {
      const { account } = await loyalty.accounts.createAccount(contactId);
      const { wasmRun } = loyalty[INTERNAL];
      if (wasmRun) assert.match(wasmRun('getAccount', [account._id]), /^=1,/, 'the modules\' answer is packed, not JSON');
      assertSame(await loyalty.accounts.getAccount(account._id), (await json('getAccount', [account._id])).account, `getAccount, ${contactId}`);
      const earned = await loyalty.accounts.earnPoints(account._id, { amount: 9_999_999, appId: 'shop', idempotencyKey: `k-${contactId}` });
      assertSame(earned.account, (await json('getAccount', [account._id])).account, `earnPoints, ${contactId}`);
      assert.deepEqual([account.rewardAvailable, earned.account.rewardAvailable], [false, true], 'rewardAvailable, packed');
      const again = await loyalty.accounts.earnPoints(account._id, { amount: 9_999_999, appId: 'shop', idempotencyKey: `k-${contactId}` });
      assertSame(again, earned, `an idempotent retry, ${contactId}`);
      const adjusted = await loyalty.accounts.adjustPoints(account._id, { amount: -3 });
      assert.equal(adjusted.account.points.adjusted, -3, 'a negative number travels');
      assertSame(adjusted.account, (await json('getAccount', [account._id])).account, `adjustPoints, ${contactId}`);
      assertSame(
        await loyalty.accounts.getAccountBySecondaryId({ contactId }),
        await json('getAccountBySecondaryId', [{ contactId }]),
        `getAccountBySecondaryId, ${contactId}`,
      );
      const memberId = contacts[contactId].memberId;
      if (memberId) {
        assertSame(
          await loyalty.forMember(memberId).accounts.getCurrentMemberAccount(),
          await json('getCurrentMemberAccount', [], memberId),
          `getCurrentMemberAccount, ${contactId}`,
        );
      }
    }
  });
}

/** A memoryStorage() behind plain functions: the engine drives it through the storage contract. */
function wrapped() {
  const inner = memoryStorage();
  return { read: (keys) => inner.read(keys), commit: (writes) => inner.commit(writes), scan: (request) => inner.scan(request) };
}
