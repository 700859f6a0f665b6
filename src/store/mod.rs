//! The default store: the entries of a `memoryStorage()`, kept inside the wasm module so that an
//! operation on it runs to its end in one synchronous call (`src/wasm/local.rs` exports it to JS).
//! Pure Rust, tested natively (`tests/store.rs`: against a `BTreeMap` model under random
//! operations, and its journal replayed).
//!
//! A trap discards the instance and every store in it, so a store also keeps a **journal**: the
//! bytes of every write it applied ([`journal`] describes the format), which the JS side takes
//! after each call that committed ([`Store::take_journal`]) and keeps. After a trap the JS side
//! creates the store afresh and replays what it kept ([`Store::replay`]); a commit is
//! acknowledged to a caller only after its journal was taken, so no acknowledged write is ever
//! lost. When what the kept journal holds beyond the live data (overwritten values) outgrows the
//! live data ([`Store::live`]), the JS side replaces it with a dump ([`Store::dump`]), in the same
//! format: the journal stays within about twice the live data, at amortized constant cost, and a
//! store that only grows (ledgers) is never dumped.
//!
//! The store answers the storage contract ([`Store::read`], [`Store::scan`], [`Store::commit`]):
//! a conditional commit is applied whole or not at all.

pub mod entries;
pub mod journal;

use std::rc::Rc;

use crate::core::error::Result;
use crate::core::protocol::{Row, ScanRequest, Stored, Write};
use crate::core::small::same;
use entries::Entries;

#[derive(Default)]
pub struct Store {
    entries: Entries,
    /// Writes applied since the JS side last took them.
    journal: Vec<u8>,
    /// The journal was handed to the JS side: the next write starts it afresh.
    handed: bool,
    /// The value the journal wrote last, as stored.
    last: Option<Rc<String>>,
    /// Bytes of the keys and values held.
    live: usize,
}

impl Store {
    /// Applies `writes` if every key is still at its write's version (0: absent), else nothing:
    /// `None` once applied, or the first key that did not match.
    pub fn commit(&mut self, writes: Vec<Write>) -> Option<String> {
        for w in &writes {
            let current = self.entries.get(&w.key).map_or(0, |e| e.version);
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

    /// The values of `keys`, in their order.
    pub fn read(&self, keys: &[String]) -> Vec<Option<Stored>> {
        self.entries.read(keys)
    }

    /// The value and version of `key`.
    pub fn get(&self, key: &str) -> Option<(&str, u64)> {
        self.entries.get(key).map(|e| (e.value.as_str(), e.version))
    }

    /// The rows `request` asks for, in its order.
    pub fn scan(&mut self, request: &ScanRequest) -> Vec<Row> {
        self.entries.scan(request)
    }

    /// Bytes of the keys and values held.
    pub fn live(&self) -> usize {
        self.live
    }

    /// The journal of the writes since the last take (empty when there were none). Its bytes
    /// stay where they are, as [`Store::journal`], until the next write, so the JS side can copy
    /// them in place.
    pub fn take_journal(&mut self) -> &[u8] {
        let taken = if self.handed { &[][..] } else { &self.journal[..] };
        self.handed = true;
        taken
    }

    /// The journal buffer: after a take, what it took.
    pub fn journal(&self) -> &[u8] {
        &self.journal
    }

    /// Applies a journal (a take or a dump), in order. The writes it replays count as taken.
    pub fn replay(&mut self, bytes: &[u8]) -> Result<()> {
        let result = journal::replay(bytes, |key, value, version| self.put(key, value, version));
        // Replayed writes are already kept on the JS side.
        self.handed = true;
        result
    }

    /// Every entry, as a journal.
    pub fn dump(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // In the order written (replaying sets each key, so order does not matter).
        for e in self.entries.iter() {
            journal::key(&mut out, &e.key);
            journal::value(&mut out, &e.value, e.version);
        }
        out
    }

    fn put(&mut self, key: String, value: String, version: u64) {
        if self.handed {
            self.journal.clear();
            self.handed = false;
            self.last = None;
        }
        journal::key(&mut self.journal, &key);
        self.live += key.len() + value.len();
        // A value equal to the one before (a transaction's three copies) is journaled once and
        // stored once.
        let value = match self.last.as_ref().filter(|last| !value.is_empty() && same(last, &value)) {
            Some(last) => {
                journal::same_value(&mut self.journal, version);
                Rc::clone(last)
            }
            None => {
                journal::value(&mut self.journal, &value, version);
                let value = Rc::new(value);
                self.last = Some(Rc::clone(&value));
                value
            }
        };
        if let Some(old) = self.entries.set(key, value, version) {
            self.live -= old;
        }
    }
}

/// The store under the native driver (`crate::core::driver`), for tests and simulations.
#[cfg(not(target_arch = "wasm32"))]
impl crate::core::driver::Store for Store {
    fn read(&mut self, keys: &[String]) -> Result<Vec<Option<Stored>>> {
        Ok(Store::read(self, keys))
    }

    fn commit(&mut self, writes: &[Write]) -> Result<Option<String>> {
        Ok(Store::commit(self, writes.to_vec()))
    }

    fn scan(&mut self, request: &ScanRequest) -> Result<Vec<Row>> {
        Ok(Store::scan(self, request))
    }
}
