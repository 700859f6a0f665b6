//! The JS boundary, in a real JS engine: Node under `cargo test --target wasm32-unknown-unknown`
//! and `wasm-pack test --node`, headless Chromium under `wasm-pack test --headless --chrome`
//! (with WASM_BINDGEN_USE_BROWSER=1). Hostile JS values must come back as coded errors, the
//! storage answers are checked, and a whole flow runs through the exported step machine.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::BTreeMap;

use js_sys::{Array, Object, Reflect, JSON};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use wix_loyalty_wasm::core::protocol::{FLAG_CONTACTS, FLAG_EVENTS};
use wix_loyalty_wasm::wasm;

// The JS face's own step decoder (js/step.js), so these tests read steps exactly as it does.
#[wasm_bindgen(module = "/js/step.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = unpack)]
    fn js_unpack(packed: &str) -> Result<JsValue, JsValue>;
}

fn unpack(r: Result<String, JsValue>) -> Result<JsValue, JsValue> {
    r.map(|packed| js_unpack(&packed).expect("js/step.js decodes every step the exports pack"))
}

fn start(op: &str, a: &Array, now: f64, id: Option<String>, contacts: bool, events: bool) -> Result<JsValue, JsValue> {
    let flags = u32::from(contacts) * FLAG_CONTACTS + u32::from(events) * FLAG_EVENTS;
    let ids: Array = id.into_iter().map(JsValue::from).collect();
    unpack(wasm::start(op, a, now, ids.into(), flags, None, JsValue::UNDEFINED, JsValue::UNDEFINED))
}

fn resume(h: f64, kind: &str, answer: JsValue) -> Result<JsValue, JsValue> {
    unpack(wasm::resume(h, kind, answer))
}

/// The handle of the operation a step belongs to.
fn handle(step: &JsValue) -> f64 {
    get(step, "h").as_f64().unwrap()
}

const CONTACT: &str = "3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d";
const NOW: f64 = 1_700_000_000_000.0;

fn js(source: &str) -> JsValue {
    js_sys::eval(&format!("({source})")).unwrap()
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap()
}

fn text(v: &JsValue, key: &str) -> String {
    get(v, key).as_string().unwrap_or_default()
}

/// The parsed error a failed export threw.
fn error_of(r: Result<JsValue, JsValue>) -> serde_json::Value {
    match r {
        Ok(step) => panic!("expected an error, got step {:?}", JSON::stringify(&step).ok()),
        Err(e) => serde_json::from_str(&e.as_string().expect("errors are thrown as JSON text")).unwrap(),
    }
}

fn args(items: &[JsValue]) -> Array {
    items.iter().collect()
}

/// A storage in Rust, answering the steps with real JS values.
#[derive(Default)]
struct Store {
    entries: BTreeMap<String, (String, f64)>,
    reads: usize,
    commits: usize,
}

impl Store {
    fn answer_read(&mut self, step: &JsValue) -> JsValue {
        self.reads += 1;
        let keys: Array = get(step, "keys").dyn_into().unwrap();
        keys.iter()
            .map(|k| match self.entries.get(&k.as_string().unwrap()) {
                Some((value, version)) => {
                    let o = Object::new();
                    Reflect::set(&o, &"value".into(), &value.into()).unwrap();
                    Reflect::set(&o, &"version".into(), &(*version).into()).unwrap();
                    o.into()
                }
                None => JsValue::NULL,
            })
            .collect::<Array>()
            .into()
    }

    fn commit(&mut self, step: &JsValue) -> bool {
        self.commits += 1;
        let writes: Array = get(step, "writes").dyn_into().unwrap();
        // A write without a value is a check: the key must be at that version, nothing is written.
        let writes: Vec<(String, Option<String>, f64)> = writes
            .iter()
            .map(|w| (text(&w, "key"), get(&w, "value").as_string(), get(&w, "version").as_f64().unwrap()))
            .collect();
        if writes.iter().any(|(k, _, v)| self.entries.get(k).map_or(0.0, |e| e.1) != *v) {
            return false;
        }
        for (k, value, v) in writes {
            if let Some(value) = value {
                self.entries.insert(k, (value, v + 1.0));
            }
        }
        true
    }

    /// Runs an operation to its result (no concurrency here).
    fn run(&mut self, op: &str, a: &[JsValue], id: Option<&str>) -> Result<serde_json::Value, serde_json::Value> {
        let mut step = start(op, &args(a), NOW, id.map(String::from), false, true)
            .map_err(|e| serde_json::from_str::<serde_json::Value>(&e.as_string().unwrap()).unwrap())?;
        loop {
            let kind = text(&step, "t");
            let next = match kind.as_str() {
                "read" => {
                    let answer = self.answer_read(&step);
                    resume(handle(&step), "read", answer)
                }
                "commit" => {
                    assert!(self.commit(&step), "no concurrent writer in this test");
                    wasm::release(handle(&step));
                    return Ok(serde_json::from_str(&text(&step, "result")).unwrap());
                }
                "done" => {
                    wasm::release(handle(&step));
                    return Ok(serde_json::from_str(&text(&step, "result")).unwrap());
                }
                other => panic!("unexpected step {other}"),
            };
            step = next.map_err(|e| serde_json::from_str::<serde_json::Value>(&e.as_string().unwrap()).unwrap())?;
        }
    }
}

fn guid(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn ready_store() -> (Store, String) {
    let mut store = Store::default();
    store.run("activateLoyaltyProgram", &[], Some(&guid(1))).unwrap();
    let created = store.run("createAccount", &[CONTACT.into()], Some(&guid(2))).unwrap();
    (store, created["account"]["_id"].as_str().unwrap().to_string())
}

#[wasm_bindgen_test]
fn a_whole_flow_through_the_exports() {
    let (mut store, id) = ready_store();
    let (reads, commits) = (store.reads, store.commits);
    let r = store
        .run(
            "earnPoints",
            &[id.clone().into(), js("{ amount: 40, appId: 'shop', idempotencyKey: 'order-1' }")],
            Some(&guid(3)),
        )
        .unwrap();
    assert_eq!((store.reads - reads, store.commits - commits), (1, 1));
    assert_eq!(r["account"]["points"]["balance"], 40);
    let again = store
        .run(
            "earnPoints",
            &[id.clone().into(), js("{ amount: 40, appId: 'shop', idempotencyKey: 'order-1' }")],
            Some(&guid(4)),
        )
        .unwrap();
    assert_eq!(again["transactionId"], r["transactionId"], "idempotent retry");
    let r =
        store.run("adjustPoints", &[id.clone().into(), js("{ amount: -15, revision: '2' }")], Some(&guid(5))).unwrap();
    assert_eq!(r["account"]["points"]["balance"], 25);
    assert_eq!(r["account"]["revision"], "3");
    let e = store
        .run("adjustPoints", &[id.clone().into(), js("{ amount: -15, revision: '2' }")], Some(&guid(6)))
        .unwrap_err();
    assert_eq!(e["reason"], "REVISION_MISMATCH");
    let e = store.run("adjustPoints", &[id.into(), js("{ amount: -26 }")], Some(&guid(7))).unwrap_err();
    assert_eq!((e["code"].as_str(), e["reason"].as_str()), (Some("FAILED_PRECONDITION"), Some("INSUFFICIENT_POINTS")));
}

#[wasm_bindgen_test]
fn hostile_values_are_coded_errors_and_the_engine_keeps_working() {
    let (mut store, id) = ready_store();
    let values = [
        "undefined",
        "null",
        "NaN",
        "1e20",
        "0.5",
        "-0",
        "Infinity",
        "true",
        "'x'.repeat(5_000_000)",
        "[]",
        "[1, 2, 3]",
        "{}",
        "Symbol('s')",
        "10n",
        "() => 1",
        "new Date(NaN)",
        "new Map([[1, 2]])",
        "JSON.parse('{\"__proto__\": {\"amount\": 5, \"balance\": 5}}')",
        "Object.create({ amount: 5, balance: 5, appId: 'a', idempotencyKey: 'k' })",
        "new Proxy({}, { ownKeys() { throw new Error('trap') } })",
        "(() => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy })()",
        "Object.defineProperty({}, 'amount', { enumerable: true, get() { throw new Error('getter') } })",
        "(() => { let o = {}; for (let i = 0; i < 5000; i++) o = { amount: o }; return o })()",
        "(() => { const a = []; a.length = 4294967295; return a })()",
        "{ amount: 1e20, balance: -0.5, revision: {}, description: 7 }",
    ];
    for op in wix_loyalty_wasm::core::operations::OPERATIONS.iter().map(|o| o.name) {
        for source in values {
            for position in 0..2 {
                let mut a = vec![JsValue::from(id.clone()), js("{ amount: 1, appId: 'a', idempotencyKey: 'hostile' }")];
                a[position] = js(source);
                if let Err(e) = start(op, &args(&a), NOW, Some(guid(9)), false, true) {
                    let e: serde_json::Value =
                        serde_json::from_str(&e.as_string().expect("thrown as JSON text")).unwrap();
                    assert!(
                        e["code"].is_string() && e["reason"].is_string() && e["message"].is_string(),
                        "{op}({source}): {e}"
                    );
                }
            }
        }
    }
    // The instance works normally afterwards and the ledger is intact.
    let r = store.run("adjustPoints", &[id.into(), js("{ amount: 3 }")], Some(&guid(10))).unwrap();
    assert_eq!(r["account"]["points"]["balance"], 3);
    assert_eq!(r["account"]["revision"], "2");
}

#[wasm_bindgen_test]
fn inherited_and_proto_smuggled_properties_are_not_read() {
    let (_, id) = ready_store();
    let e = error_of(start(
        "adjustPoints",
        &args(&[id.clone().into(), js("Object.create({ amount: 5 })")]),
        NOW,
        Some(guid(9)),
        false,
        true,
    ));
    assert_eq!(e["reason"], "MISSING_ADJUSTMENT");
    // An own "__proto__" key (as JSON.parse makes) is just an unknown field.
    let e = error_of(start(
        "adjustPoints",
        &args(&[id.into(), js("JSON.parse('{\"__proto__\": {\"amount\": 5}}')")]),
        NOW,
        Some(guid(9)),
        false,
        true,
    ));
    assert_eq!(e["reason"], "MISSING_ADJUSTMENT");
}

#[wasm_bindgen_test]
fn messages_name_the_argument_path() {
    let e = error_of(start(
        "earnPoints",
        &args(&[CONTACT.into(), js("{ amount: NaN, appId: 'a', idempotencyKey: 'k' }")]),
        NOW,
        Some(guid(9)),
        false,
        true,
    ));
    assert_eq!(e["code"], "INVALID_ARGUMENT");
    assert_eq!(e["details"]["validationError"]["fieldViolations"][0]["field"], "options.amount");
    assert!(e["message"].as_str().unwrap().contains("\"options.amount\""), "{e}");
    assert!(e["message"].as_str().unwrap().contains("NaN"), "{e}");
}

#[wasm_bindgen_test]
fn storage_answers_that_break_the_contract_are_reported() {
    // A failed step ends its operation, so each answer gets an operation of its own.
    let fresh = || handle(&start("getLoyaltyProgram", &args(&[]), NOW, None, false, true).unwrap());
    for (answer, needle) in [
        ("'nope'", "must resolve to an array"),
        ("[]", "0 entries for 1 keys"),
        ("[{ value: 5, version: 1 }]", "value must be a string"),
        ("[{ value: '{}', version: 0 }]", "version must be"),
        ("[{ value: '{}', version: 1.5 }]", "version must be"),
        ("[{ value: '{}' }]", "version must be"),
    ] {
        let e = error_of(resume(fresh(), "read", js(answer)));
        assert_eq!(e["reason"], "STORAGE_PROTOCOL_ERROR", "{answer}");
        assert!(e["message"].as_str().unwrap().contains(needle), "{answer}: {e}");
    }
    let h = fresh();
    let e = error_of(resume(h, "read", js("[{ value: '{oops', version: 1 }]")));
    assert_eq!(e["reason"], "CORRUPT_RECORD");
    assert!(e["message"].as_str().unwrap().contains("\"program\""));
    let e = error_of(resume(h, "read", js("[]")));
    assert_eq!(e["reason"], "INVALID_STATE", "an operation that failed is over");
    wasm::release(h);
    let h = fresh();
    wasm::release(h);
    let e = error_of(resume(h, "read", js("[]")));
    assert_eq!(e["reason"], "INVALID_STATE", "a released handle is refused");
    let e = error_of(resume(4_000_000.0, "read", js("[]")));
    assert_eq!(e["reason"], "INVALID_STATE", "an unknown handle is refused");
    // A released handle cannot name a later operation that reuses its slot.
    let old = fresh();
    wasm::release(old);
    let new = fresh();
    assert_ne!(old, new);
    assert_eq!(old % 1_048_576.0, new % 1_048_576.0, "the slot is reused");
    let e = error_of(resume(old, "read", js("[null]")));
    assert_eq!(e["reason"], "INVALID_STATE", "the old handle is refused");
    assert!(resume(new, "read", js("[null]")).is_ok(), "the new one works");
}

#[wasm_bindgen_test]
fn the_clock_and_the_id_generator_are_checked() {
    let e = error_of(start(
        "adjustPoints",
        &args(&[CONTACT.into(), js("{ amount: 1 }")]),
        f64::NAN,
        Some(guid(1)),
        false,
        true,
    ));
    assert_eq!(e["reason"], "INVALID_CLOCK");
    let e = error_of(start(
        "adjustPoints",
        &args(&[CONTACT.into(), js("{ amount: 1 }")]),
        NOW,
        Some("42".into()),
        false,
        true,
    ));
    assert_eq!(e["reason"], "INVALID_ID_GENERATOR");
}

#[wasm_bindgen_test]
fn steps_have_the_documented_shape() {
    let step =
        start("adjustPoints", &args(&[CONTACT.into(), js("{ amount: 1 }")]), NOW, Some(guid(1)), false, true).unwrap();
    assert_eq!(text(&step, "t"), "read");
    assert_eq!(get(&step, "v").as_f64(), Some(1.0));
    let lock: Array = get(&step, "lock").dyn_into().unwrap();
    assert_eq!(lock.get(0).as_string().unwrap(), format!("acct/{CONTACT}"));
    let keys: Array = get(&step, "keys").dyn_into().unwrap();
    assert_eq!(keys.get(0).as_string().unwrap(), format!("acct/{CONTACT}"));
    let step =
        start("queryLoyaltyTransactions", &args(&[js("{ cursorPaging: { limit: 5 } }")]), NOW, None, false, true)
            .unwrap();
    assert_eq!(text(&step, "t"), "scan");
    assert_eq!(text(&step, "prefix"), "ledger-time/");
    assert_eq!(get(&step, "limit").as_f64(), Some(6.0));
    assert_eq!(get(&step, "reverse").as_bool(), Some(true));
}
