//! Stored records. They are JSON text with a `schema` number; a reader rejects records from a
//! newer schema and records it cannot parse, naming the key, instead of guessing. Every record
//! is range-checked on decode, so no arithmetic on stored data can overflow.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::{Code, LoyaltyError, Result};
use super::reason::Reason;
use super::small::wide;

pub mod account;
pub mod coupon;
pub mod idempotency;
pub mod job;
pub mod json;
pub mod keys;
pub mod prices;
pub mod program;
pub mod reward;
pub mod tier;
pub mod transaction;
pub mod view;

pub use account::{AccountRecord, ContactSnapshot, IndexRecord, Picture, Points, TierState};
pub use coupon::{CouponIndex, CouponRecord, CouponStatus, RedeemRecord};
pub use idempotency::{EarnRequest, IdempotencyRecord};
pub use job::{JobRecord, JobStatus};
pub use prices::PricesRecord;
pub use program::{ExpirationStatus, ProgramRecord, ProgramStatus};
pub use reward::{Details, RewardRecord, RewardType};
pub use transaction::{AdjustInfo, EarnInfo, RedeemInfo, RefundInfo, TransactionRecord, TransactionType};

/// The schema this engine writes and the newest it reads.
pub const SCHEMA: u32 = 1;

/// The Loyalty app's own id, recorded as `appId` of manual adjustments.
pub const LOYALTY_APP_ID: &str = "553c79f3-5625-4f38-b14b-ef7c0d1e87df";

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

/// A sum of points: `what` would leave the range of safe integers, as no stored number may.
pub(crate) fn points_limit_exceeded(what: &str) -> crate::core::error::LoyaltyError {
    let max = crate::core::validate::MAX_SAFE_INTEGER;
    crate::core::error::LoyaltyError::precondition(
        Reason::PointsLimitExceeded,
        format!("{what} would leave the range of safe integers (±{max})"),
    )
}

/// Moves a record's counter on by one (a revision, an account's flips): a record's counters stay
/// safe integers, as its decoder requires, so the one past the last is a coded error, never a
/// record that no longer reads.
pub(crate) fn bump(counter: &mut u64, what: &str) -> crate::core::error::Result<()> {
    if *counter >= crate::core::validate::MAX_SAFE_INTEGER as u64 {
        return Err(crate::core::error::LoyaltyError::precondition(
            Reason::RevisionLimitExceeded,
            format!(
                "the {what} is at the last safe integer ({}) and cannot move on",
                crate::core::validate::MAX_SAFE_INTEGER
            ),
        ));
    }
    *counter += 1;
    Ok(())
}
pub(crate) const TIME: i128 = crate::core::time::MAX_MS as i128;

/// Field readers for records read through [`Input`] (see [`via_input`]): `None` when the field
/// is missing or of the wrong kind.
pub(crate) mod read {
    use crate::core::input::Input;

    pub fn text(v: &Input, name: &str) -> Option<String> {
        v.get(name).text().map(String::from)
    }

    /// `Some(None)` when absent (or null), `None` when of the wrong kind.
    pub fn opt_text(v: &Input, name: &str) -> Option<Option<String>> {
        match v.get(name) {
            x if x.is_absent() => Some(None),
            x => x.text().map(|t| Some(t.to_string())),
        }
    }

    pub fn whole(v: &Input, name: &str) -> Option<u64> {
        v.get(name).whole()
    }

    pub fn int(v: &Input, name: &str) -> Option<i64> {
        match v.get(name) {
            Input::Number(n) if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_991.0 => Some(*n as i64),
            _ => None,
        }
    }

    /// Any whole number, saturated into `i64` (the record's range check then names the field
    /// of a number outside it).
    pub fn any_int(v: &Input, name: &str) -> Option<i64> {
        match v.get(name) {
            Input::Number(n) if n.fract() == 0.0 => Some(*n as i64),
            _ => None,
        }
    }

    /// Any whole number ≥ 0, saturated into `u64` (as [`any_int`]).
    pub fn any_whole(v: &Input, name: &str) -> Option<u64> {
        match v.get(name) {
            Input::Number(n) if n.fract() == 0.0 && *n >= 0.0 => Some(*n as u64),
            _ => None,
        }
    }

    pub fn opt_whole(v: &Input, name: &str) -> Option<Option<u64>> {
        match v.get(name) {
            x if x.is_absent() => Some(None),
            x => x.whole().map(Some),
        }
    }

    pub fn opt_number(v: &Input, name: &str) -> Option<Option<f64>> {
        match v.get(name) {
            x if x.is_absent() => Some(None),
            Input::Number(n) if n.is_finite() => Some(Some(*n)),
            _ => None,
        }
    }

    pub fn boolean(v: &Input, name: &str) -> Option<bool> {
        match v.get(name) {
            Input::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn opt_bool(v: &Input, name: &str) -> Option<Option<bool>> {
        match v.get(name) {
            x if x.is_absent() => Some(None),
            Input::Bool(b) => Some(Some(*b)),
            _ => None,
        }
    }
}

/// Deserializes a record through [`Input`] and `from`: one serde reader (Input's) for every
/// record read this way, instead of a derived reader per type in the module.
pub(crate) fn via_input<'de, D: serde::Deserializer<'de>, T>(
    d: D,
    what: &str,
    from: fn(&crate::core::input::Input) -> Option<T>,
) -> std::result::Result<T, D::Error> {
    let input = crate::core::input::Input::deserialize(d)?;
    from(&input)
        .ok_or_else(|| serde::de::Error::custom(format!("not a {what} record: a field is missing or malformed")))
}

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
        Err(parse_error) => {
            match serde_json::from_str::<crate::core::input::Input>(text).ok().and_then(|v| v.get("schema").whole()) {
                Some(n) if n > u64::from(SCHEMA) => Err(schema_error(key, n)),
                _ => Err(LoyaltyError::corrupt(key, parse_error)),
            }
        }
    }
}

fn schema_error(key: &str, schema: u64) -> LoyaltyError {
    if schema > u64::from(SCHEMA) {
        LoyaltyError::new(
            Code::FailedPrecondition,
            Reason::SchemaTooNew,
            format!(
                "storage record \"{key}\" has schema version {schema}, written by a newer engine; this engine reads versions up to {SCHEMA}"
            ),
        )
        .with_data(&[("key", &key), ("schema", &schema)])
    } else {
        LoyaltyError::corrupt(key, format!("schema must be a version number from 1, found {schema}"))
    }
}

/// Serializes a record (or any result); plain data cannot fail to serialize in practice, but a
/// failure still becomes an error instead of a panic.
pub fn encode<T: Serialize + ?Sized>(record: &T) -> Result<String> {
    serde_json::to_string(record).map_err(|e| LoyaltyError::internal(Reason::EncodeFailed, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_names_the_key_of_bad_records() {
        let err = decode::<IndexRecord>("contact/x", "{not json").unwrap_err();
        assert_eq!(err.reason, Reason::CorruptRecord);
        assert!(err.description.contains("contact/x"));

        let err = decode::<IndexRecord>("contact/x", r#"{"schema":2,"accountId":"a"}"#).unwrap_err();
        assert_eq!(err.reason, Reason::SchemaTooNew);
        let err = decode::<IndexRecord>("contact/x", r#"{"schema":7,"whatever":true}"#).unwrap_err();
        assert_eq!(err.reason, Reason::SchemaTooNew);

        let err = decode::<IndexRecord>("contact/x", r#"{"schema":"1","accountId":"a"}"#).unwrap_err();
        assert_eq!(err.reason, Reason::CorruptRecord);

        let id = "3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d";
        let ok = decode::<IndexRecord>("contact/x", &format!(r#"{{"schema":1,"accountId":"{id}"}}"#));
        assert_eq!(ok.map(|r| r.account_id), Ok(id.to_string()));
        let err = decode::<IndexRecord>("contact/x", r#"{"schema":1,"accountId":"a"b"}"#).unwrap_err();
        assert_eq!(err.reason, Reason::CorruptRecord, "an altered id is caught on decode");
    }
}
