//! JS values into core types. Only own enumerable properties are read (an inherited or
//! `__proto__`-smuggled property is never seen), nesting and sizes are bounded, and a getter
//! that throws reads as an unusable value instead of escaping.

use js_sys::{Array, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::core::error::{LoyaltyError, Result};
use crate::core::input::{Input, MAX_DEPTH};
use crate::core::protocol::{Row, Stored};
use crate::core::reason::Reason;
use crate::core::time::MAX_MS;
use crate::core::validate::MAX_SAFE_INTEGER;

#[wasm_bindgen]
extern "C" {
    /// `Object.keys`, catching the throw of a hostile proxy.
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn own_keys(object: &JsValue) -> Result<Array, JsValue>;
    /// `Array.isArray`, which throws on a revoked proxy.
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;
    /// A JS string, for the method below.
    type Text;
    /// `String.prototype.isWellFormed` (ES2024), absent from older runtimes.
    #[wasm_bindgen(method, js_name = isWellFormed, catch)]
    fn is_well_formed(this: &Text) -> Result<bool, JsValue>;
}

/// Arrays and objects larger than this are not walked.
const MAX_ITEMS: u32 = 10_000;

/// How a string holding an unpaired UTF-16 surrogate reads: no store keeps one as given (the
/// engine's text is Unicode), and replacing it would make `"a\u{d800}"` and `"a\u{dfff}"` one
/// idempotency key, so it is refused wherever it appears.
pub const ILL_FORMED: &str = "a string with an unpaired UTF-16 surrogate (a lone \\uD800-\\uDFFF)";

/// Whether a JS string is well-formed UTF-16. Asked only of strings whose conversion holds a
/// U+FFFD, which is what the conversion makes of an unpaired surrogate.
fn well_formed(value: &JsValue) -> bool {
    value
        .unchecked_ref::<Text>()
        .is_well_formed()
        .unwrap_or_else(|_| value.unchecked_ref::<js_sys::JsString>().is_valid_utf16())
}

pub fn to_input(value: &JsValue) -> Input {
    convert(value, 0)
}

fn convert(value: &JsValue, depth: usize) -> Input {
    // The type checks answer directly; reading a number or a string goes through memory, so each
    // is read only once its type is known. Every `typeof` is covered, so what is left is a number.
    if value.is_string() {
        return match value.as_string() {
            Some(s) if s.contains('\u{FFFD}') && !well_formed(value) => Input::Other(ILL_FORMED),
            Some(s) => Input::String(s),
            None => Input::Other("a string"),
        };
    }
    if !value.is_object() {
        return if value.is_undefined() {
            Input::Undefined
        } else if value.is_null() {
            Input::Null
        } else if let Some(b) = value.as_bool() {
            Input::Bool(b)
        } else if value.is_bigint() {
            Input::Other("a bigint")
        } else if value.is_symbol() {
            Input::Other("a symbol")
        } else if value.is_function() {
            Input::Other("a function")
        } else {
            // `typeof` is "number" here: unary plus reads it and cannot throw.
            Input::Number(value.unchecked_into_f64())
        };
    }
    // Both checks below can throw on a hostile proxy; probe them through catching imports.
    let (Ok(array), Ok(_)) = (is_array(value), Reflect::get_prototype_of(value)) else {
        return Input::Other("an unreadable object");
    };
    if let Some(date) = value.dyn_ref::<js_sys::Date>() {
        return Input::Date(date.get_time());
    }
    if depth >= MAX_DEPTH {
        return Input::Other("a value nested too deeply");
    }
    if array {
        // Read through Reflect so a proxy's throwing trap becomes a value, not an exception.
        let length = match Reflect::get(value, &JsValue::from_str("length")).map(|l| l.as_f64()) {
            Ok(Some(n)) if n <= f64::from(MAX_ITEMS) => n as u32,
            Ok(_) => return Input::Other("an array too large"),
            Err(_) => return Input::Other("an unreadable array"),
        };
        return Input::Array(
            (0..length)
                .map(|i| match Reflect::get_u32(value, i) {
                    Ok(item) => convert(&item, depth + 1),
                    Err(_) => Input::Other("an element whose getter threw"),
                })
                .collect(),
        );
    }
    if !value.is_object() {
        return Input::Other("an unsupported value");
    }
    let Ok(keys) = own_keys(value) else {
        return Input::Other("an unreadable object");
    };
    if keys.length() > MAX_ITEMS {
        return Input::Other("an object too large");
    }
    let mut fields = Vec::with_capacity(keys.length() as usize);
    for key in keys.iter() {
        let Some(name) = key.as_string() else {
            continue;
        };
        let field = match Reflect::get(value, &key) {
            Ok(v) => convert(&v, depth + 1),
            Err(_) => Input::Other("a property whose getter threw"),
        };
        fields.push((name, field));
    }
    Input::Object(fields)
}

/// The clock's reading, checked.
pub fn now_ms(now: f64) -> Result<i64> {
    if now.is_finite() && now.fract() == 0.0 && (0.0..=MAX_MS as f64).contains(&now) {
        Ok(now as i64)
    } else {
        Err(LoyaltyError::new(
            crate::core::error::Code::InvalidArgument,
            Reason::InvalidClock,
            format!(
                "the clock (createLoyaltyBackend option now) must return a Date or epoch milliseconds between 1970 and 9999, it returned {}",
                Input::Number(now).describe()
            ),
        ))
    }
}

fn field(object: &JsValue, name: &str) -> JsValue {
    Reflect::get(object, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

fn version(value: &JsValue, what: &str) -> Result<u64> {
    match value.as_f64() {
        Some(v) if v >= 1.0 && v.fract() == 0.0 && v <= MAX_SAFE_INTEGER as f64 => Ok(v as u64),
        _ => Err(LoyaltyError::storage_protocol(format!(
            "{what}: version must be a whole number of at least 1 (got {})",
            to_input(value).describe()
        ))),
    }
}

fn text(value: &JsValue, what: &str) -> Result<String> {
    value.as_string().ok_or_else(|| {
        LoyaltyError::storage_protocol(format!("{what}: value must be a string (got {})", to_input(value).describe()))
    })
}

fn as_array<'a>(answer: &'a JsValue, call: &str) -> Result<&'a Array> {
    if is_array(answer).unwrap_or(false) {
        Ok(answer.unchecked_ref())
    } else {
        Err(LoyaltyError::storage_protocol(format!(
            "{call} must resolve to an array (got {})",
            to_input(answer).describe()
        )))
    }
}

/// `storage.read` resolves to `Array<{ value, version } | null | undefined>`.
pub fn read_answer(answer: &JsValue) -> Result<Vec<Option<Stored>>> {
    let array = as_array(answer, "storage.read")?;
    array
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            if entry.is_null() || entry.is_undefined() {
                return Ok(None);
            }
            let what = format!("storage.read entry {i}");
            Ok(Some(Stored {
                value: text(&field(&entry, "value"), &what)?,
                version: version(&field(&entry, "version"), &what)?,
            }))
        })
        .collect()
}

/// `storage.scan` resolves to `Array<{ key, value, version }>`.
pub fn scan_answer(answer: &JsValue) -> Result<Vec<Row>> {
    let array = as_array(answer, "storage.scan")?;
    array
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let what = format!("storage.scan entry {i}");
            Ok(Row {
                key: field(&entry, "key")
                    .as_string()
                    .ok_or_else(|| LoyaltyError::storage_protocol(format!("{what}: key must be a string")))?,
                value: text(&field(&entry, "value"), &what)?,
                version: version(&field(&entry, "version"), &what)?,
            })
        })
        .collect()
}
