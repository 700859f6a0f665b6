//! The queryable fields of each entity: their names (the SDK's, with the REST spellings as
//! aliases), kinds and the operators they take, and how to read them from a record.

use crate::core::error::Result;
use crate::core::input::Input;
use crate::core::records::{self, AccountRecord, CouponRecord, RewardRecord, TransactionRecord};

/// How a field's values are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A GUID: compared in lower case.
    Id,
    Text,
    Number,
    /// Epoch milliseconds; filters take a `Date` or an ISO-8601 string.
    Date,
    /// A fixed set of names: equality and membership only.
    Enum,
    /// `true` or `false`: equality and membership only.
    Bool,
}

/// Which operators a field takes beyond `$eq $ne $in $nin $hasSome $hasAll $exists`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ops {
    /// `$lt $lte $gt $gte`.
    pub range: bool,
    /// `$startsWith $endsWith $contains` (case-insensitive for ASCII letters).
    pub text: bool,
}

pub const ALL: Ops = Ops { range: true, text: true };
pub const RANGE: Ops = Ops { range: true, text: false };
pub const EQUALITY: Ops = Ops { range: false, text: false };

#[derive(Debug)]
pub struct FieldSpec {
    /// The SDK's name, then other accepted spellings (REST names).
    pub names: &'static [&'static str],
    pub kind: Kind,
    pub ops: Ops,
}

impl FieldSpec {
    pub fn name(&self) -> &'static str {
        self.names.first().copied().unwrap_or("")
    }
}

/// A field value (or a filter operand).
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
}

impl Val {
    /// The value a cursor holds (as JSON).
    pub fn to_input(&self) -> Input {
        match self {
            Val::Null => Input::Null,
            Val::Bool(b) => Input::Bool(*b),
            Val::Num(n) => Input::Number(*n),
            Val::Str(s) => Input::String(s.clone()),
        }
    }

    /// A value read back from a cursor; `None` for what no field holds.
    pub fn from_input(input: &Input) -> Option<Val> {
        Some(match input {
            Input::Null => Val::Null,
            Input::Bool(b) => Val::Bool(*b),
            Input::Number(n) => Val::Num(*n),
            Input::String(s) => Val::Str(s.clone()),
            _ => return None,
        })
    }
}

/// A decoded row a query reads field by field, and shows.
pub trait Fields {
    fn value(&self, field: usize) -> Val;
    fn view_json(&self) -> Result<String>;
    /// A row no query shows (a deleted reward's tombstone).
    fn hidden(&self) -> bool {
        false
    }
}

impl std::fmt::Debug for dyn Fields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fields")
    }
}

/// What a query can run over: an entity's fields and how to decode its stored rows.
pub struct Entity {
    pub fields: &'static [FieldSpec],
    pub decode: fn(&str, &str) -> Result<Box<dyn Fields>>,
    /// Rows are written once and never change (ledger entries): worth remembering decoded.
    pub immutable: bool,
}

impl std::fmt::Debug for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Entity")
    }
}

/// The index of the field called `name` (any of its spellings).
pub fn lookup(fields: &[FieldSpec], name: &str) -> Option<usize> {
    fields.iter().position(|f| f.names.contains(&name))
}

/// The names of `fields`, for messages.
pub fn names(fields: &[FieldSpec]) -> String {
    fields.iter().map(|f| f.name().to_string()).collect::<Vec<String>>().join(", ")
}

fn text(s: &str) -> Val {
    Val::Str(s.to_string())
}

fn opt(s: Option<&str>) -> Val {
    s.map_or(Val::Null, text)
}

fn num(n: i64) -> Val {
    Val::Num(n as f64)
}

const TXN_FIELDS: &[FieldSpec] = &[
    FieldSpec { names: &["_id", "id"], kind: Kind::Id, ops: ALL },
    FieldSpec { names: &["accountId"], kind: Kind::Id, ops: ALL },
    FieldSpec { names: &["_createdDate", "createdDate"], kind: Kind::Date, ops: RANGE },
    FieldSpec { names: &["amount"], kind: Kind::Number, ops: RANGE },
    FieldSpec { names: &["transactionType"], kind: Kind::Enum, ops: EQUALITY },
    FieldSpec { names: &["description"], kind: Kind::Text, ops: ALL },
    FieldSpec { names: &["idempotencyKey"], kind: Kind::Text, ops: ALL },
];

/// Field numbers of [`TransactionRecord`]'s fields.
pub const TXN_ACCOUNT_ID: usize = 1;
pub const TXN_CREATED_DATE: usize = 2;

/// Ledger transactions.
pub static TRANSACTIONS: Entity = Entity {
    fields: TXN_FIELDS,
    decode: |key, value| Ok(Box::new(records::decode::<TransactionRecord>(key, value)?)),
    immutable: true,
};

impl Fields for TransactionRecord {
    fn value(&self, field: usize) -> Val {
        match field {
            0 => text(&self.id),
            1 => text(&self.account_id),
            2 => num(self.created_ms),
            3 => num(self.amount),
            4 => text(self.transaction_type.as_str()),
            5 => text(&self.description),
            6 => text(&self.idempotency_key),
            _ => Val::Null,
        }
    }

    fn view_json(&self) -> Result<String> {
        Ok(records::json::transaction_view(self))
    }
}

const ACCOUNT_FIELDS: &[FieldSpec] = &[
    FieldSpec { names: &["_id", "id"], kind: Kind::Id, ops: ALL },
    FieldSpec { names: &["contactId"], kind: Kind::Id, ops: ALL },
    FieldSpec { names: &["memberId"], kind: Kind::Id, ops: ALL },
    FieldSpec { names: &["points.balance"], kind: Kind::Number, ops: RANGE },
    FieldSpec { names: &["points.earned"], kind: Kind::Number, ops: RANGE },
    FieldSpec { names: &["points.adjusted"], kind: Kind::Number, ops: RANGE },
    FieldSpec { names: &["points.redeemed"], kind: Kind::Number, ops: RANGE },
    FieldSpec { names: &["points.expired"], kind: Kind::Number, ops: RANGE },
    FieldSpec { names: &["_createdDate", "createdDate"], kind: Kind::Date, ops: RANGE },
    FieldSpec { names: &["_updatedDate", "updatedDate"], kind: Kind::Date, ops: RANGE },
    FieldSpec { names: &["lastActivityDate"], kind: Kind::Date, ops: RANGE },
    FieldSpec { names: &["tier._id", "tier.id"], kind: Kind::Id, ops: ALL },
    FieldSpec { names: &["tier.points"], kind: Kind::Number, ops: RANGE },
    FieldSpec { names: &["contact._id", "contact.id"], kind: Kind::Id, ops: ALL },
    FieldSpec { names: &["contact.name"], kind: Kind::Text, ops: ALL },
    FieldSpec { names: &["contact.email"], kind: Kind::Text, ops: ALL },
    FieldSpec { names: &["contact.displayName"], kind: Kind::Text, ops: ALL },
    FieldSpec { names: &["pointsExpiration.expirationDate"], kind: Kind::Date, ops: RANGE },
    FieldSpec { names: &["pointsExpiration.expiringPointsAmount"], kind: Kind::Number, ops: RANGE },
    FieldSpec { names: &["revision"], kind: Kind::Number, ops: RANGE },
];

/// Field numbers of [`AccountRecord`]'s text fields that free-text search reads.
pub const ACCOUNT_CONTACT_NAME: usize = 14;
pub const ACCOUNT_CONTACT_EMAIL: usize = 15;

/// Loyalty accounts.
pub static ACCOUNTS: Entity =
    Entity { fields: ACCOUNT_FIELDS, decode: |key, value| Ok(Box::new(decode_account(key, value)?)), immutable: false };

/// A record from its `<prefix><id>` row, checked to hold the `what` the key names.
fn decode_keyed<T: records::Record>(key: &str, value: &str, prefix: &str, what: &str, id: fn(&T) -> &str) -> Result<T> {
    let named = key.strip_prefix(prefix).unwrap_or_default();
    let record: T = records::decode(key, value)?;
    if id(&record) != named {
        return Err(crate::core::error::LoyaltyError::corrupt(key, format!("it holds {what} {}", id(&record))));
    }
    Ok(record)
}

/// An account from its `acct/<id>` row, checked to be the account the key names.
pub fn decode_account(key: &str, value: &str) -> Result<AccountRecord> {
    decode_keyed(key, value, records::keys::ACCOUNT_PREFIX, "account", |a: &AccountRecord| &a.id)
}

impl Fields for AccountRecord {
    fn value(&self, field: usize) -> Val {
        let p = &self.points;
        let c = &self.contact;
        match field {
            0 => text(&self.id),
            1 | 13 => text(&self.contact_id),
            2 => opt(c.member_id.as_deref()),
            3 => num(p.balance),
            4 => num(p.earned),
            5 => num(p.adjusted),
            6 => num(p.redeemed),
            7 => num(p.expired),
            8 => num(self.created_ms),
            9 => num(self.updated_ms),
            10 => self.last_activity_ms.map_or(Val::Null, num),
            11 => opt(self.tier.id.as_deref()),
            12 => num(self.tier_points),
            14 => opt(c.name.as_deref()),
            15 => opt(c.email.as_deref()),
            16 => opt(c.name.as_deref().or(c.email.as_deref())),
            17 => self.expiring.map_or(Val::Null, |e| num(e.0)),
            18 => num(self.expiring.map_or(0, |e| e.1)),
            19 => num(self.revision as i64),
            _ => Val::Null,
        }
    }

    fn view_json(&self) -> Result<String> {
        Ok(records::json::account_view(self))
    }
}

const REWARD_FIELDS: &[FieldSpec] = &[
    FieldSpec { names: &["_id", "id"], kind: Kind::Id, ops: ALL },
    FieldSpec { names: &["name"], kind: Kind::Text, ops: ALL },
    FieldSpec { names: &["active"], kind: Kind::Bool, ops: EQUALITY },
    FieldSpec { names: &["type"], kind: Kind::Enum, ops: EQUALITY },
    FieldSpec { names: &["_createdDate", "createdDate"], kind: Kind::Date, ops: RANGE },
    FieldSpec { names: &["_updatedDate", "updatedDate"], kind: Kind::Date, ops: RANGE },
    FieldSpec { names: &["revision"], kind: Kind::Number, ops: RANGE },
];

/// Field number of a reward's `active`.
pub const REWARD_ACTIVE: usize = 2;

/// Rewards; a deleted one (a tombstone) is hidden from every query.
pub static REWARDS: Entity =
    Entity { fields: REWARD_FIELDS, decode: |key, value| Ok(Box::new(decode_reward(key, value)?)), immutable: false };

/// A reward from its `reward/<id>` row, checked to be the reward the key names.
pub fn decode_reward(key: &str, value: &str) -> Result<RewardRecord> {
    decode_keyed(key, value, records::keys::REWARD_PREFIX, "reward", |r: &RewardRecord| &r.id)
}

impl Fields for RewardRecord {
    fn value(&self, field: usize) -> Val {
        match field {
            0 => text(&self.id),
            1 => text(&self.name),
            2 => Val::Bool(self.active),
            3 => text(self.kind.as_str()),
            4 => num(self.created_ms),
            5 => num(self.updated_ms),
            6 => num(self.revision as i64),
            _ => Val::Null,
        }
    }

    fn view_json(&self) -> Result<String> {
        records::encode(&records::view::reward(self))
    }

    fn hidden(&self) -> bool {
        self.deleted_ms.is_some()
    }
}

const COUPON_FIELDS: &[FieldSpec] = &[
    FieldSpec { names: &["_id", "id"], kind: Kind::Id, ops: ALL },
    FieldSpec { names: &["accountId"], kind: Kind::Id, ops: ALL },
    FieldSpec { names: &["memberId"], kind: Kind::Id, ops: ALL },
    FieldSpec { names: &["transactionId"], kind: Kind::Id, ops: ALL },
    FieldSpec { names: &["status"], kind: Kind::Enum, ops: EQUALITY },
    FieldSpec { names: &["rewardName"], kind: Kind::Text, ops: ALL },
    FieldSpec { names: &["couponReference.code"], kind: Kind::Text, ops: ALL },
    FieldSpec { names: &["couponReference.couponId"], kind: Kind::Id, ops: ALL },
    FieldSpec { names: &["_createdDate", "createdDate"], kind: Kind::Date, ops: RANGE },
    FieldSpec { names: &["_updatedDate", "updatedDate"], kind: Kind::Date, ops: RANGE },
    FieldSpec { names: &["revision"], kind: Kind::Number, ops: RANGE },
];

/// Loyalty coupons; a deleted one (a tombstone) is hidden from every query.
pub static COUPONS: Entity =
    Entity { fields: COUPON_FIELDS, decode: |key, value| Ok(Box::new(decode_coupon(key, value)?)), immutable: false };

/// A coupon from its `coupon/<id>` row, checked to be the coupon the key names.
pub fn decode_coupon(key: &str, value: &str) -> Result<CouponRecord> {
    decode_keyed(key, value, records::keys::COUPON_PREFIX, "coupon", |c: &CouponRecord| &c.id)
}

impl Fields for CouponRecord {
    fn value(&self, field: usize) -> Val {
        match field {
            0 => text(&self.id),
            1 => text(&self.account_id),
            2 => opt(self.member_id.as_deref()),
            3 => text(&self.transaction_id),
            4 => text(self.status.as_str()),
            5 => text(&self.reward_name),
            6 => text(&self.coupon_reference.code),
            7 => text(&self.coupon_reference.coupon_id),
            8 => num(self.created_ms),
            9 => num(self.updated_ms),
            10 => num(self.revision as i64),
            _ => Val::Null,
        }
    }

    fn view_json(&self) -> Result<String> {
        records::encode(&records::view::coupon(self))
    }

    fn hidden(&self) -> bool {
        self.deleted_ms.is_some()
    }
}
