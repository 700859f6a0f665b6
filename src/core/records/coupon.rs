//! Loyalty coupons (`coupon/<id>`): what a redemption produced. Each has a reference coupon
//! (`couponReference`: the code a shopper enters, and the discount's specification derived
//! from the reward), issued by the engine itself: its code is unique (`coupon-code/<code>`
//! holds the coupon that has it). `account-coupon/<accountId>/<couponId>` lists an account's
//! coupons; `redeem/<idempotencyKey>` remembers a redemption for its retries.
//!
//! A deleted coupon stays as a tombstone (`deletedMs`), as a deleted reward does.

use serde::{Deserialize, Serialize};

use super::read::{boolean, int, opt_bool, opt_number, opt_text, opt_whole, text, whole};
use crate::core::input::Input;

use super::reward::{CouponReward, RewardRecord};
use super::{first_non_guid, first_out_of_range, Record, SAFE, TIME};

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CouponStatus {
    /// Usable.
    Active,
    /// No longer usable: its points were refunded, and its reference coupon voided.
    Archived,
    /// A host's coupon hook is creating its reference coupon; no points are taken yet.
    Pending,
    /// Its redemption failed after the reference coupon was asked for: no points were taken,
    /// and the reference coupon is voided (or, while `voidPending`, about to be).
    Failed,
}

impl CouponStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CouponStatus::Active => "ACTIVE",
            CouponStatus::Archived => "ARCHIVED",
            CouponStatus::Pending => "PENDING",
            CouponStatus::Failed => "FAILED",
        }
    }
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SpecScope {
    pub namespace: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
}

/// The discount a coupon gives, in Wix Coupons' terms (spec §3.5).
#[derive(Serialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Specification {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub money_off_amount: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_off_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_shipping: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<SpecScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_subtotal: Option<f64>,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limited_to_one_item: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_to_subscriptions: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discounted_cycle_count: Option<u32>,
}

impl Specification {
    /// The specification of a coupon for `reward` (spec §3.5's mapping): its discount (the base
    /// tier's price), scope or minimum subtotal and options, named after the reward.
    pub fn of(reward: &RewardRecord, coupon: &CouponReward) -> Specification {
        let base = coupon.configs().iter().find(|c| c.tier_id.is_none());
        let mut s = Specification {
            scope: coupon.scope.as_ref().map(|s| SpecScope {
                namespace: s.namespace.clone(),
                name: s.group.as_ref().map(|g| g.name.clone()),
                entity_id: s.group.as_ref().and_then(|g| g.entity_id.clone()),
            }),
            minimum_subtotal: coupon.minimum_subtotal,
            name: reward.name.clone(),
            limited_to_one_item: coupon.limited_to_one_item,
            applies_to_subscriptions: coupon.applies_to_subscriptions,
            discounted_cycle_count: coupon.discounted_cycle_count,
            ..Specification::default()
        };
        if coupon.fixed_amount.is_some() {
            s.money_off_amount = base.and_then(|c| c.amount);
            s.kind = "MONEY_OFF_AMOUNT".into();
        } else if coupon.percentage.is_some() {
            s.percent_off_rate = base.and_then(|c| c.percentage);
            s.kind = "PERCENT_OFF_RATE".into();
        } else {
            s.free_shipping = Some(true);
            s.kind = "FREE_SHIPPING".into();
        }
        s
    }
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CouponReference {
    pub coupon_id: String,
    pub code: String,
    pub name: String,
    pub specification: Specification,
    pub deleted: bool,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CouponRecord {
    pub schema: u32,
    pub id: String,
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    /// The `REDEEM` that paid for it.
    pub transaction_id: String,
    pub reward_id: String,
    pub reward_name: String,
    /// The points it cost.
    pub cost: i64,
    pub coupon_reference: CouponReference,
    pub status: CouponStatus,
    pub revision: u64,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// The `REFUND` that gave its points back, once refunded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_transaction_id: Option<String>,
    /// Set on a deleted coupon (a tombstone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_ms: Option<i64>,
    /// Its reference coupon is the host's (a `referenceCoupons.create` made it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
    /// A coupon (`FAILED`, or a refunded one) whose reference coupon the host's `void` hook has
    /// not voided yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub void_pending: bool,
    /// When it was last listed in `coupon-pending/` (`createdMs` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_ms: Option<i64>,
}

impl CouponRecord {
    /// Its redemption took points (a `REDEEM` names it): `ACTIVE` or `ARCHIVED`.
    pub fn paid(&self) -> bool {
        matches!(self.status, CouponStatus::Active | CouponStatus::Archived)
    }

    /// Its `coupon-pending/` entry.
    pub fn pending_key(&self) -> String {
        super::keys::pending_coupon(self.pending_ms.unwrap_or(self.created_ms), &self.id)
    }

    /// Nothing is left for `settleCoupons()` to do about it.
    pub fn settled(&self) -> bool {
        self.status != CouponStatus::Pending && !self.void_pending
    }
}

impl Record for CouponRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        first_non_guid(&[
            ("id", &self.id),
            ("accountId", &self.account_id),
            ("transactionId", &self.transaction_id),
            ("rewardId", &self.reward_id),
            ("couponReference.couponId", &self.coupon_reference.coupon_id),
        ])
        .or_else(|| {
            first_out_of_range(&[
                ("cost", self.cost.into(), 1, SAFE),
                ("revision", self.revision.into(), 1, SAFE),
                ("createdMs", self.created_ms.into(), 0, TIME),
                ("updatedMs", self.updated_ms.into(), 0, TIME),
                ("deletedMs", self.deleted_ms.unwrap_or(0).into(), 0, TIME),
                ("pendingMs", self.pending_ms.unwrap_or(0).into(), 0, TIME),
            ])
        })
    }
}

/// `coupon-code/<code>` and `account-coupon/<accountId>/<couponId>`: the coupon they name.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CouponIndex {
    pub schema: u32,
    pub coupon_id: String,
}

impl Record for CouponIndex {
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        first_non_guid(&[("couponId", &self.coupon_id)])
    }
}

/// `redeem/<idempotencyKey>`: a redemption made with that key, and its answer, for retries.
#[derive(Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RedeemRecord {
    pub schema: u32,
    pub account_id: String,
    pub reward_id: String,
    pub coupon_id: String,
    /// The answer's JSON (`{ coupon }`), as first given.
    pub answer: String,
}

impl Record for RedeemRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        first_non_guid(&[("accountId", &self.account_id), ("rewardId", &self.reward_id), ("couponId", &self.coupon_id)])
    }
}

// ------------------------------------------------------------------ reading records

impl CouponStatus {
    fn named(name: &str) -> Option<CouponStatus> {
        match name {
            "ACTIVE" => Some(CouponStatus::Active),
            "ARCHIVED" => Some(CouponStatus::Archived),
            "PENDING" => Some(CouponStatus::Pending),
            "FAILED" => Some(CouponStatus::Failed),
            _ => None,
        }
    }
}

fn specification(v: &Input) -> Option<Specification> {
    let scope = match v.get("scope") {
        s if s.is_absent() => None,
        s => Some(SpecScope {
            namespace: text(s, "namespace")?,
            name: opt_text(s, "name")?,
            entity_id: opt_text(s, "entityId")?,
        }),
    };
    Some(Specification {
        money_off_amount: opt_number(v, "moneyOffAmount")?,
        percent_off_rate: opt_number(v, "percentOffRate")?,
        free_shipping: opt_bool(v, "freeShipping")?,
        scope,
        minimum_subtotal: opt_number(v, "minimumSubtotal")?,
        name: text(v, "name")?,
        kind: text(v, "type")?,
        limited_to_one_item: opt_bool(v, "limitedToOneItem")?,
        applies_to_subscriptions: opt_bool(v, "appliesToSubscriptions")?,
        discounted_cycle_count: opt_whole(v, "discountedCycleCount")?.map(|n| n.min(u64::from(u32::MAX)) as u32),
    })
}

fn coupon(v: &Input) -> Option<CouponRecord> {
    let r = v.get("couponReference");
    Some(CouponRecord {
        schema: whole(v, "schema")?.min(u64::from(u32::MAX)) as u32,
        id: text(v, "id")?,
        account_id: text(v, "accountId")?,
        member_id: opt_text(v, "memberId")?,
        transaction_id: text(v, "transactionId")?,
        reward_id: text(v, "rewardId")?,
        reward_name: text(v, "rewardName")?,
        cost: int(v, "cost")?,
        coupon_reference: CouponReference {
            coupon_id: text(r, "couponId")?,
            code: text(r, "code")?,
            name: text(r, "name")?,
            specification: specification(r.get("specification"))?,
            deleted: boolean(r, "deleted")?,
        },
        status: CouponStatus::named(v.get("status").text()?)?,
        revision: whole(v, "revision")?,
        created_ms: int(v, "createdMs")?,
        updated_ms: int(v, "updatedMs")?,
        refund_transaction_id: opt_text(v, "refundTransactionId")?,
        deleted_ms: opt_whole(v, "deletedMs")?.map(|n| n as i64),
        external: opt_bool(v, "external")?.unwrap_or(false),
        void_pending: opt_bool(v, "voidPending")?.unwrap_or(false),
        pending_ms: opt_whole(v, "pendingMs")?.map(|n| n.min(i64::MAX as u64) as i64),
    })
}

impl<'de> Deserialize<'de> for CouponRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::via_input(d, "coupon", coupon)
    }
}

impl<'de> Deserialize<'de> for CouponIndex {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::via_input(d, "coupon index", |v| {
            Some(CouponIndex {
                schema: whole(v, "schema")?.min(u64::from(u32::MAX)) as u32,
                coupon_id: text(v, "couponId")?,
            })
        })
    }
}

impl<'de> Deserialize<'de> for RedeemRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::via_input(d, "redemption", |v| {
            Some(RedeemRecord {
                schema: whole(v, "schema")?.min(u64::from(u32::MAX)) as u32,
                account_id: text(v, "accountId")?,
                reward_id: text(v, "rewardId")?,
                coupon_id: text(v, "couponId")?,
                answer: text(v, "answer")?,
            })
        })
    }
}

/// The code a shopper enters: `LOY-` and 12 hexadecimal digits in three groups
/// (`LOY-8C1F-04B2-9E7A`), 18 characters, from a 64-bit FNV-1a hash of the reference coupon's
/// id (so ids that differ in any digit, sequential test ids included, give different codes).
/// Unique: a commit that finds its code taken draws another id.
pub fn code_of(reference_id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in reference_id.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut code = String::from("LOY");
    for group in 0..3 {
        code.push('-');
        for digit in 0..4 {
            let nibble = (h >> (44 - 4 * (group * 4 + digit))) & 0xf;
            code.push(char::from_digit(nibble as u32, 16).unwrap_or('0').to_ascii_uppercase());
        }
    }
    code
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_18_characters_and_differ_for_neighbouring_ids() {
        let codes: Vec<String> =
            (0..1000).map(|i| super::code_of(&format!("00000000-0000-4000-8000-{i:012}"))).collect();
        assert!(
            codes.iter().all(|c| c.len() == 18 && c.starts_with("LOY-") && c.matches('-').count() == 3),
            "{codes:?}"
        );
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
        assert_eq!(
            super::code_of("3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d"),
            super::code_of("3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d")
        );
    }
}
