//! `bulkAdjustPoints({ search?, balance? | amount? })`: the same adjustment for every account
//! that `search` (`{ filter?, search? }`, as `countAccounts` takes) selects, run as a job.
//!
//! The job record (`job/<id>`) is created first; then the accounts are taken in key order, 100
//! at a time, and each batch commits its adjustments (account, transaction in its three
//! places) together with the job record's new position, conditionally on the versions read.
//! So a batch is applied at most once however many processes run the job: one that finds the
//! job record moved on reads it again and continues from there. A job stopped by a crash is
//! continued by `resumeJobs()`. An account the adjustment cannot apply to (its balance would go
//! below zero, or leave the safe-integer range) is counted as failed and listed in the job
//! record; the others are adjusted. Resolves to `{ asyncJobId }` once the job has finished;
//! `getJob(asyncJobId)` tells what it did.
//!
//! The same machine runs the `rewardAvailability` job (see [`crate::core::rules::availability`]): no
//! adjustment, only each account's `rewardAvailable` set from its balance, and the accounts it
//! leaves alone checked at the version scanned. Every batch of either kind commits with a check
//! that `reward-prices` is still at the version the job read, and reads it again when not.

use super::adjust::{self, parse_adjustment, Adjustment};
use super::query_accounts::parse_selection;
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{
    expect_ids, expect_read, expect_scan, Batch, Context, Io, Machine, Request, ScanRequest, Stamp, Step, Write,
};
use crate::core::query::fields::ACCOUNTS;
use crate::core::query::filter::{matches, Filter};
use crate::core::reason::Reason;
use crate::core::records::job::{JobFailure, MAX_LISTED_FAILURES};
use crate::core::records::{
    self, encode, keys, view, AccountRecord, JobRecord, JobStatus, PricesRecord, TransactionType, SCHEMA,
};
use crate::core::rules::availability;
use crate::core::rules::events;
use crate::core::rules::ledger::{apply_delta, change_writes};
use crate::core::validate::Check;

pub const KIND: &str = "bulkAdjustPoints";

/// Accounts read per batch.
pub const BATCH: u32 = 100;

#[derive(Debug, Clone)]
enum Stage {
    /// The job record or a batch is being committed; the record and its version once it is.
    Committing(JobRecord),
    Scanning(ScanRequest),
    /// Fresh transaction ids for the accounts of the batch.
    Ids {
        accounts: Vec<(AccountRecord, u64)>,
        scanned_to: Option<String>,
        exhausted: bool,
    },
    /// Reading the job record (and `reward-prices`) again: on resuming, after another process
    /// moved the job on, or after a reward change.
    Rereading,
}

#[derive(Debug, Clone)]
pub struct BulkAdjust {
    job: JobRecord,
    /// The stored version of `job` (0 before it is created).
    version: u64,
    filter: Filter,
    /// None for the `rewardAvailability` job.
    adjustment: Option<Adjustment>,
    /// `reward-prices` as read, and its version (None until read).
    prices: PricesRecord,
    prices_version: Option<u64>,
    /// The answer once finished, when not `{ asyncJobId }` (a reward change that ran the job).
    answer: Option<String>,
    at: Stamp,
    stage: Stage,
}

/// Parses the job's request (`{ search?, balance? | amount? }`); `path` names it in errors.
fn parse(c: &mut Check, path: &str, options: &Input) -> (Filter, Option<Adjustment>) {
    let Some(o) = c.object(path, options, true) else { return (Filter::EVERYTHING, None) };
    let search_path = format!("{path}.search");
    let search = c.object(&search_path, o.get("search"), false).unwrap_or(&Input::Null);
    (parse_selection(c, &search_path, search), parse_adjustment(c, path, o))
}

pub fn start(args: &[Input], ctx: &Context) -> Result<Step> {
    let options = super::arg(args, 0);
    let mut c = Check::default();
    let (filter, adjustment) = parse(&mut c, "options", options);
    c.finish()?;
    let Some(adjustment) = adjustment else {
        return Err(LoyaltyError::internal(Reason::InvalidState, "an adjustment was validated but not kept"));
    };
    let request = Input::Object(
        ["search", "balance", "amount"].iter().map(|k| (k.to_string(), options.get(k).clone())).collect(),
    );
    let job = new_job(ctx.fresh_id(0)?, KIND, request, ctx.now_ms);
    let writes = vec![Write::put(keys::job(&job.id), encode(&job)?, 0)];
    let progress = progress(&job)?;
    let op = BulkAdjust {
        job: job.clone(),
        version: 0,
        filter,
        adjustment: Some(adjustment),
        prices: PricesRecord::empty(),
        prices_version: None,
        answer: None,
        at: ctx.stamp(),
        stage: Stage::Committing(job),
    };
    Ok(Step::new(Request::Batch(writes, Batch { events: "[]".into(), progress }), op))
}

/// A new job record of `kind`, running, with `request`.
pub fn new_job(id: String, kind: &str, request: Input, now_ms: i64) -> JobRecord {
    JobRecord {
        schema: SCHEMA,
        id,
        kind: kind.into(),
        status: JobStatus::Running,
        request,
        cursor: None,
        processed: 0,
        succeeded: 0,
        failed: 0,
        failures: Vec::new(),
        created_ms: now_ms,
        updated_ms: now_ms,
    }
}

/// Runs a `rewardAvailability` job just committed (at version 1) by a reward change that wrote
/// `reward-prices` at `prices_version`; the change answers `answer` once the job has finished.
pub fn run_availability(job: JobRecord, prices: PricesRecord, prices_version: u64, at: Stamp, answer: String) -> Step {
    next(BulkAdjust {
        job,
        version: 1,
        filter: Filter::EVERYTHING,
        adjustment: None,
        prices,
        prices_version: Some(prices_version),
        answer: Some(answer),
        at,
        stage: Stage::Rereading,
    })
}

/// Continues a job found running (after a crash, or in another process).
pub fn resume(job: JobRecord, version: u64, at: Stamp) -> Result<Step> {
    let (filter, adjustment) = if availability::is_recalculation(&job.kind) {
        (Filter::EVERYTHING, None)
    } else {
        let mut c = Check::default();
        let (filter, adjustment) = parse(&mut c, "job.request", &job.request);
        c.finish()?;
        let adjustment =
            adjustment.ok_or_else(|| LoyaltyError::internal(Reason::InvalidState, "the job names no adjustment"))?;
        (filter, Some(adjustment))
    };
    let op = BulkAdjust {
        job,
        version,
        filter,
        adjustment,
        prices: PricesRecord::empty(),
        prices_version: None,
        answer: None,
        at,
        stage: Stage::Rereading,
    };
    Ok(reread(op))
}

/// Reads the job record and `reward-prices` again.
fn reread(mut op: BulkAdjust) -> Step {
    op.stage = Stage::Rereading;
    Step::new(Request::Read(vec![keys::job(&op.job.id), keys::REWARD_PRICES.into()]), op)
}

fn progress(job: &JobRecord) -> Result<String> {
    encode(&view::job(job))
}

/// The next batch of a running job, or its answer once it has finished.
fn next(mut op: BulkAdjust) -> Step {
    if op.job.status == JobStatus::Finished {
        let answer = op.answer.take();
        return Step::done(
            answer.unwrap_or_else(|| format!("{{\"asyncJobId\":{}}}", crate::core::input::quoted(&op.job.id))),
        );
    }
    if op.prices_version.is_none() {
        return reread(op);
    }
    let request =
        ScanRequest { prefix: keys::ACCOUNT_PREFIX.into(), after: op.job.cursor.clone(), limit: BATCH, reverse: false };
    op.stage = Stage::Scanning(request.clone());
    Step::new(Request::Scan(request), op)
}

impl BulkAdjust {
    /// Applies the adjustment to the batch's accounts and commits them with the job's progress.
    fn commit(
        mut self,
        accounts: Vec<(AccountRecord, u64)>,
        ids: Vec<String>,
        scanned_to: Option<String>,
        exhausted: bool,
    ) -> Result<Step> {
        let mut job = self.job.clone();
        let mut writes = Vec::new();
        let mut list = Vec::new();
        let prices_version = self.prices_version.unwrap_or_default();
        let mut ids = ids.into_iter();
        for (mut account, version) in accounts {
            job.processed += 1;
            let Some(adjustment) = self.adjustment else {
                // A recalculation job (availability, tiers, expiration): an account whose tier,
                // flag or pointsExpiration moved is written with its events; the rest is checked.
                job.succeeded += 1;
                let now = self.at.now_ms;
                let expiring = account.expiring;
                let tier_moved = crate::core::rules::tiering::settle(&mut account, &self.prices, now);
                let flipped = availability::flag(&mut account, &self.prices);
                let due_moved = crate::core::rules::expiry::plan(&mut account, &self.prices, now);
                let updated = tier_moved || account.expiring != expiring;
                if updated || flipped || due_moved {
                    let trigger = availability::trigger_of(&job.kind);
                    availability::recalculated(&mut account, updated, flipped, trigger, self.at, &mut list)?;
                    writes.push(Write::put(keys::account(&account.id), records::json::account(&account), version));
                    if due_moved {
                        writes.extend(crate::core::rules::expiry::index(&account));
                    }
                } else {
                    writes.push(Write::check(keys::account(&account.id), version));
                }
                continue;
            };
            let id = ids.next().unwrap_or_default();
            let before = account.points.balance;
            let applied = adjustment.apply(&account).and_then(|after| {
                let now = apply_delta(&mut account, after - before, TransactionType::Adjust, self.at.now_ms)?;
                Ok(adjust::transaction(&id, &account, before, after, None, now))
            });
            match applied {
                Ok(txn) => {
                    job.succeeded += 1;
                    let settled = availability::settle(&mut account, &self.prices, txn.created_ms);
                    writes.extend(change_writes(&account, version, &txn, settled.due_moved)?);
                    if self.at.events {
                        list.extend(crate::core::rules::ledger::change_events(&account, &txn, settled.flipped)?);
                    }
                }
                Err(e) => {
                    job.failed += 1;
                    if job.failures.len() < MAX_LISTED_FAILURES {
                        job.failures.push(JobFailure {
                            entity_id: account.id.clone(),
                            code: e.reason.as_str().into(),
                            description: e.description,
                        });
                    }
                }
            }
        }
        writes.push(availability::check(prices_version));
        if scanned_to.is_some() {
            job.cursor = scanned_to;
        }
        if exhausted {
            job.status = JobStatus::Finished;
        }
        job.updated_ms = self.at.now_ms.max(job.updated_ms);
        writes.push(Write::put(keys::job(&job.id), encode(&job)?, self.version));
        let batch = Batch { events: events::list(&list), progress: progress(&job)? };
        self.stage = Stage::Committing(job);
        Ok(Step::new(Request::Batch(writes, batch), self))
    }
}

impl Machine for BulkAdjust {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        match std::mem::replace(&mut self.stage, Stage::Rereading) {
            Stage::Committing(job) => match io {
                Io::Committed => {
                    self.job = job;
                    self.version += 1;
                    Ok(next(*self))
                }
                _ => Err(LoyaltyError::storage_protocol("expected the outcome of a commit")),
            },
            Stage::Scanning(request) => {
                let rows = expect_scan(io, &request)?;
                let exhausted = (rows.len() as u32) < request.limit;
                let scanned_to = rows.last().map(|r| r.key.clone());
                let mut accounts = Vec::new();
                for row in rows {
                    let account = crate::core::query::fields::decode_account(&row.key, &row.value)?;
                    if matches(&self.filter, &account, ACCOUNTS.fields) {
                        accounts.push((account, row.version));
                    }
                }
                if self.adjustment.is_none() {
                    return self.commit(accounts, Vec::new(), scanned_to, exhausted);
                }
                let n = accounts.len() as u32;
                self.stage = Stage::Ids { accounts, scanned_to, exhausted };
                Ok(Step::new(Request::Ids(n), *self))
            }
            Stage::Ids { accounts, scanned_to, exhausted } => {
                let ids = expect_ids(io, accounts.len())?;
                self.commit(accounts, ids, scanned_to, exhausted)
            }
            Stage::Rereading => {
                let key = keys::job(&self.job.id);
                let [job, prices]: [Option<_>; 2] = expect_read(io, 2)?
                    .try_into()
                    .map_err(|_| LoyaltyError::storage_protocol("storage.read returned the wrong number of entries"))?;
                let stored = job.ok_or_else(|| {
                    LoyaltyError::internal(
                        Reason::CorruptStore,
                        format!("job record {key} disappeared while the job ran"),
                    )
                })?;
                self.job = records::decode(&key, &stored.value)?;
                self.version = stored.version;
                let (prices, version) = availability::read(prices.as_ref())?;
                self.prices = PricesRecord::clone(&prices);
                self.prices_version = Some(version);
                Ok(next(*self))
            }
        }
    }

    /// Another process moved the job on, or a reward change moved the prices (read them again
    /// and continue from there), or an account changed under the batch (scan the batch again);
    /// a taken transaction id is decided again too: the batch draws new ids.
    fn conflict(self: Box<Self>, key: &str) -> Result<Step> {
        let job_key = keys::job(&self.job.id);
        if self.version == 0 && key == job_key {
            return Err(crate::core::rules::ledger::id_collision(&self.job.id, "a job"));
        }
        if key == job_key || key == keys::REWARD_PRICES {
            return Ok(reread(*self));
        }
        Ok(next(*self))
    }
}
