//! A JS value as the core sees it. The wasm layer converts any `JsValue` into an [`Input`]
//! (own enumerable properties only, bounded depth), so every rule about argument types lives
//! here in the core and is tested natively.

/// Deepest nesting the converter keeps; deeper values become [`Input::Other`].
pub const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    /// A JS `Date` (milliseconds since the epoch; `NaN` for an invalid date).
    Date(f64),
    Array(Vec<Input>),
    /// Own enumerable properties in insertion order.
    Object(Vec<(String, Input)>),
    /// Anything else (function, symbol, bigint, too deep), by its description.
    Other(&'static str),
}

static UNDEFINED: Input = Input::Undefined;

impl Input {
    /// The property `name` of an object; `Undefined` for anything else or a missing property.
    pub fn get(&self, name: &str) -> &Input {
        match self {
            Input::Object(fields) => fields.iter().rev().find(|(k, _)| k == name).map_or(&UNDEFINED, |(_, v)| v),
            _ => &UNDEFINED,
        }
    }

    /// `undefined` and `null` both mean "not given".
    pub fn is_absent(&self) -> bool {
        matches!(self, Input::Undefined | Input::Null)
    }

    /// How the value reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Input::Undefined => "undefined".into(),
            Input::Null => "null".into(),
            Input::Bool(b) => format!("boolean {b}"),
            Input::Number(n) if n.is_nan() => "NaN".into(),
            Input::Number(n) if n.is_infinite() => {
                if *n > 0.0 {
                    "Infinity".into()
                } else {
                    "-Infinity".into()
                }
            }
            Input::Number(n) => format!("number {}", format_number(*n)),
            Input::String(s) => {
                let count = s.chars().count();
                if count > 40 {
                    let head: String = s.chars().take(32).collect();
                    format!("a string of {count} characters starting \"{head}…\"")
                } else {
                    format!("string {}", quoted(s))
                }
            }
            Input::Date(_) => "a Date".into(),
            Input::Array(a) => format!("an array of {} items", a.len()),
            Input::Object(_) => "an object".into(),
            Input::Other(what) => (*what).into(),
        }
    }
}

/// An input written as JSON (cursors and job requests keep the input they came from): a `Date`
/// becomes its epoch milliseconds (date fields take those too), anything JSON cannot hold `null`.
impl serde::Serialize for Input {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Input::Undefined | Input::Null | Input::Other(_) => s.serialize_unit(),
            Input::Bool(b) => s.serialize_bool(*b),
            Input::Number(n) if n.is_finite() => s.serialize_f64(*n),
            Input::Number(_) => s.serialize_unit(),
            Input::String(text) => s.serialize_str(text),
            Input::Date(ms) if ms.is_finite() => s.serialize_f64(*ms),
            Input::Date(_) => s.serialize_unit(),
            Input::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Input::Object(fields) => {
                let mut map = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

/// JSON read back as an input (numbers become `Number`, `null` becomes `Null`).
impl<'de> serde::Deserialize<'de> for Input {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(InputVisitor)
    }
}

struct InputVisitor;

impl<'de> serde::de::Visitor<'de> for InputVisitor {
    type Value = Input;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E>(self) -> Result<Input, E> {
        Ok(Input::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Input, E> {
        Ok(Input::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Input, E> {
        Ok(Input::Number(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Input, E> {
        Ok(Input::Number(n as f64))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Input, E> {
        Ok(Input::Number(n))
    }
    fn visit_str<E>(self, text: &str) -> Result<Input, E> {
        Ok(Input::String(text.to_string()))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Input, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Input::Array(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Input, A::Error> {
        let mut fields = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Input>()? {
            fields.push((k, v));
        }
        Ok(Input::Object(fields))
    }
}

impl Input {
    /// JSON text as an input; `None` when it is not JSON.
    pub fn parse(text: &[u8]) -> Option<Input> {
        serde_json::from_slice(text).ok()
    }

    /// The number, if this is a whole number from 0 to 2^53.
    pub fn whole(&self) -> Option<u64> {
        match self {
            Input::Number(n) if n.fract() == 0.0 && *n >= 0.0 && *n <= 9_007_199_254_740_992.0 => Some(*n as u64),
            _ => None,
        }
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            Input::String(s) => Some(s),
            _ => None,
        }
    }
}

/// `s` in double quotes, escaped as JSON escapes it (for messages; keeps the module free of
/// Rust's Debug escaping tables).
pub fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// Numbers as JS prints them (no trailing `.0`, exponent for huge values). Whole numbers go
/// through integer formatting and the rest through serde_json's shortest-form printer, so the
/// module carries no second float formatter.
pub fn format_number(n: f64) -> String {
    if n == 0.0 && n.is_sign_negative() {
        "-0".into()
    } else if n.fract() == 0.0 && n.abs() < 1e21 {
        crate::core::small::wide(n as i128)
    } else {
        // serde_json prints a float through its own shortest-form writer (`Number`'s Display
        // would pull in core's float formatting, kilobytes of the module).
        serde_json::Number::from_f64(n).and_then(|x| serde_json::to_string(&x).ok()).unwrap_or_else(|| "NaN".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_reads_own_fields_and_last_duplicate_wins() {
        let obj = Input::Object(vec![("a".into(), Input::Number(1.0)), ("a".into(), Input::Number(2.0))]);
        assert_eq!(obj.get("a"), &Input::Number(2.0));
        assert_eq!(obj.get("b"), &Input::Undefined);
        assert_eq!(Input::Null.get("a"), &Input::Undefined);
    }

    #[test]
    fn describe_names_awkward_numbers() {
        assert_eq!(Input::Number(f64::NAN).describe(), "NaN");
        assert_eq!(Input::Number(-0.0).describe(), "number -0");
        assert_eq!(Input::Number(1e20).describe(), "number 100000000000000000000");
        assert_eq!(Input::Number(0.5).describe(), "number 0.5");
        assert_eq!(Input::Number(-2.25).describe(), "number -2.25");
        assert_eq!(Input::Number(1e300).describe(), "number 1e+300");
        assert_eq!(Input::Number(f64::INFINITY).describe(), "Infinity");
        assert_eq!(Input::Number(1.0 / 3.0).describe(), "number 0.3333333333333333");
    }
}
