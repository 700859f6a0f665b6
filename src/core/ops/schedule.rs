//! `runScheduledWork()`: the work that falls due with time (points expiring, tier windows
//! rolling; the rules are in [`crate::core::rules::expiry`]).
//!
//! **`runScheduledWork()`** walks the index from its cursor (`due-cursor`) up to now, 100
//! entries a batch: it reads their accounts, and for each account due (its `dueMs` ≤ now) rolls
//! its tier window, expires its points when their date has come, and plans it again. Each batch
//! commits the accounts conditionally on the versions read (with their ledger entries, new index
//! entries and events), a check of `reward-prices`, and the cursor. An account is expired once
//! however many runs race (a second finds it no longer due), and a run killed mid-way leaves
//! every committed batch done and the rest to the next run. The cursor stays an hour behind
//! now, so an entry written by a backend whose clock lags (by less than that) is still found;
//! the entries of that last hour are looked at again by the next run (and skipped).

use crate::core::error::{LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{
    expect_ids, expect_read, expect_scan, Batch, Context, Io, Machine, Request, ScanRequest, Stamp, Step, Write,
};
use crate::core::reason::Reason;
use crate::core::records::{self, json, keys, AccountRecord, AdjustInfo, PricesRecord, TransactionType};
use crate::core::rules::availability::{self, Trigger};
use crate::core::rules::events;
use crate::core::rules::expiry::{expiring_amount, index, parse_key, plan};
use crate::core::rules::ledger::{self, apply_delta, change_writes};

/// Index entries read per batch.
pub const BATCH: u32 = 100;

/// How far behind now the cursor stays (see the module's comment).
pub const CURSOR_LAG_MS: i64 = 3_600_000;

// ------------------------------------------------------------------ runScheduledWork

/// What a run did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Tally {
    scanned: u64,
    expired_accounts: u64,
    expired_points: i64,
    updated_accounts: u64,
}

impl Tally {
    fn json(&self) -> String {
        format!(
            "{{\"checkedAccounts\":{},\"expiredAccounts\":{},\"expiredPoints\":{},\"updatedAccounts\":{}}}",
            self.scanned, self.expired_accounts, self.expired_points, self.updated_accounts
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Reading `due-cursor` and `reward-prices`.
    Starting,
    /// Scanning the index after `after`.
    Scanning,
    /// Fresh transaction ids, one per account in `keys` (for those whose points expire).
    Ids,
    /// Reading the accounts in `keys`.
    Reading,
    /// Committing a batch: `pending` once it is committed.
    Committing,
}

#[derive(Debug, Clone)]
pub struct RunScheduled {
    at: Stamp,
    /// The stored cursor and its version (0: absent).
    cursor: Option<String>,
    cursor_version: u64,
    prices: PricesRecord,
    prices_version: u64,
    /// The last entry this run has looked at.
    after: Option<String>,
    tally: Tally,
    stage: Stage,
    /// The batch: the keys of its accounts, their transaction ids, its last entry, the last entry
    /// the cursor may pass, whether the index has nothing more due.
    keys: Vec<String>,
    ids: Vec<String>,
    last: Option<String>,
    passed: Option<String>,
    exhausted: bool,
    /// The tally and the cursor (with its version) once the batch is committed.
    pending: (Tally, Option<(String, u64)>),
}

pub fn run(_: &[Input], ctx: &Context) -> Result<Step> {
    Ok(start(RunScheduled {
        at: ctx.stamp(),
        cursor: None,
        cursor_version: 0,
        prices: PricesRecord::empty(),
        prices_version: 0,
        after: None,
        tally: Tally::default(),
        stage: Stage::Starting,
        keys: Vec::new(),
        ids: Vec::new(),
        last: None,
        passed: None,
        exhausted: false,
        pending: (Tally::default(), None),
    }))
}

fn start(mut op: RunScheduled) -> Step {
    op.stage = Stage::Starting;
    Step::new(Request::Read(vec![keys::DUE_CURSOR.into(), keys::REWARD_PRICES.into()]), op)
}

fn cursor_json(cursor: &str) -> String {
    format!("{{\"schema\":{},\"cursor\":{}}}", records::SCHEMA, crate::core::input::quoted(cursor))
}

fn read_cursor(text: &str) -> Result<String> {
    Input::parse(text.as_bytes())
        .and_then(|v| v.get("cursor").text().map(str::to_string))
        .ok_or_else(|| LoyaltyError::corrupt(keys::DUE_CURSOR, "it holds no cursor"))
}

impl RunScheduled {
    fn request(&self) -> ScanRequest {
        ScanRequest { prefix: keys::DUE_PREFIX.into(), after: self.after.clone(), limit: BATCH, reverse: false }
    }

    fn scan(mut self) -> Step {
        self.stage = Stage::Scanning;
        Step::new(Request::Scan(self.request()), self)
    }

    fn finish(self) -> Step {
        Step::done(self.tally.json())
    }

    /// Expires, rolls and plans the accounts due, and commits them with the cursor.
    fn commit(mut self, accounts: Vec<(AccountRecord, u64)>) -> Result<Step> {
        let now = self.at.now_ms;
        let mut tally = self.tally;
        tally.scanned += self.keys.len() as u64;
        let mut writes = Vec::new();
        let mut list = Vec::new();
        let mut ids = std::mem::take(&mut self.ids).into_iter();
        for (mut account, version) in accounts {
            let date_passed = account.expiring.is_some_and(|(ms, _)| ms <= now);
            if let (true, Some((_, percentage))) = (date_passed, self.prices.expiration) {
                let Some(id) = ids.next() else {
                    return Err(LoyaltyError::internal(Reason::InvalidState, "an expiration without a transaction id"));
                };
                let before = account.points.balance;
                let amount = expiring_amount(before, percentage);
                let at = apply_delta(&mut account, -amount, TransactionType::Expire, now)?;
                let description = "Expired after months of inactivity".to_string();
                let mut txn =
                    ledger::entry(&account, &id, at, -amount, TransactionType::Expire, description, id.clone());
                txn.adjust_info =
                    Some(AdjustInfo { app_id: String::new(), amount_before: before, amount_after: before - amount });
                let settled = availability::settle(&mut account, &self.prices, at);
                writes.extend(change_writes(&account, version, &txn, settled.due_moved)?);
                tally.expired_accounts += 1;
                tally.expired_points += amount;
                if self.at.events {
                    list.extend(ledger::change_events(&account, &txn, settled.flipped)?);
                }
                continue;
            }
            // The tier window rolled (or the settings moved on since the account was planned).
            let shown = (account.tier.id.clone(), account.tier_points, account.expiring);
            crate::core::rules::tiering::settle(&mut account, &self.prices, now);
            let flipped = availability::flag(&mut account, &self.prices);
            let due_moved = plan(&mut account, &self.prices, now);
            let updated = shown != (account.tier.id.clone(), account.tier_points, account.expiring);
            availability::recalculated(&mut account, updated, flipped, Trigger::Tiers, self.at, &mut list)?;
            writes.push(Write::put(keys::account(&account.id), json::account(&account), version));
            if due_moved {
                writes.extend(index(&account));
            }
            tally.updated_accounts += 1;
        }
        writes.push(availability::check(self.prices_version));
        let cursor = match self.passed.take() {
            Some(key) if self.cursor.as_ref().is_none_or(|c| key > *c) => {
                writes.push(Write::put(keys::DUE_CURSOR, cursor_json(&key), self.cursor_version));
                Some((key, self.cursor_version + 1))
            }
            _ => None,
        };
        let batch = Batch { events: events::list(&list), progress: tally.json() };
        self.pending = (tally, cursor);
        self.stage = Stage::Committing;
        Ok(Step::new(Request::Batch(writes, batch), self))
    }
}

impl Machine for RunScheduled {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        let now = self.at.now_ms;
        match self.stage {
            Stage::Starting => {
                let mut values = expect_read(io, 2)?.into_iter();
                let (cursor, prices) = (values.next().flatten(), values.next().flatten());
                (self.cursor, self.cursor_version) = match cursor {
                    Some(stored) => (Some(read_cursor(&stored.value)?), stored.version),
                    None => (None, 0),
                };
                let (prices, version) = availability::read(prices.as_ref())?;
                self.prices = PricesRecord::clone(&prices);
                self.prices_version = version;
                // Carry on past what another run has done meanwhile.
                if self.cursor > self.after {
                    self.after.clone_from(&self.cursor);
                }
                Ok(self.scan())
            }
            Stage::Scanning => {
                let request = self.request();
                let rows = expect_scan(io, &request)?;
                self.exhausted = (rows.len() as u32) < request.limit;
                self.keys.clear();
                self.last = None;
                self.passed = None;
                for row in &rows {
                    let (ms, account) = parse_key(&row.key)
                        .ok_or_else(|| LoyaltyError::corrupt(&row.key, "it is not an entry of the due index"))?;
                    if ms > now {
                        self.exhausted = true;
                        break;
                    }
                    if ms <= now - CURSOR_LAG_MS {
                        self.passed = Some(row.key.clone());
                    }
                    self.last = Some(row.key.clone());
                    let key = keys::account(account);
                    if !self.keys.contains(&key) {
                        self.keys.push(key);
                    }
                }
                if self.last.is_none() {
                    return Ok(self.finish());
                }
                self.stage = Stage::Ids;
                Ok(Step::new(Request::Ids(self.keys.len() as u32), *self))
            }
            Stage::Ids => {
                self.ids = expect_ids(io, self.keys.len())?;
                self.stage = Stage::Reading;
                Ok(Step::new(Request::Read(self.keys.clone()), *self))
            }
            Stage::Reading => {
                let mut accounts = Vec::new();
                for (key, stored) in self.keys.iter().zip(expect_read(io, self.keys.len())?) {
                    // (An entry of an account that is not there names nothing due.)
                    let Some(stored) = stored else { continue };
                    let account = crate::core::query::fields::decode_account(key, &stored.value)?;
                    if account.due_ms.is_some_and(|d| d <= now) {
                        accounts.push((account, stored.version));
                    }
                }
                self.commit(accounts)
            }
            Stage::Committing => match io {
                Io::Committed => {
                    let (tally, cursor) = std::mem::take(&mut self.pending);
                    self.tally = tally;
                    self.after = self.last.take();
                    if let Some((key, version)) = cursor {
                        self.cursor = Some(key);
                        self.cursor_version = version;
                    }
                    Ok(if self.exhausted { self.finish() } else { self.scan() })
                }
                _ => Err(LoyaltyError::storage_protocol("expected the outcome of a commit")),
            },
        }
    }

    /// An account changed under the batch, another run moved the cursor, or the settings
    /// moved: read the cursor and prices again and take the batch again (accounts it expired
    /// are no longer due). A taken transaction id is a broken id generator.
    fn conflict(self: Box<Self>, key: &str) -> Result<Step> {
        if key.starts_with("txn/") {
            return Err(ledger::id_collision(key.trim_start_matches("txn/"), "a transaction"));
        }
        Ok(start(*self))
    }
}
