//! `getCurrentMemberCoupons`: the calling member's coupons, through the account's coupon index.

use super::not_found;
use super::redeem::no_account;
use crate::core::error::Result;
use crate::core::input::Input;
use crate::core::ops::get_account::member_required;
use crate::core::protocol::{expect_read, expect_scan, Caller, Context, Io, Machine, Request};
use crate::core::protocol::{ScanRequest, Step};
use crate::core::query::fields::decode_coupon;
use crate::core::records::IndexRecord;
use crate::core::records::{self, encode, keys, view, CouponIndex};

/// Rows per scan of an account's coupon index.
const INDEX_BATCH: u32 = 500;

/// `getCurrentMemberCoupons()`: the member's index, the account's coupon index, the coupons.
#[derive(Debug, Clone)]
pub struct MemberCoupons {
    member: String,
    account_id: Option<String>,
    scan: Option<ScanRequest>,
    coupon_ids: Vec<String>,
}

pub fn member_coupons(_: &[Input], ctx: &Context) -> Result<Step> {
    let Caller::Member(member) = &ctx.caller else {
        return Err(member_required("getCurrentMemberCoupons"));
    };
    let op = MemberCoupons { member: member.clone(), account_id: None, scan: None, coupon_ids: Vec::new() };
    Ok(Step::new(Request::Read(vec![keys::member_index(member)]), op))
}

impl MemberCoupons {
    fn scan_from(mut self, after: Option<String>) -> Step {
        let prefix = keys::account_coupons(self.account_id.as_deref().unwrap_or_default());
        let request = ScanRequest { prefix, after, limit: INDEX_BATCH, reverse: false };
        self.scan = Some(request.clone());
        Step::new(Request::Scan(request), self)
    }
}

impl Machine for MemberCoupons {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        if self.account_id.is_none() {
            let Some(stored) = expect_read(io, 1)?.into_iter().next().flatten() else {
                return Err(no_account(&self.member));
            };
            let index: IndexRecord = records::decode(&keys::member_index(&self.member), &stored.value)?;
            self.account_id = Some(index.account_id);
            return Ok(self.scan_from(None));
        }
        if let Some(request) = self.scan.take() {
            let rows = expect_scan(io, &request)?;
            let full = rows.len() as u32 == request.limit;
            let last = rows.last().map(|r| r.key.clone());
            for row in rows {
                let index: CouponIndex = records::decode(&row.key, &row.value)?;
                self.coupon_ids.push(index.coupon_id);
            }
            if full {
                return Ok(self.scan_from(last));
            }
            let keys = self.coupon_ids.iter().map(|id| keys::coupon(id)).collect();
            return Ok(Step::new(Request::Read(keys), *self));
        }
        let values = expect_read(io, self.coupon_ids.len())?;
        let mut items = Vec::new();
        for (id, stored) in self.coupon_ids.iter().zip(values) {
            // An index without its coupon would be a torn write: report it, never skip it.
            let Some(stored) = stored else { return Err(not_found(id)) };
            let coupon = decode_coupon(&keys::coupon(id), &stored.value)?;
            if coupon.deleted_ms.is_none() {
                items.push(encode(&view::coupon(&coupon))?);
            }
        }
        Ok(Step::done(format!("{{\"loyaltyCoupons\":[{}]}}", items.join(","))))
    }
}
