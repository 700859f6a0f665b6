// One load-generating process: its own backend over a shared storage, a mixed workload until
// the deadline, then a JSON report on stdout. Run by load.mjs.
//   node worker.mjs <storage spec> <seed> <seconds>
import { createLoyaltyBackend } from 'wix-loyalty-wasm';
import { openStorage, amountFor, contactOf } from './helpers.mjs';

const [spec, seedText, secondsText] = process.argv.slice(2);
let seed = Number(seedText) >>> 0 || 1;
const random = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const pick = (n) => Math.floor(random() * n);

const CONTACTS = 24;
const EXPECTED = new Set(['ACCOUNT_ALREADY_EXISTS', 'ACCOUNT_NOT_FOUND', 'INSUFFICIENT_POINTS', 'REVISION_MISMATCH']);
const storage = await openStorage(spec);
const loyalty = createLoyaltyBackend({ storage });
const counts = {};
const unexpected = [];
const earns = [];
const redeems = [];
const count = (name) => { counts[name] = (counts[name] ?? 0) + 1; };

async function attempt(name, fn) {
  try {
    const r = await fn();
    count(`${name} ok`);
    return r;
  } catch (e) {
    if (e.reason && EXPECTED.has(e.reason)) count(`${name} ${e.reason}`);
    else unexpected.push(`${name}: ${e.code}/${e.reason}: ${e.message}`);
    return null;
  }
}

async function accountOf(contact) {
  try {
    return (await loyalty.accounts.getAccountBySecondaryId({ contactId: contact })).account;
  } catch (e) {
    if (e.reason !== 'ACCOUNT_NOT_FOUND') unexpected.push(`lookup: ${e.code}/${e.reason}: ${e.message}`);
    return null;
  }
}

await attempt('activate', () => loyalty.programs.activateLoyaltyProgram());
// Each process redeems a reward of its own, with keys of its own.
const reward = await loyalty.rewards.createReward({ name: `load ${seedText}`, active: true, couponReward: { freeShipping: { configsByTier: [{ costInPoints: 5 }] } } });
const deadline = Date.now() + Number(secondsText) * 1000;
while (Date.now() < deadline) {
  const c = pick(CONTACTS);
  const contact = contactOf(c);
  const r = random();
  if (r < 0.15) {
    await attempt('create', () => loyalty.accounts.createAccount(contact));
    continue;
  }
  const account = await accountOf(contact);
  if (!account) {
    count('no account yet');
    continue;
  }
  if (r < 0.5) {
    const key = `earn-${c}-${pick(40)}`;
    const options = { amount: amountFor(key), appId: 'load', idempotencyKey: key };
    const first = await attempt('earn', () => loyalty.accounts.earnPoints(account._id, options));
    if (first) earns.push([key, first.transactionId]);
    if (first && random() < 0.3) {
      // The response "timed out": the caller retries the same request.
      const again = await attempt('earn retry', () => loyalty.accounts.earnPoints(account._id, { ...options }));
      if (again && again.transactionId !== first.transactionId) unexpected.push(`retry of ${key} got a new transaction`);
    }
  } else if (r < 0.7) {
    const amount = (random() < 0.5 ? -1 : 1) * (1 + pick(20));
    await attempt('adjust amount', () => loyalty.accounts.adjustPoints(account._id, { amount }));
  } else if (r < 0.75) {
    await attempt('adjust balance', () => loyalty.accounts.adjustPoints(account._id, { balance: pick(200) }));
  } else if (r < 0.85) {
    const options = { loyaltyAccountId: account._id, idempotencyKey: `redeem-${seedText}-${c}-${pick(30)}` };
    const first = await attempt('redeem', () => loyalty.coupons.redeemPointsForCoupon(reward._id, options));
    if (first) redeems.push([account._id, options.idempotencyKey, first.coupon._id]);
    if (first && random() < 0.3) {
      // The response "timed out": the caller retries the same request.
      const again = await attempt('redeem retry', () => loyalty.coupons.redeemPointsForCoupon(reward._id, { ...options }));
      if (again && again.coupon._id !== first.coupon._id) unexpected.push(`retry of ${options.idempotencyKey} got a new coupon`);
    }
  } else {
    const current = await loyalty.accounts.getAccount(account._id);
    await attempt('adjust with revision', () => loyalty.accounts.adjustPoints(account._id, { amount: 1 + pick(9), revision: current.revision }));
  }
}
await storage.close();
process.stdout.write(`${JSON.stringify({ counts, unexpected, earns, redeems })}\n`);
