//! The public shapes of entities, as the Wix SDK returns them: `_id`, `_createdDate`,
//! `revision` as a decimal string, always-present fields filled. Dates are emitted as epoch
//! milliseconds under the SDK's date field names; the JS face turns those into `Date`s.
//!
//! The account and transaction views, written on every balance change and read, are written by
//! hand in [`super::json`]; their serde shapes here exist only in tests, as the reference the
//! hand-written text is checked against.

use serde::Serialize;

#[cfg(test)]
use super::{AccountRecord, TransactionRecord, TransactionType};
use super::{JobRecord, ProgramRecord};

/// Field names whose values the JS face turns into `Date` objects.
pub const DATE_FIELDS: [&str; 5] = ["_createdDate", "_updatedDate", "lastActivityDate", "eventTime", "expirationDate"];

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgramView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    pub point_definition: PointDefinitionView<'a>,
    pub status: super::ProgramStatus,
    #[serde(rename = "_createdDate", skip_serializing_if = "Option::is_none")]
    pub created_date: Option<i64>,
    #[serde(rename = "_updatedDate", skip_serializing_if = "Option::is_none")]
    pub updated_date: Option<i64>,
    pub points_expiration: PointsExpirationSettingsView,
    pub premium_features: PremiumFeaturesView,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PointDefinitionView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icon: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PointsExpirationSettingsView {
    pub status: super::ExpirationStatus,
    pub months_of_inactivity: u32,
    pub expiring_points_percentage: u32,
}

/// What this engine offers: the loyalty program, tiers (when built with them) and points
/// expiration.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PremiumFeaturesView {
    pub loyalty_program: bool,
    pub tiers: bool,
    pub points_expiration: bool,
}

pub fn program(p: &ProgramRecord) -> ProgramView<'_> {
    ProgramView {
        name: p.name.as_deref(),
        point_definition: PointDefinitionView { custom_name: p.point_name.as_deref(), icon: p.point_icon.as_deref() },
        status: p.status,
        created_date: p.created_ms,
        updated_date: p.updated_ms,
        points_expiration: PointsExpirationSettingsView {
            status: p.expiration_status,
            months_of_inactivity: p.months_of_inactivity,
            expiring_points_percentage: p.expiring_points_percentage,
        },
        premium_features: premium_features(),
    }
}

pub fn premium_features() -> PremiumFeaturesView {
    PremiumFeaturesView { loyalty_program: true, tiers: cfg!(feature = "tiers"), points_expiration: true }
}

/// A reward as the SDK returns it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardView<'a> {
    #[serde(rename = "_id")]
    pub id: &'a str,
    pub name: &'a str,
    pub active: bool,
    #[serde(rename = "type")]
    pub kind: super::RewardType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discount_amount: Option<&'a super::reward::DiscountAmount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coupon_reward: Option<&'a super::reward::CouponReward>,
    pub revision: String,
    #[serde(rename = "_createdDate")]
    pub created_date: i64,
    #[serde(rename = "_updatedDate")]
    pub updated_date: i64,
}

/// A loyalty coupon as the SDK returns it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CouponView<'a> {
    #[serde(rename = "_id")]
    pub id: &'a str,
    pub account_id: &'a str,
    pub member_id_deprecated: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<&'a str>,
    pub transaction_id: &'a str,
    pub coupon_reference: &'a super::coupon::CouponReference,
    pub status: super::CouponStatus,
    pub reward_name: &'a str,
    pub revision: String,
    #[serde(rename = "_createdDate")]
    pub created_date: i64,
    #[serde(rename = "_updatedDate")]
    pub updated_date: i64,
}

pub fn coupon(c: &super::CouponRecord) -> CouponView<'_> {
    CouponView {
        id: &c.id,
        account_id: &c.account_id,
        member_id_deprecated: c.member_id.as_deref().unwrap_or(""),
        member_id: c.member_id.as_deref(),
        transaction_id: &c.transaction_id,
        coupon_reference: &c.coupon_reference,
        status: c.status,
        reward_name: &c.reward_name,
        revision: c.revision.to_string(),
        created_date: c.created_ms,
        updated_date: c.updated_ms,
    }
}

pub fn reward(r: &super::RewardRecord) -> RewardView<'_> {
    RewardView {
        id: &r.id,
        name: &r.name,
        active: r.active,
        kind: r.kind,
        discount_amount: r.discount_amount.as_ref(),
        coupon_reward: r.coupon_reward.as_ref(),
        revision: r.revision.to_string(),
        created_date: r.created_ms,
        updated_date: r.updated_ms,
    }
}

#[cfg(test)]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView<'a> {
    #[serde(rename = "_id")]
    pub id: &'a str,
    pub contact_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<&'a str>,
    pub points: &'a super::Points,
    pub reward_available: bool,
    #[serde(rename = "_createdDate")]
    pub created_date: i64,
    #[serde(rename = "_updatedDate")]
    pub updated_date: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_activity_date: Option<i64>,
    pub revision: String,
    pub tier: TierView<'a>,
    pub contact: ContactView<'a>,
    pub points_expiration: PointsExpirationView,
}

#[cfg(test)]
#[derive(Serialize)]
pub struct TierView<'a> {
    #[serde(rename = "_id", skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a str>,
    #[serde(rename = "_updatedDate", skip_serializing_if = "Option::is_none")]
    pub updated_date: Option<i64>,
    pub points: i64,
}

#[cfg(test)]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactView<'a> {
    #[serde(rename = "_id")]
    pub id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<&'a str>,
    pub picture: PictureView<'a>,
}

#[cfg(test)]
#[derive(Serialize)]
pub struct PictureView<'a> {
    #[serde(rename = "_id")]
    pub id: &'a str,
    pub url: &'a str,
    pub height: u32,
    pub width: u32,
}

#[cfg(test)]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PointsExpirationView {
    pub expiring_points_amount: i64,
}

#[cfg(test)]
pub fn account(a: &AccountRecord) -> AccountView<'_> {
    let contact = &a.contact;
    let picture = contact.picture.as_ref();
    AccountView {
        id: &a.id,
        contact_id: &a.contact_id,
        member_id: contact.member_id.as_deref(),
        points: &a.points,
        reward_available: a.reward_available,
        created_date: a.created_ms,
        updated_date: a.updated_ms,
        last_activity_date: a.last_activity_ms,
        revision: a.revision.to_string(),
        tier: TierView { id: a.tier.id.as_deref(), updated_date: a.tier.ms, points: a.tier_points },
        contact: ContactView {
            id: &a.contact_id,
            name: contact.name.as_deref(),
            email: contact.email.as_deref(),
            display_name: contact.name.as_deref().or(contact.email.as_deref()),
            picture: PictureView {
                id: "",
                url: picture.map_or("", |p| p.url.as_str()),
                height: picture.map_or(0, |p| p.height),
                width: picture.map_or(0, |p| p.width),
            },
        },
        points_expiration: PointsExpirationView { expiring_points_amount: 0 },
    }
}

#[cfg(test)]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionView<'a> {
    #[serde(rename = "_id")]
    pub id: &'a str,
    pub account_id: &'a str,
    #[serde(rename = "_createdDate")]
    pub created_date: i64,
    pub amount: i64,
    pub transaction_type: &'static str,
    pub description: &'a str,
    pub idempotency_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earn_info: Option<EarnInfoView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adjust_info: Option<&'a super::AdjustInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redeem_info: Option<&'a super::RedeemInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund_info: Option<&'a super::RefundInfo>,
}

#[cfg(test)]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EarnInfoView<'a> {
    pub app_id: &'a str,
    pub activity_type: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub followed_social_media: Option<ChannelView<'a>>,
}

#[cfg(test)]
#[derive(Serialize)]
pub struct ChannelView<'a> {
    pub channel: &'a str,
}

#[cfg(test)]
pub fn transaction(t: &TransactionRecord) -> TransactionView<'_> {
    TransactionView {
        id: &t.id,
        account_id: &t.account_id,
        created_date: t.created_ms,
        amount: t.amount,
        transaction_type: t.transaction_type.as_str(),
        description: &t.description,
        idempotency_key: &t.idempotency_key,
        earn_info: match (&t.earn_info, t.transaction_type) {
            (Some(e), TransactionType::Earn) => Some(EarnInfoView {
                app_id: &e.app_id,
                activity_type: &e.activity_type,
                order_id: e.order_id.as_deref(),
                followed_social_media: e.channel.as_deref().map(|channel| ChannelView { channel }),
            }),
            _ => None,
        },
        adjust_info: t.adjust_info.as_ref(),
        redeem_info: t.redeem_info.as_ref(),
        refund_info: t.refund_info.as_ref(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JobView<'a> {
    #[serde(rename = "_id")]
    pub id: &'a str,
    pub kind: &'a str,
    pub status: super::JobStatus,
    pub processed: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub failures: &'a [super::job::JobFailure],
    #[serde(rename = "_createdDate")]
    pub created_date: i64,
    #[serde(rename = "_updatedDate")]
    pub updated_date: i64,
}

pub fn job(j: &JobRecord) -> JobView<'_> {
    JobView {
        id: &j.id,
        kind: &j.kind,
        status: j.status,
        processed: j.processed,
        succeeded: j.succeeded,
        failed: j.failed,
        failures: &j.failures,
        created_date: j.created_ms,
        updated_date: j.updated_ms,
    }
}
