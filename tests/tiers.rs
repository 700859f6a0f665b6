//! Native tests of tiers and the tiers program settings (spec §2.6, §3.6): what each method
//! accepts and refuses, answers, stores and announces.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::{json, Value};
use wix_loyalty_wasm::core::driver::Backend;
use wix_loyalty_wasm::core::error::Code;
use wix_loyalty_wasm::core::reason::Reason;

fn tier(name: &str, points: i64) -> Value {
    json!({ "tierDefinition": { "name": name }, "requiredPoints": points })
}

fn event_types(b: &Backend) -> Vec<String> {
    b.events.iter().map(|e| e["metadata"]["eventType"].as_str().unwrap().to_string()).collect()
}

fn rules(e: &wix_loyalty_wasm::core::error::LoyaltyError) -> Vec<(String, &'static str)> {
    assert_eq!(e.code, Code::InvalidArgument, "{e}");
    e.violations.iter().map(|v| (v.field.clone(), v.rule_name.as_str())).collect()
}

#[test]
fn a_created_tier_reads_back_and_is_announced() {
    let mut b = Backend::default();
    let gold = b.ok(
        "createTier",
        &[json!({ "tierDefinition": { "name": "Gold", "description": "Top tier", "icon": "wix:image://v1/x.png/x.png#originWidth=1&originHeight=1" }, "requiredPoints": 1000 })],
    );
    assert_eq!(gold["tierDefinition"]["name"], "Gold");
    assert_eq!(gold["tierDefinition"]["description"], "Top tier");
    assert_eq!(gold["requiredPoints"], 1000);
    assert_eq!(gold["revision"], "1");
    assert_eq!(gold["_createdDate"], b.now_ms);
    assert_eq!(b.ok("getTier", &[gold["_id"].clone()]), gold);
    assert_eq!(event_types(&b), ["wix.loyalty.v1.tier_created"]);
    assert_eq!(b.events[0]["entity"], gold);
    assert_eq!(b.events[0]["metadata"]["entityEventSequence"], "1");

    let silver = b.ok("createTier", &[tier("Silver", 500)]);
    let listed = b.ok("listTiers", &[]);
    assert_eq!(listed["tiers"], json!([silver, gold]), "listed by requiredPoints, lowest first");
    let premium = b.ok("getLoyaltyProgramPremiumFeatures", &[]);
    assert_eq!(premium["tiers"], true);
}

#[test]
fn names_and_thresholds_are_unique() {
    let mut b = Backend::default();
    let gold = b.ok("createTier", &[tier("Gold", 1000)]);
    let e = b.err("createTier", &[tier("gold", 2000)]);
    assert_eq!((e.code, e.reason), (Code::AlreadyExists, Reason::TierNameTaken), "names compare without case");
    let e = b.err("createTier", &[tier("Platinum", 1000)]);
    assert_eq!((e.code, e.reason), (Code::AlreadyExists, Reason::TierPointsTaken));
    let silver = b.ok("createTier", &[tier("Silver", 500)]);
    let e = b.err("updateTier", &[silver["_id"].clone(), json!({ "revision": "1", "requiredPoints": 1000 })]);
    assert_eq!(e.reason, Reason::TierPointsTaken);
    let e =
        b.err("updateTier", &[silver["_id"].clone(), json!({ "revision": "1", "tierDefinition": { "name": "GOLD" } })]);
    assert_eq!(e.reason, Reason::TierNameTaken);
    // A tier may keep its own name and threshold.
    let same = b.ok(
        "updateTier",
        &[
            gold["_id"].clone(),
            json!({ "revision": "1", "tierDefinition": { "name": "Gold" }, "requiredPoints": 1000 }),
        ],
    );
    assert_eq!(same["revision"], "2");
    assert_eq!(b.ok("listTiers", &[])["tiers"].as_array().unwrap().len(), 2);
}

#[test]
fn input_is_checked_field_by_field() {
    let mut b = Backend::default();
    let e = b.err("createTier", &[json!({ "tierDefinition": { "name": "" }, "requiredPoints": 0 })]);
    assert_eq!(
        rules(&e),
        [
            ("tier.requiredPoints".to_string(), "OUT_OF_RANGE"),
            ("tier.tierDefinition.name".to_string(), "REQUIRED_FIELD")
        ]
    );
    let e = b.err("createTier", &[json!({ "tierDefinition": { "name": "x".repeat(51), "description": "d".repeat(71) }, "requiredPoints": 10_000_000 })]);
    assert_eq!(rules(&e).len(), 3, "{e}");
    let e = b.err("createTier", &[json!({ "requiredPoints": 1.5 })]);
    assert_eq!(rules(&e).len(), 2, "{e}");
    let e = b.err("getTier", &[json!("tier-1")]);
    assert_eq!(rules(&e), [("tierId".to_string(), "INVALID_GUID")]);
    let e = b.err("getTier", &[json!("3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d")]);
    assert_eq!((e.code, e.reason), (Code::NotFound, Reason::TierNotFound));
    assert!(b.events.is_empty());
    assert_eq!(b.ok("listTiers", &[]), json!({ "tiers": [] }));
}

#[test]
fn update_patches_and_needs_the_current_revision() {
    let mut b = Backend::default();
    let t = b.ok(
        "createTier",
        &[json!({ "tierDefinition": { "name": "Gold", "description": "old" }, "requiredPoints": 1000 })],
    );
    let id = t["_id"].clone();
    b.now_ms += 5;
    let u = b.ok("updateTier", &[id.clone(), json!({ "revision": "1", "requiredPoints": 1200 })]);
    assert_eq!(
        u["tierDefinition"],
        json!({ "name": "Gold", "description": "old" }),
        "a PATCH keeps what it does not name"
    );
    assert_eq!((u["requiredPoints"].as_i64(), u["revision"].as_str()), (Some(1200), Some("2")));
    assert_eq!(u["_updatedDate"], b.now_ms);
    assert_eq!(u["_createdDate"], t["_createdDate"]);
    let e = b.err("updateTier", &[id.clone(), json!({ "revision": "1", "requiredPoints": 1300 })]);
    assert_eq!((e.code, e.reason), (Code::Aborted, Reason::RevisionMismatch));
    let e = b.err("updateTier", &[id.clone(), json!({ "requiredPoints": 1300 })]);
    assert_eq!(rules(&e), [("tier.revision".to_string(), "REQUIRED_FIELD")]);
    assert_eq!(event_types(&b), ["wix.loyalty.v1.tier_created", "wix.loyalty.v1.tier_updated"]);
    assert_eq!(b.events[1]["entity"], u);
    assert_eq!(b.events[1]["metadata"]["entityEventSequence"], "2");
}

#[test]
fn delete_needs_the_revision_and_frees_the_name() {
    let mut b = Backend::default();
    let t = b.ok("createTier", &[tier("Gold", 1000)]);
    let id = t["_id"].clone();
    let e = b.err("deleteTier", &[id.clone(), json!("2")]);
    assert_eq!(e.reason, Reason::RevisionMismatch);
    assert_eq!(b.ok("deleteTier", &[id.clone(), json!("1")]), Value::Null);
    assert_eq!(b.err("getTier", std::slice::from_ref(&id)).reason, Reason::TierNotFound);
    assert_eq!(b.err("deleteTier", &[id.clone(), json!("1")]).reason, Reason::TierNotFound);
    assert_eq!(event_types(&b).last().unwrap(), "wix.loyalty.v1.tier_deleted");
    assert_eq!(b.events.last().unwrap()["metadata"]["entityId"], id);
    assert_eq!(b.events.last().unwrap()["metadata"]["entityEventSequence"], "2");
    b.ok("createTier", &[tier("Gold", 1000)]);
}

#[test]
fn bulk_create_answers_per_tier_and_caps_the_ladder_at_twenty() {
    let mut b = Backend::default();
    b.ok("createTier", &[tier("Gold", 1000)]);
    let answer = b.ok(
        "bulkCreateTiers",
        &[json!([tier("Silver", 500), tier("gold", 10), tier("Bronze", 500), { "requiredPoints": 7 }, tier("Copper", 100)])],
    );
    let ok: Vec<bool> =
        answer["results"].as_array().unwrap().iter().map(|r| r["itemMetadata"]["success"].as_bool().unwrap()).collect();
    assert_eq!(ok, [true, false, false, false, true]);
    let reasons: Vec<&str> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["itemMetadata"]["error"]["data"]["reason"].as_str())
        .collect();
    assert_eq!(reasons, ["TIER_NAME_TAKEN", "TIER_POINTS_TAKEN", "REQUIRED_FIELD"]);
    assert_eq!(
        answer["bulkActionMetadata"],
        json!({ "totalSuccesses": 2, "totalFailures": 3, "undetailedFailures": 0 })
    );
    assert_eq!(answer["results"][0]["item"], b.ok("getTier", &[answer["results"][0]["itemMetadata"]["_id"].clone()]));
    let names: Vec<String> = b.ok("listTiers", &[])["tiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tierDefinition"]["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["Copper", "Silver", "Gold"]);

    let more: Vec<Value> = (0..20).map(|i| tier(&format!("T{i}"), 2000 + i)).collect();
    let answer = b.ok("bulkCreateTiers", &[json!(more)]);
    assert_eq!(answer["bulkActionMetadata"]["totalSuccesses"], 17, "20 tiers at most");
    assert_eq!(answer["results"][19]["itemMetadata"]["error"]["data"]["reason"], "TOO_MANY_TIERS");
    assert_eq!(b.err("createTier", &[tier("One more", 9_999_999)]).reason, Reason::TooManyTiers);
    let e = b.err("bulkCreateTiers", &[json!([])]);
    assert_eq!(rules(&e), [("tiers".to_string(), "OUT_OF_RANGE")]);
    let e = b.err("bulkCreateTiers", &[json!((0..21).map(|i| tier(&format!("U{i}"), 1 + i)).collect::<Vec<_>>())]);
    assert_eq!(rules(&e), [("tiers".to_string(), "OUT_OF_RANGE")]);
}

#[test]
fn program_settings_are_created_once_and_replaced_by_updates() {
    let mut b = Backend::default();
    let e = b.err("getTiersProgramSettings", &[]);
    assert_eq!((e.code, e.reason), (Code::NotFound, Reason::TiersProgramSettingsNotFound));
    let made = b.ok(
        "createTiersProgramSettings",
        &[json!({ "rollingWindow": { "durationInMonths": 12 }, "status": "ACTIVE", "baseTierDefinition": { "name": "Member", "description": "Everyone" } })],
    )["programSettings"]
        .clone();
    assert_eq!(made["status"], "ACTIVE");
    assert_eq!(made["rollingWindow"], json!({ "durationInMonths": 12 }));
    assert_eq!(made["baseTierDefinition"], json!({ "name": "Member", "description": "Everyone" }));
    assert_eq!(made["revision"], "1");
    assert_eq!(b.ok("getTiersProgramSettings", &[])["programSettings"], made);
    let e = b.err("createTiersProgramSettings", &[json!({ "rollingWindow": { "durationInMonths": 12 } })]);
    assert_eq!((e.code, e.reason), (Code::AlreadyExists, Reason::TiersProgramSettingsExist));

    let e = b.err("updateTiersProgramSettings", &[json!({ "rollingWindow": { "durationInMonths": 24 } })]);
    assert_eq!(
        rules(&e),
        [
            ("programSettings.revision".to_string(), "REQUIRED_FIELD"),
            ("programSettings.status".to_string(), "REQUIRED_FIELD")
        ]
    );
    let e = b.err(
        "updateTiersProgramSettings",
        &[json!({ "revision": "1", "status": "ACTIVE", "rollingWindow": { "durationInMonths": 37 } })],
    );
    assert_eq!(rules(&e), [("programSettings.rollingWindow.durationInMonths".to_string(), "OUT_OF_RANGE")]);
    let e = b.err(
        "updateTiersProgramSettings",
        &[json!({ "revision": "1", "status": "UNKNOWN", "rollingWindow": { "durationInMonths": 3 } })],
    );
    assert_eq!(rules(&e), [("programSettings.status".to_string(), "INVALID_ENUM")]);
    let u = b.ok(
        "updateTiersProgramSettings",
        &[json!({ "revision": "1", "status": "PAUSED", "rollingWindow": { "durationInMonths": 24 } })],
    )["programSettings"]
        .clone();
    assert_eq!(u["baseTierDefinition"], json!({}), "an update replaces: an omitted base tier empties it");
    assert_eq!((u["status"].as_str(), u["revision"].as_str()), (Some("PAUSED"), Some("2")));
    let e = b.err(
        "updateTiersProgramSettings",
        &[json!({ "revision": "1", "status": "ACTIVE", "rollingWindow": { "durationInMonths": 3 } })],
    );
    assert_eq!(e.reason, Reason::RevisionMismatch);
    assert!(b.events.is_empty(), "settings have no public event");
}

#[test]
fn get_tiers_program_creates_default_settings() {
    let mut b = Backend::default();
    let t = b.ok("createTier", &[tier("Gold", 1000)]);
    let program = b.ok("getTiersProgram", &[]);
    assert_eq!(program["tiers"], json!([t]));
    let s = &program["programSettings"];
    assert_eq!((s["status"].as_str(), s["revision"].as_str()), (Some("DISABLED"), Some("1")));
    assert_eq!(s["rollingWindow"]["durationInMonths"], 12);
    assert_eq!(b.ok("getTiersProgramSettings", &[])["programSettings"], *s, "the defaults were stored");
    b.now_ms += 9;
    assert_eq!(b.ok("getTiersProgram", &[]), program, "and are created once");
}

#[test]
fn verify_reads_the_ladder_and_reports_a_tampered_one() {
    let mut b = Backend::default();
    b.ok("bulkCreateTiers", &[json!([tier("Silver", 500), tier("Gold", 1000)])]);
    b.ok("getTiersProgram", &[]);
    let report = wix_loyalty_wasm::core::driver::verify(&b.store);
    assert!(report.ok, "{:?}", report.discrepancies);
    let (text, version) = b.store.entries["tiers"].clone();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["tiers"][1]["requiredPoints"] = json!(500);
    b.store.entries.insert("tiers".into(), (v.to_string(), version + 1));
    let report = wix_loyalty_wasm::core::driver::verify(&b.store);
    let found: Vec<(&str, Option<&str>)> = report.discrepancies.iter().map(|d| (d.code, d.key.as_deref())).collect();
    assert_eq!(found, [("CORRUPT_RECORD", Some("tiers"))]);
    let e = b.err("listTiers", &[]);
    assert_eq!(e.reason, Reason::CorruptRecord, "{e}");
}

// ------------------------------------------------------------------ accounts' tiers

const DAY: i64 = 86_400_000;
/// 2025-01-15T00:00:00Z.
const JAN_15: i64 = 1_736_899_200_000;

fn assert_verified(b: &Backend) {
    let report = wix_loyalty_wasm::core::driver::verify(&b.store);
    assert!(report.ok, "{:?}", report.discrepancies);
}

/// An active program on 2025-01-15 with Silver at 100 and Gold at 500 (tiers `ACTIVE` unless
/// `status` says otherwise, a `months` window); the tier ids.
fn ladder(status: &str, months: u32) -> (Backend, String, String) {
    let mut b = Backend { now_ms: JAN_15, ..Backend::default() };
    b.ok("activateLoyaltyProgram", &[]);
    let made = b.ok("bulkCreateTiers", &[json!([tier("Silver", 100), tier("Gold", 500)])]);
    let id = |i: usize| made["results"][i]["item"]["_id"].as_str().unwrap().to_string();
    b.ok(
        "createTiersProgramSettings",
        &[json!({ "rollingWindow": { "durationInMonths": months }, "status": status, "baseTierDefinition": { "name": "Member" } })],
    );
    (b, id(0), id(1))
}

fn account(b: &mut Backend, contact: &str) -> String {
    b.ok("createAccount", &[json!(contact)])["account"]["_id"].as_str().unwrap().to_string()
}

fn tier_of(b: &mut Backend, a: &str) -> (Option<String>, i64) {
    let t = b.ok("getAccount", &[json!(a)])["tier"].clone();
    (t["_id"].as_str().map(String::from), t["points"].as_i64().unwrap())
}

fn adjust(b: &mut Backend, a: &str, amount: i64) -> Value {
    b.ok("adjustPoints", &[json!(a), json!({ "amount": amount })])["account"].clone()
}

#[test]
fn an_account_changes_tier_at_each_threshold_both_ways() {
    let (mut b, silver, gold) = ladder("ACTIVE", 12);
    let a = account(&mut b, CONTACT_A);
    assert_eq!(tier_of(&mut b, &a), (None, 0));
    let answered = adjust(&mut b, &a, 99);
    assert_eq!(
        (answered["tier"].get("_id"), answered["tier"]["points"].as_i64()),
        (None, Some(99)),
        "one short of Silver"
    );
    assert_eq!(answered["tier"]["_updatedDate"], answered["_updatedDate"], "worked out with the change");
    let answered = b.ok("earnPoints", &[json!(a), json!({ "amount": 1, "appId": "shop", "idempotencyKey": "k1" })])
        ["account"]
        .clone();
    assert_eq!(answered["tier"]["_id"], json!(silver), "the earn's own answer shows the new tier");
    assert_eq!(answered, b.ok("getAccount", &[json!(a)]));
    adjust(&mut b, &a, 399);
    assert_eq!(tier_of(&mut b, &a), (Some(silver.clone()), 499));
    adjust(&mut b, &a, 1);
    assert_eq!(tier_of(&mut b, &a), (Some(gold.clone()), 500));
    adjust(&mut b, &a, -1);
    assert_eq!(tier_of(&mut b, &a), (Some(silver.clone()), 499), "a negative adjustment counts too");
    // Redeeming spends points, not tier points.
    let r = b.ok("createReward", &[json!({ "name": "r", "active": true, "couponReward": { "freeShipping": { "configsByTier": [{ "costInPoints": 400 }] } } })]);
    b.ok("redeemPointsForCoupon", &[r["_id"].clone(), json!({ "loyaltyAccountId": a })]);
    let after = b.ok("getAccount", &[json!(a)]);
    assert_eq!((after["points"]["balance"].as_i64(), after["tier"]["points"].as_i64()), (Some(99), Some(499)));
    assert_eq!(after["tier"]["_id"], json!(silver));
    assert_verified(&b);
    // Queries see the tier.
    let found = b.ok("queryLoyaltyAccounts", &[json!({ "filter": { "tier._id": silver } })]);
    assert_eq!(found["loyaltyAccounts"].as_array().unwrap().len(), 1);
    let base = b.ok("queryLoyaltyAccounts", &[json!({ "filter": { "tier._id": null } })]);
    assert_eq!(base["loyaltyAccounts"].as_array().unwrap().len(), 0);
}

#[test]
fn tiers_decide_nothing_until_the_tiers_program_is_active() {
    let (mut b, silver, _) = ladder("DRAFT", 12);
    let a = account(&mut b, CONTACT_A);
    adjust(&mut b, &a, 150);
    assert_eq!(tier_of(&mut b, &a), (None, 150), "tier points count, the tier stays the base");
    b.events.clear();
    let s = b.ok("getTiersProgramSettings", &[])["programSettings"].clone();
    b.ok(
        "updateTiersProgramSettings",
        &[json!({ "revision": s["revision"], "status": "ACTIVE", "rollingWindow": { "durationInMonths": 12 } })],
    );
    assert_eq!(tier_of(&mut b, &a), (Some(silver.clone()), 150), "the recalculation job moved it");
    let updated: Vec<&Value> =
        b.events.iter().filter(|e| e["metadata"]["eventType"] == "wix.loyalty.v1.account_updated").collect();
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["entity"]["tier"]["_id"], json!(silver));
    assert_verified(&b);
    let jobs = b.store.entries.keys().filter(|k| k.starts_with("job/")).count();
    assert_eq!(jobs, 1, "one tiersRecalculation job");
}

#[test]
fn the_window_rolls_with_the_clock_at_the_next_balance_change() {
    let (mut b, silver, gold) = ladder("ACTIVE", 12);
    let a = account(&mut b, CONTACT_A);
    adjust(&mut b, &a, 500);
    assert_eq!(tier_of(&mut b, &a).0, Some(gold.clone()));
    b.now_ms = JAN_15 + 200 * DAY; // August 2025
    adjust(&mut b, &a, 150);
    assert_eq!(tier_of(&mut b, &a), (Some(gold.clone()), 650));
    b.now_ms = JAN_15 + 365 * DAY; // January 2026: January 2025 left the window
    adjust(&mut b, &a, -10);
    assert_eq!(tier_of(&mut b, &a), (Some(silver.clone()), 140));
    b.now_ms = JAN_15 + 2 * 365 * DAY;
    adjust(&mut b, &a, 1);
    assert_eq!(tier_of(&mut b, &a), (None, 1));
    let points = b.ok("getAccount", &[json!(a)])["points"].clone();
    assert_eq!(points["adjusted"], 641, "lifetime points stay");
    assert_verified(&b);
}

#[test]
fn changed_thresholds_and_windows_move_every_account_once() {
    let (mut b, silver, gold) = ladder("ACTIVE", 12);
    // 150 accounts (two batches of the job) at 0..=298 tier points.
    let accounts: Vec<String> = (0..150)
        .map(|i| {
            let a = account(&mut b, &format!("00000000-0000-4000-8000-{i:012}"));
            if i > 0 {
                adjust(&mut b, &a, 2 * i);
            }
            a
        })
        .collect();
    let expected = |points: i64, silver_at: i64, gold_at: i64| -> Option<String> {
        if points >= gold_at {
            Some(gold.clone())
        } else if points >= silver_at {
            Some(silver.clone())
        } else {
            None
        }
    };
    b.events.clear();
    let s = b.ok("getTier", &[json!(gold)]);
    b.ok("updateTier", &[json!(gold), json!({ "revision": s["revision"], "requiredPoints": 200 })]);
    let mut moved = 0;
    for (i, a) in accounts.iter().enumerate() {
        let (tier, points) = tier_of(&mut b, a);
        assert_eq!(points, 2 * i as i64);
        assert_eq!(tier, expected(points, 100, 200), "account {a}");
        moved += usize::from(points >= 200);
    }
    let updated = b.events.iter().filter(|e| e["metadata"]["eventType"] == "wix.loyalty.v1.account_updated").count();
    assert_eq!(updated, moved, "one account_updated per account that moved");
    assert_verified(&b);
    // A shorter window, a month on: the points of January leave it.
    b.now_ms = JAN_15 + 31 * DAY;
    let s = b.ok("getTiersProgramSettings", &[])["programSettings"].clone();
    b.ok(
        "updateTiersProgramSettings",
        &[json!({ "revision": s["revision"], "status": "ACTIVE", "rollingWindow": { "durationInMonths": 1 } })],
    );
    for a in &accounts {
        assert_eq!(tier_of(&mut b, a), (None, 0));
    }
    assert_verified(&b);
    // Deleting a tier moves its accounts down.
    b.now_ms = JAN_15;
    let s = b.ok("getTiersProgramSettings", &[])["programSettings"].clone();
    b.ok(
        "updateTiersProgramSettings",
        &[json!({ "revision": s["revision"], "status": "ACTIVE", "rollingWindow": { "durationInMonths": 12 } })],
    );
    assert_eq!(tier_of(&mut b, &accounts[149]).0, Some(gold.clone()), "the months kept count again");
    let g = b.ok("getTier", &[json!(gold)]);
    b.ok("deleteTier", &[json!(gold), g["revision"].clone()]);
    assert_eq!(tier_of(&mut b, &accounts[149]).0, Some(silver.clone()));
    assert_verified(&b);
}

#[test]
fn a_threshold_change_racing_balance_changes_leaves_every_tier_right() {
    let (mut b, silver, gold) = ladder("ACTIVE", 12);
    let accounts: Vec<String> =
        (0..250).map(|i| account(&mut b, &format!("00000000-0000-4000-8000-{i:012}"))).collect();
    for (i, a) in accounts.iter().enumerate() {
        adjust(&mut b, a, i as i64 * 2 + 1);
    }
    let g = b.ok("getTier", &[json!(gold)]);
    let args = [input(&json!(gold)), input(&json!({ "revision": g["revision"], "requiredPoints": 250 }))];
    let mut change = b.start("updateTier", &args).unwrap();
    let none = |_: &str| wix_loyalty_wasm::core::input::Input::Null;
    let mut step = 0;
    let outcome = loop {
        let a = &accounts[(step * 37) % accounts.len()];
        let _ = b.call(
            "adjustPoints",
            &[input(&json!(a)), input(&json!({ "amount": if step % 2 == 0 { 60 } else { -1 } }))],
        );
        match change.advance(&mut b.store, &none) {
            wix_loyalty_wasm::core::driver::Progress::Pending => {}
            wix_loyalty_wasm::core::driver::Progress::Finished(outcome) => break outcome,
        }
        step += 1;
    };
    b.finish(&change, outcome).unwrap();
    assert!(change.conflicts > 0, "the race happened");
    for a in &accounts {
        let (tier, points) = tier_of(&mut b, a);
        let want = if points >= 250 {
            Some(gold.clone())
        } else if points >= 100 {
            Some(silver.clone())
        } else {
            None
        };
        assert_eq!(tier, want, "account {a} at {points}");
    }
    assert_verified(&b);
}

#[test]
fn an_account_from_before_the_window_counts_its_lifetime_points_once() {
    let (mut b, silver, gold) = ladder("ACTIVE", 12);
    let a = account(&mut b, CONTACT_A);
    adjust(&mut b, &a, 120);
    // As a release before the window wrote it: lifetime tier points, no months, no tier.
    let key = format!("acct/{a}");
    let (text, version) = b.store.entries[&key].clone();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let o = v.as_object_mut().unwrap();
    for k in ["tierId", "tierMs", "window"] {
        o.remove(k);
    }
    b.store.entries.insert(key, (v.to_string(), version + 1));
    assert_verified(&b);
    assert_eq!(tier_of(&mut b, &a), (None, 120), "read as written until worked out");
    adjust(&mut b, &a, 400);
    assert_eq!(tier_of(&mut b, &a), (Some(gold.clone()), 520));
    assert_verified(&b);
    b.now_ms = JAN_15 + 365 * DAY;
    adjust(&mut b, &a, 1);
    assert_eq!(tier_of(&mut b, &a), (None, 1), "the carried points left the window with their month");
    let _ = silver;
    assert_verified(&b);
}

#[test]
fn verify_reports_a_wrong_tier_and_a_wrong_window() {
    let (mut b, silver, _) = ladder("ACTIVE", 12);
    let a = account(&mut b, CONTACT_A);
    adjust(&mut b, &a, 150);
    let key = format!("acct/{a}");
    let (text, version) = b.store.entries[&key].clone();
    b.store.entries.insert(key.clone(), (text.replace(&silver, "00000000-0000-4000-8000-00000000abcd"), version + 1));
    let codes: Vec<&str> =
        wix_loyalty_wasm::core::driver::verify(&b.store).discrepancies.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["TIER_MISMATCH"]);
    b.store.entries.insert(key.clone(), (text.replace("150]]", "151]]"), version + 2));
    let codes: Vec<&str> =
        wix_loyalty_wasm::core::driver::verify(&b.store).discrepancies.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["TIER_WINDOW_MISMATCH", "TIER_POINTS_MISMATCH"]);
    let (prices, pv) = b.store.entries["reward-prices"].clone();
    b.store.entries.insert(key, (text, version + 3));
    b.store.entries.insert("reward-prices".into(), (prices.replace(",\"ladder\"", ",\"months\":3,\"ladder\""), pv + 1));
    let codes: Vec<&str> =
        wix_loyalty_wasm::core::driver::verify(&b.store).discrepancies.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"TIER_LADDER_MISMATCH"), "{codes:?}");
}

// ------------------------------------------------------------------ rewards at tiers

fn priced(name: &str, base: Option<u32>, tiers: &[(&str, u32)]) -> Value {
    let mut configs: Vec<Value> = base.into_iter().map(|c| json!({ "costInPoints": c })).collect();
    configs.extend(tiers.iter().map(|(t, c)| json!({ "costInPoints": c, "tierId": t })));
    json!({ "name": name, "active": true, "couponReward": { "freeShipping": { "configsByTier": configs } } })
}

#[test]
fn rewards_price_only_tiers_that_exist() {
    let (mut b, silver, gold) = ladder("ACTIVE", 12);
    let nowhere = "00000000-0000-4000-8000-00000000dead";
    let e = b.err("createReward", &[priced("r", Some(10), &[(nowhere, 5)])]);
    assert_eq!(rules(&e), [("reward.couponReward.freeShipping.configsByTier[1].tierId".to_string(), "TIER_NOT_FOUND")]);
    assert_eq!(e.data()["tierId"], nowhere);
    let r = b.ok("createReward", &[priced("r", Some(10), &[(&silver, 8), (&gold.to_uppercase(), 5)])]);
    assert_eq!(
        r["couponReward"]["freeShipping"]["configsByTier"][2]["tierId"],
        json!(gold),
        "ids are stored in lower case"
    );
    let bulk = b.ok("bulkCreateRewards", &[json!([priced("a", Some(1), &[]), priced("b", Some(1), &[(nowhere, 1)])])]);
    let ok: Vec<bool> =
        bulk["results"].as_array().unwrap().iter().map(|r| r["itemMetadata"]["success"].as_bool().unwrap()).collect();
    assert_eq!(ok, [true, false]);
    assert_eq!(bulk["results"][1]["itemMetadata"]["error"]["data"]["reason"], "TIER_NOT_FOUND");
    let e = b.err("updateReward", &[r["_id"].clone(), json!({ "name": "r", "revision": r["revision"], "couponReward": priced("r", Some(10), &[(nowhere, 5)])["couponReward"] })]);
    assert_eq!(e.reason, Reason::TierNotFound);
    assert_verified(&b);
}

#[test]
fn an_account_redeems_at_its_tier_price_and_its_flag_follows_that_price() {
    let (mut b, silver, gold) = ladder("ACTIVE", 12);
    // Base 300; Silver pays 200; Gold pays 80. A second reward only Gold can redeem, at 50.
    let r = b.ok("createReward", &[priced("Ship", Some(300), &[(&silver, 200), (&gold, 80)])]);
    b.ok("createReward", &[priced("Gold gift", None, &[(&gold, 50)])]);
    let a = account(&mut b, CONTACT_A);
    let base = adjust(&mut b, &a, 99);
    assert_eq!(base["rewardAvailable"], false, "99 points at the base tier afford nothing");
    let silvered = adjust(&mut b, &a, 101);
    assert_eq!(
        (silvered["tier"]["_id"].as_str(), silvered["rewardAvailable"].as_bool()),
        (Some(silver.as_str()), Some(true))
    );
    b.ok("redeemPointsForCoupon", &[r["_id"].clone(), json!({ "loyaltyAccountId": a })]);
    let after = b.ok("getAccount", &[json!(a)]);
    assert_eq!(after["points"]["balance"], 0, "Silver paid 200");
    assert_eq!(after["rewardAvailable"], false);
    let golden = adjust(&mut b, &a, 300);
    assert_eq!(
        (golden["tier"]["_id"].as_str(), golden["rewardAvailable"].as_bool()),
        (Some(gold.as_str()), Some(true))
    );
    b.ok("redeemPointsForCoupon", &[r["_id"].clone(), json!({ "loyaltyAccountId": a })]);
    assert_eq!(b.ok("getAccount", &[json!(a)])["points"]["balance"], 220, "Gold paid 80");
    assert_verified(&b);
    // Gold's price rises to 400: the flag follows at once (a recalculation job).
    b.events.clear();
    let fresh = b.ok("getReward", &[r["_id"].clone()]);
    b.ok("updateReward", &[r["_id"].clone(), json!({ "name": "Ship", "revision": fresh["revision"], "couponReward": priced("Ship", Some(300), &[(&silver, 200), (&gold, 400)])["couponReward"] })]);
    assert_eq!(b.ok("getAccount", &[json!(a)])["rewardAvailable"], true, "the Gold gift at 50 still");
    let gift = b.ok("queryRewards", &[json!({ "filter": { "name": "Gold gift" } })])["rewards"][0].clone();
    b.ok("deleteReward", &[gift["_id"].clone(), gift["revision"].clone()]);
    assert_eq!(b.ok("getAccount", &[json!(a)])["rewardAvailable"], false, "220 < 400 at Gold");
    let flips: Vec<&Value> = b
        .events
        .iter()
        .filter(|e| e["metadata"]["eventType"] == "wix.loyalty.v1.account_reward_availability_updated")
        .collect();
    assert_eq!(flips.len(), 1);
    assert_eq!(flips[0]["data"], json!({ "rewardAvailable": false, "updateTrigger": "REWARD_UPDATED" }));
    assert_verified(&b);
}

/// Found by the fault simulation: a backend whose clock lags another's worked out the tier
/// points at its own (earlier) time but kept the later time as when they were worked out.
#[test]
fn a_balance_change_on_a_lagging_clock_after_a_job_keeps_the_tier_consistent() {
    let (mut b, _, gold) = ladder("ACTIVE", 1);
    let a = account(&mut b, CONTACT_A);
    adjust(&mut b, &a, 50);
    // A process 40 days ahead moves a threshold: its job works the tier out in March.
    b.now_ms = JAN_15 + 40 * DAY;
    let g = b.ok("getTier", &[json!(gold)]);
    b.ok("updateTier", &[json!(gold), json!({ "revision": g["revision"], "requiredPoints": 600 })]);
    assert_eq!(tier_of(&mut b, &a), (None, 0), "January left the one-month window");
    // A process still in January changes the balance.
    b.now_ms = JAN_15 + 1000;
    adjust(&mut b, &a, 1);
    assert_verified(&b);
}

#[test]
fn a_tier_change_racing_a_reward_creation_makes_it_read_again_not_fail() {
    let (mut b, silver, _) = ladder("ACTIVE", 12);
    let none = |_: &str| wix_loyalty_wasm::core::input::Input::Null;
    let args = [input(&priced("Silver ship", Some(30), &[(&silver, 20)]))];
    let mut create = b.start("createReward", &args).unwrap();
    // The creation has read the tiers and the prices; a tier rename commits meanwhile.
    assert!(matches!(create.advance(&mut b.store, &none), wix_loyalty_wasm::core::driver::Progress::Pending));
    let s = b.ok("getTier", &[json!(silver)]);
    b.ok("updateTier", &[json!(silver), json!({ "revision": s["revision"], "tierDefinition": { "name": "Argent" } })]);
    let outcome = loop {
        if let wix_loyalty_wasm::core::driver::Progress::Finished(o) = create.advance(&mut b.store, &none) {
            break o;
        }
    };
    let made = b.finish(&create, outcome).unwrap();
    assert_eq!(made["reward"]["name"], "Silver ship");
    assert!(create.conflicts > 0, "the rename was seen");
    assert_verified(&b);
}

#[test]
fn a_legacy_account_counts_its_lifetime_points_at_its_last_activity_even_when_a_refund_comes_first() {
    let (mut b, _, gold) = ladder("ACTIVE", 1);
    let a = account(&mut b, CONTACT_A);
    adjust(&mut b, &a, 500);
    let r = b.ok("createReward", &[priced("Ship", Some(100), &[])]);
    let coupon =
        b.ok("redeemPointsForCoupon", &[r["_id"].clone(), json!({ "loyaltyAccountId": a })])["coupon"]["_id"].clone();
    // As a release before the window wrote it.
    let key = format!("acct/{a}");
    let (text, version) = b.store.entries[&key].clone();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    for k in ["tierId", "tierMs", "window", "tierMonths"] {
        v.as_object_mut().unwrap().remove(k);
    }
    b.store.entries.insert(key, (v.to_string(), version + 1));
    // Ten months on, the first change is a refund.
    b.now_ms = JAN_15 + 300 * DAY;
    b.ok("refundLoyaltyCoupon", &[coupon]);
    assert_eq!(tier_of(&mut b, &a), (None, 0), "January's points are not this month's");
    let _ = gold;
    assert_verified(&b);
}

// ------------------------------------------------------------------ program totals

#[test]
fn program_totals_sum_every_account_and_count_every_tier() {
    let (mut b, silver, gold) = ladder("ACTIVE", 12);
    let empty = b.ok("getProgramTotals", &[]);
    assert_eq!(
        empty,
        json!({ "points": { "balance": 0, "earned": 0, "adjusted": 0, "redeemed": 0, "expired": 0 }, "tierTotals": [
            { "_id": null, "numberOfAccounts": 0 }, { "_id": silver, "numberOfAccounts": 0 }, { "_id": gold, "numberOfAccounts": 0 }
        ] })
    );
    // 1,201 accounts (three scans): i earned, every third adjusted down by 1, one redemption.
    let mut want = [0i64; 4]; // balance, earned, adjusted, redeemed
    let mut tiers = [0u64; 3];
    let r = b.ok("createReward", &[priced("Ship", Some(40), &[])]);
    for i in 0..1201i64 {
        let a = account(&mut b, &format!("00000000-0000-4000-8000-{i:012}"));
        if i > 0 {
            b.ok("earnPoints", &[json!(a), json!({ "amount": i, "appId": "shop", "idempotencyKey": format!("k{i}") })]);
            want[1] += i;
        }
        let mut points = i;
        if i % 3 == 0 && i > 0 {
            adjust(&mut b, &a, -1);
            want[2] -= 1;
            points -= 1;
        }
        if i == 1000 {
            b.ok("redeemPointsForCoupon", &[r["_id"].clone(), json!({ "loyaltyAccountId": a })]);
            want[3] += 40;
        }
        tiers[usize::from(points >= 100) + usize::from(points >= 500)] += 1;
    }
    want[0] = want[1] + want[2] - want[3];
    let t = b.ok("getProgramTotals", &[]);
    let p = &t["points"];
    assert_eq!(
        [
            p["balance"].as_i64(),
            p["earned"].as_i64(),
            p["adjusted"].as_i64(),
            p["redeemed"].as_i64(),
            p["expired"].as_i64()
        ],
        [Some(want[0]), Some(want[1]), Some(want[2]), Some(want[3]), Some(0)]
    );
    let counts: Vec<u64> =
        t["tierTotals"].as_array().unwrap().iter().map(|c| c["numberOfAccounts"].as_u64().unwrap()).collect();
    assert_eq!(counts, tiers);
    assert_eq!(t["tierTotals"][2]["_id"], json!(gold));
    assert_verified(&b);
}

#[test]
fn a_recalculation_that_moves_an_account_off_its_tier_price_flips_its_flag_with_tiers_recalculated() {
    let (mut b, silver, _) = ladder("ACTIVE", 12);
    b.ok("createReward", &[priced("Ship", Some(200), &[(&silver, 50)])]);
    let a = account(&mut b, CONTACT_A);
    let silvered = adjust(&mut b, &a, 120);
    assert_eq!(
        (silvered["tier"]["_id"].as_str(), silvered["rewardAvailable"].as_bool()),
        (Some(silver.as_str()), Some(true))
    );
    b.events.clear();
    // Silver moves out of reach: the account falls to the base tier, where the reward costs 200.
    let s = b.ok("getTier", &[json!(silver)]);
    b.ok("updateTier", &[json!(silver), json!({ "revision": s["revision"], "requiredPoints": 150 })]);
    let now = b.ok("getAccount", &[json!(a)]);
    assert_eq!((now["tier"].get("_id"), now["rewardAvailable"].as_bool()), (None, Some(false)));
    let flips: Vec<&Value> = b
        .events
        .iter()
        .filter(|e| e["metadata"]["eventType"] == "wix.loyalty.v1.account_reward_availability_updated")
        .collect();
    assert_eq!(flips.len(), 1);
    assert_eq!(flips[0]["data"], json!({ "rewardAvailable": false, "updateTrigger": "TIERS_RECALCULATED" }));
    let updated = b.events.iter().filter(|e| e["metadata"]["eventType"] == "wix.loyalty.v1.account_updated").count();
    assert_eq!(updated, 1, "the tier move is announced too");
    let sequences: Vec<u64> = b
        .events
        .iter()
        .filter(|e| e["metadata"]["entityId"] == json!(a))
        .map(|e| e["metadata"]["entityEventSequence"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(sequences.windows(2).all(|w| w[0] < w[1]), "each event numbered higher: {sequences:?}");
    assert_verified(&b);
}
