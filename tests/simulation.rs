//! Deterministic simulation with faults. A seeded scheduler interleaves operations of several
//! clients (backend instances) over one shared store, one I/O at a time, while the store
//! injects faults: reads and scans that fail, commits that fail, commits that are applied but
//! reported as failed (the ambiguous outcome), and commits that time out (applied or not, the
//! caller cannot tell). Clients retry earns after any storage failure, with the same key.
//!
//! Properties, checked for every seed: verify() finds nothing wrong (every balance equals its
//! ledger, counters and revisions match, no partial writes, no key credited twice); every
//! client that saw an earn succeed saw the one transaction the ledger holds for its key; every
//! ledger entry comes from a request some client made, at most once.
//!
//!   SIM_SEED=42 cargo test --release --test simulation -- --nocapture   one seed, with a trace
//!   SIM_SEEDS=10000 cargo test --release --test simulation               many seeds (npm run simulate)
#![cfg(not(target_arch = "wasm32"))]
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use common::{input as to_input, Rng};

use serde_json::{json, Value};
use wix_loyalty_wasm::core::driver::{self, guid, Hooks, MemoryStore, Operation, Progress, Store};
use wix_loyalty_wasm::core::error::{Code, LoyaltyError, Result};
use wix_loyalty_wasm::core::input::Input;
use wix_loyalty_wasm::core::protocol::{Caller, Context, Row, ScanRequest, Stored, Write};
use wix_loyalty_wasm::core::reason::Reason;
use wix_loyalty_wasm::core::time::{add_months, next_midnight};

#[derive(Default, Debug, Clone, Copy)]
struct Faults {
    reads: u64,
    scans: u64,
    commits_lost: u64,
    commits_ambiguous: u64,
    commits_timed_out: u64,
}

impl Faults {
    fn total(&self) -> u64 {
        self.reads + self.scans + self.commits_lost + self.commits_ambiguous + self.commits_timed_out
    }
}

/// The shared store, failing now and then.
struct FaultyStore {
    inner: MemoryStore,
    rng: Rng,
    faults: Faults,
    /// Percent chance of a fault per call.
    rate: usize,
}

fn unavailable(what: &str) -> LoyaltyError {
    LoyaltyError::new(Code::Unavailable, Reason::StorageError, format!("simulated fault: {what}"))
}

impl Store for FaultyStore {
    fn read(&mut self, keys: &[String]) -> Result<Vec<Option<Stored>>> {
        if self.rng.chance(self.rate) {
            self.faults.reads += 1;
            return Err(unavailable("read failed"));
        }
        self.inner.read(keys)
    }

    fn commit(&mut self, writes: &[Write]) -> Result<Option<String>> {
        if self.rng.chance(self.rate) {
            match self.rng.below(3) {
                0 => {
                    self.faults.commits_lost += 1;
                    return Err(unavailable("commit failed before applying"));
                }
                1 => {
                    self.faults.commits_ambiguous += 1;
                    self.inner.commit(writes)?;
                    return Err(unavailable("commit applied, but the answer was lost"));
                }
                _ => {
                    self.faults.commits_timed_out += 1;
                    if self.rng.chance(50) {
                        self.inner.commit(writes)?;
                    }
                    return Err(unavailable("commit timed out"));
                }
            }
        }
        self.inner.commit(writes)
    }

    fn scan(&mut self, request: &ScanRequest) -> Result<Vec<Row>> {
        if self.rng.chance(self.rate) {
            self.faults.scans += 1;
            return Err(unavailable("scan failed"));
        }
        self.inner.scan(request)
    }
}

/// The host's coupon system, for seeds that redeem through the `referenceCoupons` hooks: each
/// hook fails now and then.
#[derive(Default)]
struct Shop {
    created: BTreeMap<String, String>,
    voided: BTreeSet<String>,
    failures: u64,
}

fn shop_hooks(shop: &Rc<RefCell<Shop>>, seed: u64) -> Hooks {
    let shop = shop.clone();
    let rng = RefCell::new(Rng(seed ^ 0x5409));
    Rc::new(move |name: &str, payload: &Input| {
        let mut s = shop.borrow_mut();
        let reference = payload.get("referenceCouponId").text().unwrap_or_default().to_string();
        if rng.borrow_mut().chance(10) {
            s.failures += 1;
            return Input::Object(vec![("error".into(), Input::String("simulated shop outage".into()))]);
        }
        if name == "create" {
            let code = format!("SHOP-{reference}");
            s.created.insert(reference, code.clone());
            Input::Object(vec![("ok".into(), Input::Object(vec![("code".into(), Input::String(code))]))])
        } else {
            s.voided.insert(reference);
            Input::Object(vec![("ok".into(), Input::Null)])
        }
    })
}

/// What a client wants done.
#[derive(Debug, Clone)]
enum Intent {
    Create(usize),
    Earn {
        contact: usize,
        key: String,
        amount: i64,
    },
    Adjust {
        contact: usize,
        amount: i64,
    },
    SetBalance {
        contact: usize,
        balance: i64,
    },
    Query {
        contact: usize,
    },
    /// A redemption of the reward, with a key shared by the clients.
    Redeem {
        contact: usize,
        key: String,
    },
    /// A refund of a coupon some client got.
    Refund {
        coupon: String,
    },
    /// A new price for the reward (at the revision the client last read), which moves every
    /// account's rewardAvailable in a job racing the balance changes.
    Reprice {
        cost: i64,
    },
    /// A new threshold for the tier (at the revision the client last read), which moves every
    /// account's tier in a job racing the balance changes.
    Threshold {
        points: i64,
    },
    /// settleCoupons() (seeds with hooks): what redemptions left half-way.
    Settle,
    /// runScheduledWork(): points due expire (after a month of inactivity, half the balance)
    /// and tier windows roll, racing the balance changes and other runs.
    Scheduled,
}

struct InFlight {
    op: Operation,
    intent: Intent,
    attempt: u32,
    /// The transaction id this attempt would create (the context's fresh id).
    new_id: String,
}

const CONTACTS: usize = 6;
const PROGRAM: &str = "activateLoyaltyProgram";

fn contact(i: usize) -> String {
    format!("ffffffff-0000-4000-8000-{i:012}")
}

struct Sim {
    rng: Rng,
    store: FaultyStore,
    now_ms: i64,
    next_id: u64,
    accounts: BTreeMap<usize, String>,
    /// Earn key → the transaction ids clients saw succeed for it.
    earn_results: BTreeMap<String, BTreeSet<String>>,
    /// Earn key → amount requested.
    earn_requests: BTreeMap<String, i64>,
    /// Adjust transaction ids handed to attempts, and those reported successful.
    adjust_ids: BTreeSet<String>,
    adjust_ok: BTreeSet<String>,
    /// The reward redeemed, and redemption key → the coupons clients saw for it.
    reward: String,
    redeem_results: BTreeMap<String, BTreeSet<String>>,
    /// Coupon → the refunds clients saw for it.
    refund_results: BTreeMap<String, BTreeSet<String>>,
    /// Reward price changes that succeeded.
    reprices: u64,
    /// The tier whose threshold moves, and the threshold changes that succeeded.
    tier: String,
    thresholds: u64,
    /// With the host's coupon hooks (every other seed): its coupon system.
    shop: Option<(Rc<RefCell<Shop>>, Hooks)>,
    more_ids: driver::Ids,
    settles: u64,
    /// Scheduled-work runs that finished.
    scheduled: u64,
    operations: u64,
    trace: bool,
}

impl Sim {
    fn context(&mut self) -> Context {
        self.now_ms += 1 + self.rng.below(3) as i64;
        // Now and then the clock jumps 20 days: tier windows (one month here) roll mid-run.
        if self.rng.chance(1) {
            self.now_ms += 20 * 86_400_000;
        }
        self.next_id += 3;
        // Half the time the client has a copy of the program, so createAccount commits without a read.
        let program = if self.rng.chance(50) {
            self.store
                .inner
                .entries
                .get("program")
                .map(|(value, version)| Stored { value: value.clone(), version: *version })
        } else {
            None
        };
        Context {
            now_ms: self.now_ms,
            // As many fresh ids as any operation here needs (a redemption: 3).
            ids: vec![guid(self.next_id), guid(self.next_id - 1), guid(self.next_id - 2)],
            caller: Caller::Admin,
            has_contacts: false,
            want_events: false,
            packed_answers: false,
            coupon_hooks: self.shop.is_some(),
            program,
        }
    }

    fn intent(&mut self, client: usize) -> Intent {
        let contact = self.rng.below(CONTACTS);
        match self.rng.below(10) {
            0 | 1 => Intent::Create(contact),
            2..=4 => {
                // Keys are shared across clients, so some earns race on the same key.
                let key = format!("order-{contact}-{}", self.rng.below(8));
                let amount = 1 + (key.len() as i64 * 7 + contact as i64) % 40;
                let _ = client;
                Intent::Earn { contact, key, amount }
            }
            5 | 6 => Intent::Adjust { contact, amount: self.rng.below(41) as i64 - 20 },
            7 | 8 => Intent::SetBalance { contact, balance: self.rng.below(100) as i64 },
            9 if self.rng.chance(50) => {
                Intent::Redeem { contact, key: format!("redeem-{contact}-{}", self.rng.below(6)) }
            }
            9 if self.rng.chance(50) && !self.redeem_results.is_empty() => {
                let all: Vec<&String> = self.redeem_results.values().flatten().collect();
                Intent::Refund { coupon: all[self.rng.below(all.len())].clone() }
            }
            9 if self.rng.chance(40) => Intent::Reprice { cost: 5 + self.rng.below(60) as i64 },
            9 if self.rng.chance(30) => Intent::Threshold { points: 10 + self.rng.below(80) as i64 },
            9 if self.rng.chance(40) => Intent::Scheduled,
            9 if self.shop.is_some() && self.rng.chance(50) => Intent::Settle,
            _ => Intent::Query { contact },
        }
    }

    fn begin(&mut self, intent: Intent, attempt: u32) -> Option<InFlight> {
        let ctx = self.context();
        let new_id = ctx.ids.first().cloned().unwrap_or_default();
        let account = |c: &usize, accounts: &BTreeMap<usize, String>| accounts.get(c).cloned();
        let (name, args): (&str, Vec<Value>) = match &intent {
            Intent::Create(c) => ("createAccount", vec![json!(contact(*c))]),
            Intent::Earn { contact, key, amount } => {
                let id = account(contact, &self.accounts)?;
                ("earnPoints", vec![json!(id), json!({ "amount": amount, "appId": "sim", "idempotencyKey": key })])
            }
            Intent::Adjust { contact, amount } => {
                let id = account(contact, &self.accounts)?;
                if *amount == 0 {
                    return None;
                }
                ("adjustPoints", vec![json!(id), json!({ "amount": amount })])
            }
            Intent::SetBalance { contact, balance } => {
                let id = account(contact, &self.accounts)?;
                ("adjustPoints", vec![json!(id), json!({ "balance": balance })])
            }
            Intent::Query { contact } => {
                let id = account(contact, &self.accounts)?;
                (
                    "queryLoyaltyTransactions",
                    vec![json!({ "filter": { "accountId": id }, "cursorPaging": { "limit": 3 } })],
                )
            }
            Intent::Redeem { contact, key } => {
                let id = account(contact, &self.accounts)?;
                (
                    "redeemPointsForCoupon",
                    vec![json!(self.reward), json!({ "loyaltyAccountId": id, "idempotencyKey": key })],
                )
            }
            Intent::Refund { coupon } => ("refundLoyaltyCoupon", vec![json!(coupon)]),
            // Settles coupons left PENDING for more than 20 ms of the simulated clock.
            Intent::Settle => ("settleCoupons", vec![json!({ "olderThanMs": 20 })]),
            Intent::Scheduled => ("runScheduledWork", vec![json!({})]),
            Intent::Threshold { points } => {
                let stored = &self.store.inner.entries.get("tiers")?.0;
                let tiers = serde_json::from_str::<Value>(stored).ok()?;
                let revision =
                    tiers["tiers"].as_array()?.iter().find(|t| t["id"] == json!(self.tier))?["revision"].clone();
                (
                    "updateTier",
                    vec![json!(self.tier), json!({ "revision": revision.to_string(), "requiredPoints": points })],
                )
            }
            Intent::Reprice { cost } => {
                let stored = &self.store.inner.entries.get(&format!("reward/{}", self.reward))?.0;
                let revision = serde_json::from_str::<Value>(stored).ok()?["revision"].clone();
                let details = json!({ "freeShipping": { "configsByTier": [{ "costInPoints": cost }] } });
                let change = json!({ "name": "sim", "revision": revision.to_string(), "couponReward": details });
                ("updateReward", vec![json!(self.reward), change])
            }
        };
        if matches!(intent, Intent::Adjust { .. } | Intent::SetBalance { .. }) {
            self.adjust_ids.insert(new_id.clone());
        }
        if let Intent::Earn { key, amount, .. } = &intent {
            let previous = self.earn_requests.insert(key.clone(), *amount);
            assert!(previous.is_none_or(|p| p == *amount), "a key always asks for one amount");
        }
        let args: Vec<Input> = args.iter().map(to_input).collect();
        // Ids an operation asks for as it goes (jobs, a redemption taking over a failed key's
        // record) come from one counter for the whole run, as a host's generator never repeats.
        let mut op = Operation::start_with_ids(name, &args, &ctx, self.more_ids.clone())
            .unwrap_or_else(|e| panic!("{name} refused valid input: {e}"));
        op.hooks = self.shop.as_ref().map(|(_, hooks)| hooks.clone());
        Some(InFlight { op, intent, attempt, new_id })
    }

    /// Records a finished operation; returns a retry when the client would retry it.
    fn finish(&mut self, flight: InFlight, outcome: Result<Value>) -> Option<Intent> {
        self.operations += 1;
        if self.trace {
            println!(
                "  {:?} attempt {} → {}",
                flight.intent,
                flight.attempt,
                match &outcome {
                    Ok(_) => "ok".into(),
                    Err(e) => e.reason.to_string(),
                }
            );
        }
        match (&flight.intent, outcome) {
            (Intent::Create(c), Ok(v)) => {
                self.accounts.insert(*c, v["account"]["_id"].as_str().unwrap().to_string());
                None
            }
            (Intent::Create(_), Err(e)) if e.reason == Reason::StorageError && flight.attempt < 5 => {
                Some(flight.intent)
            }
            (Intent::Create(c), Err(e)) => {
                assert!(
                    matches!(e.reason, Reason::AccountAlreadyExists | Reason::StorageError | Reason::TooManyConflicts),
                    "createAccount: {e}"
                );
                if e.reason == Reason::AccountAlreadyExists && !self.accounts.contains_key(c) {
                    // Created by an attempt whose answer was lost: learn its id by reading.
                    let index = self.store.inner.entries.get(&format!("contact/{}", contact(*c))).unwrap().0.clone();
                    let index: Value = serde_json::from_str(&index).unwrap();
                    self.accounts.insert(*c, index["accountId"].as_str().unwrap().to_string());
                }
                None
            }
            (Intent::Earn { key, .. }, Ok(v)) => {
                self.earn_results
                    .entry(key.clone())
                    .or_default()
                    .insert(v["transactionId"].as_str().unwrap().to_string());
                None
            }
            // After a storage failure the outcome is unknown: retry with the same key.
            (Intent::Earn { .. }, Err(e))
                if e.reason == Reason::StorageError || e.reason == Reason::TooManyConflicts =>
            {
                (flight.attempt < 8).then_some(flight.intent)
            }
            (Intent::Earn { .. }, Err(e)) => panic!("earnPoints failed: {e}"),
            (Intent::Adjust { .. } | Intent::SetBalance { .. }, Ok(v)) => {
                let id = v["transactionId"].as_str().unwrap().to_string();
                assert_eq!(id, flight.new_id);
                self.adjust_ok.insert(id);
                None
            }
            (Intent::Adjust { .. } | Intent::SetBalance { .. }, Err(e)) => {
                assert!(
                    matches!(e.reason, Reason::InsufficientPoints | Reason::StorageError | Reason::TooManyConflicts),
                    "adjustPoints: {e}"
                );
                None
            }
            (Intent::Query { .. }, Ok(v)) => {
                assert!(v["loyaltyTransactions"].as_array().unwrap().len() <= 3);
                None
            }
            (Intent::Query { .. }, Err(e)) => {
                assert_eq!(e.reason, Reason::StorageError);
                None
            }
            (Intent::Redeem { key, .. }, Ok(v)) => {
                let coupon = v["coupon"]["_id"].as_str().unwrap().to_string();
                self.redeem_results.entry(key.clone()).or_default().insert(coupon);
                None
            }
            // After a storage failure the outcome is unknown: retry with the same key. (Never
            // TOO_MANY_CONFLICTS: a retry of a redemption that was applied answers it at once.)
            (Intent::Redeem { .. }, Err(e)) if e.reason == Reason::StorageError => {
                (flight.attempt < 8).then_some(flight.intent)
            }
            (Intent::Refund { coupon }, Ok(v)) => {
                let refund = v["transactionId"].as_str().unwrap().to_string();
                let seen = self.refund_results.entry(coupon.clone()).or_default();
                seen.insert(refund);
                assert_eq!(seen.len(), 1, "every refund of coupon {coupon} answers the one refund");
                None
            }
            // A refund is safe to retry: a refunded coupon answers its refund again.
            (Intent::Refund { .. }, Err(e))
                if e.reason == Reason::StorageError || e.reason == Reason::TooManyConflicts =>
            {
                (flight.attempt < 8).then_some(flight.intent)
            }
            (Intent::Refund { .. }, Err(e)) => panic!("refundLoyaltyCoupon: {e}"),
            (Intent::Reprice { .. }, Ok(_)) => {
                self.reprices += 1;
                None
            }
            (Intent::Threshold { .. }, Ok(_)) => {
                self.thresholds += 1;
                None
            }
            // (Another tier holds that threshold: TIER_POINTS_TAKEN.)
            (Intent::Threshold { .. }, Err(e)) => {
                assert!(
                    matches!(
                        e.reason,
                        Reason::RevisionMismatch
                            | Reason::StorageError
                            | Reason::TooManyConflicts
                            | Reason::TierPointsTaken
                    ),
                    "updateTier: {e}"
                );
                None
            }
            // A job cut short by a fault stays running; resumeJobs() finishes it at the end.
            (Intent::Reprice { .. }, Err(e)) => {
                assert!(
                    matches!(e.reason, Reason::RevisionMismatch | Reason::StorageError | Reason::TooManyConflicts),
                    "updateReward: {e}"
                );
                None
            }
            // Through the hooks: a redemption still PENDING (its process may have died: a
            // settle ends it) is retried a few times; one the shop or a settle failed is over.
            (Intent::Redeem { .. }, Err(e)) if e.reason == Reason::RedemptionInProgress => {
                (flight.attempt < 8).then_some(flight.intent)
            }
            (Intent::Redeem { .. }, Err(e))
                if matches!(
                    e.reason,
                    Reason::CouponHookFailed
                        | Reason::RedemptionFailed
                        | Reason::RewardChanged
                        | Reason::TooManyConflicts
                ) =>
            {
                assert!(self.shop.is_some(), "redeemPointsForCoupon without hooks: {e}");
                None
            }
            (Intent::Redeem { .. }, Err(e)) => {
                // A key first used for another account of the same contact number cannot happen
                // (one account per contact); only a short balance refuses.
                assert_eq!(e.reason, Reason::InsufficientPoints, "redeemPointsForCoupon: {e}");
                None
            }
            (Intent::Settle, Ok(_)) => {
                self.settles += 1;
                None
            }
            (Intent::Settle, Err(e)) => {
                assert!(matches!(e.reason, Reason::StorageError | Reason::TooManyConflicts), "settleCoupons: {e}");
                None
            }
            (Intent::Scheduled, Ok(_)) => {
                self.scheduled += 1;
                None
            }
            // A run cut short leaves its committed batches done and the rest to the next run.
            (Intent::Scheduled, Err(e)) => {
                assert!(matches!(e.reason, Reason::StorageError | Reason::TooManyConflicts), "runScheduledWork: {e}");
                None
            }
        }
    }
}

struct Figures {
    operations: u64,
    reprices: u64,
    thresholds: u64,
    settles: u64,
    scheduled: u64,
    expirations: u64,
    shop_failures: u64,
    redemptions: usize,
    refunds: usize,
    faults: Faults,
    ledger_entries: usize,
}

/// Runs one seed; panics (naming the seed) when a property fails.
fn simulate(seed: u64, clients: usize, steps: usize, trace: bool) -> Figures {
    let mut sim = Sim {
        rng: Rng(seed),
        store: FaultyStore {
            inner: MemoryStore::default(),
            rng: Rng(seed ^ 0xFA17),
            faults: Faults::default(),
            rate: 8,
        },
        now_ms: 1_700_000_000_000,
        next_id: 0,
        accounts: BTreeMap::new(),
        earn_results: BTreeMap::new(),
        earn_requests: BTreeMap::new(),
        adjust_ids: BTreeSet::new(),
        adjust_ok: BTreeSet::new(),
        reward: String::new(),
        redeem_results: BTreeMap::new(),
        refund_results: BTreeMap::new(),
        reprices: 0,
        tier: String::new(),
        thresholds: 0,
        shop: (seed % 2 == 0).then(|| {
            let shop = Rc::new(RefCell::new(Shop::default()));
            let hooks = shop_hooks(&shop, seed);
            (shop, hooks)
        }),
        settles: 0,
        scheduled: 0,
        more_ids: Rc::new(std::cell::Cell::new(1 << 44)),
        operations: 0,
        trace,
    };
    // Activate (retrying through faults) before the clients start.
    loop {
        let ctx = sim.context();
        let mut op = Operation::start(PROGRAM, &[], &ctx).unwrap();
        if op.run(&mut sim.store, &|_| Input::Null).is_ok() {
            break;
        }
    }
    // And a reward of 15 points to redeem.
    let reward = json!({ "name": "sim", "active": true, "couponReward": { "freeShipping": { "configsByTier": [{ "costInPoints": 15 }] } } });
    loop {
        let ctx = sim.context();
        let mut op = Operation::start("createReward", &[to_input(&reward)], &ctx).unwrap();
        if let Ok(o) = op.run(&mut sim.store, &|_| Input::Null) {
            let created: Value = serde_json::from_str(&o.result).unwrap();
            sim.reward = created["reward"]["_id"].as_str().unwrap().to_string();
            break;
        }
    }
    // And tiers at 40 (moved by the clients) and 120 points over a one-month window, ACTIVE.
    let tiers = json!([{ "tierDefinition": { "name": "Silver" }, "requiredPoints": 40 }, { "tierDefinition": { "name": "Gold" }, "requiredPoints": 120 }]);
    let settings = json!({ "rollingWindow": { "durationInMonths": 1 }, "status": "ACTIVE" });
    for (name, arg) in [("bulkCreateTiers", tiers), ("createTiersProgramSettings", settings)] {
        loop {
            let mut ctx = sim.context();
            ctx.ids = (0..21).map(|i| guid((1 << 40) + sim.next_id * 32 + i)).collect();
            let mut op = Operation::start(name, &[to_input(&arg)], &ctx).unwrap();
            match op.run(&mut sim.store, &|_| Input::Null) {
                Ok(o) => {
                    let made: Value = serde_json::from_str(&o.result).unwrap();
                    if let Some(id) = made["results"][0]["item"]["_id"].as_str() {
                        sim.tier = id.to_string();
                    }
                    break;
                }
                // A commit applied but reported failed: the retry finds the tiers taken.
                Err(e) if e.reason == Reason::TierNameTaken || e.reason == Reason::TiersProgramSettingsExist => break,
                Err(_) => {}
            }
        }
    }
    if sim.tier.is_empty() {
        let stored = &sim.store.inner.entries["tiers"].0;
        let tiers: Value = serde_json::from_str(stored).unwrap();
        sim.tier = tiers["tiers"].as_array().unwrap().iter().find(|t| t["requiredPoints"] == 40).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
    }
    // Points expire after a month without activity, half the balance at a time.
    let expiry = json!({ "pointsExpiration": { "monthsOfInactivity": 1, "expiringPointsPercentage": 50 } });
    for (name, arg) in [("updateLoyaltyProgram", vec![expiry]), ("enablePointsExpiration", vec![])] {
        let args: Vec<Input> = arg.iter().map(to_input).collect();
        loop {
            let ctx = sim.context();
            let mut op = Operation::start_with_ids(name, &args, &ctx, sim.more_ids.clone()).unwrap();
            if op.run(&mut sim.store, &|_| Input::Null).is_ok() {
                break;
            }
        }
    }
    let mut in_flight: Vec<Option<InFlight>> = (0..clients).map(|_| None).collect();
    let none = |_: &str| Input::Null;
    for _ in 0..steps {
        let c = sim.rng.below(clients);
        let flight = match in_flight[c].take() {
            Some(f) => f,
            None => {
                let intent = sim.intent(c);
                match sim.begin(intent, 1) {
                    Some(f) => f,
                    None => continue,
                }
            }
        };
        let mut flight = flight;
        let progress = flight.op.advance(&mut sim.store, &none);
        // Commits are atomic, so the flags are right between any two steps (verify() checks
        // everything at the end).
        if let Some(wrong) = wrong_flag(&sim.store.inner) {
            panic!("seed {seed}: after a step of {:?}: {wrong}", flight.intent);
        }
        match progress {
            Progress::Pending => in_flight[c] = Some(flight),
            Progress::Finished(outcome) => {
                let attempt = flight.attempt;
                let outcome = outcome.and_then(|o| {
                    serde_json::from_str(&o.result).map_err(|e| LoyaltyError::internal(Reason::BadJson, e.to_string()))
                });
                if let Some(retry) = sim.finish(flight, outcome) {
                    in_flight[c] = sim.begin(retry, attempt + 1);
                }
            }
        }
    }
    // Let every client finish what it started, with faults still on.
    for slot in in_flight.iter_mut() {
        while let Some(mut flight) = slot.take() {
            match flight.op.advance(&mut sim.store, &none) {
                Progress::Pending => *slot = Some(flight),
                Progress::Finished(outcome) => {
                    let attempt = flight.attempt;
                    let outcome = outcome.and_then(|o| {
                        serde_json::from_str(&o.result)
                            .map_err(|e| LoyaltyError::internal(Reason::BadJson, e.to_string()))
                    });
                    if let Some(retry) = sim.finish(flight, outcome) {
                        *slot = sim.begin(retry, attempt + 1);
                    }
                }
            }
        }
    }
    // Jobs cut short by a fault are finished as a restarted host would: resumeJobs(), retried.
    sim.store.rate = 0;
    let ctx = sim.context();
    let mut resume = Operation::start("resumeJobs", &[], &ctx).unwrap();
    if let Err(e) = resume.run(&mut sim.store, &none) {
        panic!("seed {seed}: resumeJobs failed: {e}");
    }
    // And what the hooks left half-way, by settleCoupons() until no void fails.
    if let Some((_, hooks)) = sim.shop.clone() {
        for round in 0.. {
            assert!(round < 50, "seed {seed}: settleCoupons never finished");
            let ctx = sim.context();
            let mut settle =
                Operation::start("settleCoupons", &[to_input(&json!({ "olderThanMs": 0 }))], &ctx).unwrap();
            settle.hooks = Some(hooks.clone());
            let outcome =
                settle.run(&mut sim.store, &none).unwrap_or_else(|e| panic!("seed {seed}: settleCoupons: {e}"));
            let answer: Value = serde_json::from_str(&outcome.result).unwrap();
            if answer["failed"] == 0 {
                break;
            }
        }
    }
    // A last run of the scheduled work, a month and a half on: afterwards nothing is due.
    sim.now_ms += 45 * 86_400_000;
    let ctx = sim.context();
    let mut run = Operation::start_with_ids("runScheduledWork", &[], &ctx, sim.more_ids.clone()).unwrap();
    if let Err(e) = run.run(&mut sim.store, &none) {
        panic!("seed {seed}: runScheduledWork failed: {e}");
    }
    for (key, (value, _)) in
        sim.store.inner.entries.range("acct/".to_string()..).take_while(|(k, _)| k.starts_with("acct/"))
    {
        let a: Value = serde_json::from_str(value).unwrap();
        if a["expiring"][0].as_i64().is_some_and(|due| due <= ctx.now_ms) {
            panic!("seed {seed}: {key} was due at {} and the run left it", a["expiring"][0]);
        }
    }
    check(seed, &sim)
}

/// An account whose rewardAvailable is not what its balance and the stored prices make it,
/// unless an availability job is still running (verify()'s rule, checked cheaply).
fn wrong_flag(store: &MemoryStore) -> Option<String> {
    let family = |prefix: &'static str| {
        store.entries.range(prefix.to_string()..).take_while(move |(k, _)| k.starts_with(prefix))
    };
    let parse = |v: &str| serde_json::from_str::<Value>(v).unwrap();
    if family("job/").any(|(_, (v, _))| {
        let job = parse(v);
        job["kind"] == "rewardAvailability" && job["status"] == "RUNNING"
    }) {
        return None;
    }
    let lowest = store.entries.get("reward-prices").and_then(|(v, _)| parse(v)["costs"][0][0].as_i64());
    family("acct/").find_map(|(key, (v, _))| {
        let a = parse(v);
        let balance = a["points"]["balance"].as_i64().unwrap();
        let shown = a["rewardAvailable"].as_bool().unwrap_or(false);
        (shown != lowest.is_some_and(|l| balance >= l))
            .then(|| format!("{key} shows rewardAvailable {shown} with {balance} points, lowest price {lowest:?}"))
    })
}

fn check(seed: u64, sim: &Sim) -> Figures {
    let fail = |what: String| -> ! {
        panic!("seed {seed}: {what}\nreproduce: SIM_SEED={seed} cargo test --release --test simulation -- --nocapture")
    };
    let report = driver::verify(&sim.store.inner);
    if !report.ok {
        fail(format!("verify() found {:?}", report.discrepancies));
    }
    // The ledger, from the store.
    let mut earns: BTreeMap<String, (String, i64)> = BTreeMap::new();
    let mut adjusts = BTreeSet::new();
    let mut redeems = 0;
    let mut refunds = 0;
    let mut expirations = 0;
    let mut entries = 0;
    // balance, earned, adjusted, redeemed, expired: what getProgramTotals must answer.
    let mut sums = [0i64; 5];
    for (key, (value, _)) in
        sim.store.inner.entries.range("txn/".to_string()..).take_while(|(k, _)| k.starts_with("txn/"))
    {
        let t: Value = serde_json::from_str(value).unwrap();
        entries += 1;
        let amount = t["amount"].as_i64().unwrap();
        sums[0] += amount;
        match t["transactionType"].as_str().unwrap() {
            "EARN" => sums[1] += amount,
            "ADJUST" => sums[2] += amount,
            "EXPIRE" => sums[4] -= amount,
            _ => sums[3] -= amount,
        }
        let id = t["id"].as_str().unwrap().to_string();
        match t["transactionType"].as_str().unwrap() {
            "EARN" => {
                let k = t["idempotencyKey"].as_str().unwrap().to_string();
                if earns.insert(k.clone(), (id, t["amount"].as_i64().unwrap())).is_some() {
                    fail(format!("key {k} credited twice"));
                }
            }
            "REDEEM" => redeems += 1,
            "REFUND" => refunds += 1,
            "EXPIRE" => expirations += 1,
            _ => {
                if !adjusts.insert(id.clone()) {
                    fail(format!("{key}: adjustment recorded twice"));
                }
            }
        }
    }
    // The program's totals are the ledger's, as a recomputation from it makes them.
    let mut store = sim.store.inner.clone();
    let ctx = Context { now_ms: sim.now_ms + 1, ..Context::admin(sim.now_ms + 1) };
    let totals = Operation::start("getProgramTotals", &[], &ctx).unwrap().run(&mut store, &|_| Input::Null);
    let totals: Value =
        serde_json::from_str(&totals.unwrap_or_else(|e| fail(format!("getProgramTotals: {e}"))).result).unwrap();
    let p = &totals["points"];
    let answered =
        [&p["balance"], &p["earned"], &p["adjusted"], &p["redeemed"], &p["expired"]].map(|v| v.as_i64().unwrap());
    if answered != sums {
        fail(format!(
            "getProgramTotals answered {answered:?} (balance, earned, adjusted, redeemed, expired), the ledger sums to {sums:?}"
        ));
    }
    // Every expiration came due (a month of inactivity after the entry before it, the account's
    // last activity then), took half the balance rounded up, and happened once: a second one
    // right after would follow an activity (the first) less than a month old.
    for id in sim.accounts.values() {
        let prefix = format!("ledger/{id}/");
        let ledger: Vec<Value> = sim
            .store
            .inner
            .entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, (v, _))| serde_json::from_str(v).unwrap())
            .collect();
        let mut balance = 0;
        let mut last: Option<i64> = None;
        for t in &ledger {
            let at = t["createdMs"].as_i64().unwrap();
            let amount = t["amount"].as_i64().unwrap();
            if t["transactionType"] == "EXPIRE" {
                let due = last.map(|l| next_midnight(add_months(l, 1)));
                if due.is_none_or(|due| at < due) {
                    fail(format!("{id}: an expiration at {at}, before its date {due:?}"));
                }
                if -amount != (balance + 1) / 2
                    || t["expireInfo"] != json!({ "amountBefore": balance, "amountAfter": balance + amount })
                {
                    fail(format!("{id}: an expiration of {amount} from a balance of {balance}: {t}"));
                }
            }
            balance += amount;
            last = Some(at);
        }
    }
    let counted: u64 =
        totals["tierTotals"].as_array().unwrap().iter().map(|t| t["numberOfAccounts"].as_u64().unwrap()).sum();
    if counted != sim.accounts.len() as u64 {
        fail(format!("getProgramTotals counts {counted} accounts in tiers, there are {}", sim.accounts.len()));
    }
    for (key, seen) in &sim.earn_results {
        let Some((id, _)) = earns.get(key) else {
            fail(format!("clients saw earn {key} succeed but the ledger has none"))
        };
        if seen.len() != 1 || !seen.contains(id) {
            fail(format!("clients saw transactions {seen:?} for key {key}, the ledger holds {id}"));
        }
    }
    for (key, (id, amount)) in &earns {
        match sim.earn_requests.get(key) {
            Some(requested) if requested == amount => {}
            _ => fail(format!("ledger earn {id} for key {key} of {amount} points matches no request")),
        }
    }
    if let Some(stray) = adjusts.iter().find(|id| !sim.adjust_ids.contains(*id)) {
        fail(format!("adjustment {stray} was never requested"));
    }
    if let Some(lost) = sim.adjust_ok.iter().find(|id| !adjusts.contains(*id)) {
        fail(format!("adjustment {lost} was reported done but is not in the ledger"));
    }
    // Every redemption used a key: one REDEEM per key recorded, and what clients saw is that one.
    let records: BTreeMap<String, String> = sim
        .store
        .inner
        .entries
        .range("redeem/".to_string()..)
        .take_while(|(k, _)| k.starts_with("redeem/"))
        .filter_map(|(k, (v, _))| {
            let r: Value = serde_json::from_str(v).unwrap();
            // (A record without an answer is a redemption through the hooks that never paid.)
            (r["answer"] != "").then(|| {
                // `redeem/<account>/<key>`: the sim's keys name their contact, so the key alone is unique.
                (k.rsplit('/').next().unwrap().to_string(), r["couponId"].as_str().unwrap().to_string())
            })
        })
        .collect();
    if let Some((shop, _)) = &sim.shop {
        let shop = shop.borrow();
        let mut usable_owned = BTreeSet::new();
        for (key, (v, _)) in
            sim.store.inner.entries.range("coupon/".to_string()..).take_while(|(k, _)| k.starts_with("coupon/"))
        {
            let c: Value = serde_json::from_str(v).unwrap();
            let reference = c["couponReference"]["couponId"].as_str().unwrap().to_string();
            let usable = shop.created.contains_key(&reference) && !shop.voided.contains(&reference);
            match c["status"].as_str().unwrap() {
                "ACTIVE" if usable => {
                    usable_owned.insert(reference);
                }
                "FAILED" | "ARCHIVED" if !usable && c.get("voidPending").is_none() => {}
                status => fail(format!(
                    "{key} is {status} (voidPending {}) and its shop coupon usable: {usable}",
                    c["voidPending"]
                )),
            }
        }
        for reference in shop.created.keys().filter(|r| !shop.voided.contains(*r)) {
            if !usable_owned.contains(reference) {
                fail(format!("shop coupon {reference} is usable without an ACTIVE coupon"));
            }
        }
    }
    if records.len() != redeems {
        fail(format!("{redeems} redemptions in the ledger for {} redemption keys", records.len()));
    }
    for (key, seen) in &sim.redeem_results {
        match records.get(key) {
            Some(coupon) if seen.len() == 1 && seen.contains(coupon) => {}
            other => fail(format!("clients saw coupons {seen:?} for key {key}, the store holds {other:?}")),
        }
    }
    // One REFUND per refunded coupon, the one its callers saw (verify() ties each to its coupon).
    if refunds < sim.refund_results.len() {
        fail(format!("{refunds} refunds in the ledger for {} coupons clients saw refunded", sim.refund_results.len()));
    }
    for (coupon, seen) in &sim.refund_results {
        let (text, _) = &sim.store.inner.entries[&format!("coupon/{coupon}")];
        let stored: Value = serde_json::from_str(text).unwrap();
        if !seen.iter().all(|r| stored["refundTransactionId"].as_str() == Some(r.as_str())) {
            fail(format!(
                "clients saw refunds {seen:?} of coupon {coupon}, it names {}",
                stored["refundTransactionId"]
            ));
        }
    }
    Figures {
        operations: sim.operations,
        reprices: sim.reprices,
        thresholds: sim.thresholds,
        settles: sim.settles,
        scheduled: sim.scheduled,
        expirations,
        shop_failures: sim.shop.as_ref().map_or(0, |(s, _)| s.borrow().failures),
        redemptions: redeems,
        refunds,
        faults: sim.store.faults,
        ledger_entries: entries,
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn seeded_fault_simulation() {
    let (first, count, trace) = match env_u64("SIM_SEED") {
        Some(seed) => (seed, 1, true),
        None => (env_u64("SIM_SEED_START").unwrap_or(1), env_u64("SIM_SEEDS").unwrap_or(150), false),
    };
    let mut total = Figures {
        operations: 0,
        reprices: 0,
        thresholds: 0,
        settles: 0,
        scheduled: 0,
        expirations: 0,
        shop_failures: 0,
        redemptions: 0,
        refunds: 0,
        faults: Faults::default(),
        ledger_entries: 0,
    };
    for seed in first..first + count {
        if trace {
            println!("seed {seed}:");
        }
        let f = simulate(seed, 4, 600, trace);
        total.operations += f.operations;
        total.reprices += f.reprices;
        total.thresholds += f.thresholds;
        total.settles += f.settles;
        total.scheduled += f.scheduled;
        total.expirations += f.expirations;
        total.shop_failures += f.shop_failures;
        total.ledger_entries += f.ledger_entries;
        total.redemptions += f.redemptions;
        total.refunds += f.refunds;
        let (a, b) = (&mut total.faults, f.faults);
        a.reads += b.reads;
        a.scans += b.scans;
        a.commits_lost += b.commits_lost;
        a.commits_ambiguous += b.commits_ambiguous;
        a.commits_timed_out += b.commits_timed_out;
    }
    let f = total.faults;
    println!(
        "simulation: seeds {first}..{}, {} operations, {} ledger entries ({} redemptions, {} refunds, {} reward price changes, {} tier threshold changes, {} expirations by {} scheduled runs racing the rest; every other seed through coupon hooks failing {} times, {} settleCoupons), {} faults injected ({} failed reads, {} failed scans, {} lost commits, {} ambiguous commits, {} timed-out commits); all properties hold",
        first + count - 1,
        total.operations,
        total.ledger_entries,
        total.redemptions,
        total.refunds,
        total.reprices,
        total.thresholds,
        total.expirations,
        total.scheduled,
        total.shop_failures,
        total.settles,
        f.total(),
        f.reads,
        f.scans,
        f.commits_lost,
        f.commits_ambiguous,
        f.commits_timed_out
    );
    assert!(f.commits_ambiguous > 0 || count < 5, "the simulation must exercise ambiguous commits");
    assert!(total.reprices > 0 || count < 5, "the simulation must change reward prices");
    assert!(total.thresholds > 0 || count < 5, "the simulation must change tier thresholds");
    assert!(total.scheduled > 0 && total.expirations > 0 || count < 5, "the simulation must expire points");
    assert!(total.shop_failures > 0 && total.settles > 0 || count < 5, "the simulation must fail hooks and settle");
}
