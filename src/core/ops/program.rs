//! The loyalty program: a singleton under the key `program`, `DRAFT` until first activated.
//!
//! Status rules (spec §2.1, our decisions where it is silent):
//! * `activateLoyaltyProgram`: `DRAFT`/`PAUSED` → `ACTIVE`; on an `ACTIVE` program it succeeds
//!   and changes nothing (no write, no event).
//! * `pauseLoyaltyProgram`: `ACTIVE` → `PAUSED`; on a `PAUSED` program it succeeds and changes
//!   nothing; on a `DRAFT` program it fails with `FAILED_PRECONDITION` / `PROGRAM_NOT_ACTIVE`
//!   (a program that never went live cannot be paused).
//! * `enablePointsExpiration` / `disablePointsExpiration` set `pointsExpiration.status`; a
//!   repeat changes nothing. Each change of the expiration settings (these two, and
//!   `monthsOfInactivity` / `expiringPointsPercentage` through `updateLoyaltyProgram`) is copied
//!   into `reward-prices` in the same commit and runs a `pointsExpiration` job that works out
//!   every account's `pointsExpiration` (see `rules::expiry`); the call answers once it has
//!   finished.
//! * `updateLoyaltyProgram` and reads work in every status.

use super::arg;
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{expect_read, Context, Io, Machine, Outcome, Request, Stamp, Step, Write};
use crate::core::reason::Reason;
use crate::core::records::{encode, keys, view, ExpirationStatus, PricesRecord, ProgramRecord, ProgramStatus};
use crate::core::rules::availability::Prices;
use crate::core::rules::events::{self, Entity, EventSpec};
use crate::core::rules::lookup;
use crate::core::validate::Check;

/// The fields `updateLoyaltyProgram` may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgramPatch {
    pub name: Option<String>,
    pub point_name: Option<String>,
    pub point_icon: Option<String>,
    pub months_of_inactivity: Option<u32>,
    pub expiring_points_percentage: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Get,
    /// `bulkGetLoyaltyProgram`: the program of every site of the caller (this one).
    BulkGet,
    Update(ProgramPatch),
    Activate,
    Pause,
    Expiration(ExpirationStatus),
}

#[derive(Debug, Clone)]
pub struct ProgramOp {
    command: Command,
    at: Stamp,
    /// The id of the `pointsExpiration` job a change of the expiration settings runs.
    job_id: String,
    /// The program as read, while `reward-prices` is built from the rewards (absent).
    building: Option<(ProgramRecord, u64, Prices)>,
}

impl ProgramOp {
    /// Whether the command may change the expiration settings (and so `reward-prices`): an
    /// update of the name or the points' name does not read `reward-prices`.
    fn touches_expiration(&self) -> bool {
        match &self.command {
            Command::Update(p) => p.months_of_inactivity.is_some() || p.expiring_points_percentage.is_some(),
            Command::Expiration(_) => true,
            _ => false,
        }
    }
}

fn begin(command: Command, ctx: &Context) -> Result<Step> {
    let op = ProgramOp { command, at: ctx.stamp(), job_id: String::new(), building: None };
    let mut lock = vec![];
    if !matches!(op.command, Command::Get | Command::BulkGet) {
        lock.push(keys::PROGRAM.to_string());
    }
    let op = if op.touches_expiration() {
        lock.push(keys::REWARD_PRICES.to_string());
        ProgramOp { job_id: ctx.fresh_id(0)?, ..op }
    } else {
        op
    };
    Ok(read(op).locking(lock))
}

/// Reading the program, and `reward-prices` for a command that may change the expiration
/// settings (first, and again after a conflict).
fn read(op: ProgramOp) -> Step {
    let mut keys = vec![keys::PROGRAM.to_string()];
    if op.touches_expiration() {
        keys.push(keys::REWARD_PRICES.into());
    }
    Step::new(Request::Read(keys), op)
}

/// What balance changes need of the program: the expiration settings while enabled.
fn expiration_of(program: &ProgramRecord) -> Option<(u32, u32)> {
    (program.expiration_status == ExpirationStatus::Enabled)
        .then_some((program.months_of_inactivity, program.expiring_points_percentage))
}

pub fn get(_: &[Input], ctx: &Context) -> Result<Step> {
    begin(Command::Get, ctx)
}

pub fn bulk_get(_: &[Input], ctx: &Context) -> Result<Step> {
    begin(Command::BulkGet, ctx)
}

pub fn update(args: &[Input], ctx: &Context) -> Result<Step> {
    begin(Command::Update(decode_update(arg(args, 0))?), ctx)
}

pub fn activate(_: &[Input], ctx: &Context) -> Result<Step> {
    begin(Command::Activate, ctx)
}

pub fn pause(_: &[Input], ctx: &Context) -> Result<Step> {
    begin(Command::Pause, ctx)
}

pub fn enable_expiration(_: &[Input], ctx: &Context) -> Result<Step> {
    begin(Command::Expiration(ExpirationStatus::Enabled), ctx)
}

pub fn disable_expiration(_: &[Input], ctx: &Context) -> Result<Step> {
    begin(Command::Expiration(ExpirationStatus::Disabled), ctx)
}

/// `getLoyaltyProgramPremiumFeatures`: what this engine offers; no I/O.
pub fn premium_features(_: &[Input], _: &Context) -> Result<Step> {
    Ok(Step::done(encode(&view::premium_features())?))
}

/// `updateLoyaltyProgram(loyaltyProgram)`: PATCH semantics; read-only fields (`status`, dates,
/// `premiumFeatures`, `pointsExpiration.status`) are ignored.
pub fn decode_update(arg: &Input) -> Result<ProgramPatch> {
    let mut c = Check::default();
    let mut patch = ProgramPatch::default();
    if let Some(p) = c.object("loyaltyProgram", arg, true) {
        patch.name = c.string("loyaltyProgram.name", p.get("name"), 2, 50, false).flatten();
        if let Some(def) = c.object("loyaltyProgram.pointDefinition", p.get("pointDefinition"), false) {
            patch.point_name =
                c.string("loyaltyProgram.pointDefinition.customName", def.get("customName"), 1, 20, false).flatten();
            patch.point_icon =
                c.string("loyaltyProgram.pointDefinition.icon", def.get("icon"), 1, 2048, false).flatten();
        }
        if let Some(exp) = c.object("loyaltyProgram.pointsExpiration", p.get("pointsExpiration"), false) {
            let field = "loyaltyProgram.pointsExpiration";
            patch.months_of_inactivity = c
                .integer(&format!("{field}.monthsOfInactivity"), exp.get("monthsOfInactivity"), 1, 12, false)
                .flatten()
                .map(|m| m as u32);
            patch.expiring_points_percentage = c
                .integer(
                    &format!("{field}.expiringPointsPercentage"),
                    exp.get("expiringPointsPercentage"),
                    1,
                    100,
                    false,
                )
                .flatten()
                .map(|m| m as u32);
        }
    }
    c.finish()?;
    Ok(patch)
}

fn program_body(program: &ProgramRecord) -> Result<String> {
    Ok(format!("{{\"loyaltyProgram\":{}}}", encode(&view::program(program))?))
}

impl Machine for ProgramOp {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        if let Some((program, version, building)) = self.building.take() {
            let prices = building.scanned(io)?;
            return self.with_prices(program, version, prices);
        }
        let values = expect_read(io, if self.touches_expiration() { 2 } else { 1 })?;
        let (program, version) = lookup::read_program(values.first().and_then(Option::as_ref))?;
        if !self.touches_expiration() {
            return self.decide(program, version, None);
        }
        let prices = Prices::from_read(values.get(1).and_then(Option::as_ref))?;
        self.with_prices(program, version, prices)
    }

    /// Another change of the program or `reward-prices` committed meanwhile: read again. (A taken
    /// job id is `rewards::commit_prices`' to report: the commit that writes the job is its.)
    fn conflict(mut self: Box<Self>, _key: &str) -> Result<Step> {
        self.building = None;
        Ok(read(*self))
    }
}

impl ProgramOp {
    fn with_prices(self, program: ProgramRecord, version: u64, prices: Prices) -> Result<Step> {
        let kept = program.clone();
        match super::rewards::prices_or_scan(prices, self, |op, p| op.building = Some((kept, version, p))) {
            Ok((op, prices, prices_version)) => op.decide(program, version, Some((prices, prices_version))),
            Err(scan) => Ok(scan),
        }
    }

    fn decide(self, mut program: ProgramRecord, version: u64, prices: Option<(PricesRecord, u64)>) -> Result<Step> {
        let unchanged = program.clone();
        match &self.command {
            Command::Get => return Ok(Step::done(program_body(&program)?)),
            Command::BulkGet => {
                return Ok(Step::done(format!(
                    "{{\"programInSites\":[{{\"loyaltyProgram\":{}}}]}}",
                    encode(&view::program(&program))?
                )))
            }
            Command::Update(patch) => apply_patch(&mut program, patch),
            Command::Activate => program.status = ProgramStatus::Active,
            Command::Pause => match program.status {
                ProgramStatus::Draft => {
                    return Err(LoyaltyError::precondition(
                        Reason::ProgramNotActive,
                        "the loyalty program is DRAFT: only an ACTIVE program can be paused (activate it first)",
                    ))
                }
                _ => program.status = ProgramStatus::Paused,
            },
            Command::Expiration(status) => program.expiration_status = *status,
        }
        // A repeated activate, pause or expiration toggle changes nothing: no write, no event
        // (unless `reward-prices` lacks the settings: a store whose program enabled expiration
        // before points expired takes them on with a repeated enable).
        let synced = prices.as_ref().is_none_or(|(p, v)| *v > 0 && p.expiration == expiration_of(&program));
        if program == unchanged && synced && !matches!(self.command, Command::Update(_)) {
            return Ok(Step::done(program_body(&program)?));
        }
        let now = self.at.now_ms;
        program.created_ms.get_or_insert(now);
        program.updated_ms = Some(now);
        let view_json = encode(&view::program(&program))?;
        let result = format!("{{\"loyaltyProgram\":{view_json}}}");
        let events = if self.at.events {
            let spec = EventSpec::of(Entity::Program, "updated", "program", version + 1, now);
            events::list(&[events::event(spec, "entity", &view_json)?])
        } else {
            "[]".into()
        };
        let writes = vec![Write::put(keys::PROGRAM, encode(&program)?, version)];
        let outcome = Outcome { result, events };
        let Some((before, prices_version)) = prices else {
            return Ok(Step::new(Request::Commit(writes, outcome), self));
        };
        let mut after = before.clone();
        after.expiration = expiration_of(&program);
        let (job_id, at) = (self.job_id.clone(), self.at);
        super::rewards::commit_prices(
            Box::new(self),
            writes,
            &before,
            prices_version,
            after,
            outcome,
            job_id,
            at,
            crate::core::rules::expiry::KIND,
        )
    }
}

fn apply_patch(program: &mut ProgramRecord, patch: &ProgramPatch) {
    if let Some(name) = &patch.name {
        program.name = Some(name.clone());
    }
    if let Some(n) = &patch.point_name {
        program.point_name = Some(n.clone());
    }
    if let Some(icon) = &patch.point_icon {
        program.point_icon = Some(icon.clone());
    }
    if let Some(m) = patch.months_of_inactivity {
        program.months_of_inactivity = m;
    }
    if let Some(p) = patch.expiring_points_percentage {
        program.expiring_points_percentage = p;
    }
}
