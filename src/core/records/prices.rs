//! `reward-prices`: what decides every account's `rewardAvailable` and tier, in one small record
//! that a balance change reads in the same batch as the account (so no change reads the
//! catalogue or the tiers).
//!
//! * `costs`: the base-tier price (`costInPoints`) of every active reward, as a multiset: the
//!   distinct prices in ascending order, each with the number of active rewards at that price.
//! * `tierCosts`: for each tier some active reward prices on its own, the multiset of those
//!   prices (`own`) and the multiset of the same rewards' base prices (`shadowed`). A reward
//!   costs an account in tier T its T price, else its base price, so the lowest price at T is
//!   the lowest of `own` and of `costs` without `shadowed`.
//! * `months` and `ladder`: the tiers window (12 when absent) and, while the tiers program is
//!   `ACTIVE`, the tier ids with their thresholds, lowest first; copied from `tiers` by each tier
//!   change in the same commit (see `rules::tiering`).
//!
//! * `expire`: while points expiration is `ENABLED`, the program's `[monthsOfInactivity,
//!   expiringPointsPercentage]`; copied from `program` by each change of the setting in the same
//!   commit, so every balance change works out the account's `pointsExpiration` from the record
//!   it reads anyway (see `rules::expiry`).
//!
//! An account can afford a reward when its balance reaches the lowest price at its tier. Every
//! reward change updates the record in the same commit as the reward (conditionally on the
//! version read), so it always equals a recomputation from the rewards and the tiers;
//! `verify()` checks that it does.
//!
//! Stores written before it existed have none: the first reward or tier change builds it from
//! the rewards (see `rules::availability`), and until then balance changes read "no active reward"
//! and "every account in the base tier".

use serde::Deserialize;

use super::read::whole;
use super::{Record, RewardRecord, SAFE};
use crate::core::input::Input;

/// A multiset of prices: `(costInPoints, how many)`, ascending by price, counts ≥ 1.
pub type Costs = Vec<(i64, u64)>;

fn put(costs: &mut Costs, cost: i64) {
    match costs.binary_search_by_key(&cost, |(c, _)| *c) {
        Ok(i) => {
            if let Some(entry) = costs.get_mut(i) {
                entry.1 += 1;
            }
        }
        Err(i) => costs.insert(i, (cost, 1)),
    }
}

/// False when there is no price `cost` to take.
fn take(costs: &mut Costs, cost: i64) -> bool {
    let Ok(i) = costs.binary_search_by_key(&cost, |(c, _)| *c) else { return false };
    match costs.get_mut(i) {
        Some(entry) if entry.1 > 1 => entry.1 -= 1,
        _ => {
            costs.remove(i);
        }
    }
    true
}

/// The prices of one tier (see the module's comment).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TierCosts {
    pub tier_id: String,
    pub own: Costs,
    pub shadowed: Costs,
}

/// What one active reward puts into the record: its base price, and its own price at each tier.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Contribution {
    pub base: Option<i64>,
    pub tiers: Vec<(String, i64)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PricesRecord {
    pub schema: u32,
    pub costs: Costs,
    /// By tier id, ascending.
    pub tier_costs: Vec<TierCosts>,
    /// The tiers window, in months (1–36).
    pub months: u32,
    /// `(tier id, requiredPoints)` of every tier, ascending, while the tiers program is
    /// `ACTIVE`; empty otherwise (every account is in the base tier).
    pub ladder: Vec<(String, i64)>,
    /// `(monthsOfInactivity, expiringPointsPercentage)` while points expiration is enabled.
    pub expiration: Option<(u32, u32)>,
}

impl PricesRecord {
    pub fn empty() -> Self {
        PricesRecord {
            schema: super::SCHEMA,
            costs: Vec::new(),
            tier_costs: Vec::new(),
            months: 12,
            ladder: Vec::new(),
            expiration: None,
        }
    }

    /// The tier reached with `points` in the window: the highest threshold met (`None`: base).
    pub fn tier_for(&self, points: i64) -> Option<&str> {
        self.ladder.iter().rev().find(|(_, required)| *required <= points).map(|(id, _)| id.as_str())
    }

    /// The lowest price of an active reward at `tier` (`None`: the base tier), if any.
    pub fn lowest(&self, tier: Option<&str>) -> Option<i64> {
        let Some(t) = tier.and_then(|t| self.tier_costs.iter().find(|c| c.tier_id == t)) else {
            return self.costs.first().map(|(cost, _)| *cost);
        };
        // The lowest base price left once the rewards priced at this tier are taken out.
        let mut shadowed = t.shadowed.iter().peekable();
        let mut base = None;
        for (cost, count) in &self.costs {
            let hidden = match shadowed.peek() {
                Some((c, n)) if c == cost => {
                    let n = *n;
                    shadowed.next();
                    n
                }
                _ => 0,
            };
            if *count > hidden {
                base = Some(*cost);
                break;
            }
        }
        match (base, t.own.first().map(|(cost, _)| *cost)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether `balance` affords at least one active reward at `tier`.
    pub fn affords(&self, balance: i64, tier: Option<&str>) -> bool {
        self.lowest(tier).is_some_and(|lowest| balance >= lowest)
    }

    /// Whether an account could afford something at some balance and tier here and not there:
    /// the lowest price moved at the base tier or at a tier either names, or the ladder or the
    /// window moved.
    pub fn moved_from(&self, before: &PricesRecord) -> bool {
        if self.ladder != before.ladder || self.months != before.months || self.expiration != before.expiration {
            return true;
        }
        let tiers = self.tier_costs.iter().chain(&before.tier_costs).map(|t| Some(t.tier_id.as_str()));
        let ladder = self.ladder.iter().map(|(id, _)| Some(id.as_str()));
        std::iter::once(None).chain(tiers).chain(ladder).any(|t| self.lowest(t) != before.lowest(t))
    }

    pub fn add(&mut self, c: &Contribution) {
        if let Some(base) = c.base {
            put(&mut self.costs, base);
        }
        for (tier, cost) in &c.tiers {
            let i = match self.tier_costs.binary_search_by(|t| t.tier_id.as_str().cmp(tier)) {
                Ok(i) => i,
                Err(i) => {
                    self.tier_costs.insert(i, TierCosts { tier_id: tier.clone(), ..TierCosts::default() });
                    i
                }
            };
            if let Some(t) = self.tier_costs.get_mut(i) {
                put(&mut t.own, *cost);
                if let Some(base) = c.base {
                    put(&mut t.shadowed, base);
                }
            }
        }
    }

    /// Takes a reward's contribution out; false when the record does not hold it (it does not
    /// match the rewards: the store was altered).
    pub fn remove(&mut self, c: &Contribution) -> bool {
        let mut ok = c.base.is_none_or(|base| take(&mut self.costs, base));
        for (tier, cost) in &c.tiers {
            let Some(t) = self.tier_costs.iter_mut().find(|t| &t.tier_id == tier) else { return false };
            ok &= take(&mut t.own, *cost) && c.base.is_none_or(|base| take(&mut t.shadowed, base));
        }
        self.tier_costs.retain(|t| !t.own.is_empty() || !t.shadowed.is_empty());
        ok
    }

    /// The record's text: `{"schema":1,"costs":[[100,2],[250,1]]}`, then `tierCosts`,
    /// `months` and `ladder` when they are not empty or 12.
    pub fn to_json(&self) -> String {
        fn costs(out: &mut String, costs: &Costs) {
            out.push('[');
            for (i, (cost, count)) in costs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('[');
                crate::core::small::push_decimal(out, cost.unsigned_abs(), 1);
                out.push(',');
                crate::core::small::push_decimal(out, *count, 1);
                out.push(']');
            }
            out.push(']');
        }
        let mut out = format!("{{\"schema\":{},\"costs\":", self.schema);
        costs(&mut out, &self.costs);
        if !self.tier_costs.is_empty() {
            out.push_str(",\"tierCosts\":[");
            for (i, t) in self.tier_costs.iter().enumerate() {
                out.push_str(if i > 0 { ",[\"" } else { "[\"" });
                out.push_str(&t.tier_id);
                out.push_str("\",");
                costs(&mut out, &t.own);
                out.push(',');
                costs(&mut out, &t.shadowed);
                out.push(']');
            }
            out.push(']');
        }
        if self.months != 12 {
            out.push_str(",\"months\":");
            crate::core::small::push_decimal(&mut out, self.months.into(), 1);
        }
        if !self.ladder.is_empty() {
            out.push_str(",\"ladder\":[");
            for (i, (id, required)) in self.ladder.iter().enumerate() {
                out.push_str(if i > 0 { ",[\"" } else { "[\"" });
                out.push_str(id);
                out.push_str("\",");
                crate::core::small::push_decimal(&mut out, required.unsigned_abs(), 1);
                out.push(']');
            }
            out.push(']');
        }
        if let Some((months, percentage)) = self.expiration {
            out.push_str(",\"expire\":[");
            crate::core::small::push_decimal(&mut out, months.into(), 1);
            out.push(',');
            crate::core::small::push_decimal(&mut out, percentage.into(), 1);
            out.push(']');
        }
        out.push('}');
        out
    }
}

/// What `reward` puts into `reward-prices`: its prices when it is active and not deleted.
pub fn contribution(reward: &RewardRecord) -> Option<Contribution> {
    if !reward.active || reward.deleted_ms.is_some() {
        return None;
    }
    Some(Contribution { base: reward.base_cost(), tiers: reward.tier_costs() })
}

fn costs_from(v: &Input) -> Option<Costs> {
    let Input::Array(items) = v else { return None };
    let mut costs = Vec::with_capacity(items.len());
    for item in items {
        let Input::Array(pair) = item else { return None };
        match pair.as_slice() {
            [cost, count] => costs.push((cost.whole()?.min(SAFE as u64) as i64, count.whole()?)),
            _ => return None,
        }
    }
    Some(costs)
}

fn from_input(v: &Input) -> Option<PricesRecord> {
    let costs = costs_from(v.get("costs"))?;
    let mut tier_costs = Vec::new();
    match v.get("tierCosts") {
        t if t.is_absent() => {}
        Input::Array(items) => {
            for item in items {
                let Input::Array(parts) = item else { return None };
                let [id, own, shadowed] = parts.as_slice() else { return None };
                tier_costs.push(TierCosts {
                    tier_id: id.text()?.to_string(),
                    own: costs_from(own)?,
                    shadowed: costs_from(shadowed)?,
                });
            }
        }
        _ => return None,
    }
    let months = match v.get("months") {
        m if m.is_absent() => 12,
        m => m.whole()?.min(u64::from(u32::MAX)) as u32,
    };
    let mut ladder = Vec::new();
    match v.get("ladder") {
        l if l.is_absent() => {}
        Input::Array(items) => {
            for item in items {
                let Input::Array(pair) = item else { return None };
                match pair.as_slice() {
                    [id, required] => ladder.push((id.text()?.to_string(), required.whole()?.min(SAFE as u64) as i64)),
                    _ => return None,
                }
            }
        }
        _ => return None,
    }
    let small = |n: &Input| n.whole().map(|n| n.min(u64::from(u32::MAX)) as u32);
    let expiration = match v.get("expire") {
        e if e.is_absent() => None,
        Input::Array(pair) => match pair.as_slice() {
            [months, percentage] => Some((small(months)?, small(percentage)?)),
            _ => return None,
        },
        _ => return None,
    };
    let schema = whole(v, "schema")?.min(u64::from(u32::MAX)) as u32;
    Some(PricesRecord { schema, costs, tier_costs, months, ladder, expiration })
}

impl<'de> Deserialize<'de> for PricesRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::via_input(d, "reward prices", from_input)
    }
}

fn valid(costs: &Costs) -> bool {
    let ascending = costs.iter().zip(costs.iter().skip(1)).all(|(a, b)| a.0 < b.0);
    ascending && costs.iter().all(|(cost, count)| *cost >= 1 && (1..=super::SAFE as u64).contains(count))
}

impl Record for PricesRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        let tiers = &self.tier_costs;
        let by_id = tiers.iter().zip(tiers.iter().skip(1)).all(|(a, b)| a.tier_id < b.tier_id);
        let climbing = self.ladder.iter().zip(self.ladder.iter().skip(1)).all(|(a, b)| a.1 < b.1);
        let ids = self.ladder.iter().map(|(id, _)| id).chain(tiers.iter().map(|t| &t.tier_id));
        if !valid(&self.costs) || !tiers.iter().all(|t| valid(&t.own) && valid(&t.shadowed)) || !by_id {
            Some(
                "costs must be distinct prices ≥ 1 in ascending order, each with a count from 1 to 2^53 − 1"
                    .to_string(),
            )
        } else if !(1..=36).contains(&self.months) {
            Some(format!("months is {}, outside 1..=36", self.months))
        } else if self.expiration.is_some_and(|(m, p)| !(1..=12).contains(&m) || !(1..=100).contains(&p)) {
            Some("expire must be [monthsOfInactivity 1–12, expiringPointsPercentage 1–100]".to_string())
        } else if !climbing || self.ladder.iter().any(|(_, r)| *r < 1) {
            Some("ladder must hold tiers with distinct requiredPoints ≥ 1 in ascending order".to_string())
        } else {
            super::first_non_guid(&ids.map(|id| ("tierId", id.as_str())).collect::<Vec<_>>())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::reason::Reason;

    fn base(cost: i64) -> Contribution {
        Contribution { base: Some(cost), tiers: Vec::new() }
    }

    #[test]
    fn the_multiset_keeps_the_lowest_price_and_round_trips() {
        let mut p = PricesRecord::empty();
        assert!(!p.affords(1_000_000, None));
        for cost in [250, 100, 100, 400] {
            p.add(&base(cost));
        }
        assert_eq!(p.costs, vec![(100, 2), (250, 1), (400, 1)]);
        assert_eq!((p.affords(99, None), p.affords(100, None)), (false, true));
        let text = p.to_json();
        assert_eq!(text, r#"{"schema":1,"costs":[[100,2],[250,1],[400,1]]}"#);
        assert_eq!(super::super::decode::<PricesRecord>("reward-prices", &text), Ok(p.clone()));
        assert!(p.remove(&base(100)) && p.remove(&base(100)));
        assert_eq!(p.lowest(None), Some(250));
        assert!(!p.remove(&base(100)), "no reward is left at 100");
        let err = super::super::decode::<PricesRecord>("reward-prices", r#"{"schema":1,"costs":[[5,1],[5,2]]}"#);
        assert_eq!(err.map_err(|e| e.reason), Err(Reason::CorruptRecord));

        let gold = "00000000-0000-4000-8000-00000000000a".to_string();
        let silver = "00000000-0000-4000-8000-00000000000b".to_string();
        p.months = 24;
        p.ladder = vec![(silver.clone(), 500), (gold.clone(), 1000)];
        let text = p.to_json();
        assert_eq!(super::super::decode::<PricesRecord>("reward-prices", &text), Ok(p.clone()));
        assert_eq!(
            (p.tier_for(499), p.tier_for(500), p.tier_for(10_000)),
            (None, Some(silver.as_str()), Some(gold.as_str()))
        );
        p.expiration = Some((3, 50));
        let text = p.to_json();
        assert!(text.ends_with(r#","expire":[3,50]}"#), "{text}");
        assert_eq!(super::super::decode::<PricesRecord>("reward-prices", &text), Ok(p.clone()));
        let before = p.clone();
        p.expiration = Some((3, 40));
        assert!(p.moved_from(&before), "a new percentage moves every account's pointsExpiration");
        p.expiration = Some((13, 50));
        assert_eq!(
            super::super::decode::<PricesRecord>("reward-prices", &p.to_json()).map_err(|e| e.reason),
            Err(Reason::CorruptRecord)
        );
        p.expiration = None;
        p.ladder.reverse();
        assert_eq!(
            super::super::decode::<PricesRecord>("reward-prices", &p.to_json()).map_err(|e| e.reason),
            Err(Reason::CorruptRecord)
        );
    }

    #[test]
    fn a_tier_pays_its_own_price_else_the_base_price() {
        let gold = "00000000-0000-4000-8000-00000000000a";
        let silver = "00000000-0000-4000-8000-00000000000b";
        let mut p = PricesRecord::empty();
        // Cheap at base but dearer for gold; a second reward at 300 for everyone.
        let cheap = Contribution { base: Some(100), tiers: vec![(gold.into(), 150)] };
        p.add(&cheap);
        p.add(&base(300));
        assert_eq!((p.lowest(None), p.lowest(Some(silver)), p.lowest(Some(gold))), (Some(100), Some(100), Some(150)));
        // A gold-only reward at 50.
        let gold_only = Contribution { base: None, tiers: vec![(gold.into(), 50)] };
        p.add(&gold_only);
        assert_eq!((p.lowest(None), p.lowest(Some(gold))), (Some(100), Some(50)));
        let text = p.to_json();
        assert_eq!(super::super::decode::<PricesRecord>("reward-prices", &text), Ok(p.clone()));
        let before = p.clone();
        assert!(p.remove(&gold_only));
        assert!(p.moved_from(&before), "gold's lowest moved");
        assert!(p.remove(&cheap));
        assert_eq!((p.lowest(None), p.lowest(Some(gold))), (Some(300), Some(300)));
        assert!(p.tier_costs.is_empty(), "no tier prices left");
        assert!(!p.remove(&cheap));
        let same = p.clone();
        assert!(!p.moved_from(&same));
    }
}
