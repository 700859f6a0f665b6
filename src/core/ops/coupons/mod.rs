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

mod get;
mod member;
mod query;
mod redeem;
mod redemption;
mod reference;
mod refund;

pub use get::{delete, get};
pub use member::member_coupons;
pub use query::{bulk_get, query};
pub use redeem::{redeem, redeem_as_member};
pub use reference::{hook_outcome, hook_payload, moved, voided};
pub use refund::refund;

use crate::core::error::{LoyaltyError, Result};
use crate::core::protocol::Stored;
use crate::core::query::fields::decode_coupon;
use crate::core::reason::Reason;
use crate::core::records::{encode, keys, CouponIndex, CouponRecord, SCHEMA};

fn not_found(id: &str) -> LoyaltyError {
    LoyaltyError::not_found(Reason::CouponNotFound, format!("loyalty coupon {id} does not exist"))
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

/// `coupon-code/`, `account-coupon/` and `coupon-pending/` entries: the coupon they name.
fn coupon_index(coupon_id: &str) -> Result<String> {
    encode(&CouponIndex { schema: SCHEMA, coupon_id: coupon_id.to_string() })
}
