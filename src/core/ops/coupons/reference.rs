//! Reference coupons: a redemption around the host's `referenceCoupons` hooks (`create`, `void`),
//! and what `settleCoupons()` shares with it.

use super::coupon_index;
use super::redemption::{Phase, Redeem};
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{Io, Machine, Request};
use crate::core::protocol::{Step, Stored, Write};
use crate::core::reason::Reason;
use crate::core::records::coupon::Specification;
use crate::core::records::{self, encode, keys, CouponRecord, CouponStatus};
use crate::core::records::{Details, RedeemInfo, TransactionType};
use crate::core::rules::availability;
use crate::core::rules::ledger::{self, apply_delta};
use crate::core::rules::lookup;

/// A hook's answer: what it resolved to, or why it failed.
pub fn hook_outcome(io: Io, hook: &str) -> Result<std::result::Result<Input, String>> {
    let Io::Hook(answer) = io else {
        return Err(LoyaltyError::storage_protocol(format!("expected the outcome of the {hook} hook")));
    };
    Ok(match answer.get("error").text() {
        Some(message) => Err(message.to_string()),
        None => Ok(answer.get("ok").clone()),
    })
}

pub(super) fn hook_failed(hook: &str, why: &str) -> LoyaltyError {
    LoyaltyError::new(
        crate::core::error::Code::Unavailable,
        Reason::CouponHookFailed,
        format!("referenceCoupons.{hook} failed: {why}; no points were taken"),
    )
}

/// The payload of both hooks: which reference coupon, for which redemption.
pub fn hook_payload(c: &CouponRecord) -> Result<String> {
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

/// The time of a coupon's new `coupon-pending/` entry: now, and after its last one (whose key
/// stays taken).
pub(super) fn fresh_pending_ms(c: &CouponRecord, now_ms: i64) -> i64 {
    now_ms.max(c.pending_ms.unwrap_or(c.created_ms).saturating_add(1))
}

/// A coupon whose reference coupon the host voided, recorded so.
pub fn voided(mut c: CouponRecord, now_ms: i64) -> Result<CouponRecord> {
    c.void_pending = false;
    crate::core::records::bump(&mut c.revision, "coupon's revision")?;
    c.updated_ms = now_ms.max(c.updated_ms);
    Ok(c)
}

/// A `PENDING` or `FAILED` coupon moved on: `status`, the reference coupon still to void or not.
pub fn moved(mut c: CouponRecord, status: CouponStatus, void_pending: bool, now_ms: i64) -> Result<CouponRecord> {
    c.status = status;
    c.void_pending = void_pending;
    crate::core::records::bump(&mut c.revision, "coupon's revision")?;
    c.updated_ms = now_ms.max(c.updated_ms);
    Ok(c)
}

/// The step after the `void` hook answered: with `Ok`, commit that the reference coupon is
/// voided (when the coupon still says it is to be), else end with `error`.
pub(super) fn after_void(
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
    /// With hooks, first: the coupon `PENDING` (no points taken), listed for `settleCoupons()`,
    /// with the retry record (no answer yet) claiming the key.
    pub(super) fn reserve(mut self, coupon: CouponRecord, reward_version: u64) -> Result<Step> {
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

    pub(super) fn pending(&self) -> Result<&(CouponRecord, u64)> {
        self.pending.as_ref().ok_or_else(|| LoyaltyError::internal(Reason::InvalidState, "no pending coupon"))
    }

    pub(super) fn read_confirm(mut self) -> Step {
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
    pub(super) fn fail(mut self, error: LoyaltyError) -> Result<Step> {
        let (coupon, version) = self.pending()?.clone();
        let failed = moved(coupon, CouponStatus::Failed, true, self.at.now_ms)?;
        let writes = vec![Write::put(keys::coupon(&failed.id), encode(&failed)?, version)];
        self.pending = Some((failed, version + 1));
        self.phase = Phase::Failing(error);
        let batch = crate::core::protocol::Batch::quiet();
        Ok(Step::new(Request::Batch(writes, batch), self))
    }

    pub(super) fn void(mut self, error: LoyaltyError) -> Result<Step> {
        let payload = hook_payload(&self.pending()?.0)?;
        self.phase = Phase::Voiding(error);
        Ok(Step::new(Request::Hook("void", payload), self))
    }

    /// With hooks, last: the points taken and the coupon `ACTIVE` with the hook's code, in one
    /// commit conditional on the account, the coupon (still `PENDING`), the reward (still at
    /// the version that priced it) and the prices.
    pub(super) fn confirm(mut self, values: Vec<Option<Stored>>) -> Result<Step> {
        let mut values = values.into_iter();
        let (account, reward, prices, coupon) =
            (values.next().flatten(), values.next().flatten(), values.next().flatten(), values.next().flatten());
        let key = keys::coupon(&self.coupon_id);
        let stored = coupon.ok_or_else(|| LoyaltyError::corrupt(&key, "the pending coupon disappeared"))?;
        let coupon: CouponRecord = records::decode(&key, &stored.value)?;
        let failed = LoyaltyError::precondition(
            Reason::RedemptionFailed,
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
            return self.fail(LoyaltyError::precondition(Reason::RewardChanged, why));
        }
        let (mut coupon, coupon_version) = self.pending()?.clone();
        // The reward is as it was; the account's tier, and so its price, may not be.
        let (prices, prices_version) = availability::read(prices.as_ref())?;
        let now = self.at.now_ms.max(account.updated_ms);
        crate::core::rules::tiering::settle(&mut account, &prices, now);
        let (priced, _) = crate::core::ops::rewards::read_reward(&self.reward_id, reward)?;
        let price = match priced.details() {
            Some(Details::Coupon(c)) => c.price_at(account.tier.id.as_deref()).map(|p| i64::from(p.cost_in_points)),
            _ => None,
        };
        if price != Some(coupon.cost) {
            let why = format!(
                "the price of reward {} at the account's tier changed while its reference coupon was being created: redeem again",
                self.reward_id
            );
            return self.fail(LoyaltyError::precondition(Reason::RewardChanged, why));
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
