//! Ledger transactions: `txn/<id>`, with copies in the account's ledger and the time index.

use serde::Deserialize;

use super::read::text;
use super::{first_non_guid, first_out_of_range, Record, SAFE, TIME};

#[derive(serde::Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransactionType {
    Earn,
    Adjust,
    /// Points spent on a reward (a negative amount).
    Redeem,
    /// Points of a redemption given back (a positive amount).
    Refund,
}

impl TransactionType {
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionType::Earn => "EARN",
            TransactionType::Adjust => "ADJUST",
            TransactionType::Redeem => "REDEEM",
            TransactionType::Refund => "REFUND",
        }
    }
}

/// What a `REDEEM` paid for: the reward, its type, and the loyalty coupon it produced.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[cfg_attr(test, serde(rename_all = "camelCase"))]
pub struct RedeemInfo {
    pub reward_id: String,
    pub reward_type: String,
    pub reference_entity_id: String,
}

/// What a `REFUND` gave back: the `REDEEM` it reverses.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[cfg_attr(test, serde(rename_all = "camelCase"))]
pub struct RefundInfo {
    pub app_id: String,
    pub refunded_transaction_id: String,
}

impl<'de> Deserialize<'de> for RedeemInfo {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::via_input(d, "redeemInfo", |v| {
            Some(RedeemInfo {
                reward_id: text(v, "rewardId")?,
                reward_type: text(v, "rewardType")?,
                reference_entity_id: text(v, "referenceEntityId")?,
            })
        })
    }
}

impl<'de> Deserialize<'de> for RefundInfo {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::via_input(d, "refundInfo", |v| {
            Some(RefundInfo { app_id: text(v, "appId")?, refunded_transaction_id: text(v, "refundedTransactionId")? })
        })
    }
}

#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
pub struct EarnInfo {
    pub app_id: String,
    #[serde(default)]
    pub activity_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
pub struct AdjustInfo {
    pub app_id: String,
    pub amount_before: i64,
    pub amount_after: i64,
}

#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
pub struct TransactionRecord {
    pub schema: u32,
    pub id: String,
    pub account_id: String,
    /// The account revision this transaction produced (its place in the account's ledger).
    pub account_revision: u64,
    pub created_ms: i64,
    pub amount: i64,
    pub transaction_type: TransactionType,
    #[serde(default)]
    pub description: String,
    pub idempotency_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earn_info: Option<EarnInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adjust_info: Option<AdjustInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redeem_info: Option<RedeemInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_info: Option<RefundInfo>,
}

impl Record for TransactionRecord {
    fn read_written(text: &str) -> Option<Self> {
        super::json::read_transaction(text)
    }
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        let adjust = self.adjust_info.as_ref();
        first_out_of_range(&[
            ("amount", self.amount.into(), -SAFE, SAFE),
            ("accountRevision", self.account_revision.into(), 1, SAFE),
            ("createdMs", self.created_ms.into(), 0, TIME),
            ("adjustInfo.amountBefore", adjust.map_or(0, |a| a.amount_before).into(), -SAFE, SAFE),
            ("adjustInfo.amountAfter", adjust.map_or(0, |a| a.amount_after).into(), -SAFE, SAFE),
        ])
        .or_else(|| first_non_guid(&[("id", &self.id), ("accountId", &self.account_id)]))
    }
}
