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

use super::adjust::{self, parse_adjustment, Adjustment};
use super::events;
use super::ledger::{apply_delta, change_writes};
use super::query_accounts::parse_selection;
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{
    expect_ids, expect_read, expect_scan, Batch, Context, Io, Machine, Request, ScanRequest, Stamp, Step, Write,
};
use crate::core::query::fields::ACCOUNTS;
use crate::core::query::filter::{matches, Filter};
use crate::core::records::job::{JobFailure, MAX_LISTED_FAILURES};
use crate::core::records::{self, encode, keys, view, AccountRecord, JobRecord, JobStatus, TransactionType, SCHEMA};
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
    /// Reading the job record again after another process moved it on.
    Rereading,
}

#[derive(Debug, Clone)]
pub struct BulkAdjust {
    job: JobRecord,
    /// The stored version of `job` (0 before it is created).
    version: u64,
    filter: Filter,
    adjustment: Adjustment,
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
        return Err(LoyaltyError::internal("INVALID_STATE", "an adjustment was validated but not kept"));
    };
    let request = Input::Object(
        ["search", "balance", "amount"].iter().map(|k| (k.to_string(), options.get(k).clone())).collect(),
    );
    let job = JobRecord {
        schema: SCHEMA,
        id: ctx.fresh_id(0)?,
        kind: KIND.into(),
        status: JobStatus::Running,
        request,
        cursor: None,
        processed: 0,
        succeeded: 0,
        failed: 0,
        failures: Vec::new(),
        created_ms: ctx.now_ms,
        updated_ms: ctx.now_ms,
    };
    let writes = vec![Write::put(keys::job(&job.id), encode(&job)?, 0)];
    let progress = progress(&job)?;
    let op =
        BulkAdjust { job: job.clone(), version: 0, filter, adjustment, at: ctx.stamp(), stage: Stage::Committing(job) };
    Ok(Step::new(Request::Batch(writes, Batch { events: "[]".into(), progress }), op))
}

/// Continues a job found running (after a crash, or in another process).
pub fn resume(job: JobRecord, version: u64, at: Stamp) -> Result<Step> {
    let mut c = Check::default();
    let (filter, adjustment) = parse(&mut c, "job.request", &job.request);
    c.finish()?;
    let adjustment =
        adjustment.ok_or_else(|| LoyaltyError::internal("INVALID_STATE", "the job names no adjustment"))?;
    let op = BulkAdjust { job, version, filter, adjustment, at, stage: Stage::Rereading };
    Ok(next(op))
}

fn progress(job: &JobRecord) -> Result<String> {
    encode(&view::job(job))
}

fn answer(job: &JobRecord) -> Step {
    Step::done(format!("{{\"asyncJobId\":{}}}", crate::core::input::quoted(&job.id)))
}

/// The next batch of a running job, or its answer once it has finished.
fn next(mut op: BulkAdjust) -> Step {
    if op.job.status == JobStatus::Finished {
        return answer(&op.job);
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
        for ((mut account, version), id) in accounts.into_iter().zip(ids) {
            job.processed += 1;
            let before = account.points.balance;
            let applied = self.adjustment.apply(&account).and_then(|after| {
                let now = apply_delta(&mut account, after - before, TransactionType::Adjust, self.at.now_ms)?;
                Ok(adjust::transaction(&id, &account, before, after, None, now))
            });
            match applied {
                Ok(txn) => {
                    job.succeeded += 1;
                    writes.extend(change_writes(&account, version, &txn)?);
                    if self.at.events {
                        let view_json = records::json::account_view(&account);
                        list.extend(events::points_changed(&account.id, account.revision, txn.created_ms, &view_json)?);
                    }
                }
                Err(e) => {
                    job.failed += 1;
                    if job.failures.len() < MAX_LISTED_FAILURES {
                        job.failures.push(JobFailure {
                            entity_id: account.id.clone(),
                            code: e.reason.into(),
                            description: e.description,
                        });
                    }
                }
            }
        }
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
                let stored = expect_read(io, 1)?.into_iter().next().flatten().ok_or_else(|| {
                    LoyaltyError::internal("CORRUPT_STORE", format!("job record {key} disappeared while the job ran"))
                })?;
                self.job = records::decode(&key, &stored.value)?;
                self.version = stored.version;
                Ok(next(*self))
            }
        }
    }

    /// Another process moved the job on (read it again and continue from there), or an account
    /// changed under the batch (scan the batch again); a taken transaction id is decided again
    /// too: the batch draws new ids.
    fn conflict(mut self: Box<Self>, key: &str) -> Result<Step> {
        let job_key = keys::job(&self.job.id);
        if self.version == 0 && key == job_key {
            return Err(super::ledger::id_collision(&self.job.id, "a job"));
        }
        if key == job_key {
            self.stage = Stage::Rereading;
            return Ok(Step::new(Request::Read(vec![job_key]), *self));
        }
        Ok(next(*self))
    }
}
