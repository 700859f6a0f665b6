//! Native tests of tiers and the tiers program settings (spec §2.6, §3.6): what each method
//! accepts and refuses, answers, stores and announces.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::{json, Value};
use wix_loyalty_wasm::core::driver::Backend;
use wix_loyalty_wasm::core::error::Code;

fn tier(name: &str, points: i64) -> Value {
    json!({ "tierDefinition": { "name": name }, "requiredPoints": points })
}

fn event_types(b: &Backend) -> Vec<String> {
    b.events.iter().map(|e| e["metadata"]["eventType"].as_str().unwrap().to_string()).collect()
}

fn rules(e: &wix_loyalty_wasm::core::error::LoyaltyError) -> Vec<(String, &'static str)> {
    assert_eq!(e.code, Code::InvalidArgument, "{e}");
    e.violations.iter().map(|v| (v.field.clone(), v.rule_name)).collect()
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
    assert_eq!((e.code, e.reason), (Code::AlreadyExists, "TIER_NAME_TAKEN"), "names compare without case");
    let e = b.err("createTier", &[tier("Platinum", 1000)]);
    assert_eq!((e.code, e.reason), (Code::AlreadyExists, "TIER_POINTS_TAKEN"));
    let silver = b.ok("createTier", &[tier("Silver", 500)]);
    let e = b.err("updateTier", &[silver["_id"].clone(), json!({ "revision": "1", "requiredPoints": 1000 })]);
    assert_eq!(e.reason, "TIER_POINTS_TAKEN");
    let e =
        b.err("updateTier", &[silver["_id"].clone(), json!({ "revision": "1", "tierDefinition": { "name": "GOLD" } })]);
    assert_eq!(e.reason, "TIER_NAME_TAKEN");
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
    assert_eq!((e.code, e.reason), (Code::NotFound, "TIER_NOT_FOUND"));
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
    assert_eq!((e.code, e.reason), (Code::Aborted, "REVISION_MISMATCH"));
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
    assert_eq!(e.reason, "REVISION_MISMATCH");
    assert_eq!(b.ok("deleteTier", &[id.clone(), json!("1")]), Value::Null);
    assert_eq!(b.err("getTier", std::slice::from_ref(&id)).reason, "TIER_NOT_FOUND");
    assert_eq!(b.err("deleteTier", &[id.clone(), json!("1")]).reason, "TIER_NOT_FOUND");
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
    assert_eq!(b.err("createTier", &[tier("One more", 9_999_999)]).reason, "TOO_MANY_TIERS");
    let e = b.err("bulkCreateTiers", &[json!([])]);
    assert_eq!(rules(&e), [("tiers".to_string(), "OUT_OF_RANGE")]);
    let e = b.err("bulkCreateTiers", &[json!((0..21).map(|i| tier(&format!("U{i}"), 1 + i)).collect::<Vec<_>>())]);
    assert_eq!(rules(&e), [("tiers".to_string(), "OUT_OF_RANGE")]);
}

#[test]
fn program_settings_are_created_once_and_replaced_by_updates() {
    let mut b = Backend::default();
    let e = b.err("getTiersProgramSettings", &[]);
    assert_eq!((e.code, e.reason), (Code::NotFound, "TIERS_PROGRAM_SETTINGS_NOT_FOUND"));
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
    assert_eq!((e.code, e.reason), (Code::AlreadyExists, "TIERS_PROGRAM_SETTINGS_EXIST"));

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
    assert_eq!(e.reason, "REVISION_MISMATCH");
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
    assert_eq!(e.reason, "CORRUPT_RECORD", "{e}");
}
