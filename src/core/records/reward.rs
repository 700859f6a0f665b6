//! Rewards (`reward/<id>`): what points can be redeemed for. A reward is a discount amount
//! (`DISCOUNT_AMOUNT`, a flexible checkout discount) or a coupon (`COUPON_REWARD`: a fixed
//! amount, a percentage or free shipping), priced per tier in `configsByTier`.
//!
//! The record keeps the details in the SDK's own shape (camelCase, the same nesting), so the
//! view is the record with `_id`, `revision` as a string and the dates renamed.
//!
//! Deleting a reward leaves a tombstone (`deletedMs`) instead of removing the key: the storage
//! contract has no delete, and a tombstone moves the key's version on, so that anything priced
//! from the reward before (a redemption) fails its version check. A tombstone reads as "no such
//! reward" everywhere.

use serde::{Deserialize, Serialize};

use super::{first_non_guid, first_out_of_range, Record, TIME};
use crate::core::input::{format_number, Input};
use crate::core::reason::Reason;
use crate::core::validate::Check;

/// Prices per reward: the base tier and up to 20 tiers.
pub const MAX_CONFIGS: usize = 21;
const MAX_COST: i64 = 9_999_999;
/// The largest money amount (a fixed discount, a minimum subtotal) a reward takes.
const MAX_MONEY: f64 = 1e12;

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RewardType {
    DiscountAmount,
    CouponReward,
}

impl RewardType {
    pub fn as_str(self) -> &'static str {
        match self {
            RewardType::DiscountAmount => "DISCOUNT_AMOUNT",
            RewardType::CouponReward => "COUPON_REWARD",
        }
    }
}

/// One tier's price of a `DISCOUNT_AMOUNT` reward: `amount` is a decimal string (> 0, at most
/// two decimals), as the SDK sends it.
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DiscountConfig {
    pub amount: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier_id: Option<String>,
    pub cost_in_points: u32,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DiscountAmount {
    pub configs_by_tier: Vec<DiscountConfig>,
}

/// One tier's price of a coupon: `amount` for a fixed amount, `percentage` for a percentage,
/// neither for free shipping.
#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CouponConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier_id: Option<String>,
    pub cost_in_points: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<f64>,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CouponConfigs {
    pub configs_by_tier: Vec<CouponConfig>,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ScopeGroup {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CouponScope {
    pub namespace: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<ScopeGroup>,
}

/// A coupon reward: exactly one discount (`fixedAmount`, `percentage` or `freeShipping`), at
/// most one of `minimumSubtotal` and `scope`, and the coupon's options.
#[derive(Serialize, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct CouponReward {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_amount: Option<CouponConfigs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percentage: Option<CouponConfigs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_shipping: Option<CouponConfigs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_subtotal: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<CouponScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limited_to_one_item: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies_to_subscriptions: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discounted_cycle_count: Option<u32>,
}

impl CouponReward {
    /// The tier prices of its discount, whichever kind it is.
    pub fn configs(&self) -> &[CouponConfig] {
        self.fixed_amount
            .as_ref()
            .or(self.percentage.as_ref())
            .or(self.free_shipping.as_ref())
            .map_or(&[], |c| c.configs_by_tier.as_slice())
    }

    /// Its price at `tier` (`None`: the base tier): the tier's own, else the base tier's.
    pub fn price_at(&self, tier: Option<&str>) -> Option<&CouponConfig> {
        let configs = self.configs();
        let own = tier.and_then(|t| configs.iter().find(|c| c.tier_id.as_deref() == Some(t)));
        own.or_else(|| configs.iter().find(|c| c.tier_id.is_none()))
    }
}

/// A reward's details: which of the two it is decides its type.
#[derive(Clone, Debug, PartialEq)]
pub enum Details {
    Discount(DiscountAmount),
    Coupon(CouponReward),
}

impl Details {
    pub fn kind(&self) -> RewardType {
        match self {
            Details::Discount(_) => RewardType::DiscountAmount,
            Details::Coupon(_) => RewardType::CouponReward,
        }
    }
}

#[derive(Serialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RewardRecord {
    pub schema: u32,
    pub id: String,
    pub name: String,
    pub active: bool,
    #[serde(rename = "type")]
    pub kind: RewardType,
    pub revision: u64,
    pub created_ms: i64,
    pub updated_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_amount: Option<DiscountAmount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_reward: Option<CouponReward>,
    /// Set on a deleted reward (a tombstone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_ms: Option<i64>,
}

/// Read through [`Input`] and the same checks as a reward given to `createReward` (one
/// reader for both, and no second serde reader of the details in the module).
impl<'de> Deserialize<'de> for RewardRecord {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let input = Input::deserialize(d)?;
        from_input(&input).map_err(serde::de::Error::custom)
    }
}

fn from_input(v: &Input) -> Result<RewardRecord, String> {
    let mut c = Check::default();
    let whole = |c: &mut Check, name: &str| {
        let n = v.get(name).whole();
        if n.is_none() {
            c.fail(name, Reason::WrongType, "must be a whole number");
        }
        n.unwrap_or(0)
    };
    let (schema, revision) = (whole(&mut c, "schema"), whole(&mut c, "revision"));
    let (created, updated) = (whole(&mut c, "createdMs"), whole(&mut c, "updatedMs"));
    let deleted = match v.get("deletedMs") {
        d if d.is_absent() => None,
        d => Some(d.whole().unwrap_or_else(|| {
            c.fail("deletedMs", Reason::WrongType, "must be a whole number");
            0
        })),
    };
    let id = c.required_string("id", v.get("id"), 36, 36);
    let name = c.required_string("name", v.get("name"), 1, 50);
    let active = match v.get("active") {
        Input::Bool(b) => *b,
        _ => {
            c.fail("active", Reason::WrongType, "must be true or false");
            false
        }
    };
    let details = details(&mut c, "reward", v, true);
    if let Err(e) = c.finish() {
        return Err(e.description);
    }
    let (Some(id), Some(name), Some(Some(details))) = (id, name, details) else {
        return Err("a reward's fields are missing".into());
    };
    let clamp = |n: u64| n.min(i64::MAX as u64) as i64;
    let mut r = RewardRecord {
        schema: schema.min(u64::from(u32::MAX)) as u32,
        id,
        name,
        active,
        kind: details.kind(),
        revision,
        created_ms: clamp(created),
        updated_ms: clamp(updated),
        discount_amount: None,
        coupon_reward: None,
        deleted_ms: deleted.map(clamp),
    };
    r.set_details(details);
    Ok(r)
}

impl RewardRecord {
    pub fn details(&self) -> Option<Details> {
        match (self.kind, &self.discount_amount, &self.coupon_reward) {
            (RewardType::DiscountAmount, Some(d), _) => Some(Details::Discount(d.clone())),
            (RewardType::CouponReward, _, Some(c)) => Some(Details::Coupon(c.clone())),
            _ => None,
        }
    }

    /// The base tier's `costInPoints`, whichever kind it is.
    pub fn base_cost(&self) -> Option<i64> {
        let coupon = self.coupon_reward.as_ref().filter(|_| self.kind == RewardType::CouponReward);
        let discount = self.discount_amount.as_ref().filter(|_| self.kind == RewardType::DiscountAmount);
        match (discount, coupon) {
            (Some(d), _) => d.configs_by_tier.iter().find(|c| c.tier_id.is_none()).map(|c| c.cost_in_points),
            (_, Some(c)) => c.configs().iter().find(|c| c.tier_id.is_none()).map(|c| c.cost_in_points),
            _ => None,
        }
        .map(i64::from)
    }

    /// Replaces the details (and so the type) with `details`.
    pub fn set_details(&mut self, details: Details) {
        self.kind = details.kind();
        match details {
            Details::Discount(d) => {
                self.discount_amount = Some(d);
                self.coupon_reward = None;
            }
            Details::Coupon(c) => {
                self.coupon_reward = Some(c);
                self.discount_amount = None;
            }
        }
    }

    /// `(tier id, costInPoints)` of its prices at named tiers (not the base tier's).
    pub fn tier_costs(&self) -> Vec<(String, i64)> {
        let coupon = self.coupon_reward.as_ref().filter(|_| self.kind == RewardType::CouponReward);
        let discount = self.discount_amount.as_ref().filter(|_| self.kind == RewardType::DiscountAmount);
        let pairs: Vec<(Option<&String>, u32)> = match (discount, coupon) {
            (Some(d), _) => d.configs_by_tier.iter().map(|c| (c.tier_id.as_ref(), c.cost_in_points)).collect(),
            (_, Some(c)) => c.configs().iter().map(|c| (c.tier_id.as_ref(), c.cost_in_points)).collect(),
            _ => Vec::new(),
        };
        pairs.into_iter().filter_map(|(t, cost)| Some((t?.clone(), i64::from(cost)))).collect()
    }

    /// Where the price of tier `tier` is, as a field path below the reward:
    /// `discountAmount.configsByTier[i].tierId` or `couponReward.<discount>.configsByTier[i].tierId`.
    pub fn tier_price_path(&self, tier: &str) -> String {
        let coupon = self.coupon_reward.as_ref().filter(|_| self.kind == RewardType::CouponReward);
        let (at, ids): (&str, Vec<Option<&String>>) = match (&self.discount_amount, coupon) {
            (_, Some(c)) => {
                let kind = if c.fixed_amount.is_some() {
                    "couponReward.fixedAmount"
                } else if c.percentage.is_some() {
                    "couponReward.percentage"
                } else {
                    "couponReward.freeShipping"
                };
                (kind, c.configs().iter().map(|c| c.tier_id.as_ref()).collect())
            }
            (Some(d), _) => ("discountAmount", d.configs_by_tier.iter().map(|c| c.tier_id.as_ref()).collect()),
            _ => ("", Vec::new()),
        };
        let i = ids.iter().position(|t| t.is_some_and(|t| t == tier)).unwrap_or(0);
        format!("{at}.configsByTier[{i}].tierId")
    }

    /// The tier ids its prices name (the base tier: none).
    pub fn tier_ids(&self) -> Vec<&str> {
        let discount = self.discount_amount.iter().flat_map(|d| d.configs_by_tier.iter().map(|c| &c.tier_id));
        let coupon = self.coupon_reward.iter().flat_map(|c| c.configs().iter().map(|c| &c.tier_id));
        discount.chain(coupon).filter_map(|t| t.as_deref()).collect()
    }
}

impl Record for RewardRecord {
    fn schema(&self) -> u32 {
        self.schema
    }
    fn out_of_range(&self) -> Option<String> {
        if self.details().is_none() {
            return Some(format!("type is {} but its details are missing", self.kind.as_str()));
        }
        let mut checks = vec![("id", self.id.as_str())];
        checks.extend(self.tier_ids().into_iter().map(|t| ("configsByTier.tierId", t)));
        first_non_guid(&checks).or_else(|| {
            first_out_of_range(&[
                ("revision", self.revision.into(), 1, super::SAFE),
                ("createdMs", self.created_ms.into(), 0, TIME),
                ("updatedMs", self.updated_ms.into(), 0, TIME),
                ("deletedMs", self.deleted_ms.unwrap_or(0).into(), 0, TIME),
            ])
        })
    }
}

// ------------------------------------------------------------------ reading input

/// An optional boolean (`null` is absent). Outer `None`: invalid.
pub fn boolean(c: &mut Check, field: &str, v: &Input) -> Option<Option<bool>> {
    match v {
        Input::Bool(b) => Some(Some(*b)),
        v if v.is_absent() => Some(None),
        other => {
            c.fail(field, Reason::WrongType, format!("must be true or false (got {})", other.describe()));
            None
        }
    }
}

/// A finite number in `min..=max` (`min` itself excluded when `open`). Outer `None`: invalid.
fn number(
    c: &mut Check,
    field: &str,
    v: &Input,
    min: f64,
    open: bool,
    max: f64,
    required: bool,
) -> Option<Option<f64>> {
    let range = || format!("{}{} to {}", if open { "more than " } else { "" }, format_number(min), format_number(max));
    match v {
        Input::Number(n) if n.is_finite() && (*n > min || (!open && *n == min)) && *n <= max => Some(Some(*n + 0.0)),
        Input::Number(_) => {
            c.fail(field, Reason::OutOfRange, format!("must be a number {} (got {})", range(), v.describe()));
            None
        }
        v if v.is_absent() => {
            if required {
                c.fail(field, Reason::RequiredField, format!("is required and must be a number {}", range()));
                None
            } else {
                Some(None)
            }
        }
        other => {
            c.fail(field, Reason::WrongType, format!("must be a number {} (got {})", range(), other.describe()));
            None
        }
    }
}

/// A positive decimal string with at most two decimals, such as `"5"` or `"12.50"`.
fn is_decimal_amount(s: &str) -> bool {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    !whole.is_empty()
        && whole.len() <= 12
        && digits(whole)
        && frac.len() <= 2
        && digits(frac)
        && s.contains('.') != frac.is_empty()
        && s.bytes().any(|b| (b'1'..=b'9').contains(&b))
}

/// A config's `tierId`: absent, null or empty for the base tier, else a tier's id (that the tier
/// exists is checked against the tiers when the reward is stored).
fn tier_id(c: &mut Check, field: &str, v: &Input) -> Option<Option<String>> {
    match v {
        Input::String(s) if s.is_empty() => Some(None),
        v if v.is_absent() => Some(None),
        _ => c.guid(field, v, false),
    }
}

/// `configsByTier`: 1 to 21 prices, each tier at most once, each read by `one`.
fn configs<T>(
    c: &mut Check,
    field: &str,
    v: &Input,
    mut one: impl FnMut(&mut Check, &str, &Input) -> Option<(Option<String>, T)>,
) -> Option<Vec<T>> {
    let field = format!("{field}.configsByTier");
    let items = match v.get("configsByTier") {
        Input::Array(items) if (1..=MAX_CONFIGS).contains(&items.len()) => items,
        Input::Array(items) => {
            c.fail(&field, Reason::OutOfRange, format!("must hold 1 to {MAX_CONFIGS} prices (got {})", items.len()));
            return None;
        }
        v if v.is_absent() => {
            c.fail(&field, Reason::RequiredField, format!("is required: 1 to {MAX_CONFIGS} prices"));
            return None;
        }
        other => {
            c.fail(&field, Reason::WrongType, format!("must be an array of prices (got {})", other.describe()));
            return None;
        }
    };
    let mut tiers: Vec<Option<String>> = Vec::new();
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{field}[{i}]");
        if c.object(&at, item, true).is_none() {
            continue;
        }
        if let Some((tier, config)) = one(c, &at, item) {
            if tiers.contains(&tier) {
                let which = tier.as_deref().map_or("the base tier".to_string(), |t| format!("tier {t}"));
                c.fail(
                    &at,
                    Reason::DuplicateTier,
                    format!("prices {which} a second time: each tier has at most one price"),
                );
            }
            tiers.push(tier);
            out.push(config);
        }
    }
    Some(out)
}

fn cost(c: &mut Check, at: &str, item: &Input) -> Option<u32> {
    c.integer(&format!("{at}.costInPoints"), item.get("costInPoints"), 1, MAX_COST, true).flatten().map(|n| n as u32)
}

fn discount_amount(c: &mut Check, field: &str, v: &Input) -> Option<DiscountAmount> {
    c.object(field, v, true)?;
    let configs = configs(c, field, v, |c, at, item| {
        let amount_field = format!("{at}.amount");
        let amount = match item.get("amount") {
            Input::String(s) if is_decimal_amount(s) => Some(s.clone()),
            other => {
                let rule = if other.is_absent() { Reason::RequiredField } else { Reason::InvalidAmount };
                c.fail(
                    &amount_field,
                    rule,
                    format!(
                        "must be a positive decimal string with at most two decimals, such as \"5\" or \"12.50\" (got {})",
                        other.describe()
                    ),
                );
                None
            }
        };
        let tier = tier_id(c, &format!("{at}.tierId"), item.get("tierId"));
        let cost = cost(c, at, item);
        let tier = tier?;
        Some((tier.clone(), DiscountConfig { amount: amount?, tier_id: tier, cost_in_points: cost? }))
    })?;
    Some(DiscountAmount { configs_by_tier: configs })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CouponKind {
    Fixed,
    Percentage,
    Shipping,
}

fn coupon_configs(c: &mut Check, field: &str, v: &Input, kind: CouponKind) -> Option<CouponConfigs> {
    c.object(field, v, true)?;
    let configs = configs(c, field, v, |c, at, item| {
        let tier = tier_id(c, &format!("{at}.tierId"), item.get("tierId"));
        let cost = cost(c, at, item);
        let amount = match kind {
            CouponKind::Fixed => {
                Some(number(c, &format!("{at}.amount"), item.get("amount"), 0.01, false, MAX_MONEY, true)?)
            }
            _ => Some(None),
        };
        let percentage = match kind {
            CouponKind::Percentage => {
                Some(number(c, &format!("{at}.percentage"), item.get("percentage"), 0.0, true, 100.0, true)?)
            }
            _ => Some(None),
        };
        let tier = tier?;
        let config =
            CouponConfig { tier_id: tier.clone(), cost_in_points: cost?, amount: amount?, percentage: percentage? };
        Some((tier, config))
    })?;
    Some(CouponConfigs { configs_by_tier: configs })
}

fn scope(c: &mut Check, field: &str, v: &Input) -> Option<Option<CouponScope>> {
    let Some(s) = c.object(field, v, false) else {
        return if v.is_absent() { Some(None) } else { None };
    };
    let namespace = c.required_string(&format!("{field}.namespace"), s.get("namespace"), 1, 100);
    let group = match c.object(&format!("{field}.group"), s.get("group"), false) {
        Some(g) => {
            let name = c.required_string(&format!("{field}.group.name"), g.get("name"), 1, 100);
            let entity_id = c.string(&format!("{field}.group.entityId"), g.get("entityId"), 1, 100, false);
            Some(Some(ScopeGroup { name: name?, entity_id: entity_id? }))
        }
        None if s.get("group").is_absent() => Some(None),
        None => None,
    };
    Some(Some(CouponScope { namespace: namespace?, group: group? }))
}

fn coupon_reward(c: &mut Check, field: &str, v: &Input) -> Option<CouponReward> {
    c.object(field, v, true)?;
    let sub = |name: &str| format!("{field}.{name}");
    let mut reward = CouponReward::default();
    let kinds = [
        ("fixedAmount", CouponKind::Fixed),
        ("percentage", CouponKind::Percentage),
        ("freeShipping", CouponKind::Shipping),
    ];
    let given: Vec<_> = kinds.iter().filter(|(name, _)| !v.get(name).is_absent()).collect();
    let mut ok = true;
    match given.as_slice() {
        [(name, kind)] => {
            let configs = coupon_configs(c, &sub(name), v.get(name), *kind);
            ok &= configs.is_some();
            match kind {
                CouponKind::Fixed => reward.fixed_amount = configs,
                CouponKind::Percentage => reward.percentage = configs,
                CouponKind::Shipping => reward.free_shipping = configs,
            }
        }
        [] => {
            c.fail(
                &sub("fixedAmount"),
                Reason::RequiredField,
                "or percentage or freeShipping is required: the coupon's discount",
            );
            ok = false;
        }
        _ => {
            c.fail(
                field,
                Reason::OneOf,
                "must have one discount: fixedAmount, percentage or freeShipping, not several",
            );
            ok = false;
        }
    }
    let minimum = number(c, &sub("minimumSubtotal"), v.get("minimumSubtotal"), 0.0, false, MAX_MONEY, false);
    let scope = scope(c, &sub("scope"), v.get("scope"));
    if matches!((&minimum, &scope), (Some(Some(_)), Some(Some(_)))) {
        c.fail(field, Reason::OneOf, "must have minimumSubtotal or scope, not both");
    }
    let one_item = boolean(c, &sub("limitedToOneItem"), v.get("limitedToOneItem"));
    let subscriptions = boolean(c, &sub("appliesToSubscriptions"), v.get("appliesToSubscriptions"));
    let cycles = c.integer(&sub("discountedCycleCount"), v.get("discountedCycleCount"), 1, 999, false);
    if let (Some(Some(_)), Some(subs), Some(s)) = (cycles, subscriptions, &scope) {
        let plans = s.as_ref().is_some_and(|s| s.namespace == "pricingPlans");
        if subs != Some(true) || !plans {
            c.fail(
                &sub("discountedCycleCount"),
                Reason::NotAllowed,
                "can only be set when appliesToSubscriptions is true and scope.namespace is \"pricingPlans\"",
            );
        }
    }
    reward.minimum_subtotal = minimum?;
    reward.scope = scope?;
    reward.limited_to_one_item = one_item?;
    reward.applies_to_subscriptions = subscriptions?;
    reward.discounted_cycle_count = cycles?.map(|n| n as u32);
    ok.then_some(reward)
}

/// The details given in `r` (`None` inside when none are, which only an update allows).
pub fn details(c: &mut Check, field: &str, r: &Input, required: bool) -> Option<Option<Details>> {
    let (discount, coupon) = (r.get("discountAmount"), r.get("couponReward"));
    let parsed = match (discount.is_absent(), coupon.is_absent()) {
        (false, false) => {
            c.fail(field, Reason::OneOf, "must have discountAmount or couponReward, not both");
            return None;
        }
        (true, true) => {
            if required {
                c.fail(
                    &format!("{field}.couponReward"),
                    Reason::RequiredField,
                    "or discountAmount is required: a reward is a coupon or a discount amount",
                );
                return None;
            }
            None
        }
        (false, true) => Some(Details::Discount(discount_amount(c, &format!("{field}.discountAmount"), discount)?)),
        (true, false) => Some(Details::Coupon(coupon_reward(c, &format!("{field}.couponReward"), coupon)?)),
    };
    // A type given must agree with the details (or, on an update, with the reward's type).
    match r.get("type") {
        v if v.is_absent() => {}
        Input::String(t) if t == "DISCOUNT_AMOUNT" || t == "COUPON_REWARD" => {
            if let Some(d) = &parsed {
                if d.kind().as_str() != t {
                    c.fail(
                        &format!("{field}.type"),
                        Reason::TypeMismatch,
                        format!("is {t} but the details given are those of a {} reward", d.kind().as_str()),
                    );
                }
            }
        }
        other => c.fail(
            &format!("{field}.type"),
            Reason::InvalidEnum,
            format!("must be DISCOUNT_AMOUNT or COUPON_REWARD (got {})", other.describe()),
        ),
    }
    Some(parsed)
}

#[cfg(test)]
mod tests {
    use super::is_decimal_amount;

    #[test]
    fn decimal_amounts_are_positive_with_at_most_two_decimals() {
        for ok in ["5", "12.50", "0.01", "100.5", "007"] {
            assert!(is_decimal_amount(ok), "{ok}");
        }
        for bad in ["0", "0.00", "", ".5", "5.", "5.123", "-1", "1e3", "1,5", " 5", "abc", "1234567890123"] {
            assert!(!is_decimal_amount(bad), "{bad}");
        }
    }
}
