//! The storage key layout. Every key is a plain string; a prefix ending in `/` selects one
//! family, so a prefix scan never strays into another family.
//!
//! | key | value |
//! |---|---|
//! | `program` | the loyalty program (absent until first changed) |
//! | `acct/<accountId>` | a loyalty account |
//! | `contact/<contactId>` | index: the account of a contact (one per contact) |
//! | `member/<memberId>` | index: the account of a member |
//! | `txn/<transactionId>` | a ledger transaction |
//! | `ledger/<accountId>/<revision, 20 digits>` | the same transaction, in the account's ledger order |
//! | `ledger-time/<createdMs, 15 digits>/<accountId>/<revision, 20 digits>` | the same transaction, in global time order |
//! | `idem/<idempotencyKey>` | the outcome of an `earnPoints` call, for retries |
//! | `job/<jobId>` | a job's request and progress (e.g. `bulkAdjustPoints`) |
//! | `reward/<rewardId>` | a reward (a deleted one stays as a tombstone) |
//! | `coupon/<couponId>` | a loyalty coupon (a deleted one stays as a tombstone) |
//! | `coupon-code/<code>` | index: the coupon that has a code (codes are unique) |
//! | `account-coupon/<accountId>/<couponId>` | index: an account's coupons |
//! | `redeem/<accountId>/<idempotencyKey>` | a redemption of the account made with that key, for retries |
//! | `coupon-pending/<createdMs, 15 digits>/<couponId>` | index: a coupon a host's hook was asked to create, in time order, for `settleCoupons()` |
//! | `coupon-pending-cursor` | how far `settleCoupons()` has settled that index |
//! | `due/<dueMs, 15 digits>/<accountId>/<event sequence>` | index: when the scheduled work must look at an account (see `rules::expiry`) |
//! | `due-cursor` | how far `runScheduledWork()` has walked that index |
//! | `reward-prices` | the prices of the active rewards, which decide `rewardAvailable` (absent until a reward change) |

pub const PROGRAM: &str = "program";
pub const REWARD_PRICES: &str = "reward-prices";
/// Every tier and the tiers program settings (see `records::tier`).
pub const TIERS: &str = "tiers";
pub const ACCOUNT_PREFIX: &str = "acct/";
pub const LEDGER_TIME_PREFIX: &str = "ledger-time/";
pub const LEDGER_PREFIX: &str = "ledger/";
pub const JOB_PREFIX: &str = "job/";
pub const REWARD_PREFIX: &str = "reward/";
pub const COUPON_PREFIX: &str = "coupon/";
pub const COUPON_CODE_PREFIX: &str = "coupon-code/";
pub const ACCOUNT_COUPON_PREFIX: &str = "account-coupon/";
pub const REDEEM_PREFIX: &str = "redeem/";
pub const PENDING_PREFIX: &str = "coupon-pending/";
pub const PENDING_CURSOR: &str = "coupon-pending-cursor";
pub const DUE_PREFIX: &str = "due/";
pub const DUE_CURSOR: &str = "due-cursor";

use crate::core::small::push_decimal;

/// `parts` joined, in a string made the right size once (`format!` grows a short key from
/// nothing, reallocating it at each doubling, and keys are built on every call).
fn key(parts: &[&str]) -> String {
    let mut k = String::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 36);
    for p in parts {
        k.push_str(p);
    }
    k
}

pub fn pending_coupon(created_ms: i64, coupon_id: &str) -> String {
    let mut k = key(&[PENDING_PREFIX]);
    push_decimal(&mut k, created_ms.max(0) as u64, 15);
    k.push('/');
    k.push_str(coupon_id);
    k
}

pub fn due(due_ms: i64, account_id: &str, sequence: u64) -> String {
    let mut k = key(&[DUE_PREFIX]);
    push_decimal(&mut k, due_ms.max(0) as u64, 15);
    k.push('/');
    k.push_str(account_id);
    k.push('/');
    push_decimal(&mut k, sequence, 1);
    k
}

pub fn account(id: &str) -> String {
    key(&[ACCOUNT_PREFIX, id])
}

pub fn contact_index(contact_id: &str) -> String {
    key(&["contact/", contact_id])
}

pub fn member_index(member_id: &str) -> String {
    key(&["member/", member_id])
}

pub fn transaction(id: &str) -> String {
    key(&["txn/", id])
}

pub fn account_ledger_prefix(account_id: &str) -> String {
    key(&[LEDGER_PREFIX, account_id, "/"])
}

pub fn account_ledger(account_id: &str, revision: u64) -> String {
    let mut k = key(&[LEDGER_PREFIX, account_id, "/"]);
    push_decimal(&mut k, revision, 20);
    k
}

pub fn time_ledger(created_ms: i64, account_id: &str, revision: u64) -> String {
    let mut k = key(&[LEDGER_TIME_PREFIX]);
    push_decimal(&mut k, created_ms.max(0) as u64, 15);
    k.push('/');
    k.push_str(account_id);
    k.push('/');
    push_decimal(&mut k, revision, 20);
    k
}

pub fn idempotency(key_text: &str) -> String {
    key(&["idem/", key_text])
}

pub fn job(id: &str) -> String {
    key(&[JOB_PREFIX, id])
}

pub fn reward(id: &str) -> String {
    key(&[REWARD_PREFIX, id])
}

pub fn coupon(id: &str) -> String {
    key(&[COUPON_PREFIX, id])
}

pub fn coupon_code(code: &str) -> String {
    key(&[COUPON_CODE_PREFIX, code])
}

pub fn account_coupons(account_id: &str) -> String {
    key(&[ACCOUNT_COUPON_PREFIX, account_id, "/"])
}

pub fn account_coupon(account_id: &str, coupon_id: &str) -> String {
    key(&[ACCOUNT_COUPON_PREFIX, account_id, "/", coupon_id])
}

/// A redemption's key is scoped to its account: one account's keys say nothing about another's.
pub fn redeem(account_id: &str, idempotency_key: &str) -> String {
    key(&[REDEEM_PREFIX, account_id, "/", idempotency_key])
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_laid_out_as_before() {
        let id = "3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d";
        assert_eq!(super::account(id), format!("acct/{id}"));
        assert_eq!(super::contact_index(id), format!("contact/{id}"));
        assert_eq!(super::member_index(id), format!("member/{id}"));
        assert_eq!(super::transaction(id), format!("txn/{id}"));
        assert_eq!(super::idempotency("k/1"), "idem/k/1");
        assert_eq!(super::job(id), format!("job/{id}"));
        assert_eq!(super::reward(id), format!("reward/{id}"));
        assert_eq!(super::coupon(id), format!("coupon/{id}"));
        assert_eq!(super::coupon_code("LOY-1"), "coupon-code/LOY-1");
        assert_eq!(super::account_coupon(id, "c"), format!("account-coupon/{id}/c"));
        assert!(super::account_coupon(id, "c").starts_with(&super::account_coupons(id)));
        assert_eq!(super::redeem(id, "k/1"), format!("redeem/{id}/k/1"));
        assert_eq!(super::due(1_795_843_612_845, id, 7), format!("due/001795843612845/{id}/7"));
        assert_eq!(super::account_ledger_prefix(id), format!("ledger/{id}/"));
        for revision in [0, 1, 36063, u64::MAX] {
            assert_eq!(super::account_ledger(id, revision), format!("ledger/{id}/{revision:020}"));
            for ms in [-5i64, 0, 1_795_843_612_845, 999_999_999_999_999, 1_000_000_000_000_000] {
                assert_eq!(
                    super::time_ledger(ms, id, revision),
                    format!("ledger-time/{:015}/{id}/{revision:020}", ms.max(0))
                );
            }
        }
    }
}
