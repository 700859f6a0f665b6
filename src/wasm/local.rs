//! The default store inside wasm: `memoryStorage()` keeps its entries here, so an operation on
//! it runs to its end in one synchronous call ([`local_run`]) through the same step machine,
//! with no storage round trip through JS.
//!
//! A trap discards the instance and every store in it, so each store also keeps a **journal**:
//! the bytes of every write it applied, which the JS side takes after each call that committed
//! (`localJournal`, read in place from the module's memory) and keeps. After a trap the JS side creates the store afresh and replays
//! what it kept (`localReplay`); a commit is acknowledged to a caller only after its journal was
//! taken, so no acknowledged write is ever lost. When what the kept journal holds beyond the live
//! data (overwritten values) outgrows the live data, the JS side replaces it with a dump of the
//! store (`localDump`), in the same format: the journal stays within about twice the live data,
//! at amortized constant cost, and a store that only grows (ledgers) is never dumped.
//!
//! Journal format: entries back to back, each `key length (u32 LE) · key · value length (u32 LE)
//! · value · version (u64 LE)`, UTF-8; replaying an entry sets the key to that value and version.
//! A value length of `u32::MAX` stands for the value of the entry before, with no value bytes
//! (a transaction's three copies are journaled once).
//!
//! The store also answers the storage contract (`localRead`, `localScan` and `localCommit`), so an
//! operation that must wait on the host (a contacts resolver, a job's batches) continues on the
//! generic path over the same entries, and two backends sharing one `memoryStorage()` see each
//! other's writes.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::{fail, packed, step, strings};
use crate::core::error::{LoyaltyError, Result};
use crate::core::operations;
use crate::core::protocol::{Io, Outcome, Request, Row, ScanRequest, Step, Stored, Write};
use crate::core::records::json::Packer;
use crate::core::small::{byte_order as order, hash, same};

/// Attempts a commit gets when it keeps conflicting; then an error.
const MAX_ATTEMPTS: u32 = 64;

/// The journal's value length meaning "the value of the entry before".
const SAME_VALUE: u32 = u32::MAX;

/// Entries per chunk of the ordered store (a chunk splits at twice this).
const CHUNK: usize = 128;

struct Entry {
    key: String,
    /// Shared by the entries a commit gave the same value (a transaction's three copies).
    value: Rc<String>,
    version: u64,
}

/// The entries, held three ways: in `slab`, where an entry's place never changes (the storage
/// contract has no deletes); by key in `table`, for the point reads and version checks that are
/// all an operation's lookups outside scans (open addressing with linear probing, at most half
/// full; per slot the key's hash in the high half and the slab index + 1 in the low half, 0 when
/// empty); and in key order in `chunks`, sorted runs of slab indices, for scans (a lookup is two
/// binary searches, an insert moves at most one chunk's tail). A new key is put in order only
/// when a scan needs the order: until then it waits in `pending`, so a run of writes with no
/// scan (most of a load: ids and idempotency keys are random, and placing each was a fifth of
/// a write's time) never pays for it, and a scan places the waiting keys sorted, next to one
/// another. Small in code, which the .wasm size budget needs.
struct Entries {
    slab: Vec<Entry>,
    table: Vec<u64>,
    chunks: Vec<Vec<u32>>,
    /// Slab indices of keys not yet in `chunks`, in insertion order.
    pending: Vec<u32>,
}

impl Default for Entries {
    fn default() -> Self {
        Entries { slab: Vec::new(), table: Vec::new(), chunks: vec![Vec::new()], pending: Vec::new() }
    }
}

impl Entries {
    fn entry(&self, id: u32) -> Option<&Entry> {
        self.slab.get(id as usize)
    }

    fn at(&self, (c, i): (usize, usize)) -> Option<&Entry> {
        self.chunks.get(c).and_then(|ch| ch.get(i)).and_then(|&id| self.entry(id))
    }

    /// The position (chunk, index) of the first key not below `key` in byte order; (last
    /// chunk, its length) when every key is below. Binary searches written out.
    fn lower_bound(&self, key: &[u8]) -> (usize, usize) {
        let below = |id: &u32| self.entry(*id).is_some_and(|e| order(e.key.as_bytes(), key).is_lt());
        let chunks = &self.chunks;
        let (mut lo, mut hi) = (0, chunks.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match chunks.get(mid).and_then(|ch| ch.last()) {
                Some(id) if below(id) => lo = mid + 1,
                _ => hi = mid,
            }
        }
        let Some(chunk) = chunks.get(lo) else {
            let last = chunks.len().saturating_sub(1);
            return (last, chunks.get(last).map_or(0, Vec::len));
        };
        let (mut i, mut j) = (0, chunk.len());
        while i < j {
            let mid = i + (j - i) / 2;
            match chunk.get(mid) {
                Some(id) if below(id) => i = mid + 1,
                _ => j = mid,
            }
        }
        (lo, i)
    }

    /// The slab index of `key` (whose hash is `h`), if it is held.
    fn find(&self, key: &str, h: u32) -> Option<usize> {
        let mask = self.table.len().wrapping_sub(1);
        let mut i = h as usize & mask;
        loop {
            let slot = *self.table.get(i)?;
            if slot == 0 {
                return None;
            }
            let id = (slot as u32).wrapping_sub(1);
            if (slot >> 32) as u32 == h && self.entry(id).is_some_and(|e| e.key == key) {
                return Some(id as usize);
            }
            i = (i + 1) & mask;
        }
    }

    fn get(&self, key: &str) -> Option<&Entry> {
        self.find(key, hash(key.as_bytes())).and_then(|id| self.slab.get(id))
    }

    /// Puts slab index `id` (of a key whose hash is `h`) into the table, doubling it first when
    /// it would be more than half full.
    fn index(&mut self, h: u32, id: u32) {
        if 2 * self.slab.len() > self.table.len() {
            let size = (2 * self.table.len()).max(64);
            let old = std::mem::replace(&mut self.table, vec![0; size]);
            for slot in old.into_iter().filter(|&s| s != 0) {
                self.place(slot);
            }
        }
        self.place(u64::from(h) << 32 | u64::from(id + 1));
    }

    fn place(&mut self, slot: u64) {
        let mask = self.table.len().wrapping_sub(1);
        let mut i = (slot >> 32) as usize & mask;
        while let Some(s) = self.table.get_mut(i) {
            if *s == 0 {
                *s = slot;
                return;
            }
            i = (i + 1) & mask;
        }
    }

    /// Sets `key` to `value` at `version`; the bytes of the key and value it replaced, if any.
    fn set(&mut self, key: String, value: Rc<String>, version: u64) -> Option<usize> {
        let h = hash(key.as_bytes());
        if let Some(e) = self.find(&key, h).and_then(|id| self.slab.get_mut(id)) {
            e.version = version;
            return Some(e.key.len() + std::mem::replace(&mut e.value, value).len());
        }
        let id = self.slab.len() as u32;
        self.slab.push(Entry { key, value, version });
        self.index(h, id);
        self.pending.push(id);
        None
    }

    /// Puts the keys waiting in `pending` in order: when they are few next to the ordered keys,
    /// sorted and each inserted; else all keys are sorted afresh into new chunks.
    fn settle(&mut self) {
        let ordered: usize = self.chunks.iter().map(Vec::len).sum();
        let mut pending = std::mem::take(&mut self.pending);
        if pending.len() * 8 < ordered {
            for id in self.sorted(pending) {
                self.insert(id);
            }
            return;
        }
        pending.extend(self.chunks.concat());
        let all = self.sorted(pending);
        self.chunks = all.chunks(CHUNK).map(<[u32]>::to_vec).collect();
        if self.chunks.is_empty() {
            self.chunks.push(Vec::new());
        }
    }

    /// Slab indices in the order of their keys. Sorted eight key bytes at a time: by each key's
    /// first eight bytes as a number, then each run of equal numbers by the next eight, and so
    /// on, so that most comparisons are of numbers side by side, not of keys scattered over the
    /// heap (a million random keys: a fraction of a second instead of seconds).
    fn sorted(&self, ids: Vec<u32>) -> Vec<u32> {
        let mut items: Vec<(u64, u32)> = ids.into_iter().map(|id| (self.word(id, 0), id)).collect();
        self.sort_from(&mut items, 0);
        items.into_iter().map(|(_, id)| id).collect()
    }

    /// Eight bytes of `id`'s key from `at`, big-endian, zero-padded past its end.
    fn word(&self, id: u32, at: usize) -> u64 {
        let mut w = [0u8; 8];
        if let Some(rest) = self.entry(id).and_then(|e| e.key.as_bytes().get(at..)) {
            for (d, b) in w.iter_mut().zip(rest) {
                *d = *b;
            }
        }
        u64::from_be_bytes(w)
    }

    /// Sorts `items`, whose keys agree on their first `at` bytes and carry their eight bytes
    /// from `at` as numbers.
    fn sort_from(&self, items: &mut [(u64, u32)], at: usize) {
        crate::core::small::heap_sort_by(items, &|a, b| a.0.cmp(&b.0));
        let mut start = 0;
        while let Some(&(w, _)) = items.get(start) {
            let end = start + items.get(start..).map_or(0, |rest| rest.iter().take_while(|i| i.0 == w).count());
            if let Some(run) = items.get_mut(start..end).filter(|run| run.len() > 1) {
                let key = |id: u32| self.entry(id).map_or(&[][..], |e| e.key.as_bytes());
                if run.iter().any(|i| key(i.1).len() <= at + 8) {
                    // A key ends within these bytes (padding cannot tell "a" from "a\0"): whole keys.
                    crate::core::small::heap_sort_by(run, &|a, b| order(key(a.1), key(b.1)));
                } else {
                    for i in run.iter_mut() {
                        i.0 = self.word(i.1, at + 8);
                    }
                    self.sort_from(run, at + 8);
                }
            }
            start = end;
        }
    }

    /// Puts slab entry `id` in order.
    fn insert(&mut self, id: u32) -> Option<()> {
        let (c, i) = self.lower_bound(self.entry(id)?.key.as_bytes());
        let chunk = self.chunks.get_mut(c)?;
        chunk.insert(i, id);
        if chunk.len() > 2 * CHUNK {
            let tail = chunk.split_off(CHUNK);
            self.chunks.insert(c + 1, tail);
        }
        Some(())
    }

    /// The entry after `(c, i)` in order.
    fn next(&self, (c, i): (usize, usize)) -> (usize, usize) {
        match self.chunks.get(c) {
            Some(ch) if i + 1 < ch.len() => (c, i + 1),
            _ => (c + 1, 0),
        }
    }

    /// The entry before `(c, i)` in order, if any.
    fn prev(&self, (c, i): (usize, usize)) -> Option<(usize, usize)> {
        if i > 0 {
            return Some((c, i - 1));
        }
        let mut c = c;
        while c > 0 {
            c -= 1;
            let len = self.chunks.get(c).map_or(0, Vec::len);
            if len > 0 {
                return Some((c, len - 1));
            }
        }
        None
    }

    fn read(&self, keys: &[String]) -> Vec<Option<Stored>> {
        // (The operations' reads in `local_run`; the JS side reads through `localRead`.)
        keys.iter()
            .map(|k| self.get(k).map(|e| Stored { value: String::clone(&e.value), version: e.version }))
            .collect()
    }

    fn scan(&mut self, r: &ScanRequest) -> Vec<Row> {
        if !self.pending.is_empty() {
            self.settle();
        }
        let prefix = r.prefix.as_str();
        let after = r.after.as_deref();
        let mut out = Vec::new();
        let row = |e: &Entry| Row { key: e.key.clone(), value: String::clone(&e.value), version: e.version };
        if r.reverse {
            // Start below `after` and below the first key past the prefix's run of keys (the
            // prefix with its last byte raised; keys are UTF-8, so no byte is 0xFF).
            let mut past = prefix.as_bytes().to_vec();
            let end = match past.pop() {
                Some(last) => {
                    past.push(last.saturating_add(1));
                    self.lower_bound(&past)
                }
                None => self.lower_bound(&[0xFF]),
            };
            let end = match after {
                Some(a) => end.min(self.lower_bound(a.as_bytes())),
                None => end,
            };
            let mut at = self.prev(end);
            while let Some(p) = at.filter(|_| out.len() < r.limit as usize) {
                match self.at(p) {
                    Some(e) if e.key.starts_with(prefix) => out.push(row(e)),
                    _ => break,
                }
                at = self.prev(p);
            }
        } else {
            // The first key past `after` is the first at or after `after` followed by a zero byte.
            let mut at = match after {
                Some(a) if a >= prefix => self.lower_bound(&[a.as_bytes(), &[0]].concat()),
                _ => self.lower_bound(prefix.as_bytes()),
            };
            while out.len() < r.limit as usize {
                match self.at(at) {
                    Some(e) if e.key.starts_with(prefix) => out.push(row(e)),
                    _ => break,
                }
                at = self.next(at);
            }
        }
        out
    }
}

#[derive(Default)]
struct Local {
    mem: Entries,
    /// Writes applied since the JS side last took them.
    journal: Vec<u8>,
    /// The journal was handed to the JS side: the next write starts it afresh.
    handed: bool,
    /// The value the journal wrote last, as stored.
    last: Option<Rc<String>>,
    /// Bytes of the keys and values held (the JS side compacts its journal against it).
    live: usize,
}

impl Local {
    fn commit(&mut self, writes: Vec<Write>) -> Option<String> {
        for w in &writes {
            let current = self.mem.get(&w.key).map_or(0, |e| e.version);
            if current != w.version {
                return Some(w.key.clone());
            }
        }
        for w in writes {
            if let Some(value) = w.value {
                self.put(w.key, value, w.version + 1);
            }
        }
        None
    }

    fn put(&mut self, key: String, value: String, version: u64) {
        if self.handed {
            self.journal.clear();
            self.handed = false;
            self.last = None;
        }
        // A value equal to the one before (a transaction's three copies) is journaled once and
        // stored once.
        let j = &mut self.journal;
        j.extend_from_slice(&(key.len() as u32).to_le_bytes());
        j.extend_from_slice(key.as_bytes());
        self.live += key.len() + value.len();
        let value = match self.last.as_ref().filter(|last| !value.is_empty() && same(last, &value)) {
            Some(last) => {
                j.extend_from_slice(&SAME_VALUE.to_le_bytes());
                Rc::clone(last)
            }
            None => {
                j.extend_from_slice(&(value.len() as u32).to_le_bytes());
                j.extend_from_slice(value.as_bytes());
                let value = Rc::new(value);
                self.last = Some(Rc::clone(&value));
                value
            }
        };
        j.extend_from_slice(&version.to_le_bytes());
        if let Some(old) = self.mem.set(key, value, version) {
            self.live -= old;
        }
    }
}

fn append(out: &mut Vec<u8>, key: &str, value: &str, version: u64) {
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(&version.to_le_bytes());
}

/// Reads journal bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let part = self
            .bytes
            .get(self.at..self.at + n)
            .ok_or_else(|| LoyaltyError::internal("JOURNAL_CORRUPT", "a memoryStorage journal ends early"))?;
        self.at += n;
        Ok(part)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn text(&mut self) -> Result<String> {
        let len = u32::from_le_bytes(self.array()?) as usize;
        self.string(len)
    }

    fn string(&mut self, len: usize) -> Result<String> {
        String::from_utf8(self.take(len)?.to_vec())
            .map_err(|_| LoyaltyError::internal("JOURNAL_CORRUPT", "a memoryStorage journal holds invalid UTF-8"))
    }
}

thread_local! {
    static STORES: RefCell<Vec<Option<Local>>> = const { RefCell::new(Vec::new()) };
}

fn with<T>(id: u32, f: impl FnOnce(&mut Local) -> Result<T>) -> Result<T> {
    STORES.with(|stores| match stores.borrow_mut().get_mut(id as usize) {
        Some(Some(local)) => f(local),
        _ => Err(LoyaltyError::internal("NO_SUCH_STORE", "this memoryStorage's wasm store is gone")),
    })
}

/// Creates an empty store; its id.
#[wasm_bindgen(js_name = localCreate)]
pub fn local_create() -> u32 {
    STORES.with(|stores| {
        let mut stores = stores.borrow_mut();
        match stores.iter_mut().enumerate().find(|(_, s)| s.is_none()) {
            Some((i, slot)) => {
                *slot = Some(Local::default());
                i as u32
            }
            None => {
                stores.push(Some(Local::default()));
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
    with(id, |l| Ok(l.live as f64)).unwrap_or(0.0)
}

/// Hands the journal written since the last call to the JS side: its length (0: nothing was
/// committed); its bytes lie in the module's memory at [`local_journal_at`] until the next call
/// that writes. The JS side copies them from there (no intermediate buffer), and the journal's
/// own buffer is reused.
#[wasm_bindgen(js_name = localJournal)]
pub fn local_journal(id: u32) -> u32 {
    with(id, |l| {
        let len = if l.handed { 0 } else { l.journal.len() as u32 };
        l.handed = true;
        Ok(len)
    })
    .unwrap_or(0)
}

/// Where the journal handed by [`local_journal`] lies in the module's memory.
#[wasm_bindgen(js_name = localJournalAt)]
pub fn local_journal_at(id: u32) -> u32 {
    with(id, |l| Ok(l.journal.as_ptr() as u32)).unwrap_or(0)
}

/// The module's memory (for reading a journal in place).
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// Applies journal bytes (a take or a dump) to a store, in order.
#[wasm_bindgen(js_name = localReplay)]
pub fn local_replay(id: u32, bytes: &[u8]) -> Result<(), JsValue> {
    with(id, |l| {
        let mut r = Reader { bytes, at: 0 };
        let mut last = String::new();
        while r.at < bytes.len() {
            let key = r.text()?;
            let value = match u32::from_le_bytes(r.array()?) {
                SAME_VALUE => last.clone(),
                len => r.string(len as usize)?,
            };
            let version = u64::from_le_bytes(r.array()?);
            last.clone_from(&value);
            l.put(key, value, version);
        }
        // Replayed writes are already kept on the JS side.
        l.handed = true;
        Ok(())
    })
    .map_err(fail)
}

/// A dump of the whole store, in journal format.
#[wasm_bindgen(js_name = localDump)]
pub fn local_dump(id: u32) -> Vec<u8> {
    with(id, |l| {
        // In the order written (replaying sets each key, so order does not matter).
        let mut out = Vec::new();
        for e in &l.mem.slab {
            append(&mut out, &e.key, &e.value, e.version);
        }
        Ok(out)
    })
    .unwrap_or_default()
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
    let rows = with(id, |l| Ok(l.mem.scan(&ScanRequest { prefix, after, limit, reverse }))).map_err(fail)?;
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
        if let Some(e) = l.mem.get(key) {
            p.int(e.version as i64);
            p.text(&e.value);
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
            Request::Read(keys) => Io::Read(with(id, |l| Ok(l.mem.read(&keys))).map_err(fail)?),
            Request::Scan(scan) => Io::Scan(with(id, |l| Ok(l.mem.scan(&scan))).map_err(fail)?),
            Request::Done(outcome) => return finished(outcome, '='),
            Request::Commit(writes, outcome) => match with(id, |l| Ok(l.commit(writes))).map_err(fail)? {
                None => return finished(outcome, '+'),
                // A key the operation did not read (a contact's index, a fresh id) is taken:
                // the machine reads it and decides. Nothing else runs meanwhile, so one answer
                // settles it; the bound only guards against a machine that never settles.
                Some(key) => {
                    attempts += 1;
                    if attempts > MAX_ATTEMPTS {
                        return Err(fail(LoyaltyError::internal(
                            "TOO_MANY_CONFLICTS",
                            format!("gave up after {MAX_ATTEMPTS} conflicting attempts"),
                        )));
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
