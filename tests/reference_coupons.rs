//! Native tests of reference coupons from the host's own coupon system (`referenceCoupons`
//! hooks): the redemption's three commits around the `create` hook, every failure and crash
//! between them, `settleCoupons()`, and the invariant that no points are taken without a usable
//! coupon and no usable coupon stays out without its points.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use common::*;
use serde_json::{json, Value};
use wix_loyalty_wasm::core::driver::{verify, Backend, Hooks, Operation, Progress};
use wix_loyalty_wasm::core::error::{Code, LoyaltyError};
use wix_loyalty_wasm::core::input::Input;
use wix_loyalty_wasm::core::reason::Reason;

/// The shop's coupon system, as the hooks see it.
#[derive(Default)]
struct Shop {
    /// reference coupon id → code, for every coupon created (voided ones included).
    created: BTreeMap<String, String>,
    voided: BTreeSet<String>,
    /// create / void calls, in order: (hook, reference id).
    calls: Vec<(String, String)>,
    fail_create: bool,
    fail_void: bool,
    /// A code to give instead of a fresh one.
    code: Option<String>,
}

type SharedShop = Rc<RefCell<Shop>>;

fn hooks(shop: &SharedShop) -> Hooks {
    let shop = shop.clone();
    Rc::new(move |name: &str, payload: &Input| {
        let mut s = shop.borrow_mut();
        let reference = payload.get("referenceCouponId").text().unwrap().to_string();
        s.calls.push((name.to_string(), reference.clone()));
        let answer = match name {
            "create" if s.fail_create => json!({ "error": "the shop is down" }),
            "create" => {
                let n = s.created.len();
                let code = s.code.clone().unwrap_or_else(|| format!("SHOP-{n}"));
                s.created.insert(reference, code.clone());
                json!({ "ok": { "code": code } })
            }
            _ if s.fail_void => json!({ "error": "the shop is down" }),
            _ => {
                s.voided.insert(reference);
                json!({ "ok": null })
            }
        };
        input(&answer)
    })
}

/// A backend with the shop's hooks, an active program, an account of `balance` points and a
/// reward of `cost`.
fn setup(balance: i64, cost: u32) -> (Backend, SharedShop, String, String) {
    let shop = SharedShop::default();
    let mut b = Backend { hooks: Some(hooks(&shop)), ..Backend::default() };
    b.ok("activateLoyaltyProgram", &[]);
    let account = b.ok("createAccount", &[CONTACT_A.into()])["account"]["_id"].as_str().unwrap().to_string();
    b.ok("adjustPoints", &[json!(account), json!({ "balance": balance })]);
    let reward = json!({ "name": "Free shipping", "active": true, "couponReward": { "freeShipping": { "configsByTier": [{ "costInPoints": cost }] } } });
    let reward = b.ok("createReward", &[reward])["_id"].as_str().unwrap().to_string();
    (b, shop, account, reward)
}

fn redeem_args(reward: &str, account: &str, key: Option<&str>) -> Vec<Input> {
    let mut options = json!({ "loyaltyAccountId": account });
    if let Some(k) = key {
        options["idempotencyKey"] = json!(k);
    }
    vec![input(&json!(reward)), input(&options)]
}

fn redeem(b: &mut Backend, reward: &str, account: &str, key: Option<&str>) -> Result<Value, LoyaltyError> {
    b.call("redeemPointsForCoupon", &redeem_args(reward, account, key))
}

fn balance(b: &mut Backend, account: &str) -> i64 {
    b.ok("getAccount", &[json!(account)])["points"]["balance"].as_i64().unwrap()
}

/// Every stored coupon.
fn coupons(b: &Backend) -> Vec<Value> {
    b.store
        .entries
        .iter()
        .filter(|(k, _)| k.starts_with("coupon/"))
        .map(|(_, (v, _))| serde_json::from_str(v).unwrap())
        .collect()
}

/// The promise of the hooks: no points without a usable coupon, no usable coupon without its
/// points (once settled: `settled` says no coupon may be PENDING any more), and verify() clean.
fn assert_kept(b: &Backend, shop: &SharedShop, settled: bool) {
    let shop = shop.borrow();
    let mut owned = BTreeSet::new();
    for c in coupons(b) {
        let reference = c["couponReference"]["couponId"].as_str().unwrap().to_string();
        let usable = shop.created.contains_key(&reference) && !shop.voided.contains(&reference);
        match c["status"].as_str().unwrap() {
            "ACTIVE" => {
                assert!(usable, "an ACTIVE coupon's reference coupon is usable: {c}");
                assert_eq!(c["couponReference"]["code"].as_str(), shop.created.get(&reference).map(String::as_str));
                owned.insert(reference);
            }
            "FAILED" | "ARCHIVED" if c.get("voidPending").is_some() => {
                assert!(!settled, "settled, yet still to void: {c}");
                owned.insert(reference);
            }
            "FAILED" | "ARCHIVED" => {
                assert!(!usable, "a FAILED or refunded coupon's reference coupon is not usable: {c}")
            }
            "PENDING" => {
                assert!(!settled, "settled, yet PENDING: {c}");
                owned.insert(reference);
            }
            other => panic!("unexpected status {other}"),
        }
    }
    for (reference, _) in shop.created.iter().filter(|(r, _)| !shop.voided.contains(*r)) {
        assert!(owned.contains(reference), "usable shop coupon {reference} has no ACTIVE (or unsettled) coupon");
    }
    let report = verify(&b.store);
    assert!(report.ok, "{:?}", report.discrepancies);
}

fn settle(b: &mut Backend, older_than_ms: i64) -> Value {
    b.ok("settleCoupons", &[json!({ "olderThanMs": older_than_ms })])
}

#[test]
fn the_shop_issues_the_code_and_the_points_are_taken_once_it_has() {
    let (mut b, shop, account, reward) = setup(100, 30);
    b.events.clear();
    let coupon = redeem(&mut b, &reward, &account, Some("k1")).unwrap()["coupon"].clone();
    assert_eq!(coupon["status"], "ACTIVE");
    assert_eq!(coupon["couponReference"]["code"], "SHOP-0");
    assert_eq!(balance(&mut b, &account), 70);
    let calls = shop.borrow().calls.clone();
    assert_eq!(calls, [("create".to_string(), coupon["couponReference"]["couponId"].as_str().unwrap().to_string())]);
    let types: Vec<&str> = b.events.iter().map(|e| e["metadata"]["eventType"].as_str().unwrap()).collect();
    assert_eq!(types[0], "wix.loyalty.v1.coupon_created", "announced once it is ACTIVE");
    // A retry answers the same coupon and calls no hook.
    let again = redeem(&mut b, &reward, &account, Some("k1")).unwrap()["coupon"].clone();
    assert_eq!(again, coupon);
    assert_eq!(shop.borrow().calls.len(), 1);
    assert_eq!(balance(&mut b, &account), 70);
    assert_kept(&b, &shop, true);
    assert_eq!(settle(&mut b, 0), json!({ "settled": [], "waiting": 0, "failed": 0 }));
}

#[test]
fn a_failing_create_takes_nothing_voids_and_frees_the_key() {
    let (mut b, shop, account, reward) = setup(100, 30);
    shop.borrow_mut().fail_create = true;
    let e = redeem(&mut b, &reward, &account, Some("k1")).unwrap_err();
    assert_eq!((e.code, e.reason), (Code::Unavailable, Reason::CouponHookFailed));
    assert!(e.description.contains("the shop is down"), "{e}");
    assert_eq!(balance(&mut b, &account), 100);
    let all = coupons(&b);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["status"], "FAILED");
    assert!(all[0].get("voidPending").is_none(), "voided: {}", all[0]);
    assert_eq!(shop.borrow().calls.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(), ["create", "void"]);
    assert_kept(&b, &shop, true);
    // The key of a failed redemption is free again: a retry redeems.
    shop.borrow_mut().fail_create = false;
    let coupon = redeem(&mut b, &reward, &account, Some("k1")).unwrap()["coupon"].clone();
    assert_eq!(coupon["status"], "ACTIVE");
    assert_eq!(balance(&mut b, &account), 70);
    assert_eq!(redeem(&mut b, &reward, &account, Some("k1")).unwrap()["coupon"], coupon, "and now answers it");
    assert_kept(&b, &shop, true);
}

#[test]
fn a_create_that_answers_no_code_fails_the_same_way() {
    let (mut b, shop, account, reward) = setup(100, 30);
    shop.borrow_mut().code = Some(String::new());
    let e = redeem(&mut b, &reward, &account, None).unwrap_err();
    assert_eq!(e.reason, Reason::CouponHookFailed);
    assert!(e.description.contains("code"), "{e}");
    assert_eq!(balance(&mut b, &account), 100);
    assert_kept(&b, &shop, true);
}

/// Runs a redemption step by step, doing `meanwhile` once the step before `at` has run.
fn interrupted(
    b: &mut Backend,
    args: &[Input],
    at: usize,
    meanwhile: impl FnOnce(&mut Backend),
) -> Result<Value, LoyaltyError> {
    let mut op = b.start("redeemPointsForCoupon", args).unwrap();
    let none = |_: &str| Input::Null;
    let mut meanwhile = Some(meanwhile);
    for step in 0.. {
        if step == at {
            if let Some(f) = meanwhile.take() {
                f(b);
            }
        }
        if let Progress::Finished(outcome) = op.advance(&mut b.store, &none) {
            return b.finish(&op, outcome);
        }
    }
    unreachable!()
}

#[test]
fn points_spent_while_the_shop_creates_the_coupon_fail_it_and_void_it() {
    let (mut b, shop, account, reward) = setup(40, 30);
    // Steps: read, reserve (commit), create hook, read again, commit.
    let args = redeem_args(&reward, &account, None);
    let e = interrupted(&mut b, &args, 3, |b| {
        b.ok("adjustPoints", &[json!(account), json!({ "amount": -20 })]);
    })
    .unwrap_err();
    assert_eq!(e.reason, Reason::InsufficientPoints);
    assert_eq!(balance(&mut b, &account), 20, "only the adjustment");
    assert_eq!(shop.borrow().voided.len(), 1, "the shop's coupon was voided");
    assert_kept(&b, &shop, true);
}

#[test]
fn a_reward_changed_while_the_shop_creates_the_coupon_fails_it() {
    let (mut b, shop, account, reward) = setup(100, 30);
    let args = redeem_args(&reward, &account, None);
    let e = interrupted(&mut b, &args, 3, |b| {
        b.ok("updateReward", &[json!(reward), json!({ "name": "Renamed", "revision": "1" })]);
    })
    .unwrap_err();
    assert_eq!(e.reason, Reason::RewardChanged);
    assert_eq!(balance(&mut b, &account), 100);
    assert_kept(&b, &shop, true);
}

#[test]
fn a_code_the_shop_gave_twice_fails_the_second_coupon() {
    let (mut b, shop, account, reward) = setup(100, 30);
    shop.borrow_mut().code = Some("SAME".into());
    redeem(&mut b, &reward, &account, None).unwrap();
    let e = redeem(&mut b, &reward, &account, None).unwrap_err();
    assert_eq!(e.reason, Reason::CouponCodeTaken);
    assert_eq!(balance(&mut b, &account), 70, "the second took nothing");
    // The shop voided the second reference coupon (same code, another id).
    let shop_ref = shop.borrow();
    assert_eq!(shop_ref.voided.len(), 1);
    drop(shop_ref);
    let report = verify(&b.store);
    assert!(report.ok, "{:?}", report.discrepancies);
}

#[test]
fn a_failing_void_is_retried_by_settle_coupons() {
    let (mut b, shop, account, reward) = setup(100, 30);
    shop.borrow_mut().fail_create = true;
    shop.borrow_mut().fail_void = true;
    let e = redeem(&mut b, &reward, &account, None).unwrap_err();
    assert!(e.description.contains("settleCoupons"), "{e}");
    assert_eq!(coupons(&b)[0]["voidPending"], true);
    assert_kept(&b, &shop, false);
    let stuck = settle(&mut b, 0);
    assert_eq!(stuck["failed"], 1, "{stuck}");
    shop.borrow_mut().fail_void = false;
    let settled = settle(&mut b, 0);
    assert_eq!(settled["settled"], json!([coupons(&b)[0]["id"]]));
    assert_eq!(balance(&mut b, &account), 100);
    assert_kept(&b, &shop, true);
    assert_eq!(settle(&mut b, 0)["settled"], json!([]), "settled once");
}

#[test]
fn a_crash_at_any_step_takes_no_points_without_a_usable_coupon_and_settle_coupons_finishes_it() {
    // Steps of a redemption: 0 read, 1 reserve, 2 create hook, 3 read again, 4 the commit.
    for crash_before in 1..=5 {
        let (mut b, shop, account, reward) = setup(100, 30);
        let mut op = b.start("redeemPointsForCoupon", &redeem_args(&reward, &account, Some("k"))).unwrap();
        let none = |_: &str| Input::Null;
        let mut finished = false;
        for _ in 0..crash_before {
            if let Progress::Finished(outcome) = op.advance(&mut b.store, &none) {
                outcome.unwrap();
                finished = true;
            }
        }
        drop(op); // the process dies here
        assert_kept(&b, &shop, false);
        let paid = balance(&mut b, &account) == 70;
        assert_eq!(paid, finished, "crash before step {crash_before}: points taken only by a finished redemption");
        // A retry meanwhile is told to wait, or answers the coupon.
        let retry = redeem(&mut b, &reward, &account, Some("k"));
        match (crash_before, &retry) {
            (1, Ok(_)) => {} // nothing was committed: the retry redeems
            (2..=4, Err(e)) => assert_eq!((e.code, e.reason), (Code::Aborted, Reason::RedemptionInProgress)),
            (5, Ok(v)) => assert_eq!(v["coupon"]["status"], "ACTIVE"),
            other => panic!("crash before step {crash_before}: retry {other:?}"),
        }
        // A young PENDING coupon waits; an old one is failed and its reference coupon voided.
        let young = settle(&mut b, 60_000);
        assert_eq!(young["settled"], json!([]));
        b.now_ms += 60_001;
        let settled = settle(&mut b, 60_000);
        assert_kept(&b, &shop, true);
        let expected = usize::from((2..=4).contains(&crash_before));
        assert_eq!(
            settled["settled"].as_array().unwrap().len(),
            expected,
            "crash before step {crash_before}: {settled}"
        );
        // With the failed one settled, the key redeems again (or answers its coupon).
        let last = redeem(&mut b, &reward, &account, Some("k")).unwrap();
        assert_eq!(last["coupon"]["status"], "ACTIVE");
        assert_eq!(balance(&mut b, &account), 70, "crash before step {crash_before}: one redemption paid in the end");
        assert_kept(&b, &shop, true);
    }
}

#[test]
fn settle_coupons_racing_a_slow_redemption_leaves_no_usable_coupon_without_points() {
    let (mut b, shop, account, reward) = setup(100, 30);
    let args = redeem_args(&reward, &account, None);
    // After the create hook (step 2), settleCoupons fails the coupon and voids its reference.
    let e = interrupted(&mut b, &args, 3, |b| {
        b.now_ms += 120_000;
        b.ok("settleCoupons", &[json!({})]);
    })
    .unwrap_err();
    assert_eq!(e.reason, Reason::RedemptionFailed);
    assert_eq!(balance(&mut b, &account), 100);
    assert!(shop.borrow().calls.iter().filter(|c| c.0 == "void").count() >= 1);
    assert_kept(&b, &shop, true);
}

#[test]
fn two_hundred_concurrent_redemptions_through_the_hooks_take_exactly_the_affordable_ones() {
    let (mut b, shop, account, reward) = setup(1000, 10);
    let none = |_: &str| Input::Null;
    let mut ops: Vec<Operation> =
        (0..200).map(|_| b.start("redeemPointsForCoupon", &redeem_args(&reward, &account, None)).unwrap()).collect();
    let mut rng = Rng(7);
    let (mut ok, mut refused) = (0, 0);
    while !ops.is_empty() {
        let i = rng.below(ops.len());
        if let Progress::Finished(outcome) = ops[i].advance(&mut b.store, &none) {
            let op = ops.swap_remove(i);
            match b.finish(&op, outcome) {
                Ok(_) => ok += 1,
                Err(e) => {
                    assert_eq!(e.reason, Reason::InsufficientPoints, "{e}");
                    refused += 1;
                }
            }
        }
    }
    assert_eq!((ok, refused), (100, 100));
    assert_eq!(balance(&mut b, &account), 0);
    assert_kept(&b, &shop, true);
}

#[test]
fn without_hooks_settle_coupons_has_nothing_to_do() {
    let mut b = Backend::default();
    assert_eq!(b.ok("settleCoupons", &[]), json!({ "settled": [], "waiting": 0, "failed": 0 }));
    let e = b.err("settleCoupons", &[json!({ "olderThanMs": -1 })]);
    assert_eq!(e.code, Code::InvalidArgument);
}

#[test]
fn settle_coupons_fails_a_coupon_before_voiding_it_so_a_redemption_cannot_slip_in_between() {
    let (mut b, shop, account, reward) = setup(100, 30);
    let none = |_: &str| Input::Null;
    let mut redemption = b.start("redeemPointsForCoupon", &redeem_args(&reward, &account, None)).unwrap();
    for _ in 0..3 {
        // read, reserve, create hook
        assert!(matches!(redemption.advance(&mut b.store, &none), Progress::Pending));
    }
    b.now_ms += 120_000;
    let mut settler = b.start("settleCoupons", &[input(&json!({}))]).unwrap();
    while shop.borrow().voided.is_empty() {
        assert!(matches!(settler.advance(&mut b.store, &none), Progress::Pending), "settle stopped before voiding");
    }
    // The shop's coupon is void; the slow redemption now tries to take the points.
    let outcome = loop {
        if let Progress::Finished(outcome) = redemption.advance(&mut b.store, &none) {
            break outcome;
        }
    };
    assert_eq!(b.finish(&redemption, outcome).unwrap_err().reason, Reason::RedemptionFailed);
    let outcome = loop {
        if let Progress::Finished(outcome) = settler.advance(&mut b.store, &none) {
            break outcome;
        }
    };
    b.finish(&settler, outcome).unwrap();
    assert_eq!(balance(&mut b, &account), 100);
    assert_kept(&b, &shop, true);
}

#[test]
fn a_refund_voids_the_shop_coupon_and_settle_coupons_finishes_a_refund_cut_short() {
    let (mut b, shop, account, reward) = setup(100, 30);
    let coupon = redeem(&mut b, &reward, &account, None).unwrap()["coupon"].clone();
    let refunded = b.ok("refundLoyaltyCoupon", &[coupon["_id"].clone()]);
    assert_eq!(refunded["coupon"]["status"], "ARCHIVED");
    assert_eq!(balance(&mut b, &account), 100);
    assert_eq!(shop.borrow().voided.len(), 1, "the shop's coupon was voided");
    assert_kept(&b, &shop, true);
    assert_eq!(b.ok("refundLoyaltyCoupon", &[coupon["_id"].clone()])["transactionId"], refunded["transactionId"]);

    // A void that fails: the refund stands, settleCoupons() voids it later.
    let second = redeem(&mut b, &reward, &account, None).unwrap()["coupon"].clone();
    shop.borrow_mut().fail_void = true;
    b.ok("refundLoyaltyCoupon", &[second["_id"].clone()]);
    assert_eq!(balance(&mut b, &account), 100);
    assert_kept(&b, &shop, false);
    shop.borrow_mut().fail_void = false;
    assert_eq!(settle(&mut b, 60_000)["settled"], json!([]), "listed too recently");
    b.now_ms += 60_001;
    assert_eq!(settle(&mut b, 60_000)["settled"], json!([second["_id"]]));
    assert_kept(&b, &shop, true);

    // A process that dies after the refund's commit, before the void.
    let third = redeem(&mut b, &reward, &account, None).unwrap()["coupon"].clone();
    let mut op = b.start("refundLoyaltyCoupon", &[input(&third["_id"])]).unwrap();
    let none = |_: &str| Input::Null;
    for _ in 0..3 {
        // read the coupon, read the account, commit
        assert!(matches!(op.advance(&mut b.store, &none), Progress::Pending));
    }
    drop(op);
    assert_eq!(balance(&mut b, &account), 100);
    assert_kept(&b, &shop, false);
    b.now_ms += 60_001;
    assert_eq!(settle(&mut b, 60_000)["settled"], json!([third["_id"]]));
    assert_kept(&b, &shop, true);

    // A refund at the very time of its redemption (a clock that did not move, or lags) lists the
    // coupon after its first entry, not on it.
    let fourth = redeem(&mut b, &reward, &account, None).unwrap()["coupon"].clone();
    b.now_ms = fourth["_createdDate"].as_i64().unwrap() - 5;
    b.ok("refundLoyaltyCoupon", &[fourth["_id"].clone()]);
    assert_kept(&b, &shop, true);
}

/// A redemption of `reward` from `account`, started and advanced `steps` I/O steps (0 read,
/// 1 reserve, 2 create, 3 read again, 4 commit).
fn started(b: &mut Backend, reward: &str, account: &str, steps: usize) -> Operation {
    let none = |_: &str| Input::Null;
    let mut op = b.start("redeemPointsForCoupon", &redeem_args(reward, account, None)).unwrap();
    for _ in 0..steps {
        assert!(matches!(op.advance(&mut b.store, &none), Progress::Pending));
    }
    op
}

fn finish(b: &mut Backend, mut op: Operation) -> Result<Value, LoyaltyError> {
    let none = |_: &str| Input::Null;
    loop {
        if let Progress::Finished(outcome) = op.advance(&mut b.store, &none) {
            return b.finish(&op, outcome);
        }
    }
}

#[test]
fn settle_coupons_never_moves_past_a_coupon_an_earlier_redemption_lists_late() {
    let (mut b, shop, account, reward) = setup(100, 10);
    let none = |_: &str| Input::Null;
    // X starts first, and only reads; Y starts later and finishes (ACTIVE), listed after X's time.
    let mut x = b.start("redeemPointsForCoupon", &redeem_args(&reward, &account, None)).unwrap();
    assert!(matches!(x.advance(&mut b.store, &none), Progress::Pending));
    redeem(&mut b, &reward, &account, None).unwrap();
    assert_eq!(settle(&mut b, 60_000)["settled"], json!([]));
    // X now lists itself (at its start time, before Y's entry), gets its shop coupon, and dies.
    for _ in 0..2 {
        assert!(matches!(x.advance(&mut b.store, &none), Progress::Pending));
    }
    drop(x);
    b.now_ms += 120_000;
    assert_eq!(settle(&mut b, 60_000)["settled"].as_array().unwrap().len(), 1, "X's coupon was not skipped");
    assert_kept(&b, &shop, true);
}

#[test]
fn a_redemption_whose_coupon_was_settled_under_it_voids_again_and_lists_it_if_that_fails() {
    let (mut b, shop, account, reward) = setup(100, 10);
    let x = started(&mut b, &reward, &account, 2);
    b.now_ms += 120_000;
    assert_eq!(settle(&mut b, 60_000)["settled"].as_array().unwrap().len(), 1, "failed and voided before create ran");
    shop.borrow_mut().fail_void = true;
    let e = finish(&mut b, x).unwrap_err();
    assert_eq!(e.reason, Reason::RedemptionFailed);
    assert_kept(&b, &shop, false); // the shop coupon create made is still usable, and listed
    shop.borrow_mut().fail_void = false;
    b.now_ms += 120_000;
    assert_eq!(settle(&mut b, 60_000)["settled"].as_array().unwrap().len(), 1);
    assert_eq!(balance(&mut b, &account), 100);
    assert_kept(&b, &shop, true);
}

#[test]
fn a_repeated_transaction_id_while_taking_the_points_fails_the_coupon_and_voids_it() {
    let (mut b, shop, account, reward) = setup(100, 10);
    let x = started(&mut b, &reward, &account, 3);
    // The id generator gave the transaction id of the coupon to another transaction meanwhile.
    let pending = coupons(&b).pop().unwrap();
    let taken = format!("txn/{}", pending["transactionId"].as_str().unwrap());
    b.store.entries.insert(taken.clone(), ("{}".into(), 1));
    let e = finish(&mut b, x).unwrap_err();
    assert_eq!(e.reason, Reason::IdCollision);
    b.store.entries.remove(&taken);
    assert_eq!(balance(&mut b, &account), 100);
    assert_kept(&b, &shop, true);
}

#[test]
fn a_pending_coupon_cannot_be_deleted() {
    let (mut b, _shop, account, reward) = setup(100, 10);
    let x = started(&mut b, &reward, &account, 2);
    let pending = coupons(&b).pop().unwrap();
    let e = b.err("deleteLoyaltyCoupon", &[pending["id"].clone(), json!("1")]);
    assert_eq!((e.code, e.reason), (Code::Aborted, Reason::RedemptionInProgress));
    assert_eq!(finish(&mut b, x).unwrap()["coupon"]["status"], "ACTIVE");
}

#[test]
fn two_refunds_of_a_host_coupon_racing_give_its_points_back_once() {
    let (mut b, shop, account, reward) = setup(100, 30);
    let coupon = redeem(&mut b, &reward, &account, None).unwrap()["coupon"].clone();
    let none = |_: &str| Input::Null;
    // Both at the same instant (so both list the coupon under the same entry); the second reads
    // the coupon before the first commits, and the account after.
    let at = b.now_ms;
    let first = b.start("refundLoyaltyCoupon", &[input(&coupon["_id"])]).unwrap();
    b.now_ms = at;
    let mut second = b.start("refundLoyaltyCoupon", &[input(&coupon["_id"])]).unwrap();
    assert!(matches!(second.advance(&mut b.store, &none), Progress::Pending));
    let a = finish(&mut b, first).unwrap();
    let c = finish(&mut b, second).unwrap();
    assert_eq!(a["transactionId"], c["transactionId"], "the second answers the first's refund");
    assert_eq!(balance(&mut b, &account), 100);
    assert_kept(&b, &shop, true);
}

#[test]
fn a_tier_change_while_the_shop_creates_the_coupon_fails_it_at_the_old_price() {
    let (mut b, shop, account, _) = setup(100, 30);
    // Gold (at 50 points) pays 10 for a reward whose base price is 30.
    let gold = b.ok("createTier", &[json!({ "tierDefinition": { "name": "Gold" }, "requiredPoints": 50 })]);
    b.ok("createTiersProgramSettings", &[json!({ "rollingWindow": { "durationInMonths": 12 }, "status": "ACTIVE" })]);
    let priced = json!({ "name": "Gold ship", "active": true, "couponReward": { "freeShipping": { "configsByTier": [{ "costInPoints": 30 }, { "costInPoints": 10, "tierId": gold["_id"] }] } } });
    let reward = b.ok("createReward", &[priced])["_id"].as_str().unwrap().to_string();
    b.ok("adjustPoints", &[json!(account), json!({ "amount": 1 })]); // worked out: Gold
    let args = redeem_args(&reward, &account, None);
    // While the shop creates the coupon (priced 10 at Gold), Gold moves out of reach.
    let e = interrupted(&mut b, &args, 3, |b| {
        b.ok("updateTier", &[gold["_id"].clone(), json!({ "revision": "1", "requiredPoints": 5000 })]);
    })
    .unwrap_err();
    assert_eq!(e.reason, Reason::RewardChanged, "{e}");
    assert_eq!(balance(&mut b, &account), 101, "nothing taken at a price no longer the account's");
    assert_kept(&b, &shop, true);
    // Redeemed again, it pays the base price.
    redeem(&mut b, &reward, &account, None).unwrap();
    assert_eq!(balance(&mut b, &account), 71);
}
