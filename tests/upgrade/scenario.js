// The upgrade scenario, run in Node and in the browser against whichever package it is given:
// `write` fills a store using only what the previous release offers; `check` opens that store
// with the current package and returns every way it falls short (an empty list: the data was
// read and upgraded, nothing refused or lost, idempotency keys kept their meaning).
// Plain ESM with no imports, so a page can load it next to either package.

export const CONTACTS = {
  '3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d': { name: 'Dana Levi', email: 'dana@example.com', memberId: '0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6' },
  '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b': { name: 'Omar Haddad', email: 'omar@example.com' },
  'c0ffee00-1234-4abc-9def-0123456789ab': { name: 'Mei Chen', email: 'mei@example.com' },
  // Only the current package creates this one.
  'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d': { name: 'Noa Peretz', email: 'noa@example.com' },
};
const OLD = Object.keys(CONTACTS).slice(0, 3);
const NEW = Object.keys(CONTACTS)[3];
const MEMBER = CONTACTS[OLD[0]].memberId;

export const contacts = async (contactId) => CONTACTS[contactId] ?? null;

const json = (value) => JSON.parse(JSON.stringify(value));

async function ledger(loyalty) {
  const items = [];
  for (let page = await loyalty.transactions.queryLoyaltyTransactions().ascending('_createdDate').limit(100).find(); ; page = await page.next()) {
    items.push(...page.items);
    if (!page.hasNext()) break;
  }
  return items;
}

/** Fills `storage` with the previous release's `createLoyaltyBackend`; resolves to what it wrote (JSON). */
export async function write(createLoyaltyBackend, storage) {
  const loyalty = createLoyaltyBackend({ storage, contacts });
  await loyalty.programs.updateLoyaltyProgram({ name: 'Upgrade Club', pointDefinition: { customName: 'Stars' } });
  await loyalty.programs.activateLoyaltyProgram();
  // Tiers and points expiration, as the previous release keeps them: accounts hold their months
  // of tier points, their expiration date, and an entry in the due index.
  const tiers = [await loyalty.tiers.createTier({ tierDefinition: { name: 'Regular' }, requiredPoints: 40 })];
  await loyalty.tiers.createTiersProgramSettings({ rollingWindow: { durationInMonths: 12 }, status: 'ACTIVE' });
  await loyalty.programs.updateLoyaltyProgram({ pointsExpiration: { monthsOfInactivity: 1, expiringPointsPercentage: 50 } });
  await loyalty.programs.enablePointsExpiration();
  const ids = [];
  for (const contactId of OLD) ids.push((await loyalty.accounts.createAccount(contactId)).account._id);
  const earns = [];
  for (let i = 0; i < 9; i++) {
    const accountId = ids[i % 3];
    const request = { amount: 10 + i, appId: 'shop', idempotencyKey: `old-order-${i}`, description: `Order ${i}`, orderId: `o-${i}` };
    earns.push({ accountId, request, transactionId: (await loyalty.accounts.earnPoints(accountId, request)).transactionId });
  }
  await loyalty.accounts.earnPoints(earns[2].accountId, earns[2].request); // a retry, credited once
  await loyalty.accounts.adjustPoints(ids[0], { amount: -5, description: 'Correction' });
  const omar = await loyalty.accounts.getAccount(ids[1]);
  await loyalty.accounts.adjustPoints(ids[1], { balance: 100, revision: omar.revision, description: 'Set by hand' });
  // Rewards, a redemption with a retry key, and a refunded one.
  const rewards = [
    await loyalty.rewards.createReward({ name: 'Ten off', active: true, couponReward: { fixedAmount: { configsByTier: [{ costInPoints: 30, amount: 10 }] }, minimumSubtotal: 50 } }),
    await loyalty.rewards.createReward({ name: 'Later', couponReward: { freeShipping: { configsByTier: [{ costInPoints: 5 }] } } }),
  ];
  const redemption = { rewardId: rewards[0]._id, options: { loyaltyAccountId: ids[1], idempotencyKey: 'old-redeem-1' } };
  const { coupon } = await loyalty.coupons.redeemPointsForCoupon(redemption.rewardId, redemption.options);
  const { coupon: spent } = await loyalty.coupons.redeemPointsForCoupon(rewards[0]._id, { loyaltyAccountId: ids[1] });
  await loyalty.refunds.refundLoyaltyCoupon(spent._id);
  const coupons = [await loyalty.coupons.getLoyaltyCoupon(coupon._id), await loyalty.coupons.getLoyaltyCoupon(spent._id)];
  const accounts = [];
  for (const id of ids) accounts.push(await loyalty.accounts.getAccount(id));
  const { loyaltyProgram } = await loyalty.programs.getLoyaltyProgram();
  return json({ program: loyaltyProgram, accounts, transactions: await ledger(loyalty), earns, rewards, coupons, redemption, tiers });
}

/**
 * What the current package answers differently on purpose: `premiumFeatures.tiers` since tiers
 * came, `premiumFeatures.pointsExpiration` since points expire.
 */
const INTENDED = new Set(['program.premiumFeatures.tiers', 'program.premiumFeatures.pointsExpiration']);

/** Every field of `old` has the same value in `now` (the current package may add fields). */
function missing(old, now, path, problems) {
  if (INTENDED.has(path)) return;
  if (old !== null && typeof old === 'object') {
    if (now === null || typeof now !== 'object') {
      problems.push(`${path}: was ${JSON.stringify(old)}, now ${JSON.stringify(now)}`);
      return;
    }
    for (const key of Object.keys(old)) missing(old[key], now[key], `${path}.${key}`, problems);
  } else if (old !== now) {
    problems.push(`${path}: was ${JSON.stringify(old)}, now ${JSON.stringify(now)}`);
  }
}

async function reason(promise) {
  try {
    await promise;
    return 'no error';
  } catch (e) {
    return e?.reason ?? String(e);
  }
}

/**
 * Opens the store `write` filled with the current package's `createLoyaltyBackend`; resolves to
 * `{ problems, figures }`.
 */
export async function check(createLoyaltyBackend, storage, written) {
  const problems = [];
  const expect = (ok, what) => {
    if (!ok) problems.push(what);
  };
  const loyalty = createLoyaltyBackend({ storage, contacts });

  // Everything the previous release wrote reads back the same.
  missing(written.program, json((await loyalty.programs.getLoyaltyProgram()).loyaltyProgram), 'program', problems);
  for (const account of written.accounts) {
    missing(account, json(await loyalty.accounts.getAccount(account._id)), `account ${account.contactId}`, problems);
  }
  const byMember = await loyalty.accounts.getAccountBySecondaryId({ memberId: MEMBER });
  expect(byMember.account._id === written.accounts[0]._id, 'the member index still finds the member\'s account');
  const transactions = json(await ledger(loyalty));
  expect(transactions.length === written.transactions.length, `ledger: ${written.transactions.length} entries written, ${transactions.length} read`);
  written.transactions.forEach((t, i) => missing(t, transactions[i], `transaction ${i}`, problems));
  for (const t of written.transactions) {
    missing(t, json(await loyalty.transactions.getLoyaltyTransaction(t._id)), `getLoyaltyTransaction ${t._id}`, problems);
  }

  // Idempotency keys keep their meaning: a retry answers the original transaction and credits
  // nothing; the same key with another request is refused.
  for (const e of written.earns) {
    const again = await loyalty.accounts.earnPoints(e.accountId, e.request);
    expect(again.transactionId === e.transactionId, `retrying ${e.request.idempotencyKey} answers its original transaction`);
  }
  for (const account of written.accounts) {
    const now = await loyalty.accounts.getAccount(account._id);
    expect(now.points.balance === account.points.balance && now.revision === account.revision, `retries credited nothing to ${account.contactId}`);
  }
  expect(await reason(loyalty.accounts.earnPoints(written.earns[0].accountId, { ...written.earns[0].request, amount: 999 })) === 'IDEMPOTENCY_KEY_REUSED', 'a reused key with another amount is refused');

  // Rewards and coupons of the previous release read back the same; a redemption's key keeps
  // its meaning (its retry answers the same coupon and takes nothing).
  for (const reward of written.rewards ?? []) missing(reward, json(await loyalty.rewards.getReward(reward._id)), `reward ${reward.name}`, problems);
  for (const coupon of written.coupons ?? []) missing(coupon, json(await loyalty.coupons.getLoyaltyCoupon(coupon._id)), `coupon ${coupon._id}`, problems);
  if (written.redemption) {
    const { rewardId, options } = written.redemption;
    const again = await loyalty.coupons.redeemPointsForCoupon(rewardId, options);
    expect(again.coupon._id === written.coupons[0]._id, 'retrying a stored redemption key answers its coupon');
    const omar = written.accounts[1];
    expect((await loyalty.accounts.getAccount(omar._id)).points.balance === omar.points.balance, 'and takes nothing');
  }

  // And the store keeps working: revisions, contact uniqueness, new accounts, new features.
  const [dana] = written.accounts;
  const adjusted = await loyalty.accounts.adjustPoints(dana._id, { amount: 7, revision: dana.revision });
  expect(adjusted.account.revision === String(Number(dana.revision) + 1) && adjusted.account.points.balance === dana.points.balance + 7, 'an adjustment at the stored revision applies');
  expect(await reason(loyalty.accounts.adjustPoints(dana._id, { amount: 1, revision: dana.revision })) === 'REVISION_MISMATCH', 'the old revision is now stale');
  expect(await reason(loyalty.accounts.createAccount(dana.contactId)) === 'ACCOUNT_ALREADY_EXISTS', 'a stored contact keeps its one account');
  const { account: noa } = await loyalty.accounts.createAccount(NEW);
  await loyalty.accounts.earnPoints(noa._id, { amount: 1, appId: 'shop', idempotencyKey: 'new-order-1' });
  const ranked = await loyalty.accounts.queryLoyaltyAccounts().descending('points.balance').find();
  const balances = ranked.items.map((a) => a.points.balance);
  expect(ranked.items.length === 4 && balances.every((b, i) => i === 0 || balances[i - 1] >= b), `an account query sorts old and new accounts together (${balances})`);
  // Rewards and coupons work on the stored accounts; the first reward change sets every
  // account's rewardAvailable from its balance.
  const reward = await loyalty.rewards.createReward({ name: 'Upgrade', active: true, couponReward: { freeShipping: { configsByTier: [{ costInPoints: 2 }] } } });
  for (const account of (await loyalty.accounts.queryLoyaltyAccounts().limit(100).find()).items) {
    expect(account.rewardAvailable === account.points.balance >= 2, `after a reward change, ${account.contactId} with ${account.points.balance} points shows rewardAvailable ${account.rewardAvailable}`);
  }
  const { coupon } = await loyalty.coupons.redeemPointsForCoupon(reward._id, { loyaltyAccountId: dana._id, idempotencyKey: 'upgrade-1' });
  const spent = await loyalty.accounts.getAccount(dana._id);
  expect(coupon.accountId === dana._id && spent.points.redeemed === 2 && spent.points.balance === dana.points.balance + 7 - 2, 'a stored account redeems points for a coupon');
  const refunded = await loyalty.refunds.refundLoyaltyCoupon(coupon._id);
  expect(refunded.coupon.status === 'ARCHIVED' && (await loyalty.accounts.getAccount(dana._id)).points.redeemed === 0, 'and gets them back with a refund');
  // Tiers the previous release stored: each account, old and new, in its tier by the points of
  // its window (all of them this month here).
  const [regular] = written.tiers;
  missing(regular, json(await loyalty.tiers.getTier(regular._id)), 'tier Regular', problems);
  for (const account of (await loyalty.accounts.queryLoyaltyAccounts().limit(100).find()).items) {
    const points = account.points.earned + account.points.adjusted;
    expect(account.tier.points === points && account.tier._id === (points >= 40 ? regular._id : undefined), `${account.contactId} with ${points} tier points is in tier ${account.tier._id}`);
  }
  // Points expiration from the previous release's due index: forty days on, one scheduled run
  // expires half of every balance once (rounded up), a second run nothing.
  const before = new Map((await loyalty.accounts.queryLoyaltyAccounts().limit(100).find()).items.map((a) => [a._id, a.points.balance]));
  const later = createLoyaltyBackend({ storage, contacts, now: () => Date.now() + 40 * 86_400_000 });
  const run = await later.runScheduledWork();
  const due = [...before.values()].filter((b) => b > 0).length;
  expect(run.expiredAccounts === due, `forty days on, the scheduled work expires every account with points (${run.expiredAccounts} of ${due})`);
  for (const [id, balance] of before) {
    const now = (await later.accounts.getAccount(id)).points.balance;
    expect(now === balance - Math.ceil(balance / 2), `an account of ${balance} points keeps ${balance - Math.ceil(balance / 2)} after the expiration (${now})`);
  }
  expect((await later.runScheduledWork()).expiredAccounts === 0, 'a second run expires nothing');
  const report = await loyalty.verify();
  expect(report.ok, `verify() finds nothing: ${JSON.stringify(report.discrepancies.slice(0, 3))}`);
  return { problems, figures: { accounts: report.counts.accounts, transactions: report.counts.transactions } };
}
