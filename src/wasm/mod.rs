//! The JS face: two synchronous exports that run the core's step machine.
//!
//! * `start(op, args, now, newId, flags, programValue?, programVersion?)` (flags: 1 = a contacts
//!   resolver, 2 = an event listener; the last two: the program record as the JS face last saw
//!   it) validates the arguments and returns
//!   the first step, holding the operation's state under a handle (`h`).
//! * `resume(h, kind, answer)` takes what storage (or the contacts resolver) answered and
//!   returns the next step; after a refused commit, `resume(h, "conflict", key)` returns the
//!   read to decide again on.
//! * `release(h)` forgets the operation; the JS face calls it when the operation ends.
//!
//! A step (packed into one string, see [`pack`]; `js/engine.js` unpacks it) is `{ t, h,
//! lock?, … }` where `t` is `"read"` (`keys`), `"scan"` (`prefix`, `after`, `limit`, `reverse`),
//! `"contact"` (`contactId`), `"commit"` (`writes`, `result`, `events`) or `"done"` (`result`,
//! `events`). `result` and `events` are JSON text.
//! Errors are thrown as the JSON text of the Wix-shaped error; `js/engine.js` turns them into
//! `LoyaltyError`s. Nothing here awaits, so a trap can never strand a promise or a borrow.

mod convert;

use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::core::error::LoyaltyError;
use crate::core::machine::{self, Context, Io, Request, State, Step, Stored};
use crate::core::validate::MAX_SAFE_INTEGER;

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

/// States of the operations in flight, by handle. The state never crosses the boundary, so
/// it is neither serialized nor parsed on each step. A trap discards the instance and with it
/// this table; the JS face then restarts the operations that were in flight.
struct Operations {
    /// `(live, state)`: a live slot is reserved until released, even while its state is out.
    slots: Vec<(bool, Option<State>)>,
    free: Vec<u32>,
}

thread_local! {
    static OPERATIONS: std::cell::RefCell<Operations> =
        const { std::cell::RefCell::new(Operations { slots: Vec::new(), free: Vec::new() }) };
}

fn hold(state: State) -> u32 {
    OPERATIONS.with_borrow_mut(|ops| match ops.free.pop() {
        Some(h) => {
            if let Some(slot) = ops.slots.get_mut(h as usize) {
                *slot = (true, Some(state));
            }
            h
        }
        None => {
            ops.slots.push((true, Some(state)));
            (ops.slots.len() - 1) as u32
        }
    })
}

fn take(h: u32) -> Option<State> {
    OPERATIONS.with_borrow_mut(|ops| ops.slots.get_mut(h as usize).and_then(|slot| slot.1.take()))
}

fn put_back(h: u32, state: State) {
    OPERATIONS.with_borrow_mut(|ops| {
        if let Some(slot) = ops.slots.get_mut(h as usize) {
            if slot.0 {
                slot.1 = Some(state);
            }
        }
    });
}

/// Forgets operation `h`; releasing an unknown or released handle does nothing.
#[wasm_bindgen]
pub fn release(h: u32) {
    OPERATIONS.with_borrow_mut(|ops| {
        if let Some(slot) = ops.slots.get_mut(h as usize) {
            if slot.0 {
                *slot = (false, None);
                ops.free.push(h);
            }
        }
    });
}

/// Operations in flight (held and not released), for engineStats() and the leak tests.
#[wasm_bindgen(js_name = operationsInFlight)]
pub fn operations_in_flight() -> u32 {
    OPERATIONS.with_borrow(|ops| ops.slots.iter().filter(|s| s.0).count() as u32)
}

/// Length of `s` in UTF-16 code units (how JS measures and slices strings).
fn utf16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

/// A step as one string: a JSON header line, then the large strings back to back, which JS
/// slices out by the lengths the header gives (`n`). One string crosses the boundary instead
/// of a dozen, and no JS object is built from Rust. For `commit` and `done`, segment 0 is the
/// result and 1 the events; commit writes name their value's segment, and a value written
/// under several keys (a transaction's three copies) is sent once. `h` is the handle of the
/// operation's state.
fn pack(request: &Request, lock: Option<&String>, h: u32) -> Result<String, JsValue> {
    let encode = |e: serde_json::Error| fail(LoyaltyError::internal("ENCODE_FAILED", e.to_string()));
    let mut segments: Vec<&str> = Vec::new();
    let mut header = serde_json::Map::new();
    let mut put = |k: &str, v: serde_json::Value| {
        header.insert(k.into(), v);
    };
    put("h", h.into());
    if let Some(lock) = lock {
        put("lock", lock.as_str().into());
    }
    match request {
        Request::Read(keys) => {
            put("t", "read".into());
            put("keys", keys.clone().into());
        }
        Request::Scan(scan) => {
            put("t", "scan".into());
            put("prefix", scan.prefix.as_str().into());
            if let Some(after) = &scan.after {
                put("after", after.as_str().into());
            }
            put("limit", scan.limit.into());
            put("reverse", scan.reverse.into());
        }
        Request::Contact(id) => {
            put("t", "contact".into());
            put("contactId", id.as_str().into());
        }
        Request::Commit(writes, outcome) => {
            put("t", "commit".into());
            segments.push(&outcome.result);
            segments.push(&outcome.events);
            let mut list = Vec::with_capacity(writes.len());
            for w in writes {
                // A check (no value) is sent with segment -1.
                let index = match &w.value {
                    None => -1,
                    Some(value) => match segments.iter().skip(2).position(|s| s == value) {
                        Some(i) => (i + 2) as i64,
                        None => {
                            segments.push(value);
                            segments.len() as i64 - 1
                        }
                    },
                };
                list.push(serde_json::json!([w.key, w.version, index]));
            }
            put("w", list.into());
        }
        Request::Done(outcome) => {
            put("t", "done".into());
            segments.push(&outcome.result);
            segments.push(&outcome.events);
        }
    }
    put("n", segments.iter().map(|s| utf16_len(s)).collect::<Vec<_>>().into());
    let mut packed = serde_json::to_string(&header).map_err(encode)?;
    packed.reserve(segments.iter().map(|s| s.len()).sum::<usize>() + 1);
    packed.push('\n');
    for s in &segments {
        packed.push_str(s);
    }
    Ok(packed)
}

/// `start` flag: the host configured a contacts resolver.
pub const FLAG_CONTACTS: u32 = 1;
/// `start` flag: the host listens to events.
pub const FLAG_EVENTS: u32 = 2;

/// Starts operation `op` (a JS method name) with its arguments.
#[wasm_bindgen]
pub fn start(
    op: &str,
    args: &Array,
    now: f64,
    new_id: Option<String>,
    flags: u32,
    program_value: JsValue,
    program_version: JsValue,
) -> Result<String, JsValue> {
    let (has_contacts, want_events) = (flags & FLAG_CONTACTS != 0, flags & FLAG_EVENTS != 0);
    let now_ms = convert::now_ms(now).map_err(fail)?;
    let inputs: Vec<_> = args.iter().map(|a| convert::to_input(&a)).collect();
    // The JS face's copy of the program record, as storage last returned or accepted it. Taken
    // as plain JS values and checked here, so no caller can hand the ABI a non-string.
    let program = match (program_value.as_string(), program_version.as_f64()) {
        (Some(value), Some(v)) if v >= 1.0 && v.fract() == 0.0 && v <= MAX_SAFE_INTEGER as f64 => {
            Some(Stored { value, version: v as u64 })
        }
        _ => None,
    };
    let ctx = Context { now_ms, new_id, has_contacts, want_events, program };
    let Step { request, state, lock } = machine::start(op, &inputs, &ctx).map_err(fail)?;
    let h = hold(state);
    pack(&request, lock.as_ref(), h)
}

/// Continues an operation with the answer to its last request (`kind` is that request's `t`).
#[wasm_bindgen]
pub fn resume(h: u32, kind: &str, answer: JsValue) -> Result<String, JsValue> {
    let io = match kind {
        "read" => Io::Read(convert::read_answer(&answer).map_err(fail)?),
        "scan" => Io::Scan(convert::scan_answer(&answer).map_err(fail)?),
        "contact" => Io::Contact(convert::to_input(&answer)),
        "conflict" => Io::Conflict(answer.as_string().unwrap_or_default()),
        other => {
            return Err(fail(LoyaltyError::internal(
                "INVALID_STATE",
                format!("no request of kind {}", crate::core::input::quoted(other)),
            )))
        }
    };
    let state = take(h).ok_or_else(|| {
        fail(LoyaltyError::internal(
            "INVALID_STATE",
            format!("operation {h} is not in flight (released, or from before a restart)"),
        ))
    })?;
    let Step { request, state, lock } = machine::resume(state, io).map_err(fail)?;
    put_back(h, state);
    pack(&request, lock.as_ref(), h)
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
