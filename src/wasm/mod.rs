//! The JS face: two synchronous exports that run the core's step machine.
//!
//! * `start(op, args, now, newId, hasContacts, wantEvents)` validates the arguments and returns
//!   the first step.
//! * `resume(state, kind, answer)` takes what storage (or the contacts resolver) answered and
//!   returns the next step.
//!
//! A step is a plain object `{ t, state, lock?, … }` where `t` is `"read"` (`keys`), `"scan"`
//! (`prefix`, `after`, `limit`, `reverse`), `"contact"` (`contactId`), `"commit"` (`writes`,
//! `result`, `events`) or `"done"` (`result`, `events`). `result` and `events` are JSON text.
//! Errors are thrown as the JSON text of the Wix-shaped error; `js/engine.js` turns them into
//! `LoyaltyError`s. Nothing here awaits, so a trap can never strand a promise or a borrow.

mod convert;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::error::LoyaltyError;
use crate::core::machine::{self, Context, Io, Request, Step};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

/// Logs the message of a panic before the trap, so it is never lost.
#[wasm_bindgen(start)]
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| console_error(&format!("wix-loyalty-wasm panicked: {info}"))));
}

fn fail(error: LoyaltyError) -> JsValue {
    JsValue::from_str(&error.to_json().to_string())
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Setting a data property on a fresh plain object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

fn step_to_js(step: Step) -> Result<JsValue, JsValue> {
    let out = Object::new();
    let state =
        serde_json::to_string(&step.state).map_err(|e| fail(LoyaltyError::internal("ENCODE_FAILED", e.to_string())))?;
    set(&out, "state", &JsValue::from_str(&state));
    if let Some(lock) = &step.lock {
        set(&out, "lock", &JsValue::from_str(lock));
    }
    let strings = |items: &mut dyn Iterator<Item = &String>| -> Array { items.map(|s| JsValue::from_str(s)).collect() };
    match step.request {
        Request::Read(keys) => {
            set(&out, "t", &"read".into());
            set(&out, "keys", &strings(&mut keys.iter()));
        }
        Request::Scan(scan) => {
            set(&out, "t", &"scan".into());
            set(&out, "prefix", &JsValue::from_str(&scan.prefix));
            set(&out, "after", &scan.after.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str));
            set(&out, "limit", &JsValue::from(scan.limit));
            set(&out, "reverse", &JsValue::from_bool(scan.reverse));
        }
        Request::Contact(id) => {
            set(&out, "t", &"contact".into());
            set(&out, "contactId", &JsValue::from_str(&id));
        }
        Request::Commit(writes, outcome) => {
            set(&out, "t", &"commit".into());
            let list: Array = writes
                .iter()
                .map(|w| {
                    let o = Object::new();
                    set(&o, "key", &JsValue::from_str(&w.key));
                    set(&o, "value", &JsValue::from_str(&w.value));
                    set(&o, "version", &JsValue::from_f64(w.version as f64));
                    JsValue::from(o)
                })
                .collect();
            set(&out, "writes", &list);
            set(&out, "result", &JsValue::from_str(&outcome.result));
            set(&out, "events", &JsValue::from_str(&outcome.events));
        }
        Request::Done(outcome) => {
            set(&out, "t", &"done".into());
            set(&out, "result", &JsValue::from_str(&outcome.result));
            set(&out, "events", &JsValue::from_str(&outcome.events));
        }
    }
    Ok(out.into())
}

/// Starts operation `op` (a JS method name) with its arguments.
#[wasm_bindgen]
pub fn start(
    op: &str,
    args: &Array,
    now: f64,
    new_id: Option<String>,
    has_contacts: bool,
    want_events: bool,
) -> Result<JsValue, JsValue> {
    let now_ms = convert::now_ms(now).map_err(fail)?;
    let inputs: Vec<_> = args.iter().map(|a| convert::to_input(&a)).collect();
    let ctx = Context { now_ms, new_id, has_contacts, want_events };
    step_to_js(machine::start(op, &inputs, &ctx).map_err(fail)?)
}

/// Continues an operation with the answer to its last request (`kind` is that request's `t`).
#[wasm_bindgen]
pub fn resume(state: &str, kind: &str, answer: JsValue) -> Result<JsValue, JsValue> {
    let state = serde_json::from_str(state)
        .map_err(|e| fail(LoyaltyError::internal("INVALID_STATE", format!("the operation state was altered: {e}"))))?;
    let io = match kind {
        "read" => Io::Read(convert::read_answer(&answer).map_err(fail)?),
        "scan" => Io::Scan(convert::scan_answer(&answer).map_err(fail)?),
        "contact" => Io::Contact(convert::to_input(&answer)),
        other => return Err(fail(LoyaltyError::internal("INVALID_STATE", format!("no request of kind {other:?}")))),
    };
    step_to_js(machine::resume(state, io).map_err(fail)?)
}

/// Every operation name `start` accepts.
#[wasm_bindgen]
pub fn operations() -> Array {
    machine::OPERATIONS.iter().map(|s| JsValue::from_str(s)).collect()
}

/// Field names whose epoch-millisecond values the JS face turns into `Date`s.
#[wasm_bindgen(js_name = dateFields)]
pub fn date_fields() -> Array {
    crate::core::view::DATE_FIELDS.iter().map(|s| JsValue::from_str(s)).collect()
}

/// `verify()`'s checker: JS scans each family of [`verifyPrefixes`] and feeds the rows in;
/// `finish` returns the report as JSON text.
#[wasm_bindgen]
pub struct StoreVerifier {
    inner: crate::core::verify::Verifier,
}

#[wasm_bindgen]
impl StoreVerifier {
    #[wasm_bindgen(constructor)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> StoreVerifier {
        StoreVerifier { inner: crate::core::verify::Verifier::default() }
    }

    /// Takes the answer of one `storage.scan`.
    pub fn feed(&mut self, rows: JsValue) -> Result<(), JsValue> {
        for row in convert::scan_answer(&rows).map_err(fail)? {
            self.inner.feed(&row);
        }
        Ok(())
    }

    /// The report, as JSON text; the verifier is empty afterwards.
    pub fn finish(&mut self) -> Result<String, JsValue> {
        let report = std::mem::take(&mut self.inner).finish();
        serde_json::to_string(&report).map_err(|e| fail(LoyaltyError::internal("ENCODE_FAILED", e.to_string())))
    }
}

/// The key families `verify()` scans, in order.
#[wasm_bindgen(js_name = verifyPrefixes)]
pub fn verify_prefixes() -> Array {
    crate::core::verify::PREFIXES.iter().map(|s| JsValue::from_str(s)).collect()
}

/// Bytes of linear memory this instance holds (for monitoring and the memory test).
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size(0) as f64) * 65536.0
}

/// Test hook: panics, so that the panic hook logs and the module traps (`panic = "abort"`),
/// and the JS face's recovery (reject with INTERNAL, re-instantiate) can be tested. Called only
/// through the `testing.trapBefore` option of `createLoyaltyBackend`.
#[wasm_bindgen(js_name = testingTrap)]
#[allow(clippy::panic)]
pub fn testing_trap() {
    panic!("forced by the testing.trapBefore option");
}
