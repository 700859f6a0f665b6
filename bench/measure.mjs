// The measuring of the bench, shared by bench/run.mjs and bench/opt-levels.mjs: concurrent
// callers driving an operation for a while, two implementations measured in turns, and the
// benchmarked operations of the engine and of its plain-JS baselines.
import { guid } from './fill.mjs';
import { createPlainLoyalty } from './plain.mjs';
import { createTightLoyalty } from './tight.mjs';

let runId = Date.now() % 100000;

/** A fresh run number: the contact ids of one measurement never meet another's. */
export function nextRun() {
  return ++runId;
}

/** Runs `side.op(caller, i)` from `callers` concurrent loops for `ms` (`i` unique per call). */
export async function drive(side, callers, ms, record) {
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(Array.from({ length: callers }, async (_, c) => {
    while (performance.now() < deadline) {
      const i = side.next++;
      const t0 = performance.now();
      await side.op(c, i);
      if (record) side.latencies.push(performance.now() - t0);
    }
  }));
  if (record) side.elapsed += performance.now() - start;
}

export function summary({ latencies, elapsed }) {
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] * 1000;
  return { opsPerSec: Math.round((latencies.length / elapsed) * 1000), p50us: Math.round(pct(50)), p99us: Math.round(pct(99)), ops: latencies.length };
}

const side = (op) => ({ op, latencies: [], elapsed: 0, next: 0 });

/**
 * A full collection, then a turn of the event loop so that finalizers run: a dropped
 * `memoryStorage()` gives its wasm memory back only then (the operations on it resolve as
 * microtasks, so without a turn the stores of earlier measurements would pile up).
 */
export async function collect() {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  globalThis.gc();
}

/** Runs `op(caller, i)` from `callers` concurrent loops for `ms` after a warm-up; ops/s and latency percentiles. */
export async function measure(op, callers, ms) {
  const s = side(op);
  await drive(s, callers, ms / 4, false);
  await drive(s, callers, ms, true);
  return summary(s);
}

/**
 * Measures two implementations of an operation in turns (three rounds each, `ms` in all per
 * side, after a warm-up of both), so that both see the same drift of the machine and of the
 * database (a growing table, a checkpoint, another process): `[a, b]`.
 */
export async function measureBoth(opA, opB, callers, ms, rounds = 3) {
  const sides = [side(opA), side(opB)];
  for (const s of sides) await drive(s, callers, ms / 4, false);
  for (let r = 0; r < rounds; r++) for (const s of sides) await drive(s, callers, ms / rounds, true);
  return sides.map(summary);
}

/**
 * The benchmarked operations of one implementation, with `callers` accounts ready (each with a
 * ledger of 60 entries). `api` has createAccount, earnPoints, adjustPoints and getAccount;
 * `queryPage(accountId)` reads 50 transactions; `coupons` (when given) has `createReward(reward)`
 * and `redeem(rewardId, accountId)`, for redeemPointsForCoupon.
 */
export async function operations(api, queryPage, callers, coupons) {
  const run = nextRun();
  const ids = [];
  for (let c = 0; c < callers; c++) {
    const { account } = await api.createAccount(guid(run, c));
    await api.adjustPoints(account._id, { amount: 1_000_000 });
    for (let k = 0; k < 60; k++) await api.adjustPoints(account._id, { amount: 1 });
    ids.push(account._id);
  }
  let created = 0;
  // A reward of 1 point: the accounts can afford a million redemptions each.
  const reward = coupons && (await coupons.createReward({ name: 'Bench', active: true, couponReward: { freeShipping: { configsByTier: [{ costInPoints: 1 }] } } }));
  return {
    ...(coupons ? { redeemPointsForCoupon: (c) => coupons.redeem(reward._id, ids[c]) } : {}),
    createAccount: (c) => api.createAccount(guid(run + 50_000 + c, created++)),
    earnPoints: (c, i) => api.earnPoints(ids[c], { amount: 1, appId: 'bench', idempotencyKey: `${run}-${c}-${i}` }),
    adjustPoints: (c) => api.adjustPoints(ids[c], { amount: 1 }),
    getAccount: (c) => api.getAccount(ids[c]),
    queryPage: (c) => queryPage(ids[c]),
  };
}

/** The engine (with `options`) or the plain-JS baseline over `storage`, with an active program. */
export async function subject(kind, storage, callers, setup = async () => {}, options = {}, engine = {}) {
  if (kind === 'engine') {
    const loyalty = engine.createLoyaltyBackend({ storage, ...options });
    await loyalty.programs.activateLoyaltyProgram();
    await setup(loyalty);
    const coupons = { createReward: (r) => loyalty.rewards.createReward(r), redeem: (rewardId, id) => loyalty.coupons.redeemPointsForCoupon(rewardId, { loyaltyAccountId: id }) };
    return operations(loyalty.accounts, (id) => loyalty.transactions.queryLoyaltyTransactions().eq('accountId', id).limit(50).find(), callers, coupons);
  }
  const couponsOf = (b) => ({ createReward: (r) => b.createReward(r), redeem: (rewardId, id) => b.redeemPointsForCoupon(rewardId, { loyaltyAccountId: id }) });
  if (kind === 'tight') {
    const tight = createTightLoyalty();
    await tight.activate();
    return operations(tight, (id) => tight.queryLoyaltyTransactions(id, 50), callers, couponsOf(tight));
  }
  const plain = createPlainLoyalty({ storage });
  await plain.activate();
  return operations(plain, (id) => plain.queryLoyaltyTransactions(id, 50), callers, couponsOf(plain));
}

