//! Argument checks that collect every violation of a call, so one error lists them all
//! (Wix's `validationError.fieldViolations`). Each check returns the converted value, or `None`
//! after recording why; [`Check::finish`] turns the record into an `INVALID_ARGUMENT` error.

use super::error::{FieldViolation, LoyaltyError, Result};
use super::input::{format_number, Input};
use super::reason::Reason;

/// Largest integer JS represents exactly (2^53 − 1).
pub const MAX_SAFE_INTEGER: i64 = 9_007_199_254_740_991;

#[derive(Default)]
pub struct Check {
    violations: Vec<FieldViolation>,
}

impl Check {
    pub fn fail(&mut self, field: &str, rule_name: Reason, description: impl Into<String>) {
        self.violations.push(FieldViolation { field: field.to_string(), description: description.into(), rule_name });
    }

    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }

    pub fn finish(self) -> Result<()> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(LoyaltyError::invalid(self.violations))
        }
    }

    fn required(&mut self, field: &str, what: &str) {
        self.fail(field, Reason::RequiredField, format!("is required and must be {what}"));
    }

    fn wrong_type(&mut self, field: &str, what: &str, got: &Input) {
        self.fail(field, Reason::WrongType, format!("must be {what} (got {})", got.describe()));
    }

    /// A plain object (not an array, not a Date). `None` when absent and not required.
    pub fn object<'a>(&mut self, field: &str, value: &'a Input, required: bool) -> Option<&'a Input> {
        match value {
            Input::Object(_) => Some(value),
            v if v.is_absent() => {
                if required {
                    self.required(field, "an object");
                }
                None
            }
            other => {
                self.wrong_type(field, "an object", other);
                None
            }
        }
    }

    /// A string of `min..=max` characters. Outer `None`: invalid; inner `None`: absent.
    pub fn string(
        &mut self,
        field: &str,
        value: &Input,
        min: usize,
        max: usize,
        required: bool,
    ) -> Option<Option<String>> {
        match value {
            Input::String(s) => {
                let len = s.chars().count();
                if len < min {
                    let rule = if len == 0 { Reason::RequiredField } else { Reason::TooShort };
                    self.fail(field, rule, format!("must be {min} to {max} characters long (got {len})"));
                    None
                } else if len > max {
                    self.fail(field, Reason::TooLong, format!("must be {min} to {max} characters long (got {len})"));
                    None
                } else {
                    Some(Some(s.clone()))
                }
            }
            v if v.is_absent() => {
                if required {
                    self.required(field, &format!("a string of {min} to {max} characters"));
                    None
                } else {
                    Some(None)
                }
            }
            other => {
                self.wrong_type(field, "a string", other);
                None
            }
        }
    }

    /// Text that becomes part of a storage key (an idempotency key): a string as [`Check::string`]
    /// takes it, without NUL. PostgreSQL cannot keep a NUL in text, and escaping it would change
    /// what keys already stored mean (a retry would credit again), so it is refused on every store.
    pub fn key_text(
        &mut self,
        field: &str,
        value: &Input,
        min: usize,
        max: usize,
        required: bool,
    ) -> Option<Option<String>> {
        let text = self.string(field, value, min, max, required)?;
        if text.as_deref().is_some_and(|t| t.contains('\0')) {
            self.fail(field, Reason::InvalidCharacter, "must not contain NUL (\\u0000): it is part of a storage key");
            return None;
        }
        Some(text)
    }

    /// A required string that must be present.
    pub fn required_string(&mut self, field: &str, value: &Input, min: usize, max: usize) -> Option<String> {
        self.string(field, value, min, max, true).flatten()
    }

    /// A whole number in `min..=max`. Outer `None`: invalid; inner `None`: absent.
    pub fn integer(&mut self, field: &str, value: &Input, min: i64, max: i64, required: bool) -> Option<Option<i64>> {
        match value {
            Input::Number(n) => {
                let n = *n;
                if !n.is_finite() || n.fract() != 0.0 {
                    self.fail(
                        field,
                        Reason::NotAnInteger,
                        format!("must be a whole number from {min} to {max} (got {})", value.describe()),
                    );
                    None
                } else if n < min as f64 || n > max as f64 {
                    self.fail(
                        field,
                        Reason::OutOfRange,
                        format!("must be a whole number from {min} to {max} (got {})", format_number(n)),
                    );
                    None
                } else {
                    // In range of i64 by the check above, and -0 becomes 0.
                    Some(Some(n as i64))
                }
            }
            v if v.is_absent() => {
                if required {
                    self.required(field, &format!("a whole number from {min} to {max}"));
                    None
                } else {
                    Some(None)
                }
            }
            other => {
                self.wrong_type(field, &format!("a whole number from {min} to {max}"), other);
                None
            }
        }
    }

    /// A GUID such as `3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d`, returned in lower case.
    pub fn guid(&mut self, field: &str, value: &Input, required: bool) -> Option<Option<String>> {
        match value {
            Input::String(s) if is_guid(s) => Some(Some(s.to_ascii_lowercase())),
            Input::String(_) => {
                self.fail(
                    field,
                    Reason::InvalidGuid,
                    format!("must be a GUID such as 3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d (got {})", value.describe()),
                );
                None
            }
            v if v.is_absent() => {
                if required {
                    self.required(field, "a GUID");
                    None
                } else {
                    Some(None)
                }
            }
            other => {
                self.wrong_type(field, "a GUID string", other);
                None
            }
        }
    }

    pub fn required_guid(&mut self, field: &str, value: &Input) -> Option<String> {
        self.guid(field, value, true).flatten()
    }

    /// A revision: a decimal string (or a whole number) of at least 1.
    /// A revision that must be given: `REQUIRED_FIELD` naming `what` it is when absent.
    pub fn required_revision(&mut self, field: &str, value: &Input, what: &str) -> Option<u64> {
        match self.revision(field, value) {
            Some(None) => {
                self.fail(field, Reason::RequiredField, format!("is required: {what}"));
                None
            }
            r => r.flatten(),
        }
    }

    pub fn revision(&mut self, field: &str, value: &Input) -> Option<Option<u64>> {
        let parsed = match value {
            v if v.is_absent() => return Some(None),
            Input::String(s) if !s.is_empty() && s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit()) => {
                crate::core::small::parse_digits(s)
            }
            Input::Number(n) if n.is_finite() && n.fract() == 0.0 && *n >= 0.0 && *n <= MAX_SAFE_INTEGER as f64 => {
                Some(*n as u64)
            }
            _ => None,
        };
        match parsed {
            Some(r) if r >= 1 => Some(Some(r)),
            _ => {
                self.fail(
                    field,
                    Reason::InvalidRevision,
                    format!("must be a revision: a decimal string of at least \"1\" (got {})", value.describe()),
                );
                None
            }
        }
    }
}

/// `8-4-4-4-12` hexadecimal digits.
pub fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_shape() {
        assert!(is_guid("3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d"));
        assert!(is_guid("3F2D5B8E-1C4A-4F0E-9B7D-2A6C8E0F1B3D"));
        assert!(!is_guid("3f2d5b8e1c4a-4f0e-9b7d-2a6c8e0f1b3d0"));
        assert!(!is_guid("3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3g"));
        assert!(!is_guid(""));
    }

    #[test]
    fn integer_rules() {
        let mut c = Check::default();
        assert_eq!(c.integer("a", &Input::Number(-0.0), -5, 5, true), Some(Some(0)));
        assert_eq!(c.integer("a", &Input::Number(0.5), 0, 5, true), None);
        assert_eq!(c.integer("a", &Input::Number(1e20), 0, 5, true), None);
        assert_eq!(c.integer("a", &Input::Number(f64::NAN), 0, 5, true), None);
        assert_eq!(c.integer("a", &Input::String("1".into()), 0, 5, true), None);
        assert_eq!(c.integer("a", &Input::Undefined, 0, 5, false), Some(None));
        let err = c.finish().unwrap_err();
        assert_eq!(err.violations.len(), 4);
        assert_eq!(err.reason, Reason::NotAnInteger);
    }

    #[test]
    fn revision_accepts_decimal_strings_and_whole_numbers() {
        let mut c = Check::default();
        assert_eq!(c.revision("r", &Input::String("12".into())), Some(Some(12)));
        assert_eq!(c.revision("r", &Input::Number(3.0)), Some(Some(3)));
        assert_eq!(c.revision("r", &Input::Null), Some(None));
        assert_eq!(c.revision("r", &Input::String("0".into())), None);
        assert_eq!(c.revision("r", &Input::String("-1".into())), None);
        assert_eq!(c.revision("r", &Input::String("1.5".into())), None);
        assert!(!c.is_ok());
    }
}
