//! The one table of operations: every method of the Wix Loyalty API (and the engine's own
//! extensions), with its SDK module and name, REST verb, path and method FQN, how REST request
//! fields become the SDK's arguments, who may call it, how many fresh ids it needs, whether it
//! mutates, what the SDK resolves to, and the function that starts it (`None`: not implemented
//! yet). The wasm dispatch ([`start`]), the JS facade, the REST routes, the permission check and
//! the TypeScript method list all follow from it, and tests fail when any of them disagrees.
//!
//! Adding an operation: write its file in `ops/` (a `start` function and a machine), add one row
//! here, its tests and its docs. Nothing else names it.

use super::error::{Code, LoyaltyError, Result};
use super::input::{quoted, Input};
#[cfg(feature = "coupons")]
use super::ops::coupons;
#[cfg(feature = "rewards")]
use super::ops::rewards;
#[cfg(feature = "coupons")]
use super::ops::settle;
#[cfg(feature = "tiers")]
use super::ops::tiers;
use super::ops::{
    adjust, bulk_adjust, create_account, earn, get_account, jobs, list_accounts, program, query_accounts, schedule,
    totals, transactions,
};
use super::protocol::{Caller, Context, Io, Machine, Step};
use super::reason::Reason;

/// The SDK module an operation belongs to (the engine's own extensions: `jobs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Module {
    Programs,
    Accounts,
    Transactions,
    Rewards,
    Coupons,
    Tiers,
    EarningRules,
    Imports,
    CheckoutExchange,
    SocialMedia,
    Jobs,
    /// The engine's own: refunds of coupons.
    Refunds,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

/// Who may call an operation: Wix's applicable identities, `APP` (an admin: an elevated
/// backend, an API key) and `MEMBER` (a site member). Wix-user-only methods (`bulkGet*`) are
/// taken as admin methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    Admin,
    AdminOrMember,
}

/// Where an SDK argument comes from in a REST request (as JSON: `from` and `field`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A path parameter (echoed by the SDK in the body or query, under the same dotted name).
    Path(&'static str),
    /// One body field (query parameter for GET and DELETE).
    Field(&'static str),
    /// Every other body field (query parameter): an options object spread by the SDK.
    Rest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arg {
    pub name: &'static str,
    pub source: Source,
}

/// What the SDK method resolves to: the whole response body, one field of it, or nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Body,
    Field(&'static str),
    Void,
}

/// For query methods: called without arguments they return a builder, whose pages read items
/// and paging metadata from these fields of the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryShape {
    pub items: &'static str,
    pub paging: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rest {
    pub verb: Verb,
    /// After the host, e.g. `/loyalty-accounts/v1/accounts/{accountId}/earn-points`.
    pub path: &'static str,
    /// The method's FQN, as the SDK names it in `x-wix-bi-gateway`.
    pub fqn: &'static str,
}

pub type Start = fn(&[Input], &Context) -> Result<Step>;

/// A row. The REST route, argument sources, answer and query shape matter to the JS face only,
/// which reads them from the table the build writes (`table_json`).
#[derive(Clone, Copy)]
pub struct Operation {
    /// The SDK method name; unique across modules.
    pub name: &'static str,
    pub module: Module,
    pub identity: Identity,
    /// Fresh ids the host passes in the context (from its id generator).
    pub ids: u8,
    pub mutates: bool,
    pub start: Option<Start>,
    pub rest: Option<Rest>,
    pub args: &'static [Arg],
    pub answer: Answer,
    pub query: Option<QueryShape>,
}

impl std::fmt::Debug for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Operation({})", self.name)
    }
}

const fn op(module: Module, name: &'static str) -> Operation {
    Operation {
        name,
        module,
        identity: Identity::Admin,
        ids: 0,
        mutates: false,
        start: None,
        rest: None,
        args: &[],
        answer: Answer::Body,
        query: None,
    }
}

impl Operation {
    const fn rest(mut self, verb: Verb, path: &'static str, fqn: &'static str) -> Self {
        self.rest = Some(Rest { verb, path, fqn });
        self
    }
    const fn args(mut self, args: &'static [Arg]) -> Self {
        self.args = args;
        self
    }
    const fn unwraps(mut self, field: &'static str) -> Self {
        self.answer = Answer::Field(field);
        self
    }
    const fn void(mut self) -> Self {
        self.answer = Answer::Void;
        self
    }
    const fn query(mut self, items: &'static str, paging: &'static str) -> Self {
        self.query = Some(QueryShape { items, paging });
        self
    }
}

impl Operation {
    const fn members(mut self) -> Self {
        self.identity = Identity::AdminOrMember;
        self
    }
    /// A mutation that draws `ids` fresh ids.
    const fn mutates(mut self, ids: u8) -> Self {
        self.mutates = true;
        self.ids = ids;
        self
    }
    const fn start(mut self, start: Start) -> Self {
        self.start = Some(start);
        self
    }
    /// `start` when the crate feature of the operation's module is on (`gated!`); else the
    /// operation is not implemented in this build (the bench measures what each module adds).
    const fn start_gated(mut self, start: Option<Start>) -> Self {
        self.start = start;
        self
    }
}

/// `Some(f)` when crate feature `$feature` is on, else `None`: with the feature off, nothing
/// refers to the operation's code and the build leaves it out.
macro_rules! gated {
    ($feature:literal, $f:path) => {{
        #[cfg(feature = $feature)]
        let start: Option<Start> = Some($f);
        #[cfg(not(feature = $feature))]
        let start: Option<Start> = None;
        start
    }};
}

const fn path(name: &'static str) -> Arg {
    Arg { name, source: Source::Path(name) }
}
const fn field(name: &'static str) -> Arg {
    Arg { name, source: Source::Field(name) }
}
const fn rest(name: &'static str) -> Arg {
    Arg { name, source: Source::Rest }
}
/// An argument named differently from its path parameter (`_id` ← `{id}`).
const fn path_as(name: &'static str, param: &'static str) -> Arg {
    Arg { name, source: Source::Path(param) }
}

use Module::*;
use Verb::*;

/// Every operation. Order: module, then SDK method name.
pub const OPERATIONS: &[Operation] = &[
    // ------------------------------------------------------------------ programs
    op(Programs, "activateLoyaltyProgram")
        .rest(
            Post,
            "/loyalty-programs/v1/program/activate",
            "com.wixpress.loyalty.program.LoyaltyPrograms.ActivateLoyaltyProgram",
        )
        .mutates(0)
        .start(program::activate),
    op(Programs, "bulkGetLoyaltyProgram")
        .rest(
            Get,
            "/loyalty-programs/v1/bulk/programs",
            "com.wixpress.loyalty.program.LoyaltyPrograms.BulkGetLoyaltyProgram",
        )
        .start(program::bulk_get),
    op(Programs, "disablePointsExpiration")
        .rest(
            Post,
            "/loyalty-programs/v1/program/points-expiration/disable",
            "com.wixpress.loyalty.program.LoyaltyPrograms.DisablePointsExpiration",
        )
        .mutates(1)
        .start(program::disable_expiration),
    op(Programs, "enablePointsExpiration")
        .rest(
            Post,
            "/loyalty-programs/v1/program/points-expiration/enable",
            "com.wixpress.loyalty.program.LoyaltyPrograms.EnablePointsExpiration",
        )
        .mutates(1)
        .start(program::enable_expiration),
    op(Programs, "getLoyaltyProgram")
        .rest(Get, "/loyalty-programs/v1/program", "com.wixpress.loyalty.program.LoyaltyPrograms.GetLoyaltyProgram")
        .start(program::get),
    op(Programs, "getLoyaltyProgramPremiumFeatures")
        .rest(
            Get,
            "/loyalty-programs/v1/program/premium-features",
            "com.wixpress.loyalty.program.LoyaltyPrograms.GetLoyaltyProgramPremiumFeatures",
        )
        .start(program::premium_features),
    op(Programs, "pauseLoyaltyProgram")
        .rest(
            Post,
            "/loyalty-programs/v1/program/pause",
            "com.wixpress.loyalty.program.LoyaltyPrograms.PauseLoyaltyProgram",
        )
        .mutates(0)
        .start(program::pause),
    op(Programs, "updateLoyaltyProgram")
        .rest(
            Patch,
            "/loyalty-programs/v1/program",
            "com.wixpress.loyalty.program.LoyaltyPrograms.UpdateLoyaltyProgram",
        )
        .args(&[field("loyaltyProgram")])
        .mutates(1)
        .start(program::update),
    // ------------------------------------------------------------------ accounts
    op(Accounts, "adjustPoints")
        .rest(
            Post,
            "/loyalty-accounts/v1/accounts/{accountId}/adjust-points",
            "com.wixpress.loyalty.account.LoyaltyAccounts.AdjustPoints",
        )
        .args(&[path("accountId"), rest("options")])
        .mutates(1)
        .start(adjust::start),
    op(Accounts, "bulkAdjustPoints")
        .rest(
            Post,
            "/loyalty-accounts/v1/accounts/bulk-adjust",
            "com.wixpress.loyalty.account.LoyaltyAccounts.BulkAdjustPoints",
        )
        .args(&[rest("options")])
        .mutates(1)
        .start(bulk_adjust::start),
    op(Accounts, "countAccounts")
        .rest(Post, "/loyalty-accounts/v1/accounts/count", "com.wixpress.loyalty.account.LoyaltyAccounts.CountAccounts")
        .args(&[rest("options")])
        .start(query_accounts::count),
    op(Accounts, "createAccount")
        .rest(Post, "/loyalty-accounts/v1/accounts", "com.wixpress.loyalty.account.LoyaltyAccounts.CreateAccount")
        .args(&[field("contactId")])
        .mutates(1)
        .start(create_account::start),
    op(Accounts, "earnPoints")
        .rest(
            Post,
            "/loyalty-accounts/v1/accounts/{accountId}/earn-points",
            "com.wixpress.loyalty.account.LoyaltyAccounts.EarnPoints",
        )
        .args(&[path("accountId"), rest("options")])
        .mutates(1)
        .start(earn::start),
    op(Accounts, "getAccount")
        .rest(Get, "/loyalty-accounts/v1/accounts/{id}", "com.wixpress.loyalty.account.LoyaltyAccounts.GetAccount")
        .args(&[path_as("_id", "id")])
        .unwraps("account")
        .start(get_account::get),
    op(Accounts, "getAccountBySecondaryId")
        .rest(
            Get,
            "/loyalty-accounts/v1/accounts/fetch-by",
            "com.wixpress.loyalty.account.LoyaltyAccounts.GetAccountBySecondaryId",
        )
        .args(&[rest("options")])
        .start(get_account::by_secondary_id),
    op(Accounts, "getCurrentMemberAccount")
        .rest(
            Get,
            "/loyalty-accounts/v1/accounts/my-account",
            "com.wixpress.loyalty.account.LoyaltyAccounts.GetCurrentMemberAccount",
        )
        .members()
        .start(get_account::current_member),
    op(Accounts, "getProgramTotals")
        .rest(
            Get,
            "/loyalty-accounts/v1/accounts/program-totals",
            "com.wixpress.loyalty.account.LoyaltyAccounts.GetProgramTotals",
        )
        .start(totals::start),
    op(Accounts, "listAccounts")
        .rest(Get, "/loyalty-accounts/v1/accounts", "com.wixpress.loyalty.account.LoyaltyAccounts.ListAccounts")
        .args(&[rest("options")])
        .start(list_accounts::start),
    op(Accounts, "queryLoyaltyAccounts")
        .rest(
            Post,
            "/loyalty-accounts/v1/accounts/query",
            "com.wixpress.loyalty.account.LoyaltyAccounts.QueryLoyaltyAccounts",
        )
        .args(&[field("query")])
        .query("loyaltyAccounts", "pagingMetadata")
        .start(query_accounts::query),
    op(Accounts, "searchAccounts")
        .rest(
            Post,
            "/loyalty-accounts/v1/accounts/search",
            "com.wixpress.loyalty.account.LoyaltyAccounts.SearchAccounts",
        )
        .args(&[field("search")])
        .start(query_accounts::search),
    // ------------------------------------------------------------------ transactions
    op(Transactions, "getLoyaltyTransaction")
        .rest(
            Get,
            "/loyalty-transactions/v1/loyalty-transactions/{loyaltyTransactionId}",
            "wix.loyalty.transaction.v1.LoyaltyTransactions.GetLoyaltyTransaction",
        )
        .args(&[path("loyaltyTransactionId")])
        .unwraps("loyaltyTransaction")
        .start(transactions::get),
    op(Transactions, "queryLoyaltyTransactions")
        .rest(
            Post,
            "/loyalty-transactions/v1/loyalty-transactions/query",
            "wix.loyalty.transaction.v1.LoyaltyTransactions.QueryLoyaltyTransactions",
        )
        .args(&[field("query")])
        .query("loyaltyTransactions", "pagingMetadata")
        .start(transactions::query),
    // ------------------------------------------------------------------ rewards
    op(Rewards, "bulkCreateRewards")
        .rest(
            Post,
            "/loyalty-rewards/v1/bulk/rewards/create",
            "com.wixpress.loyalty.reward.LoyaltyRewards.BulkCreateRewards",
        )
        .args(&[field("rewards")])
        .mutates(11)
        .start_gated(gated!("rewards", rewards::bulk_create)),
    op(Rewards, "bulkGetRewards")
        .rest(Get, "/loyalty-rewards/v1/bulk/rewards", "com.wixpress.loyalty.reward.LoyaltyRewards.BulkGetRewards")
        .start_gated(gated!("rewards", rewards::bulk_get)),
    op(Rewards, "createReward")
        .rest(Post, "/loyalty-rewards/v1/rewards", "com.wixpress.loyalty.reward.LoyaltyRewards.CreateReward")
        .args(&[field("reward")])
        .mutates(2)
        .unwraps("reward")
        .start_gated(gated!("rewards", rewards::create)),
    op(Rewards, "deleteReward")
        .rest(Delete, "/loyalty-rewards/v1/rewards/{id}", "com.wixpress.loyalty.reward.LoyaltyRewards.DeleteReward")
        .args(&[path_as("_id", "id"), field("revision")])
        .mutates(1)
        .void()
        .start_gated(gated!("rewards", rewards::delete)),
    op(Rewards, "getReward")
        .rest(Get, "/loyalty-rewards/v1/rewards/{id}", "com.wixpress.loyalty.reward.LoyaltyRewards.GetReward")
        .args(&[path_as("_id", "id")])
        .unwraps("reward")
        .start_gated(gated!("rewards", rewards::get)),
    op(Rewards, "listRewards")
        .rest(Get, "/loyalty-rewards/v1/rewards", "com.wixpress.loyalty.reward.LoyaltyRewards.ListRewards")
        .args(&[rest("options")])
        .members()
        .start_gated(gated!("rewards", rewards::list)),
    op(Rewards, "queryRewards")
        .rest(Post, "/loyalty-rewards/v1/rewards/query", "com.wixpress.loyalty.reward.LoyaltyRewards.QueryRewards")
        .args(&[field("query")])
        .start_gated(gated!("rewards", rewards::query)),
    op(Rewards, "updateReward")
        .rest(Put, "/loyalty-rewards/v1/rewards/{reward.id}", "com.wixpress.loyalty.reward.LoyaltyRewards.UpdateReward")
        .args(&[path_as("_id", "reward.id"), field("reward")])
        .mutates(1)
        .start_gated(gated!("rewards", rewards::update)),
    // ------------------------------------------------------------------ coupons
    op(Coupons, "bulkGetLoyaltyCoupon")
        .rest(
            Get,
            "/loyalty-coupons/v1/bulk/coupons",
            "com.wixpress.loyalty.coupon.LoyaltyCoupons.BulkGetLoyaltyCoupon",
        )
        .args(&[rest("options")])
        .start_gated(gated!("coupons", coupons::bulk_get)),
    op(Coupons, "deleteLoyaltyCoupon")
        .rest(
            Delete,
            "/loyalty-coupons/v1/coupons/{id}",
            "com.wixpress.loyalty.coupon.LoyaltyCoupons.DeleteLoyaltyCoupon",
        )
        .args(&[path_as("_id", "id"), field("revision")])
        .mutates(1)
        .void()
        .start_gated(gated!("coupons", coupons::delete)),
    op(Coupons, "getCurrentMemberCoupons")
        .rest(
            Get,
            "/loyalty-coupons/v1/coupons/my-coupons",
            "com.wixpress.loyalty.coupon.LoyaltyCoupons.GetCurrentMemberCoupons",
        )
        .members()
        .start_gated(gated!("coupons", coupons::member_coupons)),
    op(Coupons, "getLoyaltyCoupon")
        .rest(
            Get,
            "/loyalty-coupons/v1/coupons/{loyaltyCouponId}",
            "com.wixpress.loyalty.coupon.LoyaltyCoupons.GetLoyaltyCoupon",
        )
        .args(&[path("loyaltyCouponId")])
        .unwraps("loyaltyCoupon")
        .start_gated(gated!("coupons", coupons::get)),
    op(Coupons, "queryLoyaltyCoupons")
        .rest(
            Post,
            "/loyalty-coupons/v1/coupons/query",
            "com.wixpress.loyalty.coupon.LoyaltyCoupons.QueryLoyaltyCoupon",
        )
        .args(&[field("query")])
        .query("loyaltyCoupons", "metadata")
        .start_gated(gated!("coupons", coupons::query)),
    op(Coupons, "redeemCurrentMemberPointsForCoupon")
        .rest(
            Post,
            "/loyalty-coupons/v1/coupons/redeem-my-coupon",
            "com.wixpress.loyalty.coupon.LoyaltyCoupons.RedeemCurrentMemberPointsForCoupon",
        )
        .args(&[field("rewardId"), rest("options")])
        .members()
        .mutates(3)
        .start_gated(gated!("coupons", coupons::redeem_as_member)),
    op(Coupons, "redeemPointsForCoupon")
        .rest(Post, "/loyalty-coupons/v1/coupons", "com.wixpress.loyalty.coupon.LoyaltyCoupons.RedeemPointsForCoupon")
        .args(&[field("rewardId"), rest("options")])
        .mutates(3)
        .start_gated(gated!("coupons", coupons::redeem)),
    // ------------------------------------------------------------------ tiers
    op(Tiers, "bulkCreateTiers")
        .rest(Post, "/loyalty-tiers/v1/bulk/tiers/create", "com.wixpress.loyalty.tier.LoyaltyTiers.BulkCreateTiers")
        .args(&[field("tiers")])
        .mutates(21)
        .start_gated(gated!("tiers", tiers::bulk_create)),
    op(Tiers, "createTier")
        .rest(Post, "/loyalty-tiers/v1/tiers", "com.wixpress.loyalty.tier.LoyaltyTiers.CreateTier")
        .args(&[field("tier")])
        .mutates(2)
        .unwraps("tier")
        .start_gated(gated!("tiers", tiers::create)),
    op(Tiers, "createTiersProgramSettings")
        .rest(
            Post,
            "/loyalty-tiers/v1/tiers/program-settings",
            "com.wixpress.loyalty.tier.LoyaltyTiers.CreateTiersProgramSettings",
        )
        .args(&[field("programSettings")])
        .mutates(1)
        .start_gated(gated!("tiers", tiers::create_settings)),
    op(Tiers, "deleteTier")
        .rest(Delete, "/loyalty-tiers/v1/tiers/{tierId}", "com.wixpress.loyalty.tier.LoyaltyTiers.DeleteTier")
        .args(&[path("tierId"), field("revision")])
        .void()
        .mutates(1)
        .start_gated(gated!("tiers", tiers::delete)),
    op(Tiers, "getTier")
        .rest(Get, "/loyalty-tiers/v1/tiers/{tierId}", "com.wixpress.loyalty.tier.LoyaltyTiers.GetTier")
        .args(&[path("tierId")])
        .unwraps("tier")
        .start_gated(gated!("tiers", tiers::get)),
    op(Tiers, "getTiersProgram")
        .rest(Get, "/loyalty-tiers/v1/tiers/program", "com.wixpress.loyalty.tier.LoyaltyTiers.GetTiersProgram")
        .mutates(1)
        .start_gated(gated!("tiers", tiers::program)),
    op(Tiers, "getTiersProgramSettings")
        .rest(
            Get,
            "/loyalty-tiers/v1/tiers/program-settings",
            "com.wixpress.loyalty.tier.LoyaltyTiers.GetTiersProgramSettings",
        )
        .start_gated(gated!("tiers", tiers::get_settings)),
    op(Tiers, "listTiers")
        .rest(Get, "/loyalty-tiers/v1/tiers", "com.wixpress.loyalty.tier.LoyaltyTiers.ListTiers")
        .start_gated(gated!("tiers", tiers::list)),
    op(Tiers, "updateTier")
        .rest(Patch, "/loyalty-tiers/v1/tiers/{tier.id}", "com.wixpress.loyalty.tier.LoyaltyTiers.UpdateTier")
        .args(&[path_as("_id", "tier.id"), field("tier")])
        .unwraps("tier")
        .mutates(1)
        .start_gated(gated!("tiers", tiers::update)),
    op(Tiers, "updateTiersProgramSettings")
        .rest(
            Patch,
            "/loyalty-tiers/v1/tiers/program-settings",
            "com.wixpress.loyalty.tier.LoyaltyTiers.UpdateTiersProgramSettings",
        )
        .args(&[field("programSettings")])
        .mutates(1)
        .start_gated(gated!("tiers", tiers::update_settings)),
    // ------------------------------------------------------------------ earning rules
    op(EarningRules, "bulkCreateLoyaltyEarningRules")
        .rest(
            Post,
            "/_api/loyalty-earning-rules/v1/bulk/earning-rules/create",
            "com.wixpress.loyalty.earningrule.LoyaltyEarningRules.BulkCreateLoyaltyEarningRules",
        )
        .args(&[field("earningRules")])
        .mutates(100),
    op(EarningRules, "createCustomLoyaltyEarningRule")
        .rest(
            Post,
            "/_api/loyalty-earning-rules/v1/earning-rules/custom",
            "com.wixpress.loyalty.earningrule.LoyaltyEarningRules.CreateCustomLoyaltyEarningRule",
        )
        .args(&[field("type"), rest("options")])
        .mutates(1),
    op(EarningRules, "createLoyaltyEarningRule")
        .rest(
            Post,
            "/_api/loyalty-earning-rules/v1/earning-rules",
            "com.wixpress.loyalty.earningrule.LoyaltyEarningRules.CreateLoyaltyEarningRule",
        )
        .args(&[field("earningRule")])
        .mutates(1)
        .unwraps("earningRule"),
    op(EarningRules, "deleteAutomationEarningRule")
        .rest(
            Delete,
            "/_api/loyalty-earning-rules/v1/automation-earning-rules/{id}",
            "com.wixpress.loyalty.earningrule.LoyaltyEarningRules.DeleteAutomationEarningRule",
        )
        .args(&[path_as("_id", "id")])
        .mutates(0)
        .void(),
    op(EarningRules, "deleteLoyaltyEarningRule")
        .rest(
            Delete,
            "/_api/loyalty-earning-rules/v1/earning-rules/{id}",
            "com.wixpress.loyalty.earningrule.LoyaltyEarningRules.DeleteLoyaltyEarningRule",
        )
        .args(&[path_as("_id", "id"), rest("options")])
        .mutates(0)
        .void(),
    op(EarningRules, "getLoyaltyEarningRule")
        .rest(
            Get,
            "/_api/loyalty-earning-rules/v1/earning-rules/{id}",
            "com.wixpress.loyalty.earningrule.LoyaltyEarningRules.GetLoyaltyEarningRule",
        )
        .args(&[path_as("_id", "id")])
        .unwraps("earningRule"),
    op(EarningRules, "listEarningRules")
        .rest(
            Get,
            "/_api/loyalty-earning-rules/v1/earning-rules/rules",
            "com.wixpress.loyalty.earningrule.LoyaltyEarningRules.ListEarningRules",
        )
        .args(&[rest("options")]),
    op(EarningRules, "updateLoyaltyEarningRule")
        .rest(
            Put,
            "/_api/loyalty-earning-rules/v1/earning-rules/{earningRule.id}",
            "com.wixpress.loyalty.earningrule.LoyaltyEarningRules.UpdateLoyaltyEarningRule",
        )
        .args(&[path_as("_id", "earningRule.id"), field("earningRule")])
        .mutates(0),
    // ------------------------------------------------------------------ imports
    op(Imports, "createLoyaltyImport")
        .rest(
            Post,
            "/_api/loyalty-imports/v1/loyalty-imports",
            "wix.loyalty.imports.v1.LoyaltyImports.CreateLoyaltyImport",
        )
        .args(&[field("fileUrl"), rest("options")])
        .mutates(1),
    op(Imports, "createLoyaltyImportFileUrl").rest(
        Post,
        "/_api/loyalty-imports/v1/loyalty-imports/wixmp-upload-url",
        "wix.loyalty.imports.v1.LoyaltyImports.CreateLoyaltyImportFileUrl",
    ),
    op(Imports, "executeLoyaltyImport")
        .rest(
            Post,
            "/_api/loyalty-imports/v1/loyalty-imports/execute",
            "wix.loyalty.imports.v1.LoyaltyImports.ExecuteLoyaltyImport",
        )
        .args(&[field("loyaltyImportId"), rest("options")])
        .mutates(1),
    op(Imports, "getErrorFileDownloadUrl")
        .rest(
            Get,
            "/_api/loyalty-imports/v1/loyalty-imports/error-file-download-url",
            "wix.loyalty.imports.v1.LoyaltyImports.GetErrorFileDownloadUrl",
        )
        .args(&[field("loyaltyImportId")]),
    op(Imports, "getLoyaltyImport")
        .rest(Get, "/_api/loyalty-imports/v1/loyalty-imports", "wix.loyalty.imports.v1.LoyaltyImports.GetLoyaltyImport")
        .args(&[field("loyaltyImportId")])
        .unwraps("loyaltyImport"),
    op(Imports, "queryLoyaltyImports")
        .rest(
            Post,
            "/_api/loyalty-imports/v1/loyalty-imports/query",
            "wix.loyalty.imports.v1.LoyaltyImports.QueryLoyaltyImports",
        )
        .args(&[field("query")])
        .query("loyaltyImports", "pagingMetadata"),
    // ------------------------------------------------------------------ checkout exchange
    op(CheckoutExchange, "applyDiscountToCheckout")
        .rest(
            Post,
            "/loyalty-checkout-exchange/v1/loyalty-checkout-discount",
            "wix.loyalty.checkoutexchange.v1.LoyaltyCheckoutExchange.ApplyDiscountToCheckout",
        )
        .args(&[field("checkoutId"), rest("options")])
        .members()
        .mutates(2),
    op(CheckoutExchange, "queryLoyaltyCheckoutDiscounts")
        .rest(
            Post,
            "/loyalty-checkout-exchange/v1/loyalty-checkout-discounts/query",
            "wix.loyalty.checkoutexchange.v1.LoyaltyCheckoutExchange.QueryLoyaltyCheckoutDiscounts",
        )
        .args(&[field("query")])
        .members()
        .query("loyaltyCheckoutDiscounts", "pagingMetadata"),
    // ------------------------------------------------------------------ social media
    op(SocialMedia, "createFollowedChannel")
        .rest(
            Post,
            "/loyalty-social-media/v1/followed-channels",
            "wix.loyalty.socialmedia.v1.LoyaltySocialMedia.CreateFollowedChannel",
        )
        .args(&[field("followedChannel")])
        .members()
        .mutates(1)
        .unwraps("followedChannel"),
    op(SocialMedia, "listFollowedChannels")
        .rest(
            Get,
            "/loyalty-social-media/v1/followed-channels",
            "wix.loyalty.socialmedia.v1.LoyaltySocialMedia.ListFollowedChannels",
        )
        .members(),
    // ------------------------------------------------------------------ the engine's own
    op(Jobs, "getJob").args(&[field("jobId")]).start(jobs::get),
    op(Jobs, "resumeJobs").mutates(0).start(jobs::resume_all),
    op(Jobs, "runScheduledWork").args(&[rest("options")]).mutates(0).start(schedule::run),
    op(Jobs, "settleCoupons").args(&[rest("options")]).mutates(0).start_gated(gated!("coupons", settle::start)),
    op(Refunds, "refundLoyaltyCoupon")
        .args(&[field("loyaltyCouponId"), rest("options")])
        .mutates(1)
        .start_gated(gated!("coupons", coupons::refund)),
];

/// An event the engine can deliver: its SDK registration function and Wix event type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub module: Module,
    /// The SDK's registration function, e.g. `onAccountPointsUpdated`.
    pub function: &'static str,
    pub event_type: &'static str,
    /// The Velo handler exported from `backend/events.js`.
    pub velo: &'static str,
}

const fn event(module: Module, function: &'static str, event_type: &'static str, velo: &'static str) -> Event {
    Event { module, function, event_type, velo }
}

/// Every event of the SDK's modules (those this version never emits included).
pub const EVENTS: &[Event] = &[
    event(Accounts, "onAccountCreated", "wix.loyalty.v1.account_created", "wixLoyalty_onAccountCreated"),
    event(
        Accounts,
        "onAccountPointsUpdated",
        "wix.loyalty.v1.account_points_updated",
        "wixLoyalty_onAccountPointsUpdated",
    ),
    event(
        Accounts,
        "onAccountRewardAvailabilityUpdated",
        "wix.loyalty.v1.account_reward_availability_updated",
        "wixLoyalty_onAccountRewardAvailabilityUpdated",
    ),
    event(Accounts, "onAccountUpdated", "wix.loyalty.v1.account_updated", "wixLoyalty_onAccountUpdated"),
    event(Coupons, "onCouponCreated", "wix.loyalty.v1.coupon_created", "wixLoyalty_onCouponCreated"),
    event(Coupons, "onCouponDeleted", "wix.loyalty.v1.coupon_deleted", "wixLoyalty_onCouponDeleted"),
    event(
        EarningRules,
        "onLoyaltyEarningRuleCreated",
        "wix.loyalty.v1.loyalty_earning_rule_created",
        "wixLoyalty_onLoyaltyEarningRuleCreated",
    ),
    event(
        EarningRules,
        "onLoyaltyEarningRuleDeleted",
        "wix.loyalty.v1.loyalty_earning_rule_deleted",
        "wixLoyalty_onLoyaltyEarningRuleDeleted",
    ),
    event(
        EarningRules,
        "onLoyaltyEarningRuleUpdated",
        "wix.loyalty.v1.loyalty_earning_rule_updated",
        "wixLoyalty_onLoyaltyEarningRuleUpdated",
    ),
    event(
        Imports,
        "onLoyaltyImportCreated",
        "wix.loyalty.imports.v1.loyalty_import_created",
        "wixLoyaltyImportsV1_onLoyaltyImportCreated",
    ),
    event(Programs, "onProgramUpdated", "wix.loyalty.v1.program_updated", "wixLoyalty_onProgramUpdated"),
    event(Rewards, "onRewardCreated", "wix.loyalty.v1.reward_created", "wixLoyalty_onRewardCreated"),
    event(Rewards, "onRewardDeleted", "wix.loyalty.v1.reward_deleted", "wixLoyalty_onRewardDeleted"),
    event(Rewards, "onRewardUpdated", "wix.loyalty.v1.reward_updated", "wixLoyalty_onRewardUpdated"),
    event(
        SocialMedia,
        "onFollowedChannelCreated",
        "wix.loyalty.socialmedia.v1.followed_channel_created",
        "wixLoyalty_onFollowedChannelCreated",
    ),
    event(Tiers, "onTierCreated", "wix.loyalty.v1.tier_created", "wixLoyalty_onTierCreated"),
    event(Tiers, "onTierDeleted", "wix.loyalty.v1.tier_deleted", "wixLoyalty_onTierDeleted"),
    event(Tiers, "onTierUpdated", "wix.loyalty.v1.tier_updated", "wixLoyalty_onTierUpdated"),
];

/// The row of operation `name`.
pub fn find(name: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|o| o.name == name)
}

/// Validates the call (operation, identity, arguments) and returns its first step.
pub fn start(name: &str, args: &[Input], ctx: &Context) -> Result<Step> {
    let Some(op) = find(name) else {
        return Err(LoyaltyError::invalid_field(
            "operation",
            Reason::UnknownOperation,
            format!("is not an operation of this engine (got {})", quoted(name)),
        ));
    };
    if let (Identity::Admin, Caller::Member(member)) = (op.identity, &ctx.caller) {
        return Err(LoyaltyError::new(
            Code::PermissionDenied,
            Reason::AdminOnly,
            format!("{name} is an admin method; member {member} may not call it"),
        )
        .with_data(&[("method", &name), ("memberId", &member)]));
    }
    if let (Identity::Admin, Caller::Visitor) = (op.identity, &ctx.caller) {
        return Err(LoyaltyError::new(
            Code::PermissionDenied,
            Reason::AdminOnly,
            format!("{name} is an admin method; an anonymous visitor may not call it (elevate the call)"),
        )
        .with_data(&[("method", &name)]));
    }
    let Some(start) = op.start else {
        return Err(LoyaltyError::new(
            Code::Unimplemented,
            Reason::NotImplemented,
            format!("{}.{name} is not implemented by this engine yet", module_name(op.module)),
        )
        .with_data(&[("method", &name)]));
    };
    start(args, ctx)
}

/// The module's name as the SDK exports it.
pub fn module_name(module: Module) -> &'static str {
    match module {
        Programs => "programs",
        Accounts => "accounts",
        Transactions => "transactions",
        Rewards => "rewards",
        Coupons => "coupons",
        Tiers => "tiers",
        EarningRules => "earningRules",
        Imports => "imports",
        CheckoutExchange => "checkoutExchange",
        SocialMedia => "socialMedia",
        Jobs => "jobs",
        Refunds => "refunds",
    }
}

/// Feeds the answer to the last request back into the operation.
pub fn resume(state: Box<dyn Machine>, io: Io) -> Result<Step> {
    match io {
        Io::Conflict(key) => state.conflict(&key),
        io => state.resume(io),
    }
}

/// The table, the events, and what the JS face must agree on with the core (the HTTP status of
/// each error code, every error reason, the `start` flags, the attempt policy, verify()'s
/// prefixes and listing limit, the program record's key), as JSON: the build writes it into the
/// package for the JS face (`examples/table.rs`), which reads it before the module is instantiated.
#[cfg(not(target_arch = "wasm32"))]
pub fn table_json() -> Result<String> {
    use serde_json::{json, Value};
    let source = |a: &Arg| match a.source {
        Source::Path(f) => json!({ "name": a.name, "from": "path", "field": f }),
        Source::Field(f) => json!({ "name": a.name, "from": "field", "field": f }),
        Source::Rest => json!({ "name": a.name, "from": "rest" }),
    };
    let operation = |op: &Operation| {
        json!({
            "name": op.name,
            "module": module_name(op.module),
            "rest": op.rest.map(|r| json!({ "verb": format!("{:?}", r.verb).to_uppercase(), "path": r.path, "fqn": r.fqn })),
            "args": op.args.iter().map(source).collect::<Vec<_>>(),
            "identity": match op.identity { Identity::Admin => "admin", Identity::AdminOrMember => "adminOrMember" },
            "ids": op.ids,
            "mutates": op.mutates,
            "answer": match op.answer {
                Answer::Body => json!({ "kind": "body" }),
                Answer::Field(f) => json!({ "kind": "field", "field": f }),
                Answer::Void => json!({ "kind": "void" }),
            },
            "query": op.query.map(|q| json!({ "items": q.items, "paging": q.paging })),
            "implemented": op.start.is_some(),
        })
    };
    let event = |e: &Event| json!({ "module": module_name(e.module), "function": e.function, "eventType": e.event_type, "velo": e.velo });
    let codes: serde_json::Map<String, Value> =
        Code::ALL.iter().map(|c| (c.as_str().to_string(), c.http_status().into())).collect();
    super::records::encode(&json!({
        "operations": OPERATIONS.iter().map(operation).collect::<Vec<_>>(),
        "events": EVENTS.iter().map(event).collect::<Vec<_>>(),
        "codes": codes,
        "reasons": Reason::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "flags": super::protocol::FLAGS.iter().map(|&(name, bit)| (name.to_string(), bit.into())).collect::<serde_json::Map<String, Value>>(),
        "attempts": {
            "max": super::attempts::MAX,
            "backoffAfter": super::attempts::BACKOFF_AFTER,
            "backoffCapMs": super::attempts::BACKOFF_CAP_MS,
        },
        "dateFields": super::records::view::DATE_FIELDS,
        "verifyPrefixes": super::verify::PREFIXES,
        "verifyMaxListed": super::verify::MAX_LISTED,
        "programKey": super::records::keys::PROGRAM,
    }))
}
