//! Which tier an account is in (spec §2.6, §3.2 `tier`), kept in O(1) per balance change.
//!
//! * **Tier points** are the points earned and adjusted (both signs) inside the tiers window:
//!   the current calendar month (UTC, on the backend's clock) and the `durationInMonths − 1`
//!   before it. Each account keeps its earned and adjusted points per month for the last 36
//!   months (the longest window), so the sum for any window needs no ledger read, and a window
//!   changed in the settings applies to the months already kept.
//! * **The tier** is the one with the highest `requiredPoints` at most the tier points while the
//!   tiers program is `ACTIVE`; else, or below every threshold, the base tier (`tier._id`
//!   absent). `tier._updatedDate` is when it was last worked out.
//! * **When**: on every balance change (from the ladder copied into `reward-prices`, which the
//!   change reads and checks anyway, see [`super::availability`]), and for every account by a
//!   `tiersRecalculation` job when a tier change moves the ladder or the window.
//! * An account written before months were kept counts its lifetime tier points in the month of
//!   its last activity the first time it is worked out.

use crate::core::error::Result;
use crate::core::records::{AccountRecord, PricesRecord, SAFE};
use crate::core::time::month_index;

/// Months of points kept per account: the longest window.
pub const KEPT_MONTHS: i64 = 36;

/// The most a month can hold either way. A release before this one stopped a month there (a
/// month of adjustments up and redemptions could pass it) where [`add`] now refuses the change;
/// `verify` and the record's decoder keep that limit, so stores of that release still check.
pub const MONTH_LIMIT: i64 = crate::core::validate::MAX_SAFE_INTEGER;

/// Moves `delta` earned or adjusted points into the month of `now_ms`, dropping months no
/// window reaches. The kept months together stay safe integers (so does any window's sum, and
/// every stored number is exact as a JS number): a change that would take them past that is
/// `POINTS_LIMIT_EXCEEDED`, and leaves the account as it was.
/// (`ledger::apply_delta`, its one caller, has converted a record from before months were kept.)
pub fn add(account: &mut AccountRecord, delta: i64, now_ms: i64) -> Result<()> {
    let month = month_index(now_ms);
    let window = &account.tier.window;
    let kept = |m: i64| m > month - KEPT_MONTHS;
    let total: i128 = window.iter().filter(|(m, _)| kept(*m)).map(|(_, p)| i128::from(*p)).sum();
    let at = window.binary_search_by_key(&month, |(m, _)| *m);
    let in_month = i128::from(at.ok().and_then(|i| window.get(i)).map_or(0, |e| e.1));
    // Past the range and further from it than before (a store of the release that stopped a
    // month at the limit can hold kept months beyond it: a change back towards it stays allowed).
    let leaves = |before: i128| {
        let after = before + i128::from(delta);
        after.abs() > SAFE && after.abs() > before.abs()
    };
    if leaves(total) || leaves(in_month) {
        return Err(crate::core::records::points_limit_exceeded(&format!(
            "the account's tier points of the last {KEPT_MONTHS} months"
        )));
    }
    let window = &mut account.tier.window;
    match at {
        // In range: checked just above.
        Ok(i) => {
            if let Some(entry) = window.get_mut(i) {
                entry.1 = (in_month + i128::from(delta)) as i64;
            }
        }
        Err(i) => window.insert(i, (month, delta)),
    }
    window.retain(|(m, p)| kept(*m) && *p != 0);
    Ok(())
}

/// A record from before months were kept: its lifetime tier points become its last active
/// month's (`tier.ms` absent marks it; every account written since has it).
pub fn convert_legacy(account: &mut AccountRecord) {
    if account.tier.ms.is_none() && account.tier.window.is_empty() && account.tier.carry.is_none() {
        let at = month_index(account.last_activity_ms.unwrap_or(account.updated_ms));
        if account.tier_points != 0 {
            account.tier.window.push((at, account.tier_points));
        }
        account.tier.carry = Some((at, account.tier_points, account.revision));
    }
}

/// The points of the window of `months` months ending with the month of `now_ms`.
pub fn window_points(account: &AccountRecord, months: u32, now_ms: i64) -> i64 {
    let month = month_index(now_ms);
    let from = month - i64::from(months.max(1)) + 1;
    let sum: i128 =
        account.tier.window.iter().filter(|(m, _)| (from..=month).contains(m)).map(|(_, p)| i128::from(*p)).sum();
    let safe = i128::from(crate::core::validate::MAX_SAFE_INTEGER);
    sum.clamp(-safe, safe) as i64
}

/// Works out the account's tier points and tier at `now_ms`; true when either changed, or the
/// window they are summed over (the account then needs writing even without a balance change).
pub fn settle(account: &mut AccountRecord, prices: &PricesRecord, now_ms: i64) -> bool {
    convert_legacy(account);
    // Never earlier than the last time it was worked out (a job on a clock ahead of this one's).
    let now_ms = now_ms.max(account.tier.ms.unwrap_or(now_ms));
    let points = window_points(account, prices.months, now_ms);
    let tier = prices.tier_for(points);
    let changed =
        points != account.tier_points || tier != account.tier.id.as_deref() || account.tier.months != prices.months;
    account.tier.months = prices.months;
    if tier != account.tier.id.as_deref() {
        account.tier.id = tier.map(str::to_string);
    }
    account.tier_points = points;
    account.tier.ms = Some(now_ms);
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::reason::Reason;
    use crate::core::time::parse_iso;

    fn at(s: &str) -> i64 {
        parse_iso(s).unwrap_or_default()
    }

    fn put(a: &mut AccountRecord, delta: i64, now_ms: i64) {
        add(a, delta, now_ms).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn tier_points_past_the_safe_range_are_refused_and_change_nothing() {
        let max = crate::core::validate::MAX_SAFE_INTEGER;
        let mut a = account();
        put(&mut a, max - 1, at("2025-01-10"));
        put(&mut a, 1, at("2025-01-11"));
        let before = a.tier.window.clone();
        let e = add(&mut a, 1, at("2025-01-12")).err().map(|e| e.reason);
        assert_eq!(e, Some(Reason::PointsLimitExceeded), "the month at its limit");
        let e = add(&mut a, 1, at("2025-02-12")).err().map(|e| e.reason);
        assert_eq!(e, Some(Reason::PointsLimitExceeded), "a new month whose window would pass the limit");
        assert_eq!(a.tier.window, before);
        put(&mut a, -5, at("2025-02-12"));
        put(&mut a, -max, at("2028-06-01"));
        let e = add(&mut a, -1, at("2028-06-02")).err().map(|e| e.reason);
        assert_eq!(e, Some(Reason::PointsLimitExceeded), "below the range too");
    }

    #[test]
    fn kept_months_past_the_range_in_an_older_store_still_take_a_change_back() {
        let max = crate::core::validate::MAX_SAFE_INTEGER;
        let mut a = account();
        let (jan, feb) = (month_index(at("2025-01-10")), month_index(at("2025-02-10")));
        a.tier.window = vec![(jan, max), (feb, max)];
        put(&mut a, -1, at("2025-02-11"));
        assert_eq!(a.tier.window, vec![(jan, max), (feb, max - 1)]);
        let e = add(&mut a, 2, at("2025-02-12")).err().map(|e| e.reason);
        assert_eq!(e, Some(Reason::PointsLimitExceeded), "but not one further from it");
    }

    fn account() -> AccountRecord {
        crate::core::records::decode(
            "acct/x",
            r#"{"schema":1,"id":"00000000-0000-4000-8000-000000000001","contactId":"00000000-0000-4000-8000-000000000002","points":{"balance":0,"earned":0,"adjusted":0,"redeemed":0,"expired":0},"tierPoints":0,"revision":1,"createdMs":0,"updatedMs":0,"tierMs":0,"contact":{}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_window_counts_whole_calendar_months() {
        let mut a = account();
        put(&mut a, 100, at("2025-01-31T23:59:59Z"));
        put(&mut a, 10, at("2025-02-01"));
        put(&mut a, -3, at("2025-02-15"));
        assert_eq!(a.tier.window.len(), 2);
        assert_eq!(window_points(&a, 12, at("2025-12-31")), 107);
        assert_eq!(window_points(&a, 12, at("2026-01-01")), 7, "January 2025 left a 12-month window");
        assert_eq!(window_points(&a, 1, at("2025-02-28")), 7);
        assert_eq!(window_points(&a, 36, at("2027-12-01")), 107);
        put(&mut a, 1, at("2028-02-01"));
        assert_eq!(a.tier.window, vec![(month_index(at("2028-02-01")), 1)], "older months are dropped");
        put(&mut a, -1, at("2028-02-02"));
        assert!(a.tier.window.is_empty(), "a month back at zero is dropped");
    }

    #[test]
    fn the_tier_is_the_highest_threshold_met() {
        let mut prices = PricesRecord::empty();
        let (silver, gold) = ("00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b");
        prices.ladder = vec![(silver.into(), 100), (gold.into(), 500)];
        let mut a = account();
        put(&mut a, 99, at("2025-03-01"));
        assert!(settle(&mut a, &prices, at("2025-03-01")));
        assert_eq!((a.tier.id.as_deref(), a.tier_points), (None, 99));
        assert!(!settle(&mut a, &prices, at("2025-03-02")), "nothing moved");
        put(&mut a, 1, at("2025-03-02"));
        settle(&mut a, &prices, at("2025-03-02"));
        assert_eq!(a.tier.id.as_deref(), Some(silver));
        put(&mut a, 400, at("2025-04-02"));
        settle(&mut a, &prices, at("2025-04-02"));
        assert_eq!(a.tier.id.as_deref(), Some(gold));
        // The window rolls past March: 400 points left, silver.
        assert!(settle(&mut a, &prices, at("2026-03-01")));
        assert_eq!((a.tier.id.as_deref(), a.tier_points), (Some(silver), 400));
        assert_eq!(a.tier.ms, Some(at("2026-03-01")));
    }

    #[test]
    fn a_record_from_before_the_window_counts_its_points_at_its_last_activity() {
        let mut a = account();
        a.tier.ms = None;
        a.tier_points = 250;
        a.last_activity_ms = Some(at("2025-06-10"));
        settle(&mut a, &PricesRecord::empty(), at("2025-07-01"));
        assert_eq!(a.tier.window, vec![(month_index(at("2025-06-10")), 250)]);
        assert_eq!(a.tier.carry, Some((month_index(at("2025-06-10")), 250, 1)));
        assert_eq!(a.tier_points, 250);
        settle(&mut a, &PricesRecord::empty(), at("2026-06-01"));
        assert_eq!(a.tier_points, 0, "and they leave the window a year on");
    }
}
