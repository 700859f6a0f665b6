//! Tiers: `createTier`, `bulkCreateTiers`, `getTier`, `updateTier`, `deleteTier`, `listTiers`,
//! and the tiers program settings: `createTiersProgramSettings`, `getTiersProgramSettings`,
//! `updateTiersProgramSettings`, `getTiersProgram` (spec §2.6, §3.6). All live in the one
//! `tiers` record ([`crate::core::records::tier`]), so every change is one conditional commit.
//!
//! Our decisions where the spec is silent or inferred:
//! * A program has at most 20 tiers (a reward prices the base tier and up to 20 more);
//!   `TOO_MANY_TIERS` past that.
//! * `requiredPoints` is 1 to 9,999,999 (0 would be the base tier's); names (1–50 characters,
//!   compared without ASCII case) and thresholds are unique: `TIER_NAME_TAKEN`,
//!   `TIER_POINTS_TAKEN` (`ALREADY_EXISTS`).
//! * `updateTier` needs the current `revision` and changes what it names (PATCH): the
//!   threshold, and each of the name, description and icon given in `tierDefinition`.
//! * `listTiers` and `getTiersProgram` list tiers by `requiredPoints`, lowest first.
//! * `bulkCreateTiers` checks every tier alone (against the others given too) and creates the
//!   ones that pass in one commit; each result says which.
//! * The settings: `createTiersProgramSettings` fails when they exist
//!   (`TIERS_PROGRAM_SETTINGS_EXIST`); `getTiersProgramSettings` fails when they do not
//!   (`TIERS_PROGRAM_SETTINGS_NOT_FOUND`); `getTiersProgram` creates the defaults then
//!   (`DISABLED`, a 12-month window, an empty base tier) and answers them. `status` defaults to
//!   `DISABLED` at creation; `UNKNOWN` is refused. Updates replace: `status`, `rollingWindow`
//!   and `revision` are required, and an omitted `baseTierDefinition` empties the base tier.
//! * Tiers decide accounts' tiers only while the settings are `ACTIVE`.
//! * A change that moves the ladder (thresholds, tiers, `ACTIVE` or not) or the window copies it
//!   into `reward-prices` in the same commit, with a `tiersRecalculation` job that works out
//!   every account's tier again (see [`crate::core::rules::tiering`]); the call answers once it has run.

use super::arg;
use crate::core::error::{Code, LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{expect_read, Context, Io, Machine, Outcome, Request, Stamp, Step, Write};
use crate::core::reason::Reason;
use crate::core::records::tier::{Definition, Settings, Tier, TiersRecord, TiersStatus, MAX_REQUIRED, MAX_TIERS};
use crate::core::records::PricesRecord;
use crate::core::records::{decode, encode, keys, SCHEMA};
use crate::core::rules::availability::{Prices, TIERS_KIND};
use crate::core::rules::events::{self, Entity, EventSpec};
use crate::core::validate::Check;
use serde::Serialize;

/// Tiers per `bulkCreateTiers` call.
pub const MAX_BULK: usize = 20;

// ------------------------------------------------------------------ views

#[derive(Serialize)]
struct TierView<'a> {
    #[serde(rename = "_id")]
    id: &'a str,
    #[serde(rename = "tierDefinition")]
    definition: &'a Definition,
    #[serde(rename = "requiredPoints")]
    required_points: i64,
    revision: String,
    #[serde(rename = "_createdDate")]
    created: i64,
    #[serde(rename = "_updatedDate")]
    updated: i64,
}

#[derive(Serialize)]
struct Window {
    #[serde(rename = "durationInMonths")]
    months: u32,
}

#[derive(Serialize)]
struct SettingsView<'a> {
    #[serde(rename = "rollingWindow")]
    window: Window,
    status: TiersStatus,
    revision: String,
    #[serde(rename = "_createdDate")]
    created: i64,
    #[serde(rename = "_updatedDate")]
    updated: i64,
    #[serde(rename = "baseTierDefinition")]
    base: &'a Definition,
}

fn tier_json(t: &Tier) -> Result<String> {
    encode(&TierView {
        id: &t.id,
        definition: &t.definition,
        required_points: t.required_points,
        revision: t.revision.to_string(),
        created: t.created_ms,
        updated: t.updated_ms,
    })
}

fn settings_json(s: &Settings) -> Result<String> {
    encode(&SettingsView {
        window: Window { months: s.months },
        status: s.status,
        revision: s.revision.to_string(),
        created: s.created_ms,
        updated: s.updated_ms,
        base: &s.base,
    })
}

fn tiers_json(record: &TiersRecord) -> Result<String> {
    Ok(format!("[{}]", record.tiers.iter().map(tier_json).collect::<Result<Vec<_>>>()?.join(",")))
}

fn not_found(id: &str) -> LoyaltyError {
    LoyaltyError::not_found(Reason::TierNotFound, format!("tier {id} does not exist")).with_data(&[("tierId", &id)])
}

fn no_settings() -> LoyaltyError {
    LoyaltyError::not_found(
        Reason::TiersProgramSettingsNotFound,
        "the tiers program has no settings yet: create them with createTiersProgramSettings (or read getTiersProgram, which creates the defaults)",
    )
}

// ------------------------------------------------------------------ input

/// `tierDefinition` / `baseTierDefinition`: each field `None` when not given.
fn definition(c: &mut Check, field: &str, v: &Input, name_required: bool) -> Option<Definition> {
    let d = c.object(field, v, name_required)?;
    let name = c.string(&format!("{field}.name"), d.get("name"), 1, 50, name_required);
    let description = c.string(&format!("{field}.description"), d.get("description"), 0, 70, false);
    let icon = c.string(&format!("{field}.icon"), d.get("icon"), 1, 2048, false);
    Some(Definition { name: name?, description: description?, icon: icon? })
}

fn required_points(c: &mut Check, field: &str, v: &Input, required: bool) -> Option<Option<i64>> {
    c.integer(field, v, 1, MAX_REQUIRED, required)
}

fn new_tier(c: &mut Check, field: &str, v: &Input) -> Option<(Definition, i64)> {
    let t = c.object(field, v, true)?;
    let def = definition(c, &format!("{field}.tierDefinition"), t.get("tierDefinition"), true);
    let points = required_points(c, &format!("{field}.requiredPoints"), t.get("requiredPoints"), true);
    Some((def?, points??))
}

fn new_settings(c: &mut Check, v: &Input, update: bool) -> Option<(TiersStatus, u32, Definition, Option<u64>)> {
    let s = c.object("programSettings", v, true)?;
    let status = match s.get("status") {
        Input::String(t) if TiersStatus::parse(t).is_some() => TiersStatus::parse(t),
        x if x.is_absent() && !update => Some(TiersStatus::Disabled),
        x if x.is_absent() => {
            c.fail("programSettings.status", Reason::RequiredField, "is required: DISABLED, DRAFT, ACTIVE or PAUSED");
            None
        }
        other => {
            let got = other.describe();
            c.fail(
                "programSettings.status",
                Reason::InvalidEnum,
                format!("must be DISABLED, DRAFT, ACTIVE or PAUSED (got {got})"),
            );
            None
        }
    };
    let months = c
        .object("programSettings.rollingWindow", s.get("rollingWindow"), true)
        .and_then(|w| {
            c.integer("programSettings.rollingWindow.durationInMonths", w.get("durationInMonths"), 1, 36, true)
        })
        .flatten();
    let base = match s.get("baseTierDefinition") {
        x if x.is_absent() => Some(Definition::default()),
        x => definition(c, "programSettings.baseTierDefinition", x, false),
    };
    let revision = if update {
        c.required_revision("programSettings.revision", s.get("revision"), "the current revision").map(Some)
    } else {
        Some(None)
    };
    Some((status?, months? as u32, base?, revision?))
}

// ------------------------------------------------------------------ the operation

#[derive(Debug, Clone, PartialEq)]
enum Command {
    /// New tiers with their ids, or why each failed its checks; `bulk` answers per item.
    Create {
        items: Vec<std::result::Result<(String, Definition, i64), LoyaltyError>>,
        bulk: bool,
    },
    Get(String),
    List,
    Update {
        id: String,
        revision: u64,
        definition: Definition,
        points: Option<i64>,
    },
    Delete {
        id: String,
        revision: u64,
    },
    CreateSettings(TiersStatus, u32, Definition),
    GetSettings,
    /// `getTiersProgram`: creates the default settings when there are none.
    Program,
    UpdateSettings(TiersStatus, u32, Definition, u64),
}

#[derive(Debug, Clone)]
pub struct TiersOp {
    command: Command,
    at: Stamp,
    /// The id of the `tiersRecalculation` job a change of the ladder creates.
    job_id: String,
    /// The tiers as read (with their version), while `reward-prices` is built from the rewards.
    building: Option<(TiersRecord, u64, Prices)>,
}

/// `job`: the index of the fresh id the job takes (`None`: the command never moves the ladder).
fn begin(command: Command, ctx: &Context, job: Option<usize>) -> Result<Step> {
    let job_id = match job {
        Some(i) => ctx.fresh_id(i)?,
        None => String::new(),
    };
    let op = TiersOp { command, at: ctx.stamp(), job_id, building: None };
    let lock = if op.only_reads() { vec![] } else { vec![keys::TIERS.to_string(), keys::REWARD_PRICES.to_string()] };
    Ok(read(op).locking(lock))
}

/// Reading the tiers, and `reward-prices` for a command that may change them.
fn read(op: TiersOp) -> Step {
    let keys =
        if op.only_reads() { vec![keys::TIERS.into()] } else { vec![keys::TIERS.into(), keys::REWARD_PRICES.into()] };
    Step::new(Request::Read(keys), op)
}

/// What balance changes need of `tiers`, into `prices`: the window, and the ladder while the
/// tiers program is `ACTIVE`.
fn copy_ladder(tiers: &TiersRecord, prices: &mut PricesRecord) {
    prices.months = tiers.months();
    prices.ladder = tiers.ladder();
}

pub fn create(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let tier = new_tier(&mut c, "tier", arg(args, 0));
    c.finish()?;
    let (def, points) =
        tier.ok_or_else(|| LoyaltyError::internal(Reason::InvalidState, "a checked tier went missing"))?;
    begin(Command::Create { items: vec![Ok((ctx.fresh_id(0)?, def, points))], bulk: false }, ctx, Some(1))
}

pub fn bulk_create(args: &[Input], ctx: &Context) -> Result<Step> {
    let items = match arg(args, 0) {
        Input::Array(items) if (1..=MAX_BULK).contains(&items.len()) => items,
        other => {
            let rule = if other.is_absent() { Reason::RequiredField } else { Reason::OutOfRange };
            return Err(LoyaltyError::invalid_field(
                "tiers",
                rule,
                format!("must be an array of 1 to {MAX_BULK} tiers (got {})", other.describe()),
            ));
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mut c = Check::default();
        let tier = new_tier(&mut c, &format!("tiers[{i}]"), item);
        out.push(match (c.finish(), tier) {
            (Ok(()), Some((def, points))) => Ok((ctx.fresh_id(i)?, def, points)),
            (Err(e), _) => Err(e),
            (Ok(()), None) => Err(LoyaltyError::internal(Reason::InvalidState, "a checked tier went missing")),
        });
    }
    begin(Command::Create { items: out, bulk: true }, ctx, Some(MAX_BULK))
}

fn tier_id(c: &mut Check, field: &str, v: &Input) -> String {
    c.required_guid(field, v).unwrap_or_default()
}

pub fn get(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = tier_id(&mut c, "tierId", arg(args, 0));
    c.finish()?;
    begin(Command::Get(id), ctx, None)
}

pub fn list(_: &[Input], ctx: &Context) -> Result<Step> {
    begin(Command::List, ctx, None)
}

pub fn update(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = tier_id(&mut c, "_id", arg(args, 0));
    let mut change = None;
    if let Some(t) = c.object("tier", arg(args, 1), true) {
        let revision = c.required_revision("tier.revision", t.get("revision"), "the current revision");
        let def = match t.get("tierDefinition") {
            x if x.is_absent() => Some(Definition::default()),
            x => definition(&mut c, "tier.tierDefinition", x, false),
        };
        let points = required_points(&mut c, "tier.requiredPoints", t.get("requiredPoints"), false);
        change = revision.zip(def).zip(points);
    }
    c.finish()?;
    let ((revision, definition), points) =
        change.ok_or_else(|| LoyaltyError::internal(Reason::InvalidState, "a checked tier went missing"))?;
    begin(Command::Update { id, revision, definition, points }, ctx, Some(0))
}

pub fn delete(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = tier_id(&mut c, "tierId", arg(args, 0));
    let revision = c.required_revision("revision", arg(args, 1), "the current revision");
    c.finish()?;
    let revision =
        revision.ok_or_else(|| LoyaltyError::internal(Reason::InvalidState, "a checked revision went missing"))?;
    begin(Command::Delete { id, revision }, ctx, Some(0))
}

fn settings_command(args: &[Input], update: bool) -> Result<(TiersStatus, u32, Definition, Option<u64>)> {
    let mut c = Check::default();
    let settings = new_settings(&mut c, arg(args, 0), update);
    c.finish()?;
    settings.ok_or_else(|| LoyaltyError::internal(Reason::InvalidState, "checked settings went missing"))
}

pub fn create_settings(args: &[Input], ctx: &Context) -> Result<Step> {
    let (status, months, base, _) = settings_command(args, false)?;
    begin(Command::CreateSettings(status, months, base), ctx, Some(0))
}

pub fn update_settings(args: &[Input], ctx: &Context) -> Result<Step> {
    let (status, months, base, revision) = settings_command(args, true)?;
    begin(Command::UpdateSettings(status, months, base, revision.unwrap_or(0)), ctx, Some(0))
}

pub fn get_settings(_: &[Input], ctx: &Context) -> Result<Step> {
    begin(Command::GetSettings, ctx, None)
}

pub fn program(_: &[Input], ctx: &Context) -> Result<Step> {
    begin(Command::Program, ctx, Some(0))
}

/// Why a tier cannot join `tiers` (leaving out the tier `except`, the one being changed).
fn clash(tiers: &[Tier], except: &str, name: Option<&str>, points: i64) -> Option<LoyaltyError> {
    let others = || tiers.iter().filter(|t| t.id != except);
    if let Some(name) = name {
        if let Some(t) = others().find(|t| t.definition.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name))) {
            return Some(
                LoyaltyError::new(
                    Code::AlreadyExists,
                    Reason::TierNameTaken,
                    format!(
                        "tier {} is already named {}: tier names are unique",
                        t.id,
                        crate::core::input::quoted(name)
                    ),
                )
                .with_data(&[("tierId", &t.id)]),
            );
        }
    }
    others().find(|t| t.required_points == points).map(|t| {
        LoyaltyError::new(
            Code::AlreadyExists,
            Reason::TierPointsTaken,
            format!("tier {} already requires {points} points: each tier needs a different requiredPoints", t.id),
        )
        .with_data(&[("tierId", &t.id)])
    })
}

fn sort(tiers: &mut [Tier]) {
    tiers.sort_by_key(|t| t.required_points);
}

impl TiersOp {
    fn tier_event(&self, slug: &'static str, t: &Tier, view: Option<&str>) -> Result<String> {
        let spec = EventSpec::of(Entity::Tier, slug, &t.id, t.revision, self.at.now_ms);
        match view {
            Some(view) => events::event(spec, "entity", view),
            None => events::deleted(spec),
        }
    }

    /// The commit of `after` over the record read at `version`, answering `result`, with the
    /// ladder copied into `reward-prices` (as read, with its version) and, when that moved it, a
    /// `tiersRecalculation` job.
    fn commit(
        self,
        after: &TiersRecord,
        version: u64,
        result: String,
        events: Vec<String>,
        prices: (PricesRecord, u64),
    ) -> Result<Step> {
        let events = if self.at.events { events::list(&events) } else { "[]".into() };
        let writes = vec![Write::put(keys::TIERS, encode(after)?, version)];
        let (before, prices_version) = prices;
        let mut moved = before.clone();
        copy_ladder(after, &mut moved);
        let (job_id, at) = (self.job_id.clone(), self.at);
        let outcome = Outcome { result, events };
        super::rewards::commit_prices(
            Box::new(self),
            writes,
            &before,
            prices_version,
            moved,
            outcome,
            job_id,
            at,
            TIERS_KIND,
        )
    }

    /// Whether the command never writes (it reads the tiers only).
    fn only_reads(&self) -> bool {
        matches!(self.command, Command::Get(_) | Command::List | Command::GetSettings)
    }

    /// With `reward-prices` read, or being built from the rewards (a store from before it).
    fn with_prices(self, record: TiersRecord, version: u64, prices: Prices) -> Result<Step> {
        let kept = record.clone();
        match super::rewards::prices_or_scan(prices, self, |op, p| op.building = Some((kept, version, p))) {
            Ok((op, prices, prices_version)) => op.decide(record, version, (prices, prices_version)),
            Err(scan) => Ok(scan),
        }
    }

    fn decide(self, mut record: TiersRecord, version: u64, prices: (PricesRecord, u64)) -> Result<Step> {
        let now = self.at.now_ms;
        let fresh_settings =
            |status, months, base| Settings { status, months, base, revision: 1, created_ms: now, updated_ms: now };
        match &self.command {
            Command::Get(id) => {
                let t = record.find(id).ok_or_else(|| not_found(id))?;
                Ok(Step::done(format!("{{\"tier\":{}}}", tier_json(t)?)))
            }
            Command::List => Ok(Step::done(format!("{{\"tiers\":{}}}", tiers_json(&record)?))),
            Command::GetSettings => {
                let s = record.settings.as_ref().ok_or_else(no_settings)?;
                Ok(Step::done(format!("{{\"programSettings\":{}}}", settings_json(s)?)))
            }
            Command::Program => {
                let created = record.settings.is_none();
                let s = record
                    .settings
                    .get_or_insert_with(|| fresh_settings(TiersStatus::Disabled, 12, Definition::default()));
                let settings = settings_json(s)?;
                let result = format!("{{\"tiers\":{},\"programSettings\":{settings}}}", tiers_json(&record)?);
                if created {
                    self.commit(&record, version, result, vec![], prices)
                } else {
                    Ok(Step::done(result))
                }
            }
            Command::CreateSettings(status, months, base) => {
                if record.settings.is_some() {
                    return Err(LoyaltyError::new(
                        Code::AlreadyExists,
                        Reason::TiersProgramSettingsExist,
                        "the tiers program settings exist already: change them with updateTiersProgramSettings",
                    ));
                }
                let s = fresh_settings(*status, *months, base.clone());
                let result = format!("{{\"programSettings\":{}}}", settings_json(&s)?);
                record.settings = Some(s);
                self.commit(&record, version, result, vec![], prices)
            }
            Command::UpdateSettings(status, months, base, revision) => {
                let s = record.settings.as_mut().ok_or_else(no_settings)?;
                if s.revision != *revision {
                    return Err(LoyaltyError::revision_mismatch(
                        "programSettings.revision",
                        "the tiers program settings",
                        "",
                        "",
                        *revision,
                        s.revision,
                    ));
                }
                s.status = *status;
                s.months = *months;
                s.base = base.clone();
                crate::core::records::bump(&mut s.revision, "tiers program's revision")?;
                s.updated_ms = now.max(s.updated_ms);
                let result = format!("{{\"programSettings\":{}}}", settings_json(s)?);
                self.commit(&record, version, result, vec![], prices)
            }
            Command::Create { items, bulk } => {
                let mut results = Vec::with_capacity(items.len());
                let mut made = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let failure = match item {
                        Err(e) => Some(e.clone()),
                        Ok(_) if record.tiers.len() >= MAX_TIERS => Some(LoyaltyError::precondition(
                            Reason::TooManyTiers,
                            format!("the program has {MAX_TIERS} tiers, the most it can have: delete one first"),
                        )),
                        Ok((id, _, _)) if record.find(id).is_some() => Some(LoyaltyError::new(
                            Code::AlreadyExists,
                            Reason::TierAlreadyExists,
                            format!("tier {id} already exists: the id generator (option newId) returned an id in use"),
                        )),
                        Ok((id, def, points)) => clash(&record.tiers, "", def.name.as_deref(), *points).or_else(|| {
                            let t = Tier {
                                id: id.clone(),
                                definition: def.clone(),
                                required_points: *points,
                                revision: 1,
                                created_ms: now,
                                updated_ms: now,
                            };
                            made.push(t.clone());
                            record.tiers.push(t);
                            None
                        }),
                    };
                    if !*bulk {
                        if let Some(e) = failure {
                            return Err(e);
                        }
                    }
                    results.push((i, failure));
                }
                sort(&mut record.tiers);
                let views = made.iter().map(tier_json).collect::<Result<Vec<_>>>()?;
                let events = made
                    .iter()
                    .zip(&views)
                    .map(|(t, v)| self.tier_event("created", t, Some(v)))
                    .collect::<Result<Vec<_>>>()?;
                let result = if *bulk {
                    let pairs: Vec<(&str, &str)> =
                        made.iter().map(|t| t.id.as_str()).zip(views.iter().map(String::as_str)).collect();
                    super::bulk_results(&results, &pairs)?
                } else {
                    format!("{{\"tier\":{}}}", views.first().map_or("null", String::as_str))
                };
                if made.is_empty() {
                    return Ok(Step::done(result));
                }
                self.commit(&record, version, result, events, prices)
            }
            Command::Update { id, revision, definition, points } => {
                let at = record.tiers.iter().position(|t| &t.id == id).ok_or_else(|| not_found(id))?;
                let mut t = record.tiers.remove(at);
                if t.revision != *revision {
                    return Err(LoyaltyError::revision_mismatch(
                        "tier.revision",
                        "tier",
                        "tierId",
                        id,
                        *revision,
                        t.revision,
                    ));
                }
                let new_name = definition.name.clone().or(t.definition.name.take());
                let new_points = points.unwrap_or(t.required_points);
                if let Some(e) = clash(&record.tiers, id, new_name.as_deref(), new_points) {
                    return Err(e);
                }
                t.definition.name = new_name;
                if definition.description.is_some() {
                    t.definition.description = definition.description.clone();
                }
                if definition.icon.is_some() {
                    t.definition.icon = definition.icon.clone();
                }
                t.required_points = new_points;
                crate::core::records::bump(&mut t.revision, "tier's revision")?;
                t.updated_ms = now.max(t.updated_ms);
                let view = tier_json(&t)?;
                let event = self.tier_event("updated", &t, Some(&view))?;
                record.tiers.push(t);
                sort(&mut record.tiers);
                self.commit(&record, version, format!("{{\"tier\":{view}}}"), vec![event], prices)
            }
            Command::Delete { id, revision } => {
                let at = record.tiers.iter().position(|t| &t.id == id).ok_or_else(|| not_found(id))?;
                let mut t = record.tiers.remove(at);
                if t.revision != *revision {
                    return Err(LoyaltyError::revision_mismatch(
                        "revision", "tier", "tierId", id, *revision, t.revision,
                    ));
                }
                crate::core::records::bump(&mut t.revision, "tier's revision")?;
                let event = self.tier_event("deleted", &t, None)?;
                self.commit(&record, version, "{}".into(), vec![event], prices)
            }
        }
    }
}

impl Machine for TiersOp {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        if let Some((record, version, building)) = self.building.take() {
            let prices = building.scanned(io)?;
            return self.with_prices(record, version, prices);
        }
        let values = expect_read(io, if self.only_reads() { 1 } else { 2 })?;
        let (record, version) = match values.first().and_then(Option::as_ref) {
            Some(s) => (decode::<TiersRecord>(keys::TIERS, &s.value)?, s.version),
            None => (TiersRecord { schema: SCHEMA, ..TiersRecord::default() }, 0),
        };
        // (getTiersProgram writes only when there are no settings yet.)
        if self.only_reads() || (self.command == Command::Program && record.settings.is_some()) {
            return self.decide(record, version, (PricesRecord::empty(), 0));
        }
        let prices = Prices::from_read(values.get(1).and_then(Option::as_ref))?;
        self.with_prices(record, version, prices)
    }

    /// Another tier or reward change committed meanwhile: read both again and decide anew. (A
    /// taken job id is `rewards::commit_prices`' to report: the commit that writes the job is its.)
    fn conflict(mut self: Box<Self>, _key: &str) -> Result<Step> {
        self.building = None;
        Ok(read(*self))
    }
}
