//! `getLoyaltyCoupon` and `deleteLoyaltyCoupon`.

use super::read_coupon;
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::ops::arg;
use crate::core::protocol::{expect_read, Context, Io, Machine, Outcome, Request};
use crate::core::protocol::{Stamp, Step, Write};
use crate::core::reason::Reason;
use crate::core::records::{encode, keys, view, CouponStatus};
use crate::core::rules::events::{self, Entity, EventSpec};
use crate::core::validate::Check;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Get(String);

pub fn get(args: &[Input], _: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = c.required_guid("loyaltyCouponId", arg(args, 0)).unwrap_or_default();
    c.finish()?;
    Ok(Step::new(Request::Read(vec![keys::coupon(&id)]), Get(id)))
}

impl Machine for Get {
    fn resume(self: Box<Self>, io: Io) -> Result<Step> {
        let (coupon, _) = read_coupon(&self.0, expect_read(io, 1)?.into_iter().next().flatten())?;
        Ok(Step::done(format!("{{\"loyaltyCoupon\":{}}}", encode(&view::coupon(&coupon))?)))
    }
}

#[derive(Debug, Clone)]
pub struct Delete {
    id: String,
    revision: u64,
    at: Stamp,
}

fn read_for_delete(op: Delete) -> Step {
    let key = keys::coupon(&op.id);
    Step::new(Request::Read(vec![key]), op)
}

/// `deleteLoyaltyCoupon(_id, revision)`.
pub fn delete(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = c.required_guid("_id", arg(args, 0));
    let revision = match c.revision("revision", arg(args, 1)) {
        Some(None) => {
            c.fail("revision", Reason::RequiredField, "is required: the coupon's current revision");
            None
        }
        r => r.flatten(),
    };
    c.finish()?;
    let (Some(id), Some(revision)) = (id, revision) else {
        return Err(LoyaltyError::internal(Reason::InvalidState, "a checked delete went missing"));
    };
    let lock = vec![keys::coupon(&id)];
    Ok(read_for_delete(Delete { id, revision, at: ctx.stamp() }).locking(lock))
}

impl Machine for Delete {
    fn resume(self: Box<Self>, io: Io) -> Result<Step> {
        let (mut coupon, version) = read_coupon(&self.id, expect_read(io, 1)?.into_iter().next().flatten())?;
        if coupon.status == CouponStatus::Pending {
            return Err(LoyaltyError::new(
                crate::core::error::Code::Aborted,
                Reason::RedemptionInProgress,
                format!(
                    "loyalty coupon {} is PENDING (its redemption waits on referenceCoupons.create): retry later",
                    coupon.id
                ),
            )
            .with_data(&[("loyaltyCouponId", &coupon.id)]));
        }
        if coupon.revision != self.revision {
            return Err(LoyaltyError::revision_mismatch(
                "revision",
                "loyalty coupon",
                "loyaltyCouponId",
                &coupon.id,
                self.revision,
                coupon.revision,
            ));
        }
        let now = self.at.now_ms.max(coupon.updated_ms);
        crate::core::records::bump(&mut coupon.revision, "coupon's revision")?;
        coupon.updated_ms = now;
        coupon.deleted_ms = Some(now);
        let events = if self.at.events {
            events::list(&[events::deleted(EventSpec::of(
                Entity::Coupon,
                "deleted",
                &coupon.id,
                coupon.revision,
                now,
            ))?])
        } else {
            "[]".into()
        };
        let writes = vec![Write::put(keys::coupon(&coupon.id), encode(&coupon)?, version)];
        Ok(Step::new(Request::Commit(writes, Outcome { result: "{}".into(), events }), *self))
    }

    fn conflict(self: Box<Self>, _key: &str) -> Result<Step> {
        Ok(read_for_delete(*self))
    }
}
