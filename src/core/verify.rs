//! `verify()`: a full audit of a store. Every record is fed in, family by family (the order of
//! [`PREFIXES`]); [`Verifier::finish`] recomputes every account from its ledger, cross-checks
//! every copy and index, and lists each discrepancy with the ids involved instead of stopping
//! at the first. Unreadable records are discrepancies too, never errors.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::input::quoted;
use super::protocol::Row;
use super::records::{
    self as model, keys, AccountRecord, IdempotencyRecord, IndexRecord, JobRecord, TransactionRecord, TransactionType,
};

/// The key families to scan, in order.
pub const PREFIXES: [&str; 9] =
    ["program", "acct/", "contact/", "member/", "ledger/", "txn/", "ledger-time/", "idem/", "job/"];

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
    accounts: BTreeMap<String, AccountRecord>,
    contact_index: BTreeMap<String, String>,
    member_index: BTreeMap<String, String>,
    /// account id → revision → the ledger entry.
    ledgers: BTreeMap<String, BTreeMap<u64, TransactionRecord>>,
    transactions: BTreeMap<String, TransactionRecord>,
    /// Transaction ids seen in the time index.
    timed: BTreeSet<String>,
    idempotency: BTreeMap<String, IdempotencyRecord>,
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
                let code = if e.reason == "SCHEMA_TOO_NEW" { "SCHEMA_TOO_NEW" } else { "CORRUPT_RECORD" };
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
            let _ = self.decode::<model::ProgramRecord>(row);
        } else if let Some(id) = key.strip_prefix(keys::ACCOUNT_PREFIX) {
            if let Some(a) = self.decode::<AccountRecord>(row) {
                if a.id != id {
                    self.report(
                        "ACCOUNT_KEY_MISMATCH",
                        Ids { key: Some(key), account: Some(&a.id), ..NONE },
                        format!("key {key} holds account {}", a.id),
                    );
                }
                self.accounts.insert(id.to_string(), a);
            }
        } else if let Some(contact) = key.strip_prefix("contact/") {
            if let Some(i) = self.decode::<IndexRecord>(row) {
                self.contact_index.insert(contact.to_string(), i.account_id);
            }
        } else if let Some(member) = key.strip_prefix("member/") {
            if let Some(i) = self.decode::<IndexRecord>(row) {
                self.member_index.insert(member.to_string(), i.account_id);
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
                match self.transactions.get(&t.id) {
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
                self.timed.insert(t.id);
            }
        } else if let Some(rest) = key.strip_prefix(keys::LEDGER_PREFIX) {
            self.counts.ledger_entries += 1;
            if let Some(t) = self.decode::<TransactionRecord>(row) {
                let (account, revision) = rest.split_once('/').unwrap_or((rest, ""));
                if account != t.account_id || revision.parse::<u64>().ok() != Some(t.account_revision) {
                    self.report(
                        "LEDGER_ENTRY_MISMATCH",
                        Ids { key: Some(key), account: Some(&t.account_id), transaction: Some(&t.id) },
                        format!(
                            "ledger entry {key} holds transaction {} of account {} revision {}",
                            t.id, t.account_id, t.account_revision
                        ),
                    );
                }
                self.ledgers.entry(account.to_string()).or_default().insert(t.account_revision, t);
            }
        } else if key.starts_with("txn/") {
            if let Some(t) = self.decode::<TransactionRecord>(row) {
                self.counts.transactions += 1;
                self.transactions.insert(t.id.clone(), t);
            }
        } else if let Some(idem) = key.strip_prefix("idem/") {
            if let Some(r) = self.decode::<IdempotencyRecord>(row) {
                self.idempotency.insert(idem.to_string(), r);
            }
        } else if let Some(id) = key.strip_prefix(keys::JOB_PREFIX) {
            if let Some(job) = self.decode::<JobRecord>(row) {
                self.counts.jobs += 1;
                if job.id != id || job.succeeded + job.failed != job.processed {
                    self.report(
                        "JOB_RECORD_MISMATCH",
                        Ids { key: Some(key), ..NONE },
                        format!("job record {key} holds job {} with inconsistent counts", job.id),
                    );
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
        let accounts = std::mem::take(&mut self.accounts);
        let ledgers = std::mem::take(&mut self.ledgers);
        let mut by_contact: BTreeMap<&str, &str> = BTreeMap::new();
        for (id, a) in &accounts {
            self.counts.accounts += 1;
            self.counts.points = self.counts.points.saturating_add(a.points.balance);
            self.check_account(a, ledgers.get(id));
            if let Some(other) = by_contact.insert(&a.contact_id, id) {
                self.report(
                    "DUPLICATE_CONTACT",
                    Ids { account: Some(id), ..NONE },
                    format!("contact {} has two accounts: {other} and {id}", a.contact_id),
                );
            }
            match self.contact_index.get(&a.contact_id) {
                Some(indexed) if indexed == id => {}
                Some(indexed) => {
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
                if self.member_index.get(member) != Some(id) {
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
            if accounts.get(&account).is_none_or(|a| a.contact_id != contact) {
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
            if accounts.get(&account).is_none_or(|a| a.contact.member_id.as_deref() != Some(member.as_str())) {
                let m = format!("member/{member} points at {account}, which is not that member's account");
                self.report(
                    "MEMBER_INDEX_DANGLING",
                    Ids { key: Some(&format!("member/{member}")), account: Some(&account), ..NONE },
                    m,
                );
            }
        }
        for (account, entries) in &ledgers {
            if !accounts.contains_key(account) {
                let m = format!("{} ledger entries for account {account}, which does not exist", entries.len());
                self.report("ORPHAN_LEDGER", Ids { account: Some(account), ..NONE }, m);
            }
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

    fn check_account(&mut self, a: &AccountRecord, ledger: Option<&BTreeMap<u64, TransactionRecord>>) {
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
                format!("account {}: balance {} ≠ earned + adjusted − redeemed − expired = {formula}", a.id, p.balance),
            );
        }
        let empty = BTreeMap::new();
        let ledger = ledger.unwrap_or(&empty);
        let sum = |kind: Option<TransactionType>| -> i128 {
            ledger.values().filter(|t| kind.is_none_or(|k| t.transaction_type == k)).map(|t| i128::from(t.amount)).sum()
        };
        let checks: [(&str, &str, i128, i128); 4] = [
            ("LEDGER_SUM_MISMATCH", "balance", p.balance.into(), sum(None)),
            ("EARNED_MISMATCH", "points.earned", p.earned.into(), sum(Some(TransactionType::Earn))),
            ("ADJUSTED_MISMATCH", "points.adjusted", p.adjusted.into(), sum(Some(TransactionType::Adjust))),
            (
                "TIER_POINTS_MISMATCH",
                "tier.points",
                a.tier_points.into(),
                i128::from(p.earned) + i128::from(p.adjusted),
            ),
        ];
        for (code, what, stored, derived) in checks {
            if stored != derived {
                self.report(
                    code,
                    Ids { account: id, ..NONE },
                    format!("account {}: {what} is {stored} but its ledger gives {derived}", a.id),
                );
            }
        }
        let expected: Vec<u64> = (2..=a.revision).collect();
        let actual: Vec<u64> = ledger.keys().copied().collect();
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
        for t in ledger.values() {
            if let Some(info) = &t.adjust_info {
                if i128::from(info.amount_before) != running
                    || i128::from(info.amount_after) != running + i128::from(t.amount)
                {
                    let m = format!(
                        "adjustment {} says {} → {}, but the ledger before it sums to {running}",
                        t.id, info.amount_before, info.amount_after
                    );
                    self.report("ADJUST_CHAIN_BROKEN", Ids { account: id, transaction: Some(&t.id), ..NONE }, m);
                }
            }
            running += i128::from(t.amount);
        }
    }

    fn check_transactions(&mut self, ledgers: &BTreeMap<String, BTreeMap<u64, TransactionRecord>>) {
        let mut in_ledger = BTreeSet::new();
        let mut earn_keys: BTreeMap<&str, &str> = BTreeMap::new();
        let transactions = std::mem::take(&mut self.transactions);
        for t in ledgers.values().flat_map(|l| l.values()) {
            in_ledger.insert(t.id.as_str());
            let ids = Ids { account: Some(&t.account_id), transaction: Some(&t.id), ..NONE };
            match transactions.get(&t.id) {
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
            if !self.timed.contains(&t.id) {
                let ids = Ids { account: Some(&t.account_id), transaction: Some(&t.id), ..NONE };
                self.report("TIME_INDEX_MISSING", ids, format!("transaction {} is missing from the time index", t.id));
            }
            if t.transaction_type == TransactionType::Earn {
                if let Some(other) = earn_keys.insert(&t.idempotency_key, &t.id) {
                    let m = format!(
                        "idempotency key {} was credited twice: transactions {other} and {}",
                        quoted(&t.idempotency_key),
                        t.id
                    );
                    self.report(
                        "DUPLICATE_EARN",
                        Ids { account: Some(&t.account_id), transaction: Some(&t.id), ..NONE },
                        m,
                    );
                }
                match self.idempotency.get(&t.idempotency_key) {
                    Some(r) if r.transaction_id == t.id => {}
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
        for (id, t) in &transactions {
            if !in_ledger.contains(id.as_str()) {
                let ids =
                    Ids { key: Some(&keys::transaction(id)), account: Some(&t.account_id), transaction: Some(id) };
                self.report("ORPHAN_TRANSACTION", ids, format!("transaction {id} is in no account's ledger"));
            }
        }
        self.transactions = transactions;
    }

    fn check_idempotency(&mut self) {
        let idempotency = std::mem::take(&mut self.idempotency);
        for (key, r) in &idempotency {
            self.counts.idempotency_keys += 1;
            let ids = Ids {
                key: Some(&format!("idem/{key}")),
                account: Some(&r.request.account_id),
                transaction: Some(&r.transaction_id),
            };
            match self.transactions.get(&r.transaction_id) {
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
