//! Native tests of the reads beyond one key: transaction queries and listAccounts paging.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::{json, Value};
use wix_loyalty_wasm::core::driver::{guid, Backend};
use wix_loyalty_wasm::core::reason::Reason;

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
        (json!({ "cursorPaging": { "limit": 101 } }), "query.cursorPaging.limit", Reason::OutOfRange),
        (json!({ "cursorPaging": { "limit": 0 } }), "query.cursorPaging.limit", Reason::OutOfRange),
        (json!({ "cursorPaging": { "cursor": "garbage!" } }), "query.cursorPaging.cursor", Reason::InvalidCursor),
        (json!({ "sort": [{ "fieldName": "balance" }] }), "query.sort[0].fieldName", Reason::UnsupportedSort),
        (json!({ "sort": [{ "fieldName": "amount", "order": "UP" }] }), "query.sort[0].order", Reason::WrongType),
        (json!({ "filter": { "balance": 5 } }), "query.filter.balance", Reason::UnsupportedField),
        (
            json!({ "filter": { "amount": { "$regex": "x" } } }),
            "query.filter.amount.$regex",
            Reason::UnsupportedOperator,
        ),
        (
            json!({ "filter": { "transactionType": { "$gt": "A" } } }),
            "query.filter.transactionType.$gt",
            Reason::UnsupportedOperator,
        ),
        (json!({ "filter": { "_createdDate": "yesterday" } }), "query.filter._createdDate", Reason::InvalidDate),
        (json!({ "filter": { "amount": "5" } }), "query.filter.amount", Reason::WrongType),
        (json!({ "filter": { "accountId": { "$in": "x" } } }), "query.filter.accountId.$in", Reason::WrongType),
        (json!({ "filter": [] }), "query.filter", Reason::WrongType),
    ];
    for (q, field, rule) in cases {
        let e = b.err("queryLoyaltyTransactions", std::slice::from_ref(&q));
        assert_eq!((e.violations[0].field.as_str(), e.reason), (field, rule), "{q}");
    }
    // A forged cursor pointing at another key family is refused.
    let forged = b64(r#"{"p":"idem/","r":false,"f":{"All":[]},"l":5,"k":"idem/a"}"#);
    assert_eq!(
        b.err("queryLoyaltyTransactions", &[json!({ "cursorPaging": { "cursor": forged } })]).reason,
        Reason::InvalidCursor
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
    assert_eq!(e.reason, Reason::TransactionNotFound);
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
    assert_eq!(page["pagingMetadata"]["cursors"]["next"], serde_json::Value::Null);
    assert_eq!(page["pagingMetadata"]["offset"], 2);

    let e = b.err("listAccounts", &[json!({ "contactIds": (0..51).map(|_| contacts[0].clone()).collect::<Vec<_>>() })]);
    assert_eq!(e.reason, Reason::TooMany);
    let e = b.err("listAccounts", &[json!({ "contactIds": ["x"] })]);
    assert_eq!(e.violations[0].field, "options.contactIds[0]");
}

/// Every page of a query, following `next` cursors; then back again with `prev`.
fn pages_both_ways(b: &mut Backend, op: &str, first: Value, items: &str) -> (Vec<Vec<Value>>, Vec<Vec<Value>>) {
    let mut forward = vec![];
    let mut page = b.ok(op, &[first]);
    loop {
        forward.push(page[items].as_array().unwrap().clone());
        let Some(next) = page["pagingMetadata"]["cursors"]["next"].as_str().map(String::from) else { break };
        page = b.ok(op, &[json!({ "cursorPaging": { "cursor": next } })]);
    }
    let mut backward = vec![page[items].as_array().unwrap().clone()];
    while let Some(prev) = page["pagingMetadata"]["cursors"]["prev"].as_str().map(String::from) {
        page = b.ok(op, &[json!({ "cursorPaging": { "cursor": prev } })]);
        backward.push(page[items].as_array().unwrap().clone());
    }
    backward.reverse();
    (forward, backward)
}

#[test]
fn every_transaction_field_sorts_and_pages_both_ways() {
    let (mut b, _, _) = ledger_fixture();
    let all =
        query(&mut b, json!({ "cursorPaging": { "limit": 100 } }))["loyaltyTransactions"].as_array().unwrap().clone();
    assert_eq!(all.len(), 10);
    for field in ["_id", "accountId", "_createdDate", "amount", "transactionType", "description", "idempotencyKey"] {
        for order in ["ASC", "DESC"] {
            let sort = json!([{ "fieldName": field, "order": order }, { "fieldName": "_id", "order": "ASC" }]);
            let (forward, backward) = pages_both_ways(
                &mut b,
                "queryLoyaltyTransactions",
                json!({ "sort": sort, "cursorPaging": { "limit": 3 } }),
                "loyaltyTransactions",
            );
            assert_eq!(forward, backward, "{field} {order}: prev pages are the next pages, in reverse");
            let seen: Vec<Value> = forward.into_iter().flatten().collect();
            let mut expected = all.clone();
            expected.sort_by(|x, y| {
                let ord = match (&x[field], &y[field]) {
                    (Value::Number(a), Value::Number(b)) => a.as_f64().partial_cmp(&b.as_f64()).unwrap(),
                    (a, b) => a.as_str().cmp(&b.as_str()),
                };
                let ord = if order == "DESC" { ord.reverse() } else { ord };
                ord.then_with(|| x["_id"].as_str().cmp(&y["_id"].as_str()))
            });
            assert_eq!(seen, expected, "{field} {order}");
        }
    }
    // The SDK's documentation example: sorted by _id.
    let page =
        query(&mut b, json!({ "sort": [{ "fieldName": "id", "order": "DESC" }], "cursorPaging": { "limit": 2 } }));
    assert_eq!(page["loyaltyTransactions"][0]["_id"], all.iter().map(|t| t["_id"].as_str().unwrap()).max().unwrap());
}

#[test]
fn streaming_pages_go_back_too() {
    let (mut b, a, _) = ledger_fixture();
    let (forward, backward) = pages_both_ways(
        &mut b,
        "queryLoyaltyTransactions",
        json!({ "filter": { "accountId": a }, "cursorPaging": { "limit": 2 } }),
        "loyaltyTransactions",
    );
    assert_eq!(forward.len(), 4);
    assert_eq!(forward, backward);
    let first =
        b.ok("queryLoyaltyTransactions", &[json!({ "filter": { "accountId": a }, "cursorPaging": { "limit": 2 } })]);
    assert_eq!(first["pagingMetadata"]["cursors"]["prev"], Value::Null, "the first page has no previous page");
}

#[test]
fn the_sdk_builder_operators_filter_as_documented() {
    let (mut b, a, c) = ledger_fixture();
    let count = |b: &mut Backend, filter: Value| {
        query(b, json!({ "filter": filter }))["loyaltyTransactions"].as_array().unwrap().len()
    };
    assert_eq!(count(&mut b, json!({ "idempotencyKey": { "$endsWith": "2" } })), 2, "a2, c2");
    // a0 a2 a4 a6 and the adjustment whose key (its id) ends in "a": case-insensitive.
    assert_eq!(count(&mut b, json!({ "idempotencyKey": { "$contains": "A" } })), 5);
    assert_eq!(count(&mut b, json!({ "accountId": { "$hasAll": [c] } })), 3);
    assert_eq!(count(&mut b, json!({ "accountId": { "$hasAll": [a, c] } })), 0, "one value cannot equal two");
    assert_eq!(count(&mut b, json!({ "accountId": { "$nin": [a] } })), 3);
    assert_eq!(count(&mut b, json!({ "description": null })), 0, "isEmpty: every transaction has a description");
    assert_eq!(count(&mut b, json!({ "description": { "$ne": null } })), 10, "isNotEmpty");
    assert_eq!(count(&mut b, json!({ "amount": { "$exists": true } })), 10);
    // between(amount, 3, 14) → $gte 3 and $lt 14.
    assert_eq!(
        count(&mut b, json!({ "$and": [{ "amount": { "$gte": 3 } }, { "amount": { "$lt": 14 } }] })),
        4,
        "3 5 10 12"
    );
    let e = b.err("queryLoyaltyTransactions", &[json!({ "filter": { "amount": { "$endsWith": "1" } } })]);
    assert_eq!(e.reason, Reason::UnsupportedOperator);
}

#[test]
fn account_queries_filter_sort_and_page() {
    let (mut b, _, _) = ledger_fixture();
    for i in 0..5 {
        let id = b.ok("createAccount", &[format!("cccccccc-0000-4000-8000-{i:012}").into()])["account"]["_id"].clone();
        b.ok("adjustPoints", &[id, json!({ "balance": i * 10 })]);
    }
    // Newest first by default.
    let page = b.ok("queryLoyaltyAccounts", &[json!({})]);
    let created: Vec<i64> =
        page["loyaltyAccounts"].as_array().unwrap().iter().map(|a| a["_createdDate"].as_i64().unwrap()).collect();
    assert_eq!(created.len(), 7);
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    let page = b.ok(
        "queryLoyaltyAccounts",
        &[json!({ "filter": { "points.balance": { "$gt": 0 } }, "sort": [{ "fieldName": "points.balance", "order": "ASC" }] })],
    );
    let balances: Vec<i64> =
        page["loyaltyAccounts"].as_array().unwrap().iter().map(|a| a["points"]["balance"].as_i64().unwrap()).collect();
    assert_eq!(balances, [3, 10, 20, 30, 40, 61]);
    let (forward, backward) = pages_both_ways(
        &mut b,
        "queryLoyaltyAccounts",
        json!({ "sort": [{ "fieldName": "points.balance", "order": "DESC" }], "cursorPaging": { "limit": 2 } }),
        "loyaltyAccounts",
    );
    assert_eq!(forward.iter().map(Vec::len).sum::<usize>(), 7);
    assert_eq!(forward, backward);
    assert_eq!(b.ok("countAccounts", &[json!({ "filter": { "points.balance": { "$gte": 30 } } })])["count"], 3);
    assert_eq!(b.ok("countAccounts", &[])["count"], 7);
    let e = b.err("queryLoyaltyAccounts", &[json!({ "cursorPaging": { "cursor": b64(r#"{"v":2}"#) } })]);
    assert_eq!(e.reason, Reason::InvalidCursor);
}

#[test]
fn search_accounts_matches_free_text_on_name_and_email() {
    let mut b = Backend {
        contacts: Some(Box::new(|id: &str| {
            let (name, email) = match id.chars().last() {
                Some('1') => ("Dana Levi", "dana@example.com"),
                Some('2') => ("Omar Haddad", "omar@shop.example"),
                _ => ("Mei Chen", "mei@example.com"),
            };
            input(&json!({ "name": name, "email": email }))
        })),
        ..Backend::default()
    };
    b.ok("activateLoyaltyProgram", &[]);
    for i in 1..=3 {
        b.ok("createAccount", &[format!("dddddddd-0000-4000-8000-{i:012}").into()]);
    }
    let names = |r: &Value| -> Vec<String> {
        let mut n: Vec<String> =
            r["accounts"].as_array().unwrap().iter().map(|a| a["contact"]["name"].as_str().unwrap().into()).collect();
        n.sort();
        n
    };
    let r = b.ok("searchAccounts", &[json!({ "search": { "expression": "example.com" } })]);
    assert_eq!(names(&r), ["Dana Levi", "Mei Chen"]);
    assert_eq!(r["aggregationData"], json!({ "results": [] }));
    let r = b.ok("searchAccounts", &[json!({ "search": { "expression": "OMAR dana", "mode": "OR" } })]);
    assert_eq!(names(&r), ["Dana Levi", "Omar Haddad"]);
    let r = b.ok(
        "searchAccounts",
        &[json!({ "search": { "expression": "dana levi", "mode": "AND", "fields": ["contact.name"] } })],
    );
    assert_eq!(names(&r), ["Dana Levi"]);
    let r = b.ok("countAccounts", &[json!({ "search": { "expression": "example" } })]);
    assert_eq!(r["count"], 3);
    let e = b.err("searchAccounts", &[json!({ "aggregations": [{ "name": "x" }] })]);
    assert_eq!((e.code, e.reason), (wix_loyalty_wasm::core::error::Code::Unimplemented, Reason::NotImplemented));
}
