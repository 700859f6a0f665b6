//! Rewards: `createReward`, `bulkCreateRewards`, `getReward`, `updateReward`, `deleteReward`,
//! `queryRewards`, `listRewards` and `bulkGetRewards` (spec §2.4, §3.4).
//!
//! Our decisions where the spec is silent or inferred:
//! * A reward is a discount amount or a coupon: exactly one of `discountAmount` and
//!   `couponReward`, which decides `type`; a `type` given must agree (`UNDEFINED` is refused).
//!   `type` never changes afterwards.
//! * Every kind needs 1 to 21 prices in `configsByTier`, each tier at most once: the base
//!   tier's (`tierId` absent, null or empty) and those of tiers that exist (`TIER_NOT_FOUND`
//!   otherwise, checked against `tiers` when the reward is stored).
//! * `updateReward` needs `name` and the current `revision`; `active` and the details replace
//!   what they name when given and are kept when absent (a rename does not deactivate).
//! * `deleteReward` leaves a tombstone (see [`crate::core::records::reward`]): the reward is
//!   gone for every read and query, and its id is never reused.
//! * Rewards work in every program status; `listRewards` shows members active rewards only.
//! * `bulkGetRewards` answers this site's rewards (there is one site), without `metaSiteId`.

use super::arg;
use crate::core::error::{Code, LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::protocol::{expect_read, expect_scan, Caller, Context, Io, Machine, Outcome, Request, Stamp, Step};
use crate::core::protocol::{Batch, ScanRequest, Stored, Write};
use crate::core::query::fields::{decode_reward, Val, REWARDS, REWARD_ACTIVE};
use crate::core::query::filter::{Filter, Op};
use crate::core::query::paging::{cursor_paging, CursorMetadata, MetadataV2, DEFAULT_LIMIT};
use crate::core::query::scan::{self, Page, Query};
use crate::core::query::sort::SortKey;
use crate::core::reason::Reason;
use crate::core::records::prices::{contribution, Contribution};
use crate::core::records::reward::{boolean, details};
use crate::core::records::{encode, keys, view, Details, JobRecord, PricesRecord, RewardRecord, RewardType, SCHEMA};
use crate::core::rules::availability::{self, Prices};
use crate::core::rules::events::{self, Entity, EventSpec};
use crate::core::validate::Check;

/// Rewards per `bulkCreateRewards` call.
pub const MAX_BULK: usize = 10;

// ------------------------------------------------------------------ input

/// A reward as given to `createReward` (and each of `bulkCreateRewards`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewReward {
    name: String,
    active: bool,
    details: Details,
}

/// `type` as given (checked by [`details`]), for an update to compare with the reward's.
fn given_type(r: &Input) -> Option<&str> {
    r.get("type").text().filter(|t| *t == "DISCOUNT_AMOUNT" || *t == "COUPON_REWARD")
}

fn new_reward(c: &mut Check, field: &str, v: &Input) -> Option<NewReward> {
    let r = c.object(field, v, true)?;
    let name = c.required_string(&format!("{field}.name"), r.get("name"), 1, 50);
    let active = boolean(c, &format!("{field}.active"), r.get("active"));
    let details = details(c, field, r, true);
    Some(NewReward { name: name?, active: active?.unwrap_or(false), details: details?? })
}

// ------------------------------------------------------------------ answers

fn view_json(r: &RewardRecord) -> Result<String> {
    encode(&view::reward(r))
}

fn not_found(id: &str) -> LoyaltyError {
    LoyaltyError::not_found(Reason::RewardNotFound, format!("reward {id} does not exist"))
        .with_data(&[("rewardId", &id)])
}

/// The reward stored at `reward/<id>` and its version, unless absent or deleted.
pub fn read_reward(id: &str, stored: Option<crate::core::protocol::Stored>) -> Result<(RewardRecord, u64)> {
    match stored {
        Some(s) => {
            let reward = decode_reward(&keys::reward(id), &s.value)?;
            if reward.deleted_ms.is_some() {
                Err(not_found(id))
            } else {
                Ok((reward, s.version))
            }
        }
        None => Err(not_found(id)),
    }
}

fn event(at: &Stamp, slug: &'static str, r: &RewardRecord, view_json: Option<&str>) -> Result<String> {
    let spec = EventSpec::of(Entity::Reward, slug, &r.id, r.revision, at.now_ms);
    match view_json {
        Some(view) => events::event(spec, "entity", view),
        None => events::deleted(spec),
    }
}

// ------------------------------------------------------------------ prices

/// `reward-prices` of a reward change: read, or the next page of rewards to scan to build it
/// (a store written before it existed). `Ok(Err(step))`: scan on, with `op` holding `prices`.
pub(crate) fn prices_or_scan<M: Machine + 'static>(
    prices: Prices,
    op: M,
    keep: impl FnOnce(&mut M, Prices),
) -> std::result::Result<(M, PricesRecord, u64), Step> {
    match prices {
        Prices::Ready(record, version) => Ok((op, record, version)),
        Prices::Building(request, partial) => {
            let mut op = op;
            keep(&mut op, Prices::Building(request.clone(), partial));
            Err(Step::new(Request::Scan(request), op))
        }
    }
}

/// The commit of a reward change: `writes` and `reward-prices` updated from `before` (read at
/// `version`; 0 = absent, just built from the rewards) by the prices taken `out` and put `in_`.
/// When that moves the lowest price, the same commit creates a `rewardAvailability` job (id
/// `job_id`), which runs once it is committed; the change answers after it.
#[allow(clippy::too_many_arguments)]
fn commit_change(
    op: Box<dyn Machine>,
    writes: Vec<Write>,
    before: PricesRecord,
    version: u64,
    out: Option<Contribution>,
    in_: &[Contribution],
    outcome: Outcome,
    job_id: String,
    at: Stamp,
) -> Result<Step> {
    let mut after = before.clone();
    if let Some(c) = out {
        if !after.remove(&c) {
            return Err(LoyaltyError::corrupt(
                keys::REWARD_PRICES,
                "it lacks the prices of an active reward: run verify()",
            ));
        }
    }
    for c in in_ {
        after.add(c);
    }
    commit_prices(op, writes, &before, version, after, outcome, job_id, at, availability::KIND)
}

/// The commit of a change to `reward-prices` (`before` read at `version`, 0 = absent and just
/// built): `after` with `writes`, and a recalculation job of `kind` (id `job_id`) in the same
/// commit when what balance changes derive from it moved (the lowest price, the tier ladder, the
/// window); the job runs once committed and the change answers after it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn commit_prices(
    op: Box<dyn Machine>,
    mut writes: Vec<Write>,
    before: &PricesRecord,
    version: u64,
    after: PricesRecord,
    outcome: Outcome,
    job_id: String,
    at: Stamp,
    kind: &'static str,
) -> Result<Step> {
    if version > 0 && after == *before {
        writes.push(Write::check(keys::REWARD_PRICES, version));
        return Ok(Step { request: Request::Commit(writes, outcome), state: op, lock: Vec::new() });
    }
    writes.push(Write::put(keys::REWARD_PRICES, after.to_json(), version));
    // Absent prices were read by balance changes as no active reward and the base tier.
    let empty = PricesRecord::empty();
    if !after.moved_from(if version == 0 { &empty } else { before }) {
        return Ok(Step { request: Request::Commit(writes, outcome), state: op, lock: Vec::new() });
    }
    let job = super::bulk_adjust::new_job(job_id, kind, Input::Object(Vec::new()), at.now_ms);
    writes.push(Write::put(keys::job(&job.id), encode(&job)?, 0));
    let batch = Batch { events: outcome.events, progress: encode(&view::job(&job))? };
    let then = ThenJob { op, job, prices: after, prices_version: version + 1, answer: outcome.result, at };
    Ok(Step::new(Request::Batch(writes, batch), then))
}

/// A reward change whose commit creates a `rewardAvailability` job: once committed, the job
/// runs; a conflict is the change's to handle.
#[cfg_attr(not(target_arch = "wasm32"), derive(Clone))]
struct ThenJob {
    op: Box<dyn Machine>,
    job: JobRecord,
    prices: PricesRecord,
    prices_version: u64,
    answer: String,
    at: Stamp,
}

impl Machine for ThenJob {
    fn resume(self: Box<Self>, io: Io) -> Result<Step> {
        match io {
            Io::Committed => {
                let t = *self;
                Ok(super::bulk_adjust::run_availability(t.job, t.prices, t.prices_version, t.at, t.answer))
            }
            _ => Err(LoyaltyError::storage_protocol("expected the outcome of a commit")),
        }
    }

    fn conflict(self: Box<Self>, key: &str) -> Result<Step> {
        if key == keys::job(&self.job.id) {
            return Err(crate::core::rules::ledger::id_collision(&self.job.id, "a job"));
        }
        self.op.conflict(key)
    }
}

// ------------------------------------------------------------------ create

/// What a create answers: one reward (`{ reward }`) or a bulk's per-item results.
#[derive(Debug, Clone, PartialEq)]
enum Created {
    One,
    /// Per input item: its index and, on failure, its error.
    Bulk(Vec<(usize, Option<LoyaltyError>)>),
}

#[derive(Debug, Clone)]
pub struct Create {
    rewards: Vec<RewardRecord>,
    answer: Created,
    job_id: String,
    at: Stamp,
    /// `reward-prices` being built from the rewards (when absent).
    building: Option<Prices>,
    /// The tiers there are, and the version of `tiers`, as read.
    tiers: Option<(Vec<String>, u64)>,
}

impl Create {
    /// A reward pricing a tier that does not exist is refused: the call fails, or in a bulk
    /// that item does.
    fn refuse_unknown_tiers(&mut self, known: &[String]) -> Result<()> {
        let Created::Bulk(results) = &mut self.answer else {
            return match self.rewards.first() {
                Some(r) => unknown_tier(r, known, "reward"),
                None => Ok(()),
            };
        };
        let mut rewards = std::mem::take(&mut self.rewards).into_iter();
        for (i, error) in results.iter_mut() {
            if error.is_some() {
                continue;
            }
            let Some(r) = rewards.next() else { break };
            match unknown_tier(&r, known, &format!("rewards[{i}]")) {
                Ok(()) => self.rewards.push(r),
                Err(e) => *error = Some(e),
            }
        }
        Ok(())
    }
}

fn read_prices<M: Machine + 'static>(op: M) -> Step {
    Step::new(Request::Read(vec![keys::REWARD_PRICES.into(), keys::TIERS.into()]), op)
}

/// The ids of the tiers there are, and the version of `tiers` (0: none).
fn known_tiers(stored: Option<&Stored>) -> Result<(Vec<String>, u64)> {
    match stored {
        Some(s) => {
            let tiers: crate::core::records::tier::TiersRecord = crate::core::records::decode(keys::TIERS, &s.value)?;
            Ok((tiers.tiers.into_iter().map(|t| t.id).collect(), s.version))
        }
        None => Ok((Vec::new(), 0)),
    }
}

/// `TIER_NOT_FOUND` when a price of `reward` (given at `field`) names a tier not in `known`.
fn unknown_tier(reward: &RewardRecord, known: &[String], field: &str) -> Result<()> {
    match reward.tier_ids().into_iter().find(|t| !known.iter().any(|k| k == t)) {
        Some(t) => Err(LoyaltyError::invalid_field(
            &format!("{field}.{}", reward.tier_price_path(t)),
            Reason::TierNotFound,
            format!("prices tier {t}, which does not exist (listTiers names the tiers there are)"),
        )
        .with_data(&[("tierId", &t)])),
        None => Ok(()),
    }
}

fn record(id: String, new: NewReward, now_ms: i64) -> RewardRecord {
    let mut r = RewardRecord {
        schema: SCHEMA,
        id,
        name: new.name,
        active: new.active,
        kind: new.details.kind(),
        revision: 1,
        created_ms: now_ms,
        updated_ms: now_ms,
        discount_amount: None,
        coupon_reward: None,
        deleted_ms: None,
    };
    r.set_details(new.details);
    r
}

pub fn create(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let new = new_reward(&mut c, "reward", arg(args, 0));
    c.finish()?;
    let new = new.ok_or_else(|| LoyaltyError::internal(Reason::InvalidState, "a checked reward went missing"))?;
    let reward = record(ctx.fresh_id(0)?, new, ctx.now_ms);
    let op = Create {
        rewards: vec![reward],
        answer: Created::One,
        job_id: ctx.fresh_id(1)?,
        at: ctx.stamp(),
        building: None,
        tiers: None,
    };
    Ok(read_prices(op))
}

pub fn bulk_create(args: &[Input], ctx: &Context) -> Result<Step> {
    let items = match arg(args, 0) {
        Input::Array(items) if (1..=MAX_BULK).contains(&items.len()) => items,
        Input::Array(items) => {
            return Err(LoyaltyError::invalid_field(
                "rewards",
                Reason::OutOfRange,
                format!("must hold 1 to {MAX_BULK} rewards (got {})", items.len()),
            ))
        }
        other => {
            let rule = if other.is_absent() { Reason::RequiredField } else { Reason::WrongType };
            return Err(LoyaltyError::invalid_field(
                "rewards",
                rule,
                format!("must be an array of 1 to {MAX_BULK} rewards (got {})", other.describe()),
            ));
        }
    };
    let mut rewards = Vec::new();
    let mut results = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mut c = Check::default();
        let new = new_reward(&mut c, &format!("rewards[{i}]"), item);
        match (c.finish(), new) {
            (Ok(()), Some(new)) => {
                rewards.push(record(ctx.fresh_id(i)?, new, ctx.now_ms));
                results.push((i, None));
            }
            (Err(e), _) => results.push((i, Some(e))),
            (Ok(()), None) => {
                results.push((i, Some(LoyaltyError::internal(Reason::InvalidState, "a checked reward went missing"))))
            }
        }
    }
    if rewards.is_empty() {
        let answer = Created::Bulk(results);
        return commit_created(
            Create { rewards, answer, job_id: String::new(), at: ctx.stamp(), building: None, tiers: None },
            None,
        );
    }
    let job_id = ctx.fresh_id(MAX_BULK)?;
    let op = Create { rewards, answer: Created::Bulk(results), job_id, at: ctx.stamp(), building: None, tiers: None };
    Ok(read_prices(op))
}

/// Commits the created rewards with `prices` (`reward-prices` as read, and its version).
fn commit_created(create: Create, prices: Option<(PricesRecord, u64)>) -> Result<Step> {
    let at = &create.at.clone();
    let mut views = Vec::with_capacity(create.rewards.len());
    let mut writes = Vec::with_capacity(create.rewards.len());
    let mut event_list = Vec::new();
    for r in &create.rewards {
        let view = view_json(r)?;
        if at.events {
            event_list.push(event(at, "created", r, Some(&view))?);
        }
        writes.push(Write::put(keys::reward(&r.id), encode(r)?, 0));
        views.push(view);
    }
    let result = match &create.answer {
        Created::One => format!("{{\"reward\":{}}}", views.first().map_or("null", String::as_str)),
        Created::Bulk(results) => {
            let made: Vec<(&str, &str)> =
                create.rewards.iter().map(|r| r.id.as_str()).zip(views.iter().map(String::as_str)).collect();
            super::bulk_results(results, &made)?
        }
    };
    let Some((before, version)) = prices.filter(|_| !writes.is_empty()) else {
        return Ok(Step::done(result));
    };
    let costs: Vec<Contribution> = create.rewards.iter().filter_map(contribution).collect();
    if let Some((_, tiers_version)) =
        create.tiers.as_ref().filter(|_| create.rewards.iter().any(|r| !r.tier_ids().is_empty()))
    {
        // The tiers its prices name must still exist when it is stored.
        writes.push(Write::check(keys::TIERS, *tiers_version));
    }
    let outcome = Outcome { result, events: events::list(&event_list) };
    let job_id = create.job_id.clone();
    commit_change(Box::new(create), writes, before, version, None, &costs, outcome, job_id, *at)
}

impl Machine for Create {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        let prices = match self.building.take() {
            Some(building) => building.scanned(io)?,
            None => {
                let values = expect_read(io, 2)?;
                let (known, version) = known_tiers(values.get(1).and_then(Option::as_ref))?;
                self.refuse_unknown_tiers(&known)?;
                self.tiers = Some((known, version));
                Prices::from_read(values.first().and_then(Option::as_ref))?
            }
        };
        match prices_or_scan(prices, *self, |op, p| op.building = Some(p)) {
            Ok((op, prices, version)) => commit_created(op, Some((prices, version))),
            Err(scan) => Ok(scan),
        }
    }

    /// A reward change moved `reward-prices` meanwhile (read it again); or a fresh id already
    /// names a reward: the id generator repeated itself.
    fn conflict(mut self: Box<Self>, key: &str) -> Result<Step> {
        if key == keys::REWARD_PRICES || key == keys::TIERS {
            self.building = None;
            return Ok(read_prices(*self));
        }
        let id = key.strip_prefix(keys::REWARD_PREFIX).unwrap_or(key);
        Err(LoyaltyError::new(
            Code::AlreadyExists,
            Reason::RewardAlreadyExists,
            format!("reward {id} already exists: the id generator (option newId) returned an id in use"),
        )
        .with_data(&[("rewardId", &id)]))
    }
}

// ------------------------------------------------------------------ get

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Get(String);

pub fn get(args: &[Input], _: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = c.required_guid("_id", arg(args, 0)).unwrap_or_default();
    c.finish()?;
    Ok(Step::new(Request::Read(vec![keys::reward(&id)]), Get(id)))
}

impl Machine for Get {
    fn resume(self: Box<Self>, io: Io) -> Result<Step> {
        let stored = expect_read(io, 1)?.into_iter().next().flatten();
        let (reward, _) = read_reward(&self.0, stored)?;
        Ok(Step::done(format!("{{\"reward\":{}}}", view_json(&reward)?)))
    }
}

// ------------------------------------------------------------------ update and delete

#[derive(Debug, Clone, PartialEq)]
enum Change {
    Update { name: String, active: Option<bool>, kind: Option<String>, details: Option<Box<Details>> },
    Delete,
}

#[derive(Debug, Clone)]
pub struct Modify {
    id: String,
    revision: u64,
    change: Change,
    job_id: String,
    at: Stamp,
    /// The reward as read, while `reward-prices` is built from the rewards (when absent).
    building: Option<(Option<Stored>, Prices)>,
    /// The tiers there are, and the version of `tiers`, as read.
    tiers: Option<(Vec<String>, u64)>,
}

fn read_modified(op: Modify) -> Step {
    Step::new(Request::Read(vec![keys::reward(&op.id), keys::REWARD_PRICES.into(), keys::TIERS.into()]), op)
}

fn modify(id: String, revision: u64, change: Change, ctx: &Context) -> Result<Step> {
    let key = keys::reward(&id);
    let op = Modify { id, revision, change, job_id: ctx.fresh_id(0)?, at: ctx.stamp(), building: None, tiers: None };
    Ok(read_modified(op).locking(vec![key]))
}

pub fn update(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = c.required_guid("_id", arg(args, 0));
    let mut change = None;
    let mut revision = None;
    if let Some(r) = c.object("reward", arg(args, 1), true) {
        let name = c.required_string("reward.name", r.get("name"), 1, 50);
        revision = c.required_revision("reward.revision", r.get("revision"), "the reward's current revision");
        let active = boolean(&mut c, "reward.active", r.get("active"));
        let details = details(&mut c, "reward", r, false);
        if let (Some(name), Some(active), Some(details)) = (name, active, details) {
            change = Some(Change::Update {
                name,
                active,
                kind: given_type(r).map(String::from),
                details: details.map(Box::new),
            });
        }
    }
    c.finish()?;
    match (id, revision, change) {
        (Some(id), Some(revision), Some(change)) => modify(id, revision, change, ctx),
        _ => Err(LoyaltyError::internal(Reason::InvalidState, "a checked update went missing")),
    }
}

pub fn delete(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = c.required_guid("_id", arg(args, 0));
    let revision = c.required_revision("revision", arg(args, 1), "the reward's current revision");
    c.finish()?;
    match (id, revision) {
        (Some(id), Some(revision)) => modify(id, revision, Change::Delete, ctx),
        _ => Err(LoyaltyError::internal(Reason::InvalidState, "a checked delete went missing")),
    }
}

fn type_fixed(field: &str, reward: &RewardRecord, given: &str) -> LoyaltyError {
    LoyaltyError::invalid_field(
        field,
        Reason::TypeImmutable,
        format!(
            "is {given}, but reward {} is a {} reward: a reward's type cannot change",
            reward.id,
            reward.kind.as_str()
        ),
    )
}

impl Machine for Modify {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        let (stored, prices) = match self.building.take() {
            Some((stored, building)) => (stored, building.scanned(io)?),
            None => {
                let mut values = expect_read(io, 3)?.into_iter();
                let stored = values.next().flatten();
                let prices = Prices::from_read(values.next().flatten().as_ref())?;
                self.tiers = Some(known_tiers(values.next().flatten().as_ref())?);
                (stored, prices)
            }
        };
        let kept = stored.clone();
        let (op, prices, prices_version) = match prices_or_scan(prices, *self, |op, p| op.building = Some((kept, p))) {
            Ok(ready) => ready,
            Err(scan) => return Ok(scan),
        };
        op.decide(stored, prices, prices_version)
    }

    /// Someone changed the reward or the prices meanwhile: read them again (the reward's
    /// revision then decides).
    fn conflict(mut self: Box<Self>, _key: &str) -> Result<Step> {
        self.building = None;
        Ok(read_modified(*self))
    }
}

impl Modify {
    fn decide(self, stored: Option<Stored>, prices: PricesRecord, prices_version: u64) -> Result<Step> {
        let (mut reward, version) = read_reward(&self.id, stored)?;
        let cost_before = contribution(&reward);
        if reward.revision != self.revision {
            return Err(LoyaltyError::revision_mismatch(
                "revision",
                "reward",
                "rewardId",
                &reward.id,
                self.revision,
                reward.revision,
            ));
        }
        let now = self.at.now_ms.max(reward.updated_ms);
        crate::core::records::bump(&mut reward.revision, "reward's revision")?;
        reward.updated_ms = now;
        let (result, event_json) = match &self.change {
            Change::Update { name, active, kind, details } => {
                if let Some(kind) = kind.as_deref().filter(|k| *k != reward.kind.as_str()) {
                    return Err(type_fixed("reward.type", &reward, kind));
                }
                if let Some(d) = details {
                    if d.kind() != reward.kind {
                        let field = match d.kind() {
                            RewardType::DiscountAmount => "reward.discountAmount",
                            RewardType::CouponReward => "reward.couponReward",
                        };
                        return Err(type_fixed(field, &reward, d.kind().as_str()));
                    }
                    reward.set_details(Details::clone(d));
                }
                reward.name = name.clone();
                if let Some(a) = active {
                    reward.active = *a;
                }
                let view = view_json(&reward)?;
                let ev = if self.at.events { Some(event(&self.at, "updated", &reward, Some(&view))?) } else { None };
                (format!("{{\"reward\":{view}}}"), ev)
            }
            Change::Delete => {
                reward.deleted_ms = Some(now);
                let ev = if self.at.events { Some(event(&self.at, "deleted", &reward, None)?) } else { None };
                ("{}".to_string(), ev)
            }
        };
        let events = events::list(event_json.as_slice());
        let mut writes = vec![Write::put(keys::reward(&reward.id), encode(&reward)?, version)];
        if let Some((known, tiers_version)) = &self.tiers {
            if matches!(self.change, Change::Update { details: Some(_), .. }) {
                unknown_tier(&reward, known, "reward")?;
                if !reward.tier_ids().is_empty() {
                    writes.push(Write::check(keys::TIERS, *tiers_version));
                }
            }
        }
        let cost_after: Vec<Contribution> = contribution(&reward).into_iter().collect();
        let (job_id, at) = (self.job_id.clone(), self.at);
        let outcome = Outcome { result, events };
        commit_change(Box::new(self), writes, prices, prices_version, cost_before, &cost_after, outcome, job_id, at)
    }
}

// ------------------------------------------------------------------ query and list

const LIST_CURSOR: &str = "options.cursorPaging.cursor";

fn valid_family(prefix: &str) -> bool {
    prefix == keys::REWARD_PREFIX
}

fn parse_query(c: &mut Check, q: &Input) -> (Filter, Vec<SortKey>) {
    scan::filter_and_sort(c, "query", q, REWARDS.fields)
}

fn render_query(page: Page) -> Result<String> {
    Ok(format!(
        "{{\"rewards\":[{}],\"pagingMetadata\":{}}}",
        page.items.join(","),
        encode(&CursorMetadata::new(page.items.len(), page.cursors))?
    ))
}

fn render_list(page: Page) -> Result<String> {
    let paging = MetadataV2::new(page.items.len(), page.offset, page.cursors);
    Ok(format!("{{\"rewards\":[{}],\"pagingMetadata\":{}}}", page.items.join(","), encode(&paging)?))
}

/// `queryRewards({ filter?, sort?, cursorPaging? })`: in id order unless sorted.
pub fn query(args: &[Input], _: &Context) -> Result<Step> {
    let mut c = Check::default();
    let q = c.object("query", arg(args, 0), false).unwrap_or(&Input::Null).clone();
    c.finish()?;
    scan::family_query(&REWARDS, keys::REWARD_PREFIX, "query", &q, parse_query, render_query)
}

fn everything(_: &mut Check, _: &Input) -> (Filter, Vec<SortKey>) {
    (Filter::EVERYTHING, Vec::new())
}

/// What a member lists: active rewards only, whatever a cursor says.
fn active_only(_: &mut Check, _: &Input) -> (Filter, Vec<SortKey>) {
    (Filter::Cmp(REWARD_ACTIVE, Op::Eq, vec![Val::Bool(true)]), Vec::new())
}

/// `listRewards({ cursorPaging? })`: every reward for an admin, the active ones for a member.
pub fn list(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let (limit, cursor) = match c.object("options", arg(args, 0), false) {
        Some(o) => cursor_paging(&mut c, "options.cursorPaging", o.get("cursorPaging")),
        None => (None, None),
    };
    c.finish()?;
    let scope: scan::Reparse = match ctx.caller {
        Caller::Admin => everything,
        Caller::Member(_) | Caller::Visitor => active_only,
    };
    if let Some(text) = cursor {
        return scan::resume_cursor(&REWARDS, LIST_CURSOR, &text, limit, &valid_family, scope, render_list);
    }
    let (filter, _) = scope(&mut Check::default(), &Input::Null);
    let query = Query {
        prefix: keys::REWARD_PREFIX.into(),
        source: Input::Null,
        filter,
        sort: Vec::new(),
        streaming: Some(false),
        // Tombstones are skipped, so a page may need more rows than its size.
        unfiltered: false,
        limit: limit.unwrap_or(DEFAULT_LIMIT),
    };
    Ok(scan::first(&REWARDS, query, render_list))
}

// ------------------------------------------------------------------ bulk get

/// Rows per scan of `bulkGetRewards`.
const BULK_GET_BATCH: u32 = 500;

/// `bulkGetRewards()`: every reward, read in batches.
#[derive(Debug, Clone)]
pub struct BulkGet {
    pending: ScanRequest,
    views: Vec<String>,
}

fn scan_from(after: Option<String>) -> ScanRequest {
    ScanRequest { prefix: keys::REWARD_PREFIX.into(), after, limit: BULK_GET_BATCH, reverse: false }
}

pub fn bulk_get(_: &[Input], _: &Context) -> Result<Step> {
    let pending = scan_from(None);
    Ok(Step::new(Request::Scan(pending.clone()), BulkGet { pending, views: Vec::new() }))
}

impl Machine for BulkGet {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        let rows = expect_scan(io, &self.pending)?;
        let full = rows.len() as u32 == self.pending.limit;
        let mut last = None;
        for row in rows {
            let reward = decode_reward(&row.key, &row.value)?;
            if reward.deleted_ms.is_none() {
                self.views.push(view_json(&reward)?);
            }
            last = Some(row.key);
        }
        if full {
            self.pending = scan_from(last);
            return Ok(Step::new(Request::Scan(self.pending.clone()), *self));
        }
        Ok(Step::done(format!("{{\"rewardsInSite\":[{{\"rewards\":[{}]}}]}}", self.views.join(","))))
    }
}
