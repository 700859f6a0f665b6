//! Native tests of redemption and coupons (spec §2.5, §3.5): what a redemption writes, what it
//! refuses, retries with an idempotency key, a reward changed between the read and the commit,
//! codes, reads, deletes, and verify() on coupons.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::{json, Value};
use wix_loyalty_wasm::core::driver::{verify, Backend, Operation, Progress, Store};
use wix_loyalty_wasm::core::error::Code;
use wix_loyalty_wasm::core::input::Input;
use wix_loyalty_wasm::core::protocol::Caller;
use wix_loyalty_wasm::core::reason::Reason;

const MEMBER: &str = "99999999-0000-4000-8000-000000000001";

fn percent(cost: u32) -> Value {
    json!({ "name": "10% off", "active": true, "couponReward": { "percentage": { "configsByTier": [{ "costInPoints": cost, "percentage": 10 }] }, "scope": { "namespace": "stores", "group": { "name": "product", "entityId": "p-1" } }, "limitedToOneItem": true } })
}

/// An active program, an account of a member with `balance` points, and a reward of `cost`.
fn setup(balance: i64, cost: u32) -> (Backend, String, String) {
    let mut b =
        Backend { contacts: Some(Box::new(|_: &str| input(&json!({ "memberId": MEMBER })))), ..Backend::default() };
    b.ok("activateLoyaltyProgram", &[]);
    let account = b.ok("createAccount", &[CONTACT_A.into()])["account"]["_id"].as_str().unwrap().to_string();
    if balance > 0 {
        b.ok("adjustPoints", &[json!(account), json!({ "balance": balance })]);
    }
    let reward = b.ok("createReward", &[percent(cost)])["_id"].as_str().unwrap().to_string();
    (b, account, reward)
}

fn redeem(b: &mut Backend, reward: &str, account: &str) -> Result<Value, wix_loyalty_wasm::core::error::LoyaltyError> {
    b.op("redeemPointsForCoupon", &[json!(reward), json!({ "loyaltyAccountId": account })])
}

fn account_of(b: &mut Backend, id: &str) -> Value {
    b.ok("getAccount", &[json!(id)])
}

#[test]
fn a_redemption_takes_the_points_records_them_and_issues_the_coupon() {
    let (mut b, account, reward) = setup(100, 30);
    b.events.clear();
    b.now_ms += 5000;
    let at = b.now_ms + 1;
    let coupon = redeem(&mut b, &reward, &account).unwrap()["coupon"].clone();
    let a = account_of(&mut b, &account);
    assert_eq!(a["points"], json!({ "balance": 70, "earned": 0, "adjusted": 100, "redeemed": 30, "expired": 0 }));
    assert_eq!(a["revision"], "3");
    assert_eq!(a["tier"]["points"], 100, "spending points does not lower tier points");

    assert_eq!(coupon["accountId"], account.as_str());
    assert_eq!(coupon["memberId"], MEMBER);
    assert_eq!(coupon["memberIdDeprecated"], MEMBER);
    assert_eq!(coupon["status"], "ACTIVE");
    assert_eq!(coupon["rewardName"], "10% off");
    assert_eq!(coupon["revision"], "1");
    assert_eq!(coupon["_createdDate"], at);
    let reference = &coupon["couponReference"];
    let code = reference["code"].as_str().unwrap();
    assert!(code.len() == 18 && code.starts_with("LOY-"), "{code}");
    assert_eq!(reference["name"], "10% off");
    assert_eq!(reference["deleted"], false);
    assert_eq!(
        reference["specification"],
        json!({ "percentOffRate": 10.0, "scope": { "namespace": "stores", "name": "product", "entityId": "p-1" }, "name": "10% off", "type": "PERCENT_OFF_RATE", "limitedToOneItem": true })
    );

    let txn = b.ok("getLoyaltyTransaction", &[coupon["transactionId"].clone()]);
    assert_eq!(txn["transactionType"], "REDEEM");
    assert_eq!(txn["amount"], -30);
    assert_eq!(txn["description"], "10% off");
    assert_eq!(
        txn["redeemInfo"],
        json!({ "rewardId": reward, "rewardType": "COUPON_REWARD", "referenceEntityId": reference["couponId"] })
    );
    assert_eq!(b.ok("getLoyaltyCoupon", &[coupon["_id"].clone()]), coupon);

    let kinds: Vec<&str> = b.events.iter().map(|e| e["metadata"]["eventType"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["wix.loyalty.v1.coupon_created", "wix.loyalty.v1.account_points_updated", "wix.loyalty.v1.account_updated"]
    );
    assert_eq!(b.events[0]["entity"], coupon);
    assert_eq!(b.events[1]["data"]["account"]["points"]["redeemed"], 30);
    assert!(verify(&b.store).ok, "{:?}", verify(&b.store).discrepancies);
    assert_consistent(&mut b, &account);
}

#[test]
fn each_coupon_kind_gives_its_specification() {
    for (details, spec) in [
        (
            json!({ "fixedAmount": { "configsByTier": [{ "costInPoints": 1, "amount": 7.5 }] }, "minimumSubtotal": 40 }),
            json!({ "moneyOffAmount": 7.5, "minimumSubtotal": 40.0, "name": "R", "type": "MONEY_OFF_AMOUNT" }),
        ),
        (
            json!({ "freeShipping": { "configsByTier": [{ "costInPoints": 1 }] }, "scope": { "namespace": "pricingPlans" }, "appliesToSubscriptions": true, "discountedCycleCount": 3 }),
            json!({ "freeShipping": true, "scope": { "namespace": "pricingPlans" }, "name": "R", "type": "FREE_SHIPPING", "appliesToSubscriptions": true, "discountedCycleCount": 3 }),
        ),
    ] {
        let (mut b, account, _) = setup(5, 1);
        let reward =
            b.ok("createReward", &[json!({ "name": "R", "active": true, "couponReward": details })])["_id"].clone();
        let coupon = redeem(&mut b, reward.as_str().unwrap(), &account).unwrap();
        assert_eq!(coupon["coupon"]["couponReference"]["specification"], spec);
    }
}

#[test]
fn refused_redemptions_take_nothing() {
    let (mut b, account, reward) = setup(20, 30);
    let commits = b.store.commits;
    let e = redeem(&mut b, &reward, &account).unwrap_err();
    assert_eq!((e.code, e.reason), (Code::FailedPrecondition, Reason::InsufficientPoints));
    assert_eq!(e.data()["balance"], 20);

    let unknown = "00000000-0000-4000-8000-00000000dead";
    assert_eq!(redeem(&mut b, unknown, &account).unwrap_err().reason, Reason::RewardNotFound);
    assert_eq!(redeem(&mut b, &reward, unknown).unwrap_err().reason, Reason::AccountNotFound);
    let cheap = b.ok(
        "createReward",
        &[json!({ "name": "off", "couponReward": { "freeShipping": { "configsByTier": [{ "costInPoints": 1 }] } } })],
    );
    let e = redeem(&mut b, cheap["_id"].as_str().unwrap(), &account).unwrap_err();
    assert_eq!(
        (e.code, e.reason),
        (Code::FailedPrecondition, Reason::RewardNotActive),
        "a reward is inactive unless activated"
    );
    let discount = b.ok("createReward", &[json!({ "name": "5 off", "active": true, "discountAmount": { "configsByTier": [{ "costInPoints": 1, "amount": "5" }] } })]);
    assert_eq!(
        redeem(&mut b, discount["_id"].as_str().unwrap(), &account).unwrap_err().reason,
        Reason::RewardNotACoupon
    );
    let commits_after_rewards = b.store.commits;
    assert_eq!(
        commits_after_rewards,
        commits + 3,
        "only the two rewards were written, and the discount's lower price ran one batch of availability"
    );

    b.ok("pauseLoyaltyProgram", &[]);
    let small = b.ok("createReward", &[percent(1)])["_id"].as_str().unwrap().to_string();
    assert_eq!(redeem(&mut b, &small, &account).unwrap_err().reason, Reason::ProgramNotActive);
    b.ok("activateLoyaltyProgram", &[]);
    let mut bad = violations_of(b.err("redeemPointsForCoupon", &[json!("r"), json!({})]));
    bad.sort();
    assert_eq!(
        bad,
        [("options.loyaltyAccountId".to_string(), "REQUIRED_FIELD"), ("rewardId".to_string(), "INVALID_GUID")]
    );
    let a = account_of(&mut b, &account);
    assert_eq!((a["points"]["balance"].as_i64(), a["revision"].as_str()), (Some(20), Some("2")));
    assert!(b.ok("queryLoyaltyCoupons", &[json!({})])["loyaltyCoupons"].as_array().unwrap().is_empty());
    assert!(verify(&b.store).ok);
}

fn violations_of(e: wix_loyalty_wasm::core::error::LoyaltyError) -> Vec<(String, &'static str)> {
    e.violations.iter().map(|v| (v.field.clone(), v.rule_name.as_str())).collect()
}

#[test]
fn a_retry_with_the_same_key_answers_the_first_coupon_and_charges_once() {
    let (mut b, account, reward) = setup(100, 30);
    let args = [json!(reward), json!({ "loyaltyAccountId": account, "idempotencyKey": "order-7" })];
    let first = b.ok("redeemPointsForCoupon", &args);
    let commits = b.store.commits;
    let again = b.ok("redeemPointsForCoupon", &args);
    assert_eq!(again, first, "the same coupon, as first answered");
    assert_eq!(b.store.commits, commits, "nothing written");
    assert_eq!(account_of(&mut b, &account)["points"]["balance"], 70);
    let other = b.ok("createReward", &[percent(1)])["_id"].clone();
    let reused = [other.clone(), json!({ "loyaltyAccountId": account, "idempotencyKey": "order-7" })];
    let e = b.err("redeemPointsForCoupon", &reused);
    assert_eq!((e.code, e.reason), (Code::FailedPrecondition, Reason::IdempotencyKeyReused));
    // Keys belong to their account: another account's "order-7" is its own.
    b.contacts = None; // (the resolver names one member for every contact)
    let second = b.ok("createAccount", &[CONTACT_B.into()])["account"]["_id"].as_str().unwrap().to_string();
    b.ok("adjustPoints", &[json!(second), json!({ "amount": 5 })]);
    let theirs =
        b.ok("redeemPointsForCoupon", &[other, json!({ "loyaltyAccountId": second, "idempotencyKey": "order-7" })]);
    assert_ne!(theirs["coupon"]["_id"], first["coupon"]["_id"]);
    assert_eq!(theirs["coupon"]["accountId"], second.as_str());
    // A refused redemption does not use up its key.
    let dear = b.ok("createReward", &[percent(1000)])["_id"].clone();
    let args = [dear, json!({ "loyaltyAccountId": account, "idempotencyKey": "order-8" })];
    assert_eq!(b.err("redeemPointsForCoupon", &args).reason, Reason::InsufficientPoints);
    b.ok("adjustPoints", &[json!(account), json!({ "amount": 1000 })]);
    assert_eq!(b.ok("redeemPointsForCoupon", &args)["coupon"]["status"], "ACTIVE");
    assert!(verify(&b.store).ok);
}

/// Starts a redemption and performs its read only.
fn read_only(b: &mut Backend, reward: &str, account: &str) -> Operation {
    let args: Vec<Input> = [json!(reward), json!({ "loyaltyAccountId": account })].iter().map(input).collect();
    let mut op = b.start("redeemPointsForCoupon", &args).unwrap();
    if let Progress::Finished(r) = op.advance(&mut b.store, &|_| Input::Null) {
        panic!("the read ended the redemption: {:?}", r.map(|o| o.result));
    }
    op
}

fn finish(b: &mut Backend, mut op: Operation) -> Result<Value, wix_loyalty_wasm::core::error::LoyaltyError> {
    let outcome = op.run(&mut b.store, &|_| Input::Null);
    b.finish(&op, outcome)
}

#[test]
fn a_reward_changed_after_the_read_reprices_or_refuses() {
    let (mut b, account, reward) = setup(100, 30);
    // Repriced between the read and the commit: the commit is refused, the price read again.
    let op = read_only(&mut b, &reward, &account);
    b.ok("updateReward", &[json!(reward), json!({ "name": "dearer", "revision": "1", "couponReward": { "percentage": { "configsByTier": [{ "costInPoints": 45, "percentage": 10 }] } } })]);
    let coupon = finish(&mut b, op).unwrap();
    assert_eq!(coupon["coupon"]["rewardName"], "dearer");
    assert_eq!(account_of(&mut b, &account)["points"]["balance"], 55, "charged the new price");

    // Deactivated, then deleted, between the read and the commit: refused, nothing taken.
    let op = read_only(&mut b, &reward, &account);
    b.ok("updateReward", &[json!(reward), json!({ "name": "dearer", "revision": "2", "active": false })]);
    assert_eq!(finish(&mut b, op).unwrap_err().reason, Reason::RewardNotActive);
    b.ok("updateReward", &[json!(reward), json!({ "name": "dearer", "revision": "3", "active": true })]);
    let op = read_only(&mut b, &reward, &account);
    b.ok("deleteReward", &[json!(reward), json!("4")]);
    assert_eq!(finish(&mut b, op).unwrap_err().reason, Reason::RewardNotFound);
    assert_eq!(account_of(&mut b, &account)["points"]["balance"], 55);

    // The balance spent elsewhere between the read and the commit: refused.
    let cheap = b.ok("createReward", &[percent(50)])["_id"].as_str().unwrap().to_string();
    let op = read_only(&mut b, &cheap, &account);
    b.ok("adjustPoints", &[json!(account), json!({ "amount": -10 })]);
    assert_eq!(finish(&mut b, op).unwrap_err().reason, Reason::InsufficientPoints);
    assert!(verify(&b.store).ok);
}

#[test]
fn a_taken_code_draws_another() {
    let (mut b, account, reward) = setup(100, 1);
    let first =
        redeem(&mut b, &reward, &account).unwrap()["coupon"]["couponReference"]["code"].as_str().unwrap().to_string();
    // The next redemption's reference id would give the same code: take it under that code first.
    let ids = b.ids.get();
    let op = {
        let args: Vec<Input> = [json!(reward), json!({ "loyaltyAccountId": account })].iter().map(input).collect();
        b.start("redeemPointsForCoupon", &args).unwrap()
    };
    let reference = wix_loyalty_wasm::core::driver::guid(ids + 3);
    let code = wix_loyalty_wasm::core::records::coupon::code_of(&reference);
    let taken = format!(r#"{{"schema":1,"couponId":"{}"}}"#, wix_loyalty_wasm::core::driver::guid(999));
    b.store.commit(&[wix_loyalty_wasm::core::protocol::Write::put(format!("coupon-code/{code}"), taken, 0)]).unwrap();
    let second = finish(&mut b, op).unwrap()["coupon"]["couponReference"]["code"].as_str().unwrap().to_string();
    assert_eq!(b.ids.get(), ids + 4, "the taken code made the redemption draw one more id");
    assert_ne!(second, code, "a fresh id gave another code");
    assert_ne!(second, first);
    assert_eq!(account_of(&mut b, &account)["points"]["redeemed"], 2, "charged once each");
}

#[test]
fn members_redeem_and_read_their_own_coupons_only() {
    let (mut b, account, reward) = setup(100, 10);
    b.caller = Caller::Member(MEMBER.into());
    let mine = b.ok("redeemCurrentMemberPointsForCoupon", &[json!(reward)]);
    assert_eq!(mine["coupon"]["accountId"], account.as_str());
    let keyed = [json!(reward), json!({ "idempotencyKey": "m-1" })];
    let once = b.ok("redeemCurrentMemberPointsForCoupon", &keyed);
    assert_eq!(b.ok("redeemCurrentMemberPointsForCoupon", &keyed), once);
    let listed = b.ok("getCurrentMemberCoupons", &[]);
    let ids: Vec<&Value> = listed["loyaltyCoupons"].as_array().unwrap().iter().map(|c| &c["_id"]).collect();
    assert_eq!(ids.len(), 2);
    for op in ["getLoyaltyCoupon", "queryLoyaltyCoupons", "deleteLoyaltyCoupon", "redeemPointsForCoupon"] {
        assert_eq!(b.err(op, &[mine["coupon"]["_id"].clone(), json!({})]).code, Code::PermissionDenied, "{op}");
    }
    // Another member has no account: nothing to redeem from, nothing listed.
    b.caller = Caller::Member("99999999-0000-4000-8000-000000000002".into());
    assert_eq!(b.err("redeemCurrentMemberPointsForCoupon", &[json!(reward)]).reason, Reason::AccountNotFound);
    assert_eq!(b.err("getCurrentMemberCoupons", &[]).reason, Reason::AccountNotFound);
    b.caller = Caller::Admin;
    assert_eq!(b.err("getCurrentMemberCoupons", &[]).reason, Reason::MemberRequired);
    assert_eq!(account_of(&mut b, &account)["points"]["balance"], 80);
}

#[test]
fn coupons_query_delete_and_bulk_get() {
    let (mut b, account, reward) = setup(100, 10);
    let mut made = Vec::new();
    for _ in 0..4 {
        b.now_ms += 1;
        made.push(redeem(&mut b, &reward, &account).unwrap()["coupon"].clone());
    }
    let page = b.ok("queryLoyaltyCoupons", &[json!({ "filter": { "accountId": account }, "sort": [{ "fieldName": "_createdDate", "order": "DESC" }], "cursorPaging": { "limit": 3 } })]);
    let ids: Vec<&Value> = page["loyaltyCoupons"].as_array().unwrap().iter().map(|c| &c["_id"]).collect();
    assert_eq!(ids, [&made[3]["_id"], &made[2]["_id"], &made[1]["_id"]]);
    assert_eq!(page["metadata"]["count"], 3, "the paging object is `metadata`");
    let next = page["metadata"]["cursors"]["next"].clone();
    let rest = b.ok("queryLoyaltyCoupons", &[json!({ "cursorPaging": { "cursor": next } })]);
    assert_eq!(rest["loyaltyCoupons"][0]["_id"], made[0]["_id"]);
    assert_eq!(rest["metadata"]["total"], 4);
    let by_code = b.ok(
        "queryLoyaltyCoupons",
        &[json!({ "filter": { "couponReference.code": made[2]["couponReference"]["code"] } })],
    );
    assert_eq!(by_code["loyaltyCoupons"].as_array().unwrap().len(), 1);

    let e = b.err("deleteLoyaltyCoupon", &[made[0]["_id"].clone(), json!("2")]);
    assert_eq!((e.code, e.reason), (Code::Aborted, Reason::RevisionMismatch));
    b.events.clear();
    assert_eq!(b.ok("deleteLoyaltyCoupon", &[made[0]["_id"].clone(), json!("1")]), Value::Null);
    assert_eq!(b.events[0]["metadata"]["eventType"], "wix.loyalty.v1.coupon_deleted");
    assert_eq!(b.err("getLoyaltyCoupon", &[made[0]["_id"].clone()]).reason, Reason::CouponNotFound);
    let all = b.ok("bulkGetLoyaltyCoupon", &[json!({})]);
    assert_eq!(all["couponsInSite"][0]["loyaltyCoupons"].as_array().unwrap().len(), 3, "deleted coupons are gone");
    assert_eq!(account_of(&mut b, &account)["points"]["redeemed"], 40, "deleting a coupon refunds nothing");
    assert!(verify(&b.store).ok, "{:?}", verify(&b.store).discrepancies);
}

#[test]
fn verify_finds_coupons_and_redemptions_that_do_not_match() {
    let (mut b, account, reward) = setup(100, 10);
    let coupon = redeem(&mut b, &reward, &account).unwrap()["coupon"].clone();
    let key = format!("coupon/{}", coupon["_id"].as_str().unwrap());
    let good = b.store.entries[&key].clone();
    // A coupon whose price was altered, then one that is gone.
    let altered = good.0.replace("\"cost\":10", "\"cost\":11");
    b.store.entries.insert(key.clone(), (altered, good.1));
    let codes: Vec<String> = verify(&b.store).discrepancies.iter().map(|d| d.code.to_string()).collect();
    assert_eq!(codes, ["COUPON_REDEEM_MISMATCH"]);
    b.store.entries.remove(&key);
    let codes: Vec<String> = verify(&b.store).discrepancies.iter().map(|d| d.code.to_string()).collect();
    assert_eq!(
        codes,
        ["REDEEM_WITHOUT_COUPON", "ORPHAN_COUPON_INDEX", "ORPHAN_COUPON_INDEX"],
        "its indexes name nothing now"
    );
    b.store.entries.insert(key, good);
    // points.redeemed that its ledger does not give.
    let account_key = format!("acct/{account}");
    let (text, version) = b.store.entries[&account_key].clone();
    let text = text.replace("\"redeemed\":10", "\"redeemed\":9").replace("\"balance\":90", "\"balance\":91");
    b.store.entries.insert(account_key, (text, version));
    let codes: Vec<String> = verify(&b.store).discrepancies.iter().map(|d| d.code.to_string()).collect();
    assert!(codes.contains(&"REDEEMED_MISMATCH".to_string()), "{codes:?}");
}

#[test]
fn a_refund_gives_an_unused_coupons_points_back_once() {
    let (mut b, account, reward) = setup(100, 30);
    let coupon = redeem(&mut b, &reward, &account).unwrap()["coupon"].clone();
    let id = coupon["_id"].clone();
    let e = b.err("refundLoyaltyCoupon", &[id.clone(), json!({ "revision": "2" })]);
    assert_eq!((e.code, e.reason), (Code::Aborted, Reason::RevisionMismatch));
    b.events.clear();
    let refunded = b.ok("refundLoyaltyCoupon", std::slice::from_ref(&id));
    assert_eq!(refunded["coupon"]["status"], "ARCHIVED");
    assert_eq!(refunded["coupon"]["couponReference"]["deleted"], true);
    assert_eq!(refunded["coupon"]["revision"], "2");
    let a = account_of(&mut b, &account);
    assert_eq!(a["points"], json!({ "balance": 100, "earned": 0, "adjusted": 100, "redeemed": 0, "expired": 0 }));
    assert_eq!(a["revision"], "4");
    let txn = b.ok("getLoyaltyTransaction", &[refunded["transactionId"].clone()]);
    assert_eq!(txn["transactionType"], "REFUND");
    assert_eq!(txn["amount"], 30);
    assert_eq!(txn["refundInfo"]["refundedTransactionId"], coupon["transactionId"]);
    let kinds: Vec<&str> = b.events.iter().map(|e| e["metadata"]["eventType"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["wix.loyalty.v1.account_points_updated", "wix.loyalty.v1.account_updated"]);

    // A retry (its first answer lost) answers the same refund and gives nothing back again.
    let commits = b.store.commits;
    let again = b.ok("refundLoyaltyCoupon", &[id.clone(), json!({ "revision": "1" })]);
    assert_eq!(again, refunded, "the same refund, answered again");
    assert_eq!(b.store.commits, commits, "once only");
    assert_eq!(b.ok("getLoyaltyCoupon", &[id]), refunded["coupon"]);
    assert!(verify(&b.store).ok, "{:?}", verify(&b.store).discrepancies);
    assert_consistent(&mut b, &account);

    // A deleted coupon is not refunded; a refund that loses a race reads again and answers the
    // winner's refund.
    let other = redeem(&mut b, &reward, &account).unwrap()["coupon"].clone();
    b.ok("deleteLoyaltyCoupon", &[other["_id"].clone(), json!("1")]);
    assert_eq!(b.err("refundLoyaltyCoupon", &[other["_id"].clone()]).reason, Reason::CouponNotFound);
    let third = redeem(&mut b, &reward, &account).unwrap()["coupon"]["_id"].clone();
    let mut op = b.start("refundLoyaltyCoupon", &[input(&third)]).unwrap();
    assert!(matches!(op.advance(&mut b.store, &|_| Input::Null), Progress::Pending));
    let winner = b.ok("refundLoyaltyCoupon", &[third]);
    let loser = finish(&mut b, op).unwrap();
    assert_eq!(loser["transactionId"], winner["transactionId"], "one refund, answered to both");
    let a = account_of(&mut b, &account);
    assert_eq!(a["points"]["balance"], 70, "30 spent on the deleted coupon; the third given back once");
    assert!(verify(&b.store).ok, "{:?}", verify(&b.store).discrepancies);
}

#[test]
fn verify_finds_refunds_statuses_and_indexes_that_do_not_match() {
    let (mut b, account, reward) = setup(100, 10);
    let coupon = redeem(&mut b, &reward, &account).unwrap()["coupon"].clone();
    b.ok("refundLoyaltyCoupon", &[coupon["_id"].clone()]);
    assert!(verify(&b.store).ok);
    let codes =
        |b: &Backend| -> Vec<String> { verify(&b.store).discrepancies.iter().map(|d| d.code.to_string()).collect() };
    let key = format!("coupon/{}", coupon["_id"].as_str().unwrap());
    let good = b.store.entries[&key].clone();
    // A refunded coupon that says it is still usable; then one that forgot its refund.
    b.store.entries.insert(key.clone(), (good.0.replace("\"ARCHIVED\"", "\"ACTIVE\""), good.1));
    assert_eq!(codes(&b), ["COUPON_STATUS_MISMATCH"]);
    let text = good.0.clone();
    let start = text.find(",\"refundTransactionId\"").unwrap();
    let end = start + ",\"refundTransactionId\":\"".len() + 36 + 1;
    let forgot = format!("{}{}", &text[..start], &text[end..]).replace("\"ARCHIVED\"", "\"ACTIVE\"");
    b.store.entries.insert(key.clone(), (forgot, good.1));
    assert_eq!(codes(&b), ["REFUND_WITHOUT_COUPON"]);
    b.store.entries.insert(key, good);
    // An index naming a coupon that does not exist.
    let stray = format!(r#"{{"schema":1,"couponId":"{}"}}"#, wix_loyalty_wasm::core::driver::guid(77));
    b.store.entries.insert("coupon-code/LOY-0000-0000-0000".into(), (stray, 1));
    assert_eq!(codes(&b), ["ORPHAN_COUPON_INDEX"]);
}

#[test]
fn a_refund_whose_account_changed_after_the_read_reads_again() {
    let (mut b, account, reward) = setup(100, 30);
    let coupon = redeem(&mut b, &reward, &account).unwrap()["coupon"]["_id"].clone();
    // Read the coupon, then the account; an earn lands before the refund commits.
    let mut op = b.start("refundLoyaltyCoupon", &[input(&coupon)]).unwrap();
    assert!(matches!(op.advance(&mut b.store, &|_| Input::Null), Progress::Pending));
    assert!(matches!(op.advance(&mut b.store, &|_| Input::Null), Progress::Pending));
    b.ok("earnPoints", &[json!(account), json!({ "amount": 5, "appId": "shop", "idempotencyKey": "between" })]);
    let refunded = finish(&mut b, op).unwrap();
    assert_eq!(refunded["coupon"]["status"], "ARCHIVED");
    let a = account_of(&mut b, &account);
    assert_eq!(a["points"]["balance"], 105, "100 − 30 + 5 + 30: the earn and the refund both count");
    assert_eq!(a["points"]["redeemed"], 0);
    assert!(verify(&b.store).ok, "{:?}", verify(&b.store).discrepancies);
}
