//! Native tests of rewards (spec §2.4, §3.4): what each method accepts and refuses, answers,
//! stores and announces.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::{json, Value};
use wix_loyalty_wasm::core::driver::{verify, Backend};
use wix_loyalty_wasm::core::error::Code;
use wix_loyalty_wasm::core::protocol::Caller;
use wix_loyalty_wasm::core::reason::Reason;

fn percent(name: &str, active: bool, cost: u32) -> Value {
    json!({ "name": name, "active": active, "couponReward": { "percentage": { "configsByTier": [{ "costInPoints": cost, "percentage": 10 }] }, "minimumSubtotal": 20 } })
}

fn discount(name: &str, amount: &str) -> Value {
    json!({ "name": name, "type": "DISCOUNT_AMOUNT", "discountAmount": { "configsByTier": [{ "costInPoints": 50, "amount": amount }] } })
}

/// The field names of an INVALID_ARGUMENT error, sorted, with their rules.
fn violations(e: &wix_loyalty_wasm::core::error::LoyaltyError) -> Vec<(String, &'static str)> {
    assert_eq!(e.code, Code::InvalidArgument, "{e}");
    e.violations.iter().map(|v| (v.field.clone(), v.rule_name.as_str())).collect()
}

fn event_types(b: &Backend) -> Vec<String> {
    b.events.iter().map(|e| e["metadata"]["eventType"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_created_reward_reads_back_in_the_sdk_shape() {
    let mut b = Backend::default();
    let r = b.ok("createReward", &[percent("10% off", true, 100)]);
    assert_eq!(r["name"], "10% off");
    assert_eq!(r["type"], "COUPON_REWARD", "the details decide the type");
    assert_eq!(r["active"], true);
    assert_eq!(r["revision"], "1");
    assert_eq!(r["_createdDate"], b.now_ms);
    assert_eq!(r["_updatedDate"], b.now_ms);
    assert_eq!(
        r["couponReward"],
        json!({ "percentage": { "configsByTier": [{ "costInPoints": 100, "percentage": 10.0 }] }, "minimumSubtotal": 20.0 })
    );
    assert!(r.get("discountAmount").is_none());
    assert_eq!(b.ok("getReward", &[r["_id"].clone()]), r);
    assert_eq!(event_types(&b), ["wix.loyalty.v1.reward_created"]);
    assert_eq!(b.events[0]["entity"], r);
    assert_eq!(b.events[0]["metadata"]["entityEventSequence"], "1");

    let d = b.ok("createReward", &[json!({ "name": "5 off", "discountAmount": { "configsByTier": [{ "costInPoints": 50, "amount": "5.50" }] } })]);
    assert_eq!(
        (d["type"].as_str(), d["active"].as_bool()),
        (Some("DISCOUNT_AMOUNT"), Some(false)),
        "inactive unless said"
    );
    assert_eq!(d["discountAmount"]["configsByTier"][0], json!({ "amount": "5.50", "costInPoints": 50 }));
    // Rewards do not need an active program.
    assert_eq!(b.ok("getLoyaltyProgram", &[])["loyaltyProgram"]["status"], "DRAFT");
    assert!(verify(&b.store).ok);
}

#[test]
fn every_kind_of_coupon_and_its_options() {
    let mut b = Backend::default();
    let fixed = b.ok("createReward", &[json!({ "name": "F", "couponReward": { "fixedAmount": { "configsByTier": [{ "costInPoints": 1, "amount": 0.01 }] }, "scope": { "namespace": "pricingPlans", "group": { "name": "plan", "entityId": "p-1" } }, "appliesToSubscriptions": true, "discountedCycleCount": 3, "limitedToOneItem": true } })]);
    assert_eq!(
        fixed["couponReward"]["scope"],
        json!({ "namespace": "pricingPlans", "group": { "name": "plan", "entityId": "p-1" } })
    );
    assert_eq!(fixed["couponReward"]["discountedCycleCount"], 3);
    assert_eq!(fixed["couponReward"]["limitedToOneItem"], true);
    let ship = b.ok("createReward", &[json!({ "name": "S", "couponReward": { "freeShipping": { "configsByTier": [{ "costInPoints": 9_999_999 }] } } })]);
    assert_eq!(ship["couponReward"], json!({ "freeShipping": { "configsByTier": [{ "costInPoints": 9_999_999 }] } }));
}

#[test]
fn a_bad_reward_lists_every_violation_and_stores_nothing() {
    let mut b = Backend::default();
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        (json!(null), vec![("reward", "REQUIRED_FIELD")]),
        (
            json!({ "active": "yes" }),
            vec![
                ("reward.active", "WRONG_TYPE"),
                ("reward.couponReward", "REQUIRED_FIELD"),
                ("reward.name", "REQUIRED_FIELD"),
            ],
        ),
        (
            json!({ "name": "x".repeat(51), "discountAmount": {}, "couponReward": {} }),
            vec![("reward", "ONE_OF"), ("reward.name", "TOO_LONG")],
        ),
        (
            json!({ "name": "n", "type": "UNDEFINED", "discountAmount": { "configsByTier": [{ "costInPoints": 1, "amount": "1" }] } }),
            vec![("reward.type", "INVALID_ENUM")],
        ),
        (
            json!({ "name": "n", "type": "COUPON_REWARD", "discountAmount": { "configsByTier": [{ "costInPoints": 1, "amount": "1" }] } }),
            vec![("reward.type", "TYPE_MISMATCH")],
        ),
        (
            json!({ "name": "n", "discountAmount": { "configsByTier": [] } }),
            vec![("reward.discountAmount.configsByTier", "OUT_OF_RANGE")],
        ),
        (
            json!({ "name": "n", "discountAmount": { "configsByTier": vec![json!({ "costInPoints": 1, "amount": "1" }); 22] } }),
            vec![("reward.discountAmount.configsByTier", "OUT_OF_RANGE")],
        ),
        (
            json!({ "name": "n", "discountAmount": { "configsByTier": [{ "costInPoints": 0, "amount": "0" }, { "costInPoints": 10_000_000, "amount": "1.234" }] } }),
            vec![
                ("reward.discountAmount.configsByTier[0].amount", "INVALID_AMOUNT"),
                ("reward.discountAmount.configsByTier[0].costInPoints", "OUT_OF_RANGE"),
                ("reward.discountAmount.configsByTier[1].amount", "INVALID_AMOUNT"),
                ("reward.discountAmount.configsByTier[1].costInPoints", "OUT_OF_RANGE"),
            ],
        ),
        (
            json!({ "name": "n", "discountAmount": { "configsByTier": [{ "costInPoints": 1, "amount": "1" }, { "costInPoints": 2, "amount": "2", "tierId": "" }] } }),
            vec![("reward.discountAmount.configsByTier[1]", "DUPLICATE_TIER")],
        ),
        (
            json!({ "name": "n", "discountAmount": { "configsByTier": [{ "costInPoints": 1, "amount": "1", "tierId": CONTACT_A }, { "costInPoints": 1, "amount": "1", "tierId": "tier-1" }] } }),
            // (An unknown tier is refused once the tiers are read: see tests/tiers.rs.)
            vec![("reward.discountAmount.configsByTier[1].tierId", "INVALID_GUID")],
        ),
        (json!({ "name": "n", "couponReward": {} }), vec![("reward.couponReward.fixedAmount", "REQUIRED_FIELD")]),
        (
            json!({ "name": "n", "couponReward": { "fixedAmount": { "configsByTier": [{ "costInPoints": 1, "amount": 0.001 }] }, "percentage": { "configsByTier": [] } } }),
            vec![("reward.couponReward", "ONE_OF")],
        ),
        (
            json!({ "name": "n", "couponReward": { "percentage": { "configsByTier": [{ "costInPoints": 1, "percentage": 101 }, { "costInPoints": 1 }] } } }),
            vec![
                ("reward.couponReward.percentage.configsByTier[0].percentage", "OUT_OF_RANGE"),
                ("reward.couponReward.percentage.configsByTier[1].percentage", "REQUIRED_FIELD"),
            ],
        ),
        (
            json!({ "name": "n", "couponReward": { "fixedAmount": { "configsByTier": [{ "costInPoints": 1, "amount": 0 }] }, "minimumSubtotal": 5, "scope": { "namespace": "stores" } } }),
            vec![
                ("reward.couponReward", "ONE_OF"),
                ("reward.couponReward.fixedAmount.configsByTier[0].amount", "OUT_OF_RANGE"),
            ],
        ),
        (
            json!({ "name": "n", "couponReward": { "freeShipping": { "configsByTier": [{ "costInPoints": 1 }] }, "scope": { "namespace": "stores" }, "discountedCycleCount": 2 } }),
            vec![("reward.couponReward.discountedCycleCount", "NOT_ALLOWED")],
        ),
        (
            json!({ "name": "n", "couponReward": { "freeShipping": { "configsByTier": [{ "costInPoints": 1 }] }, "scope": { "group": { "name": 5 } }, "minimumSubtotal": -1 } }),
            vec![
                ("reward.couponReward.minimumSubtotal", "OUT_OF_RANGE"),
                ("reward.couponReward.scope.group.name", "WRONG_TYPE"),
                ("reward.couponReward.scope.namespace", "REQUIRED_FIELD"),
            ],
        ),
    ];
    for (reward, expected) in cases {
        let e = b.err("createReward", std::slice::from_ref(&reward));
        let mut want: Vec<(String, &str)> = expected.iter().map(|(f, r)| (f.to_string(), *r)).collect();
        want.sort();
        let mut got = violations(&e);
        got.sort();
        assert_eq!(got, want, "{reward}");
    }
    assert_eq!(b.store.commits, 0);
    assert!(b.events.is_empty());
}

#[test]
fn bulk_create_answers_per_item_and_commits_the_good_ones_together() {
    let mut b = Backend::default();
    let out = b
        .op("bulkCreateRewards", &[json!([percent("a", true, 10), json!({ "name": "" }), discount("c", "2")])])
        .unwrap();
    let results = out["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["itemMetadata"]["success"], true);
    assert_eq!(results[0]["itemMetadata"]["originalIndex"], 0);
    assert_eq!(results[0]["itemMetadata"]["_id"], results[0]["item"]["_id"]);
    assert_eq!(results[1]["itemMetadata"]["success"], false);
    assert_eq!(results[1]["itemMetadata"]["originalIndex"], 1);
    assert_eq!(results[1]["itemMetadata"]["error"]["code"], "INVALID_ARGUMENT");
    assert!(results[1]["itemMetadata"]["error"]["description"].as_str().unwrap().contains("rewards[1].name"));
    assert!(results[1].get("item").is_none());
    assert_eq!(results[2]["item"]["type"], "DISCOUNT_AMOUNT");
    assert_eq!(out["bulkActionMetadata"], json!({ "totalSuccesses": 2, "totalFailures": 1, "undetailedFailures": 0 }));
    assert_eq!(b.store.commits, 2, "one commit for the batch, one for the availability job its price started");
    assert_eq!(event_types(&b), ["wix.loyalty.v1.reward_created", "wix.loyalty.v1.reward_created"]);
    for r in [&results[0]["item"], &results[2]["item"]] {
        assert_eq!(&b.ok("getReward", &[r["_id"].clone()]), r);
    }

    let commits = b.store.commits;
    let none = b.op("bulkCreateRewards", &[json!([{ "name": 1 }])]).unwrap();
    assert_eq!(none["bulkActionMetadata"]["totalSuccesses"], 0);
    assert_eq!(b.store.commits, commits, "nothing to commit");
    for bad in [json!([]), json!(vec![percent("x", true, 1); 11]), json!("rewards"), json!(null)] {
        assert_eq!(b.err("bulkCreateRewards", std::slice::from_ref(&bad)).violations[0].field, "rewards", "{bad}");
    }
}

#[test]
fn get_refuses_unknown_and_bad_ids() {
    let mut b = Backend::default();
    let e = b.err("getReward", &[json!(CONTACT_A)]);
    assert_eq!((e.code, e.reason), (Code::NotFound, Reason::RewardNotFound));
    assert_eq!(violations(&b.err("getReward", &[json!("r-1")])), [("_id".to_string(), "INVALID_GUID")]);
}

#[test]
fn update_needs_the_current_revision_and_keeps_what_it_does_not_name() {
    let mut b = Backend::default();
    let r = b.ok("createReward", &[percent("10% off", true, 100)]);
    let id = r["_id"].clone();
    b.now_ms += 1000;
    let renamed = b.ok("updateReward", &[id.clone(), json!({ "name": "15% off", "revision": "1" })]);
    assert_eq!(renamed["reward"]["name"], "15% off");
    assert_eq!(renamed["reward"]["revision"], "2");
    assert_eq!(renamed["reward"]["active"], true, "a rename keeps the reward active");
    assert_eq!(renamed["reward"]["couponReward"], r["couponReward"], "and its details");
    assert_eq!(renamed["reward"]["_createdDate"], r["_createdDate"]);
    assert_eq!(renamed["reward"]["_updatedDate"], b.now_ms);
    assert_eq!(b.events.last().unwrap()["metadata"]["eventType"], "wix.loyalty.v1.reward_updated");
    assert_eq!(b.events.last().unwrap()["metadata"]["entityEventSequence"], "2");
    assert_eq!(b.events.last().unwrap()["entity"], renamed["reward"]);

    let e = b.err("updateReward", &[id.clone(), json!({ "name": "x", "revision": "1" })]);
    assert_eq!((e.code, e.reason), (Code::Aborted, Reason::RevisionMismatch));
    assert_eq!(e.data()["currentRevision"], "2");

    let repriced = b.ok(
        "updateReward",
        &[id.clone(), json!({ "name": "15% off", "revision": 2, "active": false, "couponReward": { "fixedAmount": { "configsByTier": [{ "costInPoints": 70, "amount": 3 }] } } })],
    );
    assert_eq!(repriced["reward"]["active"], false);
    assert_eq!(
        repriced["reward"]["couponReward"],
        json!({ "fixedAmount": { "configsByTier": [{ "costInPoints": 70, "amount": 3.0 }] } }),
        "details are replaced whole"
    );

    let e = b.err("updateReward", &[id.clone(), json!({ "name": "x", "revision": "3", "discountAmount": { "configsByTier": [{ "costInPoints": 1, "amount": "1" }] } })]);
    assert_eq!(violations(&e), [("reward.discountAmount".to_string(), "TYPE_IMMUTABLE")]);
    let e = b.err("updateReward", &[id.clone(), json!({ "name": "x", "revision": "3", "type": "DISCOUNT_AMOUNT" })]);
    assert_eq!(violations(&e), [("reward.type".to_string(), "TYPE_IMMUTABLE")]);
    let mut missing = violations(&b.err("updateReward", &[json!("nope"), json!({})]));
    missing.sort();
    assert_eq!(
        missing,
        [
            ("_id".to_string(), "INVALID_GUID"),
            ("reward.name".to_string(), "REQUIRED_FIELD"),
            ("reward.revision".to_string(), "REQUIRED_FIELD")
        ]
    );
    let e = b.err("updateReward", &[json!(CONTACT_A), json!({ "name": "x", "revision": "1" })]);
    assert_eq!(e.reason, Reason::RewardNotFound);
    assert_eq!(b.ok("getReward", &[id])["revision"], "3");
}

#[test]
fn a_deleted_reward_is_gone_for_every_read_and_its_key_moves_on() {
    let mut b = Backend::default();
    let keep = b.ok("createReward", &[percent("keep", true, 1)]);
    let r = b.ok("createReward", &[percent("gone", true, 1)]);
    let id = r["_id"].clone();
    let e = b.err("deleteReward", &[id.clone(), json!("2")]);
    assert_eq!((e.code, e.reason), (Code::Aborted, Reason::RevisionMismatch));
    assert_eq!(
        violations(&b.err("deleteReward", std::slice::from_ref(&id))),
        [("revision".to_string(), "REQUIRED_FIELD")]
    );
    let key = format!("reward/{}", id.as_str().unwrap());
    let version = b.store.entries[&key].1;
    assert_eq!(b.ok("deleteReward", &[id.clone(), json!("1")]), Value::Null, "void");
    assert_eq!(b.store.entries[&key].1, version + 1, "a tombstone: the key's version moves on");
    let last = b.events.last().unwrap();
    assert_eq!(last["metadata"]["eventType"], "wix.loyalty.v1.reward_deleted");
    assert_eq!(last["metadata"]["entityId"], id);
    assert!(last.get("entity").is_none(), "a deleted event has metadata only");

    assert_eq!(b.err("getReward", std::slice::from_ref(&id)).reason, Reason::RewardNotFound);
    assert_eq!(b.err("deleteReward", &[id.clone(), json!("2")]).reason, Reason::RewardNotFound);
    assert_eq!(
        b.err("updateReward", &[id.clone(), json!({ "name": "x", "revision": "2" })]).reason,
        Reason::RewardNotFound
    );
    let listed = b.ok("listRewards", &[]);
    assert_eq!(listed["rewards"], json!([keep.clone()]));
    assert_eq!(b.ok("queryRewards", &[json!({})])["rewards"], json!([keep.clone()]));
    assert_eq!(b.ok("bulkGetRewards", &[])["rewardsInSite"][0]["rewards"], json!([keep]));
    assert!(verify(&b.store).ok);
}

#[test]
fn members_list_active_rewards_only_page_after_page() {
    let mut b = Backend::default();
    for i in 0..25 {
        b.ok("createReward", &[percent(&format!("r{i:02}"), i % 2 == 0, 10)]);
    }
    let admin = b.ok("listRewards", &[json!({ "cursorPaging": { "limit": 100 } })]);
    assert_eq!(admin["rewards"].as_array().unwrap().len(), 25);
    assert_eq!(admin["pagingMetadata"]["total"], 25);

    b.caller = Caller::Member("99999999-0000-4000-8000-000000000001".into());
    let mut seen = Vec::new();
    let mut page = b.ok("listRewards", &[json!({ "cursorPaging": { "limit": 5 } })]);
    loop {
        for r in page["rewards"].as_array().unwrap() {
            assert_eq!(r["active"], true);
            seen.push(r["_id"].as_str().unwrap().to_string());
        }
        let Some(next) = page["pagingMetadata"]["cursors"]["next"].as_str().map(String::from) else { break };
        page = b.ok("listRewards", &[json!({ "cursorPaging": { "cursor": next } })]);
    }
    assert_eq!(seen.len(), 13, "the 13 active rewards, each once");
    seen.dedup();
    assert_eq!(seen.len(), 13);
    // An admin's cursor, handed to a member, still shows active rewards only.
    b.caller = Caller::Admin;
    let first = b.ok("listRewards", &[json!({ "cursorPaging": { "limit": 2 } })]);
    let cursor = first["pagingMetadata"]["cursors"]["next"].clone();
    b.caller = Caller::Member("99999999-0000-4000-8000-000000000001".into());
    let rest = b.ok("listRewards", &[json!({ "cursorPaging": { "cursor": cursor } })]);
    assert!(rest["rewards"].as_array().unwrap().iter().all(|r| r["active"] == true));
    for op in ["createReward", "queryRewards", "getReward", "bulkGetRewards"] {
        assert_eq!(b.err(op, &[json!({})]).code, Code::PermissionDenied, "{op}");
    }
}

#[test]
fn query_filters_sorts_and_pages() {
    let mut b = Backend::default();
    for (i, name) in ["pear", "apple", "plum", "fig", "peach"].iter().enumerate() {
        b.ok("createReward", &[percent(name, i != 2, 10 * (i as u32 + 1))]);
        b.now_ms += 1;
    }
    b.ok("createReward", &[discount("cash", "1")]);
    let names = |v: &Value| -> Vec<String> {
        v["rewards"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect()
    };
    let inactive = b.ok("queryRewards", &[json!({ "filter": { "active": false }, "sort": [{ "fieldName": "name" }] })]);
    assert_eq!(names(&inactive), ["cash", "plum"]);
    let p = b.ok("queryRewards", &[json!({ "filter": { "name": { "$startsWith": "p" }, "type": "COUPON_REWARD" }, "sort": [{ "fieldName": "name", "order": "DESC" }] })]);
    assert_eq!(names(&p), ["plum", "pear", "peach"]);
    let by_date = b.ok(
        "queryRewards",
        &[json!({ "sort": [{ "fieldName": "_createdDate", "order": "ASC" }], "cursorPaging": { "limit": 4 } })],
    );
    assert_eq!(names(&by_date), ["pear", "apple", "plum", "fig"]);
    assert_eq!(by_date["pagingMetadata"]["hasNext"], true);
    let next = by_date["pagingMetadata"]["cursors"]["next"].clone();
    let rest = b.ok("queryRewards", &[json!({ "cursorPaging": { "cursor": next } })]);
    assert_eq!(names(&rest), ["peach", "cash"]);
    assert_eq!(rest["pagingMetadata"]["hasNext"], false);
    let e = b.err("queryRewards", &[json!({ "filter": { "active": "yes", "costInPoints": 1 } })]);
    let mut got = violations(&e);
    got.sort();
    assert_eq!(
        got,
        [
            ("query.filter.active".to_string(), "WRONG_TYPE"),
            ("query.filter.costInPoints".to_string(), "UNSUPPORTED_FIELD")
        ]
    );
}

#[test]
fn bulk_get_reads_every_reward_in_batches() {
    let mut b = Backend::default();
    for batch in 0..52 {
        let items: Vec<Value> = (0..10).map(|i| percent(&format!("r{batch}-{i}"), true, 1)).collect();
        b.ok("bulkCreateRewards", &[json!(items)]);
    }
    let all = b.ok("bulkGetRewards", &[]);
    let rewards = all["rewardsInSite"][0]["rewards"].as_array().unwrap();
    assert_eq!(rewards.len(), 520, "more than one scan of 500");
    let mut ids: Vec<&str> = rewards.iter().map(|r| r["_id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 520);
}

#[test]
fn pages_go_on_past_deleted_rewards_without_skipping_or_repeating() {
    let mut b = Backend::default();
    let ids: Vec<Value> =
        (0..6).map(|i| b.ok("createReward", &[percent(&format!("r{i}"), true, 1)])["_id"].clone()).collect();
    for sorted in [false, true] {
        let q = |cursor: Option<Value>| match (cursor, sorted) {
            (Some(c), _) => json!({ "cursorPaging": { "cursor": c } }),
            (None, false) => json!({ "cursorPaging": { "limit": 2 } }),
            (None, true) => {
                json!({ "sort": [{ "fieldName": "name", "order": "DESC" }], "cursorPaging": { "limit": 2 } })
            }
        };
        let mut b = Backend { store: b.store.clone(), ..Backend::default() };
        let first = b.ok("queryRewards", &[q(None)]);
        let page: Vec<Value> = first["rewards"].as_array().unwrap().iter().map(|r| r["_id"].clone()).collect();
        // The row the cursor continues from, and the next one, are deleted between the pages.
        let last = page.last().unwrap().clone();
        let all = b.ok(
            "queryRewards",
            &[json!(if sorted {
                json!({ "sort": [{ "fieldName": "name", "order": "DESC" }], "cursorPaging": { "limit": 100 } })
            } else {
                json!({ "cursorPaging": { "limit": 100 } })
            })],
        );
        let order: Vec<Value> = all["rewards"].as_array().unwrap().iter().map(|r| r["_id"].clone()).collect();
        let mut sorted_ids = order.clone();
        sorted_ids.sort_by_key(|v| v.to_string());
        let mut created = ids.clone();
        created.sort_by_key(|v| v.to_string());
        assert_eq!(sorted_ids, created, "the whole listing holds the six rewards before the deletes");
        let next = order[order.iter().position(|id| *id == last).unwrap() + 1].clone();
        for id in [&last, &next] {
            let revision = b.ok("getReward", std::slice::from_ref(id))["revision"].clone();
            b.ok("deleteReward", &[id.clone(), revision]);
        }
        let mut seen = page.clone();
        let mut cursor = first["pagingMetadata"]["cursors"]["next"].clone();
        while !cursor.is_null() {
            let more = b.ok("queryRewards", &[q(Some(cursor))]);
            seen.extend(more["rewards"].as_array().unwrap().iter().map(|r| r["_id"].clone()));
            cursor = more["pagingMetadata"]["cursors"]["next"].clone();
        }
        let expected: Vec<Value> = order.iter().filter(|id| **id != next).cloned().collect();
        assert_eq!(
            seen, expected,
            "sorted: {sorted}: every live reward once, in order (the first page's last as it was)"
        );
    }
}

// ------------------------------------------------------------------ rewardAvailable

/// The availability events delivered: (account id, rewardAvailable, trigger, sequence).
fn availability_events(events: &[Value]) -> Vec<(String, bool, String, String)> {
    events
        .iter()
        .filter(|e| e["metadata"]["eventType"] == "wix.loyalty.v1.account_reward_availability_updated")
        .map(|e| {
            assert_eq!(e["metadata"]["entityFqdn"], "wix.loyalty.v1.account");
            assert_eq!(e["metadata"]["slug"], "reward_availability_updated");
            let data = &e["data"];
            assert_eq!(data.as_object().unwrap().len(), 2, "data is {{ rewardAvailable, updateTrigger }}: {data}");
            (
                e["metadata"]["entityId"].as_str().unwrap().to_string(),
                data["rewardAvailable"].as_bool().unwrap(),
                data["updateTrigger"].as_str().unwrap().to_string(),
                e["metadata"]["entityEventSequence"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn available(b: &mut Backend, account: &str) -> bool {
    b.ok("getAccount", &[json!(account)])["rewardAvailable"].as_bool().unwrap()
}

fn new_account(b: &mut Backend, contact: &str) -> String {
    b.ok("createAccount", &[json!(contact)])["account"]["_id"].as_str().unwrap().to_string()
}

/** An active program with one active reward of `cost` points; the reward. */
fn program_with_reward(cost: u32) -> (Backend, Value) {
    let mut b = Backend::default();
    b.ok("activateLoyaltyProgram", &[]);
    let reward = b.ok("createReward", &[percent("a", true, cost)]);
    (b, reward)
}

/** [`program_with_reward`] with one account holding 10 points: the backend, the reward, the account. */
fn funded_account(cost: u32, contact: &str) -> (Backend, Value, String) {
    let (mut b, reward) = program_with_reward(cost);
    let acct = new_account(&mut b, contact);
    b.ok("adjustPoints", &[json!(acct), json!({ "balance": 10 })]);
    (b, reward, acct)
}

fn assert_verified(b: &Backend) {
    let report = verify(&b.store);
    assert!(report.ok, "{:?}", report.discrepancies);
}

#[test]
fn reward_availability_follows_balances_and_prices_and_announces_each_flip() {
    let mut b = Backend::default();
    b.ok("activateLoyaltyProgram", &[]);
    let acct = new_account(&mut b, "00000000-0000-4000-8000-0000000000c1");
    let earn = |b: &mut Backend, amount: i64, key: &str| {
        b.ok("earnPoints", &[json!(acct), json!({ "amount": amount, "appId": "app", "idempotencyKey": key })])
    };
    assert!(!available(&mut b, &acct), "no reward exists");
    earn(&mut b, 60, "k1");
    assert!(!available(&mut b, &acct), "still none");

    let r = b.ok("createReward", &[percent("a", true, 50)]);
    assert!(available(&mut b, &acct), "60 affords 50: set by the creation's job");
    b.events.clear();
    let answer = earn(&mut b, 10, "k2");
    assert_eq!(answer["account"]["rewardAvailable"], true, "the answer carries the flag");
    assert!(availability_events(&b.events).is_empty(), "no flip, no event");

    b.ok(
        "updateReward",
        &[
            r["_id"].clone(),
            json!({ "name": "a", "revision": "1", "couponReward": percent("a", true, 100)["couponReward"] }),
        ],
    );
    assert!(!available(&mut b, &acct), "70 does not afford 100");
    assert_eq!(availability_events(&b.events), [(acct.clone(), false, "REWARD_UPDATED".into(), "5".into())]);

    b.events.clear();
    let answer = earn(&mut b, 30, "k3");
    assert_eq!(answer["account"]["rewardAvailable"], true);
    assert_eq!(availability_events(&b.events), [(acct.clone(), true, "BALANCE_UPDATED".into(), "6".into())]);
    let retried = earn(&mut b, 30, "k3");
    assert_eq!(retried, answer, "a retry answers the account as the earn left it");

    b.events.clear();
    let cheap = b.ok("createReward", &[percent("b", false, 10)]);
    assert!(availability_events(&b.events).is_empty(), "an inactive reward changes nothing");
    b.ok("adjustPoints", &[json!(acct), json!({ "balance": 20 })]);
    assert!(!available(&mut b, &acct));
    b.ok("updateReward", &[cheap["_id"].clone(), json!({ "name": "b", "revision": "1", "active": true })]);
    assert!(available(&mut b, &acct), "activating the 10-point reward");
    let coupon = b.ok("redeemPointsForCoupon", &[cheap["_id"].clone(), json!({ "loyaltyAccountId": acct })]);
    assert!(available(&mut b, &acct), "20 − 10 = 10 still affords 10");
    b.events.clear();
    b.ok("redeemPointsForCoupon", &[cheap["_id"].clone(), json!({ "loyaltyAccountId": acct })]);
    assert!(!available(&mut b, &acct), "0 affords nothing");
    assert_eq!(availability_events(&b.events), [(acct.clone(), false, "BALANCE_UPDATED".into(), "10".into())]);
    b.events.clear();
    b.ok("refundLoyaltyCoupon", &[coupon["coupon"]["_id"].clone()]);
    assert!(available(&mut b, &acct), "the refund gives 10 back");
    assert_eq!(availability_events(&b.events), [(acct.clone(), true, "BALANCE_UPDATED".into(), "11".into())]);

    b.events.clear();
    b.ok("deleteReward", &[cheap["_id"].clone(), json!("2")]);
    assert!(!available(&mut b, &acct), "the 10-point reward is gone; 10 does not afford 100");
    assert_eq!(availability_events(&b.events), [(acct.clone(), false, "REWARD_UPDATED".into(), "12".into())]);
    assert_verified(&b);
}

#[test]
fn a_bulk_adjustment_sets_the_flag_of_every_account_it_changes() {
    let (mut b, _) = program_with_reward(50);
    let accounts: Vec<String> =
        (0..5).map(|i| new_account(&mut b, &format!("00000000-0000-4000-8000-0000000000d{i}"))).collect();
    b.events.clear();
    b.ok("bulkAdjustPoints", &[json!({ "amount": 60 })]);
    for a in &accounts {
        assert!(available(&mut b, a));
    }
    assert_eq!(availability_events(&b.events).len(), 5);
    assert!(availability_events(&b.events).iter().all(|(_, now, why, _)| *now && why == "BALANCE_UPDATED"));
    assert!(verify(&b.store).ok);
}

#[test]
fn a_price_change_racing_balance_changes_leaves_every_flag_right_and_each_flip_announced_once() {
    let (mut b, r) = program_with_reward(100);
    // 250 accounts: three batches of the job. Balances 0..249, so 100 splits them.
    let accounts: Vec<String> = (0..250)
        .map(|i| {
            let a = new_account(&mut b, &format!("00000000-0000-4000-8000-{i:012}"));
            if i > 0 {
                b.ok("adjustPoints", &[json!(a), json!({ "balance": i })]);
            }
            a
        })
        .collect();
    let before: Vec<bool> = accounts.iter().map(|a| available(&mut b, a)).collect();
    b.events.clear();
    let mut events: Vec<Value> = Vec::new();
    let args = [
        input(&r["_id"]),
        input(&json!({ "name": "a", "revision": "1", "couponReward": percent("a", true, 40)["couponReward"] })),
    ];
    let mut change = b.start("updateReward", &args).unwrap();
    let none = |_: &str| wix_loyalty_wasm::core::input::Input::Null;
    let mut step = 0;
    let outcome = loop {
        // Between every step of the change and its job, balances move across both prices.
        let a = &accounts[(step * 37) % accounts.len()];
        let amount = if step % 2 == 0 { 70 } else { -1 };
        let _ = b.call("adjustPoints", &[input(&json!(a)), input(&json!({ "amount": amount }))]);
        events.append(&mut b.events);
        match change.advance(&mut b.store, &none) {
            wix_loyalty_wasm::core::driver::Progress::Pending => {}
            wix_loyalty_wasm::core::driver::Progress::Finished(outcome) => break outcome,
        }
        for batch in change.batch_events.drain(..) {
            events.extend(serde_json::from_str::<Vec<Value>>(&batch).unwrap());
        }
        step += 1;
    };
    b.finish(&change, outcome).unwrap();
    events.append(&mut b.events);
    assert!(change.conflicts > 0, "the race happened: some batch or commit was refused");
    assert_verified(&b);
    let flips = availability_events(&events);
    for (a, was) in accounts.iter().zip(before) {
        let balance = b.ok("getAccount", &[json!(a)])["points"]["balance"].as_i64().unwrap();
        assert_eq!(available(&mut b, a), balance >= 40, "account {a} with {balance}");
        // Its flips alternate from where it stood, and the last one is where it stands.
        let mine: Vec<bool> = flips.iter().filter(|f| &f.0 == a).map(|f| f.1).collect();
        let sequences: Vec<u64> = flips.iter().filter(|f| &f.0 == a).map(|f| f.3.parse().unwrap()).collect();
        assert!(sequences.windows(2).all(|w| w[0] < w[1]), "account {a}: flip sequences {sequences:?} must grow");
        for (i, now) in mine.iter().enumerate() {
            assert_eq!(*now, was == (i % 2 == 1), "account {a}: flips {mine:?} from {was} repeat or skip one");
        }
        assert_eq!(mine.last().copied().unwrap_or(was), balance >= 40, "account {a}: flips {mine:?} from {was}");
    }
    assert!(flips.iter().any(|f| f.2 == "REWARD_UPDATED") && flips.iter().any(|f| f.2 == "BALANCE_UPDATED"));
}

#[test]
fn an_interrupted_availability_job_is_finished_by_resume_jobs() {
    let mut b = Backend::default();
    b.ok("activateLoyaltyProgram", &[]);
    let accounts: Vec<String> = (0..150)
        .map(|i| {
            let a = new_account(&mut b, &format!("00000000-0000-4000-8000-{i:012}"));
            b.ok("adjustPoints", &[json!(a), json!({ "balance": 10 })]);
            a
        })
        .collect();
    let mut change = b.start("createReward", &[input(&percent("a", true, 5))]).unwrap();
    let none = |_: &str| wix_loyalty_wasm::core::input::Input::Null;
    // Read the prices, commit the reward with its job, commit the first batch: then stop.
    while change.batch_events.len() < 2 {
        assert!(matches!(change.advance(&mut b.store, &none), wix_loyalty_wasm::core::driver::Progress::Pending));
    }
    drop(change);
    assert!(available(&mut b, &accounts[0]));
    assert!(!available(&mut b, &accounts[149]), "the second batch never ran");
    assert!(verify(&b.store).ok, "verify allows stale flags while their job runs");
    let resumed = b.ok("resumeJobs", &[]);
    assert_eq!(resumed["resumed"].as_array().unwrap().len(), 1);
    assert!(accounts.iter().all(|a| available(&mut b, a)));
    assert_verified(&b);
}

#[test]
fn a_store_without_reward_prices_gets_them_on_the_first_reward_change() {
    let (mut b, r, acct) = funded_account(5, "00000000-0000-4000-8000-0000000000e1");
    // As a release before the flag wrote it: no reward-prices, no flag in the account.
    b.store.entries.remove("reward-prices");
    for (value, _) in b.store.entries.values_mut() {
        *value = value.replace(",\"rewardAvailable\":true", "");
    }
    assert!(!available(&mut b, &acct));
    assert_verified(&b); // absent prices are no active reward
    b.ok("adjustPoints", &[json!(acct), json!({ "amount": 1 })]);
    assert!(!available(&mut b, &acct), "balance changes read absent prices as none");
    b.ok("updateReward", &[r["_id"].clone(), json!({ "name": "renamed", "revision": "1" })]);
    assert!(available(&mut b, &acct), "the first reward change built the prices and ran the job");
    assert_eq!(b.store.entries["reward-prices"].0, r#"{"schema":1,"costs":[[5,1]]}"#);
    assert_verified(&b);
}

#[test]
fn verify_finds_wrong_flags_and_wrong_prices() {
    let (mut b, _, acct) = funded_account(5, "00000000-0000-4000-8000-0000000000f1");
    assert_verified(&b);
    let key = format!("acct/{acct}");
    let stored = b.store.entries[&key].0.replace(",\"rewardAvailable\":true", "");
    b.store.entries.get_mut(&key).unwrap().0 = stored;
    b.store.entries.get_mut("reward-prices").unwrap().0 = r#"{"schema":1,"costs":[[7,1]]}"#.into();
    let codes: Vec<&str> = verify(&b.store).discrepancies.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["REWARD_PRICES_MISMATCH", "REWARD_AVAILABLE_MISMATCH"]);
}
