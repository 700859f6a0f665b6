//! Native tests of points expiration and the scheduled work (spec §2.1 `pointsExpiration`,
//! §3.2, §3.3 `expireInfo`): what is announced, when points expire and how many, and that
//! `runScheduledWork` expires every due account exactly once however it is run.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::{json, Value};
use wix_loyalty_wasm::core::driver::{guid, verify, Backend, Operation, Progress};
use wix_loyalty_wasm::core::input::Input;
use wix_loyalty_wasm::core::protocol::Request;

const DAY: i64 = 86_400_000;
/// 2025-01-15T10:00:00Z.
const JAN_15: i64 = 1_736_935_200_000;
/// 2025-04-16T00:00:00Z: the first midnight after three months from January 15.
const APR_16: i64 = 1_744_761_600_000;

fn earn(b: &mut Backend, account: &str, amount: i64) -> Value {
    let key = format!("k{}", b.now_ms);
    b.ok("earnPoints", &[account.into(), json!({ "amount": amount, "appId": "app", "idempotencyKey": key })])["account"]
        .clone()
}

fn expiry(b: &mut Backend, months: u32, percentage: u32) {
    let settings =
        json!({ "pointsExpiration": { "monthsOfInactivity": months, "expiringPointsPercentage": percentage } });
    b.ok("updateLoyaltyProgram", &[settings]);
    b.ok("enablePointsExpiration", &[]);
}

fn entries_of(b: &Backend, account: &str, kind: &str) -> Vec<Value> {
    ledger(b, account).into_iter().filter(|t| t["transactionType"] == kind).collect()
}

fn assert_clean(b: &Backend) {
    let report = verify(&b.store);
    assert!(report.ok, "{:?}", report.discrepancies);
}

/// A backend at January 15, 2025 with an active program and `n` accounts of 100 points each.
fn shop(n: usize) -> (Backend, Vec<String>) {
    let mut b = Backend { now_ms: JAN_15, ..Backend::default() };
    b.ok("activateLoyaltyProgram", &[]);
    let ids = (0..n)
        .map(|i| {
            let id = b.ok("createAccount", &[guid(900_000 + i as u64).into()])["account"]["_id"]
                .as_str()
                .unwrap()
                .to_string();
            earn(&mut b, &id, 100);
            id
        })
        .collect();
    (b, ids)
}

#[test]
fn enabling_expiration_fills_every_accounts_points_expiration() {
    let (mut b, ids) = shop(3);
    let before = b.ok("getAccount", &[ids[0].clone().into()]);
    assert_eq!(before["pointsExpiration"], json!({ "expiringPointsAmount": 0 }), "disabled: nothing expires");
    assert_eq!(b.ok("getLoyaltyProgramPremiumFeatures", &[])["pointsExpiration"], true);
    b.events.clear();
    b.ok("enablePointsExpiration", &[]);
    for id in &ids {
        let a = b.ok("getAccount", &[id.clone().into()]);
        // Three months (the default) after the last activity, at the next midnight: 100 %.
        assert_eq!(a["pointsExpiration"], json!({ "expirationDate": APR_16, "expiringPointsAmount": 100 }));
    }
    let updated = b.events.iter().filter(|e| e["metadata"]["eventType"] == "wix.loyalty.v1.account_updated").count();
    assert_eq!(updated, 3, "every account's change is announced");
    let found = b.ok(
        "queryLoyaltyAccounts",
        &[json!({ "filter": { "pointsExpiration.expiringPointsAmount": { "$eq": 100 } } })],
    );
    assert_eq!(found["loyaltyAccounts"].as_array().unwrap().len(), 3, "queries read the new fields");
    let none =
        b.ok("queryLoyaltyAccounts", &[json!({ "filter": { "pointsExpiration.expirationDate": { "$gt": APR_16 } } })]);
    assert_eq!(none["loyaltyAccounts"].as_array().unwrap().len(), 0);
    b.ok("disablePointsExpiration", &[]);
    let a = b.ok("getAccount", &[ids[0].clone().into()]);
    assert_eq!(a["pointsExpiration"], json!({ "expiringPointsAmount": 0 }));
    assert_clean(&b);
}

#[test]
fn a_balance_change_moves_the_expiration_date() {
    let (mut b, ids) = shop(1);
    b.ok("enablePointsExpiration", &[]);
    let entries = |b: &Backend| b.store.entries.keys().filter(|k| k.starts_with("due/") && k.contains(&ids[0])).count();
    let before = entries(&b);
    earn(&mut b, &ids[0], 1);
    earn(&mut b, &ids[0], 1);
    assert_eq!(entries(&b), before, "the same day moves no expiration date: no new due/ entry");
    b.now_ms = JAN_15 + 40 * DAY; // February 24
    let a = earn(&mut b, &ids[0], 50);
    // May 24 + 1 day at midnight.
    assert_eq!(a["pointsExpiration"]["expirationDate"], 1_748_131_200_000i64);
    assert_eq!(a["pointsExpiration"]["expiringPointsAmount"], 152);
    assert_eq!(entries(&b), before + 1, "a new date, one new entry");
    // The run at the old date finds nothing due.
    b.now_ms = APR_16 + 1;
    let run = b.ok("runScheduledWork", &[]);
    assert_eq!(run["expiredAccounts"], 0);
    assert!(entries_of(&b, &ids[0], "EXPIRE").is_empty());
    assert_clean(&b);
}

#[test]
fn expiration_amounts_at_the_edges() {
    // (balance, percentage, expired): rounded up, never more than the balance.
    for (balance, percentage, expired) in
        [(100, 1, 1), (150, 1, 2), (100, 100, 100), (1, 1, 1), (1, 100, 1), (7, 50, 4)]
    {
        let mut b = Backend { now_ms: JAN_15, ..Backend::default() };
        b.ok("activateLoyaltyProgram", &[]);
        let id = b.ok("createAccount", &[guid(1).into()])["account"]["_id"].as_str().unwrap().to_string();
        earn(&mut b, &id, balance);
        expiry(&mut b, 1, percentage);
        let a = b.ok("getAccount", &[id.clone().into()]);
        let due = a["pointsExpiration"]["expirationDate"].as_i64().unwrap();
        assert_eq!(due, 1_739_664_000_000, "February 16, midnight");
        assert_eq!(a["pointsExpiration"]["expiringPointsAmount"], expired);
        b.now_ms = due - 2;
        assert_eq!(b.ok("runScheduledWork", &[])["expiredAccounts"], 0, "not before the date");
        b.now_ms = due;
        b.events.clear();
        let run = b.ok("runScheduledWork", &[]);
        assert_eq!((run["expiredAccounts"].clone(), run["expiredPoints"].clone()), (json!(1), json!(expired)));
        let entries = entries_of(&b, &id, "EXPIRE");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["amount"], -expired);
        assert_eq!(entries[0]["expireInfo"], json!({ "amountBefore": balance, "amountAfter": balance - expired }));
        let txn = b.ok("getLoyaltyTransaction", &[entries[0]["id"].clone()]);
        assert_eq!(txn["transactionType"], "EXPIRE");
        assert_eq!(txn["expireInfo"], json!({ "amountBefore": balance, "amountAfter": balance - expired }));
        let types: Vec<_> = b.events.iter().map(|e| e["metadata"]["eventType"].as_str().unwrap().to_string()).collect();
        assert!(types.contains(&"wix.loyalty.v1.account_points_updated".to_string()), "{types:?}");
        let a = assert_consistent(&mut b, &id);
        assert_eq!(a["points"]["expired"], expired);
        assert_eq!(a["points"]["balance"], balance - expired);
        assert_eq!(b.ok("runScheduledWork", &[])["expiredAccounts"], 0, "a second run expires nothing");
        assert_eq!(entries_of(&b, &id, "EXPIRE").len(), 1);
        let totals = b.ok("getProgramTotals", &[]);
        assert_eq!(totals["points"]["expired"], expired);
        assert_clean(&b);
    }
}

#[test]
fn what_a_partial_expiration_leaves_expires_after_as_many_months_again() {
    let (mut b, ids) = shop(1);
    expiry(&mut b, 1, 50);
    let mut balances = vec![];
    for _ in 0..3 {
        let due = b.ok("getAccount", &[ids[0].clone().into()])["pointsExpiration"]["expirationDate"].as_i64().unwrap();
        b.now_ms = due + 1;
        b.ok("runScheduledWork", &[]);
        balances.push(assert_consistent(&mut b, &ids[0])["points"]["balance"].as_i64().unwrap());
    }
    assert_eq!(balances, [50, 25, 12]);
    assert_clean(&b);
}

#[test]
fn an_account_inactive_for_longer_expires_at_the_next_run_after_enabling() {
    let (mut b, ids) = shop(2);
    b.now_ms = JAN_15 + 200 * DAY;
    b.ok("enablePointsExpiration", &[]);
    let a = b.ok("getAccount", &[ids[0].clone().into()]);
    assert_eq!(a["pointsExpiration"]["expirationDate"], APR_16, "the date passed already");
    let run = b.ok("runScheduledWork", &[]);
    assert_eq!(run["expiredAccounts"], 2);
    assert_eq!(assert_consistent(&mut b, &ids[1])["points"]["balance"], 0);
    assert_clean(&b);
}

/// Advances `op` one I/O at a time until `until` holds of it.
fn advance_until(b: &mut Backend, op: &mut Operation, until: impl Fn(&Operation) -> bool) {
    while !until(op) {
        assert!(matches!(op.advance(&mut b.store, &|_| Input::Null), Progress::Pending), "it ended first");
    }
}

/// Accounts, all due, and the number of `EXPIRE` entries each has.
fn expired_counts(b: &Backend, ids: &[String]) -> Vec<usize> {
    ids.iter().map(|id| entries_of(b, id, "EXPIRE").len()).collect()
}

#[test]
fn two_runs_at_once_expire_every_due_account_once() {
    let (mut b, ids) = shop(250);
    expiry(&mut b, 1, 100);
    b.now_ms = JAN_15 + 40 * DAY;
    b.events.clear();
    let mut first = b.start("runScheduledWork", &[]).unwrap();
    let mut second = b.start("runScheduledWork", &[]).unwrap();
    let (mut a, mut c) = (None, None);
    while a.is_none() || c.is_none() {
        if a.is_none() {
            if let Progress::Finished(r) = first.advance(&mut b.store, &|_| Input::Null) {
                a = Some(r);
            }
        }
        if c.is_none() {
            if let Progress::Finished(r) = second.advance(&mut b.store, &|_| Input::Null) {
                c = Some(r);
            }
        }
    }
    let a = b.finish(&first, a.unwrap()).unwrap();
    let c = b.finish(&second, c.unwrap()).unwrap();
    assert!(first.conflicts + second.conflicts > 0, "the runs raced");
    assert_eq!(a["expiredAccounts"].as_u64().unwrap() + c["expiredAccounts"].as_u64().unwrap(), 250);
    assert_eq!(
        (a["updatedAccounts"].clone(), c["updatedAccounts"].clone()),
        (json!(0), json!(0)),
        "no account written twice"
    );
    assert_eq!(expired_counts(&b, &ids), vec![1; 250]);
    let expired_events =
        b.events.iter().filter(|e| e["metadata"]["eventType"] == "wix.loyalty.v1.account_points_updated").count();
    assert_eq!(expired_events, 250, "one announcement per expiration");
    assert_eq!(b.ok("runScheduledWork", &[])["expiredAccounts"], 0);
    assert_clean(&b);
}

#[test]
fn a_run_stopped_mid_way_leaves_the_rest_to_the_next() {
    let (mut b, ids) = shop(250);
    expiry(&mut b, 1, 100);
    b.now_ms = JAN_15 + 40 * DAY;
    let mut run = b.start("runScheduledWork", &[]).unwrap();
    // Up to its first committed batch, then the process is gone.
    advance_until(&mut b, &mut run, |r| !r.progress.is_empty());
    let progress: Value = serde_json::from_str(&run.progress[0]).unwrap();
    assert_eq!(progress["expiredAccounts"], 100, "a batch of 100 entries");
    let done = expired_counts(&b, &ids).iter().filter(|n| **n == 1).count();
    assert_eq!(done, 100);
    drop(run);
    let next = b.ok("runScheduledWork", &[]);
    assert_eq!(next["expiredAccounts"], 150);
    assert_eq!(expired_counts(&b, &ids), vec![1; 250]);
    assert_clean(&b);
}

#[test]
fn a_balance_change_racing_the_run_is_kept_and_the_account_expires_once() {
    let (mut b, ids) = shop(5);
    expiry(&mut b, 1, 100);
    b.now_ms = JAN_15 + 40 * DAY;
    let mut run = b.start("runScheduledWork", &[]).unwrap();
    // The run has read the accounts and is about to commit; an earn lands first.
    advance_until(&mut b, &mut run, |r| matches!(r.request(), Some(Request::Batch(..))));
    earn(&mut b, &ids[2], 10);
    let outcome = run.run(&mut b.store, &|_| Input::Null);
    let answer = b.finish(&run, outcome).unwrap();
    assert!(run.conflicts > 0);
    assert_eq!(answer["expiredAccounts"], 4, "the account active meanwhile is no longer due");
    assert_eq!(answer["updatedAccounts"], 0, "and is not written either");
    assert_eq!(expired_counts(&b, &ids), vec![1, 1, 0, 1, 1]);
    assert_eq!(assert_consistent(&mut b, &ids[2])["points"]["balance"], 110);
    assert_clean(&b);
}

#[test]
fn the_scheduled_work_rolls_the_tier_window() {
    let (mut b, ids) = shop(1);
    b.ok("createTiersProgramSettings", &[json!({ "status": "ACTIVE", "rollingWindow": { "durationInMonths": 1 } })]);
    b.ok("createTier", &[json!({ "tierDefinition": { "name": "Silver" }, "requiredPoints": 100 })]);
    let a = b.ok("getAccount", &[ids[0].clone().into()]);
    assert!(a["tier"]["_id"].is_string(), "January's 100 points reach Silver");
    b.now_ms = JAN_15 + 30 * DAY; // February 14: January left a one-month window
    b.events.clear();
    let run = b.ok("runScheduledWork", &[]);
    assert_eq!(run["updatedAccounts"], 1);
    let a = b.ok("getAccount", &[ids[0].clone().into()]);
    assert_eq!((a["tier"].get("_id"), a["tier"]["points"].clone()), (None, json!(0)), "back to the base tier");
    assert_eq!(a["revision"], "2", "no balance change");
    let types: Vec<_> = b.events.iter().map(|e| e["metadata"]["eventType"].as_str().unwrap().to_string()).collect();
    assert_eq!(types, ["wix.loyalty.v1.account_updated"]);
    assert_eq!(b.ok("runScheduledWork", &[])["updatedAccounts"], 0, "nothing more to roll");
    assert_clean(&b);
}

#[test]
fn a_program_that_enabled_expiration_before_points_expired_takes_it_on_when_enabled_again() {
    let (mut b, ids) = shop(2);
    // As an earlier release left it: the program says ENABLED, and nothing else knows.
    let program = format!(
        r#"{{"schema":1,"status":"ACTIVE","expirationStatus":"ENABLED","monthsOfInactivity":1,"expiringPointsPercentage":100,"createdMs":{JAN_15},"updatedMs":{JAN_15}}}"#
    );
    let version = b.store.entries.get("program").unwrap().1;
    b.store.entries.insert("program".into(), (program, version + 1));
    let codes: Vec<_> = verify(&b.store).discrepancies.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["EXPIRATION_SETTINGS_MISMATCH"]);
    assert_eq!(b.ok("getAccount", &[ids[0].clone().into()])["pointsExpiration"]["expiringPointsAmount"], 0);
    b.ok("enablePointsExpiration", &[]);
    assert_clean(&b);
    let a = b.ok("getAccount", &[ids[0].clone().into()]);
    assert_eq!(a["pointsExpiration"]["expiringPointsAmount"], 100, "the repeated enable worked every account out");
    b.now_ms = JAN_15 + 40 * DAY;
    assert_eq!(b.ok("runScheduledWork", &[])["expiredAccounts"], 2);
}
