//! The loyalty program: a singleton under the key `program`, `DRAFT` until first activated.
//!
//! Status rules (spec §2.1, our decisions where it is silent):
//! * `activateLoyaltyProgram`: `DRAFT`/`PAUSED` → `ACTIVE`; on an `ACTIVE` program it succeeds
//!   and changes nothing (no write, no event).
//! * `pauseLoyaltyProgram`: `ACTIVE` → `PAUSED`; on a `PAUSED` program it succeeds and changes
//!   nothing; on a `DRAFT` program it fails with `FAILED_PRECONDITION` / `PROGRAM_NOT_ACTIVE`
//!   (a program that never went live cannot be paused).
//! * `updateLoyaltyProgram` and reads work in every status.

use super::error::{LoyaltyError, Result};
use super::input::Input;
use super::keys;
use super::machine::{self, Context, EventSpec, Io, Outcome, Request, Stamp, State, Step, Write};
use super::model::{self, ProgramRecord, ProgramStatus};
use super::validate::Check;
use super::view;

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
pub enum ProgramCommand {
    Get,
    /// The patch and the time of the call.
    Update(ProgramPatch, Stamp),
    Activate(Stamp),
    Pause(Stamp),
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
            patch.months_of_inactivity = c
                .integer(
                    "loyaltyProgram.pointsExpiration.monthsOfInactivity",
                    exp.get("monthsOfInactivity"),
                    1,
                    12,
                    false,
                )
                .flatten()
                .map(|m| m as u32);
            patch.expiring_points_percentage = c
                .integer(
                    "loyaltyProgram.pointsExpiration.expiringPointsPercentage",
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

pub fn start(cmd: ProgramCommand, _ctx: &Context) -> Result<Step> {
    let lock = (cmd != ProgramCommand::Get).then(|| keys::PROGRAM.to_string());
    Ok(Step { lock, ..read_step(cmd) })
}

/// Reading the program (first, and again after a conflict).
pub fn read_step(cmd: ProgramCommand) -> Step {
    Step { request: Request::Read(vec![keys::PROGRAM.into()]), state: State::Program(cmd), lock: None }
}

/// The stored program, or the default `DRAFT` program if none was saved yet.
pub fn read_program(stored: Option<&machine::Stored>) -> Result<(ProgramRecord, u64)> {
    match stored {
        Some(s) => Ok((model::decode(keys::PROGRAM, &s.value)?, s.version)),
        None => Ok((ProgramRecord::default(), 0)),
    }
}

pub fn resume(cmd: ProgramCommand, io: Io) -> Result<Step> {
    let values = machine::expect_read(io, 1)?;
    let (mut program, version) = read_program(values.first().and_then(Option::as_ref))?;
    let at = match &cmd {
        ProgramCommand::Get => return done(&program),
        ProgramCommand::Update(patch, at) => {
            apply_patch(&mut program, patch);
            *at
        }
        ProgramCommand::Activate(at) => {
            if program.status == ProgramStatus::Active {
                return done(&program);
            }
            program.status = ProgramStatus::Active;
            *at
        }
        ProgramCommand::Pause(at) => match program.status {
            ProgramStatus::Paused => return done(&program),
            ProgramStatus::Draft => {
                return Err(LoyaltyError::precondition(
                    "PROGRAM_NOT_ACTIVE",
                    "the loyalty program is DRAFT: only an ACTIVE program can be paused (activate it first)",
                ))
            }
            ProgramStatus::Active => {
                program.status = ProgramStatus::Paused;
                *at
            }
        },
    };
    let now = at.now_ms;
    program.created_ms.get_or_insert(now);
    program.updated_ms = Some(now);
    let view_json = machine::json(&view::program(&program))?;
    let result = format!("{{\"loyaltyProgram\":{view_json}}}");
    let events = if at.events {
        let spec = EventSpec {
            fqdn: "wix.loyalty.v1.program",
            slug: "updated",
            event_type: "wix.loyalty.v1.program_updated",
            entity_id: "program",
            sequence: Some(version + 1),
            now_ms: now,
        };
        machine::events(&[machine::event(spec, "entity", &view_json)?])
    } else {
        "[]".into()
    };
    Ok(Step {
        request: Request::Commit(
            vec![Write::put(keys::PROGRAM, model::encode(&program)?, version)],
            Outcome { result, events },
        ),
        state: State::Program(cmd),
        lock: None,
    })
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

fn done(program: &ProgramRecord) -> Result<Step> {
    let view_json = machine::json(&view::program(program))?;
    Ok(Step {
        request: Request::Done(Outcome::quiet(format!("{{\"loyaltyProgram\":{view_json}}}"))),
        state: State::Program(ProgramCommand::Get),
        lock: None,
    })
}
