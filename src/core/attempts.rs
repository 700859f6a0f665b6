//! The attempt policy of a commit that keeps conflicting, for every host: after a refused commit
//! the host hands the conflict back and the operation reads again, for at most [`MAX`] attempts
//! in all; then the host answers [`too_many_conflicts`]. A host whose storage others write too
//! (the JS face over a host's storage) waits before each attempt after the [`BACKOFF_AFTER`]th,
//! a random time up to 2^attempt ms and at most [`BACKOFF_CAP_MS`], so racing writers spread
//! out. The native driver and the store inside wasm do not wait: nothing else runs meanwhile.
//!
//! The JS face reads the policy from the build's table (`TABLE.attempts`).

use super::error::{Code, LoyaltyError};
use super::reason::Reason;

/// Attempts a commit gets, the first included, while it keeps conflicting.
pub const MAX: u32 = 64;

/// Attempts made at once; each later one waits first.
pub const BACKOFF_AFTER: u32 = 2;

/// The longest wait before an attempt, in milliseconds.
pub const BACKOFF_CAP_MS: u32 = 50;

/// `ABORTED` / `TOO_MANY_CONFLICTS`: every attempt conflicted, the last on `key`.
pub fn too_many_conflicts(key: &str) -> LoyaltyError {
    LoyaltyError::new(
        Code::Aborted,
        Reason::TooManyConflicts,
        format!("gave up after {MAX} attempts: key {key} kept changing under concurrent writers"),
    )
    .with_data(&[("key", &key)])
}
