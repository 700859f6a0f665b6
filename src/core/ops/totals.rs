//! `getProgramTotals` (spec §2.2): what the business owes its customers, and how many are in
//! each tier.
//!
//! The totals are summed at read time from the accounts themselves, 500 per storage scan: no
//! counter record that every balance change would have to update (which would serialize every
//! writer on one key), and nothing that can drift from the ledger, since every account equals
//! the sum of its own ledger (`verify()` checks that). The cost is one scan of the accounts per
//! call, as for an account query without a filter.
//!
//! * `points`: the sums of every account's `balance`, `earned`, `adjusted`, `redeemed` and
//!   `expired`.
//! * `tierTotals`: the base tier first (`_id` null), then every tier by `requiredPoints`, each
//!   with the accounts in it (as last worked out, see `rules::tiering`), zeros included.
//!
//! Summed in 128 bits; a total past the JS safe range is still written exactly.

use crate::core::error::Result;
use crate::core::input::{quoted, Input};
use crate::core::protocol::{expect_read, expect_scan, Context, Io, Machine, Request, ScanRequest, Step};
use crate::core::records::{decode, keys, tier::TiersRecord};
use crate::core::small::wide;

const PAGE: u32 = 500;

#[derive(Debug, Clone, Default)]
pub struct Totals {
    /// The scan under way; `None` while the tiers are read.
    scan: Option<ScanRequest>,
    /// balance, earned, adjusted, redeemed, expired.
    sums: [i128; 5],
    /// (tier id, accounts): the base tier (`None`) and the tiers in order, then any other tier
    /// an account names (one deleted while its recalculation had not finished).
    counts: Vec<(Option<String>, u64)>,
}

pub fn start(_: &[Input], _: &Context) -> Result<Step> {
    Ok(Step::new(Request::Read(vec![keys::TIERS.into()]), Totals::default()))
}

fn page(after: Option<String>) -> ScanRequest {
    ScanRequest { prefix: keys::ACCOUNT_PREFIX.into(), after, limit: PAGE, reverse: false }
}

impl Totals {
    fn answer(&self) -> String {
        let [balance, earned, adjusted, redeemed, expired] = self.sums.map(wide);
        let tiers: Vec<String> = self
            .counts
            .iter()
            .map(|(id, n)| {
                format!("{{\"_id\":{},\"numberOfAccounts\":{n}}}", id.as_deref().map_or("null".into(), quoted))
            })
            .collect();
        format!(
            "{{\"points\":{{\"balance\":{balance},\"earned\":{earned},\"adjusted\":{adjusted},\"redeemed\":{redeemed},\"expired\":{expired}}},\"tierTotals\":[{}]}}",
            tiers.join(",")
        )
    }
}

impl Machine for Totals {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        let Some(request) = self.scan.take() else {
            let stored = expect_read(io, 1)?.into_iter().next().flatten();
            let tiers = match stored {
                Some(s) => decode::<TiersRecord>(keys::TIERS, &s.value)?,
                None => TiersRecord::default(),
            };
            self.counts =
                std::iter::once(None).chain(tiers.tiers.into_iter().map(|t| Some(t.id))).map(|t| (t, 0)).collect();
            let first = page(None);
            self.scan = Some(first.clone());
            return Ok(Step::new(Request::Scan(first), *self));
        };
        let rows = expect_scan(io, &request)?;
        let more = rows.len() as u32 == request.limit;
        let last = rows.last().map(|r| r.key.clone());
        for row in rows {
            let a = crate::core::query::fields::decode_account(&row.key, &row.value)?;
            let p = &a.points;
            for (sum, n) in self.sums.iter_mut().zip([p.balance, p.earned, p.adjusted, p.redeemed, p.expired]) {
                *sum += i128::from(n);
            }
            match self.counts.iter_mut().find(|(id, _)| *id == a.tier.id) {
                Some(entry) => entry.1 += 1,
                None => self.counts.push((a.tier.id, 1)),
            }
        }
        if !more {
            return Ok(Step::done(self.answer()));
        }
        let next = page(last);
        self.scan = Some(next.clone());
        Ok(Step::new(Request::Scan(next), *self))
    }
}
