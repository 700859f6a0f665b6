// The official @wix/loyalty modules, unmodified, bound by @wix/sdk's createClient to the engine:
// every public method of accounts, programs, transactions, coupons, rewards and tiers is driven
// and checked against the direct API on the same store. Run in-process (createWixFetch) and over
// HTTP (`wix-loyalty-wasm serve` as a child process) by sdk.test.mjs and http.test.mjs.
import assert from 'node:assert/strict';
import { describe, it, before, after } from 'node:test';
import { createClient } from '@wix/sdk';
import * as loyaltyModules from '@wix/loyalty';
import { operationTable } from 'wix-loyalty-wasm';

export const CONTACT_A = '3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d';
export const CONTACT_B = '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b';
export const CONTACT_C = 'c0ffee00-1234-4abc-9def-0123456789ab';
export const MEMBER_A = '99999999-0000-4000-8000-00000000000a';
export const MEMBER_B = '99999999-0000-4000-8000-00000000000b';
export const MODULES = ['accounts', 'programs', 'transactions', 'coupons', 'rewards', 'tiers'];

/** Contacts A and B are members A and B; C is no member. */
export function contacts(contactId) {
  return { [CONTACT_A]: { memberId: MEMBER_A, name: 'Dana Levi', email: 'dana@example.com' }, [CONTACT_B]: { memberId: MEMBER_B, name: 'Omar Haddad' }, [CONTACT_C]: { name: 'Mei Chen' } }[contactId] ?? null;
}

/** An official SDK client over `fetch`, sending `authorization` (or nothing). */
export function sdk(fetch, authorization) {
  return createClient({
    modules: Object.fromEntries(MODULES.map((m) => [m, loyaltyModules[m]])),
    auth: { getAuthHeaders: async () => ({ headers: authorization ? { Authorization: authorization } : {} }) },
    fetch,
  });
}

/** The public methods of an SDK module (functions, not the event registrations or enums). */
export function sdkMethods(module) {
  return Object.keys(loyaltyModules[module]).filter((n) => typeof loyaltyModules[module][n] === 'function' && !/^on[A-Z]/.test(n) && !/^[A-Z]/.test(n));
}

/** What a failed call threw, normalized for comparing the SDK's error with the direct API's. */
export function shape(e) {
  const parsed = JSON.parse(e.message);
  const { requestId, ...details } = e.details ?? {};
  void requestId;
  return { status: e.status, message: parsed.message, details };
}

export async function failure(promise) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  assert.fail('expected the call to fail');
}

/** Runs the suite. `open()` resolves to `{ fetch, direct, token(memberId), apiKey?, close() }`. */
export function sdkSuite(label, open) {
  describe(label, () => suite(label, open));
}

function suite(label, open) {
  const rows = new Map(operationTable().operations.map((op) => [op.name, op]));
  let env;
  let admin;

  before(async () => {
    env = await open();
    admin = sdk(env.fetch, env.apiKey);
  });
  after(async () => env?.close());

  it(`every method of the six core modules answers through the official SDK`, async () => {
    const { direct } = env;
    const driven = new Set();
    const drive = (module, name) => {
      driven.add(`${module}.${name}`);
      return admin[module][name];
    };
    // programs
    const activated = await drive('programs', 'activateLoyaltyProgram')();
    assert.deepEqual(activated, await direct.programs.getLoyaltyProgram());
    const icon = 'wix:image://v1/11062b_star~mv2.png/star.png#originWidth=64&originHeight=64';
    const updated = await drive('programs', 'updateLoyaltyProgram')({ name: 'Stars Club', pointDefinition: { customName: 'Stars', icon } });
    assert.equal(updated.loyaltyProgram.pointDefinition.icon, icon, 'an icon goes out as an image object and comes back as the SDK string');
    assert.deepEqual(updated, await direct.programs.getLoyaltyProgram());
    assert.deepEqual(await drive('programs', 'getLoyaltyProgram')(), await direct.programs.getLoyaltyProgram());
    assert.deepEqual(await drive('programs', 'getLoyaltyProgramPremiumFeatures')(), await direct.programs.getLoyaltyProgramPremiumFeatures());
    assert.deepEqual(await drive('programs', 'bulkGetLoyaltyProgram')(), await direct.programs.bulkGetLoyaltyProgram());
    assert.equal((await drive('programs', 'enablePointsExpiration')()).loyaltyProgram.pointsExpiration.status, 'ENABLED');
    assert.equal((await drive('programs', 'disablePointsExpiration')()).loyaltyProgram.pointsExpiration.status, 'DISABLED');
    assert.equal((await drive('programs', 'pauseLoyaltyProgram')()).loyaltyProgram.status, 'PAUSED');
    await admin.programs.activateLoyaltyProgram();

    // accounts
    const { account: a } = await drive('accounts', 'createAccount')(CONTACT_A);
    assert.deepEqual(a, await direct.accounts.getAccount(a._id));
    const { account: c } = await admin.accounts.createAccount(CONTACT_C);
    const earned = await drive('accounts', 'earnPoints')(a._id, { amount: 40, appId: 'shop', idempotencyKey: `${label}-k1`, description: 'Latte', orderId: 'o-1' });
    assert.deepEqual(earned.account, await direct.accounts.getAccount(a._id));
    const adjusted = await drive('accounts', 'adjustPoints')(a._id, { amount: -5, revision: earned.account.revision, description: 'Goodwill' });
    assert.equal(adjusted.account.points.balance, 35);
    assert.deepEqual(await drive('accounts', 'getAccount')(a._id), await direct.accounts.getAccount(a._id));
    assert.deepEqual(await drive('accounts', 'getAccountBySecondaryId')({ contactId: CONTACT_A }), await direct.accounts.getAccountBySecondaryId({ contactId: CONTACT_A }));
    assert.deepEqual(await drive('accounts', 'getAccountBySecondaryId')({ memberId: MEMBER_A }), await direct.accounts.getAccountBySecondaryId({ memberId: MEMBER_A }));
    const listArgs = { contactIds: [CONTACT_A, CONTACT_C], cursorPaging: { limit: 1 } };
    const listed = await drive('accounts', 'listAccounts')(listArgs);
    assert.deepEqual(listed, await direct.accounts.listAccounts(listArgs));
    assert.deepEqual(await admin.accounts.listAccounts({ cursorPaging: { cursor: listed.pagingMetadata.cursors.next } }), await direct.accounts.listAccounts({ cursorPaging: { cursor: listed.pagingMetadata.cursors.next } }));
    const viaBuilder = await drive('accounts', 'queryLoyaltyAccounts')().eq('contactId', CONTACT_A).find();
    assert.deepEqual(viaBuilder.items, (await direct.accounts.queryLoyaltyAccounts().eq('contactId', CONTACT_A).find()).items);
    const typed = { filter: { 'points.balance': { $gt: 0 } }, sort: [{ fieldName: '_createdDate', order: 'DESC' }], cursorPaging: { limit: 10 } };
    assert.deepEqual(await admin.accounts.queryLoyaltyAccounts(typed), await direct.accounts.queryLoyaltyAccounts(typed));
    const search = { filter: { 'points.balance': { $gte: 0 } }, search: { expression: 'dana' }, sort: [{ fieldName: 'points.balance', order: 'DESC' }], cursorPaging: { limit: 20 } };
    const found = await drive('accounts', 'searchAccounts')(search);
    assert.deepEqual(found, await direct.accounts.searchAccounts(search));
    assert.deepEqual(found.accounts.map((x) => x._id), [a._id]);
    assert.deepEqual(await drive('accounts', 'countAccounts')({ filter: { 'points.balance': { $gt: 0 } } }), { count: 1 });
    const totals = await drive('accounts', 'getProgramTotals')();
    assert.deepEqual(totals, await direct.accounts.getProgramTotals());
    assert.equal(totals.points.balance, (await direct.accounts.listAccounts()).accounts.reduce((s, x) => s + x.points.balance, 0));
    assert.deepEqual(totals.tierTotals.map((t) => t._id ?? null), [null], 'before tiers: the base tier only');
    const { asyncJobId } = await drive('accounts', 'bulkAdjustPoints')({ search: { filter: { 'tier._id': null } }, amount: 3 });
    assert.equal((await direct.jobs.getJob(asyncJobId)).job.succeeded, 2);
    assert.equal((await direct.accounts.getAccount(c._id)).points.balance, 3);

    // transactions
    const txn = await drive('transactions', 'getLoyaltyTransaction')(earned.transactionId);
    assert.deepEqual(txn, await direct.transactions.getLoyaltyTransaction(earned.transactionId));
    assert.equal(txn.earnInfo.orderId, 'o-1');
    const page = await drive('transactions', 'queryLoyaltyTransactions')().eq('accountId', a._id).descending('_createdDate').limit(2).find();
    const mine = await direct.transactions.queryLoyaltyTransactions().eq('accountId', a._id).descending('_createdDate').limit(2).find();
    assert.deepEqual(page.items, mine.items);
    assert.equal(page.pageSize, 2);
    assert.ok(page.hasNext());
    const second = await page.next();
    assert.deepEqual(second.items, (await mine.next()).items);
    assert.deepEqual((await second.prev()).items, page.items, 'prev() through the SDK');
    const typedTxn = { filter: { transactionType: 'ADJUST' }, sort: [{ fieldName: '_id', order: 'ASC' }], cursorPaging: { limit: 20 } };
    assert.deepEqual(await admin.transactions.queryLoyaltyTransactions(typedTxn), await direct.transactions.queryLoyaltyTransactions(typedTxn));

    // rewards
    const tenOff = { name: '10% off', active: true, type: 'COUPON_REWARD', couponReward: { percentage: { configsByTier: [{ costInPoints: 100, percentage: 10 }] }, minimumSubtotal: 20 } };
    const reward = await drive('rewards', 'createReward')(tenOff);
    assert.deepEqual(reward, await direct.rewards.getReward(reward._id));
    assert.ok(reward._createdDate instanceof Date, 'dates come back as Dates');
    assert.deepEqual(reward.couponReward, tenOff.couponReward);
    assert.deepEqual(await drive('rewards', 'getReward')(reward._id), reward);
    const bulk = await drive('rewards', 'bulkCreateRewards')([
      { name: '5 off', active: true, type: 'DISCOUNT_AMOUNT', discountAmount: { configsByTier: [{ costInPoints: 50, amount: '5' }] } },
      { name: 'Free shipping', type: 'COUPON_REWARD', couponReward: { freeShipping: { configsByTier: [{ costInPoints: 200, tierId: 'tier-1' }] } } },
    ]);
    assert.deepEqual(bulk.bulkActionMetadata, { totalSuccesses: 1, totalFailures: 1, undetailedFailures: 0 });
    assert.deepEqual(bulk.results.map((x) => x.itemMetadata.success), [true, false]);
    assert.equal(bulk.results[1].itemMetadata.error.code, 'INVALID_ARGUMENT');
    const fiveOff = bulk.results[0].item;
    assert.deepEqual(fiveOff, await direct.rewards.getReward(fiveOff._id));
    const renamed = await drive('rewards', 'updateReward')(reward._id, { name: '15% off', revision: reward.revision, active: false });
    assert.equal(renamed.reward.name, '15% off');
    assert.equal(renamed.reward.revision, '2');
    assert.deepEqual(renamed.reward, await direct.rewards.getReward(reward._id));
    const rewardQuery = { filter: { active: true }, sort: [{ fieldName: '_createdDate', order: 'ASC' }], cursorPaging: { limit: 10 } };
    const queried = await drive('rewards', 'queryRewards')(rewardQuery);
    assert.deepEqual(queried, await direct.rewards.queryRewards(rewardQuery));
    assert.deepEqual(queried.rewards.map((x) => x._id), [fiveOff._id]);
    const listedRewards = await drive('rewards', 'listRewards')({ cursorPaging: { limit: 1 } });
    assert.deepEqual(listedRewards, await direct.rewards.listRewards({ cursorPaging: { limit: 1 } }));
    const nextRewards = await admin.rewards.listRewards({ cursorPaging: { cursor: listedRewards.pagingMetadata.cursors.next } });
    assert.equal(listedRewards.rewards.length + nextRewards.rewards.length, 2);
    assert.equal(nextRewards.pagingMetadata.total, 2);
    assert.deepEqual(await drive('rewards', 'bulkGetRewards')(), await direct.rewards.bulkGetRewards());
    assert.equal(await drive('rewards', 'deleteReward')(reward._id, renamed.reward.revision), undefined);
    const gone = await failure(admin.rewards.getReward(reward._id));
    assert.equal(gone.status, 404);
    assert.equal(gone.details.applicationError.code, 'REWARD_NOT_FOUND');
    assert.deepEqual((await direct.rewards.bulkGetRewards()).rewardsInSite[0].rewards, [fiveOff]);

    // coupons: the account has 38 points; the reward costs 10.
    assert.equal((await admin.accounts.getAccount(a._id)).rewardAvailable, false, 'the one active reward costs 50');
    const priced = await admin.rewards.createReward({ name: 'Free shipping', active: true, couponReward: { freeShipping: { configsByTier: [{ costInPoints: 10 }] }, minimumSubtotal: 30 } });
    assert.equal((await admin.accounts.getAccount(a._id)).rewardAvailable, true, 'a reward of 10 points: affordable');
    const { coupon } = await drive('coupons', 'redeemPointsForCoupon')(priced._id, { loyaltyAccountId: a._id });
    assert.deepEqual(coupon, await direct.coupons.getLoyaltyCoupon(coupon._id));
    assert.ok(coupon._createdDate instanceof Date);
    assert.equal(coupon.status, 'ACTIVE');
    assert.deepEqual(coupon.couponReference.specification, { freeShipping: true, minimumSubtotal: 30, name: 'Free shipping', type: 'FREE_SHIPPING' });
    assert.equal((await direct.accounts.getAccount(a._id)).points.redeemed, 10);
    assert.deepEqual(await drive('coupons', 'getLoyaltyCoupon')(coupon._id), coupon);
    const couponPage = await drive('coupons', 'queryLoyaltyCoupons')().eq('accountId', a._id).descending('_createdDate').limit(5).find();
    assert.deepEqual(couponPage.items, (await direct.coupons.queryLoyaltyCoupons().eq('accountId', a._id).descending('_createdDate').limit(5).find()).items);
    assert.deepEqual(couponPage.items.map((x) => x._id), [coupon._id]);
    const bulkCoupons = await drive('coupons', 'bulkGetLoyaltyCoupon')({ query: { filter: { accountId: a._id }, cursorPaging: { limit: 10 } } });
    assert.deepEqual(bulkCoupons, await direct.coupons.bulkGetLoyaltyCoupon({ query: { filter: { accountId: a._id }, cursorPaging: { limit: 10 } } }));
    assert.deepEqual(bulkCoupons.couponsInSite[0].loyaltyCoupons, [coupon]);
    const member = sdk(env.fetch, await env.token(MEMBER_A));
    const redeemed = await member.coupons.redeemCurrentMemberPointsForCoupon(priced._id);
    driven.add('coupons.redeemCurrentMemberPointsForCoupon');
    assert.equal(redeemed.coupon.accountId, a._id);
    const myCoupons = await member.coupons.getCurrentMemberCoupons();
    driven.add('coupons.getCurrentMemberCoupons');
    assert.deepEqual(myCoupons.loyaltyCoupons.map((x) => x._id).sort(), [coupon._id, redeemed.coupon._id].sort());
    const poor = await failure(member.coupons.redeemCurrentMemberPointsForCoupon(priced._id).then(() => member.coupons.redeemCurrentMemberPointsForCoupon(priced._id)));
    assert.equal(poor.details.applicationError.code, 'INSUFFICIENT_POINTS');
    assert.equal((await member.accounts.getCurrentMemberAccount()).account.rewardAvailable, false, 'spent below the cheapest reward');
    assert.equal(await drive('coupons', 'deleteLoyaltyCoupon')(coupon._id, coupon.revision), undefined);
    assert.equal((await failure(admin.coupons.getLoyaltyCoupon(coupon._id))).status, 404);

    // tiers
    const star = 'wix:image://v1/11062b_star~mv2.png/star.png#originWidth=64&originHeight=64';
    const gold = await drive('tiers', 'createTier')({ tierDefinition: { name: 'Gold', description: 'Top tier', icon: star }, requiredPoints: 1000 });
    assert.equal(gold.tierDefinition.icon, star, 'a tier icon goes out as an image object and comes back as the SDK string');
    assert.ok(gold._createdDate instanceof Date);
    assert.deepEqual(gold, await direct.tiers.getTier(gold._id));
    assert.deepEqual(await drive('tiers', 'getTier')(gold._id), gold);
    const bulkTiers = await drive('tiers', 'bulkCreateTiers')([{ tierDefinition: { name: 'Silver' }, requiredPoints: 500 }, { tierDefinition: { name: 'gold' }, requiredPoints: 5 }]);
    assert.deepEqual(bulkTiers.results.map((r) => r.itemMetadata.success), [true, false]);
    assert.equal(bulkTiers.results[1].itemMetadata.error.data.reason, 'TIER_NAME_TAKEN');
    const silver = bulkTiers.results[0].item;
    assert.deepEqual(silver, await direct.tiers.getTier(silver._id));
    const goldPlus = await drive('tiers', 'updateTier')(gold._id, { revision: gold.revision, requiredPoints: 1200, tierDefinition: { name: 'Gold+' } });
    assert.deepEqual([goldPlus.tierDefinition.name, goldPlus.tierDefinition.description, goldPlus.requiredPoints, goldPlus.revision], ['Gold+', 'Top tier', 1200, '2']);
    assert.deepEqual(await drive('tiers', 'listTiers')(), await direct.tiers.listTiers());
    assert.deepEqual((await direct.tiers.listTiers()).tiers.map((t) => t._id), [silver._id, gold._id]);
    assert.equal((await failure(admin.tiers.getTiersProgramSettings())).details.applicationError.code, 'TIERS_PROGRAM_SETTINGS_NOT_FOUND');
    const made = await drive('tiers', 'createTiersProgramSettings')({ rollingWindow: { durationInMonths: 12 }, status: 'ACTIVE', baseTierDefinition: { name: 'Member', description: 'Everyone', icon: star } });
    assert.equal(made.programSettings.baseTierDefinition.icon, star);
    assert.deepEqual(made, await direct.tiers.getTiersProgramSettings());
    assert.deepEqual(await drive('tiers', 'getTiersProgramSettings')(), made);
    const replaced = await drive('tiers', 'updateTiersProgramSettings')({ revision: made.programSettings.revision, rollingWindow: { durationInMonths: 24 }, status: 'ACTIVE', baseTierDefinition: { name: 'Member' } });
    assert.deepEqual(replaced.programSettings.baseTierDefinition, { name: 'Member' }, 'an update replaces the base tier');
    assert.deepEqual(await drive('tiers', 'getTiersProgram')(), await direct.tiers.getTiersProgram());
    assert.equal(await drive('tiers', 'deleteTier')(silver._id, silver.revision), undefined);
    assert.equal((await failure(admin.tiers.getTier(silver._id))).status, 404);

    // Every method of the six modules, implemented or not, was driven or is driven now.
    const unimplemented = [];
    for (const module of MODULES) {
      for (const name of sdkMethods(module)) {
        const row = rows.get(name);
        assert.ok(row, `${module}.${name} is in the table of operations`);
        assert.equal(row.module, module, `${name} belongs to ${module}`);
        if (row.implemented) continue;
        unimplemented.push(`${module}.${name}`);
        let call = admin[module][name]('00000000-0000-4000-8000-000000000001', { x: 1 }, '1');
        if (call && typeof call.find === 'function') call = call.find();
        const e = await failure(call);
        assert.equal(e.status, 501, `${module}.${name}`);
        assert.equal(e.details.applicationError.code, 'NOT_IMPLEMENTED', `${module}.${name}`);
        assert.match(e.details.applicationError.description, new RegExp(`${module}\\.${name}`));
        driven.add(`${module}.${name}`);
      }
    }
    const all = MODULES.flatMap((m) => sdkMethods(m).map((n) => `${m}.${n}`));
    const memberOnly = ['accounts.getCurrentMemberAccount'];
    assert.deepEqual(all.filter((m) => !driven.has(m) && !memberOnly.includes(m)), [], 'every public method was driven');
    assert.equal(all.length, 47);
    assert.deepEqual(unimplemented, [], 'every method of the six modules is implemented');
  });

  it(`errors thrown through the SDK equal the direct API's`, async () => {
    const { direct } = env;
    await admin.programs.activateLoyaltyProgram();
    const { account: b } = await admin.accounts.createAccount(CONTACT_B).catch(() => direct.accounts.getAccountBySecondaryId({ contactId: CONTACT_B }));
    const same = async (name, call) => {
      const viaSdk = await failure(call(admin));
      const viaDirect = await failure(call(direct));
      assert.deepEqual(shape(viaSdk), shape(viaDirect), name);
      assert.equal(typeof viaSdk.requestId, 'string', `${name}: the request id header reaches the SDK`);
      return viaSdk;
    };
    let e = await same('overdraft', (m) => m.accounts.adjustPoints(b._id, { amount: -1_000_000 }));
    assert.equal(e.status, 428);
    assert.equal(e.details.applicationError.code, 'INSUFFICIENT_POINTS');
    assert.equal(typeof e.details.applicationError.data, 'object');
    e = await same('not found', (m) => m.accounts.getAccount('00000000-0000-4000-8000-0000000000ff'));
    assert.equal(e.status, 404);
    e = await same('a second account', (m) => m.accounts.createAccount(CONTACT_B));
    assert.equal(e.status, 409);
    assert.equal(e.details.applicationError.code, 'ACCOUNT_ALREADY_EXISTS');
    e = await same('stale revision', (m) => m.accounts.adjustPoints(b._id, { amount: 1, revision: '999' }));
    assert.equal(e.status, 409);
    e = await same('validation', (m) => m.accounts.earnPoints(b._id, { amount: 0.5, appId: '', idempotencyKey: 'x' }));
    assert.equal(e.status, 400);
    assert.deepEqual(e.details.validationError.fieldViolations.map((v) => v.field), ['options.amount', 'options.appId']);
    e = await same('bad id', (m) => m.accounts.getAccount('nope'));
    assert.deepEqual(e.details.validationError.fieldViolations.map((v) => v.field), ['_id']);
    e = await same('bad options', (m) => m.accounts.listAccounts({ contactIds: ['x'], cursorPaging: { limit: 500 } }));
    assert.deepEqual(e.details.validationError.fieldViolations.map((v) => v.field), ['options.contactIds[0]', 'options.cursorPaging.limit']);
    e = await same('a bad typed query', (m) => m.transactions.queryLoyaltyTransactions({ filter: { amount: { $regex: 1 } }, cursorPaging: { limit: 5 } }));
    assert.deepEqual(e.details.validationError.fieldViolations.map((v) => v.field), ['query.filter.amount.$regex']);
    e = await same('a program field', (m) => m.programs.updateLoyaltyProgram({ name: 'X' }));
    assert.deepEqual(e.details.validationError.fieldViolations.map((v) => v.field), ['loyaltyProgram.name']);
    // The builder path: the SDK names builder arguments "undefined." (its own quirk), the rest is equal.
    const viaBuilder = await failure(admin.transactions.queryLoyaltyTransactions().limit(1000).find());
    assert.equal(viaBuilder.status, 400);
    assert.deepEqual(viaBuilder.details.validationError.fieldViolations.map((v) => v.ruleName), ['OUT_OF_RANGE']);
  });

  it(`members see their own account, and nothing an admin may`, async () => {
    const { direct } = env;
    await admin.programs.activateLoyaltyProgram();
    for (const contact of [CONTACT_A, CONTACT_B]) await admin.accounts.createAccount(contact).catch(() => {});
    const { account: a } = await direct.accounts.getAccountBySecondaryId({ contactId: CONTACT_A });
    const { account: b } = await direct.accounts.getAccountBySecondaryId({ contactId: CONTACT_B });
    const memberA = sdk(env.fetch, await env.token(MEMBER_A));
    const memberB = sdk(env.fetch, await env.token(MEMBER_B));
    assert.deepEqual(await memberA.accounts.getCurrentMemberAccount(), { account: await direct.accounts.getAccount(a._id) });
    assert.equal((await memberB.accounts.getCurrentMemberAccount()).account._id, b._id);
    // Another member's account, and an admin method: 403.
    for (const call of [() => memberB.accounts.getAccount(a._id), () => memberA.accounts.adjustPoints(a._id, { amount: 5 }), () => memberA.programs.activateLoyaltyProgram(), () => memberB.transactions.queryLoyaltyTransactions().eq('accountId', a._id).find()]) {
      const e = await failure(call());
      assert.equal(e.status, 403);
      assert.equal(e.details.applicationError.code, 'ADMIN_ONLY');
    }
    assert.equal((await direct.accounts.getAccount(a._id)).revision, a.revision, 'nothing changed');
    // A token that is not this backend's: 401.
    const forged = sdk(env.fetch, `${(await env.token(MEMBER_A)).slice(0, -4)}AAAA`);
    assert.equal((await failure(forged.accounts.getCurrentMemberAccount())).status, 401);
    // An admin has no "current member".
    assert.equal((await failure(admin.accounts.getCurrentMemberAccount())).status, 401);
    if (env.apiKey) {
      const anonymous = sdk(env.fetch, undefined);
      const e = await failure(anonymous.programs.getLoyaltyProgram());
      assert.equal(e.status, 401);
      assert.equal(e.details.applicationError.code, 'UNAUTHENTICATED');
    }
  });

  it(`the wire: exactly 200 with JSON, REST names, ISO dates, Wix error bodies`, async () => {
    const { direct } = env;
    await admin.programs.activateLoyaltyProgram();
    const { account } = await direct.accounts.getAccountBySecondaryId({ contactId: CONTACT_A }).catch(async () => direct.accounts.createAccount(CONTACT_A));
    const headers = env.apiKey ? { authorization: env.apiKey } : {};
    const base = 'https://www.wixapis.com';
    let res = await env.fetch(`${base}/loyalty-accounts/v1/accounts/${account._id}?id=${account._id}`, { method: 'GET', headers });
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.account.id, account._id);
    assert.match(body.account.createdDate, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(body.account.contact.picture.id, '');
    res = await env.fetch(`${base}/_api/loyalty-earning-rules/v1/automation-earning-rules/e-1?id=e-1`, { method: 'DELETE', headers });
    assert.equal(res.status, 501);
    assert.deepEqual((await res.json()).details.applicationError.code, 'NOT_IMPLEMENTED');
    res = await env.fetch(`${base}/loyalty-rewards/v1/rewards/r-1?id=r-1&revision=3`, { method: 'DELETE', headers });
    assert.equal(res.status, 400);
    assert.deepEqual((await res.json()).details.validationError.fieldViolations.map((v) => v.field), ['id']);
    res = await env.fetch(`${base}/loyalty-rewards/v1/rewards`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ reward: { name: 'Wire', discountAmount: { configsByTier: [{ costInPoints: 5, amount: '1.5' }] } } }) });
    assert.equal(res.status, 200);
    const wire = (await res.json()).reward;
    assert.match(wire.id, /^[0-9a-f-]{36}$/);
    assert.match(wire.createdDate, /^\d{4}-\d\d-\d\dT/);
    assert.equal(wire.type, 'DISCOUNT_AMOUNT');
    res = await env.fetch(`${base}/loyalty-accounts/v1/accounts`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{"contactId": ' });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).details.applicationError.code, 'MALFORMED_JSON');
    res = await env.fetch(`${base}/loyalty-nothing/v1/here`, { method: 'GET', headers });
    assert.equal(res.status, 404);
    assert.equal((await res.json()).details.applicationError.code, 'UNKNOWN_ROUTE');
    res = await env.fetch(`${base}/loyalty-programs/v1/program`, { method: 'DELETE', headers });
    assert.equal(res.status, 405);
    // The .r parameter (base64url of the whole request), as bulkGetLoyaltyCoupon sends it.
    const r = Buffer.from(JSON.stringify({ contactIds: [CONTACT_A], cursorPaging: { limit: 1 } })).toString('base64url');
    res = await env.fetch(`${base}/loyalty-accounts/v1/accounts?.r=${r}`, { method: 'GET', headers });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).accounts[0].id, account._id);
    // The same services under /_api, as inside Wix sites.
    res = await env.fetch(`${base}/_api/loyalty-programs/v1/program`, { method: 'GET', headers });
    assert.equal(res.status, 200);
    if (env.log) {
      assert.match(env.log(), /GET \/loyalty-accounts\/v1\/accounts\/[0-9a-f-]+\?id=[0-9a-f-]+ 200 [\d.]+ms/, 'one log line per request');
    }
  });
}
