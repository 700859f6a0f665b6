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

pub const PROGRAM: &str = "program";
pub const ACCOUNT_PREFIX: &str = "acct/";
pub const LEDGER_TIME_PREFIX: &str = "ledger-time/";
pub const LEDGER_PREFIX: &str = "ledger/";
pub const JOB_PREFIX: &str = "job/";

pub fn account(id: &str) -> String {
    format!("acct/{id}")
}

pub fn contact_index(contact_id: &str) -> String {
    format!("contact/{contact_id}")
}

pub fn member_index(member_id: &str) -> String {
    format!("member/{member_id}")
}

pub fn transaction(id: &str) -> String {
    format!("txn/{id}")
}

pub fn account_ledger_prefix(account_id: &str) -> String {
    format!("ledger/{account_id}/")
}

pub fn account_ledger(account_id: &str, revision: u64) -> String {
    format!("ledger/{account_id}/{revision:020}")
}

/// Within one millisecond, entries of one account keep their ledger order.
pub fn time_ledger(created_ms: i64, account_id: &str, revision: u64) -> String {
    format!("ledger-time/{:015}/{account_id}/{revision:020}", created_ms.max(0))
}

pub fn idempotency(key: &str) -> String {
    format!("idem/{key}")
}

pub fn job(id: &str) -> String {
    format!("job/{id}")
}
