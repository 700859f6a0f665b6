//! The step machine's protocol: what an operation asks of its host and what the host answers.
//!
//! ```text
//!   operations::start(name, args, ctx) ──► Step { request, state, lock }
//!   operations::resume(state, io)      ──► Step ...
//! ```
//! A request is one of: read these keys, scan this prefix, resolve this contact, give me fresh
//! ids, commit these writes and carry on (a batch of a job), commit these writes and end, or
//! end now. The host (the JS facade, or [`super::driver`] in native tests) performs the I/O and
//! feeds the answer back with the state it was handed. After a refused commit the host hands
//! the conflicting key back ([`Io::Conflict`]); the operation then reads again and decides on
//! fresh data (a caller-supplied stale revision is refused at that point).
//!
//! Machines are pure: the same state and answer always give the same step.

use super::error::{LoyaltyError, Result};
use super::input::Input;
use super::reason::Reason;
use super::validate::is_guid;

/// A value as storage returned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub value: String,
    pub version: u64,
}

/// A scanned entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub key: String,
    pub value: String,
    pub version: u64,
}

/// One conditional entry of a commit: applied only if the key is still at `version` (0 = must
/// not exist); afterwards the key is at `version + 1`. An entry without a value is a check: the
/// key must be at `version`, and nothing is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    pub key: String,
    pub value: Option<String>,
    pub version: u64,
}

impl Write {
    pub fn put(key: impl Into<String>, value: String, version: u64) -> Write {
        Write { key: key.into(), value: Some(value), version }
    }

    pub fn check(key: impl Into<String>, version: u64) -> Write {
        Write { key: key.into(), value: None, version }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRequest {
    pub prefix: String,
    /// Exclusive start: keys after this one in scan order.
    pub after: Option<String>,
    pub limit: u32,
    pub reverse: bool,
}

/// What an operation produced: the JSON result (the REST response body, in the SDK's names)
/// and the JSON array of events to deliver once the writes (if any) are committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub result: String,
    pub events: String,
}

impl Outcome {
    pub fn quiet(result: String) -> Self {
        Outcome { result, events: "[]".into() }
    }
}

/// One committed batch of a job: the events of its changes and a progress report (JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    pub events: String,
    pub progress: String,
}

impl Batch {
    /// A batch with no events and no progress to report (a step of a multi-commit operation).
    pub fn quiet() -> Batch {
        Batch { events: "[]".into(), progress: "{}".into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Read(Vec<String>),
    Scan(ScanRequest),
    Contact(String),
    /// This many fresh ids from the host's id generator (jobs need them batch by batch).
    Ids(u32),
    /// Call the host's hook of this name (`referenceCoupons.create` / `.void`) with this JSON
    /// payload: answered with [`Io::Hook`].
    Hook(&'static str, String),
    /// Commit these writes and carry on: answered with [`Io::Committed`] or [`Io::Conflict`].
    Batch(Vec<Write>, Batch),
    /// Commit these writes; once applied, the operation has ended with this outcome.
    Commit(Vec<Write>, Outcome),
    Done(Outcome),
}

/// The answer to a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Io {
    /// One entry per requested key, in order; `None` for a missing key.
    Read(Vec<Option<Stored>>),
    Scan(Vec<Row>),
    /// The contacts resolver's answer (`null` = no such contact).
    Contact(Input),
    Ids(Vec<String>),
    /// A hook's outcome: `{ ok: <what it resolved to> }` or `{ error: <message> }`.
    Hook(Input),
    /// A batch was committed.
    Committed,
    /// The commit was refused: this key was not at the version expected.
    Conflict(String),
}

/// An operation in flight: the host holds it between requests and hands it back with the answer.
pub trait Machine: MachineClone {
    fn resume(self: Box<Self>, io: Io) -> Result<Step>;

    /// After a refused commit on `key`: read again and decide on fresh data.
    fn conflict(self: Box<Self>, key: &str) -> Result<Step> {
        let _ = key;
        Err(LoyaltyError::storage_protocol("a commit conflict was reported to an operation that commits nothing"))
    }
}

/// Cloning behind `Box<dyn Machine>`, for native tests that replay a state against several
/// answers. The wasm build has no use for it, and leaves every state's clone code out.
#[cfg(not(target_arch = "wasm32"))]
pub trait MachineClone {
    fn boxed_clone(&self) -> Box<dyn Machine>;
}

#[cfg(not(target_arch = "wasm32"))]
impl<T: Machine + Clone + 'static> MachineClone for T {
    fn boxed_clone(&self) -> Box<dyn Machine> {
        Box::new(self.clone())
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Clone for Box<dyn Machine> {
    fn clone(&self) -> Self {
        self.boxed_clone()
    }
}

#[cfg(target_arch = "wasm32")]
pub trait MachineClone {}

#[cfg(target_arch = "wasm32")]
impl<T> MachineClone for T {}

/// States are opaque: printing one names no field (and keeps formatting code out of the module).
impl std::fmt::Debug for Box<dyn Machine> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Machine")
    }
}

/// The state of an operation that has nothing left to do.
#[derive(Debug, Clone)]
pub struct Finished;

impl Machine for Finished {
    fn resume(self: Box<Self>, _io: Io) -> Result<Step> {
        Err(LoyaltyError::storage_protocol("the operation has already ended"))
    }
}

#[derive(Debug)]
#[cfg_attr(not(target_arch = "wasm32"), derive(Clone))]
pub struct Step {
    pub request: Request,
    /// Opaque to the host; handed back with the answer.
    pub state: Box<dyn Machine>,
    /// The keys a mutation changes, sorted: one process queues operations on the same keys
    /// instead of letting them collide. Only the first step of an operation names them.
    pub lock: Vec<String>,
}

impl Step {
    pub fn new(request: Request, state: impl Machine + 'static) -> Step {
        Step { request, state: Box::new(state), lock: Vec::new() }
    }

    /// The operation ends with `result` (no writes, no events).
    pub fn done(result: String) -> Step {
        Step::new(Request::Done(Outcome::quiet(result)), Finished)
    }

    pub fn locking(mut self, keys: Vec<String>) -> Step {
        self.lock = keys;
        self.lock.sort();
        self.lock.dedup();
        self
    }
}

/// Who is calling: an admin (an elevated backend, an API key), a site member, or an anonymous
/// site visitor (Velo code that is not elevated, run with nobody logged in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Admin,
    Member(String),
    Visitor,
}

/// `start` flag: the host configured a contacts resolver ([`Context::has_contacts`]).
pub const FLAG_CONTACTS: u32 = 1;
/// `start` flag: the host listens to events ([`Context::want_events`]).
pub const FLAG_EVENTS: u32 = 2;
/// `start` flag: an answer that is one account may come packed ([`Context::packed_answers`]).
pub const FLAG_PACKED: u32 = 4;
/// `start` flag: the host plugged in its own coupon system ([`Context::coupon_hooks`]).
pub const FLAG_COUPON_HOOKS: u32 = 8;
/// `start` flag: an anonymous visitor calls ([`Caller::Visitor`]; no member is given).
pub const FLAG_VISITOR: u32 = 16;

/// The `start` flags by the names the build's table gives them (`TABLE.flags`), which the JS
/// face sets from.
pub const FLAGS: [(&str, u32); 5] = [
    ("contacts", FLAG_CONTACTS),
    ("events", FLAG_EVENTS),
    ("packed", FLAG_PACKED),
    ("couponHooks", FLAG_COUPON_HOOKS),
    ("visitor", FLAG_VISITOR),
];

/// Per-call facts the host supplies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub now_ms: i64,
    /// Fresh ids from the host's generator, as many as the operation's table row declares.
    pub ids: Vec<String>,
    pub caller: Caller,
    /// Whether the host configured a contacts resolver.
    pub has_contacts: bool,
    /// Whether the host listens to events; when not, none are built.
    pub want_events: bool,
    /// Whether an answer that is one account may come packed (see `records::json::account_answer`),
    /// for the JS face to build without parsing; else every answer is JSON.
    pub packed_answers: bool,
    /// Whether the host plugged in its own coupon system (`referenceCoupons`): a redemption then
    /// asks it for the reference coupon (see `ops::coupons`).
    pub coupon_hooks: bool,
    /// The program record as the host last saw it, if it did: lets `createAccount` commit
    /// without reading first (its commit checks that the program is still at that version).
    pub program: Option<Stored>,
}

impl Context {
    pub fn admin(now_ms: i64) -> Context {
        Context {
            now_ms,
            ids: Vec::new(),
            caller: Caller::Admin,
            has_contacts: false,
            want_events: false,
            packed_answers: false,
            coupon_hooks: false,
            program: None,
        }
    }

    pub fn stamp(&self) -> Stamp {
        Stamp { now_ms: self.now_ms, events: self.want_events, packed: self.packed_answers }
    }

    /// Fresh id number `i`, checked: a broken id generator must not corrupt the store.
    pub fn fresh_id(&self, i: usize) -> Result<String> {
        checked_id(self.ids.get(i).map(String::as_str))
    }
}

/// An id from the host's generator, checked and lower-cased.
pub fn checked_id(id: Option<&str>) -> Result<String> {
    match id {
        Some(id) if is_guid(id) => Ok(id.to_ascii_lowercase()),
        other => Err(LoyaltyError::new(
            super::error::Code::InvalidArgument,
            Reason::InvalidIdGenerator,
            format!(
                "the id generator (createLoyaltyBackend option newId) must return a GUID, it returned {}",
                other.map_or("nothing".into(), |s| Input::String(s.into()).describe())
            ),
        )),
    }
}

/// When a mutation happens, whether its events are wanted, and whether its answer may be packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub now_ms: i64,
    pub events: bool,
    pub packed: bool,
}

/// The answer to a read, checked against the request: one entry per key.
pub fn expect_read(io: Io, expected: usize) -> Result<Vec<Option<Stored>>> {
    match io {
        Io::Read(values) if values.len() == expected => Ok(values),
        Io::Read(values) => Err(LoyaltyError::storage_protocol(format!(
            "storage.read returned {} entries for {expected} keys",
            values.len()
        ))),
        _ => Err(LoyaltyError::storage_protocol("expected the answer to storage.read")),
    }
}

/// The answer to a scan, checked: every key under the prefix, in order, at most `limit`.
pub fn expect_scan(io: Io, request: &ScanRequest) -> Result<Vec<Row>> {
    let rows = match io {
        Io::Scan(rows) => rows,
        _ => return Err(LoyaltyError::storage_protocol("expected the answer to storage.scan")),
    };
    if rows.len() > request.limit as usize {
        return Err(LoyaltyError::storage_protocol(format!(
            "storage.scan returned {} rows for a limit of {}",
            rows.len(),
            request.limit
        )));
    }
    for row in &rows {
        if !row.key.starts_with(&request.prefix) {
            return Err(LoyaltyError::storage_protocol(format!(
                "storage.scan returned key {} outside prefix {}",
                super::input::quoted(&row.key),
                super::input::quoted(&request.prefix)
            )));
        }
    }
    Ok(rows)
}

/// The answer to a request for fresh ids, checked.
pub fn expect_ids(io: Io, expected: usize) -> Result<Vec<String>> {
    match io {
        Io::Ids(ids) if ids.len() == expected => ids.iter().map(|id| checked_id(Some(id))).collect(),
        _ => Err(LoyaltyError::storage_protocol(format!("expected {expected} fresh ids"))),
    }
}
