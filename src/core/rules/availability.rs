//! `rewardAvailable`: whether an account's balance affords at least one active reward (at its
//! price for the account's tier, see `records::prices`). It is stored in the account and changed, with an
//! `account_reward_availability_updated` event, exactly when it flips:
//!
//! * **On a balance change** (earn, adjust, redeem, refund, bulk adjust): the change reads
//!   `reward-prices` ([`PricesRecord`]) in the same batch as the account, sets the flag from the
//!   new balance, and commits with a check that `reward-prices` is still at the version read (a
//!   reward change meanwhile makes it read again). Trigger `BALANCE_UPDATED`.
//! * **On a reward change** that moves the lowest price: the reward's commit updates
//!   `reward-prices` and creates a job (`rewardAvailability`, see [`crate::core::ops::bulk_adjust`]) that
//!   takes every account, 100 at a time, and commits the flipped flags with their events, the
//!   job's position, a check of `reward-prices`, and a check of every account it looked at (so a
//!   balance change that raced the batch makes the batch scan again). The reward call answers
//!   once the job has finished; until the job reaches an account, that account shows the
//!   previous value. A crash leaves the job running for `resumeJobs()`. Trigger
//!   `REWARD_UPDATED`. A change that keeps the lowest price changes no flag and runs no job.
//!
//! A store written before the flag was kept has no `reward-prices`: balance changes read that
//! as "no active reward", and the first reward change builds the record from the rewards (a scan
//! of them) and runs the job, which sets every account's flag.

use std::rc::Rc;

use super::events::{self, Entity, EventSpec};
use crate::core::error::Result;
use crate::core::protocol::{expect_scan, Io, ScanRequest, Stored, Write};
use crate::core::query::fields::decode_reward;
use crate::core::records::prices::contribution;
use crate::core::records::{self, keys, AccountRecord, PricesRecord};

/// Job kind of the recomputation after a reward change.
pub const KIND: &str = "rewardAvailability";
/// Job kind of the recomputation after a tier change (see `rules::tiering`).
pub const TIERS_KIND: &str = "tiersRecalculation";

/// Whether a job of `kind` recomputes every account (no adjustment).
pub fn is_recalculation(kind: &str) -> bool {
    kind == KIND || kind == TIERS_KIND || kind == super::expiry::KIND
}

/// Why a flag flipped (`updateTrigger`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Balance,
    Reward,
    Tiers,
}

impl Trigger {
    fn as_str(self) -> &'static str {
        match self {
            Trigger::Balance => "BALANCE_UPDATED",
            Trigger::Reward => "REWARD_UPDATED",
            Trigger::Tiers => "TIERS_RECALCULATED",
        }
    }
}

/// The trigger of the flips a recalculation job of `kind` writes.
pub fn trigger_of(kind: &str) -> Trigger {
    if kind == TIERS_KIND {
        Trigger::Tiers
    } else {
        Trigger::Reward
    }
}

thread_local! {
    /// The prices last decoded, with their text: every balance change reads them, and they
    /// change only with the catalogue (matched on the whole text, as the program is).
    /// (Shared, not copied: the ladder of 20 tiers is 20 strings.)
    static PRICES: std::cell::RefCell<Option<(String, Rc<PricesRecord>)>> = const { std::cell::RefCell::new(None) };
}

/// The prices as read with their version (absent: no active reward, version 0).
pub fn read(stored: Option<&Stored>) -> Result<(Rc<PricesRecord>, u64)> {
    let Some(s) = stored else { return Ok((Rc::new(PricesRecord::empty()), 0)) };
    let known = PRICES.with(|p| {
        p.borrow()
            .as_ref()
            .and_then(|(text, prices)| crate::core::small::same(text, &s.value).then(|| Rc::clone(prices)))
    });
    let prices = match known {
        Some(prices) => prices,
        None => {
            let prices: Rc<PricesRecord> = Rc::new(records::decode(keys::REWARD_PRICES, &s.value)?);
            PRICES.with(|p| *p.borrow_mut() = Some((s.value.clone(), Rc::clone(&prices))));
            prices
        }
    };
    Ok((prices, s.version))
}

/// The check a balance change commits with: the prices are still those it read.
pub fn check(version: u64) -> Write {
    Write::check(keys::REWARD_PRICES, version)
}

/// What [`settle`] changed besides the balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    /// `rewardAvailable` flipped.
    pub flipped: bool,
    /// The account's due time moved: its commit writes the `due/` entry (see `rules::expiry`).
    pub due_moved: bool,
}

/// After a balance change at `now_ms`: works out the account's tier ([`super::tiering`]), sets
/// its flag, and plans its expiration and next tier roll ([`super::expiry::plan`]).
pub fn settle(account: &mut AccountRecord, prices: &PricesRecord, now_ms: i64) -> Settled {
    super::tiering::settle(account, prices, now_ms);
    let flipped = flag(account, prices);
    Settled { flipped, due_moved: super::expiry::plan(account, prices, now_ms) }
}

/// Sets the account's flag from its balance; true when it flipped.
pub fn flag(account: &mut AccountRecord, prices: &PricesRecord) -> bool {
    let now = prices.affords(account.points.balance, account.tier.id.as_deref());
    let flipped = now != account.reward_available;
    account.reward_available = now;
    flipped
}

/// An account a recalculation (a job, or the scheduled work) changed without a balance change:
/// its revision stays (it counts balance changes) and its event sequence moves on once per
/// event, and once at least (it numbers the account's `due/` entry). `updated`: its tier or
/// `pointsExpiration` moved (`account_updated`); `flipped`: its flag flipped.
pub fn recalculated(
    account: &mut AccountRecord,
    updated: bool,
    flipped: bool,
    trigger: Trigger,
    at: crate::core::protocol::Stamp,
    list: &mut Vec<String>,
) -> Result<()> {
    if updated || !flipped {
        crate::core::records::bump(&mut account.flips, "account's flips")?;
    }
    if updated && at.events {
        let spec = EventSpec::of(Entity::Account, "updated", &account.id, account.event_sequence(), at.now_ms);
        list.push(events::event(spec, "entity", &records::json::account_view(account))?);
    }
    if flipped {
        crate::core::records::bump(&mut account.flips, "account's flips")?;
        if at.events {
            list.push(event(account, trigger, at.now_ms)?);
        }
    }
    Ok(())
}

/// `account_reward_availability_updated` of a flip, at the account's revision.
pub fn event(account: &AccountRecord, trigger: Trigger, now_ms: i64) -> Result<String> {
    let data =
        format!("{{\"rewardAvailable\":{},\"updateTrigger\":\"{}\"}}", account.reward_available, trigger.as_str());
    let spec =
        EventSpec::of(Entity::Account, "reward_availability_updated", &account.id, account.event_sequence(), now_ms);
    events::event(spec, "data", &data)
}

/// Rewards read per page while building `reward-prices` from them.
const PAGE: u32 = 100;

/// `reward-prices` as a reward change finds it: read, or being built from the rewards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prices {
    Ready(PricesRecord, u64),
    /// Absent: the rewards are scanned (this page next) and counted so far.
    Building(ScanRequest, PricesRecord),
}

fn page(after: Option<String>) -> ScanRequest {
    ScanRequest { prefix: keys::REWARD_PREFIX.into(), after, limit: PAGE, reverse: false }
}

impl Prices {
    /// From the read of `reward-prices`.
    pub fn from_read(stored: Option<&Stored>) -> Result<Prices> {
        match stored {
            Some(_) => read(stored).map(|(p, v)| Prices::Ready(PricesRecord::clone(&p), v)),
            None => Ok(Prices::Building(page(None), PricesRecord::empty())),
        }
    }

    /// With the answer to the scan of a page of rewards.
    pub fn scanned(self, io: Io) -> Result<Prices> {
        let Prices::Building(request, mut prices) = self else { return Ok(self) };
        let rows = expect_scan(io, &request)?;
        let more = rows.len() as u32 == request.limit;
        let last = rows.last().map(|r| r.key.clone());
        for row in rows {
            if let Some(c) = contribution(&decode_reward(&row.key, &row.value)?) {
                prices.add(&c);
            }
        }
        Ok(if more { Prices::Building(page(last), prices) } else { Prices::Ready(prices, 0) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prices_are_remembered_for_their_exact_text_only() {
        let stored = |text: &str| Stored { value: text.into(), version: 3 };
        let five = stored(r#"{"schema":1,"costs":[[5,1]]}"#);
        let six = stored(r#"{"schema":1,"costs":[[6,1]]}"#);
        assert_eq!(read(Some(&five)).map(|(p, v)| (p.lowest(None), v)), Ok((Some(5), 3)));
        assert_eq!(read(Some(&five)).map(|(p, _)| p.lowest(None)), Ok(Some(5)));
        assert_eq!(read(Some(&six)).map(|(p, _)| p.lowest(None)), Ok(Some(6)), "same length, other text");
        assert_eq!(read(None).map(|(p, v)| (p.lowest(None), v)), Ok((None, 0)));
    }
}
