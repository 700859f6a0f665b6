//! Every reason an error of this package can carry: the specific cause that `LoyaltyError.reason`,
//! `details.applicationError.code` and a field violation's `ruleName` name. Declared once, here;
//! the error constructors take a [`Reason`], so a misspelt reason does not compile. The build's
//! table lists them all (`TABLE.reasons`), and `js/index.d.ts` declares the same union (a test
//! compares the two).
//!
//! The JS face raises some reasons itself (its options, the storage calls, the REST face, the
//! server's gate); they are listed here too, after the engine's, so the list is every reason the
//! package can produce.

/// Declares [`Reason`]: each variant with its doc line and its wire name.
macro_rules! reasons {
    ($($(#[doc = $doc:literal])+ $variant:ident = $wire:literal,)+) => {
        /// The specific cause of an error (see the module's documentation).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Reason {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Reason {
            /// Every reason, in declaration order.
            pub const ALL: &'static [Reason] = &[$(Reason::$variant,)+];

            /// The name on the wire, e.g. `INSUFFICIENT_POINTS`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Reason::$variant => $wire,)+
                }
            }

            /// The variant's name in Rust, for the test that it spells its wire name.
            #[cfg(test)]
            fn rust_name(self) -> &'static str {
                match self {
                    $(Reason::$variant => stringify!($variant),)+
                }
            }
        }
    };
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

reasons! {
    // Raised by the engine (the core and the wasm face); some also by the JS face.
    /// An account for this contact exists already.
    AccountAlreadyExists = "ACCOUNT_ALREADY_EXISTS",
    /// No such loyalty account (or the calling member has none).
    AccountNotFound = "ACCOUNT_NOT_FOUND",
    /// A member or a visitor called an admin method.
    AdminOnly = "ADMIN_ONLY",
    /// The native test driver only: an answer or an event that is not JSON (a defect).
    BadJson = "BAD_JSON",
    /// The contacts resolver knows no such contact.
    ContactNotFound = "CONTACT_NOT_FOUND",
    /// The contacts resolver returned a malformed contact (the core), or threw (the JS face).
    ContactsError = "CONTACTS_ERROR",
    /// A stored record this engine cannot use (corrupted or foreign); also the JS face's outbox.
    CorruptRecord = "CORRUPT_RECORD",
    /// Records that contradict one another (a ledger key the account's revision rules out).
    CorruptStore = "CORRUPT_STORE",
    /// The coupon code the host's coupon system answered is taken.
    CouponCodeTaken = "COUPON_CODE_TAKEN",
    /// `referenceCoupons.create` threw or answered no code.
    CouponHookFailed = "COUPON_HOOK_FAILED",
    /// Reference coupons are stored but this backend has no `referenceCoupons` hooks.
    CouponHooksMissing = "COUPON_HOOKS_MISSING",
    /// The coupon is not active (refunds).
    CouponNotActive = "COUPON_NOT_ACTIVE",
    /// No such loyalty coupon.
    CouponNotFound = "COUPON_NOT_FOUND",
    /// A reward prices a tier twice.
    DuplicateTier = "DUPLICATE_TIER",
    /// A record or a report could not be encoded as JSON.
    EncodeFailed = "ENCODE_FAILED",
    /// The id generator returned an id already in use.
    IdCollision = "ID_COLLISION",
    /// The idempotency key was used before with other arguments.
    IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED",
    /// The account's balance is below what the call takes.
    InsufficientPoints = "INSUFFICIENT_POINTS",
    /// A money amount that is not a decimal amount.
    InvalidAmount = "INVALID_AMOUNT",
    /// Bad input with no more specific rule (also the JS face's option checks).
    InvalidArgument = "INVALID_ARGUMENT",
    /// A character a storage key cannot hold (a NUL in an idempotency key).
    InvalidCharacter = "INVALID_CHARACTER",
    /// The clock (option `now`) gave no valid instant.
    InvalidClock = "INVALID_CLOCK",
    /// A cursor this engine did not issue for this query.
    InvalidCursor = "INVALID_CURSOR",
    /// A value that should be a date is not.
    InvalidDate = "INVALID_DATE",
    /// A value outside its enum.
    InvalidEnum = "INVALID_ENUM",
    /// A query filter that is neither a value nor an object of operators.
    InvalidFilter = "INVALID_FILTER",
    /// A value that should be a GUID is not.
    InvalidGuid = "INVALID_GUID",
    /// The id generator (option `newId`) returned no GUID.
    InvalidIdGenerator = "INVALID_ID_GENERATOR",
    /// A revision that is not a whole number in range.
    InvalidRevision = "INVALID_REVISION",
    /// The host asked for something an operation's state does not allow (a handle not in flight).
    InvalidState = "INVALID_STATE",
    /// No such job.
    JobNotFound = "JOB_NOT_FOUND",
    /// A `memoryStorage()` journal that cannot be replayed.
    JournalCorrupt = "JOURNAL_CORRUPT",
    /// The member has an account already.
    MemberAlreadyHasAccount = "MEMBER_ALREADY_HAS_ACCOUNT",
    /// A current-member method called without a member.
    MemberRequired = "MEMBER_REQUIRED",
    /// An adjustment that gives neither an amount nor a balance.
    MissingAdjustment = "MISSING_ADJUSTMENT",
    /// A field that may not be set with the others given.
    NotAllowed = "NOT_ALLOWED",
    /// A number that should be whole is not.
    NotAnInteger = "NOT_AN_INTEGER",
    /// A method this version does not implement.
    NotImplemented = "NOT_IMPLEMENTED",
    /// The reward has no price for the account's tier.
    NoPriceForTier = "NO_PRICE_FOR_TIER",
    /// A `memoryStorage()` whose store in wasm is gone.
    NoSuchStore = "NO_SUCH_STORE",
    /// Fields of which exactly one may be given.
    OneOf = "ONE_OF",
    /// A number outside its range.
    OutOfRange = "OUT_OF_RANGE",
    /// A sum of points would pass the safe range.
    PointsLimitExceeded = "POINTS_LIMIT_EXCEEDED",
    /// The loyalty program is not active.
    ProgramNotActive = "PROGRAM_NOT_ACTIVE",
    /// The redemption was settled as failed while its reference coupon was being created.
    RedemptionFailed = "REDEMPTION_FAILED",
    /// A retry while its redemption waits on `referenceCoupons.create`.
    RedemptionInProgress = "REDEMPTION_IN_PROGRESS",
    /// A required field is missing.
    RequiredField = "REQUIRED_FIELD",
    /// A record's revision is at the last safe integer.
    RevisionLimitExceeded = "REVISION_LIMIT_EXCEEDED",
    /// A stale revision: read the entity again and retry.
    RevisionMismatch = "REVISION_MISMATCH",
    /// The id generator returned the id of a reward that exists.
    RewardAlreadyExists = "REWARD_ALREADY_EXISTS",
    /// The reward changed while its redemption waited on the host's coupon system.
    RewardChanged = "REWARD_CHANGED",
    /// The reward is not active.
    RewardNotActive = "REWARD_NOT_ACTIVE",
    /// The reward is not a coupon reward.
    RewardNotACoupon = "REWARD_NOT_A_COUPON",
    /// No such reward.
    RewardNotFound = "REWARD_NOT_FOUND",
    /// A record written by a newer release of the engine.
    SchemaTooNew = "SCHEMA_TOO_NEW",
    /// The storage broke the storage contract (shapes, lengths); the core and the JS face.
    StorageProtocolError = "STORAGE_PROTOCOL_ERROR",
    /// The id generator returned the id of a tier that exists.
    TierAlreadyExists = "TIER_ALREADY_EXISTS",
    /// Another tier has this name.
    TierNameTaken = "TIER_NAME_TAKEN",
    /// No such tier.
    TierNotFound = "TIER_NOT_FOUND",
    /// Another tier requires these points.
    TierPointsTaken = "TIER_POINTS_TAKEN",
    /// The tiers program settings exist already.
    TiersProgramSettingsExist = "TIERS_PROGRAM_SETTINGS_EXIST",
    /// The tiers program has no settings yet.
    TiersProgramSettingsNotFound = "TIERS_PROGRAM_SETTINGS_NOT_FOUND",
    /// A query filter nests too deep.
    TooDeep = "TOO_DEEP",
    /// A text longer than its limit.
    TooLong = "TOO_LONG",
    /// A list longer than its limit.
    TooMany = "TOO_MANY",
    /// A commit kept conflicting for every attempt of the attempt policy (`attempts`); every host.
    TooManyConflicts = "TOO_MANY_CONFLICTS",
    /// More operations in flight at once than the wasm face holds.
    TooManyOperations = "TOO_MANY_OPERATIONS",
    /// The tier ladder is full.
    TooManyTiers = "TOO_MANY_TIERS",
    /// A text shorter than its limit.
    TooShort = "TOO_SHORT",
    /// No such transaction.
    TransactionNotFound = "TRANSACTION_NOT_FOUND",
    /// A reward's type cannot change.
    TypeImmutable = "TYPE_IMMUTABLE",
    /// A reward's type disagrees with the details given.
    TypeMismatch = "TYPE_MISMATCH",
    /// A stored job of a kind this engine does not run.
    UnknownJob = "UNKNOWN_JOB",
    /// No operation of this name.
    UnknownOperation = "UNKNOWN_OPERATION",
    /// The bench's measurement build only: a request its async export does not drive.
    Unsupported = "UNSUPPORTED",
    /// A field a query cannot filter on.
    UnsupportedField = "UNSUPPORTED_FIELD",
    /// A query operator that is not supported (or not for this field).
    UnsupportedOperator = "UNSUPPORTED_OPERATOR",
    /// A field a query cannot sort by.
    UnsupportedSort = "UNSUPPORTED_SORT",
    /// A value of the wrong type (also the JS face's own checks).
    WrongType = "WRONG_TYPE",
    /// An adjustment of 0 points.
    ZeroAmount = "ZERO_AMOUNT",

    // Raised by the JS face only (js/*.js, js/velo/): the engine never produces these.
    /// JS face (`serve`): a proxied request to a server without an API key.
    ApiKeyRequired = "API_KEY_REQUIRED",
    /// JS face: the clock (option `now`) threw or gave no time.
    ClockError = "CLOCK_ERROR",
    /// JS face: `verify()` overlapped a trap recovery; run it again.
    EngineRestarted = "ENGINE_RESTARTED",
    /// JS face (`serve`): a Host this server does not answer for.
    HostNotAllowed = "HOST_NOT_ALLOWED",
    /// JS face: the id generator (option `newId`) threw.
    IdGeneratorError = "ID_GENERATOR_ERROR",
    /// JS face (REST): a failure that is not a `LoyaltyError` (the server failed unexpectedly).
    Internal = "INTERNAL",
    /// JS face: a member id that cannot name a member (`forMember`, `memberToken`).
    InvalidMember = "INVALID_MEMBER",
    /// JS face: a bad option of `createLoyaltyBackend` or `createWixFetch`.
    InvalidOptions = "INVALID_OPTIONS",
    /// JS face (`serve`): a Host header that is not a host name.
    MalformedHost = "MALFORMED_HOST",
    /// JS face (REST): a body or a `.r` parameter that is not JSON (or not an object).
    MalformedJson = "MALFORMED_JSON",
    /// JS face (REST, `serve`): a path with a malformed escape, a dot segment or a backslash.
    MalformedPath = "MALFORMED_PATH",
    /// JS face (REST): a `.r` query parameter that cannot be read.
    MalformedQuery = "MALFORMED_QUERY",
    /// JS face (`serve`): a request that is not well-formed HTTP/1.1.
    MalformedRequest = "MALFORMED_REQUEST",
    /// JS face (REST): a URL that cannot be parsed.
    MalformedUrl = "MALFORMED_URL",
    /// JS face (REST, `serve`): a path served with other methods (405).
    MethodNotAllowed = "METHOD_NOT_ALLOWED",
    /// JS face (`serve`): a request without a Host header.
    MissingHost = "MISSING_HOST",
    /// JS face: `next()` on the last page of a query.
    NoNextPage = "NO_NEXT_PAGE",
    /// JS face: `prev()` on the first page of a query.
    NoPreviousPage = "NO_PREVIOUS_PAGE",
    /// JS face (`serve`): a browser request from a page of an origin not allowed.
    OriginNotAllowed = "ORIGIN_NOT_ALLOWED",
    /// JS face (`serve`): request line and headers over 16 KB (431).
    RequestHeadersTooLarge = "REQUEST_HEADERS_TOO_LARGE",
    /// JS face (`serve`): a request that did not arrive in time (408).
    RequestTimeout = "REQUEST_TIMEOUT",
    /// JS face (REST): a request that nests too deep.
    RequestTooDeep = "REQUEST_TOO_DEEP",
    /// JS face (`serve`): a body over the limit (413).
    RequestTooLarge = "REQUEST_TOO_LARGE",
    /// JS face: a step of the engine that could not be decoded (a mismatched wasm build).
    StepFormatError = "STEP_FORMAT_ERROR",
    /// JS face: a storage function threw or rejected.
    StorageError = "STORAGE_ERROR",
    /// JS face: a storage function did not answer within `storageTimeoutMs`.
    StorageTimeout = "STORAGE_TIMEOUT",
    /// JS face (`serve`): more connections open than allowed.
    TooManyConnections = "TOO_MANY_CONNECTIONS",
    /// JS face (REST): neither an API key nor a member token of this backend.
    Unauthenticated = "UNAUTHENTICATED",
    /// JS face (REST): a path that is not one of the Wix Loyalty API.
    UnknownRoute = "UNKNOWN_ROUTE",
    /// JS face (`serve`): a body that is not `application/json` (415).
    UnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE",
    /// JS face: a query builder's `skip()` (these queries page with cursors).
    UnsupportedPaging = "UNSUPPORTED_PAGING",
    /// JS face: `verify()` failed outside the module (a failure that is no `LoyaltyError`).
    VerifyFailed = "VERIFY_FAILED",
    /// JS face: the engine failed unexpectedly (a trap); the instance was replaced.
    WasmTrap = "WASM_TRAP",
    /// JS face: the page has no Web Crypto, which member tokens need.
    WebCryptoUnavailable = "WEB_CRYPTO_UNAVAILABLE",
    /// JS face (the Velo loader): a web method the caller's permissions do not allow.
    WebMethodForbidden = "WEB_METHOD_FORBIDDEN",
}

#[cfg(test)]
mod tests {
    use super::Reason;

    #[test]
    fn each_variant_spells_its_wire_name_and_names_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for r in Reason::ALL {
            let mut screaming = String::new();
            for (i, ch) in r.rust_name().char_indices() {
                if ch.is_ascii_uppercase() && i > 0 {
                    screaming.push('_');
                }
                screaming.push(ch.to_ascii_uppercase());
            }
            assert_eq!(screaming, r.as_str(), "{r:?}");
            assert!(seen.insert(r.as_str()), "{} twice", r.as_str());
        }
    }
}
