// npm run demo: a loyalty program end to end over the in-memory default backend.
//   npm run demo -- --storage sqlite:./demo.db              a durable SQLite file
//   npm run demo -- --storage postgres:postgres://user@host/db
// On durable storage a second run finds the first run's accounts and ledger and adds to them.
import { createClient } from '@wix/sdk';
import { accounts as sdkAccounts, programs as sdkPrograms, transactions as sdkTransactions } from '@wix/loyalty';
import wixLoyaltyBackend, { createLoyaltyBackend, createWixFetch, isLoyaltyError } from '../pkg/node/index.mjs';
import { storageFromSpec } from '../pkg/storage/spec.js';

function storageSpec(args) {
  const i = args.findIndex((a) => a === '--storage' || a.startsWith('--storage='));
  return i < 0 ? 'memory' : args[i].includes('=') ? args[i].slice('--storage='.length) : args[i + 1];
}
let chosen;
try {
  chosen = await storageFromSpec(storageSpec(process.argv.slice(2)));
} catch (e) {
  console.error(e.message);
  process.exit(2);
}
const { storage, label } = chosen;

const people = {
  '3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d': { name: 'Dana Levi', email: 'dana@example.com', memberId: 'da4a0000-5e1f-4000-8000-00000000da4a' },
  '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b': { name: 'Omar Haddad', email: 'omar@example.com' },
  'c0ffee00-1234-4abc-9def-0123456789ab': { name: 'Mei Chen', email: 'mei@example.com' },
};

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (s) => console.log(`\n${bold('▸ ' + s)}`);

function table(rows, columns) {
  const cells = rows.map((r) => columns.map(([, get]) => String(get(r))));
  const widths = columns.map(([title], i) => Math.max(title.length, ...cells.map((c) => c[i].length)));
  const right = (i) => cells.every((c) => /^[-+]?[\d,]+$/.test(c[i]) || c[i] === '');
  const line = (values) => values.map((v, i) => (right(i) ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ');
  console.log('  ' + bold(line(columns.map(([t]) => t))));
  console.log('  ' + widths.map((w) => '─'.repeat(w)).join('  '));
  for (const c of cells) console.log('  ' + line(c));
}

async function expectFailure(what, promise) {
  try {
    await promise;
    console.log(`  ✗ ${what}: unexpectedly succeeded`);
  } catch (e) {
    if (!isLoyaltyError(e)) throw e;
    console.log(`  ✓ ${what} refused: ${e.code} / ${e.reason}`);
    console.log(`    ${e.description}`);
  }
}

/** The official SDK throws plain errors carrying the Wix error body: `status`, `details`. */
async function expectSdkFailure(what, promise) {
  try {
    await promise;
    console.log(`  ✗ ${what}: unexpectedly succeeded`);
    process.exitCode = 1;
  } catch (e) {
    if (!e?.details?.applicationError) throw e;
    console.log(`  ✓ ${what} refused: HTTP ${e.status}, ${e.details.applicationError.code}`);
  }
}

// The default export is ready to use, exactly like `import wixLoyaltyBackend from 'wix-loyalty-backend'`.
step('The default backend (in-memory)');
const { loyaltyProgram: initial } = await wixLoyaltyBackend.program.getLoyaltyProgram();
console.log(`  a fresh program is ${initial.status}`);

// An instance of our own, with a contacts resolver and an event log.
const events = [];
const loyalty = createLoyaltyBackend({
  storage,
  contacts: async (contactId) => people[contactId] ?? null,
  onEvent: (event) => events.push(event.metadata.eventType.replace('wix.loyalty.v1.', '')),
});

step(`Storage: ${label}`);
const before = await loyalty.accounts.listAccounts();
if (before.accounts.length > 0) {
  console.log(`  found ${before.accounts.length} accounts from an earlier run:`);
  for (const a of before.accounts) console.log(`    ${(a.contact.name ?? a.contactId).padEnd(12)} balance ${a.points.balance}, revision ${a.revision}`);
}

step('Activate the program');
await loyalty.programs.updateLoyaltyProgram({ name: 'Coffee Stars', pointDefinition: { customName: 'Stars' } });
const { loyaltyProgram } = await loyalty.programs.activateLoyaltyProgram();
console.log(`  "${loyaltyProgram.name}" is ${loyaltyProgram.status}, points are called ${loyaltyProgram.pointDefinition.customName}`);

step('Create accounts');
const ids = {};
for (const contactId of Object.keys(people)) {
  let account;
  try {
    ({ account } = await loyalty.accounts.createAccount(contactId));
    console.log(`  ${account.contact.name.padEnd(12)} → new account ${account._id}`);
  } catch (e) {
    if (e.reason !== 'ACCOUNT_ALREADY_EXISTS') throw e;
    ({ account } = await loyalty.accounts.getAccountBySecondaryId({ contactId }));
    console.log(`  ${account.contact.name.padEnd(12)} → existing account ${account._id}`);
  }
  ids[account._id] = account.contact.name;
}
const [dana, omar, mei] = Object.keys(ids);
await expectFailure('a second account for Dana', loyalty.accounts.createAccount(Object.keys(people)[0]));

step('Earn points');
// Order numbers differ per run, so a second run on durable storage earns again.
const runId = Date.now().toString(36).toUpperCase();
const order = (n) => `${runId}-${n}`;
const purchase = { amount: 120, appId: 'coffee-shop', idempotencyKey: `order-${order(1)}`, orderId: order(1), description: 'Latte and croissant' };
const first = await loyalty.accounts.earnPoints(dana, purchase);
console.log(`  Dana earns 120 for order ${order(1)} → balance ${first.account.points.balance} (transaction ${first.transactionId})`);
await loyalty.accounts.earnPoints(omar, { amount: 45, appId: 'coffee-shop', idempotencyKey: `order-${order(2)}`, description: 'Espresso' });
await loyalty.accounts.earnPoints(mei, { amount: 300, appId: 'coffee-shop', idempotencyKey: `order-${order(3)}`, description: 'Beans, 1 kg' });

step('Retry a request after a timeout (same idempotency key)');
const retry = await loyalty.accounts.earnPoints(dana, purchase);
console.log(`  the retry returns transaction ${retry.transactionId} (${retry.transactionId === first.transactionId ? 'the original one' : 'A NEW ONE'}); balance still ${retry.account.points.balance}`);
await expectFailure('the same key with another amount', loyalty.accounts.earnPoints(dana, { ...purchase, amount: 999 }));

step('Adjust points');
const welcome = await loyalty.accounts.adjustPoints(omar, { amount: 50, description: 'Welcome bonus' });
console.log(`  Omar gets a 50-point bonus → balance ${welcome.account.points.balance}, revision ${welcome.account.revision}`);
const meiNow = await loyalty.accounts.getAccount(mei);
const set = await loyalty.accounts.adjustPoints(mei, { balance: meiNow.points.balance - 50, description: 'Correction after a refund', revision: meiNow.revision });
console.log(`  Mei's balance is set to ${set.account.points.balance} with revision "${meiNow.revision}" → revision ${set.account.revision}`);
await expectFailure('an overdraft (Omar −500)', loyalty.accounts.adjustPoints(omar, { amount: -500 }));
await expectFailure(`a stale revision (Mei, revision "${meiNow.revision}" again)`, loyalty.accounts.adjustPoints(mei, { amount: 10, revision: meiNow.revision }));
await expectFailure('a fractional amount', loyalty.accounts.adjustPoints(mei, { amount: 2.5 }));

step('Redeem points for a coupon');
const reward = await loyalty.rewards.createReward({ name: 'Free coffee', active: true, couponReward: { fixedAmount: { configsByTier: [{ costInPoints: 100, amount: 4.5 }] }, limitedToOneItem: true } });
console.log(`  reward "${reward.name}" (${reward.type}) costs ${reward.couponReward.fixedAmount.configsByTier[0].costInPoints} Stars`);
// Dana, signed in as a site member, redeems her own points.
const asDana = loyalty.forMember(people['3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d'].memberId);
const redeemKey = `redeem-${order(5)}`;
const { coupon } = await asDana.coupons.redeemCurrentMemberPointsForCoupon(reward._id, { idempotencyKey: redeemKey });
const spec = coupon.couponReference.specification;
const danaNow = await loyalty.accounts.getAccount(dana);
console.log(`  Dana (a site member) redeems 100 Stars → coupon ${coupon.couponReference.code}: ${spec.type} ${spec.moneyOffAmount}; balance ${danaNow.points.balance}, redeemed ${danaNow.points.redeemed}`);
const again = await asDana.coupons.redeemCurrentMemberPointsForCoupon(reward._id, { idempotencyKey: redeemKey });
console.log(`  the retry returns coupon ${again.coupon.couponReference.code} (${again.coupon._id === coupon._id ? 'the same one' : 'A NEW ONE'}); no points taken twice`);
const { loyaltyCoupons } = await asDana.coupons.getCurrentMemberCoupons();
console.log(`  Dana's coupons: ${loyaltyCoupons.map((c) => `${c.couponReference.code} (${c.status})`).join(', ')}`);
await expectFailure('Omar redeeming 100 Stars with 95', loyalty.coupons.redeemPointsForCoupon(reward._id, { loyaltyAccountId: omar }));
await expectFailure("Dana redeeming from Omar's account", asDana.coupons.redeemPointsForCoupon(reward._id, { loyaltyAccountId: omar }));

step('The official SDK (@wix/sdk + @wix/loyalty, unmodified) talks to the engine');
// createWixFetch serves the Wix Loyalty REST API from this backend, in-process; `serve` does the
// same over HTTP (npx wix-loyalty-wasm serve).
const client = (authorization) => createClient({
  modules: { accounts: sdkAccounts, programs: sdkPrograms, transactions: sdkTransactions },
  auth: { getAuthHeaders: async () => ({ headers: authorization ? { Authorization: authorization } : {} }) },
  fetch: createWixFetch(loyalty),
});
const wix = client();
const viaSdk = await wix.programs.getLoyaltyProgram();
console.log(`  programs.getLoyaltyProgram() → "${viaSdk.loyaltyProgram.name}", ${viaSdk.loyaltyProgram.status}`);
const sdkEarn = await wix.accounts.earnPoints(omar, { amount: 30, appId: 'coffee-shop', idempotencyKey: `order-${order(4)}`, description: 'Cappuccino (through the SDK)' });
console.log(`  accounts.earnPoints(Omar, 30) → balance ${sdkEarn.account.points.balance}, transaction ${sdkEarn.transactionId}`);
const sameAccount = await loyalty.accounts.getAccount(omar);
console.log(`  the direct API reads the same account: balance ${sameAccount.points.balance}, revision ${sameAccount.revision}`);
await expectSdkFailure('an overdraft through the SDK', wix.accounts.adjustPoints(omar, { amount: -100000 }));
const member = client(await loyalty.memberToken('0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6'));
await expectSdkFailure("a site member's token reading Omar's account", member.accounts.getAccount(omar));

step('Tiers: the points earned in a rolling window decide each customer\'s tier');
let { tiers } = await loyalty.tiers.listTiers();
if (!tiers.some((t) => t.tierDefinition.name === 'Gold')) {
  await loyalty.tiers.bulkCreateTiers([
    { tierDefinition: { name: 'Silver' }, requiredPoints: 150 },
    { tierDefinition: { name: 'Gold', description: 'Free refills' }, requiredPoints: 300 },
  ]);
}
const { programSettings } = await loyalty.tiers.getTiersProgram();
if (programSettings.status !== 'ACTIVE') {
  await loyalty.tiers.updateTiersProgramSettings({ revision: programSettings.revision, status: 'ACTIVE', rollingWindow: { durationInMonths: 12 }, baseTierDefinition: { name: 'Member' } });
}
({ tiers } = await loyalty.tiers.listTiers());
console.log(`  ${tiers.map((t) => `${t.tierDefinition.name} from ${t.requiredPoints}`).join(', ')} Stars earned in 12 months (the tiers program is ACTIVE)`);
const tierName = (account) => tiers.find((t) => t._id === account.tier._id)?.tierDefinition.name ?? 'Member';
const catering = await loyalty.accounts.earnPoints(dana, { amount: 200, appId: 'coffee-shop', idempotencyKey: `order-${order(6)}`, description: 'Catering order' });
console.log(`  Dana earns 200 → ${catering.account.tier.points} tier points in the window: ${tierName(catering.account)}`);
// The same store, thirteen months later: the window has moved past every order above.
const later = createLoyaltyBackend({ storage, contacts: async (contactId) => people[contactId] ?? null, now: () => Date.now() + 400 * 86_400_000 });
const nextYear = await later.accounts.earnPoints(dana, { amount: 10, appId: 'coffee-shop', idempotencyKey: `order-${order(7)}`, description: 'Espresso, a year on' });
console.log(`  thirteen months on, Dana earns 10 → ${nextYear.account.tier.points} tier points in the window: ${tierName(nextYear.account)} (her balance is ${nextYear.account.points.balance}: tiers count earning, not spending)`);

step('Points expiration: after 3 months without activity, half the balance expires');
await loyalty.programs.updateLoyaltyProgram({ pointsExpiration: { monthsOfInactivity: 3, expiringPointsPercentage: 50 } });
await loyalty.programs.enablePointsExpiration();
const omarNow = await loyalty.accounts.getAccount(omar);
const day = (d) => d.toISOString().slice(0, 10);
console.log(`  Omar: ${omarNow.pointsExpiration.expiringPointsAmount} of his ${omarNow.points.balance} Stars expire on ${day(omarNow.pointsExpiration.expirationDate)} unless he buys something first`);
// The scheduled work, on the backend thirteen months on (`serve` runs it every minute).
const run = await later.runScheduledWork();
const omarLater = await loyalty.accounts.getAccount(omar);
console.log(`  runScheduledWork() thirteen months on → ${run.expiredAccounts} accounts lost ${run.expiredPoints} Stars; Omar keeps ${omarLater.points.balance} (expired: ${omarLater.points.expired}), half of which expires 3 months later`);

step('Accounts');
const { accounts } = await loyalty.accounts.listAccounts();
table(accounts, [
  ['Customer', (a) => a.contact.name],
  ['Balance', (a) => a.points.balance],
  ['Earned', (a) => a.points.earned],
  ['Adjusted', (a) => a.points.adjusted],
  ['Redeemed', (a) => a.points.redeemed],
  ['Expired', (a) => a.points.expired],
  ['Tier', (a) => `${tierName(a)} (${a.tier.points})`],
  ['Revision', (a) => a.revision],
  ['Last activity', (a) => a.lastActivityDate?.toISOString().replace('T', ' ').slice(0, 19) ?? ''],
]);

step('Ledger (oldest first)');
const items = [];
for (let page = await loyalty.transactions.queryLoyaltyTransactions().ascending('_createdDate').limit(100).find(); ; page = await page.next()) {
  items.push(...page.items);
  if (!page.hasNext()) break;
}
table(items, [
  ['Time', (t) => t._createdDate.toISOString().slice(11, 23)],
  ['Customer', (t) => ids[t.accountId]],
  ['Type', (t) => t.transactionType],
  ['Amount', (t) => (t.amount > 0 ? `+${t.amount}` : t.amount)],
  ['Description', (t) => t.description],
  ['Detail', (t) => ((t.adjustInfo ?? t.expireInfo) ? `${(t.adjustInfo ?? t.expireInfo).amountBefore} → ${(t.adjustInfo ?? t.expireInfo).amountAfter}` : t.redeemInfo ? `reward ${t.redeemInfo.rewardId.slice(0, 8)}…` : `key ${t.idempotencyKey}`)],
]);

step('Events delivered after each commit');
console.log('  ' + events.join(', '));

const total = accounts.reduce((s, a) => s + a.points.balance, 0);
const ledgerTotal = items.reduce((s, t) => s + t.amount, 0);
console.log(`\n${bold('Check')}: sum of balances ${total} = sum of the ledger ${ledgerTotal} ${total === ledgerTotal ? '✓' : '✗'}`);
await storage.close?.();
if (total !== ledgerTotal) process.exit(1);
