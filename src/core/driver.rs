//! A native driver for the step machine over a synchronous [`Store`]: what the JS facade does
//! with the host's async storage, in Rust, for native tests and simulations. One
//! [`Operation::advance`] performs exactly one I/O, so tests can interleave operations at will.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::attempts;
use super::error::{LoyaltyError, Result};
use super::input::Input;
use super::operations;
use super::protocol::{Caller, Context, Io, Outcome, Request, Row, ScanRequest, Step, Stored, Write};
use super::reason::Reason;

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

/// A counter shared by a backend and its operations: the next test id.
pub type Ids = Rc<Cell<u64>>;

/// One operation in flight.
pub struct Operation {
    step: Option<Step>,
    /// Attempts of the current commit (a job's batches count separately).
    pub attempts: u32,
    pub conflicts: u32,
    pub lock: Vec<String>,
    /// Events of the batches a job committed so far (JSON arrays).
    pub batch_events: Vec<String>,
    /// Progress reports of those batches.
    pub progress: Vec<String>,
    ids: Ids,
    /// The host's coupon hooks (`referenceCoupons`), if any.
    pub hooks: Option<Hooks>,
}

/// The host's coupon hooks, as a test plays them: `(name, payload) → { ok } | { error }`.
pub type Hooks = Rc<dyn Fn(&str, &Input) -> Input>;

pub enum Progress {
    Pending,
    Finished(Result<Outcome>),
}

impl Operation {
    pub fn start(op: &str, args: &[Input], ctx: &Context) -> Result<Operation> {
        Self::start_with_ids(op, args, ctx, Rc::new(Cell::new(1 << 40)))
    }

    pub fn start_with_ids(op: &str, args: &[Input], ctx: &Context, ids: Ids) -> Result<Operation> {
        let step = operations::start(op, args, ctx)?;
        Ok(Operation {
            lock: step.lock.clone(),
            step: Some(step),
            attempts: 1,
            conflicts: 0,
            batch_events: Vec::new(),
            progress: Vec::new(),
            ids,
            hooks: None,
        })
    }

    /// The request the operation waits on, if any.
    pub fn request(&self) -> Option<&Request> {
        self.step.as_ref().map(|s| &s.request)
    }

    /// Performs the next I/O. `contacts` answers contact lookups.
    pub fn advance(&mut self, store: &mut dyn Store, contacts: &dyn Fn(&str) -> Input) -> Progress {
        let Some(step) = self.step.take() else {
            return Progress::Finished(Err(LoyaltyError::internal(Reason::InvalidState, "operation already finished")));
        };
        let state = step.state;
        let next = match step.request {
            Request::Read(keys) => store.read(&keys).and_then(|values| operations::resume(state, Io::Read(values))),
            Request::Scan(scan) => store.scan(&scan).and_then(|rows| operations::resume(state, Io::Scan(rows))),
            Request::Contact(id) => operations::resume(state, Io::Contact(contacts(&id))),
            Request::Ids(n) => {
                let ids = (0..n).map(|_| next_guid(&self.ids)).collect();
                operations::resume(state, Io::Ids(ids))
            }
            Request::Hook(name, payload) => {
                let payload: Input = serde_json::from_str(&payload).unwrap_or(Input::Null);
                let answer = match &self.hooks {
                    Some(hooks) => hooks(name, &payload),
                    None => Input::Object(vec![("error".into(), Input::String("no hooks".into()))]),
                };
                operations::resume(state, Io::Hook(answer))
            }
            Request::Done(outcome) => return Progress::Finished(Ok(outcome)),
            Request::Commit(writes, outcome) => match store.commit(&writes) {
                Ok(None) => return Progress::Finished(Ok(outcome)),
                Err(e) => return Progress::Finished(Err(e)),
                Ok(Some(conflict)) => self.conflicted(state, conflict),
            },
            Request::Batch(writes, batch) => match store.commit(&writes) {
                Ok(None) => {
                    self.attempts = 1;
                    self.batch_events.push(batch.events);
                    self.progress.push(batch.progress);
                    operations::resume(state, Io::Committed)
                }
                Err(e) => return Progress::Finished(Err(e)),
                Ok(Some(conflict)) => self.conflicted(state, conflict),
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

    fn conflicted(&mut self, state: Box<dyn super::protocol::Machine>, key: String) -> Result<Step> {
        self.conflicts += 1;
        self.attempts += 1;
        if self.attempts <= attempts::MAX {
            // The machine decides how to go on (it reads again).
            operations::resume(state, Io::Conflict(key))
        } else {
            Err(attempts::too_many_conflicts(&key))
        }
    }

    /// Runs to completion with no interleaving.
    pub fn run(&mut self, store: &mut dyn Store, contacts: &dyn Fn(&str) -> Input) -> Result<Outcome> {
        loop {
            if let Progress::Finished(r) = self.advance(store, contacts) {
                return r;
            }
        }
    }
}

fn next_guid(ids: &Ids) -> String {
    let n = ids.get() + 1;
    ids.set(n);
    guid(n)
}

/// A backend for native tests: a store, a clock that ticks 1 ms per call, sequential GUIDs,
/// and every delivered event.
pub struct Backend {
    pub store: MemoryStore,
    pub now_ms: i64,
    pub ids: Ids,
    pub events: Vec<serde_json::Value>,
    pub contacts: Option<ContactsResolver>,
    /// Who calls (an admin unless a test acts as a member).
    pub caller: Caller,
    /// The host's coupon hooks, if it plugged in its own coupon system.
    pub hooks: Option<Hooks>,
}

/// Answers `contactId → contact` (an object, or `Input::Null` for no such contact).
pub type ContactsResolver = Box<dyn Fn(&str) -> Input>;

impl Default for Backend {
    fn default() -> Self {
        Backend {
            store: MemoryStore::default(),
            now_ms: 1_700_000_000_000,
            ids: Rc::new(Cell::new(1)),
            events: vec![],
            contacts: None,
            hooks: None,
            caller: Caller::Admin,
        }
    }
}

impl Backend {
    /// The context of a call of `op`: the next instant, and as many fresh ids as its table row
    /// declares.
    pub fn context(&mut self, op: &str) -> Context {
        self.now_ms += 1;
        let n = operations::find(op).map_or(0, |o| o.ids);
        Context {
            now_ms: self.now_ms,
            ids: (0..n).map(|_| next_guid(&self.ids)).collect(),
            caller: self.caller.clone(),
            has_contacts: self.contacts.is_some(),
            want_events: true,
            packed_answers: false,
            coupon_hooks: self.hooks.is_some(),
            program: None,
        }
    }

    pub fn start(&mut self, op: &str, args: &[Input]) -> Result<Operation> {
        let ctx = self.context(op);
        let mut operation = Operation::start_with_ids(op, args, &ctx, self.ids.clone())?;
        operation.hooks = self.hooks.clone();
        Ok(operation)
    }

    /// Runs `op` to completion and returns what the SDK method resolves to (the response body,
    /// or the one field of it the table says the SDK unwraps), as the JS face does.
    pub fn call(&mut self, op: &str, args: &[Input]) -> Result<serde_json::Value> {
        let body = self.call_body(op, args)?;
        Ok(match operations::find(op).map(|o| o.answer) {
            Some(operations::Answer::Field(field)) => body.get(field).cloned().unwrap_or_default(),
            Some(operations::Answer::Void) => serde_json::Value::Null,
            _ => body,
        })
    }

    /// Runs `op` to completion and returns the REST response body as JSON.
    pub fn call_body(&mut self, op: &str, args: &[Input]) -> Result<serde_json::Value> {
        let mut operation = self.start(op, args)?;
        let contacts = self.contacts.take();
        let none = |_: &str| Input::Object(vec![]);
        let outcome = operation.run(&mut self.store, contacts.as_deref().unwrap_or(&none));
        self.contacts = contacts;
        self.finish(&operation, outcome)
    }

    /// Records the events of a finished operation (its batches' and its own) and parses its
    /// result; every result and event must be valid JSON.
    pub fn finish(&mut self, operation: &Operation, outcome: Result<Outcome>) -> Result<serde_json::Value> {
        let parse = |s: &str| {
            serde_json::from_str::<serde_json::Value>(s)
                .map_err(|e| LoyaltyError::internal(Reason::BadJson, e.to_string()))
        };
        for events in &operation.batch_events {
            if let serde_json::Value::Array(events) = parse(events)? {
                self.events.extend(events);
            }
        }
        let outcome = outcome?;
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
