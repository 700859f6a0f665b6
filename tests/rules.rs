//! Native tests of the rules of spec §3 (programs, accounts, earn, adjust, ledger, errors).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::json;
use wix_loyalty_wasm::core::driver::Backend;
use wix_loyalty_wasm::core::error::Code;
use wix_loyalty_wasm::core::input::Input;
use wix_loyalty_wasm::core::reason::Reason;

fn earn(amount: serde_json::Value, key: &str) -> serde_json::Value {
    json!({ "amount": amount, "appId": "shop", "idempotencyKey": key })
}

// ------------------------------------------------------------------ programs

#[test]
fn fresh_program_is_draft_with_always_present_fields() {
    let mut b = Backend::default();
    let p = b.ok("getLoyaltyProgram", &[]);
    assert_eq!(p["loyaltyProgram"]["status"], "DRAFT");
    assert_eq!(p["loyaltyProgram"]["pointsExpiration"]["status"], "DISABLED");
    assert_eq!(p["loyaltyProgram"]["pointsExpiration"]["monthsOfInactivity"], 3);
    assert!(p["loyaltyProgram"]["premiumFeatures"]["loyaltyProgram"].as_bool().unwrap());
    assert_eq!(b.store.commits, 0, "reading the program writes nothing");
}

#[test]
fn activate_pause_activate_and_their_idempotent_repeats() {
    let mut b = Backend::default();
    let e = b.err("pauseLoyaltyProgram", &[]);
    assert_eq!((e.code, e.reason), (Code::FailedPrecondition, Reason::ProgramNotActive));

    assert_eq!(b.ok("activateLoyaltyProgram", &[])["loyaltyProgram"]["status"], "ACTIVE");
    let commits = b.store.commits;
    let events = b.events.len();
    assert_eq!(b.ok("activateLoyaltyProgram", &[])["loyaltyProgram"]["status"], "ACTIVE");
    assert_eq!((b.store.commits, b.events.len()), (commits, events), "activating an active program changes nothing");

    assert_eq!(b.ok("pauseLoyaltyProgram", &[])["loyaltyProgram"]["status"], "PAUSED");
    let commits = b.store.commits;
    assert_eq!(b.ok("pauseLoyaltyProgram", &[])["loyaltyProgram"]["status"], "PAUSED");
    assert_eq!(b.store.commits, commits, "pausing a paused program changes nothing");
    assert_eq!(b.ok("activateLoyaltyProgram", &[])["loyaltyProgram"]["status"], "ACTIVE");
    let kinds: Vec<_> = b.events.iter().map(|e| e["metadata"]["eventType"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, vec!["wix.loyalty.v1.program_updated"; 3]);
}

#[test]
fn update_program_patches_only_given_fields_and_checks_limits() {
    let mut b = Backend::default();
    let p = b.ok("updateLoyaltyProgram", &[json!({ "name": "Stars Club", "status": "ACTIVE" })]);
    assert_eq!(p["loyaltyProgram"]["name"], "Stars Club");
    assert_eq!(p["loyaltyProgram"]["status"], "DRAFT", "status is read-only");
    let p = b.ok(
        "updateLoyaltyProgram",
        &[json!({ "pointDefinition": { "customName": "Stars" }, "pointsExpiration": { "monthsOfInactivity": 12 } })],
    );
    assert_eq!(p["loyaltyProgram"]["name"], "Stars Club", "unchanged fields stay");
    assert_eq!(p["loyaltyProgram"]["pointDefinition"]["customName"], "Stars");
    assert_eq!(p["loyaltyProgram"]["pointsExpiration"]["monthsOfInactivity"], 12);

    let e = b.err("updateLoyaltyProgram", &[json!({ "name": "X", "pointDefinition": { "customName": "x".repeat(21) }, "pointsExpiration": { "monthsOfInactivity": 13, "expiringPointsPercentage": 0 } })]);
    assert_eq!(e.code, Code::InvalidArgument);
    let fields: Vec<_> = e.violations.iter().map(|v| v.field.as_str()).collect();
    // Every violation, listed by field as the Wix SDK lists them.
    assert_eq!(
        fields,
        [
            "loyaltyProgram.name",
            "loyaltyProgram.pointDefinition.customName",
            "loyaltyProgram.pointsExpiration.expiringPointsPercentage",
            "loyaltyProgram.pointsExpiration.monthsOfInactivity",
        ]
    );
    assert!(
        e.message().contains("(got 1), \"loyaltyProgram.pointDefinition"),
        "joined as the SDK joins them: {}",
        e.message()
    );
    assert_eq!(b.err("updateLoyaltyProgram", &[]).reason, Reason::RequiredField);
    assert_eq!(b.err("updateLoyaltyProgram", &[json!([1])]).reason, Reason::WrongType);
}

// ------------------------------------------------------------------ accounts

#[test]
fn create_account_fills_every_always_present_field() {
    let (mut b, id) = active_with_account();
    let a = b.ok("getAccount", &[id.clone().into()]);
    assert_eq!(a["_id"], id.as_str());
    assert_ne!(a["_id"], CONTACT_A);
    assert_eq!(a["contactId"], CONTACT_A);
    assert_eq!(a["points"], json!({ "balance": 0, "earned": 0, "adjusted": 0, "redeemed": 0, "expired": 0 }));
    assert_eq!(a["revision"], "1");
    assert_eq!(a["rewardAvailable"], false);
    assert_eq!(a["tier"]["points"], 0);
    assert_eq!(a["contact"]["picture"], json!({ "_id": "", "url": "", "height": 0, "width": 0 }));
    assert_eq!(a["pointsExpiration"]["expiringPointsAmount"], 0);
    assert!(a["_createdDate"].is_i64() && a["_updatedDate"].is_i64());
    assert!(a.get("lastActivityDate").is_none(), "no activity yet");
    assert_eq!(b.events.last().unwrap()["metadata"]["eventType"], "wix.loyalty.v1.account_created");
}

#[test]
fn one_account_per_contact_and_contact_ids_are_case_insensitive() {
    let (mut b, id) = active_with_account();
    let e = b.err("createAccount", &[CONTACT_A.to_uppercase().into()]);
    assert_eq!((e.code, e.reason), (Code::AlreadyExists, Reason::AccountAlreadyExists));
    assert_eq!(e.data()["accountId"], id.as_str());
    let found = b.ok("getAccountBySecondaryId", &[json!({ "contactId": CONTACT_A })]);
    assert_eq!(found["account"]["_id"], id.as_str());
}

#[test]
fn create_account_needs_an_active_program() {
    let mut b = Backend::default();
    let e = b.err("createAccount", &[CONTACT_A.into()]);
    assert_eq!((e.code, e.reason), (Code::FailedPrecondition, Reason::ProgramNotActive));
    b.ok("activateLoyaltyProgram", &[]);
    b.ok("pauseLoyaltyProgram", &[]);
    assert_eq!(b.err("createAccount", &[CONTACT_A.into()]).reason, Reason::ProgramNotActive);
}

#[test]
fn contacts_resolver_fills_member_and_contact_and_refuses_unknown_contacts() {
    let mut b = Backend::default();
    let member = "11111111-2222-4333-8444-555555555555";
    b.contacts = Some(Box::new(move |id: &str| {
        if id == CONTACT_A {
            input(
                &json!({ "memberId": member, "name": "Dana Levi", "email": "dana@example.com", "picture": "https://img/x.png" }),
            )
        } else {
            Input::Null
        }
    }));
    b.ok("activateLoyaltyProgram", &[]);
    let a = b.ok("createAccount", &[CONTACT_A.into()])["account"].clone();
    assert_eq!(a["memberId"], member);
    assert_eq!(a["contact"]["name"], "Dana Levi");
    assert_eq!(a["contact"]["displayName"], "Dana Levi");
    assert_eq!(a["contact"]["picture"]["url"], "https://img/x.png");
    let by_member = b.ok("getAccountBySecondaryId", &[json!({ "memberId": member })]);
    assert_eq!(by_member["account"]["_id"], a["_id"]);

    let e = b.err("createAccount", &[CONTACT_B.into()]);
    assert_eq!((e.code, e.reason), (Code::NotFound, Reason::ContactNotFound));
}

#[test]
fn get_account_errors() {
    let (mut b, _) = active_with_account();
    let e = b.err("getAccount", &["00000000-0000-4000-8000-00000000dead".into()]);
    assert_eq!((e.code, e.reason), (Code::NotFound, Reason::AccountNotFound));
    let e = b.err("getAccount", &["not-a-guid".into()]);
    assert_eq!((e.code, e.reason), (Code::InvalidArgument, Reason::InvalidGuid));
    assert_eq!(e.violations[0].field, "_id");
    let e = b.err("getAccountBySecondaryId", &[json!({ "contactId": CONTACT_A, "memberId": CONTACT_B })]);
    assert_eq!(e.reason, Reason::OneOf);
    let e = b.err("getAccountBySecondaryId", &[json!({ "contactId": CONTACT_B })]);
    assert_eq!(e.code, Code::NotFound);
}

// ------------------------------------------------------------------ earnPoints

#[test]
fn earn_credits_balance_earned_tier_and_writes_one_earn_entry() {
    let (mut b, id) = active_with_account();
    let (reads, commits) = (b.store.reads, b.store.commits);
    let r = b.ok("earnPoints", &[id.clone().into(), json!({ "amount": 120, "appId": "shop", "idempotencyKey": "order-1", "description": "Order #1", "orderId": "o-1", "activityType": "purchase" })]);
    assert_eq!((b.store.reads - reads, b.store.commits - commits), (1, 1), "one batched read and one commit");
    let a = &r["account"];
    assert_eq!(a["points"]["balance"], 120);
    assert_eq!(a["points"]["earned"], 120);
    assert_eq!(a["tier"]["points"], 120);
    assert_eq!(a["revision"], "2");
    assert!(a["lastActivityDate"].is_i64());
    let txn = b.ok("getLoyaltyTransaction", &[r["transactionId"].clone()]);
    assert_eq!(txn["transactionType"], "EARN");
    assert_eq!(txn["amount"], 120);
    assert_eq!(txn["idempotencyKey"], "order-1");
    assert_eq!(txn["earnInfo"], json!({ "appId": "shop", "activityType": "purchase", "orderId": "o-1" }));
    assert_eq!(ledger(&b, &id).len(), 1);
    assert_consistent(&mut b, &id);
    let kinds: Vec<_> =
        b.events.iter().rev().take(2).map(|e| e["metadata"]["slug"].as_str().unwrap().to_string()).collect();
    assert_eq!(kinds, ["updated", "points_updated"]);
}

#[test]
fn earn_retry_with_the_same_key_returns_the_original_result_once() {
    let (mut b, id) = active_with_account();
    let first = b.ok("earnPoints", &[id.clone().into(), earn(json!(50), "k")]);
    b.ok("adjustPoints", &[id.clone().into(), json!({ "amount": 5 })]);
    let commits = b.store.commits;
    let retry = b.ok("earnPoints", &[id.clone().into(), earn(json!(50), "k")]);
    assert_eq!(retry, first, "same transactionId and the account as the original call left it");
    assert_eq!(b.store.commits, commits, "a retry writes nothing");
    let a = assert_consistent(&mut b, &id);
    assert_eq!(a["points"]["earned"], 50);
    assert_eq!(a["points"]["balance"], 55);

    // Still answered after the program was paused: the original call succeeded.
    b.ok("pauseLoyaltyProgram", &[]);
    assert_eq!(b.ok("earnPoints", &[id.clone().into(), earn(json!(50), "k")]), first);
}

#[test]
fn earn_with_a_used_key_and_a_different_request_is_refused() {
    let (mut b, id) = active_with_account();
    b.ok("earnPoints", &[id.clone().into(), earn(json!(50), "k")]);
    let e = b.err("earnPoints", &[id.clone().into(), earn(json!(51), "k")]);
    assert_eq!((e.code, e.reason), (Code::FailedPrecondition, Reason::IdempotencyKeyReused));
    let e = b.err("earnPoints", &[id.clone().into(), json!({ "amount": 50, "appId": "other", "idempotencyKey": "k" })]);
    assert_eq!(e.reason, Reason::IdempotencyKeyReused);
    assert_eq!(assert_consistent(&mut b, &id)["points"]["balance"], 50);
}

#[test]
fn earn_needs_an_active_program() {
    let (mut b, id) = active_with_account();
    b.ok("pauseLoyaltyProgram", &[]);
    let e = b.err("earnPoints", &[id.clone().into(), earn(json!(5), "k")]);
    assert_eq!((e.code, e.reason), (Code::FailedPrecondition, Reason::ProgramNotActive));
    assert_eq!(e.data()["status"], "PAUSED");
    // A refused earn does not burn its idempotency key.
    b.ok("activateLoyaltyProgram", &[]);
    b.ok("earnPoints", &[id.clone().into(), earn(json!(5), "k")]);
    assert_consistent(&mut b, &id);
}

#[test]
fn earn_validates_every_limit() {
    let (mut b, id) = active_with_account();
    let cases: Vec<(serde_json::Value, &str, Reason)> = vec![
        (earn(json!(0), "k"), "options.amount", Reason::OutOfRange),
        (earn(json!(-5), "k"), "options.amount", Reason::OutOfRange),
        (earn(json!(10_000_000), "k"), "options.amount", Reason::OutOfRange),
        (earn(json!(0.5), "k"), "options.amount", Reason::NotAnInteger),
        (earn(json!(1e20), "k"), "options.amount", Reason::OutOfRange),
        (earn(json!("5"), "k"), "options.amount", Reason::WrongType),
        (json!({ "appId": "a", "idempotencyKey": "k" }), "options.amount", Reason::RequiredField),
        (json!({ "amount": 1, "idempotencyKey": "k" }), "options.appId", Reason::RequiredField),
        (json!({ "amount": 1, "appId": "", "idempotencyKey": "k" }), "options.appId", Reason::RequiredField),
        (json!({ "amount": 1, "appId": "a".repeat(101), "idempotencyKey": "k" }), "options.appId", Reason::TooLong),
        (json!({ "amount": 1, "appId": "a" }), "options.idempotencyKey", Reason::RequiredField),
        (
            json!({ "amount": 1, "appId": "a", "idempotencyKey": "k".repeat(257) }),
            "options.idempotencyKey",
            Reason::TooLong,
        ),
        (
            json!({ "amount": 1, "appId": "a", "idempotencyKey": "k", "description": "d".repeat(101) }),
            "options.description",
            Reason::TooLong,
        ),
        (
            json!({ "amount": 1, "appId": "a", "idempotencyKey": "k", "activityType": "t".repeat(101) }),
            "options.activityType",
            Reason::TooLong,
        ),
        (
            json!({ "amount": 1, "appId": "a", "idempotencyKey": "k", "orderId": "o".repeat(513) }),
            "options.orderId",
            Reason::TooLong,
        ),
        (
            json!({ "amount": 1, "appId": "a", "idempotencyKey": "k", "followedSocialMedia": { "channel": "c".repeat(33) } }),
            "options.followedSocialMedia.channel",
            Reason::TooLong,
        ),
        (
            json!({ "amount": 1, "appId": "a", "idempotencyKey": "k", "followedSocialMedia": {} }),
            "options.followedSocialMedia.channel",
            Reason::RequiredField,
        ),
        (json!(null), "options", Reason::RequiredField),
        (json!([1, 2]), "options", Reason::WrongType),
    ];
    for (options, field, rule) in cases {
        let e = b.err("earnPoints", &[id.clone().into(), options.clone()]);
        assert_eq!(e.code, Code::InvalidArgument, "{options}");
        assert_eq!((e.violations[0].field.as_str(), e.reason), (field, rule), "{options}");
        assert!(e.message().contains(field), "message names {field}: {}", e.message());
    }
    // Boundaries that must pass.
    b.ok("earnPoints", &[id.clone().into(), json!({ "amount": 9_999_999, "appId": "a".repeat(100), "idempotencyKey": "k".repeat(256), "description": "d".repeat(100), "orderId": "o".repeat(512) })]);
    let e = b.err("earnPoints", &[json!("nope"), earn(json!(1), "x")]);
    assert_eq!((e.violations[0].field.as_str(), e.reason), ("accountId", Reason::InvalidGuid));
    let e = b.err("earnPoints", &[json!("00000000-0000-4000-8000-00000000dead"), earn(json!(1), "x")]);
    assert_eq!(e.code, Code::NotFound);
    assert_consistent(&mut b, &id);
}

// ------------------------------------------------------------------ adjustPoints

#[test]
fn adjust_by_amount_and_by_balance_record_adjust_entries() {
    let (mut b, id) = active_with_account();
    let r = b.ok("adjustPoints", &[id.clone().into(), json!({ "amount": 100, "description": "welcome" })]);
    assert_eq!(r["account"]["points"]["adjusted"], 100);
    let r = b.ok("adjustPoints", &[id.clone().into(), json!({ "balance": 30 })]);
    assert_eq!(r["account"]["points"]["balance"], 30);
    assert_eq!(r["account"]["points"]["adjusted"], 30, "the difference goes to points.adjusted");
    assert_eq!(r["account"]["tier"]["points"], 30);
    let txn = b.ok("getLoyaltyTransaction", &[r["transactionId"].clone()]);
    assert_eq!(txn["transactionType"], "ADJUST");
    assert_eq!(txn["amount"], -70);
    assert_eq!(txn["adjustInfo"]["amountBefore"], 100);
    assert_eq!(txn["adjustInfo"]["amountAfter"], 30);
    assert_eq!(txn["idempotencyKey"], txn["_id"]);
    assert_eq!(ledger(&b, &id).len(), 2);
    assert_consistent(&mut b, &id);
}

#[test]
fn adjust_balance_wins_over_amount() {
    let (mut b, id) = active_with_account();
    let r = b.ok("adjustPoints", &[id.clone().into(), json!({ "balance": 40, "amount": 0 })]);
    assert_eq!(r["account"]["points"]["balance"], 40, "amount (even an invalid one) is ignored");
    let r = b.ok("adjustPoints", &[id.clone().into(), json!({ "balance": 10, "amount": 500 })]);
    assert_eq!(r["account"]["points"]["balance"], 10);
    // Setting the current balance is still a recorded adjustment of 0.
    let r = b.ok("adjustPoints", &[id.clone().into(), json!({ "balance": 10 })]);
    assert_eq!(r["account"]["revision"], "4");
    assert_consistent(&mut b, &id);
}

#[test]
fn adjust_input_rules() {
    let (mut b, id) = active_with_account();
    let cases: Vec<(serde_json::Value, &str, Reason)> = vec![
        (json!({ "amount": 0 }), "options.amount", Reason::ZeroAmount),
        (json!({ "amount": -0.0 }), "options.amount", Reason::ZeroAmount),
        (json!({}), "options.amount", Reason::MissingAdjustment),
        (json!({ "description": "x" }), "options.amount", Reason::MissingAdjustment),
        (json!(null), "options.amount", Reason::MissingAdjustment),
        (json!({ "amount": 10_000_000 }), "options.amount", Reason::OutOfRange),
        (json!({ "amount": -10_000_000 }), "options.amount", Reason::OutOfRange),
        (json!({ "balance": -1 }), "options.balance", Reason::OutOfRange),
        (json!({ "balance": 1_000_000_000 }), "options.balance", Reason::OutOfRange),
        (json!({ "balance": 2.5 }), "options.balance", Reason::NotAnInteger),
        (json!({ "amount": 1, "revision": "0" }), "options.revision", Reason::InvalidRevision),
        (json!({ "amount": 1, "revision": "abc" }), "options.revision", Reason::InvalidRevision),
        (json!({ "amount": 1, "description": "" }), "options.description", Reason::RequiredField),
    ];
    for (options, field, rule) in cases {
        let e = b.err("adjustPoints", &[id.clone().into(), options.clone()]);
        assert_eq!(e.code, Code::InvalidArgument, "{options}");
        assert_eq!((e.violations[0].field.as_str(), e.reason), (field, rule), "{options}");
    }
    b.ok("adjustPoints", &[id.clone().into(), json!({ "balance": 999_999_999 })]);
    b.ok("adjustPoints", &[id.clone().into(), json!({ "amount": -9_999_999 })]);
    assert_consistent(&mut b, &id);
}

#[test]
fn overdraft_is_refused_not_clamped_and_changes_nothing() {
    let (mut b, id) = active_with_account();
    b.ok("adjustPoints", &[id.clone().into(), json!({ "amount": 20 })]);
    let commits = b.store.commits;
    let e = b.err("adjustPoints", &[id.clone().into(), json!({ "amount": -21 })]);
    assert_eq!((e.code, e.reason), (Code::FailedPrecondition, Reason::InsufficientPoints));
    assert_eq!(b.store.commits, commits);
    let a = assert_consistent(&mut b, &id);
    assert_eq!((a["points"]["balance"].as_i64(), a["revision"].as_str()), (Some(20), Some("2")));
    b.ok("adjustPoints", &[id.clone().into(), json!({ "amount": -20 })]);
    assert_eq!(assert_consistent(&mut b, &id)["points"]["balance"], 0);
}

#[test]
fn revision_goes_up_by_one_and_a_stale_one_is_refused() {
    let (mut b, id) = active_with_account();
    let r = b.ok("adjustPoints", &[id.clone().into(), json!({ "amount": 5, "revision": "1" })]);
    assert_eq!(r["account"]["revision"], "2");
    let e = b.err("adjustPoints", &[id.clone().into(), json!({ "amount": 5, "revision": "1" })]);
    assert_eq!((e.code, e.reason), (Code::Aborted, Reason::RevisionMismatch));
    assert_eq!(e.data()["currentRevision"], "2");
    let r = b.ok("adjustPoints", &[id.clone().into(), json!({ "amount": 5, "revision": 2 })]);
    assert_eq!(r["account"]["revision"], "3", "a whole-number revision is accepted too");
    b.ok("earnPoints", &[id.clone().into(), earn(json!(1), "k")]);
    assert_eq!(assert_consistent(&mut b, &id)["revision"], "4");
}

#[test]
fn an_accounts_ledger_stays_in_time_order_when_the_clock_goes_back() {
    let (mut b, id) = active_with_account();
    let first = b.ok("adjustPoints", &[id.clone().into(), json!({ "amount": 1 })]);
    b.now_ms -= 60_000;
    let second = b.ok("adjustPoints", &[id.clone().into(), json!({ "amount": 1 })]);
    let t1 = b.ok("getLoyaltyTransaction", &[first["transactionId"].clone()])["_createdDate"].as_i64().unwrap();
    let t2 = b.ok("getLoyaltyTransaction", &[second["transactionId"].clone()])["_createdDate"].as_i64().unwrap();
    assert_eq!(t2, t1, "a change is never dated before the account's previous change");
    let entries = ledger(&b, &id);
    assert_eq!(entries[0]["id"], first["transactionId"]);
    assert_eq!(entries[1]["id"], second["transactionId"]);
}

#[test]
fn adjust_works_in_every_program_status() {
    let (mut b, id) = active_with_account();
    b.ok("pauseLoyaltyProgram", &[]);
    b.ok("adjustPoints", &[id.clone().into(), json!({ "amount": 7 })]);
    assert_eq!(assert_consistent(&mut b, &id)["points"]["balance"], 7);
}

#[test]
fn adjust_costs_one_read_and_one_commit() {
    let (mut b, id) = active_with_account();
    let (reads, commits, scans) = (b.store.reads, b.store.commits, b.store.scans);
    b.ok("adjustPoints", &[id.into(), json!({ "amount": 3 })]);
    assert_eq!((b.store.reads - reads, b.store.commits - commits, b.store.scans - scans), (1, 1, 0));
}

#[test]
fn points_never_leave_the_safe_integer_range() {
    let (mut b, id) = active_with_account();
    // Push the balance near the limit through the store itself, then try to go past it.
    let key = format!("acct/{id}");
    let (text, version) = b.store.entries[&key].clone();
    let mut account: serde_json::Value = serde_json::from_str(&text).unwrap();
    account["points"]["balance"] = json!(9_007_199_254_740_990_i64);
    account["points"]["adjusted"] = json!(9_007_199_254_740_990_i64);
    b.store.entries.insert(key, (account.to_string(), version));
    let e = b.err("earnPoints", &[id.clone().into(), earn(json!(5), "k")]);
    assert_eq!((e.code, e.reason), (Code::FailedPrecondition, Reason::PointsLimitExceeded));
}

// ------------------------------------------------------------------ concurrency (interleaved by hand)

#[test]
fn interleaved_adjusts_without_revision_both_apply_after_a_retry() {
    let (mut b, id) = active_with_account();
    let none = |_: &str| Input::Null;
    let args = [Input::String(id.clone()), input(&json!({ "amount": 1 }))];
    let mut first = b.start("adjustPoints", &args).unwrap();
    let mut second = b.start("adjustPoints", &args).unwrap();
    use wix_loyalty_wasm::core::driver::Progress::*;
    // Both read the same revision...
    assert!(matches!(first.advance(&mut b.store, &none), Pending));
    assert!(matches!(second.advance(&mut b.store, &none), Pending));
    // ...the first commits, the second conflicts, re-reads and commits.
    let r1 = match first.advance(&mut b.store, &none) {
        Finished(r) => r.unwrap(),
        Pending => panic!("first should finish"),
    };
    assert!(matches!(second.advance(&mut b.store, &none), Pending), "conflict → retry");
    assert!(matches!(second.advance(&mut b.store, &none), Pending), "re-read");
    let r2 = match second.advance(&mut b.store, &none) {
        Finished(r) => r.unwrap(),
        Pending => panic!("second should finish"),
    };
    b.finish(&first, Ok(r1)).unwrap();
    b.finish(&second, Ok(r2)).unwrap();
    assert_eq!(second.conflicts, 1);
    let a = assert_consistent(&mut b, &id);
    assert_eq!((a["points"]["balance"].as_i64(), a["revision"].as_str()), (Some(2), Some("3")));
}

#[test]
fn interleaved_adjust_with_revision_is_refused_after_the_conflict() {
    let (mut b, id) = active_with_account();
    let none = |_: &str| Input::Null;
    let args = [Input::String(id.clone()), input(&json!({ "amount": 1, "revision": "1" }))];
    let mut first = b.start("adjustPoints", &args).unwrap();
    let mut second = b.start("adjustPoints", &args).unwrap();
    use wix_loyalty_wasm::core::driver::Progress::*;
    first.advance(&mut b.store, &none);
    second.advance(&mut b.store, &none);
    assert!(matches!(first.advance(&mut b.store, &none), Finished(Ok(_))));
    assert!(matches!(second.advance(&mut b.store, &none), Pending), "conflict → re-read");
    match second.advance(&mut b.store, &none) {
        Finished(Err(e)) => assert_eq!(e.reason, Reason::RevisionMismatch),
        _ => panic!("the stale revision must be refused"),
    }
    assert_eq!(assert_consistent(&mut b, &id)["points"]["balance"], 1);
}

#[test]
fn interleaved_creates_for_one_contact_make_one_account() {
    let mut b = Backend::default();
    b.ok("activateLoyaltyProgram", &[]);
    let none = |_: &str| Input::Null;
    let mut ops: Vec<_> =
        (0..3).map(|_| b.start("createAccount", &[Input::String(CONTACT_A.into())]).unwrap()).collect();
    for op in ops.iter_mut() {
        assert!(matches!(op.advance(&mut b.store, &none), wix_loyalty_wasm::core::driver::Progress::Pending));
    }
    let results: Vec<_> = ops.into_iter().map(|mut op| op.run(&mut b.store, &none)).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    for r in results.iter().filter(|r| r.is_err()) {
        assert_eq!(r.as_ref().unwrap_err().reason, Reason::AccountAlreadyExists);
    }
    assert_eq!(b.store.entries.keys().filter(|k| k.starts_with("acct/")).count(), 1);
}

// ------------------------------------------------------------------ bad stored records

#[test]
fn corrupted_and_newer_records_name_their_key_and_leave_other_accounts_working() {
    let (mut b, id) = active_with_account();
    let other = b.ok("createAccount", &[CONTACT_B.into()])["account"]["_id"].as_str().unwrap().to_string();
    let key = format!("acct/{id}");
    let version = b.store.entries[&key].1;
    b.store.entries.insert(key.clone(), ("{\"schema\":1,\"id\":".into(), version));
    let e = b.err("getAccount", &[id.clone().into()]);
    assert_eq!((e.code, e.reason), (Code::Internal, Reason::CorruptRecord));
    assert!(e.message().contains(&key), "{}", e.message());
    let e = b.err("adjustPoints", &[id.clone().into(), json!({ "amount": 1 })]);
    assert_eq!(e.reason, Reason::CorruptRecord);

    b.store.entries.insert(key.clone(), ("{\"schema\":2,\"future\":true}".into(), version));
    let e = b.err("getAccount", &[id.clone().into()]);
    assert_eq!((e.code, e.reason), (Code::FailedPrecondition, Reason::SchemaTooNew));
    assert!(e.message().contains(&key));

    b.store.entries.insert(key.clone(), ("[1,2,3]".into(), version));
    assert_eq!(b.err("getAccount", &[id.clone().into()]).reason, Reason::CorruptRecord);

    b.ok("adjustPoints", &[other.clone().into(), json!({ "amount": 4 })]);
    assert_eq!(assert_consistent(&mut b, &other)["points"]["balance"], 4);
}

#[test]
fn a_corrupt_program_record_is_reported() {
    let mut b = Backend::default();
    b.store.entries.insert("program".into(), ("nope".into(), 1));
    let e = b.err("getLoyaltyProgram", &[]);
    assert_eq!(e.reason, Reason::CorruptRecord);
    assert!(e.message().contains("\"program\""));
}

// ------------------------------------------------------------------ errors and unknown input

#[test]
fn errors_render_wix_shaped_details() {
    let (mut b, id) = active_with_account();
    let e = b.err("adjustPoints", &[id.clone().into(), json!({ "amount": 0.5 })]);
    let j: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
    assert_eq!(j["code"], "INVALID_ARGUMENT");
    assert_eq!(j["status"], 400);
    assert_eq!(j["details"]["validationError"]["fieldViolations"][0]["field"], "options.amount");
    assert!(j["message"].as_str().unwrap().starts_with("INVALID_ARGUMENT: \"options.amount\""));
    let e = b.err("adjustPoints", &[id.into(), json!({ "amount": -1 })]);
    let j: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
    assert_eq!(j["details"]["applicationError"]["code"], "INSUFFICIENT_POINTS");
    assert_eq!(j["details"]["applicationError"]["data"]["balance"], 0, "data is an object");
    assert_eq!(j["status"], 428);
    let e = b.err("noSuchMethod", &[]);
    assert_eq!(e.code, Code::InvalidArgument);
}

#[test]
fn hostile_inputs_never_panic_and_leave_the_ledger_intact() {
    let (mut b, id) = active_with_account();
    let hostile = [
        Input::Undefined,
        Input::Null,
        Input::Number(f64::NAN),
        Input::Number(f64::INFINITY),
        Input::Number(-0.0),
        Input::Number(1e20),
        Input::Bool(true),
        Input::String("x".repeat(1_000_000)),
        Input::Array(vec![Input::Number(1.0)]),
        Input::Date(0.0),
        Input::Other("a symbol"),
        Input::Object(vec![("__proto__".into(), Input::Object(vec![("amount".into(), Input::Number(5.0))]))]),
    ];
    for op in wix_loyalty_wasm::core::operations::OPERATIONS.iter().map(|o| o.name) {
        for h in &hostile {
            for position in 0..2 {
                let mut args = vec![
                    Input::String(id.clone()),
                    input(&json!({ "amount": 1, "appId": "a", "idempotencyKey": "k" })),
                ];
                args[position] = h.clone();
                // Whatever happens, it is an ordinary Result, never a panic.
                let _ = b.call(op, &args);
            }
        }
    }
    // The ledger is still consistent and the instance works.
    b.ok("adjustPoints", &[id.clone().into(), json!({ "amount": 1 })]);
    assert_consistent(&mut b, &id);
}

// ------------------------------------------------------------------ createAccount without a read

/// Starts createAccount as a host that last saw the program at `version` with this value.
fn create_with_cached_program(
    b: &mut Backend,
    contact: &str,
    cached: Option<(String, u64)>,
) -> Result<serde_json::Value, wix_loyalty_wasm::core::error::LoyaltyError> {
    use wix_loyalty_wasm::core::driver::Operation;
    use wix_loyalty_wasm::core::protocol::Stored;
    let mut ctx = b.context("createAccount");
    ctx.program = cached.map(|(value, version)| Stored { value, version });
    let mut op = Operation::start("createAccount", &[Input::String(contact.into())], &ctx)?;
    let outcome = op.run(&mut b.store, &|_| Input::Null);
    b.finish(&op, outcome)
}

fn current_program(b: &Backend) -> (String, u64) {
    b.store.entries["program"].clone()
}

#[test]
fn create_with_a_current_program_copy_is_one_commit_and_no_read() {
    let mut b = Backend::default();
    b.ok("activateLoyaltyProgram", &[]);
    let (reads, commits) = (b.store.reads, b.store.commits);
    let cached = Some(current_program(&b));
    let a = create_with_cached_program(&mut b, CONTACT_A, cached).unwrap();
    assert_eq!((b.store.reads - reads, b.store.commits - commits), (0, 1));
    assert_eq!(a["account"]["contactId"], CONTACT_A);
    assert!(wix_loyalty_wasm::core::driver::verify(&b.store).ok);
    assert_eq!(current_program(&b).1, 1, "the check did not write the program");
}

#[test]
fn create_with_a_stale_program_copy_reads_and_decides_again() {
    let mut b = Backend::default();
    b.ok("activateLoyaltyProgram", &[]);
    let stale = current_program(&b);
    b.ok("updateLoyaltyProgram", &[json!({ "name": "Renamed" })]);
    let (reads, commits) = (b.store.reads, b.store.commits);
    create_with_cached_program(&mut b, CONTACT_A, Some(stale.clone())).unwrap();
    assert_eq!((b.store.reads - reads, b.store.commits - commits), (1, 2), "refused check, read, commit");

    // The copy says ACTIVE, but the program was paused since: refused, nothing written.
    b.ok("pauseLoyaltyProgram", &[]);
    let e = create_with_cached_program(&mut b, CONTACT_B, Some(stale)).unwrap_err();
    assert_eq!(e.reason, Reason::ProgramNotActive);
    assert_eq!(b.store.entries.keys().filter(|k| k.starts_with("acct/")).count(), 1);
}

#[test]
fn create_without_a_read_still_refuses_a_taken_contact() {
    let mut b = Backend::default();
    b.ok("activateLoyaltyProgram", &[]);
    let first = b.ok("createAccount", &[CONTACT_A.into()]);
    let cached = Some(current_program(&b));
    let e = create_with_cached_program(&mut b, CONTACT_A, cached).unwrap_err();
    assert_eq!((e.code, e.reason), (Code::AlreadyExists, Reason::AccountAlreadyExists));
    assert_eq!(e.data()["accountId"], first["account"]["_id"]);
    // A copy of a DRAFT program never skips the read.
    let mut draft = Backend::default();
    draft.ok("updateLoyaltyProgram", &[json!({ "name": "Draft club" })]);
    let copy = Some(current_program(&draft));
    assert_eq!(create_with_cached_program(&mut draft, CONTACT_A, copy).unwrap_err().reason, Reason::ProgramNotActive);
}

#[test]
fn a_taken_transaction_id_or_ledger_key_is_reported_not_retried() {
    use wix_loyalty_wasm::core::driver::guid;
    let (mut b, id) = active_with_account();
    // The next call's fresh id is already a transaction: a broken id generator.
    let next = guid(b.ids.get() + 1);
    b.store.entries.insert(format!("txn/{next}"), ("{}".into(), 1));
    let commits = b.store.commits;
    let e = b.err("adjustPoints", &[id.clone().into(), json!({ "amount": 1 })]);
    assert_eq!((e.code, e.reason), (Code::Internal, Reason::IdCollision));
    assert_eq!(b.store.commits - commits, 1, "refused once, not retried");
    // A ledger key that the account's revision says cannot exist: the store was altered.
    b.store.entries.insert(format!("ledger/{id}/{:020}", 2), ("{}".into(), 1));
    let e = b.err("earnPoints", &[id.clone().into(), json!({ "amount": 1, "appId": "a", "idempotencyKey": "k" })]);
    assert_eq!(e.reason, Reason::CorruptStore);
    assert!(e.message().contains("verify()"));
}

// ------------------------------------------------------------------ the rest of programs, members

#[test]
fn premium_features_bulk_get_and_expiration_settings() {
    let mut b = Backend::default();
    assert_eq!(
        b.ok("getLoyaltyProgramPremiumFeatures", &[]),
        json!({ "loyaltyProgram": true, "tiers": true, "pointsExpiration": true })
    );
    let bulk = b.ok("bulkGetLoyaltyProgram", &[]);
    assert_eq!(bulk["programInSites"][0]["loyaltyProgram"]["status"], "DRAFT");
    let p = b.ok("enablePointsExpiration", &[]);
    assert_eq!(p["loyaltyProgram"]["pointsExpiration"]["status"], "ENABLED");
    let commits = b.store.commits;
    let events = b.events.len();
    b.ok("enablePointsExpiration", &[]);
    assert_eq!((b.store.commits, b.events.len()), (commits, events), "a repeat changes nothing");
    let p = b.ok("disablePointsExpiration", &[]);
    assert_eq!(p["loyaltyProgram"]["pointsExpiration"]["status"], "DISABLED");
    assert_eq!(b.events.last().unwrap()["metadata"]["eventType"], "wix.loyalty.v1.program_updated");
}

#[test]
fn the_current_member_reads_only_its_own_account() {
    use wix_loyalty_wasm::core::protocol::Caller;
    let member = "99999999-0000-4000-8000-000000000001";
    let mut b = Backend {
        contacts: Some(Box::new(move |id: &str| {
            if id == CONTACT_A {
                input(&json!({ "memberId": member }))
            } else {
                input(&json!({}))
            }
        })),
        ..Backend::default()
    };
    b.ok("activateLoyaltyProgram", &[]);
    let mine = b.ok("createAccount", &[CONTACT_A.into()])["account"]["_id"].clone();
    let other = b.ok("createAccount", &[CONTACT_B.into()])["account"]["_id"].clone();
    let e = b.err("getCurrentMemberAccount", &[]);
    assert_eq!((e.code, e.reason), (Code::Unauthenticated, Reason::MemberRequired));
    b.caller = Caller::Member(member.into());
    assert_eq!(b.ok("getCurrentMemberAccount", &[])["account"]["_id"], mine);
    let e = b.err("getAccount", std::slice::from_ref(&other));
    assert_eq!((e.code, e.reason), (Code::PermissionDenied, Reason::AdminOnly));
    assert_eq!(e.code.http_status(), 403);
    let e = b.err("adjustPoints", &[other, json!({ "amount": 5 })]);
    assert_eq!(e.reason, Reason::AdminOnly);
    b.caller = Caller::Member("99999999-0000-4000-8000-000000000002".into());
    assert_eq!(b.err("getCurrentMemberAccount", &[]).reason, Reason::AccountNotFound);
}

/// A transaction id read back from a stored record went into the result JSON unescaped: a
/// tampered record made invalid JSON (a trap in the JS face) instead of `CORRUPT_RECORD`.
#[test]
fn a_tampered_transaction_id_is_a_corrupt_record_not_broken_json() {
    let (mut b, id) = active_with_account();
    let earn = json!({ "amount": 5, "appId": "a", "idempotencyKey": "k1" });
    b.ok("earnPoints", &[id.clone().into(), earn.clone()]);
    let (value, version) = b.store.entries["idem/k1"].clone();
    let mut record: serde_json::Value = serde_json::from_str(&value).unwrap();
    record["transactionId"] = json!("x\",\"injected\":\"1");
    b.store.entries.insert("idem/k1".into(), (record.to_string(), version));
    let e = b.err("earnPoints", &[id.into(), earn]);
    assert_eq!(e.reason, Reason::CorruptRecord);
    assert!(e.description.contains("transactionId"), "{}", e.description);
}

/// An idempotency key is part of a storage key: a NUL in it is refused on every store (PostgreSQL
/// cannot keep one in text, and escaping it would change what stored keys mean); a NUL in free
/// text (a description) is kept as given.
#[test]
fn a_nul_in_an_idempotency_key_is_refused_and_in_a_description_kept() {
    let (mut b, id) = active_with_account();
    let e = b.err("earnPoints", &[id.clone().into(), earn(json!(5), "order-\u{0}1")]);
    assert_eq!(e.code, Code::InvalidArgument, "{e}");
    assert_eq!(e.violations[0].field, "options.idempotencyKey");
    assert_eq!(e.violations[0].rule_name, Reason::InvalidCharacter);
    assert!(b.store.entries.keys().all(|k| !k.contains('\u{0}')), "nothing was written under the key");
    let with_nul = json!({ "amount": 5, "appId": "shop", "idempotencyKey": "order-1", "description": "a\u{0}b" });
    b.ok("earnPoints", &[id.clone().into(), with_nul]);
    let page = b.ok("queryLoyaltyTransactions", &[json!({ "filter": { "accountId": id } })]);
    assert_eq!(page["loyaltyTransactions"][0]["description"], "a\u{0}b");
    let e = b.err(
        "redeemPointsForCoupon",
        &[json!("4f1d3c2b-0a9e-4d8c-9b7a-6e5f4d3c2b1a"), json!({ "loyaltyAccountId": id, "idempotencyKey": "\u{0}" })],
    );
    assert_eq!(e.violations[0].field, "options.idempotencyKey");
    assert_eq!(e.violations[0].rule_name, Reason::InvalidCharacter);
}

/// An anonymous visitor (Velo code not elevated, nobody logged in): admin methods are refused,
/// current-member methods need a member, and the reward list shows the active rewards only.
#[test]
fn an_anonymous_visitor_calls_neither_admin_nor_member_methods() {
    use wix_loyalty_wasm::core::protocol::Caller;
    let (mut b, id) = active_with_account();
    b.ok("createReward", &[json!({ "name": "on", "active": true, "couponReward": { "percentage": { "configsByTier": [{ "costInPoints": 10, "percentage": 10 }] } } })]);
    b.ok("createReward", &[json!({ "name": "off", "active": false, "couponReward": { "percentage": { "configsByTier": [{ "costInPoints": 10, "percentage": 10 }] } } })]);
    b.caller = Caller::Visitor;
    let e = b.err("getAccount", &[id.clone().into()]);
    assert_eq!((e.code, e.reason), (Code::PermissionDenied, Reason::AdminOnly));
    assert!(e.description.contains("anonymous visitor"), "{e}");
    let e = b.err("adjustPoints", &[id.into(), json!({ "amount": 5 })]);
    assert_eq!((e.code, e.reason), (Code::PermissionDenied, Reason::AdminOnly));
    for op in ["getCurrentMemberAccount", "getCurrentMemberCoupons"] {
        let e = b.err(op, &[]);
        assert_eq!((e.code, e.reason), (Code::Unauthenticated, Reason::MemberRequired), "{op}");
    }
    let e = b.err("redeemCurrentMemberPointsForCoupon", &[json!("4f1d3c2b-0a9e-4d8c-9b7a-6e5f4d3c2b1a")]);
    assert_eq!((e.code, e.reason), (Code::Unauthenticated, Reason::MemberRequired));
    let listed = b.ok("listRewards", &[json!({})]);
    let names: Vec<_> = listed["rewards"].as_array().unwrap().iter().map(|r| r["name"].clone()).collect();
    assert_eq!(names, vec![json!("on")]);
}
