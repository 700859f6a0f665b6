//! `reward-prices`: what decides every account's `rewardAvailable`, in one small record that a
//! balance change reads in the same batch as the account (so no change reads the catalogue).
//!
//! It holds the base-tier price (`costInPoints`) of every active reward, as a multiset: the
//! distinct prices in ascending order, each with the number of active rewards at that price.
//! An account can afford a reward when its balance reaches the lowest price. Every reward
//! change updates it in the same commit as the reward (conditionally on the version read), so it
//! always equals a recomputation from the rewards; `verify()` checks that it does.
//!
//! Stores written before it existed have none: the first reward change builds it from the
//! rewards (see `ops::availability`), and until then balance changes read "no active reward".

use serde::Deserialize;

use super::read::whole;
use super::{Record, RewardRecord, SAFE};
use crate::core::input::Input;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PricesRecord {
    pub schema: u32,
    /// `(costInPoints, active rewards at that price)`, ascending by price, counts ≥ 1.
    pub costs: Vec<(i64, u64)>,
}

impl PricesRecord {
    pub fn empty() -> Self {
        PricesRecord { schema: super::SCHEMA, costs: Vec::new() }
    }

    /// The lowest price of an active reward, if any.
    pub fn lowest(&self) -> Option<i64> {
        self.costs.first().map(|(cost, _)| *cost)
    }

    /// Whether `balance` affords at least one active reward.
    pub fn affords(&self, balance: i64) -> bool {
        self.lowest().is_some_and(|lowest| balance >= lowest)
    }

    pub fn add(&mut self, cost: i64) {
        match self.costs.binary_search_by_key(&cost, |(c, _)| *c) {
            Ok(i) => {
                if let Some(entry) = self.costs.get_mut(i) {
                    entry.1 += 1;
                }
            }
            Err(i) => self.costs.insert(i, (cost, 1)),
        }
    }

    /// Takes one reward at `cost` out; false when there is none at that price (the record does
    /// not match the rewards: the store was altered).
    pub fn remove(&mut self, cost: i64) -> bool {
        let Ok(i) = self.costs.binary_search_by_key(&cost, |(c, _)| *c) else { return false };
        match self.costs.get_mut(i) {
            Some(entry) if entry.1 > 1 => entry.1 -= 1,
            _ => {
                self.costs.remove(i);
            }
        }
        true
    }

    /// The record's text: `{"schema":1,"costs":[[100,2],[250,1]]}`.
    pub fn to_json(&self) -> String {
        let mut out = format!("{{\"schema\":{},\"costs\":[", self.schema);
        for (i, (cost, count)) in self.costs.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            crate::core::small::push_decimal(&mut out, cost.unsigned_abs(), 1);
            out.push(',');
            crate::core::small::push_decimal(&mut out, *count, 1);
            out.push(']');
        }
        out.push_str("]}");
        out
    }
}

/// The price of `reward` that counts for availability: its base-tier `costInPoints`, when it is
/// active and not deleted.
pub fn counted_cost(reward: &RewardRecord) -> Option<i64> {
    if !reward.active || reward.deleted_ms.is_some() {
        return None;
    }
    reward.base_cost()
}

fn from_input(v: &Input) -> Option<PricesRecord> {
    let Input::Array(items) = v.get("costs") else { return None };
    let mut costs = Vec::with_capacity(items.len());
    for item in items {
        let Input::Array(pair) = item else { return None };
        match pair.as_slice() {
            [cost, count] => costs.push((cost.whole()?.min(SAFE as u64) as i64, count.whole()?)),
            _ => return None,
        }
    }
    Some(PricesRecord { schema: whole(v, "schema")?.min(u64::from(u32::MAX)) as u32, costs })
}

impl<'de> Deserialize<'de> for PricesRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::via_input(d, "reward prices", from_input)
    }
}

impl Record for PricesRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        let ascending = self.costs.iter().zip(self.costs.iter().skip(1)).all(|(a, b)| a.0 < b.0);
        let counted = self.costs.iter().all(|(cost, count)| *cost >= 1 && *count >= 1);
        (!ascending || !counted)
            .then(|| "costs must be distinct prices ≥ 1 in ascending order, each with a count ≥ 1".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_multiset_keeps_the_lowest_price_and_round_trips() {
        let mut p = PricesRecord::empty();
        assert!(!p.affords(1_000_000));
        for cost in [250, 100, 100, 400] {
            p.add(cost);
        }
        assert_eq!(p.costs, vec![(100, 2), (250, 1), (400, 1)]);
        assert_eq!((p.affords(99), p.affords(100)), (false, true));
        let text = p.to_json();
        assert_eq!(text, r#"{"schema":1,"costs":[[100,2],[250,1],[400,1]]}"#);
        assert_eq!(super::super::decode::<PricesRecord>("reward-prices", &text), Ok(p.clone()));
        assert!(p.remove(100) && p.remove(100));
        assert_eq!(p.lowest(), Some(250));
        assert!(!p.remove(100), "no reward is left at 100");
        let err = super::super::decode::<PricesRecord>("reward-prices", r#"{"schema":1,"costs":[[5,1],[5,2]]}"#);
        assert_eq!(err.map_err(|e| e.reason), Err("CORRUPT_RECORD"));
    }
}
