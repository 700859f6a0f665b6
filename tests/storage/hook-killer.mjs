// One process that redeems once through the referenceCoupons hooks and dies (SIGKILL) at a
// chosen step. The shop's coupon system is a log file both this process and the test read:
// one JSON line per coupon created or voided, written before the hook returns. Run by
// hooks.test.mjs.
//   node hook-killer.mjs <storage spec> <shop log> <account id> <reward id> <step>
// Steps: before-reserve, after-reserve (commit 1 applied), in-create (the shop created the
// coupon, the hook has not returned), before-confirm (the hook returned), after-confirm (the
// points taken, no answer yet); with a create that fails: after-fail (the coupon FAILED, not
// voided), in-void (the shop voided it, not recorded yet); after-refund (a refund of the
// redeemed coupon committed, its shop coupon not voided yet); none: no kill.
import { appendFileSync } from 'node:fs';
import { createLoyaltyBackend } from 'wix-loyalty-wasm';
import { openStorage } from './helpers.mjs';

const [spec, shopLog, accountId, rewardId, step] = process.argv.slice(2);
const die = () => process.kill(process.pid, 'SIGKILL');
const storage = await openStorage(spec);
let commits = 0;
const commit = storage.commit.bind(storage);
// The commits of a redemption through hooks: 1 reserve, 2 confirm (or 2 failed, 3 voided).
storage.commit = async (writes) => {
  commits += 1;
  if ((step === 'before-reserve' && commits === 1) || (step === 'before-confirm' && commits === 2)) die();
  const outcome = await commit(writes);
  if ((step === 'after-reserve' && commits === 1) || (step === 'after-confirm' && commits === 2) || (step === 'after-fail' && commits === 2) || (step === 'after-refund' && commits === 3)) die();
  return outcome;
};
const failCreate = step === 'after-fail' || step === 'in-void';
const loyalty = createLoyaltyBackend({
  storage,
  referenceCoupons: {
    create: async ({ referenceCouponId }) => {
      if (failCreate) throw new Error('the shop is down');
      const code = `SHOP-${referenceCouponId.slice(0, 8)}`;
      appendFileSync(shopLog, `${JSON.stringify({ created: referenceCouponId, code })}\n`);
      if (step === 'in-create') die();
      return { code };
    },
    void: async ({ referenceCouponId }) => {
      appendFileSync(shopLog, `${JSON.stringify({ voided: referenceCouponId })}\n`);
      if (step === 'in-void') die();
    },
  },
});
let outcome;
try {
  outcome = { coupon: (await loyalty.coupons.redeemPointsForCoupon(rewardId, { loyaltyAccountId: accountId, idempotencyKey: 'once' })).coupon };
  if (step === 'after-refund') await loyalty.refunds.refundLoyaltyCoupon(outcome.coupon._id);
} catch (e) {
  outcome = { error: e.reason };
}
await storage.close();
process.stdout.write(`${JSON.stringify(outcome)}\n`);
