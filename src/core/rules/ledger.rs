//! How points move: every balance change updates the account (counters, revision, dates) and
//! writes one transaction in its three places (by id, in the account's ledger, in time order).

use super::events;
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::quoted;
use crate::core::protocol::{Stamp, Write};
use crate::core::reason::Reason;
use crate::core::records::{json, keys, AccountRecord, TransactionRecord, TransactionType};
use crate::core::validate::MAX_SAFE_INTEGER;

fn checked(value: Option<i64>, what: &str) -> Result<i64> {
    match value {
        Some(v) if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&v) => Ok(v),
        _ => Err(crate::core::records::points_limit_exceeded(what)),
    }
}

/// `balance + delta`, checked against the safe-integer range.
pub fn add(balance: i64, delta: i64) -> Result<i64> {
    checked(balance.checked_add(delta), "the balance")
}

/// Moves `delta` points into the account and records the change. Returns the time of the
/// change: never earlier than the account's last change, so an account's ledger stays in time
/// order even when the clocks of several backends disagree a little.
pub fn apply_delta(account: &mut AccountRecord, delta: i64, kind: TransactionType, now_ms: i64) -> Result<i64> {
    // (A record from before tiers counts its lifetime tier points at its last activity before this.)
    super::tiering::convert_legacy(account);
    let now_ms = now_ms.max(account.updated_ms);
    let p = &mut account.points;
    p.balance = add(p.balance, delta)?;
    match kind {
        TransactionType::Earn => p.earned = checked(p.earned.checked_add(delta), "points.earned")?,
        TransactionType::Adjust => p.adjusted = checked(p.adjusted.checked_add(delta), "points.adjusted")?,
        // A redemption spends (delta < 0) and a refund gives back (delta > 0): `redeemed` counts
        // what is spent and not given back.
        TransactionType::Redeem | TransactionType::Refund => {
            p.redeemed = checked(p.redeemed.checked_sub(delta), "points.redeemed")?
        }
        TransactionType::Expire => p.expired = checked(p.expired.checked_sub(delta), "points.expired")?,
    }
    // Tier points count what is earned and adjusted only (`availability::settle` then sums the
    // window).
    if matches!(kind, TransactionType::Earn | TransactionType::Adjust) {
        super::tiering::add(account, delta, now_ms)?;
    }
    crate::core::records::bump(&mut account.revision, "account's revision")?;
    account.updated_ms = now_ms;
    account.last_activity_ms = Some(now_ms);
    Ok(now_ms)
}

/// A ledger entry of `account` as [`apply_delta`] left it (its revision, its place in the
/// ledger): `amount` points of `kind` at `now_ms`, with no info; the caller adds the one its kind
/// carries.
pub fn entry(
    account: &AccountRecord,
    id: &str,
    now_ms: i64,
    amount: i64,
    kind: TransactionType,
    description: String,
    idempotency_key: String,
) -> TransactionRecord {
    TransactionRecord {
        schema: crate::core::records::SCHEMA,
        id: id.to_string(),
        account_id: account.id.clone(),
        account_revision: account.revision,
        created_ms: now_ms,
        amount,
        transaction_type: kind,
        description,
        idempotency_key,
        earn_info: None,
        adjust_info: None,
        redeem_info: None,
        refund_info: None,
    }
}

/// A refused balance change: the result would be negative.
pub fn insufficient(account: &AccountRecord, after: i64) -> LoyaltyError {
    let before = account.points.balance;
    LoyaltyError::precondition(
        Reason::InsufficientPoints,
        format!(
            "account {} has {before} points; removing {} would make the balance negative",
            account.id,
            before - after
        ),
    )
    .with_data(&[("accountId", &account.id), ("balance", &before), ("amount", &(after - before))])
}

/// The writes of one balance change: the account (conditional on `version`), the transaction in
/// its three places, and the account's `due/` entry when its due time moved (`due_moved`, from
/// `availability::settle`).
pub fn change_writes(
    account: &AccountRecord,
    version: u64,
    txn: &TransactionRecord,
    due_moved: bool,
) -> Result<Vec<Write>> {
    change_writes_with(account, json::account(account), version, txn, due_moved)
}

/// [`change_writes`] with the account's record text already written (`json::account`).
pub fn change_writes_with(
    account: &AccountRecord,
    account_json: String,
    version: u64,
    txn: &TransactionRecord,
    due_moved: bool,
) -> Result<Vec<Write>> {
    let txn_json = json::transaction(txn);
    // The next call on this account reads back exactly this text: it need not parse it.
    super::lookup::remember_account(&account_json, account);
    let mut writes = vec![
        Write::put(keys::account(&account.id), account_json, version),
        Write::put(keys::transaction(&txn.id), txn_json.clone(), 0),
        Write::put(keys::account_ledger(&account.id, account.revision), txn_json.clone(), 0),
        Write::put(keys::time_ledger(txn.created_ms, &account.id, account.revision), txn_json, 0),
    ];
    if due_moved {
        writes.extend(super::expiry::index(account));
    }
    Ok(writes)
}

/// The result (`{ account, transactionId }`) and events of one balance change; `flipped`: its
/// `rewardAvailable` flipped ([`super::availability::settle`]).
pub fn change_outcome(
    account: &AccountRecord,
    txn: &TransactionRecord,
    flipped: bool,
    at: Stamp,
) -> Result<(String, String)> {
    let events = if at.events { events::list(&change_events(account, txn, flipped)?) } else { "[]".into() };
    Ok((json::account_answer(account, Some(&txn.id), at.packed), events))
}

/// The events of one balance change (when the host listens): `account_points_updated` and
/// `account_updated`, and the flag's flip (`BALANCE_UPDATED`) when `flipped`.
pub fn change_events(account: &AccountRecord, txn: &TransactionRecord, flipped: bool) -> Result<Vec<String>> {
    let view_json = json::account_view(account);
    let mut list = events::points_changed(&account.id, account.event_sequence(), txn.created_ms, &view_json)?;
    if flipped {
        list.push(super::availability::event(account, super::availability::Trigger::Balance, txn.created_ms)?);
    }
    Ok(list)
}

/// A fresh id that is already taken: the host's id generator is broken.
pub fn id_collision(id: &str, what: &str) -> LoyaltyError {
    LoyaltyError::internal(Reason::IdCollision, format!("the id generator returned {id}, which {what} already uses"))
}

/// A key of a new ledger entry exists although the account's revision says it cannot: the store
/// was altered, and retrying would not help.
pub fn corrupt_store(key: &str, account_id: &str) -> LoyaltyError {
    LoyaltyError::internal(
        Reason::CorruptStore,
        format!(
            "storage key {} already exists, though account {account_id}'s revision says it cannot: run verify()",
            quoted(key)
        ),
    )
    .with_data(&[("key", &key), ("accountId", &account_id)])
}

/// After a conflict on `key` of a single-account change: a changed account (or a concurrent
/// earn with the same idempotency key, or a reward change that moved `reward-prices`) is read
/// again; a taken transaction id is a broken id generator; any other key means a corrupt store.
pub fn retry_after(key: &str, account_id: &str, transaction_id: &str, idempotency: Option<&str>) -> Result<()> {
    if key == keys::account(account_id)
        || key == keys::REWARD_PRICES
        || idempotency.is_some_and(|k| key == keys::idempotency(k))
    {
        Ok(())
    } else if key == keys::transaction(transaction_id) {
        Err(id_collision(transaction_id, "a transaction"))
    } else {
        Err(corrupt_store(key, account_id))
    }
}
