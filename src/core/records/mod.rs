//! Stored records. They are JSON text with a `schema` number; a reader rejects records from a
//! newer schema and records it cannot parse, naming the key, instead of guessing. Every record
//! is range-checked on decode, so no arithmetic on stored data can overflow.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::{Code, LoyaltyError, Result};
use super::small::wide;

pub mod account;
pub mod coupon;
pub mod idempotency;
pub mod job;
pub mod json;
pub mod keys;
pub mod program;
pub mod reward;
pub mod transaction;
pub mod view;

pub use account::{AccountRecord, ContactSnapshot, IndexRecord, Picture, Points};
pub use coupon::{CouponIndex, CouponRecord, CouponStatus, RedeemRecord};
pub use idempotency::{EarnRequest, IdempotencyRecord};
pub use job::{JobRecord, JobStatus};
pub use program::{ExpirationStatus, ProgramRecord, ProgramStatus};
pub use reward::{Details, RewardRecord, RewardType};
pub use transaction::{AdjustInfo, EarnInfo, RedeemInfo, RefundInfo, TransactionRecord, TransactionType};

/// The schema this engine writes and the newest it reads.
pub const SCHEMA: u32 = 1;

/// The Loyalty app's own id, recorded as `appId` of manual adjustments.
pub const LOYALTY_APP_ID: &str = "553c79f3-5625-4f38-b14b-ef7c0d1e87df";

#[derive(Deserialize)]
struct SchemaOnly {
    schema: crate::core::input::Input,
}

/// A stored record: it carries the schema version that wrote it.
pub trait Record: DeserializeOwned {
    fn schema(&self) -> u32;
    /// Values no record can hold, so that no arithmetic on stored data can overflow (a negative
    /// balance is in range here: verify() reports it as what it is). The first, described.
    fn out_of_range(&self) -> Option<String> {
        None
    }
    /// The record read from `text` by a reader of the form this engine writes it in, when it
    /// has one and `text` is in that form (see `json.rs`); else serde_json reads it.
    fn read_written(_text: &str) -> Option<Self> {
        None
    }
}

/// Checks `(name, value, min, max)` triples; the first violation, described.
pub(crate) fn first_out_of_range(checks: &[(&str, i128, i128, i128)]) -> Option<String> {
    checks
        .iter()
        .find(|(_, v, min, max)| v < min || v > max)
        .map(|(name, v, min, max)| format!("{name} is {}, outside {}..={}", wide(*v), wide(*min), wide(*max)))
}

/// Checks `(name, value)` pairs that must be GUIDs; the first violation, described. Ids come
/// from GUID-checked input, so anything else was altered in storage.
pub(crate) fn first_non_guid(checks: &[(&str, &str)]) -> Option<String> {
    checks
        .iter()
        .find(|(_, v)| !crate::core::validate::is_guid(v))
        .map(|(name, v)| format!("{name} is {}, not a GUID", crate::core::input::quoted(v)))
}

pub(crate) const SAFE: i128 = crate::core::validate::MAX_SAFE_INTEGER as i128;
pub(crate) const TIME: i128 = crate::core::time::MAX_MS as i128;

/// Parses a stored record, naming the key when it is unreadable or from a newer schema.
pub fn decode<T: Record>(key: &str, text: &str) -> Result<T> {
    let parsed = match T::read_written(text) {
        Some(record) => Ok(record),
        None => serde_json::from_str::<T>(text),
    };
    match parsed {
        Ok(record) if record.schema() <= SCHEMA && record.schema() >= 1 => match record.out_of_range() {
            None => Ok(record),
            Some(why) => Err(LoyaltyError::corrupt(key, why)),
        },
        Ok(record) => Err(schema_error(key, u64::from(record.schema()))),
        Err(parse_error) => match serde_json::from_str::<SchemaOnly>(text).ok().and_then(|s| s.schema.whole()) {
            Some(n) if n > u64::from(SCHEMA) => Err(schema_error(key, n)),
            _ => Err(LoyaltyError::corrupt(key, parse_error)),
        },
    }
}

fn schema_error(key: &str, schema: u64) -> LoyaltyError {
    if schema > u64::from(SCHEMA) {
        LoyaltyError::new(
            Code::FailedPrecondition,
            "SCHEMA_TOO_NEW",
            format!(
                "storage record \"{key}\" has schema version {schema}, written by a newer engine; this engine reads versions up to {SCHEMA}"
            ),
        )
        .with_data(serde_json::json!({ "key": key, "schema": schema }))
    } else {
        LoyaltyError::corrupt(key, format!("schema must be a version number from 1, found {schema}"))
    }
}

/// Serializes a record (or any result); plain data cannot fail to serialize in practice, but a
/// failure still becomes an error instead of a panic.
pub fn encode<T: Serialize + ?Sized>(record: &T) -> Result<String> {
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

        let id = "3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d";
        let ok = decode::<IndexRecord>("contact/x", &format!(r#"{{"schema":1,"accountId":"{id}"}}"#));
        assert_eq!(ok.map(|r| r.account_id), Ok(id.to_string()));
        let err = decode::<IndexRecord>("contact/x", r#"{"schema":1,"accountId":"a"b"}"#).unwrap_err();
        assert_eq!(err.reason, "CORRUPT_RECORD", "an altered id is caught on decode");
    }
}
