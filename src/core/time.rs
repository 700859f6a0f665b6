//! Instants are milliseconds since the Unix epoch (what JS `Date` holds). Storage keeps them as
//! JSON numbers; the JS face turns date fields into `Date` objects.

/// 9999-12-31T23:59:59.999Z, the last instant a 4-digit ISO year can name.
pub const MAX_MS: i64 = 253_402_300_799_999;

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The calendar month (UTC) of an instant, counted from year 0: `year * 12 + month - 1`.
pub fn month_index(ms: i64) -> i64 {
    // Civil from days (proleptic Gregorian), as in `days_from_civil` the other way.
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    year * 12 + month - 1
}

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// The first instant (UTC) of month `month` (a [`month_index`]).
pub fn month_start(month: i64) -> i64 {
    days_from_civil(month.div_euclid(12), month.rem_euclid(12) + 1, 1) * DAY_MS
}

/// The first midnight (UTC) after `ms`.
pub fn next_midnight(ms: i64) -> i64 {
    (ms.div_euclid(DAY_MS) + 1) * DAY_MS
}

/// `ms` moved on by `months` calendar months (UTC), the time of day kept and the day of the
/// month cut to the length of the month reached (January 31 + 1 month = February 28 or 29).
pub fn add_months(ms: i64, months: i64) -> i64 {
    let month = month_index(ms);
    let target = month + months;
    let length = month_start(target + 1) - month_start(target);
    let into = ms - month_start(month);
    // Past the end of the shorter month: its last day, at the same time of day.
    let into = if into >= length { length - DAY_MS + ms.rem_euclid(DAY_MS) } else { into };
    month_start(target) + into
}

/// Parses `YYYY-MM-DDTHH:MM[:SS[.fff]](Z|±HH:MM)` or a bare `YYYY-MM-DD` (UTC midnight).
pub fn parse_iso(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter().try_fold(0i64, |n, d| d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0')))
    };
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let date_ms = days_from_civil(year, month, day) * 86_400_000;
    if b.len() == 10 {
        return Some(date_ms);
    }
    if !matches!(b.get(10), Some(b'T') | Some(b't') | Some(b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (hour, minute) = (num(11, 2)?, num(14, 2)?);
    let mut i = 16;
    let mut second = 0;
    let mut millis = 0;
    if b.get(i) == Some(&b':') {
        second = num(i + 1, 2)?;
        i += 3;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            let digits = b.get(start..i)?;
            if digits.is_empty() {
                return None;
            }
            for (k, d) in digits.iter().take(3).enumerate() {
                millis += i64::from(d - b'0') * [100, 10, 1].get(k).copied().unwrap_or(0);
            }
        }
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset_min = match b.get(i) {
        Some(b'Z') | Some(b'z') if b.len() == i + 1 => 0,
        Some(sign @ (b'+' | b'-')) if b.len() == i + 6 && b.get(i + 3) == Some(&b':') => {
            let m = num(i + 1, 2)? * 60 + num(i + 4, 2)?;
            if *sign == b'+' {
                m
            } else {
                -m
            }
        }
        _ => return None,
    };
    Some(date_ms + ((hour * 60 + minute - offset_min) * 60 + second) * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_index_counts_calendar_months() {
        let m = |s: &str| month_index(parse_iso(s).unwrap());
        assert_eq!(m("1970-01-01"), 1970 * 12);
        assert_eq!(m("2026-11-30T23:59:59.999Z"), 2026 * 12 + 10);
        assert_eq!(m("2026-12-01"), 2026 * 12 + 11);
        assert_eq!(m("2027-01-01"), 2027 * 12);
        assert_eq!(m("2024-02-29T12:00:00Z"), 2024 * 12 + 1);
        assert_eq!(m("2024-03-01"), 2024 * 12 + 2);
        assert_eq!(month_index(-1), 1969 * 12 + 11);
    }

    #[test]
    fn months_and_days_move_on_the_calendar() {
        let at = |s: &str| parse_iso(s).unwrap();
        assert_eq!(month_start(month_index(at("2024-02-29T12:00:00Z"))), at("2024-02-01"));
        assert_eq!(month_start(2027 * 12), at("2027-01-01"));
        assert_eq!(next_midnight(at("2026-03-15T10:00:00Z")), at("2026-03-16"));
        assert_eq!(next_midnight(at("2026-03-16")), at("2026-03-17"), "strictly after");
        assert_eq!(add_months(at("2026-03-15T10:00:00Z"), 3), at("2026-06-15T10:00:00Z"));
        assert_eq!(add_months(at("2026-01-31T23:30:00Z"), 1), at("2026-02-28T23:30:00Z"));
        assert_eq!(add_months(at("2024-01-31T08:00:00Z"), 1), at("2024-02-29T08:00:00Z"));
        assert_eq!(add_months(at("2026-11-30T00:00:00Z"), 12), at("2027-11-30"));
        assert_eq!(add_months(at("2026-12-31T05:00:00Z"), 2), at("2027-02-28T05:00:00Z"));
        assert_eq!(add_months(at("2026-08-31T05:00:00Z"), 1), at("2026-09-30T05:00:00Z"));
    }

    #[test]
    fn parses_iso_forms() {
        assert_eq!(parse_iso("1970-01-01T00:00:00.000Z"), Some(0));
        assert_eq!(parse_iso("2024-06-10T14:55:26.916Z"), Some(1_718_031_326_916));
        assert_eq!(parse_iso("2024-06-10"), Some(1_717_977_600_000));
        assert_eq!(parse_iso("2024-06-10T16:55:26.916+02:00"), Some(1_718_031_326_916));
        assert_eq!(parse_iso("9999-12-31T23:59:59.999Z"), Some(MAX_MS));
        assert_eq!(parse_iso("2024-13-10"), None);
        assert_eq!(parse_iso("yesterday"), None);
        assert_eq!(parse_iso("2024-06-10T14:55"), None);
    }
}
