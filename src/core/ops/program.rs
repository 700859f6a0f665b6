//! The loyalty program: a singleton under the key `program`, `DRAFT` until first activated.
//!
//! Status rules (spec §2.1, our decisions where it is silent):
//! * `activateLoyaltyProgram`: `DRAFT`/`PAUSED` → `ACTIVE`; on an `ACTIVE` program it succeeds
//!   and changes nothing (no write, no event).
//! * `pauseLoyaltyProgram`: `ACTIVE` → `PAUSED`; on a `PAUSED` program it succeeds and changes
//!   nothing; on a `DRAFT` program it fails with `FAILED_PRECONDITION` / `PROGRAM_NOT_ACTIVE`
//!   (a program that never went live cannot be paused).
//! * `enablePointsExpiration` / `disablePointsExpiration` set `pointsExpiration.status` (a
//!   setting: this version expires no points yet); a repeat changes nothing.
//! * `updateLoyaltyProgram` and reads work in every status.

use super::events::{self, Entity, EventSpec};
use super::{arg, lookup};
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{expect_read, Context, Io, Machine, Outcome, Request, Stamp, Step, Write};
use crate::core::records::{encode, keys, view, ExpirationStatus, ProgramRecord, ProgramStatus};
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
}

fn begin(command: Command, ctx: &Context) -> Result<Step> {
    let lock =
        if matches!(command, Command::Get | Command::BulkGet) { vec![] } else { vec![keys::PROGRAM.to_string()] };
    Ok(read(ProgramOp { command, at: ctx.stamp() }).locking(lock))
}

/// Reading the program (first, and again after a conflict).
fn read(op: ProgramOp) -> Step {
    Step::new(Request::Read(vec![keys::PROGRAM.into()]), op)
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
    fn resume(self: Box<Self>, io: Io) -> Result<Step> {
        let values = expect_read(io, 1)?;
        let (mut program, version) = lookup::read_program(values.first().and_then(Option::as_ref))?;
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
                        "PROGRAM_NOT_ACTIVE",
                        "the loyalty program is DRAFT: only an ACTIVE program can be paused (activate it first)",
                    ))
                }
                _ => program.status = ProgramStatus::Paused,
            },
            Command::Expiration(status) => program.expiration_status = *status,
        }
        // A repeated activate, pause or expiration toggle changes nothing: no write, no event.
        if program == unchanged && !matches!(self.command, Command::Update(_)) {
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
        Ok(Step::new(Request::Commit(writes, Outcome { result, events }), *self))
    }

    fn conflict(self: Box<Self>, _key: &str) -> Result<Step> {
        Ok(read(*self))
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
