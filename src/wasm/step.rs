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

use crate::core::error::Result;
use crate::core::protocol::{Request, Write};
use crate::core::records::json::Out;

/// The version of the format; `js/step.js` checks it.
pub const STEP_FORMAT: u32 = 1;

pub(crate) use crate::core::small::utf16_len;

/// `"w"`: `[key, version, segment]` per write; a value already among the segments is named again.
fn writes<'a>(out: &mut Out, list: &'a [Write], segments: &mut Vec<&'a str>) {
    out.raw(",\"w\":[");
    for (i, w) in list.iter().enumerate() {
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
        out.raw(if i == 0 { "[" } else { ",[" }).str(&w.key).raw(",").uint(w.version).raw(",").int(index).raw("]");
    }
    out.raw("]");
}

fn strings(out: &mut Out, list: &[String]) {
    out.raw("[");
    for (i, k) in list.iter().enumerate() {
        if i > 0 {
            out.raw(",");
        }
        out.str(k);
    }
    out.raw("]");
}

/// Packs a step (`h` is the handle of the operation's state, a whole number).
pub fn pack(request: &Request, lock: &[String], h: f64) -> Result<String> {
    let mut segments: Vec<&str> = Vec::new();
    let mut out = Out::with_capacity(160);
    out.raw("{\"v\":").uint(STEP_FORMAT.into()).raw(",\"h\":").uint(h as u64);
    if !lock.is_empty() {
        out.raw(",\"lock\":");
        strings(&mut out, lock);
    }
    match request {
        Request::Read(keys) => {
            out.raw(",\"t\":\"read\",\"keys\":");
            strings(&mut out, keys);
        }
        Request::Scan(scan) => {
            out.raw(",\"t\":\"scan\",\"prefix\":").str(&scan.prefix);
            if let Some(after) = &scan.after {
                out.raw(",\"after\":").str(after);
            }
            out.raw(",\"limit\":").uint(scan.limit.into()).raw(",\"reverse\":").bool(scan.reverse);
        }
        Request::Contact(id) => {
            out.raw(",\"t\":\"contact\",\"contactId\":").str(id);
        }
        Request::Ids(n) => {
            out.raw(",\"t\":\"ids\",\"count\":").uint((*n).into());
        }
        Request::Hook(name, payload) => {
            out.raw(",\"t\":\"hook\",\"hook\":").str(name);
            segments.push(payload);
        }
        Request::Commit(list, outcome) => {
            out.raw(",\"t\":\"commit\"");
            segments.push(&outcome.result);
            segments.push(&outcome.events);
            writes(&mut out, list, &mut segments);
        }
        Request::Batch(list, batch) => {
            out.raw(",\"t\":\"batch\"");
            segments.push(&batch.progress);
            segments.push(&batch.events);
            writes(&mut out, list, &mut segments);
        }
        Request::Done(outcome) => {
            out.raw(",\"t\":\"done\"");
            segments.push(&outcome.result);
            segments.push(&outcome.events);
        }
    }
    out.raw(",\"n\":[");
    for (i, s) in segments.iter().enumerate() {
        if i > 0 {
            out.raw(",");
        }
        out.uint(utf16_len(s) as u64);
    }
    out.raw("]}\n");
    let mut packed = out.finish();
    packed.reserve(segments.iter().map(|s| s.len()).sum::<usize>());
    for s in &segments {
        packed.push_str(s);
    }
    Ok(packed)
}
