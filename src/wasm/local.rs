//! The JS face of the default store: `memoryStorage()` keeps its entries in a
//! [`crate::store::Store`] inside the module, so an operation on it runs to its end in one
//! synchronous call ([`local_run`]) through the same step machine, with no storage round trip
//! through JS. The journal (see the store) reaches the JS side through [`local_journal`],
//! read in place from the module's memory; after a trap the JS side replays what it kept
//! ([`local_replay`]) or a dump ([`local_dump`]).
//!
//! The store also answers the storage contract (`localRead`, `localScan` and `localCommit`), so an
//! operation that must wait on the host (a contacts resolver, a job's batches) continues on the
//! generic path over the same entries, and two backends sharing one `memoryStorage()` see each
//! other's writes.

use std::cell::RefCell;

use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::{fail, packed, step, strings};
use crate::core::error::{LoyaltyError, Result};
use crate::core::operations;
use crate::core::protocol::{Io, Outcome, Request, ScanRequest, Step, Write};
use crate::core::reason::Reason;
use crate::core::records::json::Packer;
use crate::store::Store;

thread_local! {
    static STORES: RefCell<Vec<Option<Store>>> = const { RefCell::new(Vec::new()) };
}

fn with<T>(id: u32, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
    STORES.with(|stores| match stores.borrow_mut().get_mut(id as usize) {
        Some(Some(local)) => f(local),
        _ => Err(LoyaltyError::internal(Reason::NoSuchStore, "this memoryStorage's wasm store is gone")),
    })
}

/// Creates an empty store; its id.
#[wasm_bindgen(js_name = localCreate)]
pub fn local_create() -> u32 {
    STORES.with(|stores| {
        let mut stores = stores.borrow_mut();
        match stores.iter_mut().enumerate().find(|(_, s)| s.is_none()) {
            Some((i, slot)) => {
                *slot = Some(Store::default());
                i as u32
            }
            None => {
                stores.push(Some(Store::default()));
                stores.len() as u32 - 1
            }
        }
    })
}

/// Frees a store (its `memoryStorage()` was collected).
#[wasm_bindgen(js_name = localDrop)]
pub fn local_drop(id: u32) {
    STORES.with(|stores| {
        if let Some(slot) = stores.borrow_mut().get_mut(id as usize) {
            *slot = None;
        }
    });
}

/// Bytes of keys and values the store holds.
#[wasm_bindgen(js_name = localLiveBytes)]
pub fn local_live_bytes(id: u32) -> f64 {
    with(id, |l| Ok(l.live() as f64)).unwrap_or(0.0)
}

/// Hands the journal written since the last call to the JS side: its length (0: nothing was
/// committed); its bytes lie in the module's memory at [`local_journal_at`] until the next call
/// that writes. The JS side copies them from there (no intermediate buffer), and the journal's
/// own buffer is reused.
#[wasm_bindgen(js_name = localJournal)]
pub fn local_journal(id: u32) -> u32 {
    with(id, |l| Ok(l.take_journal().len() as u32)).unwrap_or(0)
}

/// Where the journal handed by [`local_journal`] lies in the module's memory.
#[wasm_bindgen(js_name = localJournalAt)]
pub fn local_journal_at(id: u32) -> u32 {
    with(id, |l| Ok(l.journal().as_ptr() as u32)).unwrap_or(0)
}

/// The module's memory (for reading a journal in place).
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// Applies journal bytes (a take or a dump) to a store, in order.
#[wasm_bindgen(js_name = localReplay)]
pub fn local_replay(id: u32, bytes: &[u8]) -> Result<(), JsValue> {
    with(id, |l| l.replay(bytes)).map_err(fail)
}

/// A dump of the whole store, in journal format.
#[wasm_bindgen(js_name = localDump)]
pub fn local_dump(id: u32) -> Vec<u8> {
    with(id, |l| Ok(l.dump())).unwrap_or_default()
}

/// `storage.scan`: per row `version,key length,value length`, then each row's key and value.
#[wasm_bindgen(js_name = localScan)]
pub fn local_scan(
    id: u32,
    prefix: String,
    after: Option<String>,
    limit: u32,
    reverse: bool,
) -> Result<String, JsValue> {
    let rows = with(id, |l| Ok(l.scan(&ScanRequest { prefix, after, limit, reverse }))).map_err(fail)?;
    let text = rows.iter().map(|r| r.key.len() + r.value.len()).sum();
    let mut p = Packer::with_capacity(3 * rows.len(), text);
    for r in &rows {
        p.int(r.version as i64);
        p.text(&r.key);
        p.text(&r.value);
    }
    Ok(p.finish())
}

/// `storage.read` of one key: `version,value length` then the value, or nothing when absent.
#[wasm_bindgen(js_name = localRead)]
pub fn local_read(id: u32, key: &str) -> Result<String, JsValue> {
    with(id, |l| {
        let mut p = Packer::with_capacity(2, 0);
        if let Some((value, version)) = l.get(key) {
            p.int(version as i64);
            p.text(value);
        }
        Ok(p.finish())
    })
    .map_err(fail)
}

/// `storage.commit`: `keys`, `values` (a string, or null for a check) and `versions`, one per
/// write (the JS side checked their types); the conflicting key, or undefined once applied.
#[wasm_bindgen(js_name = localCommit)]
pub fn local_commit(id: u32, keys: JsValue, values: &Array, versions: &[f64]) -> Result<Option<String>, JsValue> {
    let keys = strings(&keys);
    let writes: Vec<Write> = keys
        .into_iter()
        .zip(values.iter())
        .zip(versions.iter())
        .map(|((key, value), version)| Write { key, value: value.as_string(), version: *version as u64 })
        .collect();
    with(id, |l| Ok(l.commit(writes))).map_err(fail)
}

/// Runs operation `op` on store `id` as far as it can without the host: to its end, answered
/// as [`finished`] says; or, when
/// it must wait on the host (a contact, fresh ids, a job's batch), as the packed step to go on
/// from on the generic path. Arguments as for `start`.
#[wasm_bindgen(js_name = localRun)]
pub fn local_run(
    id: u32,
    op: &str,
    args: &Array,
    now: f64,
    ids: JsValue,
    flags: u32,
    member: Option<String>,
) -> Result<String, JsValue> {
    let mut step = super::begin(op, args, now, &ids, flags, member, None)?;
    let mut attempts = 1;
    loop {
        let Step { request, state, lock } = step;
        let io = match request {
            Request::Read(keys) => Io::Read(with(id, |l| Ok(l.read(&keys))).map_err(fail)?),
            Request::Scan(scan) => Io::Scan(with(id, |l| Ok(l.scan(&scan))).map_err(fail)?),
            Request::Done(outcome) => return finished(outcome, '='),
            Request::Commit(writes, outcome) => match with(id, |l| Ok(l.commit(writes))).map_err(fail)? {
                None => return finished(outcome, '+'),
                // A key the operation did not read (a contact's index, a fresh id) is taken:
                // the machine reads it and decides. Nothing else runs meanwhile, so one answer
                // settles it; the bound only guards against a machine that never settles.
                Some(key) => {
                    attempts += 1;
                    if attempts > crate::core::attempts::MAX {
                        return Err(fail(crate::core::attempts::too_many_conflicts(&key)));
                    }
                    Io::Conflict(key)
                }
            },
            request => return packed(Step { request, state, lock }),
        };
        step = operations::resume(state, io).map_err(fail)?;
    }
}

/// The answer of a finished operation: `tag` (`=`: nothing committed, `+`: committed) and the
/// result's JSON when it has no events, else a packed `done` step.
fn finished(outcome: Outcome, tag: char) -> Result<String, JsValue> {
    if outcome.events == "[]" {
        let mut out = String::with_capacity(outcome.result.len() + 1);
        out.push(tag);
        out.push_str(&outcome.result);
        Ok(out)
    } else {
        step::pack(&Request::Done(outcome), &[], 0.0).map_err(fail)
    }
}
