//! `verify()`: a full audit of a store. Every record is fed in, family by family (the order of
//! [`PREFIXES`]); [`Verifier::finish`] recomputes every account from its ledger, cross-checks
//! every copy and index, and lists each discrepancy with the ids involved instead of stopping
//! at the first. Unreadable records are discrepancies too, never errors.
//!
//! Records are kept in vectors sorted by key (scans deliver each family in key order, so the
//! sort finds them sorted) and looked up by binary search: no map types, which would add tens
//! of kilobytes to the wasm module for an admin tool.

use serde::Serialize;

use super::input::quoted;
use super::protocol::Row;
use super::reason::Reason;
use super::records::{
    self as model, keys, AccountRecord, CouponIndex, CouponRecord, IdempotencyRecord, IndexRecord, JobRecord,
    RewardRecord, TransactionRecord, TransactionType,
};
use super::small::wide;

/// The key families to scan, in order.
pub const PREFIXES: [&str; 20] = [
    "program",
    "acct/",
    "contact/",
    "member/",
    "ledger/",
    "txn/",
    "ledger-time/",
    "idem/",
    "job/",
    "reward/",
    "coupon/",
    "coupon-code/",
    "account-coupon/",
    "redeem/",
    "reward-prices",
    "coupon-pending/",
    "coupon-pending-cursor",
    "tiers",
    "due/",
    "due-cursor",
];

/// Discrepancies listed at most; the count of the rest is still reported.
pub const MAX_LISTED: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Discrepancy {
    /// What is wrong, e.g. `LEDGER_SUM_MISMATCH`.
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub records: u64,
    pub accounts: u64,
    pub ledger_entries: u64,
    pub transactions: u64,
    pub contacts: u64,
    pub members: u64,
    pub idempotency_keys: u64,
    pub jobs: u64,
    pub points: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub ok: bool,
    pub counts: Counts,
    /// How many discrepancies were found (more than listed when `truncated`).
    pub discrepancy_count: u64,
    pub truncated: bool,
    pub discrepancies: Vec<Discrepancy>,
}

#[derive(Default)]
pub struct Verifier {
    counts: Counts,
    found: Vec<Discrepancy>,
    total: u64,
    /// By account id.
    accounts: Vec<AccountRecord>,
    /// (contact id, account id) and (member id, account id).
    contact_index: Vec<(String, String)>,
    member_index: Vec<(String, String)>,
    /// Ledger entries by `<account id>/<revision>` (their key without the family prefix).
    ledgers: Vec<(String, TransactionRecord)>,
    /// By id.
    transactions: Vec<TransactionRecord>,
    /// Time index entries: (key, transaction).
    timed: Vec<(String, TransactionRecord)>,
    /// The transaction ids the time index holds, sorted.
    timed_ids: Vec<String>,
    /// (idempotency key, record).
    idempotency: Vec<(String, IdempotencyRecord)>,
    /// By id (deleted ones included: their points were still spent).
    coupons: Vec<CouponRecord>,
    /// (code, coupon id) of `coupon-code/` and (`<account id>/<coupon id>`, coupon id) of `account-coupon/`.
    code_index: Vec<(String, String)>,
    account_coupons: Vec<(String, String)>,
    /// The records of redemptions made with keys: (key, record).
    redemptions: Vec<(String, model::RedeemRecord)>,
    /// `coupon-pending/` entries: (key, coupon id).
    pending: Vec<(String, String)>,
    /// `reward-prices` as stored, and as recomputed from the rewards.
    prices: Option<model::PricesRecord>,
    counted: model::PricesRecord,
    /// A recalculation job (`rewardAvailability`, `tiersRecalculation`, `pointsExpiration`) is
    /// running: accounts may still show the previous flag, tier and `pointsExpiration`.
    availability_running: bool,
    /// The `tiers` record, when there is one.
    tiers: Option<crate::core::records::tier::TiersRecord>,
    /// The program's expiration settings while enabled (`None`: disabled, or no program).
    expiration: Option<(u32, u32)>,
    /// `(account id, due ms)` of every `due/` entry.
    due: Vec<(String, i64)>,
}

/// The item of `items` (sorted by `key`) whose key is `k`.
fn find<'a, T>(items: &'a [T], k: &str, key: fn(&T) -> &str) -> Option<&'a T> {
    let at = items.partition_point(|item| key(item) < k);
    items.get(at).filter(|item| key(item) == k)
}

fn first_of<T>(pair: &(String, T)) -> &str {
    &pair.0
}

/// The account id of a ledger entry's key (`<account id>/<revision>`).
fn ledger_account(rest: &str) -> &str {
    rest.split_once('/').map_or(rest, |(a, _)| a)
}

/// The entries of account `id` in `ledgers` (sorted by key: account, then revision).
fn ledger_of<'a>(ledgers: &'a [(String, TransactionRecord)], id: &str) -> &'a [(String, TransactionRecord)] {
    let start = ledgers.partition_point(|(k, _)| ledger_account(k) < id);
    let len = ledgers.get(start..).map_or(0, |rest| rest.partition_point(|(k, _)| ledger_account(k) == id));
    ledgers.get(start..start + len).unwrap_or(&[])
}

/// Sorts `items` by the string `key` gives. Scans deliver each family sorted, so the usual case
/// is a check; otherwise one sort of `(key, index)` pairs (the only sort instantiated for it),
/// applied by swaps. Only the few lines here are instantiated per item type.
#[inline(never)]
fn sort_by_str<T>(items: &mut [T], key: fn(&T) -> &str) {
    let mut keys = Vec::with_capacity(items.len());
    for item in items.iter() {
        keys.push(key(item));
    }
    let Some(mut dest) = destinations(keys) else {
        return;
    };
    // Each swap puts one item where it belongs.
    for i in 0..items.len() {
        while let Some(&d) = dest.get(i).filter(|&&d| d != i) {
            items.swap(i, d);
            dest.swap(i, d);
        }
    }
}

/// Where each of `keys` goes in sorted order; `None` when they are sorted already.
fn destinations(keys: Vec<&str>) -> Option<Vec<usize>> {
    if keys.iter().zip(keys.iter().skip(1)).all(|(a, b)| a <= b) {
        return None;
    }
    let mut order: Vec<(&str, usize)> = keys.into_iter().zip(0..).collect();
    order.sort_unstable();
    let mut dest = vec![0; order.len()];
    for (position, (_, index)) in order.into_iter().enumerate() {
        if let Some(d) = dest.get_mut(index) {
            *d = position;
        }
    }
    Some(dest)
}

fn str_of(s: &String) -> &str {
    s
}

struct Ids<'a> {
    key: Option<&'a str>,
    account: Option<&'a str>,
    transaction: Option<&'a str>,
}

const NONE: Ids<'static> = Ids { key: None, account: None, transaction: None };

impl Verifier {
    fn report(&mut self, code: &'static str, ids: Ids<'_>, message: String) {
        self.total += 1;
        if self.found.len() < MAX_LISTED {
            self.found.push(Discrepancy {
                code,
                message,
                key: ids.key.map(String::from),
                account_id: ids.account.map(String::from),
                transaction_id: ids.transaction.map(String::from),
            });
        }
    }

    fn decode<T: model::Record>(&mut self, row: &Row) -> Option<T> {
        match model::decode::<T>(&row.key, &row.value) {
            Ok(record) => Some(record),
            Err(e) => {
                let code = if e.reason == Reason::SchemaTooNew { "SCHEMA_TOO_NEW" } else { "CORRUPT_RECORD" };
                self.report(code, Ids { key: Some(&row.key), ..NONE }, e.description);
                None
            }
        }
    }

    /// Takes one stored record (any family).
    pub fn feed(&mut self, row: &Row) {
        self.counts.records += 1;
        let key = row.key.as_str();
        if key == keys::PROGRAM {
            if let Some(p) = self.decode::<model::ProgramRecord>(row) {
                self.expiration = (p.expiration_status == model::ExpirationStatus::Enabled)
                    .then_some((p.months_of_inactivity, p.expiring_points_percentage));
            }
        } else if key.starts_with(keys::DUE_PREFIX) {
            match crate::core::rules::expiry::parse_key(key) {
                Some((ms, account)) => self.due.push((account.to_string(), ms)),
                None => {
                    self.report("CORRUPT_RECORD", Ids { key: Some(key), ..NONE }, format!("{key} is not a due entry"))
                }
            }
        } else if key == keys::DUE_CURSOR {
            // (Read by runScheduledWork, which refuses one without a cursor.)
        } else if key == keys::TIERS {
            // Decoding checks the ladder: at most 20 tiers, distinct thresholds in order, ids.
            self.tiers = self.decode::<crate::core::records::tier::TiersRecord>(row);
        } else if let Some(id) = key.strip_prefix(keys::ACCOUNT_PREFIX) {
            if let Some(a) = self.decode::<AccountRecord>(row) {
                if a.id != id {
                    self.report(
                        "ACCOUNT_KEY_MISMATCH",
                        Ids { key: Some(key), account: Some(&a.id), ..NONE },
                        format!("key {key} holds account {}", a.id),
                    );
                }
                self.accounts.push(a);
            }
        } else if let Some(contact) = key.strip_prefix("contact/") {
            if let Some(i) = self.decode::<IndexRecord>(row) {
                self.contact_index.push((contact.to_string(), i.account_id));
            }
        } else if let Some(member) = key.strip_prefix("member/") {
            if let Some(i) = self.decode::<IndexRecord>(row) {
                self.member_index.push((member.to_string(), i.account_id));
            }
        } else if let Some(rest) = key.strip_prefix(keys::LEDGER_TIME_PREFIX) {
            if let Some(t) = self.decode::<TransactionRecord>(row) {
                if keys::time_ledger(t.created_ms, &t.account_id, t.account_revision) != key {
                    self.report(
                        "TIME_INDEX_MISMATCH",
                        Ids { key: Some(key), transaction: Some(&t.id), ..NONE },
                        format!("time index entry {rest} holds transaction {} of another time or place", t.id),
                    );
                }
                self.timed.push((key.to_string(), t));
            }
        } else if let Some(rest) = key.strip_prefix(keys::LEDGER_PREFIX) {
            self.counts.ledger_entries += 1;
            if let Some(t) = self.decode::<TransactionRecord>(row) {
                let (account, revision) = rest.split_once('/').unwrap_or((rest, ""));
                if account != t.account_id || super::small::parse_digits(revision) != Some(t.account_revision) {
                    self.report(
                        "LEDGER_ENTRY_MISMATCH",
                        Ids { key: Some(key), account: Some(&t.account_id), transaction: Some(&t.id) },
                        format!(
                            "ledger entry {key} holds transaction {} of account {} revision {}",
                            t.id, t.account_id, t.account_revision
                        ),
                    );
                }
                self.ledgers.push((rest.to_string(), t));
            }
        } else if key.starts_with("txn/") {
            if let Some(t) = self.decode::<TransactionRecord>(row) {
                self.counts.transactions += 1;
                self.transactions.push(t);
            }
        } else if let Some(idem) = key.strip_prefix("idem/") {
            if let Some(r) = self.decode::<IdempotencyRecord>(row) {
                self.idempotency.push((idem.to_string(), r));
            }
        } else if let Some(id) = key.strip_prefix(keys::JOB_PREFIX) {
            if let Some(job) = self.decode::<JobRecord>(row) {
                self.counts.jobs += 1;
                if crate::core::rules::availability::is_recalculation(&job.kind)
                    && job.status == model::JobStatus::Running
                {
                    self.availability_running = true;
                }
                if job.id != id || job.succeeded + job.failed != job.processed {
                    self.report(
                        "JOB_RECORD_MISMATCH",
                        Ids { key: Some(key), ..NONE },
                        format!("job record {key} holds job {} with inconsistent counts", job.id),
                    );
                }
            }
        } else if let Some(id) = key.strip_prefix(keys::REWARD_PREFIX) {
            // (A build without the rewards module, made only to measure it, does not read them.)
            if !cfg!(feature = "rewards") {
                return;
            }
            if let Some(reward) = self.decode::<RewardRecord>(row) {
                if reward.id != id {
                    self.report(
                        "REWARD_KEY_MISMATCH",
                        Ids { key: Some(key), ..NONE },
                        format!("key {key} holds reward {}", reward.id),
                    );
                }
                if let Some(cost) = model::prices::contribution(&reward) {
                    self.counted.add(&cost);
                }
            }
        } else if key.starts_with(keys::PENDING_PREFIX) {
            if cfg!(feature = "coupons") {
                if let Some(index) = self.decode::<CouponIndex>(row) {
                    self.pending.push((key.to_string(), index.coupon_id));
                }
            }
        } else if key == keys::PENDING_CURSOR {
            // settleCoupons()'s position: nothing to check against.
        } else if key == keys::REWARD_PRICES {
            if cfg!(feature = "rewards") {
                self.prices = self.decode::<model::PricesRecord>(row);
            }
        } else if key.starts_with(keys::COUPON_PREFIX) {
            if !cfg!(feature = "coupons") {
                return;
            }
            if let Some(coupon) = self.decode::<CouponRecord>(row) {
                if keys::coupon(&coupon.id) != key {
                    self.report(
                        "COUPON_KEY_MISMATCH",
                        Ids { key: Some(key), ..NONE },
                        format!("key {key} holds coupon {}", coupon.id),
                    );
                }
                self.coupons.push(coupon);
            }
        } else if let Some(code) = key.strip_prefix(keys::COUPON_CODE_PREFIX) {
            if !cfg!(feature = "coupons") {
                return;
            }
            if let Some(index) = self.decode::<CouponIndex>(row) {
                self.code_index.push((code.to_string(), index.coupon_id));
            }
        } else if let Some(rest) = key.strip_prefix(keys::ACCOUNT_COUPON_PREFIX) {
            if !cfg!(feature = "coupons") {
                return;
            }
            if let Some(index) = self.decode::<CouponIndex>(row) {
                self.account_coupons.push((rest.to_string(), index.coupon_id));
            }
        } else if key.starts_with(keys::REDEEM_PREFIX) {
            if cfg!(feature = "coupons") {
                if let Some(r) = self.decode::<model::RedeemRecord>(row) {
                    self.redemptions.push((key.to_string(), r));
                }
            }
        } else {
            self.report(
                "UNKNOWN_KEY",
                Ids { key: Some(key), ..NONE },
                format!("{key} is not a key this engine writes"),
            );
        }
    }

    /// Runs every cross-check and returns the report.
    pub fn finish(mut self) -> Report {
        let mut accounts = std::mem::take(&mut self.accounts);
        let mut ledgers = std::mem::take(&mut self.ledgers);
        sort_by_str(&mut accounts, |a| &a.id);
        sort_by_str(&mut ledgers, first_of);
        sort_by_str(&mut self.transactions, |t| &t.id);
        sort_by_str(&mut self.contact_index, first_of);
        sort_by_str(&mut self.member_index, first_of);
        sort_by_str(&mut self.idempotency, first_of);
        self.check_time_index();
        if cfg!(feature = "coupons") {
            self.check_coupons();
        }
        if let Some(p) =
            self.prices.as_ref().filter(|p| p.costs != self.counted.costs || p.tier_costs != self.counted.tier_costs)
        {
            let mut counted = self.counted.clone();
            counted.schema = p.schema;
            counted.months = p.months;
            counted.ladder = p.ladder.clone();
            let m = format!("reward-prices is {}, the active rewards make {}", p.to_json(), counted.to_json());
            self.report("REWARD_PRICES_MISMATCH", Ids { key: Some(keys::REWARD_PRICES), ..NONE }, m);
        }
        // (Absent prices mean no active reward, as balance changes read them.)
        let prices = self.prices.clone().unwrap_or_else(model::PricesRecord::empty);
        if let Some(t) = &self.tiers {
            let ladder = t.ladder();
            if ladder != prices.ladder || t.months() != prices.months {
                let m = format!(
                    "reward-prices holds a window of {} months and {} tiers, the tiers program makes {} months and {} tiers",
                    prices.months,
                    prices.ladder.len(),
                    t.months(),
                    ladder.len()
                );
                self.report("TIER_LADDER_MISMATCH", Ids { key: Some(keys::REWARD_PRICES), ..NONE }, m);
            }
        }
        if prices.expiration != self.expiration {
            let m = "reward-prices and the program disagree on the expiration settings".to_string();
            self.report("EXPIRATION_SETTINGS_MISMATCH", Ids { key: Some(keys::REWARD_PRICES), ..NONE }, m);
        }
        sort_by_str(&mut self.due, first_of);
        for a in &accounts {
            let indexed = a.due_ms.is_none_or(|ms| {
                let at = self.due.partition_point(|(id, _)| id.as_str() < a.id.as_str());
                self.due.iter().skip(at).take_while(|(id, _)| *id == a.id).any(|(_, d)| *d == ms)
            });
            if !indexed {
                let m = format!("account {} is due at {}, and no due/ entry says so", a.id, a.due_ms.unwrap_or(0));
                self.report("DUE_NOT_INDEXED", Ids { account: Some(&a.id), ..NONE }, m);
            }
        }
        if !self.availability_running {
            for a in accounts.iter().filter(|a| a.expiring != crate::core::rules::expiry::expiring(a, &prices)) {
                let m = format!("account {}: pointsExpiration is not what its balance and last activity make", a.id);
                self.report("EXPIRATION_MISMATCH", Ids { account: Some(&a.id), ..NONE }, m);
            }
            // (Summed over another window, the points must be what the current one gives then.)
            let stale = |a: &&AccountRecord| {
                a.tier.ms.is_some_and(|ms| {
                    a.tier.id.as_deref() != prices.tier_for(a.tier_points)
                        || (a.tier.months != prices.months
                            && crate::core::rules::tiering::window_points(a, prices.months, ms) != a.tier_points)
                })
            };
            for a in accounts.iter().filter(stale) {
                let m = format!(
                    "account {} is in tier {} with {} tier points over {} months, where the ladder puts it in tier {} over {} months",
                    a.id,
                    a.tier.id.as_deref().unwrap_or("(base)"),
                    a.tier_points,
                    a.tier.months,
                    prices.tier_for(a.tier_points).unwrap_or("(base)"),
                    prices.months
                );
                self.report("TIER_MISMATCH", Ids { account: Some(&a.id), ..NONE }, m);
            }
            for a in
                accounts.iter().filter(|a| a.reward_available != prices.affords(a.points.balance, a.tier.id.as_deref()))
            {
                let m = format!(
                    "account {} shows rewardAvailable {} with a balance of {} and a lowest price of {}",
                    a.id,
                    a.reward_available,
                    a.points.balance,
                    prices.lowest(a.tier.id.as_deref()).map_or("none".into(), |l| l.to_string())
                );
                self.report("REWARD_AVAILABLE_MISMATCH", Ids { account: Some(&a.id), ..NONE }, m);
            }
        }
        // (contact, account) of every account, sorted, to find a contact with two accounts.
        let mut by_contact: Vec<(String, String)> =
            accounts.iter().map(|a| (a.contact_id.clone(), a.id.clone())).collect();
        sort_by_str(&mut by_contact, first_of);
        for pair in by_contact.iter().zip(by_contact.iter().skip(1)) {
            let ((contact, first), (same, second)) = pair;
            if contact == same {
                self.report(
                    "DUPLICATE_CONTACT",
                    Ids { account: Some(second), ..NONE },
                    format!("contact {contact} has two accounts: {first} and {second}"),
                );
            }
        }
        for a in &accounts {
            let id = &a.id;
            self.counts.accounts += 1;
            self.counts.points = self.counts.points.saturating_add(a.points.balance);
            self.check_account(a, ledger_of(&ledgers, id));
            match find(&self.contact_index, &a.contact_id, first_of) {
                Some((_, indexed)) if indexed == id => {}
                Some((_, indexed)) => {
                    let m = format!("contact/{} points at {indexed}, not at its account {id}", a.contact_id);
                    self.report("CONTACT_INDEX_MISMATCH", Ids { account: Some(id), ..NONE }, m);
                }
                None => self.report(
                    "CONTACT_INDEX_MISSING",
                    Ids { account: Some(id), ..NONE },
                    format!("account {id} has no contact/{} entry", a.contact_id),
                ),
            }
            if let Some(member) = &a.contact.member_id {
                if find(&self.member_index, member, first_of).is_none_or(|(_, indexed)| indexed != id) {
                    self.report(
                        "MEMBER_INDEX_MISMATCH",
                        Ids { account: Some(id), ..NONE },
                        format!("member/{member} does not point at account {id}"),
                    );
                }
            }
        }
        for (contact, account) in std::mem::take(&mut self.contact_index) {
            self.counts.contacts += 1;
            if find(&accounts, &account, |a| &a.id).is_none_or(|a| a.contact_id != contact) {
                let m = format!("contact/{contact} points at {account}, which is not that contact's account");
                self.report(
                    "CONTACT_INDEX_DANGLING",
                    Ids { key: Some(&format!("contact/{contact}")), account: Some(&account), ..NONE },
                    m,
                );
            }
        }
        for (member, account) in std::mem::take(&mut self.member_index) {
            self.counts.members += 1;
            if find(&accounts, &account, |a| &a.id)
                .is_none_or(|a| a.contact.member_id.as_deref() != Some(member.as_str()))
            {
                let m = format!("member/{member} points at {account}, which is not that member's account");
                self.report(
                    "MEMBER_INDEX_DANGLING",
                    Ids { key: Some(&format!("member/{member}")), account: Some(&account), ..NONE },
                    m,
                );
            }
        }
        let mut at = 0;
        while let Some((rest, _)) = ledgers.get(at) {
            let account = ledger_account(rest);
            let entries = ledger_of(&ledgers, account).len().max(1);
            if find(&accounts, account, |a| &a.id).is_none() {
                let m = format!("{entries} ledger entries for account {account}, which does not exist");
                self.report("ORPHAN_LEDGER", Ids { account: Some(account), ..NONE }, m);
            }
            at += entries;
        }
        self.check_transactions(&ledgers);
        self.check_idempotency();
        Report {
            ok: self.total == 0,
            counts: self.counts,
            discrepancy_count: self.total,
            truncated: self.total as usize > self.found.len(),
            discrepancies: self.found,
        }
    }

    /// Every `REDEEM` has its coupon and every coupon its `REDEEM` (for the same points, reward
    /// and reference coupon); a refunded coupon has its `REFUND`; codes are unique and indexed.
    #[inline(never)]
    fn check_coupons(&mut self) {
        let coupons = std::mem::take(&mut self.coupons);
        let mut by_transaction: Vec<(String, usize)> =
            coupons.iter().enumerate().map(|(i, c)| (c.transaction_id.clone(), i)).collect();
        sort_by_str(&mut by_transaction, first_of);
        let mut by_refund: Vec<(String, usize)> =
            coupons.iter().enumerate().filter_map(|(i, c)| c.refund_transaction_id.clone().map(|r| (r, i))).collect();
        sort_by_str(&mut by_refund, first_of);
        let transactions = std::mem::take(&mut self.transactions);
        for t in &transactions {
            let ids = Ids { transaction: Some(&t.id), account: Some(&t.account_id), ..NONE };
            if t.transaction_type == TransactionType::Refund {
                // Named by the one coupon it refunded, for its price, on its account.
                let coupon = find(&by_refund, &t.id, first_of).and_then(|(_, i)| coupons.get(*i));
                let ok = coupon.is_some_and(|c| {
                    c.account_id == t.account_id
                        && c.cost == t.amount
                        && t.refund_info.as_ref().is_some_and(|i| i.refunded_transaction_id == c.transaction_id)
                });
                if !ok {
                    self.report("REFUND_WITHOUT_COUPON", ids, format!("refund {} is not the refund of a coupon", t.id));
                }
                continue;
            }
            if t.transaction_type != TransactionType::Redeem {
                continue;
            }
            let coupon = find(&by_transaction, &t.id, first_of).and_then(|(_, i)| coupons.get(*i));
            let Some(info) = &t.redeem_info else {
                self.report("REDEEM_WITHOUT_COUPON", ids, format!("redemption {} names no reward", t.id));
                continue;
            };
            match coupon {
                None => self.report("REDEEM_WITHOUT_COUPON", ids, format!("redemption {} has no coupon", t.id)),
                Some(c) if !c.paid() => {
                    let m = format!("coupon {} is {} but redemption {} took its points", c.id, c.status.as_str(), t.id);
                    self.report("COUPON_STATUS_MISMATCH", ids, m)
                }
                Some(c)
                    if c.cost != -t.amount
                        || c.reward_id != info.reward_id
                        || c.coupon_reference.coupon_id != info.reference_entity_id
                        || c.account_id != t.account_id =>
                {
                    let m = format!("coupon {} does not match its redemption {}", c.id, t.id);
                    self.report("COUPON_REDEEM_MISMATCH", ids, m)
                }
                Some(_) => {}
            }
        }
        let mut codes = self.code_index.clone();
        sort_by_str(&mut codes, first_of);
        let mut listed = self.account_coupons.clone();
        sort_by_str(&mut listed, first_of);
        let listed_all = listed.clone();
        let mut seen_codes: Vec<(String, String)> = Vec::with_capacity(coupons.len());
        let mut pending = std::mem::take(&mut self.pending);
        sort_by_str(&mut pending, first_of);
        for c in &coupons {
            let ids = Ids { key: None, account: Some(&c.account_id), transaction: Some(&c.transaction_id) };
            // A coupon of the host's not settled (PENDING, or its reference coupon still to
            // void) is listed for settleCoupons().
            let entry = c.pending_key();
            if !c.settled() && find(&pending, &entry, first_of).is_none() {
                let m = format!("coupon {} is {} and {entry} is missing", c.id, c.status.as_str());
                let at = Ids { key: None, account: Some(&c.account_id), transaction: None };
                self.report("PENDING_COUPON_UNLISTED", at, m);
            }
            if !c.paid() {
                // A redemption through the host's hooks that has not taken (or never took) its
                // points.
                let listing = format!("{}/{}", c.account_id, c.id);
                if find(&listed_all, &listing, first_of).is_none() {
                    let ids = Ids { key: None, account: Some(&c.account_id), transaction: None };
                    self.report("ACCOUNT_COUPON_INDEX_MISSING", ids, format!("account-coupon/{listing} is missing"));
                }
                continue;
            }
            match find(&transactions, &c.transaction_id, |t| &t.id) {
                Some(t) if t.transaction_type == TransactionType::Redeem => {}
                _ => self.report(
                    "COUPON_WITHOUT_REDEEM",
                    ids,
                    format!("coupon {} names transaction {}, which is not a redemption", c.id, c.transaction_id),
                ),
            }
            if (c.status == model::CouponStatus::Archived) != c.refund_transaction_id.is_some() {
                let ids = Ids { key: None, account: Some(&c.account_id), transaction: None };
                let m = format!("coupon {} is {} but its refund says otherwise", c.id, c.status.as_str());
                self.report("COUPON_STATUS_MISMATCH", ids, m);
            }
            if let Some(refund) = &c.refund_transaction_id {
                let ok = find(&transactions, refund, |t| &t.id).is_some_and(|t| {
                    t.refund_info.as_ref().is_some_and(|i| i.refunded_transaction_id == c.transaction_id)
                        && t.amount == c.cost
                });
                if !ok {
                    let ids = Ids { key: None, account: Some(&c.account_id), transaction: Some(refund) };
                    self.report(
                        "REFUND_MISMATCH",
                        ids,
                        format!("coupon {} names refund {refund}, which does not give its points back", c.id),
                    );
                }
            }
            let code = &c.coupon_reference.code;
            if find(&codes, code, first_of).is_none_or(|(_, id)| *id != c.id) {
                let ids = Ids { key: None, account: Some(&c.account_id), transaction: None };
                self.report(
                    "COUPON_CODE_INDEX_MISMATCH",
                    ids,
                    format!("coupon-code/{code} does not name coupon {}", c.id),
                );
            }
            let listing = format!("{}/{}", c.account_id, c.id);
            if find(&listed, &listing, first_of).is_none() {
                let ids = Ids { key: None, account: Some(&c.account_id), transaction: None };
                self.report("ACCOUNT_COUPON_INDEX_MISSING", ids, format!("account-coupon/{listing} is missing"));
            }
            seen_codes.push((code.clone(), c.id.clone()));
        }
        // Indexes and retry records that name no coupon, or another account's.
        let mut by_id: Vec<(String, usize)> = coupons.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();
        sort_by_str(&mut by_id, first_of);
        let coupon_of = |id: &str| find(&by_id, id, first_of).and_then(|(_, i)| coupons.get(*i));
        let mut dangling = Vec::new();
        for (code, id) in &codes {
            if coupon_of(id).is_none_or(|c| c.coupon_reference.code != *code) {
                dangling.push(format!("coupon-code/{code} names coupon {id}, which does not have that code"));
            }
        }
        for (listing, id) in &listed {
            let account = listing.split('/').next().unwrap_or_default();
            if coupon_of(id).is_none_or(|c| c.account_id != account) {
                dangling.push(format!("account-coupon/{listing} names coupon {id}, which is not that account's"));
            }
        }
        for (key, id) in &pending {
            if coupon_of(id).is_none_or(|c| !c.external) {
                dangling.push(format!("{key} names coupon {id}, which is not one of the host's"));
            }
        }
        for (key, r) in std::mem::take(&mut self.redemptions) {
            if coupon_of(&r.coupon_id).is_none_or(|c| c.account_id != r.account_id || c.reward_id != r.reward_id) {
                dangling.push(format!("{key} names coupon {}, which is not that redemption's", r.coupon_id));
            }
        }
        for m in dangling {
            self.report("ORPHAN_COUPON_INDEX", NONE, m);
        }
        sort_by_str(&mut seen_codes, first_of);
        for pair in seen_codes.windows(2) {
            if let [(a, first), (b, second)] = pair {
                if a == b {
                    let m = format!("coupons {first} and {second} share the code {a}");
                    self.report("DUPLICATE_COUPON_CODE", Ids { key: None, account: None, transaction: None }, m);
                }
            }
        }
        self.transactions = transactions;
    }

    /// Every time index entry against the transaction it copies.
    #[inline(never)]
    fn check_time_index(&mut self) {
        for (key, t) in std::mem::take(&mut self.timed) {
            let key = key.as_str();
            let ids = Ids { key: Some(key), transaction: Some(&t.id), ..NONE };
            if keys::time_ledger(t.created_ms, &t.account_id, t.account_revision) != key {
                let m = format!("time index entry {key} holds transaction {} of another time or place", t.id);
                self.report("TIME_INDEX_MISMATCH", ids, m);
            }
            match find(&self.transactions, &t.id, |t| &t.id) {
                Some(original) if *original == t => {}
                Some(_) => self.report(
                    "TIME_INDEX_MISMATCH",
                    Ids { key: Some(key), transaction: Some(&t.id), ..NONE },
                    format!("time index copy of transaction {} differs from txn/{}", t.id, t.id),
                ),
                None => self.report(
                    "ORPHAN_TIME_INDEX",
                    Ids { key: Some(key), transaction: Some(&t.id), ..NONE },
                    format!("time index entry for transaction {}, which does not exist", t.id),
                ),
            }
            self.timed_ids.push(t.id);
        }
        sort_by_str(&mut self.timed_ids, str_of);
    }

    #[inline(never)]
    /// The account's points per month against its ledger's earns and adjustments per month
    /// (after the carry of a record from before the window), as `tiering::add` keeps them.
    fn check_window(&mut self, a: &AccountRecord, ledger: &[(String, TransactionRecord)]) {
        use crate::core::time::month_index;
        let mut months: Vec<(i64, i128)> = Vec::new();
        // (A month stopped at ±MONTH_LIMIT in a release before tiering::add refused to pass it.)
        let limit = i128::from(crate::core::rules::tiering::MONTH_LIMIT);
        let mut put = |m: i64, p: i128| match months.binary_search_by_key(&m, |(x, _)| *x) {
            Ok(i) => {
                if let Some(e) = months.get_mut(i) {
                    e.1 = (e.1 + p).clamp(-limit, limit);
                }
            }
            Err(i) => months.insert(i, (m, p.clamp(-limit, limit))),
        };
        let after = a.tier.carry.map_or(0, |(m, p, r)| {
            put(m, p.into());
            r
        });
        let mut last = None;
        for (_, t) in ledger {
            if matches!(t.transaction_type, TransactionType::Earn | TransactionType::Adjust)
                && t.account_revision > after
            {
                let m = month_index(t.created_ms);
                put(m, t.amount.into());
                last = Some(m);
            }
        }
        if let Some(last) = last {
            months.retain(|(m, _)| *m > last - crate::core::rules::tiering::KEPT_MONTHS);
        }
        months.retain(|(_, p)| *p != 0);
        let kept: Vec<(i64, i128)> = a.tier.window.iter().map(|(m, p)| (*m, i128::from(*p))).collect();
        if kept != months {
            let m = format!(
                "account {} keeps {} months of tier points, its ledger makes {} months (or other sums)",
                a.id,
                kept.len(),
                months.len()
            );
            self.report("TIER_WINDOW_MISMATCH", Ids { account: Some(&a.id), ..NONE }, m);
        }
    }

    fn check_account(&mut self, a: &AccountRecord, ledger: &[(String, TransactionRecord)]) {
        let id = Some(a.id.as_str());
        let p = &a.points;
        if p.balance < 0 {
            self.report(
                "NEGATIVE_BALANCE",
                Ids { account: id, ..NONE },
                format!("account {} has a balance of {}", a.id, p.balance),
            );
        }
        // Records are range-checked on decode; sums still use i128 so no ledger can overflow them.
        let formula = i128::from(p.earned) + i128::from(p.adjusted) - i128::from(p.redeemed) - i128::from(p.expired);
        if i128::from(p.balance) != formula {
            self.report(
                "BALANCE_FORMULA_MISMATCH",
                Ids { account: id, ..NONE },
                format!(
                    "account {}: balance {} ≠ earned + adjusted − redeemed − expired = {}",
                    a.id,
                    p.balance,
                    wide(formula)
                ),
            );
        }
        let entries = || ledger.iter().map(|(_, t)| t);
        let sum = |kind: Option<TransactionType>| -> i128 {
            entries().filter(|t| kind.is_none_or(|k| t.transaction_type == k)).map(|t| i128::from(t.amount)).sum()
        };
        let redeemed = -sum(Some(TransactionType::Redeem)) - sum(Some(TransactionType::Refund));
        let tier_points = match a.tier.ms {
            // A record from before the window: lifetime points.
            None => i128::from(p.earned) + i128::from(p.adjusted),
            Some(ms) => {
                self.check_window(a, ledger);
                crate::core::rules::tiering::window_points(a, a.tier.months, ms).into()
            }
        };
        let checks: [(&str, &str, i128, i128); 5] = [
            ("LEDGER_SUM_MISMATCH", "balance", p.balance.into(), sum(None)),
            ("EARNED_MISMATCH", "points.earned", p.earned.into(), sum(Some(TransactionType::Earn))),
            ("ADJUSTED_MISMATCH", "points.adjusted", p.adjusted.into(), sum(Some(TransactionType::Adjust))),
            ("REDEEMED_MISMATCH", "points.redeemed", p.redeemed.into(), redeemed),
            ("TIER_POINTS_MISMATCH", "tier.points", a.tier_points.into(), tier_points),
        ];
        for (code, what, stored, derived) in checks {
            if stored != derived {
                self.report(
                    code,
                    Ids { account: id, ..NONE },
                    format!("account {}: {what} is {} but its ledger gives {}", a.id, wide(stored), wide(derived)),
                );
            }
        }
        let expected: Vec<u64> = (2..=a.revision).collect();
        let actual: Vec<u64> = entries().map(|t| t.account_revision).collect();
        if expected != actual {
            let m = format!(
                "account {} is at revision {} but its ledger holds {} entries (revisions must run 2..={})",
                a.id,
                a.revision,
                actual.len(),
                a.revision
            );
            self.report("REVISION_MISMATCH", Ids { account: id, ..NONE }, m);
        }
        let mut running = 0i128;
        for t in entries() {
            if let Some(info) = &t.adjust_info {
                if i128::from(info.amount_before) != running
                    || i128::from(info.amount_after) != running + i128::from(t.amount)
                {
                    let m = format!(
                        "adjustment {} says {} → {}, but the ledger before it sums to {}",
                        t.id,
                        info.amount_before,
                        info.amount_after,
                        wide(running)
                    );
                    self.report("ADJUST_CHAIN_BROKEN", Ids { account: id, transaction: Some(&t.id), ..NONE }, m);
                }
            }
            running += i128::from(t.amount);
        }
    }

    #[inline(never)]
    fn check_transactions(&mut self, ledgers: &[(String, TransactionRecord)]) {
        let mut in_ledger: Vec<String> = Vec::with_capacity(ledgers.len());
        // (idempotency key, transaction id) of every EARN, sorted, to find a key credited twice.
        let mut earn_keys: Vec<(String, String)> = Vec::new();
        let transactions = std::mem::take(&mut self.transactions);
        let timed = std::mem::take(&mut self.timed_ids);
        for (_, t) in ledgers {
            in_ledger.push(t.id.clone());
            let ids = Ids { account: Some(&t.account_id), transaction: Some(&t.id), ..NONE };
            match find(&transactions, &t.id, |t| &t.id) {
                Some(original) if original == t => {}
                Some(_) => self.report(
                    "TRANSACTION_COPY_MISMATCH",
                    ids,
                    format!("ledger copy of transaction {} differs from txn/{}", t.id, t.id),
                ),
                None => {
                    self.report("TRANSACTION_MISSING", ids, format!("ledger entry {} has no txn/{} record", t.id, t.id))
                }
            }
            if find(&timed, &t.id, str_of).is_none() {
                let ids = Ids { account: Some(&t.account_id), transaction: Some(&t.id), ..NONE };
                self.report("TIME_INDEX_MISSING", ids, format!("transaction {} is missing from the time index", t.id));
            }
            if t.transaction_type == TransactionType::Earn {
                earn_keys.push((t.idempotency_key.clone(), t.id.clone()));
                match find(&self.idempotency, &t.idempotency_key, first_of) {
                    Some((_, r)) if r.transaction_id == t.id => {}
                    _ => {
                        let m = format!(
                            "earn {} has no idempotency record for its key {}",
                            t.id,
                            quoted(&t.idempotency_key)
                        );
                        self.report(
                            "IDEMPOTENCY_RECORD_MISSING",
                            Ids { account: Some(&t.account_id), transaction: Some(&t.id), ..NONE },
                            m,
                        );
                    }
                }
            }
        }
        sort_by_str(&mut earn_keys, first_of);
        for ((key, first), (same, second)) in earn_keys.iter().zip(earn_keys.iter().skip(1)) {
            if key == same {
                let account = find(&transactions, second, |t| &t.id).map(|t| t.account_id.as_str());
                let m =
                    format!("idempotency key {} was credited twice: transactions {first} and {second}", quoted(key));
                self.report("DUPLICATE_EARN", Ids { account, transaction: Some(second), ..NONE }, m);
            }
        }
        sort_by_str(&mut in_ledger, str_of);
        for t in &transactions {
            if find(&in_ledger, &t.id, str_of).is_none() {
                let ids = Ids {
                    key: Some(&keys::transaction(&t.id)),
                    account: Some(&t.account_id),
                    transaction: Some(&t.id),
                };
                self.report("ORPHAN_TRANSACTION", ids, format!("transaction {} is in no account's ledger", t.id));
            }
        }
        self.transactions = transactions;
    }

    #[inline(never)]
    fn check_idempotency(&mut self) {
        let idempotency = std::mem::take(&mut self.idempotency);
        for (key, r) in &idempotency {
            self.counts.idempotency_keys += 1;
            let ids = Ids {
                key: Some(&format!("idem/{key}")),
                account: Some(&r.request.account_id),
                transaction: Some(&r.transaction_id),
            };
            match find(&self.transactions, &r.transaction_id, |t| &t.id) {
                Some(t)
                    if t.transaction_type == TransactionType::Earn
                        && t.idempotency_key == *key
                        && t.amount == r.request.amount
                        && t.account_id == r.request.account_id => {}
                Some(_) => self.report(
                    "IDEMPOTENCY_RECORD_MISMATCH",
                    ids,
                    format!(
                        "idempotency key {} names transaction {}, which is not its earn",
                        quoted(key),
                        r.transaction_id
                    ),
                ),
                None => self.report(
                    "IDEMPOTENCY_RECORD_DANGLING",
                    ids,
                    format!(
                        "idempotency key {} names transaction {}, which does not exist",
                        quoted(key),
                        r.transaction_id
                    ),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sort_by_str_sorts_items() {
        let words = ["m", "b", "zz", "a", "b2", "", "ledger/1", "ledger/0", "y", "c", "b1"];
        for n in 0..=words.len() {
            let mut items: Vec<(String, usize)> = words.iter().take(n).map(|w| w.to_string()).zip(0..).collect();
            let mut expected = items.clone();
            expected.sort();
            super::sort_by_str(&mut items, |i| i.0.as_str());
            assert_eq!(items, expected);
        }
    }
}
