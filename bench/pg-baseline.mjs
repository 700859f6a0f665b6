// The PostgreSQL baseline: the same operations written by hand against pg, the way a careful
// developer would without this engine: relational tables, one transaction per operation,
// SELECT … FOR UPDATE on the account, UPDATE … RETURNING, the ledger row and the idempotency
// key inserted in the same transaction.
import pg from 'pg';
import { rewardArgs, codeOf, couponView } from './tight.mjs';

const SCHEMA = (p) => `
  CREATE TABLE IF NOT EXISTS ${p}_accounts (
    id UUID PRIMARY KEY, contact_id UUID NOT NULL UNIQUE, balance BIGINT NOT NULL, earned BIGINT NOT NULL,
    adjusted BIGINT NOT NULL, revision BIGINT NOT NULL, created TIMESTAMPTZ NOT NULL, updated TIMESTAMPTZ NOT NULL,
    last_activity TIMESTAMPTZ, redeemed BIGINT NOT NULL DEFAULT 0);
  CREATE TABLE IF NOT EXISTS ${p}_transactions (
    id UUID PRIMARY KEY, account_id UUID NOT NULL, revision BIGINT NOT NULL, created TIMESTAMPTZ NOT NULL,
    amount BIGINT NOT NULL, type TEXT NOT NULL, description TEXT NOT NULL, idempotency_key TEXT UNIQUE,
    app_id TEXT, amount_before BIGINT, amount_after BIGINT, UNIQUE (account_id, revision));
  CREATE TABLE IF NOT EXISTS ${p}_program (id INT PRIMARY KEY, status TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS ${p}_rewards (
    id UUID PRIMARY KEY, name TEXT NOT NULL, active BOOLEAN NOT NULL, kind TEXT NOT NULL, cost BIGINT NOT NULL,
    revision BIGINT NOT NULL, created TIMESTAMPTZ NOT NULL);
  CREATE TABLE IF NOT EXISTS ${p}_coupons (
    id UUID PRIMARY KEY, account_id UUID NOT NULL, transaction_id UUID NOT NULL, reward_id UUID NOT NULL,
    reference_id UUID NOT NULL, code TEXT NOT NULL UNIQUE, reward_name TEXT NOT NULL, status TEXT NOT NULL,
    created TIMESTAMPTZ NOT NULL);
  ALTER TABLE ${p}_accounts ADD COLUMN IF NOT EXISTS reward_available BOOLEAN NOT NULL DEFAULT false;`;

/** rewardAvailable, set in the same UPDATE: the balance against the lowest price of an active reward. */
const AVAILABLE = (p, balance) => `reward_available = ${balance} >= coalesce((SELECT min(cost) FROM ${p}_rewards WHERE active), 'Infinity'::numeric)`;

const view = (r) => ({
  _id: r.id, contactId: r.contact_id,
  points: { balance: Number(r.balance), earned: Number(r.earned), adjusted: Number(r.adjusted), redeemed: Number(r.redeemed), expired: 0 },
  rewardAvailable: r.reward_available, revision: String(r.revision), _createdDate: r.created, _updatedDate: r.updated, lastActivityDate: r.last_activity ?? undefined,
});

export async function createPgBaseline({ connectionString, prefix = 'base', poolSize = 10 }) {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  await pool.query(SCHEMA(prefix));
  await pool.query(`INSERT INTO ${prefix}_program VALUES (1, 'ACTIVE') ON CONFLICT (id) DO UPDATE SET status = 'ACTIVE'`);
  const tx = async (fn) => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const r = await fn(c);
      await c.query('COMMIT');
      return r;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  };
  const check = (ok, message) => {
    if (!ok) throw new Error(message);
  };
  return {
    pool,
    async createAccount(contactId) {
      check(typeof contactId === 'string' && /^[0-9a-f-]{36}$/i.test(contactId), 'contactId must be a GUID');
      // One statement: the program gate and the one-account-per-contact rule included.
      const { rows } = await pool.query(
        `INSERT INTO ${prefix}_accounts SELECT $1, $2, 0, 0, 0, 1, now(), now(), NULL
         WHERE EXISTS (SELECT 1 FROM ${prefix}_program WHERE id = 1 AND status = 'ACTIVE')
         ON CONFLICT (contact_id) DO NOTHING RETURNING *`,
        [crypto.randomUUID(), contactId],
      );
      check(rows.length === 1, 'program not active, or the contact has an account');
      return { account: view(rows[0]) };
    },
    async getAccount(id) {
      const { rows } = await pool.query(`SELECT * FROM ${prefix}_accounts WHERE id = $1`, [id]);
      check(rows.length === 1, 'not found');
      return view(rows[0]);
    },
    async earnPoints(accountId, { amount, appId, idempotencyKey }) {
      check(Number.isInteger(amount) && amount >= 1 && amount <= 9_999_999, 'amount out of range');
      check(typeof appId === 'string' && typeof idempotencyKey === 'string', 'appId and idempotencyKey required');
      return tx(async (c) => {
        const seen = await c.query(`SELECT id FROM ${prefix}_transactions WHERE idempotency_key = $1`, [idempotencyKey]);
        const program = await c.query(`SELECT status FROM ${prefix}_program WHERE id = 1`);
        check(program.rows[0]?.status === 'ACTIVE', 'program not active');
        const locked = await c.query(`SELECT * FROM ${prefix}_accounts WHERE id = $1 FOR UPDATE`, [accountId]);
        check(locked.rows.length === 1, 'not found');
        if (seen.rows.length) return { account: view(locked.rows[0]), transactionId: seen.rows[0].id };
        const { rows } = await c.query(
          `UPDATE ${prefix}_accounts SET balance = balance + $2, earned = earned + $2, revision = revision + 1, updated = now(), last_activity = now(),
           ${AVAILABLE(prefix, 'balance + $2')} WHERE id = $1 RETURNING *`, [accountId, amount]);
        const id = crypto.randomUUID();
        await c.query(`INSERT INTO ${prefix}_transactions VALUES ($1, $2, $3, now(), $4, 'EARN', '', $5, $6, NULL, NULL)`,
          [id, accountId, rows[0].revision, amount, idempotencyKey, appId]);
        return { account: view(rows[0]), transactionId: id };
      });
    },
    async adjustPoints(accountId, { amount }) {
      check(Number.isInteger(amount) && amount !== 0 && Math.abs(amount) <= 9_999_999, 'amount out of range');
      return tx(async (c) => {
        const locked = await c.query(`SELECT balance FROM ${prefix}_accounts WHERE id = $1 FOR UPDATE`, [accountId]);
        check(locked.rows.length === 1, 'not found');
        const before = Number(locked.rows[0].balance);
        check(before + amount >= 0, 'insufficient points');
        const { rows } = await c.query(
          `UPDATE ${prefix}_accounts SET balance = balance + $2, adjusted = adjusted + $2, revision = revision + 1, updated = now(), last_activity = now(),
           ${AVAILABLE(prefix, 'balance + $2')} WHERE id = $1 RETURNING *`, [accountId, amount]);
        const id = crypto.randomUUID();
        await c.query(`INSERT INTO ${prefix}_transactions VALUES ($1, $2, $3, now(), $4, 'ADJUST', '', $8, $5, $6, $7)`,
          [id, accountId, rows[0].revision, amount, '553c79f3-5625-4f38-b14b-ef7c0d1e87df', before, before + amount, id]);
        return { account: view(rows[0]), transactionId: id };
      });
    },
    async createReward(reward) {
      const r = rewardArgs(reward);
      const { rows } = await pool.query(`INSERT INTO ${prefix}_rewards VALUES ($1, $2, $3, $4, $5, 1, now()) RETURNING *`,
        [crypto.randomUUID(), r.name, r.active, r.kind, r.cost]);
      return { _id: rows[0].id, name: r.name, active: r.active, type: 'COUPON_REWARD', revision: '1', _createdDate: rows[0].created };
    },
    /** One transaction: the program, the reward (shared lock: not repriced meanwhile), the account locked, the debit, the ledger row, the coupon with a unique code. */
    async redeemPointsForCoupon(rewardId, { loyaltyAccountId }) {
      check(typeof rewardId === 'string' && typeof loyaltyAccountId === 'string', 'ids required');
      return tx(async (c) => {
        const program = await c.query(`SELECT status FROM ${prefix}_program WHERE id = 1`);
        check(program.rows[0]?.status === 'ACTIVE', 'program not active');
        const reward = await c.query(`SELECT * FROM ${prefix}_rewards WHERE id = $1 FOR SHARE`, [rewardId]);
        check(reward.rows.length === 1 && reward.rows[0].active, 'reward not found or not active');
        const { name, kind } = reward.rows[0];
        const cost = Number(reward.rows[0].cost);
        const locked = await c.query(`SELECT balance FROM ${prefix}_accounts WHERE id = $1 FOR UPDATE`, [loyaltyAccountId]);
        check(locked.rows.length === 1, 'not found');
        check(Number(locked.rows[0].balance) >= cost, 'insufficient points');
        const { rows } = await c.query(
          `UPDATE ${prefix}_accounts SET balance = balance - $2, redeemed = redeemed + $2, revision = revision + 1, updated = now(), last_activity = now(),
           ${AVAILABLE(prefix, 'balance - $2')} WHERE id = $1 RETURNING *`, [loyaltyAccountId, cost]);
        const id = crypto.randomUUID();
        await c.query(`INSERT INTO ${prefix}_transactions VALUES ($1, $2, $3, now(), $4, 'REDEEM', $5, NULL, NULL, NULL, NULL)`,
          [id, loyaltyAccountId, rows[0].revision, -cost, name]);
        const referenceId = crypto.randomUUID();
        const type = kind === 'fixedAmount' ? 'MONEY_OFF_AMOUNT' : kind === 'percentage' ? 'PERCENT_OFF_RATE' : 'FREE_SHIPPING';
        const coupon = { id: crypto.randomUUID(), accountId: loyaltyAccountId, transactionId: id, referenceId, code: codeOf(referenceId), rewardName: name, type };
        const inserted = await c.query(`INSERT INTO ${prefix}_coupons VALUES ($1, $2, $3, $4, $5, $6, $7, 'ACTIVE', now()) RETURNING created`,
          [coupon.id, loyaltyAccountId, id, rewardId, referenceId, coupon.code, name]);
        return { coupon: couponView({ ...coupon, createdMs: inserted.rows[0].created.getTime() }) };
      });
    },
    async queryLoyaltyTransactions(accountId, limit = 50) {
      const { rows } = await pool.query(
        `SELECT * FROM ${prefix}_transactions WHERE account_id = $1 ORDER BY revision DESC LIMIT $2`, [accountId, limit + 1]);
      return { items: rows.slice(0, limit), hasNext: rows.length > limit };
    },
    close: () => pool.end(),
  };
}
