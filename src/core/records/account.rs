//! Loyalty accounts (`acct/<id>`) and the indexes that find them (`contact/<id>`, `member/<id>`).

use serde::Deserialize;

use super::read::{any_int as int, any_whole, opt_bool, opt_text, opt_whole, text, whole};
use super::{first_non_guid, first_out_of_range, Record, SAFE, TIME};
use crate::core::input::Input;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
pub struct Points {
    pub balance: i64,
    pub earned: i64,
    pub adjusted: i64,
    pub redeemed: i64,
    pub expired: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[cfg_attr(test, serde(rename_all = "camelCase"))]
pub struct Picture {
    pub url: String,
    pub height: u32,
    pub width: u32,
}

/// What the host's contacts resolver knew about the contact when the account was created.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[cfg_attr(test, serde(rename_all = "camelCase"))]
pub struct ContactSnapshot {
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub member_id: Option<String>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub name: Option<String>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub email: Option<String>,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub picture: Option<Picture>,
}

/// An account's tier: the tier it is in (`None`: the base tier), when that was last worked out,
/// and the points it earned and adjusted per calendar month (UTC) of the last 36 months, which
/// give `tier.points` for any window without reading the ledger (see `rules::tiering`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
pub struct TierState {
    #[cfg_attr(test, serde(rename = "tierId", skip_serializing_if = "Option::is_none"))]
    pub id: Option<String>,
    #[cfg_attr(test, serde(rename = "tierMs", skip_serializing_if = "Option::is_none"))]
    pub ms: Option<i64>,
    /// The window (in months) `tier_points` was summed over at `ms` (12 unless written).
    #[cfg_attr(test, serde(rename = "tierMonths", skip_serializing_if = "is_twelve"))]
    pub months: u32,
    /// `(month index, points)`, ascending by month (see `time::month_index`), without zeros.
    #[cfg_attr(test, serde(skip_serializing_if = "Vec::is_empty"))]
    pub window: Vec<(i64, i64)>,
    /// In a record written before months were kept: `(month, points, revision)`, the lifetime
    /// tier points it had at `revision`, counted in the month of its last activity then (what
    /// `verify()` adds to the ledger's later months).
    #[cfg_attr(test, serde(rename = "tierCarry", skip_serializing_if = "Option::is_none"))]
    pub carry: Option<(i64, i64, u64)>,
}

impl Default for TierState {
    fn default() -> Self {
        TierState { id: None, ms: None, months: 12, window: Vec::new(), carry: None }
    }
}

#[cfg(test)]
fn is_twelve(n: &u32) -> bool {
    *n == 12
}

/// An account. Written by `json::account` and read by `json::read_account` in that form; any
/// other form is read through [`Input`] (one reader shared by the records read this way).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Serialize))]
#[cfg_attr(test, serde(rename_all = "camelCase"))]
pub struct AccountRecord {
    pub schema: u32,
    pub id: String,
    pub contact_id: String,
    pub points: Points,
    /// Points earned and adjusted inside the tiers window, as of `tier.ms` (lifetime in records
    /// written before the window was kept, which have no `tier.window`).
    pub tier_points: i64,
    pub revision: u64,
    pub created_ms: i64,
    pub updated_ms: i64,
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub last_activity_ms: Option<i64>,
    /// Whether the balance affords an active reward at the account's tier, as last announced
    /// (`account_reward_availability_updated`); absent (false) in records written before it
    /// was kept. See `rules::availability`.
    #[cfg_attr(test, serde(skip_serializing_if = "std::ops::Not::not"))]
    pub reward_available: bool,
    /// Flips of `reward_available` written by `rewardAvailability` jobs (which do not change the
    /// revision): with the revision, they number the account's events (see `event_sequence`).
    #[cfg_attr(test, serde(skip_serializing_if = "is_zero"))]
    pub flips: u64,
    #[cfg_attr(test, serde(flatten))]
    pub tier: TierState,
    /// `pointsExpiration`: when points next expire and how many, while expiration is enabled
    /// and the balance is positive (see `rules::expiry`).
    #[cfg_attr(test, serde(skip_serializing_if = "Option::is_none"))]
    pub expiring: Option<(i64, i64)>,
    /// When the scheduled work must next look at the account (points expire, or a month with
    /// points leaves the tiers window): the time of its entry in the `due/` index.
    #[cfg_attr(test, serde(rename = "dueMs", skip_serializing_if = "Option::is_none"))]
    pub due_ms: Option<i64>,
    pub contact: ContactSnapshot,
}

#[cfg(test)]
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl AccountRecord {
    /// The `entityEventSequence` of the account's events: it grows with every change that
    /// announces one (a balance change moves the revision, a job's flip the flips).
    pub fn event_sequence(&self) -> u64 {
        self.revision.saturating_add(self.flips)
    }
}

fn int_of(v: &Input) -> Option<i64> {
    match v {
        Input::Number(n) if n.fract() == 0.0 => Some(*n as i64),
        _ => None,
    }
}

/// An account from its JSON read as [`Input`] (also the account inside an `idem/` record).
pub fn account_from(v: &Input) -> Option<AccountRecord> {
    let p = v.get("points");
    let c = v.get("contact");
    let picture = match c.get("picture") {
        x if x.is_absent() => None,
        x => {
            let size = |name: &str| opt_whole(x, name).and_then(|n| u32::try_from(n.unwrap_or(0)).ok());
            Some(Picture { url: text(x, "url")?, height: size("height")?, width: size("width")? })
        }
    };
    Some(AccountRecord {
        schema: u32::try_from(whole(v, "schema")?).ok()?,
        id: text(v, "id")?,
        contact_id: text(v, "contactId")?,
        points: Points {
            balance: int(p, "balance")?,
            earned: int(p, "earned")?,
            adjusted: int(p, "adjusted")?,
            redeemed: int(p, "redeemed")?,
            expired: int(p, "expired")?,
        },
        tier_points: int(v, "tierPoints")?,
        revision: any_whole(v, "revision")?,
        created_ms: int(v, "createdMs")?,
        updated_ms: int(v, "updatedMs")?,
        last_activity_ms: match v.get("lastActivityMs") {
            x if x.is_absent() => None,
            _ => Some(int(v, "lastActivityMs")?),
        },
        reward_available: opt_bool(v, "rewardAvailable")?.unwrap_or(false),
        flips: match v.get("flips") {
            x if x.is_absent() => 0,
            _ => any_whole(v, "flips")?,
        },
        tier: TierState {
            id: opt_text(v, "tierId")?,
            ms: match v.get("tierMs") {
                x if x.is_absent() => None,
                _ => Some(int(v, "tierMs")?),
            },
            months: match v.get("tierMonths") {
                x if x.is_absent() => 12,
                x => x.whole()?.min(u64::from(u32::MAX)) as u32,
            },
            window: match v.get("window") {
                x if x.is_absent() => Vec::new(),
                Input::Array(items) => {
                    let mut window = Vec::with_capacity(items.len());
                    for item in items {
                        let Input::Array(pair) = item else { return None };
                        let [Input::Number(m), Input::Number(p)] = pair.as_slice() else { return None };
                        if m.fract() != 0.0 || p.fract() != 0.0 {
                            return None;
                        }
                        window.push((*m as i64, *p as i64));
                    }
                    window
                }
                _ => return None,
            },
            carry: match v.get("tierCarry") {
                x if x.is_absent() => None,
                Input::Array(items) => match items.as_slice() {
                    [m, p, r] => Some((int_of(m)?, int_of(p)?, r.whole()?)),
                    _ => return None,
                },
                _ => return None,
            },
        },
        expiring: match v.get("expiring") {
            x if x.is_absent() => None,
            Input::Array(items) => match items.as_slice() {
                [ms, amount] => Some((int_of(ms)?, int_of(amount)?)),
                _ => return None,
            },
            _ => return None,
        },
        due_ms: match v.get("dueMs") {
            x if x.is_absent() => None,
            _ => Some(int(v, "dueMs")?),
        },
        contact: ContactSnapshot {
            member_id: opt_text(c, "memberId")?,
            name: opt_text(c, "name")?,
            email: opt_text(c, "email")?,
            picture,
        },
    })
}

impl<'de> Deserialize<'de> for AccountRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::via_input(d, "account", account_from)
    }
}

impl Record for AccountRecord {
    fn read_written(text: &str) -> Option<Self> {
        super::json::read_account(text)
    }
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        let p = &self.points;
        first_out_of_range(&[
            ("points.balance", p.balance.into(), -SAFE, SAFE),
            ("points.earned", p.earned.into(), -SAFE, SAFE),
            ("points.adjusted", p.adjusted.into(), -SAFE, SAFE),
            ("points.redeemed", p.redeemed.into(), -SAFE, SAFE),
            ("points.expired", p.expired.into(), -SAFE, SAFE),
            ("tierPoints", self.tier_points.into(), -SAFE, SAFE),
            ("revision", self.revision.into(), 1, SAFE),
            ("flips", self.flips.into(), 0, SAFE),
            ("createdMs", self.created_ms.into(), 0, TIME),
            ("updatedMs", self.updated_ms.into(), 0, TIME),
            ("lastActivityMs", self.last_activity_ms.unwrap_or(0).into(), 0, TIME),
            ("tierMs", self.tier.ms.unwrap_or(0).into(), 0, TIME),
            ("expiring[0]", self.expiring.map_or(0, |e| e.0).into(), 0, TIME),
            ("expiring[1]", self.expiring.map_or(0, |e| e.1).into(), 0, SAFE),
            ("dueMs", self.due_ms.unwrap_or(0).into(), 0, TIME),
            ("tierMonths", self.tier.months.into(), 1, 36),
            ("window", self.tier.window.len() as i128, 0, 36),
        ])
        .or_else(|| {
            let w = &self.tier.window;
            let ascending = w.iter().zip(w.iter().skip(1)).all(|(a, b)| a.0 < b.0);
            let months = 10_000 * 12;
            let limit = i128::from(crate::core::rules::tiering::MONTH_LIMIT);
            let ranged = w.iter().all(|(m, p)| (0..months).contains(m) && (-limit..=limit).contains(&i128::from(*p)));
            let carry = self.tier.carry.is_none_or(|(m, p, r)| {
                (0..months).contains(&m) && (-SAFE..=SAFE).contains(&i128::from(p)) && i128::from(r) <= SAFE
            });
            (!ascending || !ranged || !carry)
                .then(|| "window must hold months in ascending order with points in range".into())
        })
        .or_else(|| {
            let member = self.contact.member_id.as_deref();
            first_non_guid(&[
                ("id", &self.id),
                ("contactId", &self.contact_id),
                ("memberId", member.unwrap_or(&self.id)),
                ("tierId", self.tier.id.as_deref().unwrap_or(&self.id)),
            ])
        })
    }
}

/// `contact/<id>` and `member/<id>` entries (read through `Input`, as the coupon indexes are).
#[derive(serde::Serialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct IndexRecord {
    pub schema: u32,
    pub account_id: String,
}

impl<'de> Deserialize<'de> for IndexRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::via_input(d, "index", |v| {
            Some(IndexRecord {
                schema: super::read::whole(v, "schema")?.min(u64::from(u32::MAX)) as u32,
                account_id: super::read::text(v, "accountId")?,
            })
        })
    }
}

impl Record for IndexRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        first_non_guid(&[("accountId", &self.account_id)])
    }
}
