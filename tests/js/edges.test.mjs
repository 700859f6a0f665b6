// Edges a user meets before the ledger: text that cannot name anything, a storage that wraps
// the default store, the legacy account module as a member, and an anonymous visitor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoyaltyBackend, memoryStorage } from 'wix-loyalty-wasm';
import { CONTACT_A } from './helpers.mjs';

const MEMBER = '99999999-0000-4000-8000-000000000001';

async function withAccount(options = {}) {
  const loyalty = createLoyaltyBackend({ storage: memoryStorage(), contacts: async () => ({ memberId: MEMBER }), ...options });
  await loyalty.programs.activateLoyaltyProgram();
  const { account } = await loyalty.accounts.createAccount(CONTACT_A);
  return { loyalty, account };
}

const rejection = (promise) => promise.then(() => assert.fail('resolved, but should have been refused'), (e) => e);

test('idempotency keys with a lone surrogate are refused: two of them never collide into one retry', async () => {
  const { loyalty, account } = await withAccount();
  for (const key of ['order-\ud800', 'order-\udfff', '\udc00order', 'a\ud800\ud800b']) {
    const e = await rejection(loyalty.accounts.earnPoints(account._id, { amount: 5, appId: 'shop', idempotencyKey: key }));
    assert.equal(e.code, 'INVALID_ARGUMENT', e.message);
    assert.equal(e.details.validationError.fieldViolations[0].field, 'options.idempotencyKey');
    assert.match(e.details.validationError.fieldViolations[0].description, /unpaired UTF-16 surrogate/);
  }
  // Well-formed text outside the BMP, and a real U+FFFD, are keys like any other.
  const a = await loyalty.accounts.earnPoints(account._id, { amount: 5, appId: 'shop', idempotencyKey: 'order-\u{1F600}' });
  const b = await loyalty.accounts.earnPoints(account._id, { amount: 7, appId: 'shop', idempotencyKey: 'order-\uFFFD' });
  assert.notEqual(a.transactionId, b.transactionId);
  assert.equal(b.account.points.balance, 12);
  // A lone surrogate in free text is refused too: no store keeps it as given.
  const e = await rejection(loyalty.accounts.earnPoints(account._id, { amount: 5, appId: 'shop', idempotencyKey: 'k', description: 'x\ud800' }));
  assert.equal(e.details.validationError.fieldViolations[0].field, 'options.description');
  assert.ok((await loyalty.verify()).ok);
});

test('a NUL in an idempotency key is INVALID_ARGUMENT; in a description it is kept', async () => {
  const { loyalty, account } = await withAccount();
  const e = await rejection(loyalty.accounts.earnPoints(account._id, { amount: 5, appId: 'shop', idempotencyKey: 'order\u00001' }));
  assert.deepEqual([e.code, e.details.validationError.fieldViolations[0].ruleName], ['INVALID_ARGUMENT', 'INVALID_CHARACTER']);
  const r = await loyalty.accounts.earnPoints(account._id, { amount: 5, appId: 'shop', idempotencyKey: 'order-1', description: 'a\u0000b' });
  assert.equal((await loyalty.transactions.getLoyaltyTransaction(r.transactionId)).description, 'a\u0000b');
});

test('a member id that cannot name anybody is refused by forMember and memberToken', async () => {
  const { loyalty } = await withAccount();
  for (const id of ['\ud800', 'm\udfff', 'a\u0000b']) {
    assert.throws(() => loyalty.forMember(id), (e) => e.code === 'INVALID_ARGUMENT' && e.reason === 'INVALID_MEMBER');
    const e = await rejection(loyalty.memberToken(id));
    assert.equal(e.reason, 'INVALID_MEMBER');
  }
  // Two lone surrogates used to sign the same token.
  const token = await loyalty.memberToken(MEMBER);
  assert.match(token, /^wlm1\./);
});

test('a Proxy around memoryStorage() sees every storage call: a wrapper that fails them all gets the coded error', async () => {
  const calls = [];
  const failing = new Proxy(memoryStorage(), {
    get(target, name) {
      if (name === 'read' || name === 'commit' || name === 'scan') {
        return async () => {
          calls.push(name);
          throw new Error(`injected ${name} failure`);
        };
      }
      return Reflect.get(target, name);
    },
  });
  const loyalty = createLoyaltyBackend({ storage: failing });
  const e = await rejection(loyalty.accounts.adjustPoints('3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d', { amount: 5 }));
  assert.deepEqual([e.code, e.reason], ['UNAVAILABLE', 'STORAGE_ERROR']);
  assert.match(e.message, /injected read failure/);
  assert.ok(calls.length > 0, 'the wrapper saw the calls');

  // A counting wrapper that passes calls on works, and sees each one.
  let counted = 0;
  const counting = new Proxy(memoryStorage(), {
    get(target, name) {
      const value = Reflect.get(target, name);
      return typeof value === 'function' ? (...args) => { counted++; return value.apply(target, args); } : value;
    },
  });
  const through = createLoyaltyBackend({ storage: counting });
  await through.programs.activateLoyaltyProgram();
  const { account } = await through.accounts.createAccount(CONTACT_A);
  assert.equal((await through.accounts.adjustPoints(account._id, { amount: 5 })).account.points.balance, 5);
  assert.ok(counted >= 3, `the counting wrapper saw ${counted} calls`);
  assert.ok((await through.verify()).ok);
});

test('the legacy account module: getCurrentMemberAccount works for a member, latestTransaction included', async () => {
  const { loyalty, account } = await withAccount();
  await loyalty.accounts.earnPoints(account._id, { amount: 40, appId: 'shop', idempotencyKey: 'o-1' });
  const member = loyalty.forMember(MEMBER);
  const { account: mine } = await member.account.getCurrentMemberAccount();
  assert.equal(mine._id, account._id);
  assert.deepEqual([mine.latestTransaction.amount, mine.latestTransaction.type, mine.latestTransaction.idempotencyKey], [40, 'EARN', 'o-1']);
  // Its admin methods stay admin-only.
  const e = await rejection(member.account.getAccount(account._id));
  assert.equal(e.reason, 'ADMIN_ONLY');
});

test('an anonymous visitor: admin methods PERMISSION_DENIED, member methods UNAUTHENTICATED, active rewards listed', async () => {
  const { loyalty, account } = await withAccount();
  await loyalty.rewards.createReward({ name: 'on', active: true, couponReward: { percentage: { configsByTier: [{ costInPoints: 10, percentage: 10 }] } } });
  await loyalty.rewards.createReward({ name: 'off', active: false, couponReward: { percentage: { configsByTier: [{ costInPoints: 10, percentage: 10 }] } } });
  const visitor = loyalty.forVisitor();
  assert.equal(loyalty.forVisitor(), visitor, 'one view');
  let e = await rejection(visitor.accounts.getAccount(account._id));
  assert.deepEqual([e.code, e.reason, e.status], ['PERMISSION_DENIED', 'ADMIN_ONLY', 403]);
  e = await rejection(visitor.accounts.getCurrentMemberAccount());
  assert.deepEqual([e.code, e.reason, e.status], ['UNAUTHENTICATED', 'MEMBER_REQUIRED', 401]);
  e = await rejection(visitor.account.getCurrentMemberAccount());
  assert.equal(e.reason, 'MEMBER_REQUIRED');
  const { rewards } = await visitor.rewards.listRewards();
  assert.deepEqual(rewards.map((r) => r.name), ['on']);
});
