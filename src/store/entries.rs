//! The entries of a store: a map from key to value and version, read by key and scanned in
//! key order (see [`Entries`]).

use std::rc::Rc;

use crate::core::protocol::{Row, ScanRequest, Stored};
use crate::core::small::{byte_order as order, hash};

/// Entries per chunk of the ordered store (a chunk splits at twice this).
const CHUNK: usize = 128;

pub struct Entry {
    pub key: String,
    /// Shared by the entries a commit gave the same value (a transaction's three copies).
    pub value: Rc<String>,
    pub version: u64,
}

/// The entries, held three ways: in `slab`, where an entry's place never changes (the storage
/// contract has no deletes); by key in `table`, for the point reads and version checks that are
/// all an operation's lookups outside scans (open addressing with linear probing, at most half
/// full; per slot the key's hash in the high half and the slab index + 1 in the low half, 0 when
/// empty); and in key order in `chunks`, sorted runs of slab indices, for scans (a lookup is two
/// binary searches, an insert moves at most one chunk's tail). A new key is put in order only
/// when a scan needs the order: until then it waits in `pending`, so a run of writes with no
/// scan (most of a load: ids and idempotency keys are random, so placing each would touch a
/// random chunk) never pays for it, and a scan places the waiting keys sorted, next to one
/// another.
pub struct Entries {
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

    pub fn get(&self, key: &str) -> Option<&Entry> {
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
    pub fn set(&mut self, key: String, value: Rc<String>, version: u64) -> Option<usize> {
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
    /// heap.
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
        items.sort_unstable_by_key(|i| i.0);
        let mut start = 0;
        while let Some(&(w, _)) = items.get(start) {
            let end = start + items.get(start..).map_or(0, |rest| rest.iter().take_while(|i| i.0 == w).count());
            if let Some(run) = items.get_mut(start..end).filter(|run| run.len() > 1) {
                let key = |id: u32| self.entry(id).map_or(&[][..], |e| e.key.as_bytes());
                if run.iter().any(|i| key(i.1).len() <= at + 8) {
                    // A key ends within these bytes (padding cannot tell "a" from "a\0"): whole keys.
                    run.sort_unstable_by(|a, b| order(key(a.1), key(b.1)));
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

    pub fn read(&self, keys: &[String]) -> Vec<Option<Stored>> {
        // (The operations' reads in `local_run`; the JS side reads through `localRead`.)
        keys.iter()
            .map(|k| self.get(k).map(|e| Stored { value: String::clone(&e.value), version: e.version }))
            .collect()
    }

    /// Every entry, in the order first written.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.slab.iter()
    }

    /// The rows `r` asks for: keys with its prefix, after its `after` key in its direction.
    pub fn scan(&mut self, r: &ScanRequest) -> Vec<Row> {
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
