//! Reads that go beyond one key: secondary-id lookups, `listAccounts`, and the transactions
//! query (filter, sort, cursor paging over the ledger indexes).
//!
//! The transactions query scans `ledger/<accountId>/` when the filter pins one `accountId`
//! (so a page costs the same however large the ledger grows), else `ledger-time/`. Results are
//! ordered by `_createdDate`, descending unless the query sorts ascending; other sort fields
//! are refused rather than silently ignored. A cursor carries the whole query (filter, order,
//! page size, position), as Wix's cursors do: a request with a cursor ignores filter and sort.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::account::read_account;
use super::error::{LoyaltyError, Result};
use super::input::{quoted, Input};
use super::keys;
use super::machine::{self, Io, Outcome, Request, Row, ScanRequest, State, Step};
use super::model::{self, IndexRecord, TransactionRecord};
use super::time;
use super::validate::{is_guid, Check};
use super::view;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 100;
const MAX_CURSOR: usize = 16_000;

// ---------------------------------------------------------------- secondary ids

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondaryState {
    /// Reading `contact/<id>` or `member/<id>`.
    Index { key: String, what: String },
    /// Reading the account the index pointed to.
    Account(String),
}

pub fn start_secondary(options: &Input) -> Result<Step> {
    let mut c = Check::default();
    let mut lookup = None;
    if let Some(o) = c.object("options", options, true) {
        let contact = c.guid("options.contactId", o.get("contactId"), false).flatten();
        let member = c.guid("options.memberId", o.get("memberId"), false).flatten();
        lookup = match (contact, member) {
            (Some(id), None) => Some((keys::contact_index(&id), format!("contact {id}"))),
            (None, Some(id)) => Some((keys::member_index(&id), format!("member {id}"))),
            (Some(_), Some(_)) => {
                c.fail("options", "ONE_OF", "must give either contactId or memberId, not both");
                None
            }
            (None, None) => {
                if c.is_ok() {
                    c.fail("options.contactId", "REQUIRED_FIELD", "or options.memberId is required");
                }
                None
            }
        };
    }
    c.finish()?;
    let (key, what) = lookup.unwrap_or_default();
    Ok(Step {
        request: Request::Read(vec![key.clone()]),
        state: State::Secondary(SecondaryState::Index { key, what }),
        lock: None,
    })
}

pub fn resume_secondary(state: SecondaryState, io: Io) -> Result<Step> {
    let values = machine::expect_read(io, 1)?;
    let stored = values.into_iter().next().flatten();
    match state {
        SecondaryState::Index { key, what } => {
            let Some(stored) = stored else {
                return Err(LoyaltyError::not_found("ACCOUNT_NOT_FOUND", format!("{what} has no loyalty account")));
            };
            let index: IndexRecord = model::decode(&key, &stored.value)?;
            Ok(Step {
                request: Request::Read(vec![keys::account(&index.account_id)]),
                state: State::Secondary(SecondaryState::Account(index.account_id)),
                lock: None,
            })
        }
        SecondaryState::Account(id) => {
            let (account, _) = read_account(&id, stored.as_ref())?;
            #[derive(Serialize)]
            struct Response<'a> {
                account: view::AccountView<'a>,
            }
            done(
                machine::json(&Response { account: view::account(&account) })?,
                State::Secondary(SecondaryState::Account(id)),
            )
        }
    }
}

fn done(result: String, state: State) -> Result<Step> {
    Ok(Step { request: Request::Done(Outcome::quiet(result)), state, lock: None })
}

// ---------------------------------------------------------------- cursors

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            let sextet = ((n >> (18 - 6 * i)) & 63) as usize;
            out.push(char::from(B64.get(sextet).copied().unwrap_or(b'A')));
        }
    }
    out
}

fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

fn encode_cursor<T: Serialize>(cursor: &T) -> Result<String> {
    Ok(b64_encode(machine::json(cursor)?.as_bytes()))
}

fn decode_cursor<T: for<'de> Deserialize<'de>>(field: &str, text: &str) -> Result<T> {
    let bad =
        || LoyaltyError::invalid_field(field, "INVALID_CURSOR", "is not a cursor this engine issued for this query");
    let bytes = b64_decode(text).ok_or_else(bad)?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// `cursorPaging: { limit, cursor }`: the page size (default 50, at most 100) and the cursor.
fn paging(c: &mut Check, field: &str, value: &Input) -> (Option<u32>, Option<String>) {
    let Some(p) = c.object(field, value, false) else {
        return (None, None);
    };
    let limit = c.integer(&format!("{field}.limit"), p.get("limit"), 1, i64::from(MAX_LIMIT), false).flatten();
    let cursor = c.string(&format!("{field}.cursor"), p.get("cursor"), 1, MAX_CURSOR, false).flatten();
    (limit.map(|l| l as u32), cursor)
}

// ---------------------------------------------------------------- listAccounts

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ListCursor {
    /// Scan: the last account key returned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    k: Option<String>,
    /// By contact ids: the ids and the offset of the next page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    c: Option<Vec<String>>,
    #[serde(default)]
    o: usize,
    l: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListAccountsState {
    Scan {
        limit: u32,
    },
    /// Reading the contact indexes of `page`, then the accounts they name.
    Contacts {
        ids: Vec<String>,
        offset: usize,
        limit: u32,
        accounts: Option<Vec<String>>,
    },
}

pub fn start_list_accounts(options: &Input) -> Result<Step> {
    let mut c = Check::default();
    let mut ids: Option<Vec<String>> = None;
    let (mut limit, mut cursor) = (None, None);
    if let Some(o) = c.object("options", options, false) {
        match o.get("contactIds") {
            Input::Array(items) if items.len() <= 50 => {
                let list: Vec<String> = items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| c.required_guid(&format!("options.contactIds[{i}]"), v))
                    .collect();
                if !list.is_empty() {
                    ids = Some(list);
                }
            }
            Input::Array(items) => {
                c.fail("options.contactIds", "TOO_MANY", format!("may hold at most 50 ids (got {})", items.len()))
            }
            v if v.is_absent() => {}
            other => c.fail(
                "options.contactIds",
                "WRONG_TYPE",
                format!("must be an array of GUIDs (got {})", other.describe()),
            ),
        }
        (limit, cursor) = paging(&mut c, "options.cursorPaging", o.get("cursorPaging"));
    }
    c.finish()?;
    let mut state = ListCursor { k: None, c: ids, o: 0, l: limit.unwrap_or(DEFAULT_LIMIT) };
    if let Some(text) = cursor {
        state = decode_cursor("options.cursorPaging.cursor", &text)?;
        if let Some(l) = limit {
            state.l = l;
        }
        if state.l == 0
            || state.l > MAX_LIMIT
            || state.k.as_deref().is_some_and(|k| !k.starts_with(keys::ACCOUNT_PREFIX))
        {
            return Err(LoyaltyError::invalid_field(
                "options.cursorPaging.cursor",
                "INVALID_CURSOR",
                "is not a cursor this engine issued",
            ));
        }
    }
    match state.c {
        Some(ids) => {
            let page: Vec<String> =
                ids.iter().skip(state.o).take(state.l as usize).map(|id| keys::contact_index(id)).collect();
            Ok(Step {
                request: Request::Read(page),
                state: State::ListAccounts(ListAccountsState::Contacts {
                    ids,
                    offset: state.o,
                    limit: state.l,
                    accounts: None,
                }),
                lock: None,
            })
        }
        None => Ok(Step {
            request: Request::Scan(ScanRequest {
                prefix: keys::ACCOUNT_PREFIX.into(),
                after: state.k,
                limit: state.l + 1,
                reverse: false,
            }),
            state: State::ListAccounts(ListAccountsState::Scan { limit: state.l }),
            lock: None,
        }),
    }
}

fn accounts_page(accounts: &[model::AccountRecord], next: Option<String>) -> Result<String> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Response<'a> {
        accounts: Vec<view::AccountView<'a>>,
        paging_metadata: serde_json::Value,
    }
    machine::json(&Response {
        accounts: accounts.iter().map(view::account).collect(),
        paging_metadata: json!({ "count": accounts.len(), "cursors": { "next": next }, "hasNext": next.is_some() }),
    })
}

pub fn resume_list_accounts(state: ListAccountsState, io: Io) -> Result<Step> {
    match state {
        ListAccountsState::Scan { limit } => {
            let rows = machine::expect_scan(io)?;
            let has_next = rows.len() > limit as usize;
            let mut accounts = Vec::with_capacity(rows.len().min(limit as usize));
            for row in rows.iter().take(limit as usize) {
                let id = row.key.strip_prefix(keys::ACCOUNT_PREFIX).unwrap_or_default();
                accounts.push(
                    read_account(id, Some(&machine::Stored { value: row.value.clone(), version: row.version }))?.0,
                );
            }
            let next = match (has_next, accounts.last()) {
                (true, Some(last)) => {
                    Some(encode_cursor(&ListCursor { k: Some(keys::account(&last.id)), c: None, o: 0, l: limit })?)
                }
                _ => None,
            };
            done(accounts_page(&accounts, next)?, State::ListAccounts(ListAccountsState::Scan { limit }))
        }
        ListAccountsState::Contacts { ids, offset, limit, accounts: None } => {
            let page: Vec<&String> = ids.iter().skip(offset).take(limit as usize).collect();
            let values = machine::expect_read(io, page.len())?;
            let mut account_ids = Vec::new();
            for (id, stored) in page.iter().zip(values) {
                if let Some(stored) = stored {
                    let index: IndexRecord = model::decode(&keys::contact_index(id), &stored.value)?;
                    account_ids.push(index.account_id);
                }
            }
            Ok(Step {
                request: Request::Read(account_ids.iter().map(|id| keys::account(id)).collect()),
                state: State::ListAccounts(ListAccountsState::Contacts {
                    ids,
                    offset,
                    limit,
                    accounts: Some(account_ids),
                }),
                lock: None,
            })
        }
        ListAccountsState::Contacts { ids, offset, limit, accounts: Some(account_ids) } => {
            let values = machine::expect_read(io, account_ids.len())?;
            let mut accounts = Vec::with_capacity(account_ids.len());
            for (id, stored) in account_ids.iter().zip(values) {
                // An index without its account would be a torn write; report it, never skip it.
                accounts.push(read_account(id, stored.as_ref())?.0);
            }
            let next_offset = offset + limit as usize;
            let next = if next_offset < ids.len() {
                Some(encode_cursor(&ListCursor { k: None, c: Some(ids.clone()), o: next_offset, l: limit })?)
            } else {
                None
            };
            done(
                accounts_page(&accounts, next)?,
                State::ListAccounts(ListAccountsState::Contacts { ids, offset, limit, accounts: Some(account_ids) }),
            )
        }
    }
}

// ---------------------------------------------------------------- transactions

pub fn start_get_transaction(id: &Input) -> Result<Step> {
    let mut c = Check::default();
    let id = c.required_guid("loyaltyTransactionId", id).unwrap_or_default();
    c.finish()?;
    Ok(Step { request: Request::Read(vec![keys::transaction(&id)]), state: State::GetTransaction(id), lock: None })
}

pub fn resume_get_transaction(id: &str, io: Io) -> Result<Step> {
    let values = machine::expect_read(io, 1)?;
    let Some(stored) = values.into_iter().next().flatten() else {
        return Err(LoyaltyError::not_found(
            "TRANSACTION_NOT_FOUND",
            format!("loyalty transaction {id} does not exist"),
        )
        .with_data(json!({ "loyaltyTransactionId": id })));
    };
    let txn: TransactionRecord = model::decode(&keys::transaction(id), &stored.value)?;
    done(machine::json(&view::transaction(&txn))?, State::GetTransaction(id.into()))
}

/// A transaction field a query may filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    Id,
    AccountId,
    CreatedDate,
    Amount,
    TransactionType,
    Description,
    IdempotencyKey,
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        Some(match name {
            "_id" | "id" => Field::Id,
            "accountId" => Field::AccountId,
            "_createdDate" | "createdDate" => Field::CreatedDate,
            "amount" => Field::Amount,
            "transactionType" => Field::TransactionType,
            "description" => Field::Description,
            "idempotencyKey" => Field::IdempotencyKey,
            _ => return None,
        })
    }

    fn is_numeric(self) -> bool {
        matches!(self, Field::CreatedDate | Field::Amount)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Lte,
    Gt,
    Gte,
    In,
    Nin,
    Exists,
    StartsWith,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Val {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<Val>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Filter {
    All(Vec<Filter>),
    Any(Vec<Filter>),
    Not(Box<Filter>),
    Cmp(Field, Op, Val),
}

fn parse_value(c: &mut Check, path: &str, field: Field, v: &Input) -> Val {
    match (v, field) {
        (Input::Null | Input::Undefined, _) => Val::Null,
        (Input::Number(n), f) if f.is_numeric() && n.is_finite() => Val::Num(*n),
        (Input::Date(ms), Field::CreatedDate) if ms.is_finite() => Val::Num(*ms),
        (Input::String(s), Field::CreatedDate) => match time::parse_iso(s) {
            Some(ms) => Val::Num(ms as f64),
            None => {
                c.fail(path, "INVALID_DATE", format!("must be a Date or an ISO-8601 date (got {})", v.describe()));
                Val::Null
            }
        },
        (Input::String(s), f) if !f.is_numeric() => Val::Str(s.clone()),
        (other, f) => {
            let want = match f {
                Field::CreatedDate => "a Date",
                Field::Amount => "a finite number",
                _ => "a string",
            };
            c.fail(path, "WRONG_TYPE", format!("must be {want} (got {})", other.describe()));
            Val::Null
        }
    }
}

fn parse_condition(c: &mut Check, path: &str, field: Field, value: &Input) -> Filter {
    let Input::Object(ops) = value else {
        return Filter::Cmp(field, Op::Eq, parse_value(c, path, field, value));
    };
    if ops.is_empty() || !ops.iter().all(|(k, _)| k.starts_with('$')) {
        c.fail(path, "INVALID_FILTER", "must be a value or an object of operators such as { $gt: 5 }");
        return Filter::All(vec![]);
    }
    let mut all = Vec::new();
    for (name, operand) in ops {
        let p = format!("{path}.{name}");
        let op = match name.as_str() {
            "$eq" => Op::Eq,
            "$ne" => Op::Ne,
            "$lt" => Op::Lt,
            "$lte" => Op::Lte,
            "$gt" => Op::Gt,
            "$gte" => Op::Gte,
            "$in" | "$hasSome" => Op::In,
            "$nin" => Op::Nin,
            "$exists" => Op::Exists,
            "$startsWith" => Op::StartsWith,
            _ => {
                c.fail(
                    &p,
                    "UNSUPPORTED_OPERATOR",
                    "is not a supported operator ($eq $ne $lt $lte $gt $gte $in $nin $hasSome $exists $startsWith)",
                );
                continue;
            }
        };
        if matches!(op, Op::Lt | Op::Lte | Op::Gt | Op::Gte) && field == Field::TransactionType {
            c.fail(&p, "UNSUPPORTED_OPERATOR", "range operators do not apply to transactionType");
            continue;
        }
        let val = match (op, operand) {
            (Op::In | Op::Nin, Input::Array(items)) => Val::List(
                items.iter().enumerate().map(|(i, v)| parse_value(c, &format!("{p}[{i}]"), field, v)).collect(),
            ),
            (Op::In | Op::Nin, other) => {
                c.fail(&p, "WRONG_TYPE", format!("must be an array (got {})", other.describe()));
                Val::Null
            }
            (Op::Exists, Input::Bool(b)) => Val::Bool(*b),
            (Op::Exists, other) => {
                c.fail(&p, "WRONG_TYPE", format!("must be true or false (got {})", other.describe()));
                Val::Null
            }
            (Op::StartsWith, Input::String(s)) if !field.is_numeric() => Val::Str(s.to_ascii_lowercase()),
            (Op::StartsWith, other) => {
                c.fail(&p, "WRONG_TYPE", format!("must be a string on a text field (got {})", other.describe()));
                Val::Null
            }
            (_, v) => parse_value(c, &p, field, v),
        };
        all.push(Filter::Cmp(field, op, val));
    }
    Filter::All(all)
}

fn parse_filter(c: &mut Check, path: &str, value: &Input, depth: usize) -> Filter {
    let Input::Object(fields) = value else {
        c.fail(path, "WRONG_TYPE", format!("must be a filter object (got {})", value.describe()));
        return Filter::All(vec![]);
    };
    if depth > 8 {
        c.fail(path, "TOO_DEEP", "nests $and/$or/$not more than 8 levels");
        return Filter::All(vec![]);
    }
    let mut all = Vec::new();
    for (name, v) in fields {
        let p = format!("{path}.{name}");
        match name.as_str() {
            "$and" | "$or" => {
                let Input::Array(items) = v else {
                    c.fail(&p, "WRONG_TYPE", format!("must be an array of filters (got {})", v.describe()));
                    continue;
                };
                let parts = items.iter().enumerate().map(|(i, f)| parse_filter(c, &format!("{p}[{i}]"), f, depth + 1)).collect();
                all.push(if name == "$and" { Filter::All(parts) } else { Filter::Any(parts) });
            }
            "$not" => all.push(Filter::Not(Box::new(parse_filter(c, &p, v, depth + 1)))),
            other => match Field::parse(other) {
                Some(field) => all.push(parse_condition(c, &p, field, v)),
                None => c.fail(
                    &p,
                    "UNSUPPORTED_FIELD",
                    "is not a filterable field (_id, accountId, _createdDate, amount, transactionType, description, idempotencyKey)",
                ),
            },
        }
    }
    Filter::All(all)
}

fn field_value(t: &TransactionRecord, f: Field) -> Val {
    match f {
        Field::Id => Val::Str(t.id.clone()),
        Field::AccountId => Val::Str(t.account_id.clone()),
        Field::CreatedDate => Val::Num(t.created_ms as f64),
        Field::Amount => Val::Num(t.amount as f64),
        Field::TransactionType => Val::Str(t.transaction_type.as_str().into()),
        Field::Description => Val::Str(t.description.clone()),
        Field::IdempotencyKey => Val::Str(t.idempotency_key.clone()),
    }
}

fn compare(a: &Val, b: &Val) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => x.partial_cmp(y),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn matches(filter: &Filter, t: &TransactionRecord) -> bool {
    use std::cmp::Ordering::*;
    match filter {
        Filter::All(parts) => parts.iter().all(|f| matches(f, t)),
        Filter::Any(parts) => parts.iter().any(|f| matches(f, t)),
        Filter::Not(inner) => !matches(inner, t),
        Filter::Cmp(field, op, val) => {
            let actual = field_value(t, *field);
            let ord = compare(&actual, val);
            match op {
                Op::Eq => ord == Some(Equal),
                Op::Ne => ord != Some(Equal),
                Op::Lt => ord == Some(Less),
                Op::Lte => matches!(ord, Some(Less | Equal)),
                Op::Gt => ord == Some(Greater),
                Op::Gte => matches!(ord, Some(Greater | Equal)),
                Op::In | Op::Nin => {
                    let found =
                        matches!(val, Val::List(items) if items.iter().any(|v| compare(&actual, v) == Some(Equal)));
                    found == (*op == Op::In)
                }
                // Every transaction field is always present.
                Op::Exists => *val == Val::Bool(true),
                Op::StartsWith => match (&actual, val) {
                    (Val::Str(s), Val::Str(prefix)) => s.to_ascii_lowercase().starts_with(prefix.as_str()),
                    _ => false,
                },
            }
        }
    }
}

/// The account a filter pins with a top-level `accountId` equality, if any.
fn pinned_account(filter: &Filter) -> Option<String> {
    match filter {
        Filter::Cmp(Field::AccountId, Op::Eq, Val::Str(id)) => Some(id.to_ascii_lowercase()),
        Filter::All(parts) => parts.iter().find_map(pinned_account),
        _ => None,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct TxnCursor {
    /// Index prefix, scan direction, filter, page size, last key returned.
    p: String,
    r: bool,
    f: Filter,
    l: u32,
    k: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueryState {
    prefix: String,
    reverse: bool,
    filter: Filter,
    limit: u32,
    /// Scan position: the last key seen.
    after: Option<String>,
    /// Matches so far (view JSON) and the key of the last one.
    items: Vec<String>,
    last_key: Option<String>,
}

/// The batch size of one scan: a page and one more, or more when a filter may drop rows.
fn batch(state: &QueryState) -> u32 {
    let residual = !matches!(&state.filter, Filter::All(p) if p.iter().all(|f| matches!(f, Filter::Cmp(Field::AccountId, Op::Eq, _))));
    if residual {
        (state.limit + 1).max(100)
    } else {
        state.limit + 1
    }
}

fn scan_step(state: QueryState) -> Step {
    Step {
        request: Request::Scan(ScanRequest {
            prefix: state.prefix.clone(),
            after: state.after.clone(),
            limit: batch(&state),
            reverse: state.reverse,
        }),
        state: State::QueryTransactions(state),
        lock: None,
    }
}

/// `queryLoyaltyTransactions`: `{ filter?, sort?, cursorPaging? }` as the query builder sends it.
pub fn start_query_transactions(query: &Input) -> Result<Step> {
    let mut c = Check::default();
    let mut filter = Filter::All(vec![]);
    let mut reverse = true;
    let (mut limit, mut cursor) = (None, None);
    if let Some(q) = c.object("query", query, false) {
        (limit, cursor) = paging(&mut c, "query.cursorPaging", q.get("cursorPaging"));
        if cursor.is_none() {
            if !q.get("filter").is_absent() {
                filter = parse_filter(&mut c, "query.filter", q.get("filter"), 0);
            }
            match q.get("sort") {
                Input::Array(sorts) if sorts.len() <= 5 => {
                    for (i, s) in sorts.iter().enumerate() {
                        let p = format!("query.sort[{i}]");
                        let name = c.required_string(&format!("{p}.fieldName"), s.get("fieldName"), 1, 512);
                        let order = match s.get("order") {
                            Input::String(o) if o == "ASC" => Some(false),
                            Input::String(o) if o == "DESC" => Some(true),
                            v if v.is_absent() => Some(false),
                            other => {
                                c.fail(
                                    &format!("{p}.order"),
                                    "WRONG_TYPE",
                                    format!("must be \"ASC\" or \"DESC\" (got {})", other.describe()),
                                );
                                None
                            }
                        };
                        match name.as_deref().map(Field::parse) {
                            Some(Some(Field::CreatedDate)) if i == 0 => reverse = order.unwrap_or(true),
                            Some(_) => c.fail(
                                &format!("{p}.fieldName"),
                                "UNSUPPORTED_SORT",
                                "cannot be sorted on: transactions are ordered by _createdDate only (ascending or descending)",
                            ),
                            None => {}
                        }
                    }
                }
                Input::Array(sorts) => {
                    c.fail("query.sort", "TOO_MANY", format!("may hold at most 5 entries (got {})", sorts.len()))
                }
                v if v.is_absent() => {}
                other => c.fail("query.sort", "WRONG_TYPE", format!("must be an array (got {})", other.describe())),
            }
        }
    }
    c.finish()?;
    let state = match cursor {
        Some(text) => {
            let cur: TxnCursor = decode_cursor("query.cursorPaging.cursor", &text)?;
            let valid_prefix = cur.p == keys::LEDGER_TIME_PREFIX
                || cur.p.strip_prefix(keys::LEDGER_PREFIX).and_then(|r| r.strip_suffix('/')).is_some_and(is_guid);
            if !valid_prefix || !cur.k.starts_with(&cur.p) || cur.l == 0 || cur.l > MAX_LIMIT {
                return Err(LoyaltyError::invalid_field(
                    "query.cursorPaging.cursor",
                    "INVALID_CURSOR",
                    "is not a cursor this engine issued",
                ));
            }
            QueryState {
                prefix: cur.p,
                reverse: cur.r,
                filter: cur.f,
                limit: limit.unwrap_or(cur.l),
                after: Some(cur.k),
                items: vec![],
                last_key: None,
            }
        }
        None => {
            let prefix = match pinned_account(&filter) {
                Some(id) => keys::account_ledger_prefix(&id),
                None => keys::LEDGER_TIME_PREFIX.into(),
            };
            QueryState {
                prefix,
                reverse,
                filter,
                limit: limit.unwrap_or(DEFAULT_LIMIT),
                after: None,
                items: vec![],
                last_key: None,
            }
        }
    };
    Ok(scan_step(state))
}

pub fn resume_query_transactions(mut state: QueryState, io: Io) -> Result<Step> {
    let rows: Vec<Row> = machine::expect_scan(io)?;
    let exhausted = (rows.len() as u32) < batch(&state);
    let mut has_next = false;
    for row in &rows {
        if !row.key.starts_with(&state.prefix) {
            return Err(LoyaltyError::storage_protocol(format!(
                "storage.scan returned key {} outside prefix {}",
                quoted(&row.key),
                quoted(&state.prefix)
            )));
        }
        let txn: TransactionRecord = model::decode(&row.key, &row.value)?;
        state.after = Some(row.key.clone());
        if matches(&state.filter, &txn) {
            if state.items.len() as u32 == state.limit {
                has_next = true;
                break;
            }
            state.items.push(machine::json(&view::transaction(&txn))?);
            state.last_key = Some(row.key.clone());
        }
    }
    if !has_next && !exhausted {
        return Ok(scan_step(state));
    }
    let next = match (&state.last_key, has_next) {
        (Some(k), true) => Some(encode_cursor(&TxnCursor {
            p: state.prefix.clone(),
            r: state.reverse,
            f: state.filter.clone(),
            l: state.limit,
            k: k.clone(),
        })?),
        _ => None,
    };
    let result = format!(
        "{{\"loyaltyTransactions\":[{}],\"pagingMetadata\":{}}}",
        state.items.join(","),
        json!({ "count": state.items.len(), "cursors": { "next": next }, "hasNext": next.is_some() })
    );
    done(result, State::QueryTransactions(state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for text in ["", "a", "ab", "abc", "abcd", "{\"k\":\"acct/1\"}", "ünïcødé"] {
            assert_eq!(b64_decode(&b64_encode(text.as_bytes())), Some(text.as_bytes().to_vec()));
        }
        assert_eq!(b64_decode("***"), None);
    }
}
