// Any JS value into any method ends in a LoyaltyError with a code, never a panic, a hang or a
// corrupted ledger, and the instance keeps working afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoyaltyError, ERROR_CODES } from 'wix-loyalty-wasm';
import { activeWithAccount, assertConsistent } from './helpers.mjs';

const revoked = Proxy.revocable({}, {});
revoked.revoke();
const deep = (() => { let o = { amount: 1 }; for (let i = 0; i < 10000; i++) o = { amount: o, balance: o }; return o; })();
const cyclic = (() => { const o = { amount: 1 }; o.self = o; o.options = o; return o; })();

const HOSTILE = {
  undefined: undefined,
  null: null,
  NaN: NaN,
  '1e20': 1e20,
  '0.5': 0.5,
  '-0': -0,
  '-Infinity': -Infinity,
  'MAX_SAFE+2': Number.MAX_SAFE_INTEGER + 2,
  true: true,
  'empty string': '',
  'huge string': 'x'.repeat(10_000_000),
  'lone surrogate': '\ud800',
  'array': [1, 2, 3],
  'sparse array': new Array(1_000_000),
  'empty object': {},
  '__proto__ key': JSON.parse('{"__proto__": {"amount": 5, "balance": 5, "contactId": "3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d"}}'),
  'inherited fields': Object.create({ amount: 5, balance: 5, appId: 'a', idempotencyKey: 'k' }),
  'symbol': Symbol('s'),
  'bigint': 10n,
  'function': () => 1,
  'Date': new Date(),
  'invalid Date': new Date(NaN),
  'Map': new Map([['amount', 1]]),
  'typed array': new Uint8Array(8),
  'Promise': Promise.resolve(5),
  'throwing getter': Object.defineProperty({}, 'amount', { enumerable: true, get() { throw new Error('getter'); } }),
  'throwing proxy': new Proxy({}, { ownKeys() { throw new Error('trap'); }, get() { throw new Error('trap'); } }),
  'revoked proxy': revoked.proxy,
  'deeply nested': deep,
  'cyclic': cyclic,
  'wrong field types': { amount: '5', balance: [], revision: {}, description: 7, appId: 3, idempotencyKey: null, contactId: 5, contactIds: 'x', cursorPaging: { limit: 'x', cursor: 5 } },
  'out of range fields': { amount: 1e9, balance: -1, revision: '-1', description: 'd'.repeat(101), appId: 'a'.repeat(101), idempotencyKey: 'k'.repeat(257), cursorPaging: { limit: 1000 } },
};

const MODULES = ['programs', 'accounts', 'transactions', 'rewards', 'coupons', 'tiers', 'earningRules', 'imports',
  'checkoutExchange', 'socialMedia', 'jobs', 'refunds', 'account', 'program'];

/** Every function of every module (methods, event registrations), as an admin and as a member,
 * and the query builders' operators. */
function methods(loyalty) {
  const all = [];
  for (const [who, view] of [['', loyalty], ['member ', loyalty.forMember('99999999-0000-4000-8000-000000000001')]]) {
    for (const module of MODULES) {
      for (const [name, fn] of Object.entries(view[module])) all.push([`${who}${module}.${name}`, fn]);
    }
  }
  const builders = [['transactions', 'queryLoyaltyTransactions'], ['accounts', 'queryLoyaltyAccounts']];
  for (const [module, name] of builders) {
    const q = () => loyalty[module][name]();
    all.push([`${module}.${name}().eq().find`, (v, w) => q().eq(v, w).find()]);
    all.push([`${module}.${name}().between().find`, (v, w) => q().between('amount', v, w).find()]);
    all.push([`${module}.${name}().hasAll().find`, (v, w) => q().hasAll(v, w).find()]);
    all.push([`${module}.${name}().or().find`, (v) => q().or(v).find()]);
    all.push([`${module}.${name}().not().find`, (v) => q().not(v).find()]);
    all.push([`${module}.${name}().ascending().find`, (v, w) => q().ascending(v, w).find()]);
    all.push([`${module}.${name}().limit().find`, (v) => q().limit(v).find()]);
    all.push([`${module}.${name}().skipTo().find`, (v) => q().skipTo(v).find()]);
  }
  return all;
}

test('a battery of hostile values into every method ends in coded LoyaltyErrors', async () => {
  const { loyalty, account } = await activeWithAccount();
  await loyalty.accounts.earnPoints(account._id, { amount: 10, appId: 'shop', idempotencyKey: 'seed' });
  const valid = [account._id, { amount: 1, appId: 'shop', idempotencyKey: 'k' }];
  let calls = 0;
  let errors = 0;
  for (const [name, fn] of methods(loyalty)) {
    for (const [label, value] of Object.entries(HOSTILE)) {
      for (const position of [0, 1]) {
        const args = [...valid];
        args[position] = value;
        calls++;
        try {
          await (async () => fn(...args))();
        } catch (e) {
          errors++;
          assert.ok(isLoyaltyError(e), `${name}(${label} at ${position}) threw a non-LoyaltyError: ${e}`);
          assert.ok(ERROR_CODES.includes(e.code), `${name}(${label}): code ${e.code}`);
          assert.ok(typeof e.reason === 'string' && e.reason.length > 0);
          assert.ok(e.code !== 'INTERNAL', `${name}(${label} at ${position}) is an internal error: ${e.message}`);
        }
      }
    }
  }
  assert.ok(errors > calls / 2, `most hostile calls fail (${errors} of ${calls})`);
  // The instance works normally afterwards, and the ledger is intact.
  const r = await loyalty.accounts.adjustPoints(account._id, { amount: 5 });
  assert.ok(r.account.points.balance >= 15);
  await assertConsistent(loyalty, account._id);
  console.log(`# ${calls} hostile calls, ${errors} rejected with coded errors`);
});

test('numbers at and past the limits', async () => {
  const { loyalty, account } = await activeWithAccount();
  const earn = (amount, key) => loyalty.accounts.earnPoints(account._id, { amount, appId: 'a', idempotencyKey: key });
  for (const [amount, reason] of [[0, 'OUT_OF_RANGE'], [-0, 'OUT_OF_RANGE'], [0.5, 'NOT_AN_INTEGER'], [NaN, 'NOT_AN_INTEGER'], [1e20, 'OUT_OF_RANGE'], [10_000_000, 'OUT_OF_RANGE'], ['1', 'WRONG_TYPE'], [1n, 'WRONG_TYPE']]) {
    await assert.rejects(earn(amount, `k${String(amount)}`), (e) => e.code === 'INVALID_ARGUMENT' && e.reason === reason && e.message.includes('options.amount'));
  }
  assert.equal((await earn(9_999_999, 'max')).account.points.balance, 9_999_999);
  await assert.rejects(loyalty.accounts.adjustPoints(account._id, { amount: -0 }), (e) => e.reason === 'ZERO_AMOUNT');
  assert.equal((await loyalty.accounts.adjustPoints(account._id, { balance: -0 })).account.points.balance, 0, 'balance -0 is 0');
  await assertConsistent(loyalty, account._id);
});
