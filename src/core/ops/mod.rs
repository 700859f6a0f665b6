//! The operations, one file per operation or small family. Each exposes `start` functions that
//! the table of operations ([`crate::core::operations`]) names; each is a [`Machine`]
//! (`crate::core::protocol::Machine`) that validates its arguments, asks for the I/O it needs
//! and answers with the REST response body in the SDK's names. The rules several operations
//! share (how points move and are recorded, tiers, expiration, reward availability, lookups,
//! events) are apart from them, in [`crate::core::rules`].

pub mod adjust;
pub mod bulk_adjust;
pub mod coupons;
pub mod create_account;
pub mod earn;
pub mod get_account;
pub mod jobs;
pub mod list_accounts;
pub mod program;
pub mod query_accounts;
pub mod rewards;
pub mod schedule;
pub mod settle;
#[cfg(feature = "tiers")]
pub mod tiers;
pub mod totals;
pub mod transactions;

use crate::core::input::Input;
use crate::core::reason::Reason;

/// Argument `i` of a call (`undefined` when missing).
pub fn arg(args: &[Input], i: usize) -> &Input {
    static UNDEFINED: Input = Input::Undefined;
    args.get(i).unwrap_or(&UNDEFINED)
}

/// The answer of a bulk create (`bulkCreateRewards`, `bulkCreateTiers`): per item, in the
/// order given, its metadata and, when made, its view; `made` holds the `(id, view)` of each
/// success in that order.
pub fn bulk_results(
    results: &[(usize, Option<crate::core::error::LoyaltyError>)],
    made: &[(&str, &str)],
) -> crate::core::error::Result<String> {
    use crate::core::input::quoted;
    let mut made = made.iter();
    let mut items = Vec::with_capacity(results.len());
    for (i, error) in results {
        items.push(match error {
            None => {
                let (id, view) = made.next().ok_or_else(|| {
                    crate::core::error::LoyaltyError::internal(Reason::InvalidState, "a created item went missing")
                })?;
                format!("{{\"itemMetadata\":{{\"_id\":{},\"originalIndex\":{i},\"success\":true}},\"item\":{view}}}", quoted(id))
            }
            Some(e) => {
                format!(
                    "{{\"itemMetadata\":{{\"originalIndex\":{i},\"success\":false,\"error\":{{\"code\":\"{}\",\"description\":{},\"data\":{{\"reason\":{},\"violations\":{}}}}}}}}}",
                    e.code.as_str(),
                    quoted(&e.message()),
                    quoted(e.reason.as_str()),
                    e.violations_json()
                )
            }
        });
    }
    let failures = results.iter().filter(|(_, e)| e.is_some()).count();
    Ok(format!(
        "{{\"results\":[{}],\"bulkActionMetadata\":{{\"totalSuccesses\":{},\"totalFailures\":{failures},\"undetailedFailures\":0}}}}",
        items.join(","),
        results.len() - failures
    ))
}
