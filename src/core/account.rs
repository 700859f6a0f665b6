//! Loyalty accounts and the two ways points move in this version: earning and adjusting.
//!
//! Rules (spec §2.2, our decisions where it is silent):
//! * `createAccount` needs an `ACTIVE` program (`DRAFT` and `PAUSED` refuse it); one account per
//!   contact (`ALREADY_EXISTS`), and per member when the contacts resolver names one.
//! * `earnPoints` needs an `ACTIVE` program. A retry with the same `idempotencyKey` and the same
//!   request returns the original result (same `transactionId`, the account as that call left
//!   it) even if the program was paused since; the same key with a different request is
//!   `FAILED_PRECONDITION` / `IDEMPOTENCY_KEY_REUSED`. Keys are scoped to the whole program.
//! * `adjustPoints` works in every program status (it is an admin correction). `balance` wins
//!   over `amount`; setting the balance to its current value still records an `ADJUST` of 0.
//! * No balance or counter ever leaves the JS safe-integer range (`POINTS_LIMIT_EXCEEDED`), and
//!   no balance goes below zero (`INSUFFICIENT_POINTS`; nothing is clamped).

use serde_json::json;

use super::error::{Code, LoyaltyError, Result};
use super::input::{quoted, Input};
use super::keys;
use super::machine::{self, Context, EventSpec, Io, Outcome, Request, Stamp, State, Step, Stored, Write};
use super::model::{
    self, AccountRecord, AdjustInfo, ContactSnapshot, EarnInfo, EarnRequest, IdempotencyRecord, IndexRecord, Picture,
    Points, ProgramStatus, TransactionRecord, TransactionType, LOYALTY_APP_ID, SCHEMA,
};
use super::program::read_program;
use super::validate::{is_guid, Check, MAX_SAFE_INTEGER};
use super::view;

pub const EARN_MAX: i64 = 9_999_999;
pub const ADJUST_AMOUNT_MAX: i64 = 9_999_999;
pub const ADJUST_BALANCE_MAX: i64 = 999_999_999;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateAccountCommand {
    pub contact_id: String,
    pub account_id: String,
    pub at: Stamp,
    /// Filled once the contacts resolver answered (or at once when there is none).
    pub contact: Option<ContactSnapshot>,
    /// The program as the host last saw it: when ACTIVE, the account is committed without a
    /// read, on condition that the program is still at that version. Dropped after a conflict.
    pub program: Option<Stored>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarnCommand {
    pub request: EarnRequest,
    pub idempotency_key: String,
    pub transaction_id: String,
    pub at: Stamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adjustment {
    SetBalance(i64),
    Change(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustCommand {
    pub account_id: String,
    pub adjustment: Adjustment,
    pub description: Option<String>,
    pub revision: Option<u64>,
    pub transaction_id: String,
    pub at: Stamp,
}

/// The fresh id a mutation needs, checked: a broken id generator must not corrupt the store.
fn fresh_id(ctx: &Context) -> Result<String> {
    match &ctx.new_id {
        Some(id) if is_guid(id) => Ok(id.to_ascii_lowercase()),
        other => Err(LoyaltyError::new(
            Code::InvalidArgument,
            "INVALID_ID_GENERATOR",
            format!(
                "the id generator (createLoyaltyBackend option newId) must return a GUID, it returned {}",
                other.as_deref().map_or("nothing".into(), |s| Input::String(s.into()).describe())
            ),
        )),
    }
}

fn account_id_arg(c: &mut Check, value: &Input, field: &str) -> String {
    c.required_guid(field, value).unwrap_or_default()
}

pub fn start_create(contact_id: &Input, ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let contact_id = c.required_guid("contactId", contact_id).unwrap_or_default();
    c.finish()?;
    let cmd = CreateAccountCommand {
        account_id: fresh_id(ctx)?,
        at: ctx.stamp(),
        contact: if ctx.has_contacts { None } else { Some(ContactSnapshot::default()) },
        contact_id,
        program: ctx.program.clone(),
    };
    let lock = Some(keys::contact_index(&cmd.contact_id));
    let step = match cmd.contact {
        None => {
            Step { request: Request::Contact(cmd.contact_id.clone()), state: State::CreateAccount(cmd), lock: None }
        }
        Some(_) => create_next(cmd)?,
    };
    Ok(Step { lock, ..step })
}

/// Once the contact is known: commit straight away when the host's copy of the program says
/// ACTIVE (the commit checks that copy is current), else read what the decision needs.
fn create_next(mut cmd: CreateAccountCommand) -> Result<Step> {
    let Some(contact) = cmd.contact.clone() else {
        return Err(LoyaltyError::storage_protocol("an account cannot be created before its contact is known"));
    };
    let active = cmd.program.take().filter(|p| {
        model::decode::<model::ProgramRecord>(keys::PROGRAM, &p.value).is_ok_and(|r| r.status == ProgramStatus::Active)
    });
    match active {
        Some(program) => create_commit(cmd, contact, Some(program.version)),
        None => Ok(Step { request: create_read(&cmd, &contact), state: State::CreateAccount(cmd), lock: None }),
    }
}

/// After a conflict: read, and decide on fresh data (a taken contact, a paused program).
pub fn create_retry(mut cmd: CreateAccountCommand) -> Result<Step> {
    cmd.program = None;
    create_next(cmd)
}

fn create_read(cmd: &CreateAccountCommand, contact: &ContactSnapshot) -> Request {
    let mut read = vec![keys::PROGRAM.to_string(), keys::contact_index(&cmd.contact_id)];
    if let Some(member) = &contact.member_id {
        read.push(keys::member_index(member));
    }
    Request::Read(read)
}

/// Checks what the host's contacts resolver returned for `contactId`.
pub fn decode_contact(contact_id: &str, value: &Input) -> Result<ContactSnapshot> {
    if value.is_absent() {
        return Err(LoyaltyError::not_found(
            "CONTACT_NOT_FOUND",
            format!("contact {contact_id} does not exist (the contacts resolver returned no contact)"),
        )
        .with_data(json!({ "contactId": contact_id })));
    }
    let mut c = Check::default();
    let mut snapshot = ContactSnapshot::default();
    if c.object("contact", value, true).is_some() {
        snapshot.member_id = c.guid("contact.memberId", value.get("memberId"), false).flatten();
        snapshot.name = c.string("contact.name", value.get("name"), 0, 200, false).flatten().filter(|s| !s.is_empty());
        snapshot.email =
            c.string("contact.email", value.get("email"), 0, 320, false).flatten().filter(|s| !s.is_empty());
        snapshot.picture = match value.get("picture") {
            Input::String(url) if url.chars().count() <= 2048 => {
                Some(Picture { url: url.clone(), height: 0, width: 0 })
            }
            p @ Input::Object(_) => {
                let url = c.required_string("contact.picture.url", p.get("url"), 0, 2048);
                let height = c.integer("contact.picture.height", p.get("height"), 0, 100_000, false).flatten();
                let width = c.integer("contact.picture.width", p.get("width"), 0, 100_000, false).flatten();
                url.map(|url| Picture { url, height: height.unwrap_or(0) as u32, width: width.unwrap_or(0) as u32 })
            }
            p if p.is_absent() => None,
            other => {
                c.fail(
                    "contact.picture",
                    "WRONG_TYPE",
                    format!("must be a URL string or {{ url, height, width }} (got {})", other.describe()),
                );
                None
            }
        };
    }
    c.finish().map_err(|e| {
        LoyaltyError::internal(
            "CONTACTS_ERROR",
            format!("the contacts resolver returned an invalid contact for {contact_id}: {}", e.description),
        )
    })?;
    Ok(snapshot)
}

pub fn resume_create(mut cmd: CreateAccountCommand, io: Io) -> Result<Step> {
    let contact = match (io, cmd.contact.clone()) {
        (Io::Contact(value), None) => {
            cmd.contact = Some(decode_contact(&cmd.contact_id, &value)?);
            return create_next(cmd);
        }
        (io @ Io::Read(_), Some(contact)) => (io, contact),
        _ => return Err(LoyaltyError::storage_protocol("unexpected answer while creating an account")),
    };
    let (io, contact) = contact;
    let expected = 2 + usize::from(contact.member_id.is_some());
    let values = machine::expect_read(io, expected)?;
    let mut values = values.into_iter();
    let (program, _) = read_program(values.next().flatten().as_ref())?;
    require_active(&program, "create an account")?;
    if let Some(existing) = values.next().flatten() {
        let index: IndexRecord = model::decode(&keys::contact_index(&cmd.contact_id), &existing.value)?;
        return Err(LoyaltyError::new(
            Code::AlreadyExists,
            "ACCOUNT_ALREADY_EXISTS",
            format!("contact {} already has loyalty account {}", cmd.contact_id, index.account_id),
        )
        .with_data(json!({ "contactId": cmd.contact_id, "accountId": index.account_id })));
    }
    if let (Some(member), Some(existing)) = (&contact.member_id, values.next().flatten()) {
        let index: IndexRecord = model::decode(&keys::member_index(member), &existing.value)?;
        return Err(LoyaltyError::new(
            Code::AlreadyExists,
            "MEMBER_ALREADY_HAS_ACCOUNT",
            format!("member {member} already has loyalty account {}", index.account_id),
        )
        .with_data(json!({ "memberId": member, "accountId": index.account_id })));
    }
    create_commit(cmd, contact, None)
}

/// The new account's writes, result and event; with `program_version`, the commit also checks
/// that the program is still at that version (it was not read for this call).
fn create_commit(cmd: CreateAccountCommand, contact: ContactSnapshot, program_version: Option<u64>) -> Result<Step> {
    let account = AccountRecord {
        schema: SCHEMA,
        id: cmd.account_id.clone(),
        contact_id: cmd.contact_id.clone(),
        points: Points::default(),
        tier_points: 0,
        revision: 1,
        created_ms: cmd.at.now_ms,
        updated_ms: cmd.at.now_ms,
        last_activity_ms: None,
        contact,
    };
    let index = model::encode(&IndexRecord { schema: SCHEMA, account_id: account.id.clone() })?;
    let mut writes = vec![
        Write::put(keys::account(&account.id), model::encode(&account)?, 0),
        Write::put(keys::contact_index(&account.contact_id), index.clone(), 0),
    ];
    if let Some(member) = &account.contact.member_id {
        writes.push(Write::put(keys::member_index(member), index, 0));
    }
    if let Some(version) = program_version {
        writes.push(Write::check(keys::PROGRAM, version));
    }
    let view_json = machine::json(&view::account(&account))?;
    let result = format!("{{\"account\":{view_json}}}");
    let events = if cmd.at.events {
        let spec = EventSpec {
            fqdn: "wix.loyalty.v1.account",
            slug: "created",
            event_type: "wix.loyalty.v1.account_created",
            entity_id: &account.id,
            sequence: Some(account.revision),
            now_ms: cmd.at.now_ms,
        };
        machine::events(&[machine::event(spec, "entity", &view_json)?])
    } else {
        "[]".into()
    };
    Ok(Step {
        request: Request::Commit(writes, Outcome { result, events }),
        state: State::CreateAccount(cmd),
        lock: None,
    })
}

fn require_active(program: &model::ProgramRecord, action: &str) -> Result<()> {
    if program.status == ProgramStatus::Active {
        Ok(())
    } else {
        let status = match program.status {
            ProgramStatus::Draft => "DRAFT",
            ProgramStatus::Paused => "PAUSED",
            ProgramStatus::Active => "ACTIVE",
        };
        Err(LoyaltyError::precondition(
            "PROGRAM_NOT_ACTIVE",
            format!("the loyalty program is {status}: it must be ACTIVE to {action}"),
        )
        .with_data(json!({ "status": status })))
    }
}

pub fn start_get(id: &Input) -> Result<Step> {
    let mut c = Check::default();
    let id = c.required_guid("_id", id).unwrap_or_default();
    c.finish()?;
    Ok(Step { request: Request::Read(vec![keys::account(&id)]), state: State::GetAccount(id), lock: None })
}

/// Decodes an account read back from `acct/<id>`; `NOT_FOUND` when absent.
pub fn read_account(id: &str, stored: Option<&Stored>) -> Result<(AccountRecord, u64)> {
    let key = keys::account(id);
    match stored {
        Some(s) => {
            let account: AccountRecord = model::decode(&key, &s.value)?;
            if account.id != id {
                return Err(LoyaltyError::corrupt(&key, format!("it holds account {}", account.id)));
            }
            Ok((account, s.version))
        }
        None => Err(LoyaltyError::not_found("ACCOUNT_NOT_FOUND", format!("loyalty account {id} does not exist"))
            .with_data(json!({ "accountId": id }))),
    }
}

pub fn resume_get(id: &str, io: Io) -> Result<Step> {
    let values = machine::expect_read(io, 1)?;
    let (account, _) = read_account(id, values.first().and_then(Option::as_ref))?;
    Ok(Step {
        request: Request::Done(Outcome::quiet(machine::json(&view::account(&account))?)),
        state: State::GetAccount(id.into()),
        lock: None,
    })
}

pub fn start_earn(account_id: &Input, options: &Input, ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let account_id = account_id_arg(&mut c, account_id, "accountId");
    let mut request = EarnRequest {
        account_id,
        amount: 0,
        app_id: String::new(),
        description: None,
        activity_type: None,
        order_id: None,
        channel: None,
    };
    let mut idempotency_key = String::new();
    if let Some(o) = c.object("options", options, true) {
        request.amount = c.integer("options.amount", o.get("amount"), 1, EARN_MAX, true).flatten().unwrap_or(0);
        request.app_id = c.required_string("options.appId", o.get("appId"), 1, 100).unwrap_or_default();
        idempotency_key =
            c.required_string("options.idempotencyKey", o.get("idempotencyKey"), 1, 256).unwrap_or_default();
        request.description = c.string("options.description", o.get("description"), 1, 100, false).flatten();
        request.activity_type = c.string("options.activityType", o.get("activityType"), 0, 100, false).flatten();
        request.order_id = c.string("options.orderId", o.get("orderId"), 0, 512, false).flatten();
        if let Some(f) = c.object("options.followedSocialMedia", o.get("followedSocialMedia"), false) {
            request.channel = c.required_string("options.followedSocialMedia.channel", f.get("channel"), 1, 32);
        }
    }
    c.finish()?;
    let cmd = EarnCommand { request, idempotency_key, transaction_id: fresh_id(ctx)?, at: ctx.stamp() };
    let lock = Some(keys::account(&cmd.request.account_id));
    Ok(Step { lock, ..earn_read(cmd) })
}

/// What an earn reads (first, and again after a conflict).
pub fn earn_read(cmd: EarnCommand) -> Step {
    Step {
        request: Request::Read(vec![
            keys::PROGRAM.into(),
            keys::account(&cmd.request.account_id),
            keys::idempotency(&cmd.idempotency_key),
        ]),
        state: State::Earn(cmd),
        lock: None,
    }
}

fn checked(value: Option<i64>, what: &str) -> Result<i64> {
    match value {
        Some(v) if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&v) => Ok(v),
        _ => Err(LoyaltyError::precondition(
            "POINTS_LIMIT_EXCEEDED",
            format!("{what} would leave the range of safe integers (±{MAX_SAFE_INTEGER})"),
        )),
    }
}

/// Moves `delta` points into the account and records the change. Returns the time of the
/// change: never earlier than the account's last change, so an account's ledger stays in time
/// order even when the clocks of several backends disagree a little.
fn apply_delta(account: &mut AccountRecord, delta: i64, kind: TransactionType, now_ms: i64) -> Result<i64> {
    let now_ms = now_ms.max(account.updated_ms);
    let p = &mut account.points;
    p.balance = checked(p.balance.checked_add(delta), "the balance")?;
    match kind {
        TransactionType::Earn => p.earned = checked(p.earned.checked_add(delta), "points.earned")?,
        TransactionType::Adjust => p.adjusted = checked(p.adjusted.checked_add(delta), "points.adjusted")?,
    }
    account.tier_points = checked(account.tier_points.checked_add(delta), "tier.points")?;
    account.revision += 1;
    account.updated_ms = now_ms;
    account.last_activity_ms = Some(now_ms);
    Ok(now_ms)
}

/// `{ account, transactionId }` around the account's view JSON.
fn points_result(view_json: &str, transaction_id: &str) -> String {
    format!("{{\"account\":{view_json},\"transactionId\":\"{transaction_id}\"}}")
}

/// The writes and events of one balance change: the account, the transaction in its three
/// places (by id, in the account's ledger, in time order), plus `extra`.
fn commit_change(
    account: &AccountRecord,
    version: u64,
    txn: &TransactionRecord,
    extra: Option<Write>,
    at: Stamp,
    state: State,
) -> Result<Step> {
    let txn_json = model::encode(txn)?;
    let mut writes = vec![
        Write::put(keys::account(&account.id), model::encode(account)?, version),
        Write::put(keys::transaction(&txn.id), txn_json.clone(), 0),
        Write::put(keys::account_ledger(&account.id, account.revision), txn_json.clone(), 0),
        Write::put(keys::time_ledger(txn.created_ms, &account.id, account.revision), txn_json, 0),
    ];
    writes.extend(extra);
    let view_json = machine::json(&view::account(account))?;
    let events = if at.events {
        let spec = |slug, event_type| EventSpec {
            fqdn: "wix.loyalty.v1.account",
            slug,
            event_type,
            entity_id: &account.id,
            sequence: Some(account.revision),
            now_ms: txn.created_ms,
        };
        let data = format!("{{\"account\":{view_json}}}");
        machine::events(&[
            machine::event(spec("points_updated", "wix.loyalty.v1.account_points_updated"), "data", &data)?,
            machine::event(spec("updated", "wix.loyalty.v1.account_updated"), "entity", &view_json)?,
        ])
    } else {
        "[]".into()
    };
    Ok(Step {
        request: Request::Commit(writes, Outcome { result: points_result(&view_json, &txn.id), events }),
        state,
        lock: None,
    })
}

/// A fresh id that is already taken: the host's id generator is broken.
pub fn id_collision(id: &str, what: &str) -> LoyaltyError {
    LoyaltyError::internal("ID_COLLISION", format!("the id generator returned {id}, which {what} already uses"))
}

/// After a conflict on `key`: a changed account or a concurrent earn with the same key is read
/// again; a taken transaction id is a broken id generator; any other key of a new ledger entry
/// cannot exist unless the store was altered, and retrying would not help.
fn retry_after(
    key: &str,
    account_id: &str,
    transaction_id: &str,
    idempotency: Option<&str>,
    read: Step,
) -> Result<Step> {
    if key == keys::account(account_id) || idempotency.is_some_and(|k| key == keys::idempotency(k)) {
        Ok(read)
    } else if key == keys::transaction(transaction_id) {
        Err(id_collision(transaction_id, "a transaction"))
    } else {
        Err(LoyaltyError::internal(
            "CORRUPT_STORE",
            format!(
                "storage key {} already exists, though account {account_id}'s revision says it cannot: run verify()",
                quoted(key)
            ),
        )
        .with_data(json!({ "key": key, "accountId": account_id })))
    }
}

pub fn earn_retry(cmd: EarnCommand, key: &str) -> Result<Step> {
    let (account, txn, idem) =
        (cmd.request.account_id.clone(), cmd.transaction_id.clone(), cmd.idempotency_key.clone());
    retry_after(key, &account, &txn, Some(&idem), earn_read(cmd))
}

pub fn adjust_retry(cmd: AdjustCommand, key: &str) -> Result<Step> {
    let (account, txn) = (cmd.account_id.clone(), cmd.transaction_id.clone());
    retry_after(key, &account, &txn, None, adjust_read(cmd))
}

pub fn resume_earn(cmd: EarnCommand, io: Io) -> Result<Step> {
    let values = machine::expect_read(io, 3)?;
    let [program, account, idem]: [Option<Stored>; 3] = values
        .try_into()
        .map_err(|_| LoyaltyError::storage_protocol("storage.read returned the wrong number of entries"))?;
    let key = keys::idempotency(&cmd.idempotency_key);
    if let Some(idem) = idem {
        let record: IdempotencyRecord = model::decode(&key, &idem.value)?;
        if record.request != cmd.request {
            return Err(LoyaltyError::precondition(
                "IDEMPOTENCY_KEY_REUSED",
                format!(
                    "idempotency key {} was already used by a different earnPoints request (transaction {})",
                    quoted(&cmd.idempotency_key),
                    record.transaction_id
                ),
            )
            .with_data(json!({ "idempotencyKey": cmd.idempotency_key, "transactionId": record.transaction_id })));
        }
        return Ok(Step {
            request: Request::Done(Outcome::quiet(points_result(
                &machine::json(&view::account(&record.account))?,
                &record.transaction_id,
            ))),
            state: State::Earn(cmd),
            lock: None,
        });
    }
    let (mut account, version) = read_account(&cmd.request.account_id, account.as_ref())?;
    let (program, _) = read_program(program.as_ref())?;
    require_active(&program, "earn points")?;
    let now_ms = apply_delta(&mut account, cmd.request.amount, TransactionType::Earn, cmd.at.now_ms)?;
    let r = &cmd.request;
    let txn = TransactionRecord {
        schema: SCHEMA,
        id: cmd.transaction_id.clone(),
        account_id: account.id.clone(),
        account_revision: account.revision,
        created_ms: now_ms,
        amount: r.amount,
        transaction_type: TransactionType::Earn,
        description: r.description.clone().unwrap_or_default(),
        idempotency_key: cmd.idempotency_key.clone(),
        earn_info: Some(EarnInfo {
            app_id: r.app_id.clone(),
            activity_type: r.activity_type.clone().unwrap_or_default(),
            order_id: r.order_id.clone(),
            channel: r.channel.clone(),
        }),
        adjust_info: None,
    };
    let idem = IdempotencyRecord {
        schema: SCHEMA,
        request: cmd.request.clone(),
        transaction_id: txn.id.clone(),
        account: account.clone(),
    };
    let idem_write = Write::put(key, model::encode(&idem)?, 0);
    commit_change(&account, version, &txn, Some(idem_write), cmd.at, State::Earn(cmd))
}

pub fn start_adjust(account_id: &Input, options: &Input, ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let account_id = account_id_arg(&mut c, account_id, "accountId");
    let mut adjustment = None;
    let mut description = None;
    let mut revision = None;
    match c.object("options", options, false) {
        Some(o) => {
            if !o.get("balance").is_absent() {
                adjustment = c
                    .integer("options.balance", o.get("balance"), 0, ADJUST_BALANCE_MAX, true)
                    .flatten()
                    .map(Adjustment::SetBalance);
            } else if !o.get("amount").is_absent() {
                match c
                    .integer("options.amount", o.get("amount"), -ADJUST_AMOUNT_MAX, ADJUST_AMOUNT_MAX, true)
                    .flatten()
                {
                    Some(0) => c.fail(
                        "options.amount",
                        "ZERO_AMOUNT",
                        "must not be 0 (use a non-zero change, or options.balance)",
                    ),
                    other => adjustment = other.map(Adjustment::Change),
                }
            } else {
                c.fail(
                    "options.amount",
                    "MISSING_ADJUSTMENT",
                    "or options.balance is required: give the change (amount) or the new balance",
                );
            }
            description = c.string("options.description", o.get("description"), 1, 100, false).flatten();
            revision = c.revision("options.revision", o.get("revision")).flatten();
        }
        None if c.is_ok() => c.fail(
            "options.amount",
            "MISSING_ADJUSTMENT",
            "or options.balance is required: give the change (amount) or the new balance",
        ),
        None => {}
    }
    c.finish()?;
    let cmd = AdjustCommand {
        account_id,
        adjustment: adjustment.unwrap_or(Adjustment::Change(0)),
        description,
        revision,
        transaction_id: fresh_id(ctx)?,
        at: ctx.stamp(),
    };
    let lock = Some(keys::account(&cmd.account_id));
    Ok(Step { lock, ..adjust_read(cmd) })
}

/// What an adjustment reads (first, and again after a conflict).
pub fn adjust_read(cmd: AdjustCommand) -> Step {
    Step { request: Request::Read(vec![keys::account(&cmd.account_id)]), state: State::Adjust(cmd), lock: None }
}

pub fn resume_adjust(cmd: AdjustCommand, io: Io) -> Result<Step> {
    let values = machine::expect_read(io, 1)?;
    let (mut account, version) = read_account(&cmd.account_id, values.first().and_then(Option::as_ref))?;
    if let Some(expected) = cmd.revision {
        if expected != account.revision {
            return Err(LoyaltyError::new(
                Code::Aborted,
                "REVISION_MISMATCH",
                format!(
                    "options.revision is {expected} but account {} is at revision {}: read the account again and retry",
                    account.id, account.revision
                ),
            )
            .with_data(json!({ "accountId": account.id, "expectedRevision": expected.to_string(), "currentRevision": account.revision.to_string() })));
        }
    }
    let before = account.points.balance;
    let after = match cmd.adjustment {
        Adjustment::SetBalance(b) => b,
        Adjustment::Change(d) => checked(before.checked_add(d), "the balance")?,
    };
    if after < 0 {
        return Err(LoyaltyError::precondition(
            "INSUFFICIENT_POINTS",
            format!(
                "account {} has {before} points; removing {} would make the balance negative",
                account.id,
                before - after
            ),
        )
        .with_data(json!({ "accountId": account.id, "balance": before, "amount": after - before })));
    }
    let now_ms = apply_delta(&mut account, after - before, TransactionType::Adjust, cmd.at.now_ms)?;
    let txn = TransactionRecord {
        schema: SCHEMA,
        id: cmd.transaction_id.clone(),
        account_id: account.id.clone(),
        account_revision: account.revision,
        created_ms: now_ms,
        amount: after - before,
        transaction_type: TransactionType::Adjust,
        description: cmd.description.clone().unwrap_or_default(),
        idempotency_key: cmd.transaction_id.clone(),
        earn_info: None,
        adjust_info: Some(AdjustInfo { app_id: LOYALTY_APP_ID.into(), amount_before: before, amount_after: after }),
    };
    commit_change(&account, version, &txn, None, cmd.at, State::Adjust(cmd))
}
