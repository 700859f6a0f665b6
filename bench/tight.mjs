// The tight plain-JS baseline: the benchmarked operations with the engine's semantics
// (validation, program status gate, revision, one ledger entry kept in its three places, the
// idempotency record with the request it answers, per-account serialization, Wix-shaped results
// with Date fields, results that never alias stored state), written as fast as plain
// JavaScript allows: records are objects in Maps, no encoding, no storage interface, no awaits
// inside an operation. The budgets of `npm run bench` measure the engine against this.
//
// It is a baseline, not a second engine: it covers exactly what bench/run.mjs drives.

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const LOYALTY_APP = '553c79f3-5625-4f38-b14b-ef7c0d1e87df';

export class TightError extends Error {
  constructor(code, reason, message) {
    super(`${code}: ${message}`);
    this.code = code;
    this.reason = reason;
  }
}
export const invalid = (field, why) => new TightError('INVALID_ARGUMENT', 'INVALID', `"${field}" ${why}`);
export function int(v, field, min, max) {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(field, `must be a whole number from ${min} to ${max}`);
  return v;
}
export function str(v, field, min, max, required) {
  if (v === undefined || v === null) {
    if (required) throw invalid(field, 'is required');
    return undefined;
  }
  if (typeof v !== 'string' || v.length < min || v.length > max) throw invalid(field, `must be ${min} to ${max} characters`);
  return v;
}
export function guid(v, field) {
  if (typeof v !== 'string' || !GUID.test(v)) throw invalid(field, 'must be a GUID');
  return v.toLowerCase();
}

/** earnPoints' arguments, checked (shared with bench/plain.mjs). */
export function earnArgs(accountId, options) {
  const id = guid(accountId, 'accountId');
  if (typeof options !== 'object' || options === null) throw invalid('options', 'is required');
  return {
    id,
    amount: int(options.amount, 'options.amount', 1, 9_999_999),
    appId: str(options.appId, 'options.appId', 1, 100, true),
    key: str(options.idempotencyKey, 'options.idempotencyKey', 1, 256, true),
    description: str(options.description, 'options.description', 1, 100, false),
  };
}

/** adjustPoints' arguments, checked: `balance` or a non-zero `amount` (shared with bench/plain.mjs). */
export function adjustArgs(accountId, options) {
  const id = guid(accountId, 'accountId');
  if (typeof options !== 'object' || options === null) throw invalid('options.amount', 'or options.balance is required');
  let balance;
  let amount;
  if (options.balance !== undefined && options.balance !== null) balance = int(options.balance, 'options.balance', 0, 999_999_999);
  else {
    amount = int(options.amount, 'options.amount', -9_999_999, 9_999_999);
    if (amount === 0) throw invalid('options.amount', 'must not be 0');
  }
  const description = str(options.description, 'options.description', 1, 100, false);
  const revision = options.revision === undefined ? undefined : String(options.revision);
  return { id, balance, amount, description, revision };
}

/** The account as the SDK answers it: fresh objects, Dates. */
function view(a) {
  const p = a.points;
  const out = {
    _id: a.id,
    contactId: a.contactId,
    points: { balance: p.balance, earned: p.earned, adjusted: p.adjusted, redeemed: p.redeemed, expired: p.expired },
    rewardAvailable: a.rewardAvailable === true,
    _createdDate: new Date(a.createdMs),
    _updatedDate: new Date(a.updatedMs),
    revision: String(a.revision),
    tier: { points: a.tierPoints },
    contact: { _id: a.contactId, picture: { _id: '', url: '', height: 0, width: 0 } },
    pointsExpiration: { expiringPointsAmount: 0 },
  };
  if (a.lastActivityMs) out.lastActivityDate = new Date(a.lastActivityMs);
  return out;
}

/** The reward this baseline knows: a coupon reward with one base price. */
export function rewardArgs(reward) {
  if (typeof reward !== 'object' || reward === null) throw invalid('reward', 'is required');
  const name = str(reward.name, 'reward.name', 1, 50, true);
  const c = reward.couponReward;
  const kind = c && (c.fixedAmount ? 'fixedAmount' : c.percentage ? 'percentage' : c.freeShipping ? 'freeShipping' : null);
  if (!kind) throw invalid('reward.couponReward', 'is required');
  const configs = c[kind].configsByTier;
  if (!Array.isArray(configs) || configs.length !== 1) throw invalid('reward.couponReward.configsByTier', 'must hold the base price');
  const cost = int(configs[0].costInPoints, 'costInPoints', 1, 9_999_999);
  return { name, active: reward.active === true, kind, config: { ...configs[0] }, cost };
}

/** A coupon's code from its reference id (as the engine's: LOY- and 12 hex digits of a hash). */
export function codeOf(referenceId) {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < referenceId.length; i++) h = BigInt.asUintN(64, (h ^ BigInt(referenceId.charCodeAt(i))) * 0x100000001b3n);
  const hex = (h & 0xffffffffffffn).toString(16).padStart(12, '0').toUpperCase();
  return `LOY-${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8, 12)}`;
}

/** A loyalty coupon as the SDK answers it (fresh objects, Dates). */
export function couponView(c) {
  const spec = { name: c.rewardName, type: c.type };
  if (c.type === 'FREE_SHIPPING') spec.freeShipping = true;
  return {
    _id: c.id, accountId: c.accountId, memberIdDeprecated: '', transactionId: c.transactionId,
    couponReference: { couponId: c.referenceId, code: c.code, name: c.rewardName, specification: spec, deleted: false },
    status: 'ACTIVE', rewardName: c.rewardName, revision: '1', _createdDate: new Date(c.createdMs), _updatedDate: new Date(c.createdMs),
  };
}

function txnView(t) {
  const out = {
    _id: t.id, accountId: t.accountId, _createdDate: new Date(t.createdMs), amount: t.amount,
    transactionType: t.transactionType, description: t.description, idempotencyKey: t.idempotencyKey,
  };
  if (t.earnInfo) out.earnInfo = { appId: t.earnInfo.appId, activityType: t.earnInfo.activityType };
  if (t.adjustInfo) out.adjustInfo = { appId: t.adjustInfo.appId, amountBefore: t.adjustInfo.amountBefore, amountAfter: t.adjustInfo.amountAfter };
  return out;
}

export function createTightLoyalty({ now = Date.now, newId = () => crypto.randomUUID() } = {}) {
  let programStatus = 'DRAFT';
  const accounts = new Map(); // id → account
  const byContact = new Map(); // contactId → account id
  const transactions = new Map(); // id → transaction
  const ledgers = new Map(); // account id → its transactions, oldest first
  const ledgerByTime = []; // every transaction, in commit order (which is time order)
  const idempotency = new Map(); // key → { request, transactionId, account snapshot }
  const busy = new Map(); // account id → tail of its queue (only while an operation awaits)
  const rewards = new Map(); // id → reward
  let lowest = Infinity; // the lowest price of an active reward: decides rewardAvailable
  const coupons = new Map(); // id → coupon
  const codes = new Set(); // coupon codes in use

  /** Runs `fn` once no earlier operation of `id` is in flight (none ever is: nothing awaits). */
  function serialized(id, fn) {
    const tail = busy.get(id);
    if (tail === undefined) return fn();
    const next = tail.then(fn);
    busy.set(id, next);
    return next;
  }

  function record(a, delta, kind, extra) {
    const t = Math.max(now(), a.updatedMs);
    const p = a.points;
    p.balance += delta;
    if (kind === 'EARN') p.earned += delta;
    else if (kind === 'REDEEM') p.redeemed -= delta;
    else p.adjusted += delta;
    if (kind !== 'REDEEM') a.tierPoints += delta;
    a.rewardAvailable = p.balance >= lowest;
    a.revision += 1;
    a.updatedMs = t;
    a.lastActivityMs = t;
    const id = newId();
    const txn = { id, accountId: a.id, accountRevision: a.revision, createdMs: t, amount: delta, transactionType: kind, ...extra(id) };
    transactions.set(id, txn);
    ledgers.get(a.id).push(txn);
    ledgerByTime.push(txn);
    return txn;
  }

  function account(id) {
    const a = accounts.get(id);
    if (a === undefined) throw new TightError('NOT_FOUND', 'ACCOUNT_NOT_FOUND', `account ${id} does not exist`);
    return a;
  }

  function active() {
    if (programStatus !== 'ACTIVE') throw new TightError('FAILED_PRECONDITION', 'PROGRAM_NOT_ACTIVE', 'program not active');
  }

  return {
    async activate() {
      programStatus = 'ACTIVE';
    },

    async createAccount(contactId) {
      const c = guid(contactId, 'contactId');
      active();
      if (byContact.has(c)) throw new TightError('ALREADY_EXISTS', 'ACCOUNT_ALREADY_EXISTS', `contact ${c} has an account`);
      const t = now();
      const a = {
        id: newId(), contactId: c, points: { balance: 0, earned: 0, adjusted: 0, redeemed: 0, expired: 0 },
        tierPoints: 0, revision: 1, createdMs: t, updatedMs: t, lastActivityMs: 0,
      };
      accounts.set(a.id, a);
      byContact.set(c, a.id);
      ledgers.set(a.id, []);
      return { account: view(a) };
    },

    async getAccount(id) {
      return view(account(guid(id, '_id')));
    },

    async earnPoints(accountId, options) {
      const { id, amount, appId, key, description: text } = earnArgs(accountId, options);
      const description = text ?? '';
      return serialized(id, () => {
        const seen = idempotency.get(key);
        if (seen !== undefined) {
          const r = seen.request;
          if (r.accountId !== id || r.amount !== amount || r.appId !== appId || r.description !== description) {
            throw new TightError('FAILED_PRECONDITION', 'IDEMPOTENCY_KEY_REUSED', 'key reused');
          }
          return { account: view(seen.account), transactionId: seen.transactionId };
        }
        active();
        const a = account(id);
        const txn = record(a, amount, 'EARN', () => ({ description, idempotencyKey: key, earnInfo: { appId, activityType: '' } }));
        const snapshot = { ...a, points: { ...a.points } };
        idempotency.set(key, { request: { accountId: id, amount, appId, description }, transactionId: txn.id, account: snapshot });
        return { account: view(a), transactionId: txn.id };
      });
    },

    async adjustPoints(accountId, options) {
      const { id, balance, amount, description: text, revision } = adjustArgs(accountId, options);
      const description = text ?? '';
      return serialized(id, () => {
        const a = account(id);
        if (revision !== undefined && revision !== String(a.revision)) throw new TightError('ABORTED', 'REVISION_MISMATCH', 'stale revision');
        const before = a.points.balance;
        const after = balance ?? before + amount;
        if (after < 0) throw new TightError('FAILED_PRECONDITION', 'INSUFFICIENT_POINTS', 'not enough points');
        const txn = record(a, after - before, 'ADJUST', (txnId) => ({
          description, idempotencyKey: txnId, adjustInfo: { appId: LOYALTY_APP, amountBefore: before, amountAfter: after },
        }));
        return { account: view(a), transactionId: txn.id };
      });
    },

    async createReward(reward) {
      const r = { id: newId(), revision: 1, createdMs: now(), ...rewardArgs(reward) };
      rewards.set(r.id, r);
      if (r.active && r.cost < lowest) lowest = r.cost;
      return { _id: r.id, name: r.name, active: r.active, type: 'COUPON_REWARD', couponReward: { [r.kind]: { configsByTier: [{ ...r.config }] } }, revision: '1', _createdDate: new Date(r.createdMs), _updatedDate: new Date(r.createdMs) };
    },

    /** Spends a reward's base price on a coupon: program, reward and balance checked, one ledger entry, a unique code. */
    async redeemPointsForCoupon(rewardId, options) {
      const rid = guid(rewardId, 'rewardId');
      if (typeof options !== 'object' || options === null) throw invalid('options', 'is required');
      const id = guid(options.loyaltyAccountId, 'options.loyaltyAccountId');
      return serialized(id, () => {
        active();
        const a = account(id);
        const r = rewards.get(rid);
        if (r === undefined) throw new TightError('NOT_FOUND', 'REWARD_NOT_FOUND', `reward ${rid} does not exist`);
        if (!r.active) throw new TightError('FAILED_PRECONDITION', 'REWARD_NOT_ACTIVE', 'reward not active');
        if (a.points.balance < r.cost) throw new TightError('FAILED_PRECONDITION', 'INSUFFICIENT_POINTS', 'not enough points');
        const couponId = newId();
        let referenceId = newId();
        while (codes.has(codeOf(referenceId))) referenceId = newId();
        const txn = record(a, -r.cost, 'REDEEM', () => ({ description: r.name, idempotencyKey: '', redeemInfo: { rewardId: rid, rewardType: 'COUPON_REWARD', referenceEntityId: referenceId } }));
        const type = r.kind === 'fixedAmount' ? 'MONEY_OFF_AMOUNT' : r.kind === 'percentage' ? 'PERCENT_OFF_RATE' : 'FREE_SHIPPING';
        const c = { id: couponId, accountId: id, transactionId: txn.id, referenceId, code: codeOf(referenceId), rewardName: r.name, type, createdMs: txn.createdMs };
        codes.add(c.code);
        coupons.set(couponId, c);
        return { coupon: couponView(c) };
      });
    },

    /** The newest `limit` transactions of an account, newest first. */
    async queryLoyaltyTransactions(accountId, limit = 50) {
      const ledger = ledgers.get(guid(accountId, 'accountId')) ?? [];
      const items = [];
      for (let i = ledger.length - 1; i >= 0 && items.length < limit; i--) items.push(txnView(ledger[i]));
      return { items, hasNext: ledger.length > limit };
    },

    /** Entries kept, for a sanity check of the benchmark: every ledger entry in its three places. */
    counts() {
      return { accounts: accounts.size, transactions: transactions.size, byTime: ledgerByTime.length };
    },
  };
}
