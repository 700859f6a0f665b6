//! `adjustPoints(accountId, options)`: works in every program status (an admin correction).
//! `balance` wins over `amount`; setting the balance to its current value still records an
//! `ADJUST` of 0. No balance goes below zero (`INSUFFICIENT_POINTS`; nothing is clamped), and a
//! stale `revision` is refused (`ABORTED` / `REVISION_MISMATCH`).

use super::arg;
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{expect_read, Context, Io, Machine, Outcome, Request, Stamp, Step};
use crate::core::reason::Reason;
use crate::core::records::{AccountRecord, AdjustInfo, TransactionRecord, TransactionType, LOYALTY_APP_ID};
use crate::core::rules::availability;
use crate::core::rules::ledger::{self, apply_delta, change_outcome, change_writes};
use crate::core::rules::lookup;
use crate::core::validate::Check;

pub const ADJUST_AMOUNT_MAX: i64 = 9_999_999;
pub const ADJUST_BALANCE_MAX: i64 = 999_999_999;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    SetBalance(i64),
    Change(i64),
}

impl Adjustment {
    /// The balance after adjusting `before`, or why not.
    pub fn apply(self, account: &AccountRecord) -> Result<i64> {
        let after = match self {
            Adjustment::SetBalance(b) => b,
            Adjustment::Change(d) => ledger::add(account.points.balance, d)?,
        };
        if after < 0 {
            return Err(ledger::insufficient(account, after));
        }
        Ok(after)
    }
}

/// `{ balance } | { amount }` of `options` (`balance` wins); `prefix` is the argument path.
pub fn parse_adjustment(c: &mut Check, prefix: &str, o: &Input) -> Option<Adjustment> {
    let field = |name: &str| format!("{prefix}.{name}");
    if !o.get("balance").is_absent() {
        c.integer(&field("balance"), o.get("balance"), 0, ADJUST_BALANCE_MAX, true)
            .flatten()
            .map(Adjustment::SetBalance)
    } else if !o.get("amount").is_absent() {
        match c.integer(&field("amount"), o.get("amount"), -ADJUST_AMOUNT_MAX, ADJUST_AMOUNT_MAX, true).flatten() {
            Some(0) => {
                c.fail(
                    &field("amount"),
                    Reason::ZeroAmount,
                    format!("must not be 0 (use a non-zero change, or {prefix}.balance)"),
                );
                None
            }
            other => other.map(Adjustment::Change),
        }
    } else {
        missing_adjustment(c, prefix);
        None
    }
}

fn missing_adjustment(c: &mut Check, prefix: &str) {
    c.fail(
        &format!("{prefix}.amount"),
        Reason::MissingAdjustment,
        format!("or {prefix}.balance is required: give the change (amount) or the new balance"),
    );
}

/// One adjustment's ledger entry.
pub fn transaction(
    id: &str,
    account: &AccountRecord,
    before: i64,
    after: i64,
    description: Option<&str>,
    now_ms: i64,
) -> TransactionRecord {
    let description = description.unwrap_or_default().to_string();
    let mut txn = ledger::entry(account, id, now_ms, after - before, TransactionType::Adjust, description, id.into());
    txn.adjust_info = Some(AdjustInfo { app_id: LOYALTY_APP_ID.into(), amount_before: before, amount_after: after });
    txn
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adjust {
    account_id: String,
    adjustment: Adjustment,
    description: Option<String>,
    revision: Option<u64>,
    transaction_id: String,
    at: Stamp,
}

pub fn start(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let account_id = c.required_guid("accountId", arg(args, 0)).unwrap_or_default();
    let (mut adjustment, mut description, mut revision) = (None, None, None);
    match c.object("options", arg(args, 1), false) {
        Some(o) => {
            adjustment = parse_adjustment(&mut c, "options", o);
            description = c.string("options.description", o.get("description"), 1, 100, false).flatten();
            revision = c.revision("options.revision", o.get("revision")).flatten();
        }
        None if c.is_ok() => missing_adjustment(&mut c, "options"),
        None => {}
    }
    c.finish()?;
    let op = Adjust {
        account_id,
        adjustment: adjustment.unwrap_or(Adjustment::Change(0)),
        description,
        revision,
        transaction_id: ctx.fresh_id(0)?,
        at: ctx.stamp(),
    };
    let lock = vec![crate::core::records::keys::account(&op.account_id)];
    Ok(read(op).locking(lock))
}

/// What an adjustment reads (first, and again after a conflict).
fn read(op: Adjust) -> Step {
    let keys = crate::core::records::keys::account(&op.account_id);
    Step::new(Request::Read(vec![keys, crate::core::records::keys::REWARD_PRICES.into()]), op)
}

impl Machine for Adjust {
    fn resume(self: Box<Self>, io: Io) -> Result<Step> {
        let values = expect_read(io, 2)?;
        let (mut account, version) = lookup::read_account(&self.account_id, values.first().and_then(Option::as_ref))?;
        let (prices, prices_version) = availability::read(values.get(1).and_then(Option::as_ref))?;
        if let Some(expected) = self.revision {
            if expected != account.revision {
                return Err(LoyaltyError::revision_mismatch(
                    "options.revision",
                    "account",
                    "accountId",
                    &account.id,
                    expected,
                    account.revision,
                ));
            }
        }
        let before = account.points.balance;
        let after = self.adjustment.apply(&account)?;
        let now_ms = apply_delta(&mut account, after - before, TransactionType::Adjust, self.at.now_ms)?;
        let settled = availability::settle(&mut account, &prices, now_ms);
        let txn = transaction(&self.transaction_id, &account, before, after, self.description.as_deref(), now_ms);
        let mut writes = change_writes(&account, version, &txn, settled.due_moved)?;
        writes.push(availability::check(prices_version));
        let (result, events) = change_outcome(&account, &txn, settled.flipped, self.at)?;
        Ok(Step::new(Request::Commit(writes, Outcome { result, events }), *self))
    }

    fn conflict(self: Box<Self>, key: &str) -> Result<Step> {
        ledger::retry_after(key, &self.account_id, &self.transaction_id, None)?;
        Ok(read(*self))
    }
}
