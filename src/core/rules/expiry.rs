//! Points expiration (spec §2.1 `pointsExpiration`, §3.2 account `pointsExpiration`, §3.3
//! `expireInfo`): when an account's points expire, and the index that tells the scheduled work
//! (`ops::schedule`) which accounts are due.
//!
//! **Rules** (ours where the spec is silent):
//! * While points expiration is `ENABLED`, an account with a positive balance has points that
//!   expire at the first midnight (UTC, on the backend's clock) after `monthsOfInactivity`
//!   calendar months have passed since its `lastActivityDate` (the day of the month cut to the
//!   month's length). `expiringPointsPercentage` % of the balance then expires, rounded up to a
//!   whole point (so a balance of 1 loses its point at any percentage, and 100 % empties it), as
//!   one `EXPIRE` entry with `expireInfo { amountBefore, amountAfter }`; `points.expired` grows
//!   by as much. An account never active counts from its creation.
//! * An expiration is a balance change like any other: it is the account's latest activity, so
//!   what a percentage below 100 leaves expires by the same share after as many months again.
//!   `pointsExpiration.{expirationDate, expiringPointsAmount}` say when and how much, and
//!   follow every balance change (from the settings copied into `reward-prices`, which every
//!   balance change reads anyway). Changing the settings (enable, disable, `monthsOfInactivity`,
//!   `expiringPointsPercentage`) runs a `pointsExpiration` job over every account, as a tier
//!   change does; an account whose date has already passed then expires at the next run.
//!
//! **The due index.** Each account records when the scheduled work must next look at it
//! (`dueMs`: its points expire, or a month with tier points leaves the tiers window), and the
//! commit that moves it writes `due/<dueMs, 15 digits>/<accountId>/<event sequence>`. An entry is
//! never removed: one whose account has moved on is skipped. An expiration date is a midnight,
//! so an account active many times a day writes one entry a day at most.
//!

use crate::core::protocol::Write;
use crate::core::records::{keys, AccountRecord, PricesRecord};
use crate::core::time::{add_months, month_index, month_start, next_midnight};

/// Job kind of the recomputation after a change of the expiration settings.
pub const KIND: &str = "pointsExpiration";

/// The points that expire from `balance` at `percentage` %: rounded up to a whole point.
pub fn expiring_amount(balance: i64, percentage: u32) -> i64 {
    if balance <= 0 {
        return 0;
    }
    let share = (i128::from(balance) * i128::from(percentage) + 99) / 100;
    share.min(i128::from(balance)) as i64
}

/// When the account's points expire, and how many, under `prices`' settings (`None`: nothing
/// expires).
pub fn expiring(account: &AccountRecord, prices: &PricesRecord) -> Option<(i64, i64)> {
    let (months, percentage) = prices.expiration?;
    if account.points.balance <= 0 {
        return None;
    }
    let since = account.last_activity_ms.unwrap_or(account.created_ms);
    Some((next_midnight(add_months(since, months.into())), expiring_amount(account.points.balance, percentage)))
}

/// When the oldest month with tier points in the account's window leaves it (`None`: no such
/// month). The account's tier is worked out ([`super::tiering::settle`]) before this.
pub fn next_roll(account: &AccountRecord, now_ms: i64) -> Option<i64> {
    let month = month_index(now_ms.max(account.tier.ms.unwrap_or(now_ms)));
    let months = i64::from(account.tier.months.max(1));
    let from = month - months + 1;
    account.tier.window.iter().find(|(m, _)| (from..=month).contains(m)).map(|(m, _)| month_start(m + months))
}

/// Works out the account's `pointsExpiration` and when it is next due at `now_ms`; true when
/// the due time moved (the account's commit then writes its [`index`] entry).
pub fn plan(account: &mut AccountRecord, prices: &PricesRecord, now_ms: i64) -> bool {
    account.expiring = expiring(account, prices);
    let due = match (account.expiring.map(|e| e.0), next_roll(account, now_ms)) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
    // A date already passed (settings changed on an inactive account): due now.
    .map(|due| due.max(now_ms));
    let moved = due != account.due_ms;
    account.due_ms = due;
    moved
}

/// The `due/` entry of the account's due time (written when [`plan`] says it moved).
pub fn index(account: &AccountRecord) -> Option<Write> {
    let due = account.due_ms?;
    Some(Write::put(keys::due(due, &account.id, account.event_sequence()), "1".into(), 0))
}

/// The due time and account an index key names.
pub fn parse_key(key: &str) -> Option<(i64, &str)> {
    let rest = key.strip_prefix(keys::DUE_PREFIX)?;
    let digits = rest.get(..15)?.as_bytes();
    let ms = digits.iter().try_fold(0i64, |n, d| d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0')))?;
    let account = rest.get(16..)?.split('/').next()?;
    Some((ms, account))
}
