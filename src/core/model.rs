//! Stored records. They are JSON text with a `schema` number; a reader rejects records from a
//! newer schema and records it cannot parse, naming the key, instead of guessing.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::{Code, LoyaltyError, Result};

/// The schema this engine writes and the newest it reads.
pub const SCHEMA: u32 = 1;

/// The Loyalty app's own id, recorded as `appId` of manual adjustments.
pub const LOYALTY_APP_ID: &str = "553c79f3-5625-4f38-b14b-ef7c0d1e87df";

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProgramStatus {
    Draft,
    Active,
    Paused,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExpirationStatus {
    Disabled,
    Enabled,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ProgramRecord {
    pub schema: u32,
    pub status: ProgramStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_icon: Option<String>,
    pub expiration_status: ExpirationStatus,
    pub months_of_inactivity: u32,
    pub expiring_points_percentage: u32,
    /// `None` until the program is first saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_ms: Option<i64>,
}

impl Default for ProgramRecord {
    /// A freshly installed program: `DRAFT`, expiration disabled (3 months, 100 %).
    fn default() -> Self {
        ProgramRecord {
            schema: SCHEMA,
            status: ProgramStatus::Draft,
            name: None,
            point_name: None,
            point_icon: None,
            expiration_status: ExpirationStatus::Disabled,
            months_of_inactivity: 3,
            expiring_points_percentage: 100,
            created_ms: None,
            updated_ms: None,
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Points {
    pub balance: i64,
    pub earned: i64,
    pub adjusted: i64,
    pub redeemed: i64,
    pub expired: i64,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Picture {
    pub url: String,
    #[serde(default)]
    pub height: u32,
    #[serde(default)]
    pub width: u32,
}

/// What the host's contacts resolver knew about the contact when the account was created.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ContactSnapshot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<Picture>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AccountRecord {
    pub schema: u32,
    pub id: String,
    pub contact_id: String,
    pub points: Points,
    /// Points earned and adjusted inside the tiers window (all time until tiers exist).
    pub tier_points: i64,
    pub revision: u64,
    pub created_ms: i64,
    pub updated_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_activity_ms: Option<i64>,
    pub contact: ContactSnapshot,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransactionType {
    Earn,
    Adjust,
}

impl TransactionType {
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionType::Earn => "EARN",
            TransactionType::Adjust => "ADJUST",
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
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

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AdjustInfo {
    pub app_id: String,
    pub amount_before: i64,
    pub amount_after: i64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
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
}

/// `contact/<id>` and `member/<id>` entries.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IndexRecord {
    pub schema: u32,
    pub account_id: String,
}

/// What an `earnPoints` call asked for; a retry must ask for exactly the same.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
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

/// `idem/<key>`: the request and the result it produced (the account right after the earn).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyRecord {
    pub schema: u32,
    pub request: EarnRequest,
    pub transaction_id: String,
    pub account: AccountRecord,
}

#[derive(Deserialize)]
struct SchemaOnly {
    schema: serde_json::Value,
}

/// A stored record: it carries the schema version that wrote it.
pub trait Record: DeserializeOwned {
    fn schema(&self) -> u32;
    /// Values no record can hold, so that no arithmetic on stored data can overflow (a negative
    /// balance is in range here: verify() reports it as what it is). The first, described.
    fn out_of_range(&self) -> Option<String> {
        None
    }
}

/// Checks `(name, value, min, max)` triples; the first violation, described.
fn first_out_of_range(checks: &[(&str, i128, i128, i128)]) -> Option<String> {
    checks
        .iter()
        .find(|(_, v, min, max)| v < min || v > max)
        .map(|(name, v, min, max)| format!("{name} is {v}, outside {min}..={max}"))
}

const SAFE: i128 = crate::core::validate::MAX_SAFE_INTEGER as i128;
const TIME: i128 = crate::core::time::MAX_MS as i128;

impl Record for ProgramRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        first_out_of_range(&[
            ("monthsOfInactivity", self.months_of_inactivity.into(), 1, 12),
            ("expiringPointsPercentage", self.expiring_points_percentage.into(), 1, 100),
            ("createdMs", self.created_ms.unwrap_or(0).into(), 0, TIME),
            ("updatedMs", self.updated_ms.unwrap_or(0).into(), 0, TIME),
        ])
    }
}

impl Record for AccountRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        let p = &self.points;
        first_out_of_range(&[
            ("points.balance", p.balance.into(), -SAFE, SAFE),
            ("points.earned", p.earned.into(), -SAFE, SAFE),
            ("points.adjusted", p.adjusted.into(), -SAFE, SAFE),
            ("points.redeemed", p.redeemed.into(), -SAFE, SAFE),
            ("points.expired", p.expired.into(), -SAFE, SAFE),
            ("tierPoints", self.tier_points.into(), -SAFE, SAFE),
            ("revision", self.revision.into(), 1, SAFE),
            ("createdMs", self.created_ms.into(), 0, TIME),
            ("updatedMs", self.updated_ms.into(), 0, TIME),
            ("lastActivityMs", self.last_activity_ms.unwrap_or(0).into(), 0, TIME),
        ])
    }
}

impl Record for TransactionRecord {
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
    }
}

impl Record for IndexRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
}

impl Record for IdempotencyRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        first_out_of_range(&[("request.amount", self.request.amount.into(), -SAFE, SAFE)])
            .or_else(|| self.account.out_of_range().map(|e| format!("account.{e}")))
    }
}

/// Parses a stored record, naming the key when it is unreadable or from a newer schema.
pub fn decode<T: Record>(key: &str, text: &str) -> Result<T> {
    match serde_json::from_str::<T>(text) {
        Ok(record) if record.schema() <= SCHEMA && record.schema() >= 1 => match record.out_of_range() {
            None => Ok(record),
            Some(why) => Err(LoyaltyError::corrupt(key, why)),
        },
        Ok(record) => Err(schema_error(key, Some(serde_json::Value::from(record.schema())))),
        Err(parse_error) => match serde_json::from_str::<SchemaOnly>(text).ok().map(|s| s.schema) {
            Some(serde_json::Value::Number(n)) if n.as_u64().is_some_and(|s| s > u64::from(SCHEMA)) => {
                Err(schema_error(key, Some(serde_json::Value::Number(n))))
            }
            _ => Err(LoyaltyError::corrupt(key, parse_error)),
        },
    }
}

fn schema_error(key: &str, schema: Option<serde_json::Value>) -> LoyaltyError {
    match schema {
        Some(serde_json::Value::Number(n)) if n.as_u64().is_some_and(|s| s > u64::from(SCHEMA)) => LoyaltyError::new(
            Code::FailedPrecondition,
            "SCHEMA_TOO_NEW",
            format!(
                "storage record \"{key}\" has schema version {n}, written by a newer engine; this engine reads versions up to {SCHEMA}"
            ),
        )
        .with_data(serde_json::json!({ "key": key, "schema": n })),
        other => LoyaltyError::corrupt(
            key,
            format!("schema must be a version number, found {}", other.map_or("nothing".into(), |v| v.to_string())),
        ),
    }
}

/// Serializes a record; records are plain data, so this cannot fail in practice, but a failure
/// still becomes an error instead of a panic.
pub fn encode<T: Serialize>(record: &T) -> Result<String> {
    serde_json::to_string(record).map_err(|e| LoyaltyError::internal("ENCODE_FAILED", e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_names_the_key_of_bad_records() {
        let err = decode::<IndexRecord>("contact/x", "{not json").unwrap_err();
        assert_eq!(err.reason, "CORRUPT_RECORD");
        assert!(err.description.contains("contact/x"));

        let err = decode::<IndexRecord>("contact/x", r#"{"schema":2,"accountId":"a"}"#).unwrap_err();
        assert_eq!(err.reason, "SCHEMA_TOO_NEW");
        let err = decode::<IndexRecord>("contact/x", r#"{"schema":7,"whatever":true}"#).unwrap_err();
        assert_eq!(err.reason, "SCHEMA_TOO_NEW");

        let err = decode::<IndexRecord>("contact/x", r#"{"schema":"1","accountId":"a"}"#).unwrap_err();
        assert_eq!(err.reason, "CORRUPT_RECORD");

        let ok = decode::<IndexRecord>("contact/x", r#"{"schema":1,"accountId":"a"}"#).map(|r| r.account_id);
        assert_eq!(ok, Ok("a".to_string()));
    }
}
