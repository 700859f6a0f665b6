// Reference coupons from the host's own coupon system, killed at each step: a process redeems
// through the referenceCoupons hooks and is SIGKILLed before or after each commit and inside
// each hook (hook-killer.mjs), and after a refund's commit, on SQLite and PostgreSQL. Then settleCoupons() runs, and the
// store and the shop must agree: no points taken without a usable coupon, no usable coupon
// without its points, and verify() clean. A retry with the same key redeems once in the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLoyaltyBackend } from 'wix-loyalty-wasm';
import { openStorage, postgresUrl } from './helpers.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const STEPS = ['none', 'before-reserve', 'after-reserve', 'in-create', 'before-confirm', 'after-confirm', 'after-fail', 'in-void', 'after-refund'];

function shopOf(log) {
  const created = new Map();
  const voided = new Set();
  if (existsSync(log)) {
    for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
      const e = JSON.parse(line);
      if (e.created) created.set(e.created, e.code);
      if (e.voided) voided.add(e.voided);
    }
  }
  return { created, voided };
}

/** Every coupon of the store, through the API. */
async function allCoupons(loyalty) {
  return (await loyalty.coupons.queryLoyaltyCoupons({ cursorPaging: { limit: 100 } })).loyaltyCoupons;
}

async function checkAgreement(loyalty, log, accountId, what) {
  const { created, voided } = shopOf(log);
  const coupons = await allCoupons(loyalty);
  const usable = (ref) => created.has(ref) && !voided.has(ref);
  const active = coupons.filter((c) => c.status === 'ACTIVE');
  for (const c of coupons) {
    const ref = c.couponReference.couponId;
    if (c.status === 'ACTIVE') assert.ok(usable(ref) && created.get(ref) === c.couponReference.code, `${what}: ACTIVE coupon ${c._id} has a usable shop coupon`);
    else assert.ok(['FAILED', 'ARCHIVED'].includes(c.status), `${what}: settled, coupon ${c._id} is ${c.status}`);
    if (c.status !== 'ACTIVE') assert.ok(!usable(ref), `${what}: ${c.status} coupon ${c._id}'s shop coupon is void`);
  }
  for (const ref of created.keys()) {
    if (!voided.has(ref)) assert.ok(active.some((c) => c.couponReference.couponId === ref), `${what}: usable shop coupon ${ref} has its ACTIVE coupon`);
  }
  const account = await loyalty.accounts.getAccount(accountId);
  assert.equal(account.points.balance, 100 - 10 * active.length, `${what}: points taken for each ACTIVE coupon, and only for those`);
  const report = await loyalty.verify();
  assert.deepEqual(report.discrepancies, [], `${what}: verify()`);
  return active.length;
}

async function killAtEachStep(spec, label) {
  const dir = mkdtempSync(join(tmpdir(), 'wix-loyalty-hooks-'));
  try {
    for (const step of STEPS) {
      const storeSpec = spec(dir, step);
      const log = join(dir, `${step}.shop`);
      const hooks = {
        create: async () => assert.fail('the checking backend redeems only through the child'),
        void: async ({ referenceCouponId }) => {
          execFileSync('node', ['-e', `require('fs').appendFileSync(${JSON.stringify(log)}, JSON.stringify({ voided: ${JSON.stringify(referenceCouponId)} }) + '\\n')`]);
        },
      };
      const storage = await openStorage(storeSpec);
      const loyalty = createLoyaltyBackend({ storage, referenceCoupons: hooks });
      await loyalty.programs.activateLoyaltyProgram();
      const { account } = await loyalty.accounts.createAccount(`cccccccc-0000-4000-8000-${String(STEPS.indexOf(step)).padStart(12, '0')}`);
      await loyalty.accounts.adjustPoints(account._id, { balance: 100 });
      const reward = await loyalty.rewards.createReward({ name: 'Ten off', active: true, couponReward: { fixedAmount: { configsByTier: [{ costInPoints: 10, amount: 10 }] } } });
      let out = '';
      let killed = false;
      try {
        out = execFileSync('node', [join(here, 'hook-killer.mjs'), storeSpec, log, account._id, reward._id, step], { encoding: 'utf8', env: process.env });
      } catch (e) {
        killed = e.signal === 'SIGKILL';
        assert.ok(killed, `${label} ${step}: the child died of SIGKILL (${e.signal ?? e.status}): ${e.stderr}`);
      }
      assert.equal(killed, step !== 'none', `${label} ${step}: killed exactly when asked`);
      if (!killed) assert.ok(JSON.parse(out).coupon, `${label}: the redemption without a kill succeeded`);
      const settled = await loyalty.jobs.settleCoupons({ olderThanMs: 0 });
      assert.equal(settled.failed, 0, `${label} ${step}: every void succeeded`);
      const paid = await checkAgreement(loyalty, log, account._id, `${label} ${step}`);
      assert.equal(paid, ['none', 'after-confirm'].includes(step) ? 1 : 0, `${label} ${step}: the points were taken once the commit was applied`);
      await storage.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('SQLite: a redemption through the coupon hooks killed at each step leaves store and shop in agreement', async () => {
  await killAtEachStep((dir, step) => `sqlite:${join(dir, `${step}.db`)}`, 'SQLite');
});

test('PostgreSQL: a redemption through the coupon hooks killed at each step leaves store and shop in agreement', async () => {
  let n = 0;
  await killAtEachStep(() => {
    n += 1;
    process.env.WIX_LOYALTY_PG_TABLE = `hooks_${process.pid}_${n}`;
    return `postgres:${postgresUrl()}`;
  }, 'PostgreSQL');
});
