//! Jobs, for their host: `getJob(jobId)` reads what a job did; `resumeJobs()` finds every job
//! left running (by a crash, or a process that stopped) and runs each to its end. Running a
//! job from two processes at once is safe (see [`super::bulk_adjust`]).

use super::{arg, bulk_adjust};
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::{quoted, Input};
use crate::core::protocol::{expect_read, expect_scan, Context, Io, Machine, Request, ScanRequest, Stamp, Step};
use crate::core::reason::Reason;
use crate::core::records::{self, encode, keys, view, JobRecord, JobStatus};
use crate::core::validate::Check;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetJob(String);

pub fn get(args: &[Input], _: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = c.required_guid("jobId", arg(args, 0)).unwrap_or_default();
    c.finish()?;
    Ok(Step::new(Request::Read(vec![keys::job(&id)]), GetJob(id)))
}

impl Machine for GetJob {
    fn resume(self: Box<Self>, io: Io) -> Result<Step> {
        let key = keys::job(&self.0);
        let Some(stored) = expect_read(io, 1)?.into_iter().next().flatten() else {
            return Err(LoyaltyError::not_found(Reason::JobNotFound, format!("job {} does not exist", self.0))
                .with_data(&[("jobId", &self.0)]));
        };
        let job: JobRecord = records::decode(&key, &stored.value)?;
        Ok(Step::done(format!("{{\"job\":{}}}", encode(&view::job(&job))?)))
    }
}

const SCAN_BATCH: u32 = 100;

#[derive(Debug)]
#[cfg_attr(not(target_arch = "wasm32"), derive(Clone))]
pub struct ResumeJobs {
    at: Stamp,
    /// The last job key looked at, and the jobs run so far.
    after: Option<String>,
    resumed: Vec<String>,
    /// The job being run, by its own machine.
    current: Option<Box<dyn Machine>>,
    /// Jobs found running in the last scan, not yet run.
    queue: Vec<(JobRecord, u64)>,
    exhausted: bool,
}

pub fn resume_all(_: &[Input], ctx: &Context) -> Result<Step> {
    Ok(scan(ResumeJobs {
        at: ctx.stamp(),
        after: None,
        resumed: Vec::new(),
        current: None,
        queue: Vec::new(),
        exhausted: false,
    }))
}

fn scan_request(after: Option<String>) -> ScanRequest {
    ScanRequest { prefix: keys::JOB_PREFIX.into(), after, limit: SCAN_BATCH, reverse: false }
}

fn scan(op: ResumeJobs) -> Step {
    Step::new(Request::Scan(scan_request(op.after.clone())), op)
}

impl ResumeJobs {
    /// Runs the next queued job, scans for more, or answers.
    fn advance(mut self) -> Result<Step> {
        while let Some((job, version)) = self.queue.pop() {
            let step = match job.kind.as_str() {
                bulk_adjust::KIND
                | crate::core::rules::availability::KIND
                | crate::core::rules::availability::TIERS_KIND
                | crate::core::rules::expiry::KIND => bulk_adjust::resume(job.clone(), version, self.at)?,
                other => {
                    return Err(LoyaltyError::internal(
                        Reason::UnknownJob,
                        format!("job {} is of kind {}, which this engine does not run", job.id, quoted(other)),
                    ))
                }
            };
            self.resumed.push(job.id);
            if !matches!(step.request, Request::Done(_)) {
                self.current = Some(step.state);
                return Ok(Step::new(step.request, self));
            }
        }
        if self.exhausted {
            return Ok(Step::done(format!("{{\"resumed\":{}}}", encode(&self.resumed)?)));
        }
        Ok(scan(self))
    }

    /// Passes a step of the current job through, or goes on once the job has ended.
    fn pass(mut self, step: Step) -> Result<Step> {
        match step.request {
            Request::Done(_) => self.advance(),
            request => {
                self.current = Some(step.state);
                Ok(Step::new(request, self))
            }
        }
    }
}

impl Machine for ResumeJobs {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        if let Some(job) = self.current.take() {
            let step = job.resume(io)?;
            return self.pass(step);
        }
        let request = scan_request(self.after.clone());
        let rows = expect_scan(io, &request)?;
        self.exhausted = (rows.len() as u32) < SCAN_BATCH;
        for row in rows.into_iter().rev() {
            let job: JobRecord = records::decode(&row.key, &row.value)?;
            if self.after.as_ref().is_none_or(|a| row.key > *a) {
                self.after = Some(row.key.clone());
            }
            if job.status == JobStatus::Running {
                self.queue.push((job, row.version));
            }
        }
        self.advance()
    }

    fn conflict(mut self: Box<Self>, key: &str) -> Result<Step> {
        let job =
            self.current.take().ok_or_else(|| LoyaltyError::storage_protocol("a conflict with no job running"))?;
        let step = job.conflict(key)?;
        self.pass(step)
    }
}
