// The plain-JS baseline: the same operations with the same semantics (validation, revision,
// one ledger entry written in the same three places, idempotency records, program status
// gates, Wix-shaped results with Date fields) over the same storage interface, written by
// hand in JavaScript (its argument checks are bench/tight.mjs's). A full bench run compares it
// with the tight baseline, to show what the storage contract costs plain code.

import { TightError as PlainError, LOYALTY_APP, guid, earnArgs, adjustArgs, rewardArgs, codeOf, couponView } from './tight.mjs';

const pad = (n, w) => String(n).padStart(w, '0');

function view(a) {
  return {
    _id: a.id,
    contactId: a.contactId,
    points: { ...a.points },
    rewardAvailable: a.rewardAvailable === true,
    _createdDate: new Date(a.createdMs),
    _updatedDate: new Date(a.updatedMs),
    ...(a.lastActivityMs ? { lastActivityDate: new Date(a.lastActivityMs) } : {}),
    revision: String(a.revision),
    tier: { points: a.tierPoints },
    contact: { _id: a.contactId, picture: { _id: '', url: '', height: 0, width: 0 } },
    pointsExpiration: { expiringPointsAmount: 0 },
  };
}

export function createPlainLoyalty({ storage, now = Date.now, newId = () => crypto.randomUUID() }) {
  async function program() {
    const [p] = await storage.read(['program']);
    return p ? JSON.parse(p.value) : { status: 'DRAFT' };
  }

  async function change(accountId, compute, extra) {
    for (let attempt = 0; attempt < 64; attempt++) {
      // The prices of the active rewards decide rewardAvailable: read with the account, checked at the commit.
      const keys = [`acct/${accountId}`, ...(extra?.keys ?? []), 'reward-prices'];
      const found = await storage.read(keys);
      const prices = found[found.length - 1];
      const lowest = prices ? JSON.parse(prices.value).costs[0]?.[0] : undefined;
      const early = extra?.check?.(found);
      if (early) return early;
      if (!found[0]) throw new PlainError('NOT_FOUND', 'ACCOUNT_NOT_FOUND', `account ${accountId} does not exist`);
      const a = JSON.parse(found[0].value);
      const { delta, kind, txnExtra } = compute(a);
      const t = Math.max(now(), a.updatedMs);
      a.points.balance += delta;
      if (kind === 'EARN') a.points.earned += delta;
      else if (kind === 'REDEEM') a.points.redeemed -= delta;
      else a.points.adjusted += delta;
      if (kind !== 'REDEEM') a.tierPoints += delta;
      a.revision += 1;
      a.updatedMs = t;
      a.lastActivityMs = t;
      a.rewardAvailable = lowest !== undefined && a.points.balance >= lowest;
      const id = newId();
      const txn = JSON.stringify({ schema: 1, id, accountId, accountRevision: a.revision, createdMs: t, amount: delta, transactionType: kind, ...txnExtra(id) });
      const writes = [
        { key: `acct/${accountId}`, value: JSON.stringify(a), version: found[0].version },
        { key: `txn/${id}`, value: txn, version: 0 },
        { key: `ledger/${accountId}/${pad(a.revision, 20)}`, value: txn, version: 0 },
        { key: `ledger-time/${pad(t, 15)}/${accountId}/${pad(a.revision, 20)}`, value: txn, version: 0 },
        ...(extra?.writes?.(id, a) ?? []),
        { key: 'reward-prices', value: null, version: prices?.version ?? 0 },
      ];
      const outcome = await storage.commit(writes);
      if (outcome.ok) return extra?.result ? extra.result(id, a) : { account: view(a), transactionId: id };
    }
    throw new PlainError('ABORTED', 'TOO_MANY_CONFLICTS', 'gave up');
  }

  return {
    async createAccount(contactId) {
      const c = guid(contactId, 'contactId');
      const p = await program();
      if (p.status !== 'ACTIVE') throw new PlainError('FAILED_PRECONDITION', 'PROGRAM_NOT_ACTIVE', 'program not active');
      const t = now();
      const a = { schema: 1, id: newId(), contactId: c, points: { balance: 0, earned: 0, adjusted: 0, redeemed: 0, expired: 0 }, tierPoints: 0, revision: 1, createdMs: t, updatedMs: t, contact: {} };
      const outcome = await storage.commit([
        { key: `acct/${a.id}`, value: JSON.stringify(a), version: 0 },
        { key: `contact/${c}`, value: JSON.stringify({ schema: 1, accountId: a.id }), version: 0 },
      ]);
      if (!outcome.ok) throw new PlainError('ALREADY_EXISTS', 'ACCOUNT_ALREADY_EXISTS', `contact ${c} has an account`);
      return { account: view(a) };
    },

    async getAccount(id) {
      const [found] = await storage.read([`acct/${guid(id, '_id')}`]);
      if (!found) throw new PlainError('NOT_FOUND', 'ACCOUNT_NOT_FOUND', `account ${id} does not exist`);
      return view(JSON.parse(found.value));
    },

    async earnPoints(accountId, options) {
      const { id, amount, appId, key, description } = earnArgs(accountId, options);
      const request = { accountId: id, amount, appId, description };
      return change(id, () => ({ delta: amount, kind: 'EARN', txnExtra: () => ({ description: description ?? '', idempotencyKey: key, earnInfo: { appId, activityType: '' } }) }), {
        keys: [`idem/${key}`, 'program'],
        check: ([, idem, p]) => {
          if (idem) {
            const r = JSON.parse(idem.value);
            if (JSON.stringify(r.request) !== JSON.stringify(request)) throw new PlainError('FAILED_PRECONDITION', 'IDEMPOTENCY_KEY_REUSED', 'key reused');
            return { account: view(r.account), transactionId: r.transactionId };
          }
          if (!p || JSON.parse(p.value).status !== 'ACTIVE') throw new PlainError('FAILED_PRECONDITION', 'PROGRAM_NOT_ACTIVE', 'program not active');
          return null;
        },
        writes: (txnId, a) => [{ key: `idem/${key}`, value: JSON.stringify({ schema: 1, request, transactionId: txnId, account: a }), version: 0 }],
      });
    },

    async adjustPoints(accountId, options) {
      const { id, balance, amount, description, revision } = adjustArgs(accountId, options);
      return change(id, (a) => {
        if (revision !== undefined && revision !== String(a.revision)) throw new PlainError('ABORTED', 'REVISION_MISMATCH', 'stale revision');
        const before = a.points.balance;
        const after = balance ?? before + amount;
        if (after < 0) throw new PlainError('FAILED_PRECONDITION', 'INSUFFICIENT_POINTS', 'not enough points');
        return { delta: after - before, kind: 'ADJUST', txnExtra: (txnId) => ({ description: description ?? '', idempotencyKey: txnId, adjustInfo: { appId: LOYALTY_APP, amountBefore: before, amountAfter: after } }) };
      });
    },

    async createReward(reward) {
      const r = { schema: 1, id: newId(), revision: 1, createdMs: now(), ...rewardArgs(reward) };
      const [prices] = await storage.read(['reward-prices']);
      const costs = prices ? JSON.parse(prices.value).costs : [];
      if (r.active) costs.push([r.cost, 1]);
      costs.sort((x, y) => x[0] - y[0]);
      await storage.commit([
        { key: `reward/${r.id}`, value: JSON.stringify(r), version: 0 },
        { key: 'reward-prices', value: JSON.stringify({ schema: 1, costs }), version: prices?.version ?? 0 },
      ]);
      return { _id: r.id, name: r.name, active: r.active, type: 'COUPON_REWARD', couponReward: { [r.kind]: { configsByTier: [{ ...r.config }] } }, revision: '1', _createdDate: new Date(r.createdMs), _updatedDate: new Date(r.createdMs) };
    },

    /** One commit: the account, the REDEEM in its three places, the coupon, its code, its listing, and the reward's version checked. */
    async redeemPointsForCoupon(rewardId, options) {
      const rid = guid(rewardId, 'rewardId');
      if (typeof options !== 'object' || options === null) throw new PlainError('INVALID_ARGUMENT', 'REQUIRED_FIELD', 'options is required');
      const id = guid(options.loyaltyAccountId, 'options.loyaltyAccountId');
      let reward;
      let rewardVersion;
      let coupon;
      return change(id, (a) => {
        if (a.points.balance < reward.cost) throw new PlainError('FAILED_PRECONDITION', 'INSUFFICIENT_POINTS', 'not enough points');
        return { delta: -reward.cost, kind: 'REDEEM', txnExtra: () => ({ description: reward.name, idempotencyKey: '', redeemInfo: { rewardId: rid, rewardType: 'COUPON_REWARD' } }) };
      }, {
        keys: ['program', `reward/${rid}`],
        check: ([, p, r]) => {
          if (!p || JSON.parse(p.value).status !== 'ACTIVE') throw new PlainError('FAILED_PRECONDITION', 'PROGRAM_NOT_ACTIVE', 'program not active');
          if (!r) throw new PlainError('NOT_FOUND', 'REWARD_NOT_FOUND', `reward ${rid} does not exist`);
          reward = JSON.parse(r.value);
          rewardVersion = r.version;
          if (!reward.active) throw new PlainError('FAILED_PRECONDITION', 'REWARD_NOT_ACTIVE', 'reward not active');
          return null;
        },
        writes: (txnId, a) => {
          const referenceId = newId();
          const type = reward.kind === 'fixedAmount' ? 'MONEY_OFF_AMOUNT' : reward.kind === 'percentage' ? 'PERCENT_OFF_RATE' : 'FREE_SHIPPING';
          coupon = { id: newId(), accountId: a.id, transactionId: txnId, referenceId, code: codeOf(referenceId), rewardName: reward.name, type, createdMs: a.updatedMs };
          const index = JSON.stringify({ schema: 1, couponId: coupon.id });
          return [
            { key: `coupon/${coupon.id}`, value: JSON.stringify({ schema: 1, ...coupon }), version: 0 },
            { key: `coupon-code/${coupon.code}`, value: index, version: 0 },
            { key: `account-coupon/${a.id}/${coupon.id}`, value: index, version: 0 },
            { key: `reward/${rid}`, value: null, version: rewardVersion },
          ];
        },
        result: () => ({ coupon: couponView(coupon) }),
      });
    },

    async queryLoyaltyTransactions(accountId, limit = 50) {
      const id = guid(accountId, 'accountId');
      const rows = await storage.scan({ prefix: `ledger/${id}/`, limit: limit + 1, reverse: true });
      const items = rows.slice(0, limit).map((r) => {
        const t = JSON.parse(r.value);
        return { _id: t.id, accountId: t.accountId, _createdDate: new Date(t.createdMs), amount: t.amount, transactionType: t.transactionType, description: t.description, idempotencyKey: t.idempotencyKey };
      });
      return { items, hasNext: rows.length > limit };
    },

    async activate() {
      const [p] = await storage.read(['program']);
      await storage.commit([{ key: 'program', value: JSON.stringify({ schema: 1, status: 'ACTIVE' }), version: p ? p.version : 0 }]);
    },
  };
}
