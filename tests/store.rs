//! The default store (`wix_loyalty_wasm::store`) against a model: the native driver's
//! `MemoryStore`, a `BTreeMap`, under random sequences of commits (conditional, some stale),
//! reads and scans (prefixes, exclusive `after`, limits, both directions). Keys come from a few
//! prefixes that share long runs of bytes, with a NUL among the characters, so the store's
//! word-at-a-time sort meets keys that agree on eight bytes and keys that end inside a word;
//! bulk writes push runs of keys past a chunk's size, so chunks split and waiting keys are
//! placed both ways (inserted one by one, and sorted afresh).
//!
//! The journal is checked too: what the JS side would keep (every take, concatenated, or a dump
//! once it compacts, then the takes after it) and a dump, each replayed into a fresh store, must
//! give the model's entries back, versions and live bytes included.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use wix_loyalty_wasm::core::driver::{MemoryStore, Store as _};
use wix_loyalty_wasm::core::protocol::{Row, ScanRequest, Write};
use wix_loyalty_wasm::core::reason::Reason;
use wix_loyalty_wasm::store::{journal, Store};

/// Prefixes that share bytes: two agree on their first eight, one is shorter than a word.
const PREFIXES: [&str; 5] = ["", "a", "ledger-time/acc1/", "ledger-time/acc2/", "ledger/"];
const CHARS: [char; 5] = ['a', 'b', '/', '\0', 'é'];

fn key() -> impl Strategy<Value = String> {
    (0..PREFIXES.len(), prop::collection::vec(0..CHARS.len(), 0..12))
        .prop_map(|(p, cs)| PREFIXES[p].to_string() + &cs.into_iter().map(|c| CHARS[c]).collect::<String>())
}

#[derive(Debug, Clone)]
enum Version {
    /// The key's version now (the commit applies unless another write in it conflicts).
    Current,
    /// The version now, off by this much (a stale or future version: the commit conflicts).
    Off(u64),
}

#[derive(Debug, Clone)]
enum Op {
    /// One conditional commit: per write a key, a value (`None`: a check only) and a version.
    Commit(Vec<(String, Option<String>, Version)>),
    /// `n` fresh keys under one prefix, one commit each, as a load of new ledger rows does.
    Bulk(usize, String),
    /// `n` fresh keys in one narrow range, with a scan after every few: each is put in order on
    /// its own (few waiting next to many placed), in one chunk, until that chunk splits.
    Grow(usize, String),
    Read(Vec<String>),
    Scan {
        prefix: usize,
        after: Option<String>,
        limit: u32,
        reverse: bool,
    },
    /// A take with nothing committed since the last: it must be empty.
    Take,
    /// A trap: the store is rebuilt from what the JS side kept.
    Trap,
    /// The JS side compacts: a dump of the store replaces what it kept (later takes follow it).
    Compact,
}

fn op() -> impl Strategy<Value = Op> {
    let value = prop_oneof![
        3 => prop::option::of("[a-z]{0,6}"),
        // Repeats of one value in a commit: the journal writes it once.
        1 => Just(Some("same".to_string())),
    ];
    let version = prop_oneof![6 => Just(Version::Current), 1 => (1u64..3).prop_map(Version::Off)];
    prop_oneof![
        6 => prop::collection::vec((key(), value, version), 1..4).prop_map(Op::Commit),
        1 => (100usize..400, 2..PREFIXES.len()).prop_map(|(n, p)| Op::Bulk(n, PREFIXES[p].to_string())),
        1 => (150usize..300, 2..PREFIXES.len()).prop_map(|(n, p)| Op::Grow(n, PREFIXES[p].to_string())),
        2 => prop::collection::vec(key(), 1..4).prop_map(Op::Read),
        4 => (0..PREFIXES.len(), prop::option::of(key()), 0u32..300, any::<bool>())
            .prop_map(|(prefix, after, limit, reverse)| Op::Scan { prefix, after, limit, reverse }),
        2 => Just(Op::Take),
        1 => Just(Op::Trap),
        1 => Just(Op::Compact),
    ]
}

/// The store and the model, and the journal the JS side keeps.
#[derive(Default)]
struct Pair {
    store: Store,
    model: MemoryStore,
    kept: Vec<u8>,
    /// Bulk keys drawn so far (each bulk key is new).
    bulk: usize,
}

impl Pair {
    fn apply(&mut self, op: Op) -> Result<(), TestCaseError> {
        match op {
            Op::Commit(writes) => {
                let writes: Vec<Write> = writes
                    .into_iter()
                    .map(|(key, value, version)| {
                        let now = self.model.entries.get(&key).map_or(0, |(_, v)| *v);
                        let version = match version {
                            Version::Current => now,
                            Version::Off(d) => now.checked_sub(d).unwrap_or(now + d),
                        };
                        Write { key, value, version }
                    })
                    .collect();
                self.commit(writes)?;
            }
            Op::Bulk(n, prefix) => {
                for _ in 0..n {
                    self.bulk += 1;
                    // Spread over the prefix's range, not in order: `bulk` scrambled.
                    let key = format!("{prefix}{:08x}", (self.bulk as u32).wrapping_mul(0x9E37_79B9));
                    self.commit(vec![Write { key, value: Some("row".into()), version: 0 }])?;
                }
            }
            Op::Grow(n, prefix) => {
                self.bulk += 1;
                let range = format!("{prefix}g{:04}/", self.bulk);
                for i in 0..n {
                    let key = format!("{range}{:08x}", (i as u32).wrapping_mul(0x9E37_79B9));
                    self.commit(vec![Write { key, value: Some("row".into()), version: 0 }])?;
                    if i % 4 == 3 {
                        let r = ScanRequest { prefix: range.clone(), after: None, limit: 1000, reverse: i % 8 == 7 };
                        prop_assert_eq!(self.store.scan(&r), self.model.scan(&r).unwrap(), "scan {:?}", r);
                    }
                }
            }
            Op::Read(keys) => {
                prop_assert_eq!(self.store.read(&keys), self.model.read(&keys).unwrap(), "read {:?}", keys);
            }
            Op::Scan { prefix, after, limit, reverse } => {
                let prefix = PREFIXES[prefix].to_string();
                // The engine's `after` is a key of the scanned range (a page's last row).
                let after = after.map(|a| if a.starts_with(&prefix) { a } else { prefix.clone() + &a });
                let r = ScanRequest { prefix, after, limit, reverse };
                prop_assert_eq!(self.store.scan(&r), self.model.scan(&r).unwrap(), "scan {:?}", r);
            }
            Op::Take => prop_assert!(self.store.take_journal().is_empty(), "a second take is not empty"),
            Op::Compact => self.kept = self.store.dump(),
            Op::Trap => {
                let mut again = Store::default();
                again.replay(&self.kept).map_err(|e| TestCaseError::fail(e.to_string()))?;
                self.store = again;
                self.check_whole(&self.store, "after a trap")?;
            }
        }
        Ok(())
    }

    /// A commit on both; the store must agree with the model on whether and where it conflicts.
    /// Then the JS side takes the journal, as it does before acknowledging a commit: it must
    /// hold exactly the writes just applied.
    fn commit(&mut self, writes: Vec<Write>) -> Result<(), TestCaseError> {
        let expected = self.model.commit(&writes).unwrap();
        prop_assert_eq!(self.store.commit(writes.clone()), expected.clone(), "commit {:?}", writes);
        let applied: Vec<(String, String, u64)> = match expected {
            Some(_) => Vec::new(),
            None => writes.into_iter().filter_map(|w| Some((w.key, w.value?, w.version + 1))).collect(),
        };
        let mut taken = Vec::new();
        let journal = self.store.take_journal().to_vec();
        journal::replay(&journal, |k, v, version| taken.push((k, v, version))).unwrap();
        prop_assert_eq!(taken, applied, "the journal of a commit");
        self.kept.extend_from_slice(&journal);
        Ok(())
    }

    /// `store`, and a store replayed from its dump, hold exactly the model's entries (values,
    /// versions, in key order) and its live bytes.
    fn check_whole(&self, store: &Store, when: &str) -> Result<(), TestCaseError> {
        let mut dumped = Store::default();
        dumped.replay(&store.dump()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let expected: Vec<Row> = self
            .model
            .entries
            .iter()
            .map(|(key, (value, version))| Row { key: key.clone(), value: value.clone(), version: *version })
            .collect();
        let live: usize = self.model.entries.iter().map(|(k, (v, _))| k.len() + v.len()).sum();
        for (which, s) in [("the store", store), ("its dump replayed", &dumped)] {
            for row in &expected {
                prop_assert_eq!(
                    s.get(&row.key),
                    Some((row.value.as_str(), row.version)),
                    "{} ({}): {:?}",
                    when,
                    which,
                    row.key
                );
            }
            prop_assert_eq!(s.live(), live, "{} ({}): live bytes", when, which);
        }
        let all = ScanRequest { prefix: String::new(), after: None, limit: u32::MAX, reverse: false };
        prop_assert_eq!(dumped.scan(&all), expected, "{}: the dump replayed, scanned whole", when);
        Ok(())
    }
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut pair = Pair::default();
    for op in ops {
        pair.apply(op)?;
    }
    // What the JS side kept, replayed, is the store again; so is a dump of it.
    let mut replayed = Store::default();
    replayed.replay(&pair.kept).map_err(|e| TestCaseError::fail(e.to_string()))?;
    pair.check_whole(&replayed, "replayed journal")?;
    pair.check_whole(&pair.store, "at the end")?;
    Ok(())
}

#[test]
fn the_store_answers_as_the_model_does() {
    let cases = std::env::var("STORE_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(96);
    let mut runner = TestRunner::new(Config { cases, max_shrink_iters: 2048, ..Config::default() });
    runner.run(&prop::collection::vec(op(), 1..120), run).unwrap();
}

#[test]
fn a_journal_cut_short_or_not_utf8_is_refused() {
    let mut store = Store::default();
    store.commit(vec![Write { key: "k".into(), value: Some("value".into()), version: 0 }]);
    let journal = store.take_journal().to_vec();
    for cut in 1..journal.len() {
        let error = Store::default().replay(&journal[..cut]).unwrap_err();
        assert_eq!(error.reason, Reason::JournalCorrupt, "cut at {cut}");
    }
    let mut bad = journal.clone();
    bad[4] = 0xFF; // the key's one byte
    assert_eq!(Store::default().replay(&bad).unwrap_err().reason, Reason::JournalCorrupt);
    let mut again = Store::default();
    again.replay(&journal).unwrap();
    assert_eq!(again.get("k"), Some(("value", 1)));
    // Replayed writes count as taken: the next take is empty.
    assert!(again.take_journal().is_empty());
}
