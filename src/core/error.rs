//! The one error type of the engine. It renders as a Wix-shaped error: a canonical `code`, a
//! specific `reason`, a message naming the offending argument, and `details` holding either a
//! `validationError` (field violations) or an `applicationError`.

use serde::Serialize;

use super::reason::Reason;

/// Wix's canonical error codes (the subset this engine produces).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    Aborted,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    Unimplemented,
    Internal,
}

impl Code {
    /// Every code, in declaration order.
    pub const ALL: [Code; 10] = [
        Code::InvalidArgument,
        Code::NotFound,
        Code::AlreadyExists,
        Code::FailedPrecondition,
        Code::Aborted,
        Code::PermissionDenied,
        Code::Unauthenticated,
        Code::Unavailable,
        Code::Unimplemented,
        Code::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidArgument => "INVALID_ARGUMENT",
            Code::NotFound => "NOT_FOUND",
            Code::AlreadyExists => "ALREADY_EXISTS",
            Code::FailedPrecondition => "FAILED_PRECONDITION",
            Code::Aborted => "ABORTED",
            Code::PermissionDenied => "PERMISSION_DENIED",
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Unavailable => "UNAVAILABLE",
            Code::Unimplemented => "UNIMPLEMENTED",
            Code::Internal => "INTERNAL",
        }
    }

    /// The HTTP status Wix answers with for this code.
    pub fn http_status(self) -> u16 {
        match self {
            Code::InvalidArgument => 400,
            Code::Unauthenticated => 401,
            Code::PermissionDenied => 403,
            Code::NotFound => 404,
            Code::AlreadyExists | Code::Aborted => 409,
            Code::FailedPrecondition => 428,
            Code::Internal => 500,
            Code::Unimplemented => 501,
            Code::Unavailable => 503,
        }
    }
}

/// One broken rule of one argument, e.g. `options.amount` out of range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// The argument path as the caller wrote it: `accountId`, `options.amount`.
    pub field: String,
    pub description: String,
    /// Machine name of the rule, e.g. `OUT_OF_RANGE`; also used as the error's reason.
    pub rule_name: Reason,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LoyaltyError {
    pub code: Code,
    pub reason: Reason,
    /// Human description, without the `CODE:` prefix.
    pub description: String,
    /// Non-empty for validation errors.
    pub violations: Vec<FieldViolation>,
    /// Extra data for application errors (ids, current values): the JSON text of an object.
    pub data: String,
}

pub type Result<T, E = LoyaltyError> = std::result::Result<T, E>;

impl LoyaltyError {
    pub fn new(code: Code, reason: Reason, description: impl Into<String>) -> Self {
        LoyaltyError { code, reason, description: description.into(), violations: Vec::new(), data: "{}".into() }
    }

    /// Sets the data of an application error: an object of these fields.
    pub fn with_data(mut self, fields: &[(&str, &dyn DataValue)]) -> Self {
        let mut data = String::from("{");
        for (i, (name, value)) in fields.iter().enumerate() {
            if i > 0 {
                data.push(',');
            }
            name.push_json(&mut data);
            data.push(':');
            value.push_json(&mut data);
        }
        data.push('}');
        self.data = data;
        self
    }

    /// A validation error from one or more violations, listed by field as the Wix SDK lists
    /// them (so the message is the one the SDK would show); the first names the reason.
    pub fn invalid(mut violations: Vec<FieldViolation>) -> Self {
        violations.sort_by(|a, b| a.field.cmp(&b.field));
        let reason = violations.first().map_or(Reason::InvalidArgument, |v| v.rule_name);
        let description =
            violations.iter().map(|v| format!("\"{}\" {}", v.field, v.description)).collect::<Vec<_>>().join(", ");
        LoyaltyError { code: Code::InvalidArgument, reason, description, violations, data: "{}".into() }
    }

    pub fn invalid_field(field: &str, rule_name: Reason, description: impl Into<String>) -> Self {
        Self::invalid(vec![FieldViolation { field: field.to_string(), description: description.into(), rule_name }])
    }

    pub fn not_found(reason: Reason, description: impl Into<String>) -> Self {
        Self::new(Code::NotFound, reason, description)
    }

    pub fn precondition(reason: Reason, description: impl Into<String>) -> Self {
        Self::new(Code::FailedPrecondition, reason, description)
    }

    pub fn internal(reason: Reason, description: impl Into<String>) -> Self {
        Self::new(Code::Internal, reason, description)
    }

    /// A stale revision: `given` (from `field`) where the entity (`what`, with `id` under
    /// `id_key` in the data; `id` empty for a singleton) is at `current`.
    pub fn revision_mismatch(field: &str, what: &str, id_key: &str, id: &str, given: u64, current: u64) -> Self {
        let (given_text, current_text) = (given.to_string(), current.to_string());
        let e = Self::new(
            Code::Aborted,
            Reason::RevisionMismatch,
            format!(
                "{field} is {given} but {what}{}{id} is at revision {current}: read it again and retry",
                if id.is_empty() { "" } else { " " }
            ),
        );
        if id.is_empty() {
            e.with_data(&[("expectedRevision", &given_text), ("currentRevision", &current_text)])
        } else {
            e.with_data(&[(id_key, &id), ("expectedRevision", &given_text), ("currentRevision", &current_text)])
        }
    }

    /// A record read back from storage that this engine cannot use.
    pub fn corrupt(key: &str, why: impl std::fmt::Display) -> Self {
        Self::internal(Reason::CorruptRecord, format!("storage record \"{key}\" is corrupted or foreign: {why}"))
            .with_data(&[("key", &key)])
    }

    /// The storage adapter broke the storage contract (wrong shapes, wrong lengths).
    pub fn storage_protocol(description: impl Into<String>) -> Self {
        Self::internal(Reason::StorageProtocolError, description)
    }

    /// `CODE: description`, the message users see.
    pub fn message(&self) -> String {
        format!("{}: {}", self.code.as_str(), self.description)
    }

    /// The Wix-shaped error as JSON text: `{ code, reason, status, message, details }`.
    pub fn to_json(&self) -> String {
        use crate::core::input::quoted;
        let details = if self.violations.is_empty() {
            format!(
                "{{\"applicationError\":{{\"code\":{},\"description\":{},\"data\":{}}}}}",
                quoted(self.reason.as_str()),
                quoted(&self.description),
                self.data
            )
        } else {
            format!("{{\"validationError\":{{\"fieldViolations\":{}}}}}", self.violations_json())
        };
        format!(
            "{{\"code\":\"{}\",\"reason\":{},\"status\":{},\"message\":{},\"details\":{details}}}",
            self.code.as_str(),
            quoted(self.reason.as_str()),
            self.code.http_status(),
            quoted(&self.message())
        )
    }

    /// The violations as a JSON array of `{ field, description, ruleName }`.
    pub fn violations_json(&self) -> String {
        use crate::core::input::quoted;
        let items: Vec<String> = self
            .violations
            .iter()
            .map(|v| {
                format!(
                    "{{\"field\":{},\"description\":{},\"ruleName\":{}}}",
                    quoted(&v.field),
                    quoted(&v.description),
                    quoted(v.rule_name.as_str())
                )
            })
            .collect();
        format!("[{}]", items.join(","))
    }

    /// The data as a JSON value (for tests and hosts that inspect it natively).
    pub fn data(&self) -> serde_json::Value {
        serde_json::from_str(&self.data).unwrap_or_default()
    }
}

/// A value in an error's data: text or a whole number.
pub trait DataValue {
    fn push_json(&self, out: &mut String);
}

impl DataValue for str {
    fn push_json(&self, out: &mut String) {
        out.push_str(&crate::core::input::quoted(self));
    }
}

impl DataValue for String {
    fn push_json(&self, out: &mut String) {
        self.as_str().push_json(out);
    }
}

impl DataValue for i64 {
    fn push_json(&self, out: &mut String) {
        out.push_str(&crate::core::small::wide((*self).into()));
    }
}

impl DataValue for u64 {
    fn push_json(&self, out: &mut String) {
        out.push_str(&crate::core::small::wide((*self).into()));
    }
}

impl<T: DataValue + ?Sized> DataValue for &T {
    fn push_json(&self, out: &mut String) {
        (**self).push_json(out);
    }
}

impl std::fmt::Display for LoyaltyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for LoyaltyError {}
