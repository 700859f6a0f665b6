//! Model-based property test: random operation sequences run against the engine and against a
//! small, obviously correct reference model; after every step the results (values and error
//! reasons) agree and verify() finds nothing wrong. proptest shrinks a failure to a minimal
//! sequence. PROPTEST_CASES raises the number of sequences (default 256).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::HashMap;

use common::input;
use proptest::prelude::*;
use serde_json::{json, Value};
use wix_loyalty_wasm::core::driver::{self, Backend};
use wix_loyalty_wasm::core::reason::Reason;

const CONTACTS: usize = 4;
const MISSING: &str = "00000000-0000-4000-8000-00000000dead";

fn contact(i: usize) -> String {
    format!("eeeeeeee-0000-4000-8000-{i:012}")
}

#[derive(Debug, Clone, Copy)]
enum Rev {
    None,
    Current,
    Stale,
    Future,
}

#[derive(Debug, Clone)]
enum Op {
    Activate,
    Pause,
    Rename(usize),
    Create(usize),
    Earn {
        acct: usize,
        amount: i64,
        key: usize,
        app: usize,
    },
    AdjustAmount {
        acct: usize,
        amount: i64,
        rev: Rev,
    },
    AdjustBalance {
        acct: usize,
        balance: i64,
        rev: Rev,
    },
    Get(usize),
    GetByContact(usize),
    Query {
        acct: usize,
        limit: usize,
        ascending: bool,
    },
    GetTransaction(usize),
    CreateReward {
        cost: u32,
        active: bool,
    },
    UpdateReward {
        reward: usize,
        cost: u32,
        active: bool,
        rev: Rev,
    },
    DeleteReward {
        reward: usize,
        rev: Rev,
    },
    Redeem {
        acct: usize,
        reward: usize,
        key: Option<usize>,
    },
    Refund(usize),
    /// A tier at this threshold (named after it, so a repeated threshold repeats the name).
    CreateTier(i64),
    /// A tier's threshold changed, at its current revision.
    RepriceTier {
        tier: usize,
        points: i64,
    },
    DeleteTier(usize),
    /// The tiers program settings: `ACTIVE` or `DRAFT`, and the window in months.
    TiersSettings {
        active: bool,
        months: u32,
    },
    /// The clock moves on this many days (no call).
    Clock(i64),
    /// getProgramTotals.
    Totals,
    /// updateLoyaltyProgram with these expiration settings (months of inactivity, percentage).
    ExpirySettings {
        months: u32,
        percentage: u32,
    },
    /// enablePointsExpiration (true) or disablePointsExpiration.
    Expiry(bool),
    /// runScheduledWork: due points expire, tier windows roll.
    Scheduled,
}

fn rev() -> impl Strategy<Value = Rev> {
    prop_oneof![Just(Rev::None), Just(Rev::Current), Just(Rev::Stale), Just(Rev::Future)]
}

fn op() -> impl Strategy<Value = Op> {
    let acct = 0..6usize; // 0..CONTACTS+1 name accounts by creation order; higher = a missing id
    prop_oneof![
        1 => Just(Op::Activate),
        1 => Just(Op::Pause),
        1 => prop::sample::select(vec![0usize, 1, 2, 10, 50, 51]).prop_map(Op::Rename),
        3 => (0..CONTACTS).prop_map(Op::Create),
        6 => (acct.clone(), prop::sample::select(vec![-1i64, 0, 1, 7, 50, 9_999_999, 10_000_000]), 0..5usize, 0..2usize)
            .prop_map(|(acct, amount, key, app)| Op::Earn { acct, amount, key, app }),
        4 => (acct.clone(), prop::sample::select(vec![-10_000_000i64, -60, -5, -1, 0, 1, 5, 60, 9_999_999]), rev())
            .prop_map(|(acct, amount, rev)| Op::AdjustAmount { acct, amount, rev }),
        3 => (acct.clone(), prop::sample::select(vec![-1i64, 0, 3, 40, 999_999_999, 1_000_000_000]), rev())
            .prop_map(|(acct, balance, rev)| Op::AdjustBalance { acct, balance, rev }),
        2 => acct.clone().prop_map(Op::Get),
        1 => (0..CONTACTS).prop_map(Op::GetByContact),
        2 => (acct.clone(), 1..5usize, any::<bool>()).prop_map(|(acct, limit, ascending)| Op::Query { acct, limit, ascending }),
        1 => (0..8usize).prop_map(Op::GetTransaction),
        3 => (prop::sample::select(vec![0u32, 5, 5, 30, 10_000_000]), prop::sample::select(vec![true, true, false]))
            .prop_map(|(cost, active)| Op::CreateReward { cost, active }),
        1 => (0..4usize, prop::sample::select(vec![5u32, 20]), any::<bool>(), rev())
            .prop_map(|(reward, cost, active, rev)| Op::UpdateReward { reward, cost, active, rev }),
        1 => (0..4usize, rev()).prop_map(|(reward, rev)| Op::DeleteReward { reward, rev }),
        6 => (0..3usize, 0..3usize, prop::option::of(0..3usize))
            .prop_map(|(acct, reward, key)| Op::Redeem { acct, reward, key }),
        3 => (0..4usize).prop_map(Op::Refund),
        2 => prop::sample::select(vec![5i64, 20, 60, 150]).prop_map(Op::CreateTier),
        1 => (0..3usize, prop::sample::select(vec![5i64, 20, 60, 150, 300])).prop_map(|(tier, points)| Op::RepriceTier { tier, points }),
        1 => (0..3usize).prop_map(Op::DeleteTier),
        2 => (any::<bool>(), prop::sample::select(vec![1u32, 3, 12])).prop_map(|(active, months)| Op::TiersSettings { active, months }),
        2 => prop::sample::select(vec![3i64, 20, 45, 200]).prop_map(Op::Clock),
        1 => Just(Op::Totals),
        1 => (prop::sample::select(vec![1u32, 2, 12]), prop::sample::select(vec![1u32, 50, 100]))
            .prop_map(|(months, percentage)| Op::ExpirySettings { months, percentage }),
        1 => prop::sample::select(vec![true, true, false]).prop_map(Op::Expiry),
        2 => Just(Op::Scheduled),
    ]
}

#[derive(Debug, Clone, Default)]
struct Account {
    id: String,
    balance: i64,
    earned: i64,
    adjusted: i64,
    redeemed: i64,
    revision: u64,
    /// rewardAvailable: the balance reaches the lowest price of an active reward.
    available: bool,
    /// (transaction id, amount, type) oldest first.
    ledger: Vec<(String, i64, &'static str)>,
    /// (when, points) of every earn and adjustment: what tier points are summed from.
    moves: Vec<(i64, i64)>,
    /// The tier (its id; `None`: the base tier) and the tier points, as last worked out.
    tier: Option<String>,
    tier_points: i64,
    expired: i64,
    /// When it was created and last changed its balance (an expiration included).
    created: i64,
    last: Option<i64>,
    /// `pointsExpiration`: (date, points), while points expire.
    expiring: Option<(i64, i64)>,
}

const DAY: i64 = 86_400_000;

/// The calendar month (UTC) of an instant after 1970, counted from year 0, day by day.
fn month_of(ms: i64) -> i64 {
    let (year, month, _, _) = civil(ms);
    year * 12 + month as i64
}

fn leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// `ms` as (year, month 0–11, day of the month 0–30, time of day), day by day from 1970.
fn civil(ms: i64) -> (i64, usize, i64, i64) {
    let mut days = ms / DAY;
    let mut year = 1970;
    while days >= if leap(year) { 366 } else { 365 } {
        days -= if leap(year) { 366 } else { 365 };
        year += 1;
    }
    let mut month = 0;
    while days >= month_length(year, month) {
        days -= month_length(year, month);
        month += 1;
    }
    (year, month, days, ms % DAY)
}

fn month_length(year: i64, month: usize) -> i64 {
    [31, if leap(year) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month]
}

/// The instant `ms` plus `months` calendar months (the day cut to the month's length), counted
/// day by day from 1970.
fn plus_months(ms: i64, months: u32) -> i64 {
    let (year, month, day, time) = civil(ms);
    let target = year * 12 + month as i64 + i64::from(months);
    let (year, month) = (target / 12, (target % 12) as usize);
    let mut days = 0;
    for y in 1970..year {
        days += if leap(y) { 366 } else { 365 };
    }
    for m in 0..month {
        days += month_length(year, m);
    }
    (days + day.min(month_length(year, month) - 1)) * DAY + time
}

/// The lowest price, the window, the thresholds and the expiration settings while enabled
/// (see `Model::derived`).
type Derived = (Option<i64>, u32, Vec<(String, i64)>, Option<(u32, u32)>);

#[derive(Debug, Clone)]
struct Tier {
    id: String,
    /// `T<threshold at creation>`.
    name: String,
    points: i64,
    revision: u64,
}

/// The tiers program: its tiers (deleted ones removed) and settings.
#[derive(Debug, Clone, Default)]
struct Tiers {
    tiers: Vec<Tier>,
    /// `(active, months, revision)` once created.
    settings: Option<(bool, u32, u64)>,
}

impl Tiers {
    /// The window and the thresholds in force (none unless `ACTIVE`), lowest first.
    fn ladder(&self) -> (u32, Vec<(String, i64)>) {
        let (active, months) = self.settings.map_or((false, 12), |(a, m, _)| (a, m));
        let mut ladder: Vec<(String, i64)> =
            if active { self.tiers.iter().map(|t| (t.id.clone(), t.points)).collect() } else { vec![] };
        ladder.sort_by_key(|t| t.1);
        (months, ladder)
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Status {
    Draft,
    Active,
    Paused,
}

/// What an earn with a key did: the request and the result it returned.
#[derive(Debug, Clone)]
struct Earned {
    account: usize,
    amount: i64,
    app: usize,
    transaction_id: String,
    snapshot: Account,
}

/// The reference model: plain data and the rules of README "Rules and decisions".
#[derive(Debug, Default)]
struct Model {
    status: Option<Status>,
    name: Option<String>,
    accounts: Vec<Account>,
    by_contact: HashMap<usize, usize>,
    earned_keys: HashMap<usize, Earned>,
    transactions: Vec<(String, usize)>,
    rewards: Vec<Reward>,
    coupons: Vec<Coupon>,
    /// (account, redemption key) → (reward, the answer): keys are scoped to their account.
    redeem_keys: HashMap<(usize, usize), (usize, Value)>,
    tiers: Tiers,
    /// What balance changes last read from `reward-prices` (absent: none yet): the lowest
    /// price, the window and the thresholds. A change to it runs a job that works out every
    /// account's tier and flag again.
    derived: Option<Derived>,
    /// The clock of the operation being applied.
    now: i64,
    /// Points expiration: (enabled, months of inactivity, percentage); `None`: the defaults.
    expiration: Option<(bool, u32, u32)>,
}

#[derive(Debug, Clone)]
struct Reward {
    id: String,
    cost: i64,
    active: bool,
    revision: u64,
    deleted: bool,
}

#[derive(Debug, Clone)]
struct Coupon {
    id: String,
    acct: usize,
    cost: i64,
    /// The refund's transaction, once refunded.
    refund: Option<String>,
}

/// An operation's outcome as compared: success with the values that matter, or the error reason.
type Outcome = Result<Value, Reason>;

fn account_values(a: &Account) -> Value {
    json!({ "id": a.id, "balance": a.balance, "earned": a.earned, "adjusted": a.adjusted, "redeemed": a.redeemed, "expired": a.expired, "revision": a.revision.to_string(), "rewardAvailable": a.available, "tier": a.tier, "tierPoints": a.tier_points, "expiring": a.expiring.map(|(at, n)| json!([at, n])) })
}

fn engine_account(v: &Value) -> Value {
    let p = &v["points"];
    let e = &v["pointsExpiration"];
    let expiring = e.get("expirationDate").map(|at| json!([at, e["expiringPointsAmount"]]));
    json!({ "id": v["_id"], "balance": p["balance"], "earned": p["earned"], "adjusted": p["adjusted"], "redeemed": p["redeemed"], "expired": p["expired"], "revision": v["revision"], "rewardAvailable": v["rewardAvailable"], "tier": v["tier"]["_id"], "tierPoints": v["tier"]["points"], "expiring": expiring })
}

fn reward_input(name: &str, cost: u32, active: bool) -> Value {
    json!({ "name": name, "active": active, "couponReward": { "freeShipping": { "configsByTier": [{ "costInPoints": cost }] } } })
}

impl Model {
    /// Works out account `i`'s tier now: the points of the window's months, the highest
    /// threshold they meet.
    fn work_out_tier(&mut self, i: usize) {
        let (months, ladder) = self.tiers.ladder();
        let now = month_of(self.now);
        let a = &mut self.accounts[i];
        a.tier_points = a.moves.iter().filter(|(at, _)| month_of(*at) > now - i64::from(months)).map(|m| m.1).sum();
        a.tier = ladder.iter().rev().find(|(_, p)| *p <= a.tier_points).map(|(id, _)| id.clone());
    }

    /// The expiration settings while enabled.
    fn expiration(&self) -> Option<(u32, u32)> {
        self.expiration.filter(|e| e.0).map(|(_, months, percentage)| (months, percentage))
    }

    /// Works out account `i`'s `pointsExpiration`: the first midnight after the months of
    /// inactivity since its last activity, the percentage of its balance rounded up.
    fn plan(&mut self, i: usize) {
        let expiration = self.expiration();
        let a = &mut self.accounts[i];
        a.expiring = expiration.filter(|_| a.balance > 0).map(|(months, percentage)| {
            let date = (plus_months(a.last.unwrap_or(a.created), months) / DAY + 1) * DAY;
            (date, (a.balance * i64::from(percentage) + 99) / 100)
        });
    }

    /// After a balance change of account `i` now: its tier and `pointsExpiration`.
    fn moved(&mut self, i: usize) {
        self.accounts[i].last = Some(self.now);
        self.work_out_tier(i);
        self.plan(i);
    }

    /// After a reward, tier or expiration change that committed: when what balance changes
    /// derive from moved, its job works out every account's tier, flag and expiration again.
    fn after_change(&mut self) {
        let lowest = self.rewards.iter().filter(|r| r.active && !r.deleted).map(|r| r.cost).min();
        let (months, ladder) = self.tiers.ladder();
        let now = Some((lowest, months, ladder, self.expiration()));
        let before = self.derived.clone().unwrap_or((None, 12, vec![], None));
        self.derived = now.clone();
        if now != Some(before) {
            for i in 0..self.accounts.len() {
                self.work_out_tier(i);
                self.plan(i);
            }
            self.settle_all();
        }
    }

    fn tier_id(&self, tier: usize) -> String {
        self.tiers.tiers.get(tier).map_or(MISSING.to_string(), |t| t.id.clone())
    }

    /// Whether `balance` affords an active reward.
    fn affords(&self, balance: i64) -> bool {
        self.rewards.iter().filter(|r| r.active && !r.deleted).any(|r| balance >= r.cost)
    }

    /// Every account's flag after a reward change (the change answers once they are set).
    fn settle_all(&mut self) {
        for i in 0..self.accounts.len() {
            self.accounts[i].available = self.affords(self.accounts[i].balance);
        }
    }

    fn status(&self) -> Status {
        self.status.unwrap_or(Status::Draft)
    }

    fn revision_arg(&self, acct: usize, rev: Rev) -> Option<String> {
        let current = self.accounts.get(acct).map_or(1, |a| a.revision);
        match rev {
            Rev::None => None,
            Rev::Current => Some(current.to_string()),
            Rev::Stale => Some(current.saturating_sub(1).max(1).to_string()),
            Rev::Future => Some((current + 1).to_string()),
        }
    }

    fn id(&self, acct: usize) -> String {
        self.accounts.get(acct).map_or(MISSING.to_string(), |a| a.id.clone())
    }

    fn reward_id(&self, reward: usize) -> String {
        self.rewards.get(reward).map_or(MISSING.to_string(), |r| r.id.clone())
    }

    fn reward_revision(&self, reward: usize, rev: Rev) -> Option<String> {
        let current = self.rewards.get(reward).map_or(1, |r| r.revision);
        match rev {
            Rev::None => None,
            Rev::Current => Some(current.to_string()),
            Rev::Stale => Some(current.saturating_sub(1).max(1).to_string()),
            Rev::Future => Some((current + 1).to_string()),
        }
    }

    /// A reward that can be read (created and not deleted).
    fn live_reward(&self, reward: usize) -> Option<&Reward> {
        self.rewards.get(reward).filter(|r| !r.deleted)
    }

    /// The engine call for `op`.
    fn call(&self, op: &Op) -> (&'static str, Vec<Value>) {
        match op {
            Op::Activate => ("activateLoyaltyProgram", vec![]),
            Op::Pause => ("pauseLoyaltyProgram", vec![]),
            Op::Rename(n) => ("updateLoyaltyProgram", vec![json!({ "name": "n".repeat(*n) })]),
            Op::Create(c) => ("createAccount", vec![json!(contact(*c))]),
            Op::Earn { acct, amount, key, app } => (
                "earnPoints",
                vec![
                    json!(self.id(*acct)),
                    json!({ "amount": amount, "appId": format!("app{app}"), "idempotencyKey": format!("key{key}") }),
                ],
            ),
            Op::AdjustAmount { acct, amount, rev } => {
                let mut o = json!({ "amount": amount });
                if let Some(r) = self.revision_arg(*acct, *rev) {
                    o["revision"] = json!(r);
                }
                ("adjustPoints", vec![json!(self.id(*acct)), o])
            }
            Op::AdjustBalance { acct, balance, rev } => {
                let mut o = json!({ "balance": balance, "amount": 0 });
                if let Some(r) = self.revision_arg(*acct, *rev) {
                    o["revision"] = json!(r);
                }
                ("adjustPoints", vec![json!(self.id(*acct)), o])
            }
            Op::Get(acct) => ("getAccount", vec![json!(self.id(*acct))]),
            Op::GetByContact(c) => ("getAccountBySecondaryId", vec![json!({ "contactId": contact(*c) })]),
            Op::Query { acct, limit, ascending } => {
                let order = if *ascending { "ASC" } else { "DESC" };
                let q = json!({ "filter": { "accountId": self.id(*acct) }, "sort": [{ "fieldName": "_createdDate", "order": order }], "cursorPaging": { "limit": limit } });
                ("queryLoyaltyTransactions", vec![q])
            }
            Op::GetTransaction(i) => {
                let id = self.transactions.get(*i).map_or(MISSING.to_string(), |t| t.0.clone());
                ("getLoyaltyTransaction", vec![json!(id)])
            }
            Op::CreateReward { cost, active } => ("createReward", vec![reward_input("r", *cost, *active)]),
            Op::UpdateReward { reward, cost, active, rev } => {
                let mut r = reward_input("r", *cost, *active);
                if let Some(v) = self.reward_revision(*reward, *rev) {
                    r["revision"] = json!(v);
                }
                ("updateReward", vec![json!(self.reward_id(*reward)), r])
            }
            Op::DeleteReward { reward, rev } => {
                let mut args = vec![json!(self.reward_id(*reward))];
                if let Some(v) = self.reward_revision(*reward, *rev) {
                    args.push(json!(v));
                }
                ("deleteReward", args)
            }
            Op::Redeem { acct, reward, key } => {
                let mut o = json!({ "loyaltyAccountId": self.id(*acct) });
                if let Some(k) = key {
                    o["idempotencyKey"] = json!(format!("r{k}"));
                }
                ("redeemPointsForCoupon", vec![json!(self.reward_id(*reward)), o])
            }
            Op::Refund(c) => {
                let id = self.coupons.get(*c).map_or(MISSING.to_string(), |c| c.id.clone());
                ("refundLoyaltyCoupon", vec![json!(id)])
            }
            Op::CreateTier(points) => (
                "createTier",
                vec![json!({ "tierDefinition": { "name": format!("T{points}") }, "requiredPoints": points })],
            ),
            Op::RepriceTier { tier, points } => {
                let revision = self.tiers.tiers.get(*tier).map_or(1, |t| t.revision);
                (
                    "updateTier",
                    vec![
                        json!(self.tier_id(*tier)),
                        json!({ "revision": revision.to_string(), "requiredPoints": points }),
                    ],
                )
            }
            Op::DeleteTier(tier) => {
                let revision = self.tiers.tiers.get(*tier).map_or(1, |t| t.revision);
                ("deleteTier", vec![json!(self.tier_id(*tier)), json!(revision.to_string())])
            }
            Op::TiersSettings { active, months } => {
                let status = if *active { "ACTIVE" } else { "DRAFT" };
                match self.tiers.settings {
                    None => (
                        "createTiersProgramSettings",
                        vec![json!({ "rollingWindow": { "durationInMonths": months }, "status": status })],
                    ),
                    Some((_, _, revision)) => (
                        "updateTiersProgramSettings",
                        vec![
                            json!({ "revision": revision.to_string(), "rollingWindow": { "durationInMonths": months }, "status": status }),
                        ],
                    ),
                }
            }
            Op::Clock(_) => ("", vec![]),
            Op::Totals => ("getProgramTotals", vec![]),
            Op::ExpirySettings { months, percentage } => (
                "updateLoyaltyProgram",
                vec![
                    json!({ "pointsExpiration": { "monthsOfInactivity": months, "expiringPointsPercentage": percentage } }),
                ],
            ),
            Op::Expiry(true) => ("enablePointsExpiration", vec![]),
            Op::Expiry(false) => ("disablePointsExpiration", vec![]),
            Op::Scheduled => ("runScheduledWork", vec![json!({})]),
        }
    }

    /// What the engine must answer, normalized like [`observe`]; updates the model. `result`
    /// is the engine's answer, consulted only for values the model cannot know (fresh ids).
    fn apply(&mut self, op: &Op, result: &Result<Value, Reason>) -> Outcome {
        match *op {
            Op::Activate => {
                self.status = Some(Status::Active);
                Ok(json!("ACTIVE"))
            }
            Op::Pause => match self.status() {
                Status::Draft => Err(Reason::ProgramNotActive),
                _ => {
                    self.status = Some(Status::Paused);
                    Ok(json!("PAUSED"))
                }
            },
            Op::Rename(n) => match n {
                0 => Err(Reason::RequiredField),
                1 => Err(Reason::TooShort),
                51.. => Err(Reason::TooLong),
                _ => {
                    self.name = Some("n".repeat(n));
                    Ok(json!(self.name))
                }
            },
            Op::Create(c) => {
                if self.status() != Status::Active {
                    return Err(Reason::ProgramNotActive);
                }
                if self.by_contact.contains_key(&c) {
                    return Err(Reason::AccountAlreadyExists);
                }
                let id = result.as_ref().ok().and_then(|v| v["id"].as_str()).unwrap_or("?").to_string();
                self.by_contact.insert(c, self.accounts.len());
                self.accounts.push(Account { id, revision: 1, created: self.now, ..Account::default() });
                Ok(account_values(self.accounts.last().unwrap()))
            }
            Op::Earn { acct, amount, key, app } => {
                if !(1..=9_999_999).contains(&amount) {
                    return Err(Reason::OutOfRange);
                }
                if let Some(e) = self.earned_keys.get(&key) {
                    let same =
                        self.accounts.get(acct).is_some() && e.account == acct && e.amount == amount && e.app == app;
                    return if same {
                        Ok(json!({ "account": account_values(&e.snapshot), "transactionId": e.transaction_id }))
                    } else {
                        Err(Reason::IdempotencyKeyReused)
                    };
                }
                if acct >= self.accounts.len() {
                    return Err(Reason::AccountNotFound);
                }
                if self.status() != Status::Active {
                    return Err(Reason::ProgramNotActive);
                }
                let txn = result.as_ref().ok().and_then(|v| v["transactionId"].as_str()).unwrap_or("?").to_string();
                let available = self.affords(self.accounts[acct].balance + amount);
                let a = &mut self.accounts[acct];
                a.balance += amount;
                a.earned += amount;
                a.revision += 1;
                a.available = available;
                a.ledger.push((txn.clone(), amount, "EARN"));
                a.moves.push((self.now, amount));
                self.moved(acct);
                let snapshot = self.accounts[acct].clone();
                self.transactions.push((txn.clone(), acct));
                self.earned_keys.insert(
                    key,
                    Earned { account: acct, amount, app, transaction_id: txn.clone(), snapshot: snapshot.clone() },
                );
                Ok(json!({ "account": account_values(&snapshot), "transactionId": txn }))
            }
            Op::AdjustAmount { acct, amount, rev } => self.adjust(acct, None, amount, rev, result),
            Op::AdjustBalance { acct, balance, rev } => self.adjust(acct, Some(balance), 0, rev, result),
            Op::Get(acct) => self.accounts.get(acct).map(account_values).ok_or(Reason::AccountNotFound),
            Op::GetByContact(c) => match self.by_contact.get(&c) {
                Some(&i) => Ok(account_values(&self.accounts[i])),
                None => Err(Reason::AccountNotFound),
            },
            Op::Query { acct, limit, ascending } => {
                let mut amounts: Vec<i64> =
                    self.accounts.get(acct).map_or(vec![], |a| a.ledger.iter().map(|t| t.1).collect());
                if !ascending {
                    amounts.reverse();
                }
                let has_next = amounts.len() > limit;
                amounts.truncate(limit);
                Ok(json!({ "amounts": amounts, "hasNext": has_next }))
            }
            Op::GetTransaction(i) => match self.transactions.get(i) {
                Some((id, acct)) => {
                    let t = self.accounts[*acct].ledger.iter().find(|t| t.0 == *id).unwrap();
                    Ok(json!({ "id": id, "amount": t.1, "type": t.2, "accountId": self.accounts[*acct].id }))
                }
                None => Err(Reason::TransactionNotFound),
            },
            Op::CreateReward { cost, active } => {
                if !(1..=9_999_999).contains(&cost) {
                    return Err(Reason::OutOfRange);
                }
                let id = result.as_ref().ok().and_then(|v| v["id"].as_str()).unwrap_or("?").to_string();
                self.rewards.push(Reward { id: id.clone(), cost: cost.into(), active, revision: 1, deleted: false });
                self.after_change();
                Ok(json!({ "id": id, "active": active, "revision": "1" }))
            }
            Op::UpdateReward { reward, cost, active, rev } => {
                let wanted = self.reward_revision(reward, rev);
                let Some(wanted) = wanted else { return Err(Reason::RequiredField) };
                if self.live_reward(reward).is_none() {
                    return Err(Reason::RewardNotFound);
                }
                let r = &mut self.rewards[reward];
                if wanted != r.revision.to_string() {
                    return Err(Reason::RevisionMismatch);
                }
                r.cost = cost.into();
                r.active = active;
                r.revision += 1;
                let answer = json!({ "id": r.id, "active": active, "revision": r.revision.to_string() });
                self.after_change();
                Ok(answer)
            }
            Op::DeleteReward { reward, rev } => {
                let Some(wanted) = self.reward_revision(reward, rev) else { return Err(Reason::RequiredField) };
                if self.live_reward(reward).is_none() {
                    return Err(Reason::RewardNotFound);
                }
                let r = &mut self.rewards[reward];
                if wanted != r.revision.to_string() {
                    return Err(Reason::RevisionMismatch);
                }
                r.deleted = true;
                r.revision += 1;
                self.after_change();
                Ok(json!(null))
            }
            Op::Redeem { acct, reward, key } => {
                if let Some((r, answer)) = key.and_then(|k| self.redeem_keys.get(&(acct, k))) {
                    return if *r == reward { Ok(answer.clone()) } else { Err(Reason::IdempotencyKeyReused) };
                }
                if self.status() != Status::Active {
                    return Err(Reason::ProgramNotActive);
                }
                if acct >= self.accounts.len() {
                    return Err(Reason::AccountNotFound);
                }
                let Some(r) = self.live_reward(reward) else { return Err(Reason::RewardNotFound) };
                if !r.active {
                    return Err(Reason::RewardNotActive);
                }
                let cost = r.cost;
                if self.accounts[acct].balance < cost {
                    return Err(Reason::InsufficientPoints);
                }
                let v = result.as_ref().ok().cloned().unwrap_or_default();
                let (coupon, txn) = (
                    v["coupon"].as_str().unwrap_or("?").to_string(),
                    v["transactionId"].as_str().unwrap_or("?").to_string(),
                );
                let available = self.affords(self.accounts[acct].balance - cost);
                let a = &mut self.accounts[acct];
                a.balance -= cost;
                a.redeemed += cost;
                a.revision += 1;
                a.available = available;
                a.ledger.push((txn.clone(), -cost, "REDEEM"));
                let answer = json!({ "coupon": coupon, "accountId": a.id, "transactionId": txn, "status": "ACTIVE" });
                self.moved(acct);
                self.transactions.push((txn, acct));
                self.coupons.push(Coupon { id: coupon, acct, cost, refund: None });
                if let Some(k) = key {
                    self.redeem_keys.insert((acct, k), (reward, answer.clone()));
                }
                Ok(answer)
            }
            Op::CreateTier(points) => {
                if self.tiers.tiers.len() >= 20 {
                    return Err(Reason::TooManyTiers);
                }
                let name = format!("T{points}");
                if self.tiers.tiers.iter().any(|t| t.name == name) {
                    return Err(Reason::TierNameTaken);
                }
                if self.tiers.tiers.iter().any(|t| t.points == points) {
                    return Err(Reason::TierPointsTaken);
                }
                let id = result.as_ref().ok().and_then(|v| v["id"].as_str()).unwrap_or("?").to_string();
                self.tiers.tiers.push(Tier { id: id.clone(), name, points, revision: 1 });
                self.after_change();
                Ok(json!({ "id": id, "points": points, "revision": "1" }))
            }
            Op::RepriceTier { tier, points } => {
                if tier >= self.tiers.tiers.len() {
                    return Err(Reason::TierNotFound);
                }
                if self.tiers.tiers.iter().enumerate().any(|(i, t)| i != tier && t.points == points) {
                    return Err(Reason::TierPointsTaken);
                }
                let t = &mut self.tiers.tiers[tier];
                t.points = points;
                t.revision += 1;
                let answer = json!({ "id": t.id, "points": points, "revision": t.revision.to_string() });
                self.after_change();
                Ok(answer)
            }
            Op::DeleteTier(tier) => {
                if tier >= self.tiers.tiers.len() {
                    return Err(Reason::TierNotFound);
                }
                self.tiers.tiers.remove(tier);
                self.after_change();
                Ok(json!(null))
            }
            Op::TiersSettings { active, months } => {
                let revision = self.tiers.settings.map_or(1, |(_, _, r)| r + 1);
                self.tiers.settings = Some((active, months, revision));
                self.after_change();
                Ok(
                    json!({ "status": if active { "ACTIVE" } else { "DRAFT" }, "months": months, "revision": revision.to_string() }),
                )
            }
            Op::Clock(_) => Ok(json!(null)),
            Op::ExpirySettings { months, percentage } => {
                let enabled = self.expiration.is_some_and(|e| e.0);
                self.expiration = Some((enabled, months, percentage));
                self.after_change();
                Ok(json!([months, percentage]))
            }
            Op::Expiry(enabled) => {
                let (_, months, percentage) = self.expiration.unwrap_or((false, 3, 100));
                self.expiration = Some((enabled, months, percentage));
                self.after_change();
                Ok(json!([months, percentage]))
            }
            Op::Scheduled => {
                let (mut accounts, mut points) = (0, 0);
                for i in 0..self.accounts.len() {
                    // Every window rolled (an account whose window did not move keeps its sum).
                    self.work_out_tier(i);
                    let Some((date, amount)) = self.accounts[i].expiring else { continue };
                    if date > self.now {
                        continue;
                    }
                    let available = self.affords(self.accounts[i].balance - amount);
                    let a = &mut self.accounts[i];
                    a.balance -= amount;
                    a.expired += amount;
                    a.revision += 1;
                    a.available = available;
                    a.ledger.push(("?".into(), -amount, "EXPIRE"));
                    self.moved(i);
                    accounts += 1;
                    points += amount;
                }
                Ok(json!({ "expiredAccounts": accounts, "expiredPoints": points }))
            }
            Op::Totals => {
                let sum = |f: fn(&Account) -> i64| self.accounts.iter().map(f).sum::<i64>();
                let mut tiers: Vec<(Option<String>, i64)> = vec![(None, 0)];
                let mut ladder: Vec<&Tier> = self.tiers.tiers.iter().collect();
                ladder.sort_by_key(|t| t.points);
                tiers.extend(ladder.iter().map(|t| (Some(t.id.clone()), 0)));
                for a in &self.accounts {
                    match tiers.iter_mut().find(|(id, _)| *id == a.tier) {
                        Some(entry) => entry.1 += 1,
                        None => tiers.push((a.tier.clone(), 1)),
                    }
                }
                Ok(json!({
                    "points": [sum(|a| a.balance), sum(|a| a.earned), sum(|a| a.adjusted), sum(|a| a.redeemed), sum(|a| a.expired)],
                    "tiers": tiers.iter().map(|(id, n)| json!([id, n])).collect::<Vec<_>>(),
                }))
            }
            Op::Refund(c) => {
                let Some(coupon) = self.coupons.get(c) else { return Err(Reason::CouponNotFound) };
                if let Some(refund) = &coupon.refund {
                    // Refunded already: the same refund, answered again.
                    return Ok(json!({ "coupon": coupon.id, "status": "ARCHIVED", "transactionId": refund }));
                }
                let (acct, cost, id) = (coupon.acct, coupon.cost, coupon.id.clone());
                let txn = result.as_ref().ok().and_then(|v| v["transactionId"].as_str()).unwrap_or("?").to_string();
                self.coupons[c].refund = Some(txn.clone());
                let available = self.affords(self.accounts[acct].balance + cost);
                let a = &mut self.accounts[acct];
                a.balance += cost;
                a.redeemed -= cost;
                a.revision += 1;
                a.available = available;
                a.ledger.push((txn.clone(), cost, "REFUND"));
                self.moved(acct);
                self.transactions.push((txn.clone(), acct));
                Ok(json!({ "coupon": id, "status": "ARCHIVED", "transactionId": txn }))
            }
        }
    }

    fn adjust(
        &mut self,
        acct: usize,
        balance: Option<i64>,
        amount: i64,
        rev: Rev,
        result: &Result<Value, Reason>,
    ) -> Outcome {
        match balance {
            Some(b) if !(0..=999_999_999).contains(&b) => return Err(Reason::OutOfRange),
            None if amount == 0 => return Err(Reason::ZeroAmount),
            None if !(-9_999_999..=9_999_999).contains(&amount) => return Err(Reason::OutOfRange),
            _ => {}
        }
        let wanted = self.revision_arg(acct, rev);
        let lowest = self.rewards.iter().filter(|r| r.active && !r.deleted).map(|r| r.cost).min();
        let Some(a) = self.accounts.get_mut(acct) else { return Err(Reason::AccountNotFound) };
        if let Some(r) = wanted {
            if r != a.revision.to_string() {
                return Err(Reason::RevisionMismatch);
            }
        }
        let after = balance.unwrap_or(a.balance + amount);
        if after < 0 {
            return Err(Reason::InsufficientPoints);
        }
        let txn = result.as_ref().ok().and_then(|v| v["transactionId"].as_str()).unwrap_or("?").to_string();
        let delta = after - a.balance;
        a.available = lowest.is_some_and(|l| after >= l);
        a.balance = after;
        a.adjusted += delta;
        a.revision += 1;
        a.ledger.push((txn.clone(), delta, "ADJUST"));
        a.moves.push((self.now, delta));
        self.moved(acct);
        let a = &self.accounts[acct];
        let values = account_values(a);
        self.transactions.push((txn.clone(), acct));
        Ok(json!({ "account": values, "transactionId": txn }))
    }
}

/// The engine's answer, reduced to what the model predicts.
fn observe(op: &Op, answer: Result<Value, wix_loyalty_wasm::core::error::LoyaltyError>) -> Outcome {
    let v = answer.map_err(|e| e.reason)?;
    Ok(match op {
        Op::Activate | Op::Pause => v["loyaltyProgram"]["status"].clone(),
        Op::Rename(_) => v["loyaltyProgram"]["name"].clone(),
        Op::Create(_) => engine_account(&v["account"]),
        Op::Earn { .. } | Op::AdjustAmount { .. } | Op::AdjustBalance { .. } => {
            json!({ "account": engine_account(&v["account"]), "transactionId": v["transactionId"] })
        }
        Op::Get(_) => engine_account(&v),
        Op::GetByContact(_) => engine_account(&v["account"]),
        Op::Query { .. } => {
            let amounts: Vec<i64> =
                v["loyaltyTransactions"].as_array().unwrap().iter().map(|t| t["amount"].as_i64().unwrap()).collect();
            json!({ "amounts": amounts, "hasNext": v["pagingMetadata"]["hasNext"] })
        }
        Op::GetTransaction(_) => {
            json!({ "id": v["_id"], "amount": v["amount"], "type": v["transactionType"], "accountId": v["accountId"] })
        }
        Op::CreateReward { .. } => json!({ "id": v["_id"], "active": v["active"], "revision": v["revision"] }),
        Op::UpdateReward { .. } => {
            json!({ "id": v["reward"]["_id"], "active": v["reward"]["active"], "revision": v["reward"]["revision"] })
        }
        Op::DeleteReward { .. } => v,
        Op::Redeem { .. } => {
            let c = &v["coupon"];
            json!({ "coupon": c["_id"], "accountId": c["accountId"], "transactionId": c["transactionId"], "status": c["status"] })
        }
        Op::Refund(_) => {
            json!({ "coupon": v["coupon"]["_id"], "status": v["coupon"]["status"], "transactionId": v["transactionId"] })
        }
        Op::CreateTier(_) | Op::RepriceTier { .. } => {
            json!({ "id": v["_id"], "points": v["requiredPoints"], "revision": v["revision"] })
        }
        Op::DeleteTier(_) | Op::Clock(_) => v,
        Op::Totals => {
            let p = &v["points"];
            let tiers: Vec<Value> =
                v["tierTotals"].as_array().unwrap().iter().map(|t| json!([t["_id"], t["numberOfAccounts"]])).collect();
            json!({ "points": [p["balance"], p["earned"], p["adjusted"], p["redeemed"], p["expired"]], "tiers": tiers })
        }
        Op::ExpirySettings { .. } | Op::Expiry(_) => {
            let e = &v["loyaltyProgram"]["pointsExpiration"];
            json!([e["monthsOfInactivity"], e["expiringPointsPercentage"]])
        }
        Op::Scheduled => json!({ "expiredAccounts": v["expiredAccounts"], "expiredPoints": v["expiredPoints"] }),
        Op::TiersSettings { .. } => {
            let s = &v["programSettings"];
            json!({ "status": s["status"], "months": s["rollingWindow"]["durationInMonths"], "revision": s["revision"] })
        }
    })
}

/// Pulls the fresh ids out of an engine answer so the model can refer to them later.
fn ids_of(op: &Op, observed: &Outcome) -> Result<Value, Reason> {
    match (op, observed) {
        (Op::Create(_) | Op::CreateReward { .. } | Op::CreateTier(_), Ok(v)) => Ok(json!({ "id": v["id"] })),
        (Op::Redeem { .. }, Ok(v)) => Ok(json!({ "coupon": v["coupon"], "transactionId": v["transactionId"] })),
        (_, Ok(v)) => Ok(json!({ "transactionId": v["transactionId"] })),
        (_, Err(e)) => Err(*e),
    }
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut engine = Backend::default();
    let mut model = Model::default();
    for (step, op) in ops.iter().enumerate() {
        let (name, args) = model.call(op);
        let args: Vec<_> = args.iter().map(input).collect();
        let observed = match op {
            Op::Clock(days) => {
                engine.now_ms += days * DAY;
                Ok(json!(null))
            }
            _ => observe(op, engine.call(name, &args)),
        };
        model.now = engine.now_ms;
        let expected = model.apply(op, &ids_of(op, &observed));
        prop_assert_eq!(&observed, &expected, "step {} {:?}", step, op);
        let report = driver::verify(&engine.store);
        prop_assert!(report.ok, "step {} {:?}: verify found {:?}", step, op, report.discrepancies);
    }
    Ok(())
}

#[test]
fn engine_agrees_with_the_model() {
    use proptest::test_runner::{Config, TestRunner};
    use std::sync::atomic::{AtomicU64, Ordering};
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    let mut runner = TestRunner::new(Config { cases, max_shrink_iters: 4096, ..Config::default() });
    let steps = AtomicU64::new(0);
    let outcome = runner.run(&prop::collection::vec(op(), 1..60), |ops| {
        steps.fetch_add(ops.len() as u64, Ordering::Relaxed);
        run(&ops)
    });
    if let Err(e) = outcome {
        panic!("the engine and the model disagree; minimal failing sequence:\n{e}");
    }
    println!(
        "model: {cases} random sequences, {} operations (with shrinking runs), engine and model agree at every step",
        steps.load(Ordering::Relaxed)
    );
}

/// The same, from a live program with two funded accounts, so that rewards, redemptions and
/// refunds succeed often enough to be checked in every case, not only reached.
#[test]
fn redemptions_agree_with_the_model() {
    use proptest::test_runner::{Config, TestRunner};
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    let mut runner = TestRunner::new(Config { cases, max_shrink_iters: 4096, ..Config::default() });
    let start = vec![
        Op::Activate,
        Op::Create(0),
        Op::Create(1),
        Op::Earn { acct: 0, amount: 50, key: 4, app: 0 },
        Op::Earn { acct: 1, amount: 7, key: 3, app: 0 },
        Op::CreateReward { cost: 5, active: true },
    ];
    let outcome = runner.run(&prop::collection::vec(op(), 1..40), |ops| {
        let mut all = start.clone();
        all.extend(ops);
        run(&all)
    });
    if let Err(e) = outcome {
        panic!("the engine and the model disagree; minimal failing sequence (after a fixed start):\n{e}");
    }
}

/// A sequence that exercises every rule at least once, as a fixed regression case.
#[test]
fn a_hand_written_sequence_agrees_with_the_model() {
    let ops = vec![
        Op::Create(0),
        Op::Pause,
        Op::Activate,
        Op::Create(0),
        Op::Create(0),
        Op::Create(1),
        Op::Earn { acct: 0, amount: 50, key: 0, app: 0 },
        Op::Earn { acct: 0, amount: 50, key: 0, app: 0 },
        Op::Earn { acct: 1, amount: 50, key: 0, app: 0 },
        Op::Earn { acct: 0, amount: 7, key: 0, app: 1 },
        Op::AdjustAmount { acct: 0, amount: -60, rev: Rev::None },
        Op::AdjustAmount { acct: 0, amount: -5, rev: Rev::Stale },
        Op::AdjustAmount { acct: 0, amount: -5, rev: Rev::Current },
        Op::AdjustBalance { acct: 1, balance: 40, rev: Rev::Future },
        Op::AdjustBalance { acct: 1, balance: 40, rev: Rev::Current },
        Op::Pause,
        Op::Earn { acct: 1, amount: 1, key: 1, app: 0 },
        Op::Earn { acct: 0, amount: 50, key: 0, app: 0 },
        Op::AdjustAmount { acct: 1, amount: 1, rev: Rev::None },
        Op::Query { acct: 0, limit: 2, ascending: false },
        Op::Query { acct: 1, limit: 4, ascending: true },
        Op::GetTransaction(0),
        Op::GetTransaction(7),
        Op::GetByContact(1),
        Op::Get(5),
        Op::Rename(1),
        Op::Rename(50),
        Op::Activate,
        Op::CreateReward { cost: 0, active: true },
        Op::CreateReward { cost: 30, active: true },
        Op::CreateReward { cost: 5, active: false },
        Op::Redeem { acct: 0, reward: 0, key: None },
        Op::Redeem { acct: 0, reward: 1, key: Some(0) },
        Op::Redeem { acct: 0, reward: 0, key: Some(0) },
        Op::Redeem { acct: 1, reward: 0, key: Some(0) },
        Op::Redeem { acct: 1, reward: 0, key: None },
        Op::Redeem { acct: 1, reward: 1, key: None },
        Op::Redeem { acct: 5, reward: 0, key: None },
        Op::UpdateReward { reward: 0, cost: 20, active: true, rev: Rev::Stale },
        Op::UpdateReward { reward: 1, cost: 20, active: true, rev: Rev::Current },
        Op::Redeem { acct: 1, reward: 1, key: None },
        Op::Refund(0),
        Op::Refund(0),
        Op::Refund(4),
        Op::DeleteReward { reward: 0, rev: Rev::Current },
        Op::Redeem { acct: 0, reward: 0, key: None },
        Op::DeleteReward { reward: 0, rev: Rev::Current },
        Op::Query { acct: 0, limit: 5, ascending: true },
        Op::GetTransaction(9),
    ];
    run(&ops).unwrap();
}
