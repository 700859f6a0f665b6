//! `idem/<key>`: what an `earnPoints` call asked for and what it produced, for retries.

use serde::Deserialize;

use super::{first_non_guid, first_out_of_range, AccountRecord, Record, SAFE};

/// What an `earnPoints` call asked for; a retry must ask for exactly the same.
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
pub struct EarnRequest {
    pub account_id: String,
    pub amount: i64,
    pub app_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// The request and the result it produced (the account right after the earn).
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[serde(rename_all = "camelCase")]
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
