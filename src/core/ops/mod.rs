//! The operations, one file per operation or small family. Each exposes `start` functions that
//! the table of operations ([`crate::core::operations`]) names; each is a [`Machine`]
//! (`crate::core::protocol::Machine`) that validates its arguments, asks for the I/O it needs
//! and answers with the REST response body in the SDK's names. Shared pieces live beside them:
//! [`events`] (event JSON), [`lookup`] (reading the program and accounts), [`ledger`] (how
//! points move and are recorded).

pub mod adjust;
pub mod availability;
pub mod bulk_adjust;
pub mod coupons;
pub mod create_account;
pub mod earn;
pub mod events;
pub mod get_account;
pub mod jobs;
pub mod ledger;
pub mod list_accounts;
pub mod lookup;
pub mod program;
pub mod query_accounts;
pub mod rewards;
pub mod settle;
pub mod transactions;

use crate::core::input::Input;

/// Argument `i` of a call (`undefined` when missing).
pub fn arg(args: &[Input], i: usize) -> &Input {
    static UNDEFINED: Input = Input::Undefined;
    args.get(i).unwrap_or(&UNDEFINED)
}
