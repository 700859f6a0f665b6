//! `settleCoupons({ olderThanMs? })`: ends the redemptions that a host's coupon hooks left
//! half-way (a process that died, or a `void` that failed). A redemption through the hooks
//! lists its coupon under `coupon-pending/<createdMs>/<couponId>` in time order; this call
//! walks that index from where it last finished (`coupon-pending-cursor`) and, for each coupon:
//!
//! * `ACTIVE` or `ARCHIVED` (the redemption took its points), or `FAILED` and voided: done;
//! * listed less than `olderThanMs` ago (default 60 000), whatever its state: the walk stops
//!   there (its redemption may still be running, and an operation that started earlier may
//!   still list a coupon before it: an entry's time is when its operation started);
//! * `PENDING` for longer: committed `FAILED` first (conditionally: a redemption that takes its
//!   points meanwhile wins, and then the coupon is left alone), then its reference coupon voided
//!   with the `void` hook, then recorded as voided;
//! * `FAILED` with its reference coupon still to void: voided, then recorded.
//!
//! The cursor moves past every coupon settled in order, so each is looked at about once. A
//! `void` that fails stops the walk at its coupon (the next call tries again). Answers
//! `{ settled: [couponId, …], waiting, failed }`: the coupons it failed or voided, how many
//! pending ones are too young, and how many voids failed.

use super::arg;
use super::coupons::{hook_outcome, hook_payload, moved, voided};
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{expect_read, expect_scan, Batch, Context, Io, Machine, Request, ScanRequest, Stamp};
use crate::core::protocol::{Step, Stored, Write};
use crate::core::reason::Reason;
use crate::core::records::{self, encode, keys, CouponRecord, CouponStatus};
use crate::core::validate::Check;

const PAGE: u32 = 50;
pub const DEFAULT_OLDER_THAN_MS: i64 = 60_000;

#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Cursor,
    Scanning(ScanRequest),
    /// Reading the coupons of the page's entries.
    Reading,
    /// Committing the first queued coupon `FAILED`; then the `void` hook.
    Failing,
    Voiding,
    /// Committing that its reference coupon is voided.
    Recording,
    /// Committing the cursor: then the next page (`more`), or the answer.
    Moving {
        more: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Settle {
    older_than_ms: i64,
    at: Stamp,
    hooks: bool,
    stage: Stage,
    /// The last entry settled in order, the cursor record's version, and whether the cursor
    /// moved since it was last committed.
    cursor: Option<String>,
    cursor_version: u64,
    cursor_moved: bool,
    /// The page's entries not yet settled, in order: (entry key, coupon id), and their coupons
    /// with their versions once read.
    entries: Vec<(String, String)>,
    coupons: Vec<(CouponRecord, u64)>,
    /// The page was full: more may follow it.
    full: bool,
    settled: Vec<String>,
    waiting: usize,
    failed: usize,
}

pub fn start(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let mut older_than_ms = DEFAULT_OLDER_THAN_MS;
    if let Some(o) = c.object("options", arg(args, 0), false) {
        older_than_ms = c
            .integer("options.olderThanMs", o.get("olderThanMs"), 0, 366 * 86_400_000, false)
            .flatten()
            .unwrap_or(DEFAULT_OLDER_THAN_MS);
    }
    c.finish()?;
    let op = Settle {
        older_than_ms,
        at: ctx.stamp(),
        hooks: ctx.coupon_hooks,
        stage: Stage::Cursor,
        cursor: None,
        cursor_version: 0,
        cursor_moved: false,
        entries: Vec::new(),
        coupons: Vec::new(),
        full: false,
        settled: Vec::new(),
        waiting: 0,
        failed: 0,
    };
    Ok(Step::new(Request::Read(vec![keys::PENDING_CURSOR.into()]), op))
}

fn batch(writes: Vec<Write>) -> Request {
    Request::Batch(writes, Batch::quiet())
}

fn committed(io: &Io) -> Result<()> {
    match io {
        Io::Committed => Ok(()),
        _ => Err(LoyaltyError::storage_protocol("expected the outcome of a commit")),
    }
}

impl Settle {
    fn answer(&self) -> Result<Step> {
        Ok(Step::done(format!(
            "{{\"settled\":{},\"waiting\":{},\"failed\":{}}}",
            encode(&self.settled)?,
            self.waiting,
            self.failed
        )))
    }

    /// Commits the cursor if it moved, then goes on (`more`) or answers.
    fn finish_page(mut self, more: bool) -> Result<Step> {
        match self.cursor.clone().filter(|_| self.cursor_moved) {
            Some(after) => {
                let record = format!("{{\"schema\":{},\"after\":{}}}", records::SCHEMA, encode(&after)?);
                let writes = vec![Write::put(keys::PENDING_CURSOR, record, self.cursor_version)];
                self.stage = Stage::Moving { more };
                Ok(Step::new(batch(writes), self))
            }
            None if more => Ok(self.scan()),
            None => self.answer(),
        }
    }

    fn scan(mut self) -> Step {
        let request = ScanRequest {
            prefix: keys::PENDING_PREFIX.into(),
            after: self.cursor.clone(),
            limit: PAGE,
            reverse: false,
        };
        self.stage = Stage::Scanning(request.clone());
        Step::new(Request::Scan(request), self)
    }

    fn read_coupons(mut self) -> Step {
        self.stage = Stage::Reading;
        let keys = self.entries.iter().map(|(_, id)| keys::coupon(id)).collect();
        Step::new(Request::Read(keys), self)
    }

    /// Settles the first entry's coupon, or moves the cursor at the end of the page.
    fn next(mut self) -> Result<Step> {
        let Some((coupon, version)) = self.coupons.first().cloned() else {
            let more = self.full;
            return self.finish_page(more);
        };
        // An entry younger than the window ends the walk, whatever its coupon says: a
        // redemption or refund that started earlier may still commit an entry before it (an
        // entry's time is when its operation started), and the cursor must not pass that.
        let listed_ms = self.entries.first().map_or(i64::MAX, |(key, _)| entry_ms(key));
        if listed_ms > self.at.now_ms.saturating_sub(self.older_than_ms) {
            self.waiting = self.coupons.iter().filter(|(c, _)| !c.settled()).count();
            self.coupons.clear();
            return self.finish_page(false);
        }
        if coupon.settled() || self.entries.first().is_some_and(|(key, _)| *key != coupon.pending_key()) {
            // Settled, or an entry it was listed under before (it was listed anew since).
            self.coupons.remove(0);
            if !self.entries.is_empty() {
                self.cursor = Some(self.entries.remove(0).0);
                self.cursor_moved = true;
            }
            return self.next();
        }
        if !self.hooks {
            return Err(LoyaltyError::precondition(
                Reason::CouponHooksMissing,
                format!(
                    "loyalty coupon {} waits for its reference coupon to be voided, and this backend has no referenceCoupons hooks",
                    coupon.id
                ),
            ));
        }
        if coupon.status == CouponStatus::Pending {
            let failed = moved(coupon, CouponStatus::Failed, true, self.at.now_ms)?;
            let writes = vec![Write::put(keys::coupon(&failed.id), encode(&failed)?, version)];
            if let Some(first) = self.coupons.first_mut() {
                *first = (failed, version + 1);
            }
            self.stage = Stage::Failing;
            return Ok(Step::new(batch(writes), self));
        }
        self.stage = Stage::Voiding;
        Ok(Step::new(Request::Hook("void", hook_payload(&coupon)?), self))
    }
}

impl Machine for Settle {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        match std::mem::replace(&mut self.stage, Stage::Cursor) {
            Stage::Cursor => {
                let stored = expect_read(io, 1)?.into_iter().next().flatten();
                if let Some(s) = stored {
                    self.cursor_version = s.version;
                    self.cursor = Some(read_cursor_record(&s)?);
                }
                Ok(self.scan())
            }
            Stage::Scanning(request) => {
                let rows = expect_scan(io, &request)?;
                self.full = rows.len() as u32 == request.limit;
                for row in rows {
                    let index: records::CouponIndex = records::decode(&row.key, &row.value)?;
                    self.entries.push((row.key, index.coupon_id));
                }
                if self.entries.is_empty() {
                    return self.finish_page(false);
                }
                Ok(self.read_coupons())
            }
            Stage::Reading => {
                let values = expect_read(io, self.entries.len())?;
                self.coupons.clear();
                for ((_, id), stored) in self.entries.iter().zip(values) {
                    let key = keys::coupon(id);
                    let Stored { value, version } = stored.ok_or_else(|| {
                        LoyaltyError::corrupt(&key, "a pending-coupon entry names it, and it is missing")
                    })?;
                    self.coupons.push((records::decode(&key, &value)?, version));
                }
                self.next()
            }
            Stage::Failing => {
                committed(&io)?;
                let coupon = self.coupons.first().map(|c| c.0.clone()).ok_or_else(state_error)?;
                self.stage = Stage::Voiding;
                Ok(Step::new(Request::Hook("void", hook_payload(&coupon)?), *self))
            }
            Stage::Voiding => {
                let (coupon, version) = self.coupons.first().cloned().ok_or_else(state_error)?;
                if hook_outcome(io, "void")?.is_err() {
                    self.failed += 1;
                    self.coupons.clear();
                    return self.finish_page(false);
                }
                let done = voided(coupon, self.at.now_ms)?;
                self.settled.push(done.id.clone());
                let writes = vec![Write::put(keys::coupon(&done.id), encode(&done)?, version)];
                if let Some(first) = self.coupons.first_mut() {
                    *first = (done, version + 1);
                }
                self.stage = Stage::Recording;
                Ok(Step::new(batch(writes), *self))
            }
            Stage::Recording => {
                committed(&io)?;
                self.next()
            }
            Stage::Moving { more } => {
                committed(&io)?;
                self.cursor_version += 1;
                self.cursor_moved = false;
                self.entries.clear();
                if more {
                    Ok(self.scan())
                } else {
                    self.answer()
                }
            }
        }
    }

    /// A redemption took the coupon's points meanwhile, or another settler moved it on: read
    /// the page's coupons again. A conflict on the cursor: another settler walks the index, and
    /// this one stops.
    fn conflict(self: Box<Self>, key: &str) -> Result<Step> {
        if key == keys::PENDING_CURSOR {
            return self.answer();
        }
        Ok(self.read_coupons())
    }
}

/// The time in a `coupon-pending/<ms>/<couponId>` key.
fn entry_ms(key: &str) -> i64 {
    let digits = key.get(keys::PENDING_PREFIX.len()..keys::PENDING_PREFIX.len() + 15).unwrap_or_default();
    crate::core::small::parse_digits(digits).map_or(i64::MAX, |n| n.min(i64::MAX as u64) as i64)
}

fn state_error() -> LoyaltyError {
    LoyaltyError::internal(Reason::InvalidState, "no coupon being settled")
}

fn read_cursor_record(s: &Stored) -> Result<String> {
    let v: Input = serde_json::from_str(&s.value)
        .map_err(|e| LoyaltyError::corrupt(keys::PENDING_CURSOR, format!("not JSON: {e}")))?;
    v.get("after")
        .text()
        .filter(|k| k.starts_with(keys::PENDING_PREFIX))
        .map(String::from)
        .ok_or_else(|| LoyaltyError::corrupt(keys::PENDING_CURSOR, "it names no pending-coupon entry"))
}
