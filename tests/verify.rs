//! verify() against clean and deliberately corrupted stores: every discrepancy is reported,
//! with ids, and one corruption never hides another.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::{json, Value};
use wix_loyalty_wasm::core::driver::{self, Backend};

fn codes(b: &Backend) -> Vec<&'static str> {
    let mut c: Vec<_> = driver::verify(&b.store).discrepancies.iter().map(|d| d.code).collect();
    c.sort();
    c.dedup();
    c
}

/// An active program, two accounts with some history.
fn busy() -> (Backend, String, String) {
    let (mut b, a) = active_with_account();
    let c = b.ok("createAccount", &[CONTACT_B.into()])["account"]["_id"].as_str().unwrap().to_string();
    for i in 0..5 {
        b.ok(
            "earnPoints",
            &[a.clone().into(), json!({ "amount": 10 + i, "appId": "shop", "idempotencyKey": format!("a{i}") })],
        );
        b.ok("adjustPoints", &[c.clone().into(), json!({ "amount": 3 + i })]);
    }
    b.ok("adjustPoints", &[a.clone().into(), json!({ "balance": 20 })]);
    (b, a, c)
}

fn edit(b: &mut Backend, key: &str, f: impl FnOnce(&mut Value)) {
    let (text, version) = b.store.entries[key].clone();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    f(&mut v);
    b.store.entries.insert(key.to_string(), (v.to_string(), version + 1));
}

fn ledger_key(b: &Backend, account: &str, n: usize) -> String {
    b.store.entries.keys().filter(|k| k.starts_with(&format!("ledger/{account}/"))).nth(n).unwrap().clone()
}

#[test]
fn a_store_built_by_the_engine_verifies_clean() {
    let (b, _, _) = busy();
    let report = driver::verify(&b.store);
    assert!(report.ok, "{:?}", report.discrepancies);
    assert_eq!(report.counts.accounts, 2);
    assert_eq!(report.counts.ledger_entries, 11);
    assert_eq!(report.counts.transactions, 11);
    assert_eq!(report.counts.idempotency_keys, 5);
    assert_eq!(report.counts.points, 20 + 3 + 4 + 5 + 6 + 7);
}

#[test]
fn a_tampered_balance_is_reported_with_the_account_id() {
    let (mut b, a, _) = busy();
    edit(&mut b, &format!("acct/{a}"), |v| v["points"]["balance"] = json!(1000));
    let report = driver::verify(&b.store);
    assert!(!report.ok);
    let d: Vec<_> = report.discrepancies.iter().map(|d| (d.code, d.account_id.clone())).collect();
    assert!(d.contains(&("LEDGER_SUM_MISMATCH", Some(a.clone()))), "{d:?}");
    assert!(d.contains(&("BALANCE_FORMULA_MISMATCH", Some(a.clone()))), "{d:?}");
}

#[test]
fn a_lost_ledger_entry_breaks_revision_sum_and_leaves_an_orphan() {
    let (mut b, a, _) = busy();
    let key = ledger_key(&b, &a, 2);
    b.store.entries.remove(&key);
    assert_eq!(
        codes(&b),
        [
            "ADJUST_CHAIN_BROKEN",
            "EARNED_MISMATCH",
            "LEDGER_SUM_MISMATCH",
            "ORPHAN_TRANSACTION",
            "REVISION_MISMATCH",
            "TIER_WINDOW_MISMATCH"
        ]
    );
}

#[test]
fn an_earn_credited_twice_is_reported() {
    let (mut b, a, _) = busy();
    // A second copy of an earn, as a double credit would leave it: new id, next revision.
    let key = ledger_key(&b, &a, 0);
    let mut txn: Value = serde_json::from_str(&b.store.entries[&key].0).unwrap();
    let revision = 8;
    txn["id"] = json!("00000000-0000-4000-8000-0000000000ff");
    txn["accountRevision"] = json!(revision);
    let text = txn.to_string();
    let created = txn["createdMs"].as_i64().unwrap();
    for k in [
        format!("ledger/{a}/{revision:020}"),
        "txn/00000000-0000-4000-8000-0000000000ff".to_string(),
        format!("ledger-time/{created:015}/{a}/{revision:020}"),
    ] {
        b.store.entries.insert(k, (text.clone(), 1));
    }
    let amount = txn["amount"].as_i64().unwrap();
    edit(&mut b, &format!("acct/{a}"), |v| {
        v["revision"] = json!(revision);
        v["points"]["balance"] = json!(v["points"]["balance"].as_i64().unwrap() + amount);
        v["points"]["earned"] = json!(v["points"]["earned"].as_i64().unwrap() + amount);
        v["tierPoints"] = json!(v["tierPoints"].as_i64().unwrap() + amount);
        // Every change of the test is in one month: the double credit lands in it too.
        assert_eq!(v["window"].as_array().unwrap().len(), 1);
        v["window"][0][1] = json!(v["window"][0][1].as_i64().unwrap() + amount);
    });
    assert_eq!(codes(&b), ["DUPLICATE_EARN", "IDEMPOTENCY_RECORD_MISSING"]);
}

#[test]
fn two_accounts_for_one_contact_and_broken_indexes_are_reported() {
    let (mut b, a, c) = busy();
    edit(&mut b, &format!("acct/{c}"), |v| v["contactId"] = json!(CONTACT_A));
    let d = driver::verify(&b.store);
    let found: Vec<_> = d.discrepancies.iter().map(|x| x.code).collect();
    assert!(found.contains(&"DUPLICATE_CONTACT"), "{found:?}");
    assert!(found.contains(&"CONTACT_INDEX_MISMATCH"), "{found:?}");
    assert!(found.contains(&"CONTACT_INDEX_DANGLING"), "{found:?}");
    let _ = a;
}

#[test]
fn unreadable_and_newer_records_are_discrepancies_not_errors() {
    let (mut b, a, c) = busy();
    b.store.entries.insert(format!("acct/{a}"), ("{oops".into(), 9));
    edit(&mut b, "idem/a1", |v| v["schema"] = json!(5));
    b.store.entries.insert("program-backup".into(), ("{}".into(), 1));
    let report = driver::verify(&b.store);
    let by_code = |code| report.discrepancies.iter().filter(|d| d.code == code).collect::<Vec<_>>();
    assert_eq!(by_code("CORRUPT_RECORD")[0].key.as_deref(), Some(format!("acct/{a}").as_str()));
    assert_eq!(by_code("SCHEMA_TOO_NEW")[0].key.as_deref(), Some("idem/a1"));
    assert_eq!(by_code("UNKNOWN_KEY")[0].key.as_deref(), Some("program-backup"));
    // The unreadable account's ledger is now an orphan, and the readable account still checks.
    assert!(!by_code("ORPHAN_LEDGER").is_empty());
    assert!(report.discrepancies.iter().all(|d| d.account_id.as_deref() != Some(c.as_str())));
}

#[test]
fn dangling_idempotency_records_missing_copies_and_negative_balances() {
    let (mut b, a, c) = busy();
    edit(&mut b, "idem/a0", |v| v["transactionId"] = json!("00000000-0000-4000-8000-00000000beef"));
    let time_key = b.store.entries.keys().find(|k| k.starts_with("ledger-time/") && k.contains(&c)).unwrap().clone();
    b.store.entries.remove(&time_key);
    edit(&mut b, &format!("acct/{a}"), |v| {
        v["points"]["balance"] = json!(-5);
    });
    let found = codes(&b);
    for code in ["IDEMPOTENCY_RECORD_DANGLING", "IDEMPOTENCY_RECORD_MISSING", "TIME_INDEX_MISSING", "NEGATIVE_BALANCE"]
    {
        assert!(found.contains(&code), "{code} in {found:?}");
    }
}

#[test]
fn many_discrepancies_are_counted_past_the_listing_limit() {
    let (mut b, _, _) = busy();
    for i in 0..1500 {
        b.store.entries.insert(format!("zzz/{i}"), ("{}".into(), 1));
    }
    // Unknown families are not scanned by verify (it reads only the engine's prefixes) ...
    assert!(driver::verify(&b.store).ok);
    // ... but broken records inside them are.
    for i in 0..1500 {
        b.store.entries.insert(format!("txn/{i:05}"), ("nope".into(), 1));
    }
    let report = driver::verify(&b.store);
    assert_eq!(report.discrepancy_count, 1500);
    assert!(report.truncated);
    assert_eq!(report.discrepancies.len(), 1000);
}
