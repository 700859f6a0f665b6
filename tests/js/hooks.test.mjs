// referenceCoupons: a redemption asks the host's coupon system for its coupon, through the
// direct API on memoryStorage() (the wasm store's path hands the hook steps to JS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoyaltyBackend, memoryStorage } from 'wix-loyalty-wasm';

const CONTACT = 'cccccccc-0000-4000-8000-0000000000a1';

async function setup(shop) {
  const loyalty = createLoyaltyBackend({
    storage: memoryStorage(),
    referenceCoupons: {
      create: async (request) => {
        shop.calls.push(['create', request]);
        if (shop.down) throw new Error('the shop is down');
        return { code: `SHOP-${shop.calls.length}` };
      },
      void: (request) => {
        shop.calls.push(['void', request]);
      },
    },
  });
  await loyalty.programs.activateLoyaltyProgram();
  const { account } = await loyalty.accounts.createAccount(CONTACT);
  await loyalty.accounts.adjustPoints(account._id, { balance: 50 });
  const reward = await loyalty.rewards.createReward({ name: 'Ten off', active: true, couponReward: { fixedAmount: { configsByTier: [{ costInPoints: 20, amount: 10 }] }, minimumSubtotal: 40 } });
  return { loyalty, account, reward };
}

test('the host\'s create hook issues the code, with the reward\'s specification', async () => {
  const shop = { calls: [] };
  const { loyalty, account, reward } = await setup(shop);
  const { coupon } = await loyalty.coupons.redeemPointsForCoupon(reward._id, { loyaltyAccountId: account._id });
  assert.equal(coupon.status, 'ACTIVE');
  assert.equal(coupon.couponReference.code, 'SHOP-1');
  const [[hook, request]] = shop.calls;
  assert.equal(hook, 'create');
  assert.deepEqual(Object.keys(request).sort(), ['accountId', 'loyaltyCouponId', 'memberId', 'name', 'referenceCouponId', 'rewardId', 'specification']);
  assert.equal(request.referenceCouponId, coupon.couponReference.couponId);
  assert.equal(request.loyaltyCouponId, coupon._id);
  assert.deepEqual(request.specification, coupon.couponReference.specification);
  assert.deepEqual(request.specification, { moneyOffAmount: 10, minimumSubtotal: 40, name: 'Ten off', type: 'MONEY_OFF_AMOUNT' });
  assert.equal((await loyalty.accounts.getAccount(account._id)).points.balance, 30);
  assert.equal((await loyalty.verify()).ok, true);
});

test('a failing create hook takes no points, voids, and the coupon reads FAILED', async () => {
  const shop = { calls: [], down: true };
  const { loyalty, account, reward } = await setup(shop);
  await assert.rejects(loyalty.coupons.redeemPointsForCoupon(reward._id, { loyaltyAccountId: account._id }), (e) => {
    assert.equal(e.code, 'UNAVAILABLE');
    assert.equal(e.reason, 'COUPON_HOOK_FAILED');
    assert.match(e.message, /the shop is down/);
    return true;
  });
  assert.deepEqual(shop.calls.map(([h]) => h), ['create', 'void']);
  assert.equal((await loyalty.accounts.getAccount(account._id)).points.balance, 50);
  const { loyaltyCoupons } = await loyalty.coupons.queryLoyaltyCoupons({ filter: { status: 'FAILED' } });
  assert.equal(loyaltyCoupons.length, 1);
  assert.equal(loyaltyCoupons[0].couponReference.couponId, shop.calls[1][1].referenceCouponId);
  assert.deepEqual(await loyalty.jobs.settleCoupons({ olderThanMs: 0 }), { settled: [], waiting: 0, failed: 0 });
  assert.equal((await loyalty.verify()).ok, true);
});

test('referenceCoupons must have both hooks', () => {
  for (const bad of [{}, { create() {} }, { create() {}, void: 1 }, 'hooks']) {
    assert.throws(() => createLoyaltyBackend({ storage: memoryStorage(), referenceCoupons: bad }), (e) => e.code === 'INVALID_ARGUMENT' && /referenceCoupons/.test(e.message));
  }
});
