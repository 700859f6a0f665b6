//! Exports for `npm run bench` only (feature `boundary-bench`, never in the package): the two
//! designs the JS face decided against, measured next to what it does.
//!
//! * `benchWalk(value)` converts an argument with the hand-written walker ([`super::convert`]);
//!   `benchSerde(value)` with serde-wasm-bindgen into the same [`Input`]. Both return the
//!   number of values read, so neither conversion can be optimized away.
//! * `benchAsyncRun(storage, op, args, now, ids)` runs an operation as one async export that
//!   awaits the host's storage promises through wasm-bindgen-futures, instead of the
//!   synchronous steps the JS face drives (`start`/`resume`).

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::{convert, fail};
use crate::core::error::LoyaltyError;
use crate::core::input::Input;
use crate::core::operations;
use crate::core::protocol::{Caller, Context, Io, Request};
use crate::core::reason::Reason;

fn count(input: &Input) -> u32 {
    match input {
        Input::Array(items) => 1 + items.iter().map(count).sum::<u32>(),
        Input::Object(fields) => 1 + fields.iter().map(|(_, v)| count(v)).sum::<u32>(),
        _ => 1,
    }
}

#[wasm_bindgen(js_name = benchWalk)]
pub fn bench_walk(value: JsValue) -> u32 {
    count(&convert::to_input(&value))
}

#[wasm_bindgen(js_name = benchSerde)]
pub fn bench_serde(value: JsValue) -> Result<u32, JsValue> {
    let input: Input = serde_wasm_bindgen::from_value(value).map_err(|e| JsValue::from_str(&e.to_string()))?;
    Ok(count(&input))
}

async fn call(storage: &JsValue, name: &str, arg: &JsValue) -> Result<JsValue, JsValue> {
    let f: Function = Reflect::get(storage, &JsValue::from_str(name))?.dyn_into()?;
    let promise: Promise = f.call1(storage, arg)?.dyn_into()?;
    JsFuture::from(promise).await
}

#[wasm_bindgen(js_name = benchAsyncRun)]
pub async fn bench_async_run(
    storage: JsValue,
    op: String,
    args: Array,
    now: f64,
    ids: Array,
) -> Result<String, JsValue> {
    let inputs: Vec<Input> = args.iter().map(|a| convert::to_input(&a)).collect();
    let ctx = Context {
        now_ms: now as i64,
        ids: ids.iter().filter_map(|v| v.as_string()).collect(),
        caller: Caller::Admin,
        has_contacts: false,
        want_events: false,
        packed_answers: false,
        coupon_hooks: false,
        program: None,
    };
    let mut step = operations::start(&op, &inputs, &ctx).map_err(fail)?;
    loop {
        let io = match step.request {
            Request::Read(keys) => {
                let keys: Array = keys.iter().map(|k| JsValue::from_str(k)).collect();
                Io::Read(convert::read_answer(&call(&storage, "read", &keys).await?).map_err(fail)?)
            }
            Request::Commit(writes, outcome) => {
                let list = Array::new();
                for w in &writes {
                    let o = Object::new();
                    Reflect::set(&o, &"key".into(), &JsValue::from_str(&w.key))?;
                    Reflect::set(&o, &"value".into(), &w.value.as_deref().map_or(JsValue::NULL, JsValue::from_str))?;
                    Reflect::set(&o, &"version".into(), &JsValue::from_f64(w.version as f64))?;
                    list.push(&o);
                }
                let answer = call(&storage, "commit", &list).await?;
                if Reflect::get(&answer, &"ok".into())?.as_bool() == Some(true) {
                    return Ok(outcome.result);
                }
                Io::Conflict(Reflect::get(&answer, &"conflict".into())?.as_string().unwrap_or_default())
            }
            Request::Done(outcome) => return Ok(outcome.result),
            _ => {
                return Err(fail(LoyaltyError::internal(
                    Reason::Unsupported,
                    "benchAsyncRun drives reads and commits only",
                )))
            }
        };
        step = operations::resume(step.state, io).map_err(fail)?;
    }
}
