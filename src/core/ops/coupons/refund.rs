//! `refundLoyaltyCoupon` (an extension): an unused coupon's points given back, once.

use super::coupon_index;
use super::read_coupon;
use super::reference::{fresh_pending_ms, hook_outcome, hook_payload, voided};
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::Input;
use crate::core::ops::arg;
use crate::core::protocol::{expect_read, Context, Io, Machine, Outcome, Request};
use crate::core::protocol::{Stamp, Step, Stored, Write};
use crate::core::reason::Reason;
use crate::core::records::TransactionType;
use crate::core::records::{self, encode, keys, view, CouponRecord, CouponStatus};
use crate::core::rules::availability;
use crate::core::rules::events;
use crate::core::rules::ledger::{self, apply_delta};
use crate::core::rules::lookup;
use crate::core::validate::Check;

/// `refundLoyaltyCoupon(loyaltyCouponId, { revision? })` (an extension): gives an unused coupon's
/// points back, once. Reads the coupon, then its account, and commits both with a `REFUND` entry.
#[derive(Debug, Clone)]
pub struct Refund {
    coupon_id: String,
    revision: Option<u64>,
    transaction_id: String,
    /// The coupon's account, once the coupon is read.
    account_id: String,
    /// The coupon as read, and its version (once read).
    coupon: Option<(CouponRecord, u64)>,
    at: Stamp,
    /// The host's coupon hooks are configured.
    hooks: bool,
    /// A refunded coupon of the host's being voided: the coupon as committed, its version, and
    /// the answer.
    voiding: Option<(CouponRecord, u64, String)>,
}

fn read_refund(mut op: Refund) -> Step {
    op.coupon = None;
    let key = keys::coupon(&op.coupon_id);
    Step::new(Request::Read(vec![key]), op)
}

pub fn refund(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let id = c.required_guid("loyaltyCouponId", arg(args, 0));
    let revision = match c.object("options", arg(args, 1), false) {
        Some(o) => c.revision("options.revision", o.get("revision")).flatten(),
        None => None,
    };
    c.finish()?;
    let id = id.ok_or_else(|| LoyaltyError::internal(Reason::InvalidState, "a checked refund went missing"))?;
    let op = Refund {
        coupon_id: id,
        revision,
        transaction_id: ctx.fresh_id(0)?,
        account_id: String::new(),
        coupon: None,
        at: ctx.stamp(),
        hooks: ctx.coupon_hooks,
        voiding: None,
    };
    let lock = vec![keys::coupon(&op.coupon_id)];
    Ok(read_refund(op).locking(lock))
}

impl Refund {
    /// The coupon read: refundable, at the revision given, if any. Then its account is read.
    fn check(mut self, stored: Option<Stored>) -> Result<Step> {
        let (coupon, version) = read_coupon(&self.coupon_id, stored)?;
        // Refunded already: the same answer again, so a refund whose outcome was lost can be
        // retried (its points were given back once).
        if let (CouponStatus::Archived, Some(refund)) = (coupon.status, &coupon.refund_transaction_id) {
            return Ok(Step::done(refund_answer(&coupon, refund)?));
        }
        if coupon.status != CouponStatus::Active {
            return Err(LoyaltyError::precondition(
                Reason::CouponNotActive,
                format!(
                    "loyalty coupon {} is {}: only an ACTIVE coupon can be refunded, once",
                    coupon.id,
                    coupon.status.as_str()
                ),
            )
            .with_data(&[("loyaltyCouponId", &coupon.id), ("status", &coupon.status.as_str())]));
        }
        if let Some(expected) = self.revision.filter(|r| *r != coupon.revision) {
            return Err(LoyaltyError::revision_mismatch(
                "options.revision",
                "loyalty coupon",
                "loyaltyCouponId",
                &coupon.id,
                expected,
                coupon.revision,
            ));
        }
        let key = keys::account(&coupon.account_id);
        self.account_id = coupon.account_id.clone();
        self.coupon = Some((coupon, version));
        Ok(Step::new(Request::Read(vec![key, keys::REWARD_PRICES.into()]), self))
    }

    fn decide(self, coupon: CouponRecord, coupon_version: u64, values: Vec<Option<Stored>>) -> Result<Step> {
        let (mut account, version) = lookup::read_account(&coupon.account_id, values.first().and_then(Option::as_ref))?;
        let (prices, prices_version) = availability::read(values.get(1).and_then(Option::as_ref))?;
        let now_ms = apply_delta(&mut account, coupon.cost, TransactionType::Refund, self.at.now_ms)?;
        let settled = availability::settle(&mut account, &prices, now_ms);
        let (id, name) = (&self.transaction_id, coupon.reward_name.clone());
        let mut txn = ledger::entry(&account, id, now_ms, coupon.cost, TransactionType::Refund, name, id.clone());
        txn.refund_info = Some(records::RefundInfo {
            app_id: records::LOYALTY_APP_ID.into(),
            refunded_transaction_id: coupon.transaction_id.clone(),
        });
        let mut coupon = coupon;
        coupon.status = CouponStatus::Archived;
        coupon.coupon_reference.deleted = true;
        coupon.refund_transaction_id = Some(txn.id.clone());
        crate::core::records::bump(&mut coupon.revision, "coupon's revision")?;
        coupon.updated_ms = now_ms.max(coupon.updated_ms);
        let mut writes = ledger::change_writes(&account, version, &txn, settled.due_moved)?;
        if coupon.external {
            // The host's coupon is voided after this commit (or by settleCoupons()): listed anew.
            coupon.void_pending = true;
            coupon.pending_ms = Some(fresh_pending_ms(&coupon, now_ms));
            let index = coupon_index(&coupon.id)?;
            writes.push(Write::put(coupon.pending_key(), index, 0));
        }
        writes.push(Write::put(keys::coupon(&coupon.id), encode(&coupon)?, coupon_version));
        writes.push(availability::check(prices_version));
        let result = refund_answer(&coupon, &txn.id)?;
        let events = if self.at.events {
            events::list(&ledger::change_events(&account, &txn, settled.flipped)?)
        } else {
            "[]".into()
        };
        if coupon.external && self.hooks {
            let mut op = self;
            op.voiding = Some((coupon, coupon_version + 1, result));
            let batch = crate::core::protocol::Batch { events, progress: "{}".into() };
            return Ok(Step::new(Request::Batch(writes, batch), op));
        }
        Ok(Step::new(Request::Commit(writes, Outcome { result, events }), self))
    }
}

impl Machine for Refund {
    fn resume(mut self: Box<Self>, io: Io) -> Result<Step> {
        // A refunded coupon of the host's: committed, then voided, then the void recorded. A
        // failing void leaves it to settleCoupons(); the refund stands either way.
        if let Some((coupon, version, answer)) = self.voiding.take() {
            return match io {
                Io::Committed if coupon.void_pending => {
                    let payload = hook_payload(&coupon)?;
                    self.voiding = Some((coupon, version, answer));
                    Ok(Step::new(Request::Hook("void", payload), *self))
                }
                Io::Hook(_) if hook_outcome(io.clone(), "void")?.is_ok() => {
                    let done = voided(coupon, self.at.now_ms)?;
                    let writes = vec![Write::put(keys::coupon(&done.id), encode(&done)?, version)];
                    self.voiding = Some((done, version + 1, answer));
                    let batch = crate::core::protocol::Batch::quiet();
                    Ok(Step::new(Request::Batch(writes, batch), *self))
                }
                _ => Ok(Step::done(answer)),
            };
        }
        match self.coupon.take() {
            None => self.check(expect_read(io, 1)?.into_iter().next().flatten()),
            Some((coupon, version)) => self.decide(coupon, version, expect_read(io, 2)?),
        }
    }

    /// The coupon or its account changed meanwhile: start over from the coupon. (A taken
    /// transaction id is a broken id generator; any other key, a corrupt store.)
    fn conflict(mut self: Box<Self>, key: &str) -> Result<Step> {
        match self.voiding.take() {
            // The void's record lost to settleCoupons(), which recorded it: the refund stands.
            Some((coupon, _, answer)) if !coupon.void_pending => return Ok(Step::done(answer)),
            // The refund's own commit was refused: decided again below.
            _ => {}
        }
        // (A refund racing another lists the coupon at the same entry: the coupon decides.)
        if key != keys::coupon(&self.coupon_id) && !key.starts_with(keys::PENDING_PREFIX) {
            ledger::retry_after(key, &self.account_id, &self.transaction_id, None)?;
        }
        Ok(read_refund(*self))
    }
}

/// `{ coupon, transactionId }`: the coupon and the `REFUND` that gave its points back.
fn refund_answer(coupon: &CouponRecord, refund: &str) -> Result<String> {
    Ok(format!("{{\"coupon\":{},\"transactionId\":\"{refund}\"}}", encode(&view::coupon(coupon))?))
}
