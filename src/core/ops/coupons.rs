//! Coupons: `redeemPointsForCoupon`, `redeemCurrentMemberPointsForCoupon`, `getLoyaltyCoupon`,
//! `getCurrentMemberCoupons`, `queryLoyaltyCoupons`, `bulkGetLoyaltyCoupon` and
//! `deleteLoyaltyCoupon` (spec §2.5, §3.5).
//!
//! **A redemption is one commit**: the account (balance down, `redeemed` up, revision up,
//! conditional on the version read), the `REDEEM` transaction in its three places, the coupon,
//! its code's index and the account's coupon index, a check that the reward is still at the
//! version that priced it, and the idempotency record when a key was given. Whatever runs
//! concurrently, either all of it is applied or none: a balance never goes below zero, no points
//! are taken without their coupon and no coupon exists without its points. A commit refused
//! because the account or the reward changed reads both again and decides afresh (a reward
//! changed meanwhile re-prices, one deactivated or deleted refuses); a code already taken draws
//! a fresh id for another code.
//!
//! Our decisions where the spec is silent: the program must be `ACTIVE`, the reward active and a
//! coupon reward (a `DISCOUNT_AMOUNT` reward is spent at checkout, not for a coupon:
//! `REWARD_NOT_A_COUPON`); the price is the reward's at the account's tier, else its base price. The
//! `REDEEM` transaction's amount is minus the price, its description the reward's name, its
//! `idempotencyKey` its own id, and `redeemInfo.referenceEntityId` the reference coupon's id. An
//! optional `idempotencyKey` (an extension) makes a retry answer the first redemption's coupon;
//! the same key with another account or reward is `IDEMPOTENCY_KEY_REUSED`. Deleting a coupon
//! removes the loyalty record only: its points are not refunded, and its code stays taken.
//!
//! **With the host's coupon hooks** (`Context::coupon_hooks`), a redemption is three commits
//! around the host's `create`: the coupon `PENDING` (no points), then `create`, then the points
//! taken and the coupon `ACTIVE` with the host's code, conditional on the coupon still
//! `PENDING`. Whatever stops it in between is failed (`FAILED`, then `void`, then recorded) by
//! the redemption itself or by `settleCoupons()` ([`super::settle`]), which commits `FAILED`
//! before it voids, so a redemption and a settle never both win.

use super::availability;
use super::events::{self, Entity, EventSpec};
use super::get_account::member_required;
use super::ledger::{self, apply_delta};
use super::{arg, lookup};
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::{quoted, Input};
use crate::core::protocol::{expect_ids, expect_read, expect_scan, Caller, Context, Io, Machine, Outcome, Request};
use crate::core::protocol::{ScanRequest, Stamp, Step, Stored, Write};
use crate::core::query::fields::{decode_coupon, COUPONS};
use crate::core::query::filter::Filter;
use crate::core::query::paging::MetadataV2;
use crate::core::query::scan::{self, Page};
use crate::core::query::sort::SortKey;
use crate::core::records::coupon::{code_of, CouponReference, Specification};
use crate::core::records::{self, encode, keys, view, CouponIndex, CouponRecord, CouponStatus};
use crate::core::records::{Details, IndexRecord, RedeemInfo, RedeemRecord, TransactionType, SCHEMA};
use crate::core::validate::Check;

// ------------------------------------------------------------------ redeem

/// Where a redemption is.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// Reading the calling member's account index.
    Member,
    /// Reading the program, the account, the reward and the idempotency record.
    Main,
    /// Waiting for a fresh id: the coupon's code was taken.
    FreshCode,
    // With the host's coupon hooks (see "Reference coupons" below):
    /// Reading the coupon of a retry record that holds no answer yet.
    Replaying,
    /// Fresh ids for a redemption that takes over the key of a failed one.
    Renewing,
    /// Committing the `PENDING` coupon.
    Reserving,
    /// Waiting for the `create` hook.
    Creating,
    /// Reading the account, the reward, the prices and the coupon again, to take the points.
    Confirming,
    /// Committing the coupon `FAILED` (its reference coupon to void); then the `void` hook.
    Failing(LoyaltyError),
    /// Waiting for the `void` hook.
    Voiding(LoyaltyError),
    /// Committing that the reference coupon was voided; then the error.
    Voided(LoyaltyError),
}

#[derive(Debug, Clone)]
pub struct Redeem {
    phase: Phase,
    /// The calling member (the member variant); their account is read from their index.
    member: Option<String>,
    account_id: String,
    reward_id: String,
    key: Option<String>,
    coupon_id: String,
    transaction_id: String,
    /// The reference coupon's id, from which its code comes.
    reference_id: String,
    at: Stamp,
    /// The host's coupon hooks create the reference coupon (`Context::coupon_hooks`).
    hooks: bool,
    /// With hooks: the `PENDING` coupon and its version once committed, the reward's version
    /// that priced it, the code the hook gave, and the retry record's version (a failed
    /// redemption's record is taken over by the next one with its key).
    pending: Option<(CouponRecord, u64)>,
    reward_version: u64,
    code: String,
    redeem_version: u64,
}

fn redeem_options(c: &mut Check, options: &Input, account_field: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(o) = c.object("options", options, account_field.is_some()) else {
        return (None, None);
    };
    let account = account_field.and_then(|f| c.required_guid(f, o.get("loyaltyAccountId")));
    let key = c.key_text("options.idempotencyKey", o.get("idempotencyKey"), 1, 256, false).flatten();
    (account, key)
}

fn begin(mut op: Redeem, ctx: &Context) -> Result<Step> {
    op.coupon_id = ctx.fresh_id(0)?;
    op.transaction_id = ctx.fresh_id(1)?;
    op.reference_id = ctx.fresh_id(2)?;
    Ok(match &op.member {
        Some(member) => {
            let key = keys::member_index(member);
            Step::new(Request::Read(vec![key.clone()]), op).locking(vec![key])
        }
        None => {
            let lock = vec![keys::account(&op.account_id)];
            read_main(op).locking(lock)
        }
    })
}

fn new_redeem(
    reward_id: String,
    account_id: String,
    member: Option<String>,
    key: Option<String>,
    ctx: &Context,
) -> Redeem {
    Redeem {
        phase: Phase::Main,
        member,
        account_id,
        reward_id,
        key,
        coupon_id: String::new(),
        transaction_id: String::new(),
        reference_id: String::new(),
        at: ctx.stamp(),
        hooks: ctx.coupon_hooks,
        pending: None,
        reward_version: 0,
        code: String::new(),
        redeem_version: 0,
    }
}

/// `redeemPointsForCoupon(rewardId, { loyaltyAccountId, idempotencyKey? })`.
pub fn redeem(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let reward_id = c.required_guid("rewardId", arg(args, 0));
    let (account_id, key) = redeem_options(&mut c, arg(args, 1), Some("options.loyaltyAccountId"));
    c.finish()?;
    let (Some(reward_id), Some(account_id)) = (reward_id, account_id) else {
        return Err(LoyaltyError::internal("INVALID_STATE", "a checked redemption went missing"));
    };
    begin(new_redeem(reward_id, account_id, None, key, ctx), ctx)
}

/// `redeemCurrentMemberPointsForCoupon(rewardId, { idempotencyKey? })`: the calling member's account.
pub fn redeem_as_member(args: &[Input], ctx: &Context) -> Result<Step> {
    let Caller::Member(member) = &ctx.caller else {
        return Err(member_required("redeemCurrentMemberPointsForCoupon"));
    };
    let mut c = Check::default();
    let reward_id = c.required_guid("rewardId", arg(args, 0));
    let (_, key) = redeem_options(&mut c, arg(args, 1), None);
    c.finish()?;
    let reward_id =
        reward_id.ok_or_else(|| LoyaltyError::internal("INVALID_STATE", "a checked redemption went missing"))?;
    let mut op = new_redeem(reward_id, String::new(), Some(member.clone()), key, ctx);
    op.phase = Phase::Member;
    begin(op, ctx)
}

fn read_main(mut op: Redeem) -> Step {
    op.phase = Phase::Main;
    let mut keys = vec![
        keys::PROGRAM.into(),
        keys::account(&op.account_id),
        keys::reward(&op.reward_id),
        keys::REWARD_PRICES.into(),
    ];
    if let Some(k) = &op.key {
        keys.push(keys::redeem(&op.account_id, k));
    }
    Step::new(Request::Read(keys), op)
}

fn no_account(member: &str) -> LoyaltyError {
    LoyaltyError::not_found("ACCOUNT_NOT_FOUND", format!("member {member} (the caller) has no loyalty account"))
}

impl Redeem {
    /// The answer of a retry with the same key, or the refusal of a reused key.
    fn replay(&self, key: &str, stored: &Stored) -> Result<Step> {
        let record_key = keys::redeem(&self.account_id, key);
        let record: RedeemRecord = records::decode(&record_key, &stored.value)?;
        if record.account_id != self.account_id || record.reward_id != self.reward_id {
            return Err(LoyaltyError::precondition(
                "IDEMPOTENCY_KEY_REUSED",
                format!(
                    "idempotency key {} was already used to redeem reward {} from this account (coupon {})",
                    quoted(key),
                    record.reward_id,
                    record.coupon_id
                ),
            )
            .with_data(&[("idempotencyKey", &key), ("couponId", &record.coupon_id)]));
        }
        // A redemption through the host's hooks has no answer until it took the points: its
        // coupon tells where it is.
        if record.answer.is_empty() {
            let mut op = self.clone();
            op.redeem_version = stored.version;
            op.phase = Phase::Replaying;
            op.coupon_id = record.coupon_id;
            return Ok(Step::new(Request::Read(vec![keys::coupon(&op.coupon_id)]), op));
        }
        // The answer as first given, checked to be one (a record altered in storage is reported).
        let answer: Input = serde_json::from_str(&record.answer)
            .map_err(|e| LoyaltyError::corrupt(&record_key, format!("its answer is not JSON: {e}")))?;
        if answer.get("coupon").get("_id").text() != Some(record.coupon_id.as_str()) {
            return Err(LoyaltyError::corrupt(&record_key, "its answer is not its coupon"));
        }
        Ok(Step::done(record.answer))
    }

    fn decide(self, values: Vec<Option<Stored>>) -> Result<Step> {
        let mut values = values.into_iter();
        let (program, account, reward) = (values.next().flatten(), values.next().flatten(), values.next().flatten());
        let prices = values.next().flatten();
        if let (Some(key), Some(Some(stored))) = (&self.key, values.next()) {
            // (Unless it is the record of a failed redemption, which this one takes over.)
            if self.redeem_version != stored.version {
                return self.replay(key, &stored);
            }
        }
        let (program, _) = lookup::read_program(program.as_ref())?;
        lookup::require_active(&program, "redeem points")?;
        let (mut account, account_version) = lookup::read_account(&self.account_id, account.as_ref())?;
        let reward_version = reward.as_ref().map_or(0, |r| r.version);
        let (reward, _) = super::rewards::read_reward(&self.reward_id, reward)?;
        if !reward.active {
            return Err(LoyaltyError::precondition("REWARD_NOT_ACTIVE", format!("reward {} is not active", reward.id))
                .with_data(&[("rewardId", &reward.id)]));
        }
        let Some(Details::Coupon(coupon_reward)) = reward.details() else {
            return Err(LoyaltyError::precondition(
                "REWARD_NOT_A_COUPON",
                format!(
                    "reward {} is a {} reward: it is spent at checkout, not redeemed for a coupon",
                    reward.id,
                    reward.kind.as_str()
                ),
            )
            .with_data(&[("rewardId", &reward.id)]));
        };
        // The price at the account's tier, worked out now (the window may have rolled since its
        // last change): the tier's own, else the base tier's.
        let (prices, prices_version) = availability::read(prices.as_ref())?;
        let now = self.at.now_ms.max(account.updated_ms);
        super::tiering::settle(&mut account, &prices, now);
        let tier = account.tier.id.as_deref();
        let Some(price) = coupon_reward.price_at(tier) else {
            return Err(LoyaltyError::precondition(
                "NO_PRICE_FOR_TIER",
                format!(
                    "reward {} has no price for the account's tier ({}) nor for the base tier",
                    reward.id,
                    tier.unwrap_or("the base tier")
                ),
            )
            .with_data(&[("rewardId", &reward.id)]));
        };
        let cost = i64::from(price.cost_in_points);
        let after = account.points.balance - cost;
        if after < 0 {
            return Err(ledger::insufficient(&account, after));
        }
        if self.hooks {
            let coupon = self.coupon_record(&account, &reward, &coupon_reward, cost, String::new());
            return self.reserve(coupon, reward_version);
        }
        let now_ms = apply_delta(&mut account, -cost, TransactionType::Redeem, self.at.now_ms)?;
        let settled = availability::settle(&mut account, &prices, now_ms);
        let (id, name) = (&self.transaction_id, reward.name.clone());
        let mut txn = ledger::entry(&account, id, now_ms, -cost, TransactionType::Redeem, name, id.clone());
        txn.redeem_info = Some(RedeemInfo {
            reward_id: reward.id.clone(),
            reward_type: reward.kind.as_str().into(),
            reference_entity_id: self.reference_id.clone(),
        });
        let mut coupon = self.coupon_record(&account, &reward, &coupon_reward, cost, code_of(&self.reference_id));
        coupon.status = CouponStatus::Active;
        coupon.created_ms = now_ms;
        coupon.updated_ms = now_ms;
        self.paid(account, account_version, txn, coupon, 0, (prices_version, reward_version), settled)
    }

    /// The commit that takes the points: the account (conditional on `account_version`), the
    /// `REDEEM` in its three places, the coupon `ACTIVE` (conditional on `coupon_version`: 0 for
    /// a new one, which is listed for its account here), its code's index, checks that the prices
    /// and the reward are at the versions read, and the retry record's answer.
    #[allow(clippy::too_many_arguments)]
    fn paid(
        self,
        account: records::AccountRecord,
        account_version: u64,
        txn: records::TransactionRecord,
        coupon: CouponRecord,
        coupon_version: u64,
        (prices_version, reward_version): (u64, u64),
        settled: availability::Settled,
    ) -> Result<Step> {
        let now_ms = txn.created_ms;
        let coupon_view = encode(&view::coupon(&coupon))?;
        let result = format!("{{\"coupon\":{coupon_view}}}");
        let index = coupon_index(&coupon.id)?;
        let mut writes = ledger::change_writes(&account, account_version, &txn, settled.due_moved)?;
        writes.push(Write::put(keys::coupon(&coupon.id), encode(&coupon)?, coupon_version));
        writes.push(Write::put(keys::coupon_code(&coupon.coupon_reference.code), index.clone(), 0));
        if coupon_version == 0 {
            writes.push(Write::put(keys::account_coupon(&account.id, &coupon.id), index, 0));
        }
        writes.push(Write::check(keys::reward(&coupon.reward_id), reward_version));
        writes.push(availability::check(prices_version));
        // With hooks, the record reserved the key already (one version on).
        let version = self.redeem_version + u64::from(coupon_version > 0);
        writes.extend(self.retry_record(&coupon, result.clone(), version)?);
        let events = if self.at.events {
            let spec = EventSpec::of(Entity::Coupon, "created", &coupon.id, coupon.revision, now_ms);
            let mut list = vec![events::event(spec, "entity", &coupon_view)?];
            list.extend(ledger::change_events(&account, &txn, settled.flipped)?);
            events::list(&list)
        } else {
            "[]".into()
        };
        Ok(Step::new(Request::Commit(writes, Outcome { result, events }), self))
    }
}

// ------------------------------------------------------------------ reference coupons

/// A hook's answer: what it resolved to, or why it failed.
pub(super) fn hook_outcome(io: Io, hook: &str) -> Result<std::result::Result<Input, String>> {
    let Io::Hook(answer) = io else {
        return Err(LoyaltyError::storage_protocol(format!("expected the outcome of the {hook} hook")));
    };
    Ok(match answer.get("error").text() {
        Some(message) => Err(message.to_string()),
        None => Ok(answer.get("ok").clone()),
    })
}

fn hook_failed(hook: &str, why: &str) -> LoyaltyError {
    LoyaltyError::new(
        crate::core::error::Code::Unavailable,
        "COUPON_HOOK_FAILED",
        format!("referenceCoupons.{hook} failed: {why}; no points were taken"),
    )
}

/// The payload of both hooks: which reference coupon, for which redemption.
pub(super) fn hook_payload(c: &CouponRecord) -> Result<String> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Payload<'a> {
        reference_coupon_id: &'a str,
        loyalty_coupon_id: &'a str,
        account_id: &'a str,
        member_id: Option<&'a str>,
        reward_id: &'a str,
        name: &'a str,
        specification: &'a Specification,
    }
    let r = &c.coupon_reference;
    encode(&Payload {
        reference_coupon_id: &r.coupon_id,
        loyalty_coupon_id: &c.id,
        account_id: &c.account_id,
        member_id: c.member_id.as_deref(),
        reward_id: &c.reward_id,
        name: &r.name,
        specification: &r.specification,
    })
}

/// `coupon-code/`, `account-coupon/` and `coupon-pending/` entries: the coupon they name.
fn coupon_index(coupon_id: &str) -> Result<String> {
    encode(&CouponIndex { schema: SCHEMA, coupon_id: coupon_id.to_string() })
}

/// The time of a coupon's new `coupon-pending/` entry: now, and after its last one (whose key
/// stays taken).
pub(super) fn fresh_pending_ms(c: &CouponRecord, now_ms: i64) -> i64 {
    now_ms.max(c.pending_ms.unwrap_or(c.created_ms).saturating_add(1))
}

/// A coupon whose reference coupon the host voided, recorded so.
pub(super) fn voided(mut c: CouponRecord, now_ms: i64) -> Result<CouponRecord> {
    c.void_pending = false;
    crate::core::records::bump(&mut c.revision, "coupon's revision")?;
    c.updated_ms = now_ms.max(c.updated_ms);
    Ok(c)
}

/// A `PENDING` or `FAILED` coupon moved on: `status`, the reference coupon still to void or not.
pub(super) fn moved(
    mut c: CouponRecord,
    status: CouponStatus,
    void_pending: bool,
    now_ms: i64,
) -> Result<CouponRecord> {
    c.status = status;
    c.void_pending = void_pending;
    crate::core::records::bump(&mut c.revision, "coupon's revision")?;
    c.updated_ms = now_ms.max(c.updated_ms);
    Ok(c)
}

/// The step after the `void` hook answered: with `Ok`, commit that the reference coupon is
/// voided (when the coupon still says it is to be), else end with `error`.
fn after_void(
    op: Box<dyn Machine>,
    coupon: &(CouponRecord, u64),
    voided: std::result::Result<Input, String>,
    error: LoyaltyError,
    now_ms: i64,
) -> Result<(Step, bool)> {
    match voided {
        Err(why) => Err(LoyaltyError {
            description: format!(
                "{}; referenceCoupons.void failed too ({why}): settleCoupons() will void it",
                error.description
            ),
            ..error
        }),
        Ok(_) if !coupon.0.void_pending => Err(error),
        Ok(_) => {
            let done = moved(coupon.0.clone(), CouponStatus::Failed, false, now_ms)?;
            let writes = vec![Write::put(keys::coupon(&done.id), encode(&done)?, coupon.1)];
            let batch = crate::core::protocol::Batch::quiet();
            Ok((Step { request: Request::Batch(writes, batch), state: op, lock: Vec::new() }, true))
        }
    }
}

impl Redeem {
    /// The coupon a redemption of `reward` makes for `account` (status `PENDING`: the caller
    /// sets the status it commits).
    fn coupon_record(
        &self,
        account: &records::AccountRecord,
        reward: &records::RewardRecord,
        coupon_reward: &records::reward::CouponReward,
        cost: i64,
        code: String,
    ) -> CouponRecord {
        CouponRecord {
            schema: SCHEMA,
            id: self.coupon_id.clone(),
            account_id: account.id.clone(),
            member_id: account.contact.member_id.clone(),
            transaction_id: self.transaction_id.clone(),
            reward_id: reward.id.clone(),
            reward_name: reward.name.clone(),
            cost,
            coupon_reference: CouponReference {
                coupon_id: self.reference_id.clone(),
                code,
                name: reward.name.clone(),
                specification: Specification::of(reward, coupon_reward),
                deleted: false,
            },
            status: CouponStatus::Pending,
            revision: 1,
            created_ms: self.at.now_ms,
            updated_ms: self.at.now_ms,
            refund_transaction_id: None,
            deleted_ms: None,
            external: self.hooks,
            void_pending: false,
            pending_ms: None,
        }
    }

    /// With hooks, first: the coupon `PENDING` (no points taken), listed for `settleCoupons()`,
    /// with the retry record (no answer yet) claiming the key.
    fn reserve(mut self, coupon: CouponRecord, reward_version: u64) -> Result<Step> {
        let index = coupon_index(&coupon.id)?;
        let mut writes = vec![
            Write::put(keys::coupon(&coupon.id), encode(&coupon)?, 0),
            Write::put(keys::account_coupon(&coupon.account_id, &coupon.id), index.clone(), 0),
            Write::put(coupon.pending_key(), index, 0),
        ];
        writes.extend(self.retry_record(&coupon, String::new(), self.redeem_version)?);
        self.reward_version = reward_version;
        self.pending = Some((coupon, 0));
        self.phase = Phase::Reserving;
        let batch = crate::core::protocol::Batch::quiet();
        Ok(Step::new(Request::Batch(writes, batch), self))
    }

    /// With an idempotency key, the write of its retry record (at `version`) for `coupon`.
    fn retry_record(&self, coupon: &CouponRecord, answer: String, version: u64) -> Result<Option<Write>> {
        let Some(key) = &self.key else { return Ok(None) };
        let record = RedeemRecord {
            schema: SCHEMA,
            account_id: coupon.account_id.clone(),
            reward_id: coupon.reward_id.clone(),
            coupon_id: coupon.id.clone(),
            answer,
        };
        Ok(Some(Write::put(keys::redeem(&coupon.account_id, key), encode(&record)?, version)))
    }

    fn pending(&self) -> Result<&(CouponRecord, u64)> {
        self.pending.as_ref().ok_or_else(|| LoyaltyError::internal("INVALID_STATE", "no pending coupon"))
    }

    fn read_confirm(mut self) -> Step {
        self.phase = Phase::Confirming;
        let keys = vec![
            keys::account(&self.account_id),
            keys::reward(&self.reward_id),
            keys::REWARD_PRICES.into(),
            keys::coupon(&self.coupon_id),
        ];
        Step::new(Request::Read(keys), self)
    }

    /// The redemption cannot go on: the coupon `FAILED` first (conditionally), then its
    /// reference coupon voided, then `error`.
    fn fail(mut self, error: LoyaltyError) -> Result<Step> {
        let (coupon, version) = self.pending()?.clone();
        let failed = moved(coupon, CouponStatus::Failed, true, self.at.now_ms)?;
        let writes = vec![Write::put(keys::coupon(&failed.id), encode(&failed)?, version)];
        self.pending = Some((failed, version + 1));
        self.phase = Phase::Failing(error);
        let batch = crate::core::protocol::Batch::quiet();
        Ok(Step::new(Request::Batch(writes, batch), self))
    }

    fn void(mut self, error: LoyaltyError) -> Result<Step> {
        let payload = hook_payload(&self.pending()?.0)?;
        self.phase = Phase::Voiding(error);
        Ok(Step::new(Request::Hook("void", payload), self))
    }

    /// With hooks, last: the points taken and the coupon `ACTIVE` with the hook's code, in one
    /// commit conditional on the account, the coupon (still `PENDING`), the reward (still at
    /// the version that priced it) and the prices.
    fn confirm(mut self, values: Vec<Option<Stored>>) -> Result<Step> {
        let mut values = values.into_iter();
        let (account, reward, prices, coupon) =
            (values.next().flatten(), values.next().flatten(), values.next().flatten(), values.next().flatten());
        let key = keys::coupon(&self.coupon_id);
        let stored = coupon.ok_or_else(|| LoyaltyError::corrupt(&key, "the pending coupon disappeared"))?;
        let coupon: CouponRecord = records::decode(&key, &stored.value)?;
        let failed = LoyaltyError::precondition(
            "REDEMPTION_FAILED",
            format!(
                "loyalty coupon {} was settled as FAILED while its reference coupon was being created (settleCoupons)",
                coupon.id
            ),
        );
        let (status, void_pending) = (coupon.status, coupon.void_pending);
        self.pending = Some((coupon, stored.version));
        if status != CouponStatus::Pending {
            // Settled under it: whoever failed it voided the reference coupon, perhaps before
            // `create` made it. This call voids it again, listed anew first (unless it still is)
            // so that settleCoupons() voids it if this void fails.
            if void_pending {
                return self.void(failed);
            }
            let (coupon, version) = self.pending()?.clone();
            let pending_ms = fresh_pending_ms(&coupon, self.at.now_ms);
            let mut relisted = moved(coupon, CouponStatus::Failed, true, self.at.now_ms)?;
            relisted.pending_ms = Some(pending_ms);
            let index = coupon_index(&relisted.id)?;
            let writes = vec![
                Write::put(keys::coupon(&relisted.id), encode(&relisted)?, version),
                Write::put(relisted.pending_key(), index, 0),
            ];
            self.pending = Some((relisted, version + 1));
            self.phase = Phase::Failing(failed);
            let batch = crate::core::protocol::Batch::quiet();
            return Ok(Step::new(Request::Batch(writes, batch), self));
        }
        let (mut account, account_version) = lookup::read_account(&self.account_id, account.as_ref())?;
        if reward.as_ref().map(|r| r.version) != Some(self.reward_version) {
            let why =
                format!("reward {} changed while its reference coupon was being created: redeem again", self.reward_id);
            return self.fail(LoyaltyError::precondition("REWARD_CHANGED", why));
        }
        let (mut coupon, coupon_version) = self.pending()?.clone();
        // The reward is as it was; the account's tier, and so its price, may not be.
        let (prices, prices_version) = availability::read(prices.as_ref())?;
        let now = self.at.now_ms.max(account.updated_ms);
        super::tiering::settle(&mut account, &prices, now);
        let (priced, _) = super::rewards::read_reward(&self.reward_id, reward)?;
        let price = match priced.details() {
            Some(Details::Coupon(c)) => c.price_at(account.tier.id.as_deref()).map(|p| i64::from(p.cost_in_points)),
            _ => None,
        };
        if price != Some(coupon.cost) {
            let why = format!(
                "the price of reward {} at the account's tier changed while its reference coupon was being created: redeem again",
                self.reward_id
            );
            return self.fail(LoyaltyError::precondition("REWARD_CHANGED", why));
        }
        let after = account.points.balance - coupon.cost;
        if after < 0 {
            let e = ledger::insufficient(&account, after);
            return self.fail(e);
        }
        let now_ms = apply_delta(&mut account, -coupon.cost, TransactionType::Redeem, self.at.now_ms)?;
        let settled = availability::settle(&mut account, &prices, now_ms);
        let id = &self.transaction_id;
        let (cost, name) = (coupon.cost, coupon.reward_name.clone());
        let mut txn = ledger::entry(&account, id, now_ms, -cost, TransactionType::Redeem, name, id.clone());
        txn.redeem_info = Some(RedeemInfo {
            reward_id: coupon.reward_id.clone(),
            reward_type: "COUPON_REWARD".into(),
            reference_entity_id: self.reference_id.clone(),
        });
        coupon.coupon_reference.code = self.code.clone();
        let coupon = moved(coupon, CouponStatus::Active, false, now_ms)?;
        let reward_version = self.reward_version;
        self.paid(account, account_version, txn, coupon, coupon_version, (prices_version, reward_version), settled)
    }
}

impl Machine for Redeem {
    fn resume(self: Box<Self>, io: Io) -> Result<Step> {
        let mut op = *self;
        match op.phase.clone() {
            Phase::Replaying => {
                let key = keys::coupon(&op.coupon_id);
                let stored = expect_read(io, 1)?.into_iter().next().flatten();
                let stored =
                    stored.ok_or_else(|| LoyaltyError::corrupt(&key, "a retry record names it, and it is missing"))?;
                let coupon: CouponRecord = records::decode(&key, &stored.value)?;
                match coupon.status {
                    // Failed: this call takes the key over, as a new redemption.
                    CouponStatus::Failed => {
                        op.phase = Phase::Renewing;
                        Ok(Step::new(Request::Ids(3), op))
                    }
                    CouponStatus::Pending => Err(LoyaltyError::new(
                        crate::core::error::Code::Aborted,
                        "REDEMPTION_IN_PROGRESS",
                        format!(
                            "the redemption with this idempotency key (coupon {}) is still being made: retry later",
                            coupon.id
                        ),
                    )),
                    _ => Ok(Step::done(format!("{{\"coupon\":{}}}", encode(&view::coupon(&coupon))?))),
                }
            }
            Phase::Renewing => {
                let ids = expect_ids(io, 3)?;
                if let [coupon, transaction, reference] = ids.as_slice() {
                    op.coupon_id.clone_from(coupon);
                    op.transaction_id.clone_from(transaction);
                    op.reference_id.clone_from(reference);
                }
                Ok(read_main(op))
            }
            Phase::Reserving => match io {
                Io::Committed => {
                    let (coupon, _) = op.pending()?.clone();
                    let payload = hook_payload(&coupon)?;
                    op.pending = Some((coupon, 1));
                    op.phase = Phase::Creating;
                    Ok(Step::new(Request::Hook("create", payload), op))
                }
                _ => Err(LoyaltyError::storage_protocol("expected the outcome of a commit")),
            },
            Phase::Creating => match hook_outcome(io, "create")? {
                Ok(made) => match made.get("code").text().filter(|c| (1..=100).contains(&c.chars().count())) {
                    Some(code) => {
                        op.code = code.to_string();
                        Ok(op.read_confirm())
                    }
                    None => {
                        let why = format!("it resolved to {}, not {{ code: <1 to 100 characters> }}", made.describe());
                        op.fail(hook_failed("create", &why))
                    }
                },
                Err(why) => op.fail(hook_failed("create", &why)),
            },
            Phase::Confirming => op.confirm(expect_read(io, 4)?),
            Phase::Failing(error) => match io {
                Io::Committed => op.void(error),
                _ => Err(LoyaltyError::storage_protocol("expected the outcome of a commit")),
            },
            Phase::Voiding(error) => {
                let voided = hook_outcome(io, "void")?;
                let coupon = op.pending()?.clone();
                op.phase = Phase::Voided(error.clone());
                let now_ms = op.at.now_ms;
                after_void(Box::new(op), &coupon, voided, error, now_ms).map(|(step, _)| step)
            }
            Phase::Voided(error) => Err(error),
            Phase::Member => {
                let member = op.member.clone().unwrap_or_default();
                let key = keys::member_index(&member);
                let Some(stored) = expect_read(io, 1)?.into_iter().next().flatten() else {
                    return Err(no_account(&member));
                };
                let index: IndexRecord = records::decode(&key, &stored.value)?;
                op.account_id = index.account_id;
                Ok(read_main(op))
            }
            Phase::FreshCode => {
                op.reference_id = expect_ids(io, 1)?.into_iter().next().unwrap_or_default();
                Ok(read_main(op))
            }
            Phase::Main => {
                let expected = if op.key.is_some() { 5 } else { 4 };
                let values = expect_read(io, expected)?;
                op.decide(values)
            }
        }
    }

    fn conflict(self: Box<Self>, key: &str) -> Result<Step> {
        let mut op = *self;
        match op.phase.clone() {
            // The reserving commit: another redemption took the key meanwhile (answer as its
            // retry), or a fresh id was taken.
            Phase::Reserving => {
                if op.key.as_ref().is_some_and(|k| key == keys::redeem(&op.account_id, k)) {
                    return Ok(read_main(op));
                }
                return Err(ledger::id_collision(&op.coupon_id, "a coupon"));
            }
            // The code the hook gave is another coupon's: the host's coupon system repeated one.
            Phase::Confirming if key.starts_with(keys::COUPON_CODE_PREFIX) => {
                let e = LoyaltyError::precondition(
                    "COUPON_CODE_TAKEN",
                    format!("referenceCoupons.create gave code {}, which another coupon has", quoted(&op.code)),
                );
                return op.fail(e);
            }
            // What it read changed (read again and decide), or a key that cannot be taken is: a
            // repeated id or a corrupt store, and the reference coupon is voided.
            Phase::Confirming => {
                let reread = [keys::coupon(&op.coupon_id), keys::reward(&op.reward_id)].contains(&key.to_string())
                    || op.key.as_ref().is_some_and(|k| key == keys::redeem(&op.account_id, k));
                return match ledger::retry_after(key, &op.account_id, &op.transaction_id, None) {
                    Ok(()) => Ok(op.read_confirm()),
                    Err(_) if reread => Ok(op.read_confirm()),
                    Err(e) => op.fail(e),
                };
            }
            // Settled meanwhile by settleCoupons(), which voids the reference coupon.
            Phase::Failing(error) | Phase::Voided(error) => return Err(error),
            _ => {}
        }
        if key.starts_with(keys::COUPON_CODE_PREFIX) {
            op.phase = Phase::FreshCode;
            return Ok(Step::new(Request::Ids(1), op));
        }
        let account = keys::account(&op.account_id);
        let again = key == account
            || key == keys::reward(&op.reward_id)
            || key == keys::REWARD_PRICES
            || op.key.as_ref().is_some_and(|k| key == keys::redeem(&op.account_id, k));
        if again {
            return Ok(read_main(op));
        }
        if key == keys::coupon(&op.coupon_id) || key == keys::account_coupon(&op.account_id, &op.coupon_id) {
            return Err(ledger::id_collision(&op.coupon_id, "a coupon"));
        }
        ledger::retry_after(key, &op.account_id, &op.transaction_id, None)?;
        Ok(read_main(op))
    }
}

// ------------------------------------------------------------------ get, delete

fn not_found(id: &str) -> LoyaltyError {
    LoyaltyError::not_found("COUPON_NOT_FOUND", format!("loyalty coupon {id} does not exist"))
        .with_data(&[("loyaltyCouponId", &id)])
}

/// The coupon stored at `coupon/<id>` and its version, unless absent or deleted.
fn read_coupon(id: &str, stored: Option<Stored>) -> Result<(CouponRecord, u64)> {
    let Some(s) = stored else { return Err(not_found(id)) };
    let coupon = decode_coupon(&keys::coupon(id), &s.value)?;
    if coupon.deleted_ms.is_some() {
        return Err(not_found(id));
    }
    Ok((coupon, s.version))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Get(String);

pub fn get(args: &[Input], _: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = c.required_guid("loyaltyCouponId", arg(args, 0)).unwrap_or_default();
    c.finish()?;
    Ok(Step::new(Request::Read(vec![keys::coupon(&id)]), Get(id)))
}

impl Machine for Get {
    fn resume(self: Box<Self>, io: Io) -> Result<Step> {
        let (coupon, _) = read_coupon(&self.0, expect_read(io, 1)?.into_iter().next().flatten())?;
        Ok(Step::done(format!("{{\"loyaltyCoupon\":{}}}", encode(&view::coupon(&coupon))?)))
    }
}

#[derive(Debug, Clone)]
pub struct Delete {
    id: String,
    revision: u64,
    at: Stamp,
}

fn read_for_delete(op: Delete) -> Step {
    let key = keys::coupon(&op.id);
    Step::new(Request::Read(vec![key]), op)
}

/// `deleteLoyaltyCoupon(_id, revision)`.
pub fn delete(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = c.required_guid("_id", arg(args, 0));
    let revision = match c.revision("revision", arg(args, 1)) {
        Some(None) => {
            c.fail("revision", "REQUIRED_FIELD", "is required: the coupon's current revision");
            None
        }
        r => r.flatten(),
    };
    c.finish()?;
    let (Some(id), Some(revision)) = (id, revision) else {
        return Err(LoyaltyError::internal("INVALID_STATE", "a checked delete went missing"));
    };
    let lock = vec![keys::coupon(&id)];
    Ok(read_for_delete(Delete { id, revision, at: ctx.stamp() }).locking(lock))
}

impl Machine for Delete {
    fn resume(self: Box<Self>, io: Io) -> Result<Step> {
        let (mut coupon, version) = read_coupon(&self.id, expect_read(io, 1)?.into_iter().next().flatten())?;
        if coupon.status == CouponStatus::Pending {
            return Err(LoyaltyError::new(
                crate::core::error::Code::Aborted,
                "REDEMPTION_IN_PROGRESS",
                format!(
                    "loyalty coupon {} is PENDING (its redemption waits on referenceCoupons.create): retry later",
                    coupon.id
                ),
            )
            .with_data(&[("loyaltyCouponId", &coupon.id)]));
        }
        if coupon.revision != self.revision {
            return Err(LoyaltyError::revision_mismatch(
                "revision",
                "loyalty coupon",
                "loyaltyCouponId",
                &coupon.id,
                self.revision,
                coupon.revision,
            ));
        }
        let now = self.at.now_ms.max(coupon.updated_ms);
        crate::core::records::bump(&mut coupon.revision, "coupon's revision")?;
        coupon.updated_ms = now;
        coupon.deleted_ms = Some(now);
        let events = if self.at.events {
            events::list(&[events::deleted(EventSpec::of(
                Entity::Coupon,
                "deleted",
                &coupon.id,
                coupon.revision,
                now,
            ))?])
        } else {
            "[]".into()
        };
        let writes = vec![Write::put(keys::coupon(&coupon.id), encode(&coupon)?, version)];
        Ok(Step::new(Request::Commit(writes, Outcome { result: "{}".into(), events }), *self))
    }

    fn conflict(self: Box<Self>, _key: &str) -> Result<Step> {
        Ok(read_for_delete(*self))
    }
}

// ------------------------------------------------------------------ refund

/// `refundLoyaltyCoupon(loyaltyCouponId, { revision? })` (an extension): gives an unused coupon's
/// points back, once. Reads the coupon, then its account, and commits both with a `REFUND` entry.
#[derive(Debug, Clone)]
pub struct Refund {
    coupon_id: String,
    revision: Option<u64>,
    transaction_id: String,
    /// The coupon's account, once the coupon is read.
    account_id: String,
    /// The coupon as read, and its version (once read).
    coupon: Option<(CouponRecord, u64)>,
    at: Stamp,
    /// The host's coupon hooks are configured.
    hooks: bool,
    /// A refunded coupon of the host's being voided: the coupon as committed, its version, and
    /// the answer.
    voiding: Option<(CouponRecord, u64, String)>,
}

fn read_refund(mut op: Refund) -> Step {
    op.coupon = None;
    let key = keys::coupon(&op.coupon_id);
    Step::new(Request::Read(vec![key]), op)
}

pub fn refund(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = c.required_guid("loyaltyCouponId", arg(args, 0));
    let revision = match c.object("options", arg(args, 1), false) {
        Some(o) => c.revision("options.revision", o.get("revision")).flatten(),
        None => None,
    };
    c.finish()?;
    let id = id.ok_or_else(|| LoyaltyError::internal("INVALID_STATE", "a checked refund went missing"))?;
    let op = Refund {
        coupon_id: id,
        revision,
        transaction_id: ctx.fresh_id(0)?,
        account_id: String::new(),
        coupon: None,
        at: ctx.stamp(),
        hooks: ctx.coupon_hooks,
        voiding: None,
    };
    let lock = vec![keys::coupon(&op.coupon_id)];
    Ok(read_refund(op).locking(lock))
}

impl Refund {
    /// The coupon read: refundable, at the revision given, if any. Then its account is read.
    fn check(mut self, stored: Option<Stored>) -> Result<Step> {
        let (coupon, version) = read_coupon(&self.coupon_id, stored)?;
        // Refunded already: the same answer again, so a refund whose outcome was lost can be
        // retried (its points were given back once).
        if let (CouponStatus::Archived, Some(refund)) = (coupon.status, &coupon.refund_transaction_id) {
            return Ok(Step::done(refund_answer(&coupon, refund)?));
        }
        if coupon.status != CouponStatus::Active {
            return Err(LoyaltyError::precondition(
                "COUPON_NOT_ACTIVE",
                format!(
                    "loyalty coupon {} is {}: only an ACTIVE coupon can be refunded, once",
                    coupon.id,
                    coupon.status.as_str()
                ),
            )
            .with_data(&[("loyaltyCouponId", &coupon.id), ("status", &coupon.status.as_str())]));
        }
        if let Some(expected) = self.revision.filter(|r| *r != coupon.revision) {
            return Err(LoyaltyError::revision_mismatch(
                "options.revision",
                "loyalty coupon",
                "loyaltyCouponId",
                &coupon.id,
                expected,
                coupon.revision,
            ));
        }
        let key = keys::account(&coupon.account_id);
        self.account_id = coupon.account_id.clone();
        self.coupon = Some((coupon, version));
        Ok(Step::new(Request::Read(vec![key, keys::REWARD_PRICES.into()]), self))
    }

    fn decide(self, coupon: CouponRecord, coupon_version: u64, values: Vec<Option<Stored>>) -> Result<Step> {
        let (mut account, version) = lookup::read_account(&coupon.account_id, values.first().and_then(Option::as_ref))?;
        let (prices, prices_version) = availability::read(values.get(1).and_then(Option::as_ref))?;
        let now_ms = apply_delta(&mut account, coupon.cost, TransactionType::Refund, self.at.now_ms)?;
        let settled = availability::settle(&mut account, &prices, now_ms);
        let (id, name) = (&self.transaction_id, coupon.reward_name.clone());
        let mut txn = ledger::entry(&account, id, now_ms, coupon.cost, TransactionType::Refund, name, id.clone());
        txn.refund_info = Some(records::RefundInfo {
            app_id: records::LOYALTY_APP_ID.into(),
            refunded_transaction_id: coupon.transaction_id.clone(),
        });
        let mut coupon = coupon;
        coupon.status = CouponStatus::Archived;
        coupon.coupon_reference.deleted = true;
        coupon.refund_transaction_id = Some(txn.id.clone());
        crate::core::records::bump(&mut coupon.revision, "coupon's revision")?;
        coupon.updated_ms = now_ms.max(coupon.updated_ms);
        let mut writes = ledger::change_writes(&account, version, &txn, settled.due_moved)?;
        if coupon.external {
            // The host's coupon is voided after this commit (or by settleCoupons()): listed anew.
            coupon.void_pending = true;
            coupon.pending_ms = Some(fresh_pending_ms(&coupon, now_ms));
            let index = coupon_index(&coupon.id)?;
            writes.push(Write::put(coupon.pending_key(), index, 0));
        }
        writes.push(Write::put(keys::coupon(&coupon.id), encode(&coupon)?, coupon_version));
        writes.push(availability::check(prices_version));
        let result = refund_answer(&coupon, &txn.id)?;
        let events = if self.at.events {
            events::list(&ledger::change_events(&account, &txn, settled.flipped)?)
        } else {
            "[]".into()
        };
        if coupon.external && self.hooks {
            let mut op = self;
            op.voiding = Some((coupon, coupon_version + 1, result));
            let batch = crate::core::protocol::Batch { events, progress: "{}".into() };
            return Ok(Step::new(Request::Batch(writes, batch), op));
        }
        Ok(Step::new(Request::Commit(writes, Outcome { result, events }), self))
    }
}

impl Machine for Refund {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        // A refunded coupon of the host's: committed, then voided, then the void recorded. A
        // failing void leaves it to settleCoupons(); the refund stands either way.
        if let Some((coupon, version, answer)) = self.voiding.take() {
            return match io {
                Io::Committed if coupon.void_pending => {
                    let payload = hook_payload(&coupon)?;
                    self.voiding = Some((coupon, version, answer));
                    Ok(Step::new(Request::Hook("void", payload), *self))
                }
                Io::Hook(_) if hook_outcome(io.clone(), "void")?.is_ok() => {
                    let done = voided(coupon, self.at.now_ms)?;
                    let writes = vec![Write::put(keys::coupon(&done.id), encode(&done)?, version)];
                    self.voiding = Some((done, version + 1, answer));
                    let batch = crate::core::protocol::Batch::quiet();
                    Ok(Step::new(Request::Batch(writes, batch), *self))
                }
                _ => Ok(Step::done(answer)),
            };
        }
        match self.coupon.take() {
            None => self.check(expect_read(io, 1)?.into_iter().next().flatten()),
            Some((coupon, version)) => self.decide(coupon, version, expect_read(io, 2)?),
        }
    }

    /// The coupon or its account changed meanwhile: start over from the coupon. (A taken
    /// transaction id is a broken id generator; any other key, a corrupt store.)
    fn conflict(mut self: Box<Self>, key: &str) -> Result<Step> {
        match self.voiding.take() {
            // The void's record lost to settleCoupons(), which recorded it: the refund stands.
            Some((coupon, _, answer)) if !coupon.void_pending => return Ok(Step::done(answer)),
            // The refund's own commit was refused: decided again below.
            _ => {}
        }
        // (A refund racing another lists the coupon at the same entry: the coupon decides.)
        if key != keys::coupon(&self.coupon_id) && !key.starts_with(keys::PENDING_PREFIX) {
            ledger::retry_after(key, &self.account_id, &self.transaction_id, None)?;
        }
        Ok(read_refund(*self))
    }
}

/// `{ coupon, transactionId }`: the coupon and the `REFUND` that gave its points back.
fn refund_answer(coupon: &CouponRecord, refund: &str) -> Result<String> {
    Ok(format!("{{\"coupon\":{},\"transactionId\":\"{refund}\"}}", encode(&view::coupon(coupon))?))
}

// ------------------------------------------------------------------ the member's coupons

/// Rows per scan of an account's coupon index.
const INDEX_BATCH: u32 = 500;

/// `getCurrentMemberCoupons()`: the member's index, the account's coupon index, the coupons.
#[derive(Debug, Clone)]
pub struct MemberCoupons {
    member: String,
    account_id: Option<String>,
    scan: Option<ScanRequest>,
    coupon_ids: Vec<String>,
}

pub fn member_coupons(_: &[Input], ctx: &Context) -> Result<Step> {
    let Caller::Member(member) = &ctx.caller else {
        return Err(member_required("getCurrentMemberCoupons"));
    };
    let op = MemberCoupons { member: member.clone(), account_id: None, scan: None, coupon_ids: Vec::new() };
    Ok(Step::new(Request::Read(vec![keys::member_index(member)]), op))
}

impl MemberCoupons {
    fn scan_from(mut self, after: Option<String>) -> Step {
        let prefix = keys::account_coupons(self.account_id.as_deref().unwrap_or_default());
        let request = ScanRequest { prefix, after, limit: INDEX_BATCH, reverse: false };
        self.scan = Some(request.clone());
        Step::new(Request::Scan(request), self)
    }
}

impl Machine for MemberCoupons {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        if self.account_id.is_none() {
            let Some(stored) = expect_read(io, 1)?.into_iter().next().flatten() else {
                return Err(no_account(&self.member));
            };
            let index: IndexRecord = records::decode(&keys::member_index(&self.member), &stored.value)?;
            self.account_id = Some(index.account_id);
            return Ok(self.scan_from(None));
        }
        if let Some(request) = self.scan.take() {
            let rows = expect_scan(io, &request)?;
            let full = rows.len() as u32 == request.limit;
            let last = rows.last().map(|r| r.key.clone());
            for row in rows {
                let index: CouponIndex = records::decode(&row.key, &row.value)?;
                self.coupon_ids.push(index.coupon_id);
            }
            if full {
                return Ok(self.scan_from(last));
            }
            let keys = self.coupon_ids.iter().map(|id| keys::coupon(id)).collect();
            return Ok(Step::new(Request::Read(keys), *self));
        }
        let values = expect_read(io, self.coupon_ids.len())?;
        let mut items = Vec::new();
        for (id, stored) in self.coupon_ids.iter().zip(values) {
            // An index without its coupon would be a torn write: report it, never skip it.
            let Some(stored) = stored else { return Err(not_found(id)) };
            let coupon = decode_coupon(&keys::coupon(id), &stored.value)?;
            if coupon.deleted_ms.is_none() {
                items.push(encode(&view::coupon(&coupon))?);
            }
        }
        Ok(Step::done(format!("{{\"loyaltyCoupons\":[{}]}}", items.join(","))))
    }
}

// ------------------------------------------------------------------ query

fn parse_query(c: &mut Check, q: &Input) -> (Filter, Vec<SortKey>) {
    scan::filter_and_sort(c, "query", q, COUPONS.fields)
}

fn render_query(page: Page) -> Result<String> {
    let paging = MetadataV2::new(page.items.len(), page.offset, page.cursors);
    Ok(format!("{{\"loyaltyCoupons\":[{}],\"metadata\":{}}}", page.items.join(","), encode(&paging)?))
}

fn render_bulk(page: Page) -> Result<String> {
    Ok(format!("{{\"couponsInSite\":[{{\"loyaltyCoupons\":[{}]}}]}}", page.items.join(",")))
}

/// A query over `coupon/` (tombstones skipped), in id order unless sorted.
fn run_query(field: &str, q: &Input, render: scan::Render) -> Result<Step> {
    scan::family_query(&COUPONS, keys::COUPON_PREFIX, field, q, parse_query, render)
}

/// `queryLoyaltyCoupons({ filter?, sort?, cursorPaging? })`: `{ loyaltyCoupons, metadata }`.
pub fn query(args: &[Input], _: &Context) -> Result<Step> {
    let mut c = Check::default();
    let q = c.object("query", arg(args, 0), false).unwrap_or(&Input::Null).clone();
    c.finish()?;
    run_query("query", &q, render_query)
}

/// `bulkGetLoyaltyCoupon({ query? })`: one page of this site's coupons (at most 100).
pub fn bulk_get(args: &[Input], _: &Context) -> Result<Step> {
    let mut c = Check::default();
    let q = match c.object("options", arg(args, 0), false) {
        Some(o) => c.object("options.query", o.get("query"), false).unwrap_or(&Input::Null).clone(),
        None => Input::Null,
    };
    c.finish()?;
    run_query("options.query", &q, render_bulk)
}
