// The public API as users call it: shapes, dates, aliases, events, options, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import wixLoyaltyBackend, {
  createLoyaltyBackend, memoryStorage, LoyaltyError, isLoyaltyError, ERROR_CODES,
  accounts, account, programs, program, transactions,
} from 'wix-loyalty-wasm';
import { CONTACT_A, CONTACT_B, activeWithAccount, rejects, assertConsistent } from './helpers.mjs';

test('the default export is a ready in-memory backend with named modules and legacy aliases', async () => {
  assert.equal(wixLoyaltyBackend.program, wixLoyaltyBackend.programs, 'program answers as programs does');
  assert.equal(accounts, wixLoyaltyBackend.accounts);
  assert.equal(account, wixLoyaltyBackend.account);
  assert.equal(programs, program);
  assert.equal(transactions, wixLoyaltyBackend.transactions);
  const { loyaltyProgram } = await wixLoyaltyBackend.program.activateLoyaltyProgram();
  assert.equal(loyaltyProgram.status, 'ACTIVE');
  const { account: created } = await accounts.createAccount(CONTACT_B);
  assert.equal((await accounts.getAccount(created._id))._id, created._id, 'today: the bare account');
  assert.equal((await account.getAccount(created._id)).account._id, created._id, 'legacy: { account }');
});

test('return shapes, ids, dates and revisions follow the SDK', async () => {
  const { loyalty, account: a } = await activeWithAccount();
  assert.match(a._id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(a._createdDate instanceof Date && a._updatedDate instanceof Date);
  assert.equal(a.revision, '1');
  const got = await loyalty.accounts.getAccount(a._id);
  assert.deepEqual(got, a, 'getAccount returns the bare account');
  const r = await loyalty.accounts.earnPoints(a._id, { amount: 10, appId: 'shop', idempotencyKey: 'k1' });
  assert.deepEqual(Object.keys(r).sort(), ['account', 'transactionId']);
  assert.ok(r.account.lastActivityDate instanceof Date);
  assert.equal(r.account.revision, '2');
  const txn = await loyalty.transactions.getLoyaltyTransaction(r.transactionId);
  assert.equal(txn._id, r.transactionId);
  assert.ok(txn._createdDate instanceof Date);
  assert.equal(txn.transactionType, 'EARN');
  const { loyaltyProgram } = await loyalty.programs.getLoyaltyProgram();
  assert.ok(loyaltyProgram._createdDate instanceof Date);
  const bySecondary = await loyalty.accounts.getAccountBySecondaryId({ contactId: CONTACT_A });
  assert.equal(bySecondary.account._id, a._id);
  const list = await loyalty.accounts.listAccounts({ contactIds: [CONTACT_A] });
  assert.equal(list.accounts.length, 1);
  assert.equal(list.pagingMetadata.count, 1);
});

test('methods can be destructured and called without their object', async () => {
  const { loyalty } = await activeWithAccount();
  const { createAccount, getAccount } = loyalty.accounts;
  const { account: b } = await createAccount(CONTACT_B);
  assert.equal((await getAccount(b._id)).contactId, CONTACT_B);
});

test('options: clock, id generator, contacts resolver and events', async () => {
  let t = Date.UTC(2025, 0, 2, 10);
  let n = 0;
  const events = [];
  const loyalty = createLoyaltyBackend({
    storage: memoryStorage(),
    now: () => new Date(t += 1000),
    newId: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    contacts: async (id) => (id === CONTACT_A ? { name: 'Dana Levi', email: 'dana@example.com', memberId: CONTACT_B } : null),
    onEvent: (e) => events.push(e),
  });
  await loyalty.programs.activateLoyaltyProgram();
  const { account: a } = await loyalty.accounts.createAccount(CONTACT_A);
  assert.equal(a._id, '00000000-0000-4000-8000-000000000001');
  assert.equal(a._createdDate.toISOString(), '2025-01-02T10:00:02.000Z');
  assert.equal(a.memberId, CONTACT_B);
  assert.equal(a.contact.displayName, 'Dana Levi');
  await rejects(loyalty.accounts.createAccount('7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5c'), 'NOT_FOUND', 'CONTACT_NOT_FOUND');
  await loyalty.accounts.earnPoints(a._id, { amount: 5, appId: 'shop', idempotencyKey: 'e1' });
  assert.deepEqual(events.map((e) => e.metadata.eventType), [
    'wix.loyalty.v1.program_updated',
    'wix.loyalty.v1.account_created',
    'wix.loyalty.v1.account_points_updated',
    'wix.loyalty.v1.account_updated',
  ]);
  const pointsUpdated = events[2];
  assert.equal(pointsUpdated.data.account.points.balance, 5);
  assert.equal(pointsUpdated.metadata.entityId, a._id);
  assert.equal(pointsUpdated.metadata.entityEventSequence, '2');
  assert.ok(pointsUpdated.metadata.eventTime instanceof Date);
  assert.match(pointsUpdated.metadata._id, /^[0-9a-f-]{36}$/);
  assert.equal(events[1].entity._id, a._id);
  // A failed call delivers no event.
  await rejects(loyalty.accounts.adjustPoints(a._id, { amount: -6 }), 'FAILED_PRECONDITION', 'INSUFFICIENT_POINTS');
  assert.equal(events.length, 4);
});

test('a throwing or rejecting onEvent handler does not fail the operation', async () => {
  const errors = [];
  const original = console.error;
  console.error = (...args) => errors.push(args);
  try {
    const { loyalty, account: a } = await activeWithAccount({ onEvent: () => { throw new Error('handler bug'); } });
    const r = await loyalty.accounts.adjustPoints(a._id, { amount: 3 });
    assert.equal(r.account.points.balance, 3);
    const l2 = createLoyaltyBackend({ storage: memoryStorage(), onEvent: async () => { throw new Error('async bug'); } });
    const p = await l2.programs.activateLoyaltyProgram();
    assert.equal(p.loyaltyProgram.status, 'ACTIVE', 'a rejecting handler does not fail the call either');
    await new Promise((r) => setImmediate(r));
  } finally {
    console.error = original;
  }
  const reported = (text) => errors.filter((args) => args.some((x) => x instanceof Error && x.message === text)).length;
  assert.ok(reported('handler bug') >= 1, 'a throwing handler is reported on console.error');
  assert.equal(reported('async bug'), 1, 'a rejecting handler is reported on console.error');
});

test('LoyaltyError is a real Error subclass with code, reason, message and Wix details', async () => {
  const { loyalty, account: a } = await activeWithAccount();
  const e = await rejects(loyalty.accounts.adjustPoints(a._id, { amount: 0.5 }), 'INVALID_ARGUMENT', 'NOT_AN_INTEGER');
  assert.ok(e instanceof LoyaltyError && e instanceof Error);
  assert.equal(e.name, 'LoyaltyError');
  assert.ok(isLoyaltyError(e));
  assert.ok(!isLoyaltyError(new Error('x')));
  assert.equal(e.status, 400);
  // The message is what the official SDK throws: JSON of { message, details }.
  const parsed = JSON.parse(e.message);
  assert.match(parsed.message, /^INVALID_ARGUMENT: "options\.amount"/);
  assert.deepEqual(parsed.details, e.details);
  assert.match(e.description, /^INVALID_ARGUMENT: "options\.amount"/);
  assert.deepEqual(e.details.validationError.fieldViolations[0], {
    field: 'options.amount', description: 'must be a whole number from -9999999 to 9999999 (got number 0.5)', ruleName: 'NOT_AN_INTEGER',
  });
  assert.ok(typeof e.stack === 'string');
  const e2 = await rejects(loyalty.accounts.adjustPoints(a._id, { amount: -1 }), 'FAILED_PRECONDITION', 'INSUFFICIENT_POINTS');
  assert.equal(e2.details.applicationError.code, 'INSUFFICIENT_POINTS');
  assert.equal(e2.details.applicationError.data.balance, 0);
  assert.equal(e2.status, 428);
  assert.equal(JSON.parse(e2.message).message, `FAILED_PRECONDITION: ${e2.details.applicationError.description}`);
  const e3 = await rejects(loyalty.accounts.getAccount(CONTACT_B), 'NOT_FOUND', 'ACCOUNT_NOT_FOUND');
  assert.equal(e3.status, 404);
  const e4 = await rejects(loyalty.programs.pauseLoyaltyProgram().then(() => loyalty.programs.pauseLoyaltyProgram()).then(() => loyalty.earningRules.getLoyaltyEarningRule(CONTACT_B)), 'UNIMPLEMENTED', 'NOT_IMPLEMENTED');
  assert.deepEqual(e4.details.applicationError.data, { method: 'getLoyaltyEarningRule' }, 'data is always an object');
  assert.ok(ERROR_CODES.includes(e.code) && ERROR_CODES.includes(e2.code));
});

test('createLoyaltyBackend refuses bad options with a LoyaltyError', () => {
  for (const options of [undefined, null, {}, { storage: {} }, { storage: { read() {}, commit() {} } }, { storage: memoryStorage(), now: 5 }, { storage: memoryStorage(), onEvent: 'x' }]) {
    assert.throws(() => createLoyaltyBackend(options), (e) => isLoyaltyError(e) && e.code === 'INVALID_ARGUMENT');
  }
});

test('a broken clock or id generator is reported, not a hang', async () => {
  const storage = memoryStorage();
  const good = createLoyaltyBackend({ storage });
  await good.programs.activateLoyaltyProgram();
  const { account: a } = await good.accounts.createAccount(CONTACT_A);
  await rejects(createLoyaltyBackend({ storage, now: () => 'soon' }).accounts.adjustPoints(a._id, { amount: 1 }), 'INVALID_ARGUMENT', 'INVALID_CLOCK');
  await rejects(createLoyaltyBackend({ storage, now: () => { throw new Error('x'); } }).accounts.getAccount(a._id), 'INTERNAL', 'CLOCK_ERROR');
  await rejects(createLoyaltyBackend({ storage, newId: () => 7 }).accounts.adjustPoints(a._id, { amount: 1 }), 'INVALID_ARGUMENT', 'INVALID_ID_GENERATOR');
  await rejects(createLoyaltyBackend({ storage, newId: () => { throw new Error('x'); } }).accounts.adjustPoints(a._id, { amount: 1 }), 'INTERNAL', 'ID_GENERATOR_ERROR');
  const dup = createLoyaltyBackend({ storage, newId: () => a._id });
  await rejects(dup.accounts.createAccount(CONTACT_B), 'INTERNAL', 'ID_COLLISION');
  await assertConsistent(good, a._id);
});

test('program status gates: earn and create need ACTIVE, adjust and reads work in any status', async () => {
  const loyalty = createLoyaltyBackend({ storage: memoryStorage() });
  await rejects(loyalty.accounts.createAccount(CONTACT_A), 'FAILED_PRECONDITION', 'PROGRAM_NOT_ACTIVE');
  await rejects(loyalty.programs.pauseLoyaltyProgram(), 'FAILED_PRECONDITION', 'PROGRAM_NOT_ACTIVE');
  await loyalty.programs.activateLoyaltyProgram();
  const { account: a } = await loyalty.accounts.createAccount(CONTACT_A);
  await loyalty.programs.pauseLoyaltyProgram();
  await rejects(loyalty.accounts.earnPoints(a._id, { amount: 1, appId: 'x', idempotencyKey: 'k' }), 'FAILED_PRECONDITION', 'PROGRAM_NOT_ACTIVE');
  await rejects(loyalty.accounts.createAccount(CONTACT_B), 'FAILED_PRECONDITION', 'PROGRAM_NOT_ACTIVE');
  assert.equal((await loyalty.accounts.adjustPoints(a._id, { balance: 9 })).account.points.balance, 9);
  assert.equal((await loyalty.accounts.getAccount(a._id)).points.balance, 9);
  assert.equal((await loyalty.programs.getLoyaltyProgram()).loyaltyProgram.status, 'PAUSED');
  const updated = await loyalty.programs.updateLoyaltyProgram({ name: 'Paused Club' });
  assert.equal(updated.loyaltyProgram.name, 'Paused Club');
});
