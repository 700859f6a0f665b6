//! The step format: how a step of the core's machine crosses to JS as one string.
//!
//! This is the one description of the format; `js/step.js` decodes it (the JS facade and the
//! wasm-bindgen tests share that decoder), and the README's "Architecture" points here.
//!
//! ```text
//! {"v":1,"h":<handle>,"t":"<kind>",...fields of the kind...,"n":[<len>,...]}\n<segment 0><segment 1>...
//! ```
//! A JSON header on the first line, then the large strings back to back; `n` gives the length
//! of each segment in UTF-16 code units (JS string lengths), and the lengths must add up to the
//! rest of the string exactly (the decoder checks). `v` is [`STEP_FORMAT`]: a decoder refuses
//! any other version. `h` is the operation's handle; `lock` (first step only) the keys the
//! operation changes. Kinds:
//!
//! | `t` | fields | segments |
//! |---|---|---|
//! | `read` | `keys` | none |
//! | `scan` | `prefix`, `after?`, `limit`, `reverse` | none |
//! | `contact` | `contactId` | none |
//! | `ids` | `count` | none |
//! | `commit` | `w`: `[key, version, segment]` per write (segment `-1`: a check) | 0 result, 1 events, 2… values |
//! | `batch` | `w`, as `commit`; the operation goes on after it | 0 progress, 1 events, 2… values |
//! | `done` | | 0 result, 1 events |
//!
//! A value written under several keys (a transaction's three copies) is sent once.

use serde_json::{json, Map, Value};

use crate::core::error::{LoyaltyError, Result};
use crate::core::protocol::{Request, Write};

/// The version of the format; `js/step.js` checks it.
pub const STEP_FORMAT: u32 = 1;

pub(crate) use crate::core::small::utf16_len;

fn writes<'a>(list: &'a [Write], segments: &mut Vec<&'a str>) -> Value {
    let mut out = Vec::with_capacity(list.len());
    for w in list {
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
        out.push(json!([w.key, w.version, index]));
    }
    Value::Array(out)
}

/// Packs a step (`h` is the handle of the operation's state).
pub fn pack(request: &Request, lock: &[String], h: f64) -> Result<String> {
    let mut segments: Vec<&str> = Vec::new();
    let mut header = Map::new();
    header.insert("v".into(), STEP_FORMAT.into());
    header.insert("h".into(), h.into());
    if !lock.is_empty() {
        header.insert("lock".into(), lock.into());
    }
    let mut put = |k: &str, v: Value| {
        header.insert(k.into(), v);
    };
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
        Request::Ids(n) => {
            put("t", "ids".into());
            put("count", (*n).into());
        }
        Request::Hook(name, payload) => {
            put("t", "hook".into());
            put("hook", (*name).into());
            segments.push(payload);
        }
        Request::Commit(list, outcome) => {
            put("t", "commit".into());
            segments.push(&outcome.result);
            segments.push(&outcome.events);
            put("w", writes(list, &mut segments));
        }
        Request::Batch(list, batch) => {
            put("t", "batch".into());
            segments.push(&batch.progress);
            segments.push(&batch.events);
            put("w", writes(list, &mut segments));
        }
        Request::Done(outcome) => {
            put("t", "done".into());
            segments.push(&outcome.result);
            segments.push(&outcome.events);
        }
    }
    put("n", segments.iter().map(|s| utf16_len(s)).collect::<Vec<_>>().into());
    let mut packed =
        serde_json::to_string(&header).map_err(|e| LoyaltyError::internal("ENCODE_FAILED", e.to_string()))?;
    packed.reserve(segments.iter().map(|s| s.len()).sum::<usize>() + 1);
    packed.push('\n');
    for s in &segments {
        packed.push_str(s);
    }
    Ok(packed)
}
