//! Ledger transactions: `txn/<id>`, with copies in the account's ledger and the time index.

use serde::Deserialize;

use super::read::{any_int as int, any_whole, opt_text, text, whole};
use super::{first_non_guid, first_out_of_range, Record, SAFE, TIME};
use crate::core::input::Input;

#[derive(serde::Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransactionType {
    Earn,
    Adjust,
    /// Points spent on a reward (a negative amount).
    Redeem,
    /// Points of a redemption given back (a positive amount).
    Refund,
    /// Points expired after months of inactivity (a negative amount).
    Expire,
}

impl TransactionType {
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionType::Earn => "EARN",
            TransactionType::Adjust => "ADJUST",
            TransactionType::Redeem => "REDEEM",
            TransactionType::Refund => "REFUND",
            TransactionType::Expire => "EXPIRE",
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

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[cfg_attr(test, serde(rename_all = "camelCase"))]
pub struct EarnInfo {
    pub app_id: String,
    pub activity_type: String,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub order_id: Option<String>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub channel: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[cfg_attr(test, serde(rename_all = "camelCase"))]
pub struct AdjustInfo {
    pub app_id: String,
    pub amount_before: i64,
    pub amount_after: i64,
}

/// A ledger entry. Written by `json::transaction` and read by `json::read_transaction` in that
/// form; any other form is read through [`Input`] (one reader shared by the records read this
/// way, instead of a derived reader per type).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[cfg_attr(test, serde(rename_all = "camelCase"))]
pub struct TransactionRecord {
    pub schema: u32,
    pub id: String,
    pub account_id: String,
    /// The account revision this transaction produced (its place in the account's ledger).
    pub account_revision: u64,
    pub created_ms: i64,
    pub amount: i64,
    pub transaction_type: TransactionType,
    pub description: String,
    pub idempotency_key: String,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub earn_info: Option<EarnInfo>,
    /// The amounts before and after of an `ADJUST`; of an `EXPIRE` too, written as
    /// `expireInfo { amountBefore, amountAfter }` (its `appId` empty).
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub adjust_info: Option<AdjustInfo>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub redeem_info: Option<RedeemInfo>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub refund_info: Option<RefundInfo>,
}

/// `Some(None)` when `name` is absent (or null), `None` when `read` refuses it.
fn part<T>(v: &Input, name: &str, read: fn(&Input) -> Option<T>) -> Option<Option<T>> {
    match v.get(name) {
        x if x.is_absent() => Some(None),
        x => read(x).map(Some),
    }
}

fn transaction(v: &Input) -> Option<TransactionRecord> {
    let transaction_type = match v.get("transactionType").text()? {
        "EARN" => TransactionType::Earn,
        "ADJUST" => TransactionType::Adjust,
        "REDEEM" => TransactionType::Redeem,
        "REFUND" => TransactionType::Refund,
        "EXPIRE" => TransactionType::Expire,
        _ => return None,
    };
    Some(TransactionRecord {
        schema: u32::try_from(whole(v, "schema")?).ok()?,
        id: text(v, "id")?,
        account_id: text(v, "accountId")?,
        account_revision: any_whole(v, "accountRevision")?,
        created_ms: int(v, "createdMs")?,
        amount: int(v, "amount")?,
        transaction_type,
        description: opt_text(v, "description")?.unwrap_or_default(),
        idempotency_key: text(v, "idempotencyKey")?,
        earn_info: part(v, "earnInfo", |e| {
            Some(EarnInfo {
                app_id: text(e, "appId")?,
                activity_type: opt_text(e, "activityType")?.unwrap_or_default(),
                order_id: opt_text(e, "orderId")?,
                channel: opt_text(e, "channel")?,
            })
        })?,
        adjust_info: match transaction_type {
            TransactionType::Expire => part(v, "expireInfo", |a| {
                Some(AdjustInfo {
                    app_id: String::new(),
                    amount_before: int(a, "amountBefore")?,
                    amount_after: int(a, "amountAfter")?,
                })
            })?,
            _ => part(v, "adjustInfo", |a| {
                Some(AdjustInfo {
                    app_id: text(a, "appId")?,
                    amount_before: int(a, "amountBefore")?,
                    amount_after: int(a, "amountAfter")?,
                })
            })?,
        },
        redeem_info: part(v, "redeemInfo", |r| {
            Some(RedeemInfo {
                reward_id: text(r, "rewardId")?,
                reward_type: text(r, "rewardType")?,
                reference_entity_id: text(r, "referenceEntityId")?,
            })
        })?,
        refund_info: part(v, "refundInfo", |r| {
            Some(RefundInfo { app_id: text(r, "appId")?, refunded_transaction_id: text(r, "refundedTransactionId")? })
        })?,
    })
}

impl<'de> Deserialize<'de> for TransactionRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::via_input(d, "transaction", transaction)
    }
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
