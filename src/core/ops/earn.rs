//! `earnPoints(accountId, options)`: needs an `ACTIVE` program. A retry with the same
//! `idempotencyKey` and the same request returns the original result (same `transactionId`,
//! the account as that call left it) even if the program was paused since; the same key with a
//! different request is `FAILED_PRECONDITION` / `IDEMPOTENCY_KEY_REUSED`. Keys are scoped to the
//! whole program.

use super::arg;
use crate::core::error::{LoyaltyError, Result};
use crate::core::input::{quoted, Input};
use crate::core::protocol::{expect_read, Context, Io, Machine, Outcome, Request, Stamp, Step, Stored, Write};
use crate::core::reason::Reason;
use crate::core::records::{self, json, keys, EarnInfo, EarnRequest, IdempotencyRecord, TransactionType, SCHEMA};
use crate::core::rules::availability;
use crate::core::rules::ledger::{self, apply_delta, change_outcome};
use crate::core::rules::lookup;
use crate::core::validate::Check;

pub const EARN_MAX: i64 = 9_999_999;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earn {
    request: EarnRequest,
    idempotency_key: String,
    transaction_id: String,
    at: Stamp,
}

pub fn start(args: &[Input], ctx: &Context) -> Result<Step> {
    let mut c = Check::default();
    let account_id = c.required_guid("accountId", arg(args, 0)).unwrap_or_default();
    let mut request = EarnRequest {
        account_id,
        amount: 0,
        app_id: String::new(),
        description: None,
        activity_type: None,
        order_id: None,
        channel: None,
    };
    let mut idempotency_key = String::new();
    if let Some(o) = c.object("options", arg(args, 1), true) {
        request.amount = c.integer("options.amount", o.get("amount"), 1, EARN_MAX, true).flatten().unwrap_or(0);
        request.app_id = c.required_string("options.appId", o.get("appId"), 1, 100).unwrap_or_default();
        idempotency_key =
            c.key_text("options.idempotencyKey", o.get("idempotencyKey"), 1, 256, true).flatten().unwrap_or_default();
        request.description = c.string("options.description", o.get("description"), 1, 100, false).flatten();
        request.activity_type = c.string("options.activityType", o.get("activityType"), 0, 100, false).flatten();
        request.order_id = c.string("options.orderId", o.get("orderId"), 0, 512, false).flatten();
        if let Some(f) = c.object("options.followedSocialMedia", o.get("followedSocialMedia"), false) {
            request.channel = c.required_string("options.followedSocialMedia.channel", f.get("channel"), 1, 32);
        }
    }
    c.finish()?;
    let op = Earn { request, idempotency_key, transaction_id: ctx.fresh_id(0)?, at: ctx.stamp() };
    let lock = vec![keys::account(&op.request.account_id)];
    Ok(read(op).locking(lock))
}

/// What an earn reads (first, and again after a conflict).
fn read(op: Earn) -> Step {
    let keys = vec![
        keys::PROGRAM.into(),
        keys::account(&op.request.account_id),
        keys::idempotency(&op.idempotency_key),
        keys::REWARD_PRICES.into(),
    ];
    Step::new(Request::Read(keys), op)
}

impl Machine for Earn {
    fn resume(self: Box<Self>, io: Io) -> Result<Step> {
        let [program, account, idem, prices]: [Option<Stored>; 4] = expect_read(io, 4)?
            .try_into()
            .map_err(|_| LoyaltyError::storage_protocol("storage.read returned the wrong number of entries"))?;
        let key = keys::idempotency(&self.idempotency_key);
        if let Some(idem) = idem {
            let record: IdempotencyRecord = records::decode(&key, &idem.value)?;
            if record.request != self.request {
                return Err(LoyaltyError::precondition(
                    Reason::IdempotencyKeyReused,
                    format!(
                        "idempotency key {} was already used by a different earnPoints request (transaction {})",
                        quoted(&self.idempotency_key),
                        record.transaction_id
                    ),
                )
                .with_data(&[("idempotencyKey", &self.idempotency_key), ("transactionId", &record.transaction_id)]));
            }
            let answer = json::account_answer(&record.account, Some(&record.transaction_id), self.at.packed);
            return Ok(Step::done(answer));
        }
        let (mut account, version) = lookup::read_account(&self.request.account_id, account.as_ref())?;
        let (program, _) = lookup::read_program(program.as_ref())?;
        lookup::require_active(&program, "earn points")?;
        let (prices, prices_version) = availability::read(prices.as_ref())?;
        let now_ms = apply_delta(&mut account, self.request.amount, TransactionType::Earn, self.at.now_ms)?;
        let settled = availability::settle(&mut account, &prices, now_ms);
        let r = &self.request;
        let description = r.description.clone().unwrap_or_default();
        let (id, idem_key) = (&self.transaction_id, self.idempotency_key.clone());
        let mut txn = ledger::entry(&account, id, now_ms, r.amount, TransactionType::Earn, description, idem_key);
        txn.earn_info = Some(EarnInfo {
            app_id: r.app_id.clone(),
            activity_type: r.activity_type.clone().unwrap_or_default(),
            order_id: r.order_id.clone(),
            channel: r.channel.clone(),
        });
        // The idempotency record holds the account as written for its own key: written once.
        let account_json = json::account(&account);
        let idem = json::idempotency_of(SCHEMA, &self.request, &txn.id, &account_json);
        let mut writes = ledger::change_writes_with(&account, account_json, version, &txn, settled.due_moved)?;
        writes.push(Write::put(key, idem, 0));
        writes.push(availability::check(prices_version));
        let (result, events) = change_outcome(&account, &txn, settled.flipped, self.at)?;
        Ok(Step::new(Request::Commit(writes, Outcome { result, events }), *self))
    }

    fn conflict(self: Box<Self>, key: &str) -> Result<Step> {
        ledger::retry_after(key, &self.request.account_id, &self.transaction_id, Some(&self.idempotency_key))?;
        Ok(read(*self))
    }
}
