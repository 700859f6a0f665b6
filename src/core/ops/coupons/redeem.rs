//! Redeeming points for a coupon (`redeemPointsForCoupon`, `redeemCurrentMemberPointsForCoupon`):
//! one commit, or with the host's coupon hooks three (the hook phases are in [`super::reference`]).

use super::redemption::{Phase, Redeem};
use super::reference::{after_void, hook_failed, hook_outcome, hook_payload};
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::{quoted, Input};
use crate::core::ops::arg;
use crate::core::ops::get_account::member_required;
use crate::core::protocol::{expect_ids, expect_read, Caller, Context, Io, Machine, Request};
use crate::core::protocol::{Step, Stored};
use crate::core::reason::Reason;
use crate::core::records::coupon::code_of;
use crate::core::records::{self, encode, keys, view, CouponRecord, CouponStatus};
use crate::core::records::{Details, IndexRecord, RedeemInfo, RedeemRecord, TransactionType};
use crate::core::rules::availability;
use crate::core::rules::ledger::{self, apply_delta};
use crate::core::rules::lookup;
use crate::core::validate::Check;

pub(super) fn redeem_options(
    c: &mut Check,
    options: &Input,
    account_field: Option<&str>,
) -> (Option<String>, Option<String>) {
    let Some(o) = c.object("options", options, account_field.is_some()) else {
        return (None, None);
    };
    let account = account_field.and_then(|f| c.required_guid(f, o.get("loyaltyAccountId")));
    let key = c.key_text("options.idempotencyKey", o.get("idempotencyKey"), 1, 256, false).flatten();
    (account, key)
}

pub(super) fn begin(mut op: Redeem, ctx: &Context) -> Result<Step> {
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

pub(super) fn new_redeem(
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
        return Err(LoyaltyError::internal(Reason::InvalidState, "a checked redemption went missing"));
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
        reward_id.ok_or_else(|| LoyaltyError::internal(Reason::InvalidState, "a checked redemption went missing"))?;
    let mut op = new_redeem(reward_id, String::new(), Some(member.clone()), key, ctx);
    op.phase = Phase::Member;
    begin(op, ctx)
}

pub(super) fn read_main(mut op: Redeem) -> Step {
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

pub(super) fn no_account(member: &str) -> LoyaltyError {
    LoyaltyError::not_found(Reason::AccountNotFound, format!("member {member} (the caller) has no loyalty account"))
}

impl Redeem {
    /// The answer of a retry with the same key, or the refusal of a reused key.
    pub(super) fn replay(&self, key: &str, stored: &Stored) -> Result<Step> {
        let record_key = keys::redeem(&self.account_id, key);
        let record: RedeemRecord = records::decode(&record_key, &stored.value)?;
        if record.account_id != self.account_id || record.reward_id != self.reward_id {
            return Err(LoyaltyError::precondition(
                Reason::IdempotencyKeyReused,
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

    pub(super) fn decide(self, values: Vec<Option<Stored>>) -> Result<Step> {
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
        let (reward, _) = crate::core::ops::rewards::read_reward(&self.reward_id, reward)?;
        if !reward.active {
            return Err(LoyaltyError::precondition(
                Reason::RewardNotActive,
                format!("reward {} is not active", reward.id),
            )
            .with_data(&[("rewardId", &reward.id)]));
        }
        let Some(Details::Coupon(coupon_reward)) = reward.details() else {
            return Err(LoyaltyError::precondition(
                Reason::RewardNotACoupon,
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
        crate::core::rules::tiering::settle(&mut account, &prices, now);
        let tier = account.tier.id.as_deref();
        let Some(price) = coupon_reward.price_at(tier) else {
            return Err(LoyaltyError::precondition(
                Reason::NoPriceForTier,
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
                        Reason::RedemptionInProgress,
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
                    Reason::CouponCodeTaken,
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
