//! The table of operations against what the operations do, and the core's layering.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use serde_json::{json, Value};
use wix_loyalty_wasm::core::attempts;
use wix_loyalty_wasm::core::driver::Backend;
use wix_loyalty_wasm::core::error::Code;
use wix_loyalty_wasm::core::input::Input;
use wix_loyalty_wasm::core::operations::{self, Identity, Module, Source, OPERATIONS};
use wix_loyalty_wasm::core::protocol::{Caller, Row, ScanRequest, Stored, Write};
use wix_loyalty_wasm::core::reason::Reason;

/// A valid call of every implemented operation, on a store with an active program and one
/// account (`{account}` in the arguments is replaced by its id).
fn sample(name: &str) -> Option<Vec<Value>> {
    Some(match name {
        "activateLoyaltyProgram" | "pauseLoyaltyProgram" | "enablePointsExpiration" | "disablePointsExpiration" => {
            vec![]
        }
        "getLoyaltyProgram" | "bulkGetLoyaltyProgram" | "getLoyaltyProgramPremiumFeatures" => vec![],
        "updateLoyaltyProgram" => vec![json!({ "name": "Stars" })],
        "createAccount" => vec![json!(CONTACT_B)],
        "getAccount" => vec![json!("{account}")],
        "getAccountBySecondaryId" => vec![json!({ "contactId": CONTACT_A })],
        "getCurrentMemberAccount" => vec![],
        "listAccounts" => vec![json!({})],
        "queryLoyaltyAccounts" => vec![json!({ "filter": { "points.balance": { "$gte": 0 } } })],
        "searchAccounts" => vec![json!({ "search": { "expression": "x" } })],
        "countAccounts" => vec![json!({})],
        "earnPoints" => vec![json!("{account}"), json!({ "amount": 5, "appId": "a", "idempotencyKey": "k" })],
        "adjustPoints" => vec![json!("{account}"), json!({ "amount": 5 })],
        "bulkAdjustPoints" => vec![json!({ "amount": 1 })],
        "getLoyaltyTransaction" => vec![json!("{transaction}")],
        "queryLoyaltyTransactions" => vec![json!({})],
        "getJob" => vec![json!("{job}")],
        "createReward" => vec![sample_reward()],
        "bulkCreateRewards" => vec![json!([sample_reward(), sample_reward()])],
        "getReward" => vec![json!("{reward}")],
        "updateReward" => vec![json!("{reward}"), json!({ "name": "Renamed", "revision": "1" })],
        "deleteReward" => vec![json!("{reward}"), json!("1")],
        "listRewards" => vec![json!({})],
        "queryRewards" => vec![json!({ "filter": { "active": true } })],
        "bulkGetRewards" => vec![],
        "redeemPointsForCoupon" => vec![json!("{reward}"), json!({ "loyaltyAccountId": "{account}" })],
        "redeemCurrentMemberPointsForCoupon" => vec![json!("{reward}")],
        "getLoyaltyCoupon" => vec![json!("{coupon}")],
        "getCurrentMemberCoupons" => vec![],
        "queryLoyaltyCoupons" => vec![json!({ "filter": { "status": "ACTIVE" } })],
        "bulkGetLoyaltyCoupon" => vec![json!({ "query": { "cursorPaging": { "limit": 10 } } })],
        "deleteLoyaltyCoupon" => vec![json!("{coupon}"), json!("1")],
        "refundLoyaltyCoupon" => vec![json!("{coupon}"), json!({ "revision": "1" })],
        "createTier" => vec![json!({ "tierDefinition": { "name": "Silver" }, "requiredPoints": 50 })],
        "bulkCreateTiers" => vec![json!([{ "tierDefinition": { "name": "Bronze" }, "requiredPoints": 5 }])],
        "getTier" => vec![json!("{tier}")],
        "updateTier" => vec![json!("{tier}"), json!({ "revision": "1", "requiredPoints": 150 })],
        "deleteTier" => vec![json!("{tier}"), json!("1")],
        "listTiers" | "getTiersProgram" | "getTiersProgramSettings" | "getProgramTotals" => vec![],
        "createTiersProgramSettings" => vec![json!({ "rollingWindow": { "durationInMonths": 12 } })],
        "updateTiersProgramSettings" => {
            vec![json!({ "revision": "1", "status": "ACTIVE", "rollingWindow": { "durationInMonths": 6 } })]
        }
        "resumeJobs" => vec![],
        "settleCoupons" => vec![json!({ "olderThanMs": 0 })],
        "runScheduledWork" => vec![json!({})],
        _ => return None,
    })
}

fn sample_reward() -> Value {
    json!({ "name": "10% off", "active": true, "couponReward": { "percentage": { "configsByTier": [{ "costInPoints": 1, "percentage": 10 }] } } })
}

/// `args` with each `"{name}"` string (at any depth) replaced by the id called `name`.
fn fill(args: &[Value], ids: &BTreeMap<&str, String>) -> Vec<Value> {
    fn one(a: &Value, ids: &BTreeMap<&str, String>) -> Value {
        match a {
            Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), one(v, ids))).collect()),
            _ => match a.as_str().and_then(|s| s.strip_prefix('{')).and_then(|s| s.strip_suffix('}')) {
                Some(name) => json!(ids[name]),
                None => a.clone(),
            },
        }
    }
    args.iter().map(|a| one(a, ids)).collect()
}

#[test]
fn names_are_unique_and_rows_are_complete() {
    let mut names = BTreeSet::new();
    let mut routes = BTreeSet::new();
    for op in OPERATIONS {
        assert!(names.insert(op.name), "{} twice", op.name);
        match &op.rest {
            Some(rest) => {
                assert!(routes.insert((format!("{:?}", rest.verb), rest.path)), "route of {} twice", op.name);
                assert!(
                    rest.fqn.ends_with(&format!(".{}", op.name[..1].to_uppercase() + &op.name[1..]))
                        || op.name == "queryLoyaltyCoupons",
                    "{}: fqn {}",
                    op.name,
                    rest.fqn
                );
                // Every path parameter is an argument's source, and the other way round.
                let params: BTreeSet<&str> =
                    rest.path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect();
                let sources: BTreeSet<&str> = op
                    .args
                    .iter()
                    .filter_map(|a| if let Source::Path(p) = a.source { Some(p) } else { None })
                    .collect();
                assert_eq!(params, sources, "{}", op.name);
            }
            None => assert!(matches!(op.module, Module::Jobs | Module::Refunds), "{} has no REST route", op.name),
        }
        assert!(op.args.iter().filter(|a| a.source == Source::Rest).count() <= 1, "{}", op.name);
    }
    // The SDK's public surface: 65 methods in 10 modules.
    assert_eq!(OPERATIONS.iter().filter(|o| !matches!(o.module, Module::Jobs | Module::Refunds)).count(), 65);
    assert_eq!(operations::EVENTS.len(), 18);
}

/// `mutates`, `ids` and `identity` of every implemented operation, checked against what it does.
#[test]
fn every_implemented_operation_does_what_its_row_says() {
    for op in OPERATIONS.iter().filter(|o| o.start.is_some()) {
        let args = sample(op.name).unwrap_or_else(|| panic!("no sample call of {}", op.name));
        let (mut b, account) = active_with_account();
        b.contacts = None;
        let member = "99999999-0000-4000-8000-000000000001";
        let txn = b.ok(
            "earnPoints",
            &[account.clone().into(), json!({ "amount": 1, "appId": "a", "idempotencyKey": "first" })],
        );
        let job = b.ok("bulkAdjustPoints", &[json!({ "amount": 1 })]);
        let reward = b.ok("createReward", &[sample_reward()]);
        let coupon = b.ok("redeemPointsForCoupon", &[reward["_id"].clone(), json!({ "loyaltyAccountId": account })]);
        let tier = b.ok("createTier", &[json!({ "tierDefinition": { "name": "Gold" }, "requiredPoints": 100 })]);
        let ids = BTreeMap::from([
            ("tier", tier["_id"].as_str().unwrap().to_string()),
            ("reward", reward["_id"].as_str().unwrap().to_string()),
            ("coupon", coupon["coupon"]["_id"].as_str().unwrap().to_string()),
            ("account", account.clone()),
            ("transaction", txn["transactionId"].as_str().unwrap().to_string()),
            ("job", job["asyncJobId"].as_str().unwrap().to_string()),
        ]);
        let args = fill(&args, &ids);
        if op.name.contains("CurrentMember") {
            // A member's own: their account (with points, and a coupon), called as that member.
            let mut m = Backend {
                contacts: Some(Box::new(move |_: &str| input(&json!({ "memberId": member })))),
                ..Backend::default()
            };
            m.ok("activateLoyaltyProgram", &[]);
            let mine = m.ok("createAccount", &[CONTACT_A.into()])["account"]["_id"].clone();
            m.ok("adjustPoints", &[mine.clone(), json!({ "amount": 10 })]);
            let reward = m.ok("createReward", &[sample_reward()]);
            m.ok("redeemPointsForCoupon", &[reward["_id"].clone(), json!({ "loyaltyAccountId": mine })]);
            let args = fill(
                &sample(op.name).unwrap(),
                &BTreeMap::from([("reward", reward["_id"].as_str().unwrap().to_string())]),
            );
            let e = m.call(op.name, &args.iter().map(input).collect::<Vec<_>>()).unwrap_err();
            assert_eq!((e.code, e.reason), (Code::Unauthenticated, Reason::MemberRequired), "{} as an admin", op.name);
            m.caller = Caller::Member(member.into());
            let commits = m.store.commits;
            let answer = m.ok(op.name, &args);
            match op.name {
                "getCurrentMemberAccount" => assert_eq!(answer["account"]["memberId"], member),
                "getCurrentMemberCoupons" => assert_eq!(answer["loyaltyCoupons"][0]["memberId"], member),
                _ => assert_eq!(answer["coupon"]["memberId"], member),
            }
            assert_eq!(m.store.commits > commits, op.mutates, "{}", op.name);
            assert!(wix_loyalty_wasm::core::driver::verify(&m.store).ok, "{} left the store valid", op.name);
            continue;
        }
        // Put the store in a state the operation changes.
        match op.name {
            "disablePointsExpiration" => drop(b.ok("enablePointsExpiration", &[])),
            "activateLoyaltyProgram" => drop(b.ok("pauseLoyaltyProgram", &[])),
            "getTiersProgramSettings" | "updateTiersProgramSettings" => {
                drop(b.ok("createTiersProgramSettings", &[json!({ "rollingWindow": { "durationInMonths": 12 } })]))
            }
            _ => {}
        }
        let commits = b.store.commits;
        let before = b.ids.get();
        let answer = b.call(op.name, &args.iter().map(input).collect::<Vec<_>>());
        let answer = answer.unwrap_or_else(|e| panic!("{} failed: {e}", op.name));
        let _ = answer;
        let committed = b.store.commits > commits;
        // resumeJobs and settleCoupons commit only when something was left half-way, and
        // runScheduledWork when something is due (nothing is here).
        if !matches!(op.name, "resumeJobs" | "settleCoupons" | "runScheduledWork") {
            assert_eq!(committed, op.mutates, "{}: mutates is {} but it committed: {committed}", op.name, op.mutates);
        }
        // The context held exactly `ids` fresh ids (jobs draw more as they go).
        if op.name != "bulkAdjustPoints" {
            assert_eq!(b.ids.get() - before, u64::from(op.ids), "{}", op.name);
        }
        assert!(wix_loyalty_wasm::core::driver::verify(&b.store).ok, "{} left the store valid", op.name);
        // Identity: a member may call only AdminOrMember operations.
        b.caller = Caller::Member(member.into());
        let as_member = b.call(op.name, &args.iter().map(input).collect::<Vec<_>>());
        if op.identity == Identity::Admin {
            let e = as_member.unwrap_err();
            assert_eq!((e.code, e.reason), (Code::PermissionDenied, Reason::AdminOnly), "{}", op.name);
        }
    }
}

#[test]
fn unimplemented_operations_say_so_and_change_nothing() {
    let (mut b, _) = active_with_account();
    let entries = b.store.entries.clone();
    for op in OPERATIONS.iter().filter(|o| o.start.is_none()) {
        let e = b.err(op.name, &[json!("x"), json!({})]);
        assert_eq!((e.code, e.reason), (Code::Unimplemented, Reason::NotImplemented), "{}", op.name);
        assert!(e.description.contains(op.name), "{}", e.description);
        assert_eq!(e.code.http_status(), 501);
    }
    assert_eq!(b.store.entries, entries);
    assert_eq!(b.err("noSuchMethod", &[]).reason, Reason::UnknownOperation);
}

/// The layers of `src/core` (see its module docs), lowest first: a module uses modules of its
/// own layer and lower ones only, and no chain of uses leads back to where it started.
#[test]
fn core_modules_depend_one_way() {
    let layers: [&[&str]; 8] = [
        &["reason", "error", "input", "validate", "time", "small"],
        &["protocol", "attempts"],
        &["records"],
        &["query"],
        &["rules"],
        &["ops", "verify"],
        &["operations"],
        &["driver"],
    ];
    let layer_of = |m: &str| layers.iter().position(|l| l.contains(&m.split("::").next().unwrap_or("")));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/core");
    // Module path ("ops::earn", "records" for records/mod.rs) → its source, without tests.
    let mut sources: BTreeMap<String, String> = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().to_string()).collect();
            if parts.last().map(String::as_str) == Some("mod") {
                parts.pop();
            }
            if parts.is_empty() {
                continue; // core/mod.rs: the module map
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap().to_string();
            sources.insert(parts.join("::"), code);
        }
    }
    let node = |path: &str| -> String {
        // The longest known module a `a::b::c` path starts with.
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| sources.contains_key(m)).unwrap_or_default()
    };
    let ident = |text: &str| -> String {
        text.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect::<String>()
            .trim_end_matches(':')
            .to_string()
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, code) in &sources {
        let parent: Vec<&str> = module.split("::").collect();
        let parent = parent[..parent.len() - 1].join("::");
        let mut used = BTreeSet::new();
        for line in code.lines().map(str::trim) {
            if line.starts_with("pub use ") || line.starts_with("pub mod ") || line.starts_with("//") {
                continue; // re-exports and declarations are not uses
            }
            for (i, _) in line.match_indices("crate::core::") {
                used.insert(node(&ident(&line[i + 13..])));
            }
            for (i, _) in line.match_indices("super::") {
                if i > 0 && line[..i].ends_with("::") {
                    continue;
                }
                let target = ident(&line[i + 7..]);
                let full = if parent.is_empty() { target } else { format!("{parent}::{target}") };
                used.insert(node(&full));
            }
        }
        used.remove(module);
        used.remove("");
        edges.insert(module.clone(), used);
    }
    for (module, used) in &edges {
        let own = layer_of(module).unwrap_or_else(|| panic!("{module} is in no layer"));
        for u in used {
            let layer = layer_of(u).unwrap_or_else(|| panic!("{u} is in no layer"));
            assert!(layer <= own, "{module} (layer {own}) uses {u} (layer {layer}): dependencies must run one way");
        }
    }
    // No circle: a depth-first search finds no edge back into the current path.
    fn visit(m: &str, edges: &BTreeMap<String, BTreeSet<String>>, path: &mut Vec<String>, done: &mut BTreeSet<String>) {
        if let Some(at) = path.iter().position(|p| p == m) {
            panic!("import circle: {} → {m}", path[at..].join(" → "));
        }
        if done.contains(m) {
            return;
        }
        path.push(m.to_string());
        for next in edges.get(m).into_iter().flatten() {
            visit(next, edges, path, done);
        }
        path.pop();
        done.insert(m.to_string());
    }
    let mut done = BTreeSet::new();
    for m in edges.keys() {
        visit(m, &edges, &mut Vec::new(), &mut done);
    }
    assert!(edges.len() > 25, "read the core's modules ({})", edges.len());
    assert!(edges["ops::earn"].contains("rules::ledger"), "uses are found: {:?}", edges["ops::earn"]);
}

/// A store whose commits always conflict, on the first key written.
struct Contended(wix_loyalty_wasm::core::driver::MemoryStore);

impl wix_loyalty_wasm::core::driver::Store for Contended {
    fn read(&mut self, keys: &[String]) -> wix_loyalty_wasm::core::error::Result<Vec<Option<Stored>>> {
        self.0.read(keys)
    }
    fn commit(&mut self, writes: &[Write]) -> wix_loyalty_wasm::core::error::Result<Option<String>> {
        self.0.commits += 1;
        Ok(writes.first().map(|w| w.key.clone()))
    }
    fn scan(&mut self, request: &ScanRequest) -> wix_loyalty_wasm::core::error::Result<Vec<Row>> {
        self.0.scan(request)
    }
}

#[test]
fn a_commit_that_keeps_conflicting_gets_the_policys_attempts_then_aborted() {
    let (mut b, id) = active_with_account();
    let mut op = b.start("adjustPoints", &[s(&id), input(&json!({ "amount": 1 }))]).unwrap();
    let mut store = Contended(b.store.clone());
    let e = op.run(&mut store, &|_| Input::Null).unwrap_err();
    assert_eq!((e.code, e.reason), (Code::Aborted, Reason::TooManyConflicts));
    assert_eq!(e.data()["key"], format!("acct/{id}"));
    assert_eq!(store.0.commits - b.store.commits, attempts::MAX as usize, "one commit per attempt");
    // The table carries the same policy to the JS face.
    let table: Value = serde_json::from_str(&operations::table_json().unwrap()).unwrap();
    assert_eq!(
        table["attempts"],
        json!({ "max": attempts::MAX, "backoffAfter": attempts::BACKOFF_AFTER, "backoffCapMs": attempts::BACKOFF_CAP_MS })
    );
}

#[test]
fn the_table_carries_the_start_flags_the_wasm_face_reads() {
    use wix_loyalty_wasm::core::protocol::{
        FLAGS, FLAG_CONTACTS, FLAG_COUPON_HOOKS, FLAG_EVENTS, FLAG_PACKED, FLAG_VISITOR,
    };
    let table: Value = serde_json::from_str(&operations::table_json().unwrap()).unwrap();
    assert_eq!(
        table["flags"],
        json!({ "contacts": FLAG_CONTACTS, "events": FLAG_EVENTS, "packed": FLAG_PACKED, "couponHooks": FLAG_COUPON_HOOKS, "visitor": FLAG_VISITOR })
    );
    // One bit each, none shared.
    let all = FLAGS.iter().fold(0, |seen, &(name, bit)| {
        assert!(bit.is_power_of_two() && seen & bit == 0, "{name}");
        seen | bit
    });
    assert_eq!(all.count_ones() as usize, FLAGS.len());
    assert_eq!(table["verifyMaxListed"], wix_loyalty_wasm::core::verify::MAX_LISTED);
    assert_eq!(table["programKey"], wix_loyalty_wasm::core::records::keys::PROGRAM);
}
