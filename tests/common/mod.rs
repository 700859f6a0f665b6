#![allow(dead_code)]
//! Helpers for native tests: building JS-like inputs and running operations.

use serde_json::Value;
use wix_loyalty_wasm::core::driver::Backend;
use wix_loyalty_wasm::core::error::LoyaltyError;
use wix_loyalty_wasm::core::input::Input;

pub const CONTACT_A: &str = "3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d";
pub const CONTACT_B: &str = "7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b";

/// splitmix64: a small seeded generator, the same on every machine (simulation and fuzzing).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Converts JSON into an `Input`, as the wasm layer converts a JS value.
pub fn input(v: &Value) -> Input {
    match v {
        Value::Null => Input::Null,
        Value::Bool(b) => Input::Bool(*b),
        Value::Number(n) => Input::Number(n.as_f64().unwrap()),
        Value::String(s) => Input::String(s.clone()),
        Value::Array(a) => Input::Array(a.iter().map(input).collect()),
        Value::Object(o) => Input::Object(o.iter().map(|(k, v)| (k.clone(), input(v))).collect()),
    }
}

pub fn s(text: &str) -> Input {
    Input::String(text.into())
}

pub trait Call {
    fn op(&mut self, op: &str, args: &[Value]) -> Result<Value, LoyaltyError>;
    fn ok(&mut self, op: &str, args: &[Value]) -> Value;
    fn err(&mut self, op: &str, args: &[Value]) -> LoyaltyError;
}

impl Call for Backend {
    fn op(&mut self, op: &str, args: &[Value]) -> Result<Value, LoyaltyError> {
        let args: Vec<Input> = args.iter().map(input).collect();
        self.call(op, &args)
    }

    fn ok(&mut self, op: &str, args: &[Value]) -> Value {
        self.op(op, args).unwrap_or_else(|e| panic!("{op} failed: {e}"))
    }

    fn err(&mut self, op: &str, args: &[Value]) -> LoyaltyError {
        match self.op(op, args) {
            Ok(v) => panic!("{op} succeeded but should have failed: {v}"),
            Err(e) => e,
        }
    }
}

/// A backend with an active program and one account for `CONTACT_A`; returns the account id.
pub fn active_with_account() -> (Backend, String) {
    let mut b = Backend::default();
    b.ok("activateLoyaltyProgram", &[]);
    let created = b.ok("createAccount", &[CONTACT_A.into()]);
    let id = created["account"]["_id"].as_str().unwrap().to_string();
    (b, id)
}

/// Every ledger entry of an account, oldest first, from the storage itself.
pub fn ledger(b: &Backend, account_id: &str) -> Vec<Value> {
    let prefix = format!("ledger/{account_id}/");
    b.store
        .entries
        .iter()
        .filter(|(k, _)| k.starts_with(&prefix))
        .map(|(_, (v, _))| serde_json::from_str(v).unwrap())
        .collect()
}

/// Checks the account invariants against its ledger: balance = earned + adjusted − redeemed −
/// expired = sum of the ledger, revision = 1 + number of entries, balance ≥ 0.
pub fn assert_consistent(b: &mut Backend, account_id: &str) -> Value {
    let account = b.ok("getAccount", &[account_id.into()]);
    let p = &account["points"];
    let balance = p["balance"].as_i64().unwrap();
    assert!(balance >= 0, "negative balance");
    let derived = p["earned"].as_i64().unwrap() + p["adjusted"].as_i64().unwrap()
        - p["redeemed"].as_i64().unwrap()
        - p["expired"].as_i64().unwrap();
    assert_eq!(balance, derived, "balance = earned + adjusted - redeemed - expired");
    let entries = ledger(b, account_id);
    let sum: i64 = entries.iter().map(|t| t["amount"].as_i64().unwrap()).sum();
    assert_eq!(balance, sum, "balance = sum of the ledger");
    let revision: usize = account["revision"].as_str().unwrap().parse().unwrap();
    assert_eq!(revision, entries.len() + 1, "revision = 1 + ledger entries");
    account
}
