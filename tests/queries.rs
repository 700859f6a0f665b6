//! Native tests of the reads beyond one key: transaction queries and listAccounts paging.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::{json, Value};
use wix_loyalty_wasm::core::driver::{guid, Backend};

/// Two accounts with 7 and 3 transactions (alternating EARN and ADJUST).
fn ledger_fixture() -> (Backend, String, String) {
    let (mut b, a) = active_with_account();
    let c = b.ok("createAccount", &[CONTACT_B.into()])["account"]["_id"].as_str().unwrap().to_string();
    for i in 0..7 {
        if i % 2 == 0 {
            b.ok(
                "earnPoints",
                &[a.clone().into(), json!({ "amount": 10 + i, "appId": "shop", "idempotencyKey": format!("a{i}") })],
            );
        } else {
            b.ok("adjustPoints", &[a.clone().into(), json!({ "amount": i })]);
        }
        if i < 3 {
            b.ok(
                "earnPoints",
                &[c.clone().into(), json!({ "amount": 1, "appId": "shop", "idempotencyKey": format!("c{i}") })],
            );
        }
    }
    (b, a, c)
}

fn query(b: &mut Backend, q: Value) -> Value {
    b.ok("queryLoyaltyTransactions", &[q])
}

fn amounts(page: &Value) -> Vec<i64> {
    page["loyaltyTransactions"].as_array().unwrap().iter().map(|t| t["amount"].as_i64().unwrap()).collect()
}

#[test]
fn by_account_newest_first_by_default_and_oldest_first_ascending() {
    let (mut b, a, _) = ledger_fixture();
    let page = query(&mut b, json!({ "filter": { "accountId": a } }));
    assert_eq!(amounts(&page), [16, 5, 14, 3, 12, 1, 10]);
    assert_eq!(page["pagingMetadata"]["hasNext"], false);
    let page = query(
        &mut b,
        json!({ "filter": { "accountId": a }, "sort": [{ "fieldName": "_createdDate", "order": "ASC" }] }),
    );
    assert_eq!(amounts(&page), [10, 1, 12, 3, 14, 5, 16]);
}

#[test]
fn cursor_pages_cover_everything_once() {
    let (mut b, a, _) = ledger_fixture();
    let mut seen = vec![];
    let mut page = query(&mut b, json!({ "filter": { "accountId": a }, "cursorPaging": { "limit": 3 } }));
    loop {
        seen.extend(amounts(&page));
        let Some(cursor) = page["pagingMetadata"]["cursors"]["next"].as_str().map(String::from) else { break };
        assert_eq!(page["pagingMetadata"]["count"], 3);
        page = query(&mut b, json!({ "cursorPaging": { "cursor": cursor } }));
    }
    assert_eq!(seen, [16, 5, 14, 3, 12, 1, 10]);
}

#[test]
fn filters_on_type_amount_date_and_combinations() {
    let (mut b, a, c) = ledger_fixture();
    let page = query(&mut b, json!({ "filter": { "accountId": a, "transactionType": "ADJUST" } }));
    assert_eq!(amounts(&page), [5, 3, 1]);
    let page = query(
        &mut b,
        json!({ "filter": { "$and": [{ "accountId": { "$in": [a, c] } }, { "amount": { "$gte": 12 } }] } }),
    );
    assert_eq!(amounts(&page), [16, 14, 12]);
    let all = query(&mut b, json!({ "sort": [{ "fieldName": "_createdDate", "order": "ASC" }] }));
    assert_eq!(all["loyaltyTransactions"].as_array().unwrap().len(), 10);
    let third = all["loyaltyTransactions"][3]["_createdDate"].as_i64().unwrap();
    let iso = "1970-01-01T00:00:00.000Z";
    let page = query(
        &mut b,
        json!({ "filter": { "_createdDate": { "$gt": third, "$gte": iso } }, "sort": [{ "fieldName": "_createdDate", "order": "ASC" }] }),
    );
    assert_eq!(page["loyaltyTransactions"].as_array().unwrap().len(), 6);
    let page = query(&mut b, json!({ "filter": { "$not": { "transactionType": "EARN" } } }));
    assert_eq!(amounts(&page), [5, 3, 1]);
    let page = query(&mut b, json!({ "filter": { "idempotencyKey": { "$startsWith": "C" } } }));
    assert_eq!(page["loyaltyTransactions"].as_array().unwrap().len(), 3, "startsWith is case-insensitive");
    let page = query(&mut b, json!({ "filter": { "$or": [{ "amount": 16 }, { "amount": 1, "accountId": c }] } }));
    assert_eq!(amounts(&page), [16, 1, 1, 1]);
}

#[test]
fn a_filtered_scan_pages_correctly() {
    let (mut b, _, _) = ledger_fixture();
    let page = query(&mut b, json!({ "filter": { "transactionType": "EARN" }, "cursorPaging": { "limit": 2 } }));
    assert_eq!(page["loyaltyTransactions"].as_array().unwrap().len(), 2);
    let cursor = page["pagingMetadata"]["cursors"]["next"].as_str().unwrap().to_string();
    let rest = query(&mut b, json!({ "cursorPaging": { "cursor": cursor, "limit": 100 } }));
    assert_eq!(rest["loyaltyTransactions"].as_array().unwrap().len(), 5);
    assert!(rest["loyaltyTransactions"].as_array().unwrap().iter().all(|t| t["transactionType"] == "EARN"));
}

#[test]
fn an_accounts_page_reads_only_that_account_ledger() {
    let (mut b, _, c) = ledger_fixture();
    let scans = b.store.scans;
    let page = query(&mut b, json!({ "filter": { "accountId": c }, "cursorPaging": { "limit": 100 } }));
    assert_eq!(amounts(&page), [1, 1, 1]);
    assert_eq!(b.store.scans - scans, 1, "one scan of ledger/<account>/");
}

#[test]
fn bad_queries_are_invalid_arguments() {
    let (mut b, _, _) = ledger_fixture();
    let cases = [
        (json!({ "cursorPaging": { "limit": 101 } }), "query.cursorPaging.limit", "OUT_OF_RANGE"),
        (json!({ "cursorPaging": { "limit": 0 } }), "query.cursorPaging.limit", "OUT_OF_RANGE"),
        (json!({ "cursorPaging": { "cursor": "garbage!" } }), "query.cursorPaging.cursor", "INVALID_CURSOR"),
        (json!({ "sort": [{ "fieldName": "amount" }] }), "query.sort[0].fieldName", "UNSUPPORTED_SORT"),
        (json!({ "filter": { "balance": 5 } }), "query.filter.balance", "UNSUPPORTED_FIELD"),
        (json!({ "filter": { "amount": { "$regex": "x" } } }), "query.filter.amount.$regex", "UNSUPPORTED_OPERATOR"),
        (
            json!({ "filter": { "transactionType": { "$gt": "A" } } }),
            "query.filter.transactionType.$gt",
            "UNSUPPORTED_OPERATOR",
        ),
        (json!({ "filter": { "_createdDate": "yesterday" } }), "query.filter._createdDate", "INVALID_DATE"),
        (json!({ "filter": { "amount": "5" } }), "query.filter.amount", "WRONG_TYPE"),
        (json!({ "filter": { "accountId": { "$in": "x" } } }), "query.filter.accountId.$in", "WRONG_TYPE"),
        (json!({ "filter": [] }), "query.filter", "WRONG_TYPE"),
    ];
    for (q, field, rule) in cases {
        let e = b.err("queryLoyaltyTransactions", std::slice::from_ref(&q));
        assert_eq!((e.violations[0].field.as_str(), e.reason), (field, rule), "{q}");
    }
    // A forged cursor pointing at another key family is refused.
    let forged = b64(r#"{"p":"idem/","r":false,"f":{"All":[]},"l":5,"k":"idem/a"}"#);
    assert_eq!(
        b.err("queryLoyaltyTransactions", &[json!({ "cursorPaging": { "cursor": forged } })]).reason,
        "INVALID_CURSOR"
    );
}

fn b64(text: &str) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            (chunk[0] as u32) << 16 | (*chunk.get(1).unwrap_or(&0) as u32) << 8 | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..=chunk.len() {
            out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[test]
fn get_transaction_not_found() {
    let mut b = Backend::default();
    let e = b.err("getLoyaltyTransaction", &[guid(99).into()]);
    assert_eq!(e.reason, "TRANSACTION_NOT_FOUND");
}

#[test]
fn list_accounts_pages_by_scan_and_by_contact_ids() {
    let mut b = Backend::default();
    b.ok("activateLoyaltyProgram", &[]);
    let contacts: Vec<String> = (0..5).map(|i| format!("aaaaaaaa-0000-4000-8000-{:012}", i)).collect();
    for c in &contacts {
        b.ok("createAccount", &[c.clone().into()]);
    }
    let mut seen = vec![];
    let mut page = b.ok("listAccounts", &[json!({ "cursorPaging": { "limit": 2 } })]);
    loop {
        seen.extend(page["accounts"].as_array().unwrap().iter().map(|a| a["contactId"].as_str().unwrap().to_string()));
        let Some(cursor) = page["pagingMetadata"]["cursors"]["next"].as_str().map(String::from) else { break };
        page = b.ok("listAccounts", &[json!({ "cursorPaging": { "cursor": cursor } })]);
    }
    seen.sort();
    assert_eq!(seen, contacts);
    assert_eq!(b.ok("listAccounts", &[])["accounts"].as_array().unwrap().len(), 5);

    let wanted = json!([contacts[3], contacts[1], "bbbbbbbb-0000-4000-8000-000000000000", contacts[4]]);
    let page = b.ok("listAccounts", &[json!({ "contactIds": wanted, "cursorPaging": { "limit": 2 } })]);
    let ids: Vec<_> = page["accounts"].as_array().unwrap().iter().map(|a| a["contactId"].clone()).collect();
    assert_eq!(ids, [json!(contacts[3]), json!(contacts[1])]);
    let cursor = page["pagingMetadata"]["cursors"]["next"].as_str().unwrap().to_string();
    let page = b.ok("listAccounts", &[json!({ "cursorPaging": { "cursor": cursor } })]);
    let ids: Vec<_> = page["accounts"].as_array().unwrap().iter().map(|a| a["contactId"].clone()).collect();
    assert_eq!(ids, [json!(contacts[4])], "unknown contacts are skipped");
    assert_eq!(page["pagingMetadata"]["hasNext"], false);

    let e = b.err("listAccounts", &[json!({ "contactIds": (0..51).map(|_| contacts[0].clone()).collect::<Vec<_>>() })]);
    assert_eq!(e.reason, "TOO_MANY");
    let e = b.err("listAccounts", &[json!({ "contactIds": ["x"] })]);
    assert_eq!(e.violations[0].field, "options.contactIds[0]");
}
