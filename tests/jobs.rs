//! Jobs: `bulkAdjustPoints` commits in batches with its progress, resumes after a crash and
//! never applies a batch twice when two runners race.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::json;
use wix_loyalty_wasm::core::driver::{self, Backend, Progress};
use wix_loyalty_wasm::core::input::Input;
use wix_loyalty_wasm::core::protocol::Request;
use wix_loyalty_wasm::core::reason::Reason;

fn contact(i: usize) -> String {
    format!("aaaaaaaa-0000-4000-8000-{i:012}")
}

/// An active program with `n` accounts; account `i` has a balance of `i`.
fn store_with(n: usize) -> (Backend, Vec<String>) {
    let mut b = Backend::default();
    b.ok("activateLoyaltyProgram", &[]);
    let mut ids = vec![];
    for i in 0..n {
        let id = b.ok("createAccount", &[contact(i).into()])["account"]["_id"].as_str().unwrap().to_string();
        if i > 0 {
            b.ok("adjustPoints", &[id.clone().into(), json!({ "balance": i })]);
        }
        ids.push(id);
    }
    (b, ids)
}

fn balance(b: &mut Backend, id: &str) -> i64 {
    b.ok("getAccount", &[id.into()])["points"]["balance"].as_i64().unwrap()
}

#[test]
fn bulk_adjust_changes_every_selected_account_once_in_batches() {
    let (mut b, ids) = store_with(250);
    let commits = b.store.commits;
    let job = b.ok(
        "bulkAdjustPoints",
        &[json!({ "search": { "filter": { "points.balance": { "$gte": 100 } } }, "amount": 5 })],
    );
    let job_id = job["asyncJobId"].as_str().unwrap().to_string();
    // One commit creates the job, then one per batch of 100 accounts read.
    assert_eq!(b.store.commits - commits, 1 + 3);
    for (i, id) in ids.iter().enumerate() {
        let expected = if i >= 100 { i as i64 + 5 } else { i as i64 };
        assert_eq!(balance(&mut b, id), expected, "account {i}");
    }
    let report = b.ok("getJob", &[job_id.clone().into()]);
    assert_eq!(report["job"]["status"], "FINISHED");
    assert_eq!((report["job"]["processed"].as_u64(), report["job"]["succeeded"].as_u64()), (Some(150), Some(150)));
    assert!(driver::verify(&b.store).ok);
    // Every adjustment is an ADJUST entry with its own id as idempotency key.
    let page = b.ok(
        "queryLoyaltyTransactions",
        &[json!({ "filter": { "accountId": ids[200] }, "cursorPaging": { "limit": 1 } })],
    );
    let t = &page["loyaltyTransactions"][0];
    assert_eq!((t["transactionType"].as_str(), t["amount"].as_i64()), (Some("ADJUST"), Some(5)));
    assert_eq!(t["idempotencyKey"], t["_id"]);
    // Events: points_updated and account_updated per adjusted account.
    let points_updated =
        b.events.iter().filter(|e| e["metadata"]["eventType"] == "wix.loyalty.v1.account_points_updated").count();
    assert!(points_updated >= 150);
}

#[test]
fn accounts_the_adjustment_cannot_apply_to_are_listed_and_the_rest_adjusted() {
    let (mut b, ids) = store_with(10);
    let job = b.ok("bulkAdjustPoints", &[json!({ "amount": -4 })]);
    let report = b.ok("getJob", &[job["asyncJobId"].clone()]);
    assert_eq!((report["job"]["succeeded"].as_u64(), report["job"]["failed"].as_u64()), (Some(6), Some(4)));
    let failures = report["job"]["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 4);
    assert!(failures.iter().all(|f| f["code"] == "INSUFFICIENT_POINTS"));
    assert_eq!(balance(&mut b, &ids[3]), 3, "refused accounts are untouched");
    assert_eq!(balance(&mut b, &ids[9]), 5);
    assert!(driver::verify(&b.store).ok);
}

#[test]
fn bulk_adjust_validates_its_request() {
    let (mut b, _) = store_with(1);
    let e = b.err("bulkAdjustPoints", &[json!({})]);
    assert_eq!((e.reason, e.violations[0].field.as_str()), (Reason::MissingAdjustment, "options.amount"));
    let e = b.err("bulkAdjustPoints", &[json!({ "search": { "filter": { "nope": 1 } }, "balance": 5 })]);
    assert_eq!((e.reason, e.violations[0].field.as_str()), (Reason::UnsupportedField, "options.search.filter.nope"));
    assert!(b.store.entries.keys().all(|k| !k.starts_with("job/")), "a refused request makes no job");
}

/// Runs an operation for `steps` I/Os, then abandons it (a process killed mid-way).
fn crash_after(b: &mut Backend, op: &str, args: &[serde_json::Value], steps: usize) {
    let args: Vec<Input> = args.iter().map(input).collect();
    let mut running = b.start(op, &args).unwrap();
    for _ in 0..steps {
        assert!(matches!(running.advance(&mut b.store, &|_| Input::Null), Progress::Pending));
    }
}

#[test]
fn a_job_killed_mid_way_is_resumed_and_applies_each_batch_once() {
    // Steps: 1 creates the job; then each batch of 100 is a scan, fresh ids and a commit (2..=10;
    // the 10th finishes the job). A crash after any of steps 1..=9 leaves it running.
    for crash_at in 1..10 {
        let (mut b, ids) = store_with(230);
        crash_after(&mut b, "bulkAdjustPoints", &[json!({ "amount": 7 })], crash_at);
        let resumed = b.ok("resumeJobs", &[]);
        assert_eq!(resumed["resumed"].as_array().unwrap().len(), 1, "crash at {crash_at}");
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(balance(&mut b, id), i as i64 + 7, "crash at {crash_at}: account {i}");
        }
        assert!(driver::verify(&b.store).ok, "crash at {crash_at}");
        assert_eq!(b.ok("resumeJobs", &[])["resumed"], json!([]), "a finished job is not run again");
    }
}

#[test]
fn two_runners_of_one_job_never_apply_a_batch_twice() {
    let mut raced = 0;
    for seed in 0..20u64 {
        let (mut b, ids) = store_with(330);
        // The first runner creates the job and runs a little; a second process then resumes it,
        // and the two interleave I/O by I/O in a seeded order.
        let args = [input(&json!({ "amount": 3 }))];
        let mut first = b.start("bulkAdjustPoints", &args).unwrap();
        assert!(matches!(first.advance(&mut b.store, &|_| Input::Null), Progress::Pending), "job created");
        let mut second = b.start("resumeJobs", &[]).unwrap();
        let mut rng = Rng(seed);
        let (mut a_done, mut b_done) = (false, false);
        while !(a_done && b_done) {
            let pick_first = !a_done && (b_done || rng.chance(50));
            let progress = if pick_first {
                first.advance(&mut b.store, &|_| Input::Null)
            } else {
                second.advance(&mut b.store, &|_| Input::Null)
            };
            if let Progress::Finished(r) = progress {
                r.unwrap_or_else(|e| panic!("seed {seed}: {e}"));
                if pick_first {
                    a_done = true;
                } else {
                    b_done = true;
                }
            }
        }
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(balance(&mut b, id), i as i64 + 3, "seed {seed}: account {i}");
        }
        let report = driver::verify(&b.store);
        assert!(report.ok, "seed {seed}: {:?}", report.discrepancies);
        raced += usize::from(first.conflicts + second.conflicts > 0);
    }
    assert!(raced > 0, "the runners must have collided on some seeds");
}

#[test]
fn a_concurrent_change_to_an_account_makes_the_batch_read_again() {
    let (mut b, ids) = store_with(5);
    let args = [input(&json!({ "amount": 1 }))];
    let mut job = b.start("bulkAdjustPoints", &args).unwrap();
    // Create the job, scan, draw ids: the batch is about to commit.
    while !matches!(job.request(), Some(Request::Batch(w, _)) if w.len() > 1) {
        assert!(matches!(job.advance(&mut b.store, &|_| Input::Null), Progress::Pending));
    }
    b.ok("adjustPoints", &[ids[2].clone().into(), json!({ "amount": 10 })]);
    let outcome = job.run(&mut b.store, &|_| Input::Null);
    b.finish(&job, outcome).unwrap();
    assert_eq!(job.conflicts, 1);
    assert_eq!(balance(&mut b, &ids[2]), 2 + 10 + 1);
    assert_eq!(balance(&mut b, &ids[4]), 5);
    assert!(driver::verify(&b.store).ok);
}

#[test]
fn every_batch_reports_progress() {
    let (mut b, _) = store_with(120);
    let args = [input(&json!({ "amount": 1 }))];
    let mut job = b.start("bulkAdjustPoints", &args).unwrap();
    let outcome = job.run(&mut b.store, &|_| Input::Null);
    b.finish(&job, outcome).unwrap();
    let processed: Vec<u64> = job
        .progress
        .iter()
        .map(|p| serde_json::from_str::<serde_json::Value>(p).unwrap()["processed"].as_u64().unwrap())
        .collect();
    assert_eq!(processed, [0, 100, 120]);
}
