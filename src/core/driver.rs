//! A native driver for the step machine over a synchronous [`Store`]: what the JS facade does
//! with the host's async storage, in Rust, for native tests and simulations. One
//! [`Operation::advance`] performs exactly one I/O, so tests can interleave operations at will.

use std::collections::BTreeMap;

use super::error::{Code, LoyaltyError, Result};
use super::input::Input;
use super::machine::{self, Context, Io, Outcome, Request, Row, ScanRequest, Step, Stored, Write};

/// Attempts a mutation gets when its commits keep conflicting; then `ABORTED`.
pub const MAX_ATTEMPTS: u32 = 64;

/// The storage contract, synchronously.
pub trait Store {
    fn read(&mut self, keys: &[String]) -> Result<Vec<Option<Stored>>>;
    /// `Ok(None)`: applied. `Ok(Some(key))`: nothing applied, `key` did not match.
    fn commit(&mut self, writes: &[Write]) -> Result<Option<String>>;
    fn scan(&mut self, request: &ScanRequest) -> Result<Vec<Row>>;
}

/// An ordered in-memory store, counting its calls.
#[derive(Default, Debug, Clone)]
pub struct MemoryStore {
    pub entries: BTreeMap<String, (String, u64)>,
    pub reads: usize,
    pub commits: usize,
    pub scans: usize,
}

impl Store for MemoryStore {
    fn read(&mut self, keys: &[String]) -> Result<Vec<Option<Stored>>> {
        self.reads += 1;
        Ok(keys
            .iter()
            .map(|k| self.entries.get(k).map(|(value, version)| Stored { value: value.clone(), version: *version }))
            .collect())
    }

    fn commit(&mut self, writes: &[Write]) -> Result<Option<String>> {
        self.commits += 1;
        for w in writes {
            let current = self.entries.get(&w.key).map_or(0, |(_, v)| *v);
            if current != w.version {
                return Ok(Some(w.key.clone()));
            }
        }
        for w in writes {
            if let Some(value) = &w.value {
                self.entries.insert(w.key.clone(), (value.clone(), w.version + 1));
            }
        }
        Ok(None)
    }

    fn scan(&mut self, r: &ScanRequest) -> Result<Vec<Row>> {
        self.scans += 1;
        let in_prefix = |k: &&String| k.starts_with(&r.prefix);
        let row = |(k, (value, version)): (&String, &(String, u64))| Row {
            key: k.clone(),
            value: value.clone(),
            version: *version,
        };
        let limit = r.limit as usize;
        Ok(if r.reverse {
            self.entries
                .iter()
                .rev()
                .filter(|(k, _)| in_prefix(k) && r.after.as_ref().is_none_or(|a| *k < a))
                .take(limit)
                .map(row)
                .collect()
        } else {
            self.entries
                .range(r.after.clone().unwrap_or_else(|| r.prefix.clone())..)
                .filter(|(k, _)| r.after.as_ref() != Some(*k))
                .take_while(|(k, _)| in_prefix(k))
                .take(limit)
                .map(row)
                .collect()
        })
    }
}

/// One operation in flight.
pub struct Operation {
    step: Option<Step>,
    pub attempts: u32,
    pub conflicts: u32,
    pub lock: Option<String>,
}

pub enum Progress {
    Pending,
    Finished(Result<Outcome>),
}

impl Operation {
    pub fn start(op: &str, args: &[Input], ctx: &Context) -> Result<Operation> {
        let step = machine::start(op, args, ctx)?;
        Ok(Operation { lock: step.lock.clone(), step: Some(step), attempts: 1, conflicts: 0 })
    }

    /// Performs the next I/O. `contacts` answers contact lookups.
    pub fn advance(&mut self, store: &mut dyn Store, contacts: &dyn Fn(&str) -> Input) -> Progress {
        let Some(step) = self.step.take() else {
            return Progress::Finished(Err(LoyaltyError::internal("FINISHED", "operation already finished")));
        };
        let next = match step.request {
            Request::Read(keys) => store.read(&keys).and_then(|values| machine::resume(step.state, Io::Read(values))),
            Request::Scan(scan) => store.scan(&scan).and_then(|rows| machine::resume(step.state, Io::Scan(rows))),
            Request::Contact(id) => machine::resume(step.state, Io::Contact(contacts(&id))),
            Request::Done(outcome) => return Progress::Finished(Ok(outcome)),
            Request::Commit(writes, outcome) => match store.commit(&writes) {
                Ok(None) => return Progress::Finished(Ok(outcome)),
                Err(e) => return Progress::Finished(Err(e)),
                Ok(Some(conflict)) => {
                    self.conflicts += 1;
                    self.attempts += 1;
                    if self.attempts <= MAX_ATTEMPTS {
                        // The machine decides how to go on (it reads again).
                        machine::resume(step.state, Io::Conflict(conflict))
                    } else {
                        Err(LoyaltyError::new(
                            Code::Aborted,
                            "TOO_MANY_CONFLICTS",
                            format!("gave up after {MAX_ATTEMPTS} conflicting attempts"),
                        ))
                    }
                }
            },
        };
        match next {
            Ok(step) => {
                self.step = Some(step);
                Progress::Pending
            }
            Err(e) => Progress::Finished(Err(e)),
        }
    }

    /// Runs to completion with no interleaving.
    pub fn run(mut self, store: &mut dyn Store, contacts: &dyn Fn(&str) -> Input) -> Result<Outcome> {
        loop {
            if let Progress::Finished(r) = self.advance(store, contacts) {
                return r;
            }
        }
    }
}

/// A backend for native tests: a store, a clock that ticks 1 ms per call, sequential GUIDs,
/// and every delivered event.
pub struct Backend {
    pub store: MemoryStore,
    pub now_ms: i64,
    pub next_id: u64,
    pub events: Vec<serde_json::Value>,
    pub contacts: Option<ContactsResolver>,
}

/// Answers `contactId → contact` (an object, or `Input::Null` for no such contact).
pub type ContactsResolver = Box<dyn Fn(&str) -> Input>;

impl Default for Backend {
    fn default() -> Self {
        Backend { store: MemoryStore::default(), now_ms: 1_700_000_000_000, next_id: 1, events: vec![], contacts: None }
    }
}

impl Backend {
    pub fn context(&mut self) -> Context {
        self.now_ms += 1;
        self.next_id += 1;
        Context {
            now_ms: self.now_ms,
            new_id: Some(guid(self.next_id)),
            has_contacts: self.contacts.is_some(),
            want_events: true,
            program: None,
        }
    }

    pub fn start(&mut self, op: &str, args: &[Input]) -> Result<Operation> {
        let ctx = self.context();
        Operation::start(op, args, &ctx)
    }

    /// Runs `op` to completion and returns its result as JSON.
    pub fn call(&mut self, op: &str, args: &[Input]) -> Result<serde_json::Value> {
        let operation = self.start(op, args)?;
        let contacts = self.contacts.take();
        let none = |_: &str| Input::Object(vec![]);
        let outcome = operation.run(&mut self.store, contacts.as_deref().unwrap_or(&none));
        self.contacts = contacts;
        self.finish(outcome)
    }

    /// Records the events of a finished operation and parses its result.
    pub fn finish(&mut self, outcome: Result<Outcome>) -> Result<serde_json::Value> {
        let outcome = outcome?;
        let parse = |s: &str| {
            serde_json::from_str::<serde_json::Value>(s).map_err(|e| LoyaltyError::internal("BAD_JSON", e.to_string()))
        };
        if let serde_json::Value::Array(events) = parse(&outcome.events)? {
            self.events.extend(events);
        }
        parse(&outcome.result)
    }
}

/// Audits a whole memory store (what `verify()` does over any storage).
pub fn verify(store: &MemoryStore) -> super::verify::Report {
    let mut v = super::verify::Verifier::default();
    for prefix in super::verify::PREFIXES {
        for (key, (value, version)) in
            store.entries.range(prefix.to_string()..).take_while(|(k, _)| k.starts_with(prefix))
        {
            v.feed(&Row { key: key.clone(), value: value.clone(), version: *version });
        }
    }
    v.finish()
}

/// A deterministic GUID for test ids.
pub fn guid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}
