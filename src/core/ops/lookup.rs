//! Reading what decisions rest on: the program (a default `DRAFT` one until first saved) and
//! accounts, with the errors users see when they are missing or unusable.

use serde_json::json;

use crate::core::error::{LoyaltyError, Result};
use crate::core::protocol::Stored;
use crate::core::records::{self, keys, AccountRecord, ProgramRecord, ProgramStatus};

/// The stored program, or the default `DRAFT` program if none was saved yet.
pub fn read_program(stored: Option<&Stored>) -> Result<(ProgramRecord, u64)> {
    match stored {
        Some(s) => Ok((records::decode(keys::PROGRAM, &s.value)?, s.version)),
        None => Ok((ProgramRecord::default(), 0)),
    }
}

/// `FAILED_PRECONDITION` / `PROGRAM_NOT_ACTIVE` unless the program is `ACTIVE`.
pub fn require_active(program: &ProgramRecord, action: &str) -> Result<()> {
    if program.status == ProgramStatus::Active {
        return Ok(());
    }
    let status = program.status.as_str();
    Err(LoyaltyError::precondition(
        "PROGRAM_NOT_ACTIVE",
        format!("the loyalty program is {status}: it must be ACTIVE to {action}"),
    )
    .with_data(json!({ "status": status })))
}

/// Decodes an account read back from `acct/<id>`; `NOT_FOUND` when absent.
pub fn read_account(id: &str, stored: Option<&Stored>) -> Result<(AccountRecord, u64)> {
    let key = keys::account(id);
    match stored {
        Some(s) => {
            let account: AccountRecord = records::decode(&key, &s.value)?;
            if account.id != id {
                return Err(LoyaltyError::corrupt(&key, format!("it holds account {}", account.id)));
            }
            Ok((account, s.version))
        }
        None => Err(account_not_found(id)),
    }
}

pub fn account_not_found(id: &str) -> LoyaltyError {
    LoyaltyError::not_found("ACCOUNT_NOT_FOUND", format!("loyalty account {id} does not exist"))
        .with_data(json!({ "accountId": id }))
}

/// `{"account": <view>}`, the answer of the account reads.
pub fn account_body(view_json: &str) -> String {
    format!("{{\"account\":{view_json}}}")
}
