//! The step machine every operation runs as.
//!
//! ```text
//!   start(op, args, ctx) ──► Step { request, state, lock }
//!   resume(state, io)    ──► Step ...
//! ```
//! A request is one of: read these keys, scan this prefix, resolve this contact, commit these
//! writes (then answer), or answer now. The caller (the JS facade, or [`super::driver`] in native
//! tests) performs the I/O and feeds the answer back with the state it was handed. On a commit
//! conflict the caller restarts from the last read request; the machine then sees the new data
//! and decides again (a caller-supplied stale revision is refused at that point).
//!
//! The machine is pure: the same state and input always give the same step.

use serde::Serialize;

use super::account::{self, AdjustCommand, CreateAccountCommand, EarnCommand};
use super::error::{LoyaltyError, Result};
use super::input::Input;
use super::program::{self, ProgramCommand};
use super::query::{self, ListAccountsState, QueryState, SecondaryState};

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

/// What the operation produced: the JSON result and the JSON array of events to deliver once
/// the writes (if any) are committed.
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Read(Vec<String>),
    Scan(ScanRequest),
    Contact(String),
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
    /// The commit was refused: this key was not at the version expected.
    Conflict(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub request: Request,
    /// Opaque to the caller; handed back with the I/O answer.
    pub state: State,
    /// Mutations name the key they mutate, so one process can queue them instead of colliding.
    pub lock: Option<String>,
}

/// Per-call facts the host supplies: the time and, for mutations, a fresh id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub now_ms: i64,
    pub new_id: Option<String>,
    /// Whether the host configured a contacts resolver.
    pub has_contacts: bool,
    /// Whether the host listens to events; when not, none are built.
    pub want_events: bool,
    /// The program record as the host last saw it, if it did: lets `createAccount` commit
    /// without reading first (its commit checks that the program is still at that version).
    pub program: Option<Stored>,
}

impl Context {
    pub fn stamp(&self) -> Stamp {
        Stamp { now_ms: self.now_ms, events: self.want_events }
    }
}

/// When a mutation happens, and whether its events are wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub now_ms: i64,
    pub events: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Program(ProgramCommand),
    CreateAccount(CreateAccountCommand),
    GetAccount(String),
    Secondary(SecondaryState),
    ListAccounts(ListAccountsState),
    Earn(EarnCommand),
    Adjust(AdjustCommand),
    GetTransaction(String),
    QueryTransactions(QueryState),
}

/// Every operation the machine knows, by its JS method name.
pub const OPERATIONS: [&str; 12] = [
    "getLoyaltyProgram",
    "updateLoyaltyProgram",
    "activateLoyaltyProgram",
    "pauseLoyaltyProgram",
    "createAccount",
    "getAccount",
    "getAccountBySecondaryId",
    "listAccounts",
    "earnPoints",
    "adjustPoints",
    "getLoyaltyTransaction",
    "queryLoyaltyTransactions",
];

pub(crate) fn arg(args: &[Input], i: usize) -> &Input {
    static UNDEFINED: Input = Input::Undefined;
    args.get(i).unwrap_or(&UNDEFINED)
}

/// Validates the arguments of `op` and returns its first step.
pub fn start(op: &str, args: &[Input], ctx: &Context) -> Result<Step> {
    match op {
        "getLoyaltyProgram" => program::start(ProgramCommand::Get, ctx),
        "updateLoyaltyProgram" => {
            program::start(ProgramCommand::Update(program::decode_update(arg(args, 0))?, ctx.stamp()), ctx)
        }
        "activateLoyaltyProgram" => program::start(ProgramCommand::Activate(ctx.stamp()), ctx),
        "pauseLoyaltyProgram" => program::start(ProgramCommand::Pause(ctx.stamp()), ctx),
        "createAccount" => account::start_create(arg(args, 0), ctx),
        "getAccount" => account::start_get(arg(args, 0)),
        "getAccountBySecondaryId" => query::start_secondary(arg(args, 0)),
        "listAccounts" => query::start_list_accounts(arg(args, 0)),
        "earnPoints" => account::start_earn(arg(args, 0), arg(args, 1), ctx),
        "adjustPoints" => account::start_adjust(arg(args, 0), arg(args, 1), ctx),
        "getLoyaltyTransaction" => query::start_get_transaction(arg(args, 0)),
        "queryLoyaltyTransactions" => query::start_query_transactions(arg(args, 0)),
        other => Err(LoyaltyError::invalid_field(
            "operation",
            "UNKNOWN_OPERATION",
            format!("is not an operation of this engine (got {})", super::input::quoted(other)),
        )),
    }
}

/// Feeds the answer to the last request back into the operation.
pub fn resume(state: State, io: Io) -> Result<Step> {
    if let Io::Conflict(key) = io {
        return retry(state, &key);
    }
    match state {
        State::Program(cmd) => program::resume(cmd, io),
        State::CreateAccount(cmd) => account::resume_create(cmd, io),
        State::GetAccount(id) => account::resume_get(&id, io),
        State::Secondary(s) => query::resume_secondary(s, io),
        State::ListAccounts(s) => query::resume_list_accounts(s, io),
        State::Earn(cmd) => account::resume_earn(cmd, io),
        State::Adjust(cmd) => account::resume_adjust(cmd, io),
        State::GetTransaction(id) => query::resume_get_transaction(&id, io),
        State::QueryTransactions(s) => query::resume_query_transactions(s, io),
    }
}

/// After a commit conflict on `key`, a mutation reads again and decides on fresh data (where a
/// stale caller-supplied revision is refused, a replayed idempotency key answered, a taken
/// contact reported). A conflict on a key that only a fresh id names is an id collision.
fn retry(state: State, key: &str) -> Result<Step> {
    match state {
        State::Program(cmd) => Ok(program::read_step(cmd)),
        State::CreateAccount(cmd) if key == super::keys::account(&cmd.account_id) => {
            Err(account::id_collision(&cmd.account_id, "an account"))
        }
        State::CreateAccount(cmd) => account::create_retry(cmd),
        State::Earn(cmd) => account::earn_retry(cmd, key),
        State::Adjust(cmd) => account::adjust_retry(cmd, key),
        _ => Err(LoyaltyError::storage_protocol("a commit conflict was reported to an operation that commits nothing")),
    }
}

/// The answer to a read, checked against the request: one entry per key.
pub(crate) fn expect_read(io: Io, expected: usize) -> Result<Vec<Option<Stored>>> {
    match io {
        Io::Read(values) if values.len() == expected => Ok(values),
        Io::Read(values) => Err(LoyaltyError::storage_protocol(format!(
            "storage.read returned {} entries for {expected} keys",
            values.len()
        ))),
        _ => Err(LoyaltyError::storage_protocol("expected the answer to storage.read")),
    }
}

pub(crate) fn expect_scan(io: Io) -> Result<Vec<Row>> {
    match io {
        Io::Scan(rows) => Ok(rows),
        _ => Err(LoyaltyError::storage_protocol("expected the answer to storage.scan")),
    }
}

/// Serializes a result value to JSON text.
pub(crate) fn json<T: Serialize>(value: &T) -> Result<String> {
    super::model::encode(value)
}

/// One Wix-shaped event (`{ entity | data, metadata }`); the JS face adds `metadata._id`.
pub(crate) struct EventSpec<'a> {
    pub fqdn: &'static str,
    pub slug: &'static str,
    pub event_type: &'static str,
    pub entity_id: &'a str,
    pub sequence: Option<u64>,
    pub now_ms: i64,
}

/// The event's JSON text around `body_json`, the already serialized entity or data.
pub(crate) fn event(spec: EventSpec<'_>, body_key: &'static str, body_json: &str) -> Result<String> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Metadata<'a> {
        entity_fqdn: &'static str,
        slug: &'static str,
        entity_id: &'a str,
        event_time: i64,
        event_type: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        entity_event_sequence: Option<String>,
    }
    let metadata = json(&Metadata {
        entity_fqdn: spec.fqdn,
        slug: spec.slug,
        entity_id: spec.entity_id,
        event_time: spec.now_ms,
        event_type: spec.event_type,
        entity_event_sequence: spec.sequence.map(|s| s.to_string()),
    })?;
    Ok(format!("{{\"{body_key}\":{body_json},\"metadata\":{metadata}}}"))
}

/// `[a, b, …]` from event JSON texts.
pub(crate) fn events(list: &[String]) -> String {
    format!("[{}]", list.join(","))
}
