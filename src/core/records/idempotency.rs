//! `idem/<key>`: what an `earnPoints` call asked for and what it produced, for retries.

use serde::Deserialize;

use super::read::{int, opt_text, text, whole};
use super::{first_non_guid, first_out_of_range, AccountRecord, Record, SAFE};
use crate::core::input::Input;

/// What an `earnPoints` call asked for; a retry must ask for exactly the same.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[cfg_attr(test, serde(rename_all = "camelCase"))]
pub struct EarnRequest {
    pub account_id: String,
    pub amount: i64,
    pub app_id: String,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub description: Option<String>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub activity_type: Option<String>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub order_id: Option<String>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub channel: Option<String>,
}

/// The request and the result it produced (the account right after the earn). Read through
/// [`Input`] (a retry reads it; nothing hot does).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[cfg_attr(test, serde(rename_all = "camelCase"))]
pub struct IdempotencyRecord {
    pub schema: u32,
    pub request: EarnRequest,
    pub transaction_id: String,
    pub account: AccountRecord,
}

impl Record for IdempotencyRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        first_out_of_range(&[("request.amount", self.request.amount.into(), -SAFE, SAFE)])
            .or_else(|| {
                first_non_guid(&[
                    ("transactionId", &self.transaction_id),
                    ("request.accountId", &self.request.account_id),
                ])
            })
            .or_else(|| self.account.out_of_range().map(|e| format!("account.{e}")))
    }
}

fn idempotency(v: &Input) -> Option<IdempotencyRecord> {
    let r = v.get("request");
    Some(IdempotencyRecord {
        schema: u32::try_from(whole(v, "schema")?).ok()?,
        request: EarnRequest {
            account_id: text(r, "accountId")?,
            amount: int(r, "amount")?,
            app_id: text(r, "appId")?,
            description: opt_text(r, "description")?,
            activity_type: opt_text(r, "activityType")?,
            order_id: opt_text(r, "orderId")?,
            channel: opt_text(r, "channel")?,
        },
        transaction_id: text(v, "transactionId")?,
        account: super::account::account_from(v.get("account"))?,
    })
}

impl<'de> Deserialize<'de> for IdempotencyRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::via_input(d, "idempotency", idempotency)
    }
}
