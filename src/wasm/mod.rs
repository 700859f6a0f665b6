//! The JS face: synchronous exports that run the core's step machine. Nothing here awaits, so
//! a trap can never strand a promise or a borrow; the JS face (`js/runner.js`) does the I/O.
//!
//! * `start(op, args, now, ids, flags, member, programValue, programVersion)` validates a call
//!   (operation, caller, arguments) and returns its first step. `ids` are the fresh ids the
//!   operation's table row asks for; `flags` say what the host set up (a contacts resolver, an
//!   event listener, packed answers, coupon hooks, an anonymous visitor calling: the `FLAG_*`
//!   bits of `crate::core::protocol`, which the JS face reads from the build's table); `member`
//!   is the calling member (else an admin calls, or the visitor); the last two are the program
//!   record as the JS face last saw it.
//! * `resume(h, kind, answer)` takes what the host answered to the last step and returns the
//!   next; after a refused commit, `resume(h, "conflict", key)`; after a committed batch,
//!   `resume(h, "committed")`.
//! * `release(h)` forgets the operation; the JS face calls it when the operation ends.
//!
//! The table of operations reaches the JS face through the build (`examples/table.rs` writes it
//! into the package as `table.js`), not through this module.
//!
//! Steps are packed into one string each ([`step`] describes the format). The state of an
//! operation stays in wasm under its handle between steps ([`handles`]). Errors are thrown as
//! the JSON text of the Wix-shaped error; `js/errors.js` turns them into `LoyaltyError`s.

#[cfg(feature = "boundary-bench")]
mod bench;
mod convert;
mod handles;
mod local;
pub mod step;

use js_sys::Array;
use wasm_bindgen::prelude::*;

use crate::core::error::LoyaltyError;
use crate::core::operations;
use crate::core::protocol::{
    Caller, Context, Io, Step, Stored, FLAG_CONTACTS, FLAG_COUPON_HOOKS, FLAG_EVENTS, FLAG_PACKED, FLAG_VISITOR,
};
use crate::core::reason::Reason;
use crate::core::validate::MAX_SAFE_INTEGER;

/// Blocks by size class (`crate::alloc`) over the module's linear memory.
#[global_allocator]
static ALLOCATOR: crate::alloc::Classes<crate::alloc::LinearMemory> =
    crate::alloc::Classes::new(crate::alloc::LinearMemory);

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
    JsValue::from_str(&error.to_json())
}

fn strings(value: &JsValue) -> Vec<String> {
    if !Array::is_array(value) {
        return Vec::new();
    }
    // A non-string id is passed on as empty: the core refuses it as a broken id generator.
    Array::from(value).iter().map(|v| v.as_string().unwrap_or_default()).collect()
}

fn packed(step: Step) -> Result<String, JsValue> {
    let Step { request, state, lock } = step;
    let finished = matches!(request, crate::core::protocol::Request::Done(_));
    let h = if finished {
        0.0
    } else {
        handles::hold(state).ok_or_else(|| {
            fail(LoyaltyError::new(
                crate::core::error::Code::Unavailable,
                Reason::TooManyOperations,
                "more than 1048576 operations are in flight at once",
            ))
        })?
    };
    step::pack(&request, &lock, h).map_err(fail)
}

/// Starts operation `op` (its SDK method name) with its arguments.
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen]
pub fn start(
    op: &str,
    args: &Array,
    now: f64,
    ids: JsValue,
    flags: u32,
    member: Option<String>,
    program_value: JsValue,
    program_version: JsValue,
) -> Result<String, JsValue> {
    // The JS face's copy of the program record, as storage last returned or accepted it. Taken
    // as plain JS values and checked here, so no caller can hand the ABI a non-string.
    let program = match (program_value.as_string(), program_version.as_f64()) {
        (Some(value), Some(v)) if v >= 1.0 && v.fract() == 0.0 && v <= MAX_SAFE_INTEGER as f64 => {
            Some(Stored { value, version: v as u64 })
        }
        _ => None,
    };
    packed(begin(op, args, now, &ids, flags, member, program)?)
}

/// The first step of `op`: its arguments converted, its context built, its call validated.
fn begin(
    op: &str,
    args: &Array,
    now: f64,
    ids: &JsValue,
    flags: u32,
    member: Option<String>,
    program: Option<Stored>,
) -> Result<Step, JsValue> {
    let now_ms = convert::now_ms(now).map_err(fail)?;
    let inputs: Vec<_> = args.iter().map(|a| convert::to_input(&a)).collect();
    let ctx = Context {
        now_ms,
        ids: strings(ids),
        caller: match member {
            Some(id) => Caller::Member(id),
            None if flags & FLAG_VISITOR != 0 => Caller::Visitor,
            None => Caller::Admin,
        },
        has_contacts: flags & FLAG_CONTACTS != 0,
        want_events: flags & FLAG_EVENTS != 0,
        packed_answers: flags & FLAG_PACKED != 0,
        coupon_hooks: flags & FLAG_COUPON_HOOKS != 0,
        program,
    };
    operations::start(op, &inputs, &ctx).map_err(fail)
}

/// Continues an operation with the answer to its last request (`kind` is that request's `t`,
/// or `conflict` after a refused commit, or `committed` after a batch was applied).
#[wasm_bindgen]
pub fn resume(h: f64, kind: &str, answer: JsValue) -> Result<String, JsValue> {
    let io = match kind {
        "read" => Io::Read(convert::read_answer(&answer).map_err(fail)?),
        "scan" => Io::Scan(convert::scan_answer(&answer).map_err(fail)?),
        "contact" => Io::Contact(convert::to_input(&answer)),
        "hook" => Io::Hook(convert::to_input(&answer)),
        "ids" => Io::Ids(strings(&answer)),
        "committed" => Io::Committed,
        "conflict" => Io::Conflict(answer.as_string().unwrap_or_default()),
        other => {
            return Err(fail(LoyaltyError::internal(
                Reason::InvalidState,
                format!("no request of kind {}", crate::core::input::quoted(other)),
            )))
        }
    };
    let state = handles::take(h).ok_or_else(|| {
        fail(LoyaltyError::internal(
            Reason::InvalidState,
            // The handle as a whole number: formatting an f64 would pull in float printing.
            format!("operation {} is not in flight (released, or from before a restart)", h.max(0.0) as u64),
        ))
    })?;
    let step = operations::resume(state, io).map_err(fail)?;
    let Step { request, state, lock } = step;
    if matches!(request, crate::core::protocol::Request::Done(_)) {
        handles::release(h);
    } else {
        handles::put_back(h, state);
    }
    step::pack(&request, &lock, h).map_err(fail)
}

/// Forgets operation `h`; releasing an unknown or released handle does nothing.
#[wasm_bindgen]
pub fn release(h: f64) {
    handles::release(h);
}

/// Operations in flight (held and not released), for engineStats() and the leak tests.
#[wasm_bindgen(js_name = operationsInFlight)]
pub fn operations_in_flight() -> u32 {
    handles::in_flight()
}

/// The version of the step format this module packs (`js/step.js` checks it).
#[wasm_bindgen(js_name = stepFormat)]
pub fn step_format() -> u32 {
    step::STEP_FORMAT
}

/// `verify()`'s checker: JS scans each family of `verifyPrefixes` (in the build's table of
/// operations, from `crate::core::verify::PREFIXES`) and feeds the rows in;
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
        serde_json::to_string(&report).map_err(|e| fail(LoyaltyError::internal(Reason::EncodeFailed, e.to_string())))
    }
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
