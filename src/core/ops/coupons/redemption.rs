//! A redemption's state, shared by its two paths: the plain one ([`super::redeem`]) and the one
//! around the host's coupon hooks ([`super::reference`]); and what both commit in the end.

use super::coupon_index;
use crate::core::error::{LoyaltyError, Result};
use crate::core::protocol::{Outcome, Request, Stamp, Step, Write};
use crate::core::records::coupon::{CouponReference, Specification};
use crate::core::records::{self, encode, keys, view, CouponRecord, CouponStatus, RedeemRecord, SCHEMA};
use crate::core::rules::availability;
use crate::core::rules::events::{self, Entity, EventSpec};
use crate::core::rules::ledger;

/// Where a redemption is.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Phase {
    /// Reading the calling member's account index.
    Member,
    /// Reading the program, the account, the reward and the idempotency record.
    Main,
    /// Waiting for a fresh id: the coupon's code was taken.
    FreshCode,
    // With the host's coupon hooks (see [`super::reference`]):
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
    pub(super) phase: Phase,
    /// The calling member (the member variant); their account is read from their index.
    pub(super) member: Option<String>,
    pub(super) account_id: String,
    pub(super) reward_id: String,
    pub(super) key: Option<String>,
    pub(super) coupon_id: String,
    pub(super) transaction_id: String,
    /// The reference coupon's id, from which its code comes.
    pub(super) reference_id: String,
    pub(super) at: Stamp,
    /// The host's coupon hooks create the reference coupon (`Context::coupon_hooks`).
    pub(super) hooks: bool,
    /// With hooks: the `PENDING` coupon and its version once committed, the reward's version
    /// that priced it, the code the hook gave, and the retry record's version (a failed
    /// redemption's record is taken over by the next one with its key).
    pub(super) pending: Option<(CouponRecord, u64)>,
    pub(super) reward_version: u64,
    pub(super) code: String,
    pub(super) redeem_version: u64,
}

impl Redeem {
    /// The coupon a redemption of `reward` makes for `account` (status `PENDING`: the caller
    /// sets the status it commits).
    pub(super) fn coupon_record(
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

    /// With an idempotency key, the write of its retry record (at `version`) for `coupon`.
    pub(super) fn retry_record(&self, coupon: &CouponRecord, answer: String, version: u64) -> Result<Option<Write>> {
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

    /// The commit that takes the points: the account (conditional on `account_version`), the
    /// `REDEEM` in its three places, the coupon `ACTIVE` (conditional on `coupon_version`: 0 for
    /// a new one, which is listed for its account here), its code's index, checks that the prices
    /// and the reward are at the versions read, and the retry record's answer.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn paid(
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
