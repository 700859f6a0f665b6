// The SDK's module shapes from the package itself: the table of operations against the modules,
// the typings and @wix/loyalty's own exports; event registrations; Velo event handlers; the legacy
// singular modules; members; jobs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as official from '@wix/loyalty';
import wixLoyaltyBackend, * as pkg from 'wix-loyalty-wasm';
import { createLoyaltyBackend, memoryStorage, operationTable, ERROR_CODES } from 'wix-loyalty-wasm';
import { CONTACT_A, CONTACT_B, activeWithAccount, rejects } from './helpers.mjs';

const table = operationTable();
const SDK_MODULES = ['accounts', 'programs', 'transactions', 'rewards', 'coupons', 'tiers', 'earningRules', 'imports', 'checkoutExchange', 'socialMedia'];
const MEMBER = '99999999-0000-4000-8000-00000000000a';

/** Module name → the names the table gives it (operations and event registrations). */
function tableNames() {
  const names = {};
  for (const op of table.operations) (names[op.module] ??= new Set()).add(op.name);
  for (const e of table.events) (names[e.module] ??= new Set()).add(e.function);
  return names;
}

/** Interface name → member names, from the package's index.d.ts. */
function declaredMembers() {
  const file = fileURLToPath(new URL('../../pkg/index.d.ts', import.meta.url));
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out = {};
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) {
      out[node.name.text] = new Set(node.members.map((m) => m.name?.getText(source)).filter(Boolean));
    }
  });
  return out;
}

test('the modules, the typings and @wix/loyalty agree with the table of operations', () => {
  const names = tableNames();
  const declared = declaredMembers();
  const interfaceOf = { accounts: 'Accounts', programs: 'Programs', transactions: 'Transactions', rewards: 'Rewards', coupons: 'Coupons', tiers: 'Tiers', earningRules: 'EarningRules', imports: 'Imports', checkoutExchange: 'CheckoutExchange', socialMedia: 'SocialMedia', jobs: 'Jobs', refunds: 'Refunds' };
  for (const [module, expected] of Object.entries(names)) {
    const sorted = [...expected].sort();
    assert.deepEqual(Object.keys(pkg[module]).sort(), sorted, `the named export ${module}`);
    assert.deepEqual(Object.keys(wixLoyaltyBackend[module]).sort(), sorted, `the default backend's ${module}`);
    assert.deepEqual([...declared[interfaceOf[module]]].sort(), sorted, `interface ${interfaceOf[module]} in index.d.ts`);
  }
  // Every function the official modules export (methods and event registrations) exists here.
  for (const module of SDK_MODULES) {
    const theirs = Object.keys(official[module]).filter((n) => typeof official[module][n] === 'function' && !/^[A-Z]/.test(n)).sort();
    assert.deepEqual(Object.keys(pkg[module]).sort(), theirs, `${module}: the same functions as @wix/loyalty`);
  }
  assert.equal(table.operations.filter((o) => o.module !== 'jobs' && o.module !== 'refunds').length, 65);
  assert.equal(table.events.length, 18);
  // The HTTP status of each code: errors.js and the core agree.
  assert.deepEqual(Object.keys(table.codes).sort(), [...ERROR_CODES].sort());
});

test('a method not implemented yet rejects with NOT_IMPLEMENTED, naming it', async () => {
  const e = await rejects(pkg.earningRules.getLoyaltyEarningRule('00000000-0000-4000-8000-000000000001'), 'UNIMPLEMENTED', 'NOT_IMPLEMENTED');
  assert.equal(e.status, 501);
  assert.match(e.details.applicationError.description, /earningRules\.getLoyaltyEarningRule/);
  await rejects(pkg.earningRules.listEarningRules(), 'UNIMPLEMENTED', 'NOT_IMPLEMENTED');
  await rejects(pkg.imports.queryLoyaltyImports().find(), 'UNIMPLEMENTED', 'NOT_IMPLEMENTED');
});

test('the SDK event registrations deliver SDK-shaped events, on the default backend and created ones', async () => {
  const { loyalty, account } = await activeWithAccount();
  const seen = [];
  const off = loyalty.accounts.onAccountPointsUpdated((e) => seen.push(e));
  const updates = [];
  loyalty.accounts.onAccountUpdated((e) => updates.push(e));
  await loyalty.accounts.earnPoints(account._id, { amount: 5, appId: 'shop', idempotencyKey: 'e-1' });
  assert.equal(seen.length, 1);
  assert.equal(seen[0].data.account.points.balance, 5);
  assert.ok(seen[0].metadata.eventTime instanceof Date);
  assert.match(seen[0].metadata._id, /^[0-9a-f-]{36}$/);
  assert.equal(seen[0].metadata.eventType, 'wix.loyalty.v1.account_points_updated');
  assert.equal(updates[0].entity._id, account._id);
  off();
  await loyalty.accounts.adjustPoints(account._id, { amount: 1 });
  assert.equal(seen.length, 1, 'unregistered');
  assert.equal(updates.length, 2);
  // The named modules register on the default backend.
  const defaultSeen = [];
  const offDefault = pkg.programs.onProgramUpdated((e) => defaultSeen.push(e));
  await pkg.programs.updateLoyaltyProgram({ name: 'Default Club' });
  offDefault();
  assert.equal(defaultSeen.at(-1).entity.name, 'Default Club');
  assert.throws(() => loyalty.accounts.onAccountCreated('not a function'), (e) => e.code === 'INVALID_ARGUMENT');
});

test('rewardAvailable flips reach onAccountRewardAvailabilityUpdated and the Velo handler, once per flip', async () => {
  const velo = [];
  const loyalty = createLoyaltyBackend({
    storage: memoryStorage(),
    events: { wixLoyalty_onAccountRewardAvailabilityUpdated: (e) => velo.push(e) },
  });
  await loyalty.programs.activateLoyaltyProgram();
  const { account } = await loyalty.accounts.createAccount(CONTACT_A);
  const seen = [];
  loyalty.accounts.onAccountRewardAvailabilityUpdated((e) => seen.push(e));
  await loyalty.accounts.earnPoints(account._id, { amount: 30, appId: 'shop', idempotencyKey: 'a-1' });
  assert.equal(seen.length, 0, 'no reward: nothing to flip');
  const reward = await loyalty.rewards.createReward({ name: 'Free shipping', active: true, couponReward: { freeShipping: { configsByTier: [{ costInPoints: 25 }] } } });
  assert.deepEqual(seen.map((e) => e.data), [{ rewardAvailable: true, updateTrigger: 'REWARD_UPDATED' }]);
  assert.equal(seen[0].metadata.eventType, 'wix.loyalty.v1.account_reward_availability_updated');
  assert.equal(seen[0].metadata.entityId, account._id);
  assert.equal((await loyalty.accounts.getAccount(account._id)).rewardAvailable, true);
  await loyalty.accounts.earnPoints(account._id, { amount: 1, appId: 'shop', idempotencyKey: 'a-2' });
  assert.equal(seen.length, 1, 'still affordable: no event');
  const { account: after } = await loyalty.accounts.adjustPoints(account._id, { amount: -10 });
  assert.equal(after.rewardAvailable, false);
  assert.deepEqual(seen.at(-1).data, { rewardAvailable: false, updateTrigger: 'BALANCE_UPDATED' });
  // The account's events are numbered by its revision plus the flips jobs made: every one higher.
  assert.equal(seen.at(-1).metadata.entityEventSequence, String(Number(after.revision) + 1));
  assert.ok(Number(seen.at(-1).metadata.entityEventSequence) > Number(seen.at(-2).metadata.entityEventSequence));
  await loyalty.rewards.updateReward(reward._id, { name: 'Free shipping', revision: reward.revision, couponReward: { freeShipping: { configsByTier: [{ costInPoints: 21 }] } } });
  assert.deepEqual(seen.map((e) => e.data.rewardAvailable), [true, false, true]);
  assert.deepEqual(velo.map((e) => e.data.rewardAvailable), [true, false, true], 'the Velo handler got the same flips');
  assert.equal(typeof velo[0].metadata.eventTime, 'string');
  assert.equal((await loyalty.verify()).ok, true);
});

test('a Velo events module receives events by their Velo names, in Velo\'s shape', async () => {
  const received = [];
  const events = {
    wixLoyalty_onAccountCreated: (e) => received.push(['created', e]),
    wixLoyalty_onAccountPointsUpdated: async (e) => received.push(['points', e]),
    wixLoyalty_onProgramUpdated: (e) => received.push(['program', e]),
    wixLoyalty_onAccountUpdated: () => { throw new Error('a handler bug never fails the call'); },
  };
  const errors = [];
  const original = console.error;
  console.error = (...args) => errors.push(args);
  try {
    const loyalty = createLoyaltyBackend({ storage: memoryStorage(), events });
    await loyalty.programs.activateLoyaltyProgram();
    const { account } = await loyalty.accounts.createAccount(CONTACT_A);
    await loyalty.accounts.earnPoints(account._id, { amount: 9, appId: 'shop', idempotencyKey: 'v-1' });
  } finally {
    console.error = original;
  }
  assert.deepEqual(received.map(([k]) => k), ['program', 'created', 'points']);
  const [, points] = received[2];
  assert.deepEqual(Object.keys(points.metadata).sort(), ['entityId', 'eventTime', 'id', 'triggeredByAnonymizeRequest']);
  assert.match(points.metadata.id, /^[0-9a-f-]{36}$/);
  assert.equal(typeof points.metadata.eventTime, 'string');
  assert.equal(new Date(points.metadata.eventTime).toISOString(), points.metadata.eventTime);
  assert.equal(points.data.account.points.balance, 9);
  assert.equal(received[1][1].entity.contactId, CONTACT_A);
  assert.equal(errors.length, 1, 'the throwing handler was reported');
});

test('the legacy account module answers in the legacy shapes', async () => {
  const { loyalty, account } = await activeWithAccount();
  const legacy = loyalty.account;
  const fresh = await legacy.getAccount(account._id);
  assert.deepEqual(Object.keys(fresh), ['account']);
  assert.equal(fresh.account.latestTransaction, undefined, 'no transaction yet');
  const earned = await legacy.earnPoints(account._id, { amount: 30, appId: 'shop', idempotencyKey: 'l-1', description: 'Order' });
  assert.deepEqual(
    { ...earned.account.latestTransaction, _createdDate: undefined },
    { _id: earned.transactionId, amount: 30, type: 'EARN', description: 'Order', _createdDate: undefined, appId: 'shop', idempotencyKey: 'l-1' },
  );
  const given = await legacy.adjustPoints(account._id, { amount: -5 });
  assert.equal(given.account.latestTransaction.type, 'GIVE');
  assert.equal(given.account.latestTransaction.amount, -5);
  const set = await legacy.adjustPoints(account._id, { balance: 100 });
  assert.equal(set.account.latestTransaction.type, 'ADJUST');
  const read = await legacy.getAccount(account._id);
  assert.equal(read.account.latestTransaction._id, set.transactionId);
  assert.equal(read.account.points.balance, 100);
  assert.equal((await legacy.getAccountBySecondaryId({ contactId: CONTACT_A })).account.latestTransaction._id, set.transactionId);
  assert.equal(loyalty.program, loyalty.programs, 'program answers as programs does');
});

test('a member backend acts for its member and may call no admin method', async () => {
  const loyalty = createLoyaltyBackend({ storage: memoryStorage(), contacts: (id) => (id === CONTACT_A ? { memberId: MEMBER } : {}) });
  await loyalty.programs.activateLoyaltyProgram();
  const { account } = await loyalty.accounts.createAccount(CONTACT_A);
  await loyalty.accounts.createAccount(CONTACT_B);
  const me = loyalty.forMember(MEMBER);
  assert.equal(loyalty.forMember(MEMBER), me, 'one view per member');
  assert.equal((await me.accounts.getCurrentMemberAccount()).account._id, account._id);
  assert.equal((await me.account.getCurrentMemberAccount()).account._id, account._id);
  const e = await rejects(me.accounts.getAccount(account._id), 'PERMISSION_DENIED', 'ADMIN_ONLY');
  assert.equal(e.status, 403);
  await rejects(me.programs.pauseLoyaltyProgram(), 'PERMISSION_DENIED', 'ADMIN_ONLY');
  await rejects(loyalty.accounts.getCurrentMemberAccount(), 'UNAUTHENTICATED', 'MEMBER_REQUIRED');
  await rejects(loyalty.forMember('99999999-0000-4000-8000-00000000000b').accounts.getCurrentMemberAccount(), 'NOT_FOUND', 'ACCOUNT_NOT_FOUND');
  assert.throws(() => loyalty.forMember(5), (x) => x.code === 'INVALID_ARGUMENT');
  // Member tokens: wlm1.<member id, base64url>.<signature>, valid for this backend only.
  const token = await loyalty.memberToken(MEMBER);
  assert.match(token, /^wlm1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(token.split('.')[1], 'base64url').toString(), MEMBER);
  await assert.rejects(loyalty.memberToken(''), (x) => x.code === 'INVALID_ARGUMENT');
});

test('without Web Crypto (a browser page that is not a secure context), memberToken rejects with a LoyaltyError', async () => {
  const loyalty = createLoyaltyBackend({ storage: memoryStorage() });
  const real = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
  const { getRandomValues, randomUUID } = globalThis.crypto;
  Object.defineProperty(globalThis, 'crypto', {
    value: { getRandomValues: getRandomValues.bind(globalThis.crypto), randomUUID: randomUUID.bind(globalThis.crypto) },
    configurable: true,
  });
  try {
    await rejects(loyalty.memberToken(MEMBER), 'FAILED_PRECONDITION', 'WEB_CRYPTO_UNAVAILABLE');
  } finally {
    Object.defineProperty(globalThis, 'crypto', real);
  }
  assert.match(await loyalty.memberToken(MEMBER), /^wlm1\./, 'and works again once it is there');
});

test('bulkAdjustPoints runs as a job: progress, the job record, and resumeJobs', async () => {
  const progress = [];
  const loyalty = createLoyaltyBackend({ storage: memoryStorage(), onProgress: (job) => progress.push(job) });
  await loyalty.programs.activateLoyaltyProgram();
  for (let i = 0; i < 130; i++) await loyalty.accounts.createAccount(`aaaaaaaa-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const { asyncJobId } = await loyalty.accounts.bulkAdjustPoints({ amount: 2 });
  assert.deepEqual(progress.map((p) => p.processed), [0, 100, 130]);
  assert.ok(progress.every((p) => p._id === asyncJobId && p._createdDate instanceof Date));
  const { job } = await loyalty.jobs.getJob(asyncJobId);
  assert.deepEqual({ status: job.status, succeeded: job.succeeded, failed: job.failed }, { status: 'FINISHED', succeeded: 130, failed: 0 });
  assert.deepEqual(await loyalty.jobs.resumeJobs(), { resumed: [] });
  const { count } = await loyalty.accounts.countAccounts({ filter: { 'points.balance': 2 } });
  assert.equal(count, 130);
  await rejects(loyalty.jobs.getJob('00000000-0000-4000-8000-000000000000'), 'NOT_FOUND', 'JOB_NOT_FOUND');
  assert.ok((await loyalty.verify()).ok);
});
