// Types of the wix-loyalty-wasm public API (names and shapes follow Wix's @wix/loyalty SDK).

/** A stored value as storage hands it back. */
export interface StoredEntry {
  /** JSON text written by the engine. */
  value: string;
  /** Positive whole number; a key created with version 0 is at version 1, and so on. */
  version: number;
}

/**
 * One conditional entry of a commit: applied only if the key is at `version` now (0 = must not
 * exist). With `value: null` it is a check: the key must be at `version`, nothing is written.
 */
export interface StorageWrite {
  key: string;
  value: string | null;
  version: number;
}

export type CommitOutcome = { ok: true } | { ok: false; conflict: string };

export interface ScanRequest {
  /** Only keys starting with this string. */
  prefix: string;
  /** Exclusive: keys strictly after this one in scan order. */
  after?: string;
  limit: number;
  /** Descending key order when true. */
  reverse?: boolean;
}

export interface ScannedEntry extends StoredEntry {
  key: string;
}

/** The storage contract: three async functions. See the README's storage section. */
/**
 * The second argument of every storage call: `signal` aborts when the backend's deadline
 * (`storageTimeoutMs`) passes, so that an adapter may drop work it has not started.
 */
export interface StorageCallContext {
  signal: AbortSignal;
}

export interface LoyaltyStorage {
  /** One entry per key, in order; null (or undefined) for a missing key. */
  read(keys: string[], context?: StorageCallContext): Promise<Array<StoredEntry | null | undefined>>;
  /** All writes or none: if any version does not match, nothing changes and the key is named. */
  commit(writes: StorageWrite[], context?: StorageCallContext): Promise<CommitOutcome>;
  /** Keys under `prefix` in key order, after `after`, at most `limit`. */
  scan(request: ScanRequest, context?: StorageCallContext): Promise<ScannedEntry[]>;
}

export interface ContactInfo {
  memberId?: string | null;
  name?: string | null;
  email?: string | null;
  picture?: string | { url: string; height?: number; width?: number } | null;
}

export interface LoyaltyBackendOptions {
  storage: LoyaltyStorage;
  /** The clock; defaults to `Date.now`. */
  now?: () => Date | number;
  /** Id generator returning GUIDs; defaults to `crypto.randomUUID`. */
  newId?: () => string;
  /** Resolves a contact; `null` means it does not exist and `createAccount` refuses it. */
  contacts?: (contactId: string) => Promise<ContactInfo | null> | ContactInfo | null;
  /**
   * Receives every event (SDK shape) after the commit that made it; on a host's storage at least
   * once, a process dying in between included (duplicates keep `metadata._id`; see docs/storage.md,
   * "Events at least once").
   */
  onEvent?: (event: LoyaltyEvent) => void | Promise<void>;
  /** A Velo `backend/events.js` module: its `wixLoyalty_on…` exports receive events in Velo's shape. */
  events?: Record<string, unknown>;
  /** Receives the progress of every job batch (e.g. `bulkAdjustPoints`). */
  onProgress?: (job: Job) => void | Promise<void>;
  /**
   * The host's own coupon system (a shop's): a redemption asks `create` for the reference coupon
   * (it must resolve to `{ code }`, and treat `referenceCouponId` as its idempotency key), and
   * `void` withdraws one (idempotent; it must succeed when there is nothing to void). See
   * docs/rules.md, "Reference coupons from the host's own coupon system", for every window
   * between the hooks and the commits.
   */
  referenceCoupons?: {
    create(request: ReferenceCouponRequest): Promise<{ code: string }> | { code: string };
    void(request: ReferenceCouponRequest): Promise<unknown> | unknown;
  };
  /** Signs member tokens (16+ characters); without it, a random secret per backend. */
  memberTokenSecret?: string;
  /**
   * On a host's storage, record each commit's events in that commit (the events outbox) and
   * deliver them at least once, a process dying between a commit and its delivery included
   * (see docs/storage.md, "Events at least once"); `true` by default. The default store needs none.
   */
  outbox?: boolean;
  /**
   * How old an event left undelivered must be before a sweep (as a backend starts, and in
   * `runScheduledWork()`) delivers it again: younger ones may still be in their process's hands.
   * 60000 by default.
   */
  redeliverEventsAfterMs?: number;
  /**
   * How long one storage call may take, in ms (default 5000): one that has not answered by then
   * rejects with `UNAVAILABLE` / `STORAGE_TIMEOUT` (a commit's outcome is then unknown, as with
   * `STORAGE_ERROR`), and the operation lets go of everything it holds.
   */
  storageTimeoutMs?: number;
  /**
   * Test hooks. `trapBefore`: operations (method names, or "verify") that force a WebAssembly trap
   * first. `beforeDelivery(outboxKey)`: called after each commit with events on a host's storage;
   * returning `false` leaves them undelivered and unmarked, as a process dying there would.
   * `handlerWaitMs`: how long a sweep waits for handlers' promises (10000).
   */
  testing?: { trapBefore?: string[]; beforeDelivery?: (outboxKey: string) => unknown; handlerWaitMs?: number };
}

export interface ReferenceCouponRequest {
  referenceCouponId: string;
  loyaltyCouponId: string;
  accountId: string;
  memberId?: string | null;
  rewardId: string;
  name: string;
  specification: Record<string, unknown>;
}

export interface Discrepancy {
  /** What is wrong, e.g. LEDGER_SUM_MISMATCH, DUPLICATE_EARN, CORRUPT_RECORD. */
  code: string;
  message: string;
  key?: string;
  accountId?: string;
  transactionId?: string;
}

export interface VerifyReport {
  ok: boolean;
  counts: {
    records: number;
    accounts: number;
    ledgerEntries: number;
    transactions: number;
    contacts: number;
    members: number;
    idempotencyKeys: number;
    jobs: number;
    /** Sum of all balances. */
    points: number;
    /** Entries of the events outbox (see docs/storage.md, "Events at least once"), delivered or not. */
    outboxEntries: number;
    /** Events recorded in the outbox and not yet marked delivered. */
    pendingEvents: number;
  };
  discrepancyCount: number;
  /** True when more discrepancies were found than listed (1000). */
  truncated: boolean;
  discrepancies: Discrepancy[];
}

export type ProgramStatus = 'UNKNOWN' | 'DRAFT' | 'ACTIVE' | 'PAUSED';

export interface LoyaltyProgram {
  name?: string;
  pointDefinition?: { customName?: string; icon?: string };
  status: ProgramStatus;
  _createdDate?: Date;
  _updatedDate?: Date;
  pointsExpiration: {
    status: 'UNKNOWN_STATUS' | 'DISABLED' | 'ENABLED';
    monthsOfInactivity: number;
    expiringPointsPercentage: number;
  };
  premiumFeatures: { loyaltyProgram: boolean; tiers: boolean; pointsExpiration: boolean };
}

export interface LoyaltyProgramUpdate {
  name?: string;
  pointDefinition?: { customName?: string; icon?: string };
  pointsExpiration?: { monthsOfInactivity?: number; expiringPointsPercentage?: number };
  [readOnly: string]: unknown;
}

export interface Points {
  balance: number;
  earned: number;
  adjusted: number;
  redeemed: number;
  expired: number;
}

export interface LoyaltyAccount {
  _id: string;
  contactId: string;
  memberId?: string;
  points: Points;
  rewardAvailable: boolean;
  _createdDate: Date;
  _updatedDate: Date;
  lastActivityDate?: Date;
  /** Decimal string; +1 on every change. */
  revision: string;
  tier: { _id?: string; _updatedDate?: Date; points: number };
  contact: {
    _id: string;
    name?: string;
    email?: string;
    displayName?: string;
    picture: { _id: string; url: string; height: number; width: number };
  };
  pointsExpiration: { expirationDate?: Date; expiringPointsAmount: number };
}

export interface EarnPointsOptions {
  /** 1 to 9,999,999. */
  amount: number;
  /** 1 to 100 characters. */
  appId: string;
  /** 1 to 256 characters; a retry with the same key returns the original result. */
  idempotencyKey: string;
  description?: string;
  activityType?: string | null;
  orderId?: string | null;
  followedSocialMedia?: { channel: string };
}

/** `adjustPoints`'s options: `amount` (a change) or `balance` (a new balance), at least one. */
export type AdjustPointsOptions = (
  | {
      /** Change the balance (-9,999,999 to 9,999,999, not 0). */
      amount: number;
      balance?: null;
    }
  | {
      /** Set the balance (0 to 999,999,999). Wins over `amount`. */
      balance: number;
      amount?: number | null;
    }
) & {
  description?: string | null;
  /** The account's current revision; a stale one is refused (ABORTED / REVISION_MISMATCH). */
  revision?: string;
};

export interface PointsResult {
  account: LoyaltyAccount;
  transactionId: string;
}

export interface CursorPaging {
  limit?: number | null;
  cursor?: string | null;
}

export interface ListAccountsOptions {
  contactIds?: string[];
  cursorPaging?: CursorPaging;
}

export interface ListAccountsResponse {
  accounts: LoyaltyAccount[];
  /** `total` (and `tooManyToCount: false`) on the last page only, where it is known without counting. */
  pagingMetadata: { count: number; offset: number; total?: number; tooManyToCount?: boolean; cursors: { next: string | null; prev: string | null } };
}

export interface CursorPagingMetadata {
  count: number;
  cursors: { next: string | null; prev: string | null };
  hasNext: boolean;
}

/** A filter in Wix's API Query Language: `{ field: value }`, `{ field: { $gt: 5 } }`, `$and`, `$or`, `$not`. */
export type Filter = Record<string, unknown>;

export interface CursorQuery {
  filter?: Filter | null;
  sort?: { fieldName: string; order?: 'ASC' | 'DESC' }[];
  cursorPaging?: CursorPaging;
}

export interface SearchDetails {
  expression?: string;
  mode?: 'OR' | 'AND';
  fields?: ('contact.name' | 'contact.email')[];
  fuzzy?: boolean;
}

export interface CursorSearch extends CursorQuery {
  search?: SearchDetails;
  aggregations?: unknown[];
  timeZone?: string;
}

export interface Job {
  _id: string;
  kind: string;
  status: 'RUNNING' | 'FINISHED';
  processed: number;
  succeeded: number;
  failed: number;
  /** The first failures (up to 20): the entity, a reason and a description. */
  failures: { entityId: string; code: string; description: string }[];
  _createdDate: Date;
  _updatedDate: Date;
}

export type TransactionType = 'UNKNOWN' | 'EARN' | 'REDEEM' | 'ADJUST' | 'REFUND' | 'EXPIRE';

export interface LoyaltyTransaction {
  _id: string;
  accountId: string;
  _createdDate: Date;
  amount: number;
  transactionType: TransactionType;
  description: string;
  idempotencyKey: string;
  earnInfo?: { appId: string; activityType: string; orderId?: string; followedSocialMedia?: { channel: string } };
  adjustInfo?: { appId: string; amountBefore: number; amountAfter: number };
  /** On `REDEEM`: the reward, and the coupon the points paid for (`referenceEntityId`). */
  redeemInfo?: { rewardId: string; rewardType: RewardType; referenceEntityId: string };
  /** On `REFUND`: the `REDEEM` transaction whose points came back. */
  refundInfo?: { appId: string; refundedTransactionId: string };
  /** On `EXPIRE`: the balance before and after the points expired. */
  expireInfo?: { amountBefore: number; amountAfter: number };
}

/** What a date field of a query takes: a Date, an ISO-8601 string or epoch milliseconds. */
export type DateValue = Date | string | number;

/** The filterable fields of transactions, and the values each takes. */
export interface TransactionFields {
  _id: string;
  accountId: string;
  _createdDate: DateValue;
  amount: number;
  transactionType: TransactionType;
  description: string;
  idempotencyKey: string;
}

/** The filterable fields of accounts, and the values each takes. */
export interface AccountFields {
  _id: string;
  contactId: string;
  memberId: string;
  'points.balance': number;
  'points.earned': number;
  'points.adjusted': number;
  'points.redeemed': number;
  'points.expired': number;
  _createdDate: DateValue;
  _updatedDate: DateValue;
  lastActivityDate: DateValue;
  'tier._id': string;
  'tier.points': number;
  'contact._id': string;
  'contact.name': string;
  'contact.email': string;
  'contact.displayName': string;
  'pointsExpiration.expirationDate': DateValue;
  'pointsExpiration.expiringPointsAmount': number;
  revision: string | number;
}

/** The filterable fields of coupons, and the values each takes. */
export interface CouponFields {
  _id: string;
  accountId: string;
  memberId: string;
  transactionId: string;
  status: CouponStatus;
  rewardName: string;
  'couponReference.code': string;
  'couponReference.couponId': string;
  _createdDate: DateValue;
  _updatedDate: DateValue;
  revision: string | number;
}

/** The names of a field map. */
export type FieldName<Fields> = Extract<keyof Fields, string>;
/** The names of a field map's text fields. */
export type TextFieldName<Fields> = { [F in FieldName<Fields>]: Fields[F] extends string ? (string extends Fields[F] ? F : never) : never }[FieldName<Fields>];

export type TransactionField = FieldName<TransactionFields>;
export type AccountField = FieldName<AccountFields>;
export type CouponField = FieldName<CouponFields>;

/**
 * The SDK's cursor query builder (immutable: every method returns a new builder). `Fields` maps
 * each filterable field to the values it takes, so a misspelt field or a value of the wrong type
 * (`eq('transactionType', 'BOGUS')`) does not compile.
 */
export declare class QueryBuilder<Item, Fields = Record<string, unknown>> {
  private constructor();
  eq<F extends FieldName<Fields>>(field: F, value: Fields[F] | null): QueryBuilder<Item, Fields>;
  ne<F extends FieldName<Fields>>(field: F, value: Fields[F] | null): QueryBuilder<Item, Fields>;
  gt<F extends FieldName<Fields>>(field: F, value: Fields[F]): QueryBuilder<Item, Fields>;
  ge<F extends FieldName<Fields>>(field: F, value: Fields[F]): QueryBuilder<Item, Fields>;
  lt<F extends FieldName<Fields>>(field: F, value: Fields[F]): QueryBuilder<Item, Fields>;
  le<F extends FieldName<Fields>>(field: F, value: Fields[F]): QueryBuilder<Item, Fields>;
  /** `from` ≤ field < `to`. */
  between<F extends FieldName<Fields>>(field: F, from: Fields[F], to: Fields[F]): QueryBuilder<Item, Fields>;
  in<F extends FieldName<Fields>>(field: F, values: Fields[F][]): QueryBuilder<Item, Fields>;
  hasSome<F extends FieldName<Fields>>(field: F, ...values: Fields[F][]): QueryBuilder<Item, Fields>;
  hasAll<F extends FieldName<Fields>>(field: F, ...values: Fields[F][]): QueryBuilder<Item, Fields>;
  startsWith(field: TextFieldName<Fields>, value: string): QueryBuilder<Item, Fields>;
  endsWith(field: TextFieldName<Fields>, value: string): QueryBuilder<Item, Fields>;
  contains(field: TextFieldName<Fields>, value: string): QueryBuilder<Item, Fields>;
  exists(field: FieldName<Fields>, value?: boolean): QueryBuilder<Item, Fields>;
  isEmpty(field: FieldName<Fields>): QueryBuilder<Item, Fields>;
  isNotEmpty(field: FieldName<Fields>): QueryBuilder<Item, Fields>;
  and(query: QueryBuilder<Item, Fields>): QueryBuilder<Item, Fields>;
  or(query: QueryBuilder<Item, Fields>): QueryBuilder<Item, Fields>;
  not(query: QueryBuilder<Item, Fields>): QueryBuilder<Item, Fields>;
  ascending(...fields: FieldName<Fields>[]): QueryBuilder<Item, Fields>;
  descending(...fields: FieldName<Fields>[]): QueryBuilder<Item, Fields>;
  /** 1 to 100 (default 50). */
  limit(limit: number): QueryBuilder<Item, Fields>;
  skipTo(cursor: string): QueryBuilder<Item, Fields>;
  /** The request body's `query`, as the REST API receives it. */
  toQuery(): CursorQuery;
  find(): Promise<QueryResult<Item, Fields>>;
}

export declare class QueryResult<Item, Fields = Record<string, unknown>> {
  private constructor();
  items: Item[];
  cursors: { next: string | null; prev: string | null };
  readonly length: number;
  /** The page size asked for. */
  readonly pageSize: number;
  readonly query: QueryBuilder<Item, Fields>;
  hasNext(): boolean;
  hasPrev(): boolean;
  next(): Promise<QueryResult<Item, Fields>>;
  prev(): Promise<QueryResult<Item, Fields>>;
}

export interface EventMetadata<Type extends string = string> {
  _id: string;
  entityFqdn: string;
  slug: string;
  entityId: string;
  eventTime: Date;
  eventType: Type;
  entityEventSequence?: string;
}

/** An event that carries its entity (created, updated). */
export interface EntityEvent<Type extends string, Entity> {
  entity: Entity;
  metadata: EventMetadata<Type>;
}

/** An event that carries only its metadata (deleted: `metadata.entityId` names what went). */
export interface DeletedEvent<Type extends string> {
  metadata: EventMetadata<Type>;
}

export type AccountCreatedEvent = EntityEvent<'wix.loyalty.v1.account_created', LoyaltyAccount>;
export type AccountUpdatedEvent = EntityEvent<'wix.loyalty.v1.account_updated', LoyaltyAccount>;
export interface AccountPointsUpdatedEvent {
  data: { account: LoyaltyAccount };
  metadata: EventMetadata<'wix.loyalty.v1.account_points_updated'>;
}
export interface AccountRewardAvailabilityUpdatedEvent {
  /** `updateTrigger` says why the flag flipped (a balance change, a reward change, …). */
  data: { rewardAvailable: boolean; updateTrigger: string };
  metadata: EventMetadata<'wix.loyalty.v1.account_reward_availability_updated'>;
}
export type ProgramUpdatedEvent = EntityEvent<'wix.loyalty.v1.program_updated', LoyaltyProgram>;
export type RewardCreatedEvent = EntityEvent<'wix.loyalty.v1.reward_created', Reward>;
export type RewardUpdatedEvent = EntityEvent<'wix.loyalty.v1.reward_updated', Reward>;
export type RewardDeletedEvent = DeletedEvent<'wix.loyalty.v1.reward_deleted'>;
export type CouponCreatedEvent = EntityEvent<'wix.loyalty.v1.coupon_created', LoyaltyCoupon>;
export type CouponDeletedEvent = DeletedEvent<'wix.loyalty.v1.coupon_deleted'>;
export type TierCreatedEvent = EntityEvent<'wix.loyalty.v1.tier_created', Tier>;
export type TierUpdatedEvent = EntityEvent<'wix.loyalty.v1.tier_updated', Tier>;
export type TierDeletedEvent = DeletedEvent<'wix.loyalty.v1.tier_deleted'>;
/** Events of modules this version does not implement (they never fire yet). */
export type EarningRuleEvent = EntityEvent<`wix.loyalty.v1.loyalty_earning_rule_${'created' | 'updated'}`, Record<string, unknown>> | DeletedEvent<'wix.loyalty.v1.loyalty_earning_rule_deleted'>;
export type ImportCreatedEvent = EntityEvent<'wix.loyalty.imports.v1.loyalty_import_created', Record<string, unknown>>;
export type FollowedChannelCreatedEvent = EntityEvent<'wix.loyalty.socialmedia.v1.followed_channel_created', Record<string, unknown>>;

/** Every event, told apart by `metadata.eventType`. */
export type LoyaltyEvent =
  | AccountCreatedEvent | AccountUpdatedEvent | AccountPointsUpdatedEvent | AccountRewardAvailabilityUpdatedEvent
  | ProgramUpdatedEvent | RewardCreatedEvent | RewardUpdatedEvent | RewardDeletedEvent | CouponCreatedEvent
  | CouponDeletedEvent | TierCreatedEvent | TierUpdatedEvent | TierDeletedEvent | EarningRuleEvent
  | ImportCreatedEvent | FollowedChannelCreatedEvent;

/** The event of type `T`: `EventOf<'wix.loyalty.v1.account_points_updated'>`. */
export type EventOf<T extends LoyaltyEvent['metadata']['eventType']> = Extract<LoyaltyEvent, { metadata: { eventType: T } }>;

/** An event registration function of a module: returns a function that unregisters the handler. */
export type EventRegistration<E> = (handler: (event: E) => void | Promise<void>) => () => void;

/** A method this version does not implement: it rejects with `UNIMPLEMENTED` / `NOT_IMPLEMENTED`. */
export type NotImplemented = (...args: unknown[]) => Promise<never>;

export interface Programs {
  activateLoyaltyProgram(): Promise<{ loyaltyProgram: LoyaltyProgram }>;
  /** The program of every site of the caller: here, this one. */
  bulkGetLoyaltyProgram(): Promise<{ programInSites: { loyaltyProgram: LoyaltyProgram }[] }>;
  /** Sets `pointsExpiration.status` to `DISABLED`: no points expire from then on. */
  disablePointsExpiration(): Promise<{ loyaltyProgram: LoyaltyProgram }>;
  /**
   * Sets `pointsExpiration.status` to `ENABLED`: `runScheduledWork()` expires
   * `expiringPointsPercentage` % of an account's balance once it has had no activity for
   * `monthsOfInactivity` months (see README, "Points expiration and scheduled work").
   */
  enablePointsExpiration(): Promise<{ loyaltyProgram: LoyaltyProgram }>;
  getLoyaltyProgram(): Promise<{ loyaltyProgram: LoyaltyProgram }>;
  getLoyaltyProgramPremiumFeatures(): Promise<{ loyaltyProgram: boolean; tiers: boolean; pointsExpiration: boolean }>;
  pauseLoyaltyProgram(): Promise<{ loyaltyProgram: LoyaltyProgram }>;
  updateLoyaltyProgram(loyaltyProgram: LoyaltyProgramUpdate): Promise<{ loyaltyProgram: LoyaltyProgram }>;
  onProgramUpdated: EventRegistration<ProgramUpdatedEvent>;
}

export interface Accounts {
  adjustPoints(accountId: string, options: AdjustPointsOptions): Promise<PointsResult>;
  /** Runs as a job (see `jobs.getJob`); resolves once it has finished. */
  bulkAdjustPoints(options: { search?: { filter?: Filter; search?: SearchDetails }; balance?: number; amount?: number }): Promise<{ asyncJobId: string }>;
  countAccounts(options?: { filter?: Filter; search?: SearchDetails }): Promise<{ count: number }>;
  createAccount(contactId: string): Promise<{ account: LoyaltyAccount }>;
  earnPoints(accountId: string, options: EarnPointsOptions): Promise<PointsResult>;
  getAccount(_id: string): Promise<LoyaltyAccount>;
  getAccountBySecondaryId(options: { contactId: string } | { memberId: string }): Promise<{ account: LoyaltyAccount }>;
  /** The calling member's account (a member backend, or a member token over REST). */
  getCurrentMemberAccount(): Promise<{ account: LoyaltyAccount }>;
  /** Sums of every account's points, and the accounts in each tier (the base tier's `_id` null, first). */
  getProgramTotals(): Promise<{ points: { balance: number; earned: number; adjusted: number; redeemed: number; expired: number }; tierTotals: { _id: string | null; numberOfAccounts: number }[] }>;
  /** Deprecated in Wix in favour of queryLoyaltyAccounts; kept for existing code. */
  listAccounts(options?: ListAccountsOptions): Promise<ListAccountsResponse>;
  queryLoyaltyAccounts(): QueryBuilder<LoyaltyAccount, AccountFields>;
  queryLoyaltyAccounts(query: CursorQuery): Promise<{ loyaltyAccounts: LoyaltyAccount[]; pagingMetadata: CursorPagingMetadata }>;
  searchAccounts(search: CursorSearch): Promise<{ accounts: LoyaltyAccount[]; pagingMetadata: CursorPagingMetadata; aggregationData: { results: unknown[] } }>;
  onAccountCreated: EventRegistration<AccountCreatedEvent>;
  onAccountPointsUpdated: EventRegistration<AccountPointsUpdatedEvent>;
  onAccountRewardAvailabilityUpdated: EventRegistration<AccountRewardAvailabilityUpdatedEvent>;
  onAccountUpdated: EventRegistration<AccountUpdatedEvent>;
}

export interface Transactions {
  getLoyaltyTransaction(loyaltyTransactionId: string): Promise<LoyaltyTransaction>;
  queryLoyaltyTransactions(): QueryBuilder<LoyaltyTransaction, TransactionFields>;
  queryLoyaltyTransactions(query: CursorQuery): Promise<{ loyaltyTransactions: LoyaltyTransaction[]; pagingMetadata: CursorPagingMetadata }>;
}

export type RewardType = 'UNDEFINED' | 'DISCOUNT_AMOUNT' | 'COUPON_REWARD';

/** One tier's price: `tierId` absent, null or empty for the base tier, else an existing tier's id. */
export interface TierPrice {
  tierId?: string | null;
  /** 1 to 9,999,999. */
  costInPoints: number;
}

export interface CouponRewardDetails {
  /** Exactly one of `fixedAmount`, `percentage` and `freeShipping`. */
  fixedAmount?: { configsByTier: (TierPrice & { amount: number })[] };
  percentage?: { configsByTier: (TierPrice & { percentage: number })[] };
  freeShipping?: { configsByTier: TierPrice[] };
  /** At most one of `minimumSubtotal` and `scope`. */
  minimumSubtotal?: number;
  scope?: { namespace: string; group?: { name: string; entityId?: string | null } };
  limitedToOneItem?: boolean | null;
  appliesToSubscriptions?: boolean | null;
  /** 1 to 999; only with `appliesToSubscriptions` and `scope.namespace` `pricingPlans`. */
  discountedCycleCount?: number | null;
}

export interface Reward {
  _id: string;
  name: string;
  active: boolean;
  type: RewardType;
  /** `amount`: a decimal string such as `"5"` or `"12.50"`. */
  discountAmount?: { configsByTier: (TierPrice & { amount: string })[] };
  couponReward?: CouponRewardDetails;
  revision: string;
  _createdDate: Date;
  _updatedDate: Date;
}

/** A new reward: `name`, and exactly one of `discountAmount` and `couponReward` (which decides `type`). */
export interface RewardInput {
  name: string;
  active?: boolean;
  /** When given, the type the details make (`UNDEFINED` is refused). */
  type?: 'DISCOUNT_AMOUNT' | 'COUPON_REWARD';
  discountAmount?: Reward['discountAmount'];
  couponReward?: CouponRewardDetails;
}

/** `name` and the current `revision`; `active` and the details replace what they name when given. */
export interface RewardUpdate extends Partial<RewardInput> {
  name: string;
  revision: string;
}

export interface BulkRewardResult {
  itemMetadata: { _id?: string; originalIndex: number; success: boolean; error?: { code: string; description: string; data: Record<string, unknown> } };
  item?: Reward;
}

export interface PagingMetadataV2 {
  count: number;
  offset: number;
  total?: number;
  tooManyToCount?: boolean;
  cursors: { next: string | null; prev: string | null };
}

export interface Rewards {
  bulkCreateRewards(rewards: RewardInput[]): Promise<{ results: BulkRewardResult[]; bulkActionMetadata: { totalSuccesses: number; totalFailures: number; undetailedFailures: number } }>;
  /** Every reward of this site. */
  bulkGetRewards(): Promise<{ rewardsInSite: { rewards: Reward[] }[] }>;
  createReward(reward: RewardInput): Promise<Reward>;
  deleteReward(_id: string, revision: string): Promise<void>;
  getReward(_id: string): Promise<Reward>;
  /** Every reward for an admin; the active ones for a member. */
  listRewards(options?: { cursorPaging?: CursorPaging }): Promise<{ rewards: Reward[]; pagingMetadata: PagingMetadataV2 }>;
  queryRewards(query: CursorQuery): Promise<{ rewards: Reward[]; pagingMetadata: CursorPagingMetadata }>;
  updateReward(_id: string, reward: RewardUpdate): Promise<{ reward: Reward }>;
  onRewardCreated: EventRegistration<RewardCreatedEvent>;
  onRewardDeleted: EventRegistration<RewardDeletedEvent>;
  onRewardUpdated: EventRegistration<RewardUpdatedEvent>;
}

export interface CouponSpecification {
  moneyOffAmount?: number;
  percentOffRate?: number;
  freeShipping?: boolean;
  scope?: { namespace: string; name?: string; entityId?: string };
  minimumSubtotal?: number;
  name: string;
  type: 'MONEY_OFF_AMOUNT' | 'PERCENT_OFF_RATE' | 'FREE_SHIPPING';
  limitedToOneItem?: boolean;
  appliesToSubscriptions?: boolean;
  discountedCycleCount?: number;
}

export type CouponStatus = 'ACTIVE' | 'ARCHIVED' | 'PENDING' | 'FAILED';

export interface LoyaltyCoupon {
  _id: string;
  accountId: string;
  memberIdDeprecated: string;
  memberId?: string;
  /** The `REDEEM` transaction that paid for it. */
  transactionId: string;
  couponReference: { couponId: string; code: string; name: string; specification: CouponSpecification; deleted: boolean };
  status: CouponStatus;
  rewardName: string;
  revision: string;
  _createdDate: Date;
  _updatedDate: Date;
}

export interface Coupons {
  bulkGetLoyaltyCoupon(options?: { query?: CursorQuery }): Promise<{ couponsInSite: { loyaltyCoupons: LoyaltyCoupon[] }[] }>;
  /** Removes the loyalty record only: its points are not refunded. */
  deleteLoyaltyCoupon(_id: string, revision: string): Promise<void>;
  /** The calling member's coupons. */
  getCurrentMemberCoupons(): Promise<{ loyaltyCoupons: LoyaltyCoupon[] }>;
  getLoyaltyCoupon(loyaltyCouponId: string): Promise<LoyaltyCoupon>;
  queryLoyaltyCoupons(): QueryBuilder<LoyaltyCoupon, CouponFields>;
  queryLoyaltyCoupons(query: CursorQuery): Promise<{ loyaltyCoupons: LoyaltyCoupon[]; metadata: PagingMetadataV2 }>;
  /** The calling member's points; `idempotencyKey` (an extension) makes a retry answer the first coupon. */
  redeemCurrentMemberPointsForCoupon(rewardId: string, options?: { idempotencyKey?: string }): Promise<{ coupon: LoyaltyCoupon }>;
  redeemPointsForCoupon(rewardId: string, options: { loyaltyAccountId: string; idempotencyKey?: string }): Promise<{ coupon: LoyaltyCoupon }>;
  onCouponCreated: EventRegistration<CouponCreatedEvent>;
  onCouponDeleted: EventRegistration<CouponDeletedEvent>;
}

/** A tier's (or the base tier's) name (1–50, unique among tiers), description (≤ 70) and icon. */
export interface TierDefinition {
  name?: string;
  description?: string;
  /** An image as the SDK gives it: a `wix:image://v1/…` string or a URL. */
  icon?: string;
}

export interface Tier {
  _id: string;
  tierDefinition: TierDefinition;
  /** 1 to 9,999,999, unique among tiers: the points in the window that reach the tier. */
  requiredPoints: number;
  revision: string;
  _createdDate: Date;
  _updatedDate: Date;
}

export type TiersProgramStatus = 'DISABLED' | 'DRAFT' | 'ACTIVE' | 'PAUSED';

export interface TiersProgramSettings {
  /** The window of points that decides tiers: 1 to 36 months. */
  rollingWindow: { durationInMonths: number };
  /** Tiers decide accounts' tiers only while `ACTIVE`. */
  status: TiersProgramStatus;
  revision: string;
  _createdDate: Date;
  _updatedDate: Date;
  /** The tier of accounts that reach no threshold. */
  baseTierDefinition: TierDefinition;
}

export interface BulkTierResult {
  itemMetadata: { _id?: string; originalIndex: number; success: boolean; error?: { code: string; description: string; data: Record<string, unknown> } };
  item?: Tier;
}

export interface Tiers {
  /** 1 to 20 tiers; each is checked alone and the ones that pass are created together. */
  bulkCreateTiers(tiers: Omit<Tier, '_id' | 'revision' | '_createdDate' | '_updatedDate'>[]): Promise<{ results: BulkTierResult[]; bulkActionMetadata: { totalSuccesses: number; totalFailures: number; undetailedFailures: number } }>;
  /** At most 20 tiers per program. */
  createTier(tier: { tierDefinition: TierDefinition & { name: string }; requiredPoints: number }): Promise<Tier>;
  /** Fails with `TIERS_PROGRAM_SETTINGS_EXIST` once they exist. `status` defaults to `DISABLED`. */
  createTiersProgramSettings(programSettings: { rollingWindow: { durationInMonths: number }; status?: TiersProgramStatus; baseTierDefinition?: TierDefinition }): Promise<{ programSettings: TiersProgramSettings }>;
  deleteTier(tierId: string, revision: string): Promise<void>;
  getTier(tierId: string): Promise<Tier>;
  /** The tiers (lowest threshold first) and the settings, created with defaults when there are none. */
  getTiersProgram(): Promise<{ tiers: Tier[]; programSettings: TiersProgramSettings }>;
  getTiersProgramSettings(): Promise<{ programSettings: TiersProgramSettings }>;
  /** Tiers by `requiredPoints`, lowest first. */
  listTiers(): Promise<{ tiers: Tier[] }>;
  /** PATCH: the current `revision`, and what changes. */
  updateTier(_id: string, tier: { revision: string; tierDefinition?: TierDefinition; requiredPoints?: number }): Promise<Tier>;
  /** Replaces the settings: `status`, `rollingWindow` and `revision` are required; an omitted `baseTierDefinition` empties it. */
  updateTiersProgramSettings(programSettings: { revision: string; status: TiersProgramStatus; rollingWindow: { durationInMonths: number }; baseTierDefinition?: TierDefinition }): Promise<{ programSettings: TiersProgramSettings }>;
  onTierCreated: EventRegistration<TierCreatedEvent>;
  onTierDeleted: EventRegistration<TierDeletedEvent>;
  onTierUpdated: EventRegistration<TierUpdatedEvent>;
}

export interface EarningRules {
  bulkCreateLoyaltyEarningRules: NotImplemented;
  createCustomLoyaltyEarningRule: NotImplemented;
  createLoyaltyEarningRule: NotImplemented;
  deleteAutomationEarningRule: NotImplemented;
  deleteLoyaltyEarningRule: NotImplemented;
  getLoyaltyEarningRule: NotImplemented;
  listEarningRules: NotImplemented;
  updateLoyaltyEarningRule: NotImplemented;
  onLoyaltyEarningRuleCreated: EventRegistration<Extract<EarningRuleEvent, { metadata: { eventType: 'wix.loyalty.v1.loyalty_earning_rule_created' } }>>;
  onLoyaltyEarningRuleDeleted: EventRegistration<Extract<EarningRuleEvent, { metadata: { eventType: 'wix.loyalty.v1.loyalty_earning_rule_deleted' } }>>;
  onLoyaltyEarningRuleUpdated: EventRegistration<Extract<EarningRuleEvent, { metadata: { eventType: 'wix.loyalty.v1.loyalty_earning_rule_updated' } }>>;
}

export interface Imports {
  createLoyaltyImport: NotImplemented;
  createLoyaltyImportFileUrl: NotImplemented;
  executeLoyaltyImport: NotImplemented;
  getErrorFileDownloadUrl: NotImplemented;
  getLoyaltyImport: NotImplemented;
  queryLoyaltyImports: NotImplemented;
  onLoyaltyImportCreated: EventRegistration<ImportCreatedEvent>;
}

export interface CheckoutExchange {
  applyDiscountToCheckout: NotImplemented;
  queryLoyaltyCheckoutDiscounts: NotImplemented;
}

export interface SocialMedia {
  createFollowedChannel: NotImplemented;
  listFollowedChannels: NotImplemented;
  onFollowedChannelCreated: EventRegistration<FollowedChannelCreatedEvent>;
}

/** The engine's own module: jobs (`bulkAdjustPoints`). */
export interface Jobs {
  getJob(jobId: string): Promise<{ job: Job }>;
  /** Runs every job left running (after a crash) to its end. */
  resumeJobs(): Promise<{ resumed: string[] }>;
  /** Ends redemptions that the coupon hooks left half-way (see docs/rules.md, "Reference coupons from the host's own coupon system"). */
  settleCoupons(options?: { olderThanMs?: number }): Promise<{ settled: string[]; waiting: number; failed: number }>;
  /** Expires due points and rolls due tier windows (see README, "Points expiration and scheduled work"). */
  runScheduledWork(options?: { onProgress?: (progress: ScheduledWork) => void }): Promise<ScheduledWork>;
}

/** What a `runScheduledWork()` run did (so far, in a progress report). */
export interface ScheduledWork {
  /** Accounts the run found in the due index up to now (due or moved on since). */
  checkedAccounts: number;
  expiredAccounts: number;
  expiredPoints: number;
  /** Accounts whose tier window rolled (or whose expiration settings moved) without expiring. */
  updatedAccounts: number;
  /**
   * Events a process left undelivered (it died between a commit and its delivery) that this run
   * delivered again under their ids (see docs/storage.md, "Events at least once"); in the final answer only.
   */
  redeliveredEvents?: number;
}

/** The engine's own: refunds of coupons (not part of Wix's API). */
export interface Refunds {
  /**
   * Gives an unused (`ACTIVE`) coupon's points back, once, as a `REFUND` transaction; the coupon
   * becomes `ARCHIVED` and its reference coupon void. `revision`, when given, must be the coupon's.
   */
  refundLoyaltyCoupon(loyaltyCouponId: string, options?: { revision?: string }): Promise<{ coupon: LoyaltyCoupon; transactionId: string }>;
}

/** The latest transaction on an account, as the legacy modules report it. */
export interface LegacyTransaction {
  _id: string;
  amount: number;
  /** `ADJUST` sets a balance, `GIVE` gives or takes an amount. */
  type: 'EARN' | 'ADJUST' | 'GIVE';
  description: string;
  _createdDate: Date;
  appId?: string;
  idempotencyKey: string;
}

export type LegacyAccount = LoyaltyAccount & { latestTransaction?: LegacyTransaction };

/** `wix-loyalty-backend`'s `account` module: today's methods, in the legacy shapes where they differ. */
export interface LegacyAccounts extends Omit<Accounts, 'getAccount' | 'getAccountBySecondaryId' | 'getCurrentMemberAccount' | 'earnPoints' | 'adjustPoints'> {
  getAccount(_id: string): Promise<{ account: LegacyAccount }>;
  getAccountBySecondaryId(options: { contactId: string } | { memberId: string }): Promise<{ account: LegacyAccount }>;
  getCurrentMemberAccount(): Promise<{ account: LegacyAccount }>;
  earnPoints(accountId: string, options: EarnPointsOptions): Promise<{ account: LegacyAccount; transactionId: string }>;
  adjustPoints(accountId: string, options: AdjustPointsOptions): Promise<{ account: LegacyAccount; transactionId: string }>;
}

/** The modules of `@wix/loyalty`, the engine's `jobs`, and the legacy `account` and `program`. */
export interface LoyaltyModules {
  programs: Programs;
  accounts: Accounts;
  transactions: Transactions;
  rewards: Rewards;
  coupons: Coupons;
  tiers: Tiers;
  earningRules: EarningRules;
  imports: Imports;
  checkoutExchange: CheckoutExchange;
  socialMedia: SocialMedia;
  jobs: Jobs;
  refunds: Refunds;
  /** Legacy `wix-loyalty-backend` name of `programs` (same answers). */
  program: Programs;
  /** Legacy `wix-loyalty-backend` `account`: the legacy shapes. */
  account: LegacyAccounts;
}

export interface LoyaltyBackend extends LoyaltyModules {
  /** The same modules acting as site member `memberId` (admin methods reject with PERMISSION_DENIED). */
  forMember(memberId: string): LoyaltyModules;
  /**
   * The same modules acting as an anonymous site visitor: admin methods reject with
   * PERMISSION_DENIED, current-member methods with UNAUTHENTICATED; `listRewards` lists the active rewards.
   */
  forVisitor(): LoyaltyModules;
  /** A token that identifies `memberId` to this backend's REST face (`createWixFetch`, `serve`). */
  memberToken(memberId: string): Promise<string>;
  /** Audits the whole store: recomputes every account from its ledger and checks every index. */
  verify(): Promise<VerifyReport>;
  /**
   * Expires due points and rolls due tier windows, on the backend's clock: run it on a timer
   * (`serve` does, every minute). It also delivers the events a process left undelivered. The same
   * as `jobs.runScheduledWork`.
   */
  runScheduledWork(options?: { onProgress?: (progress: ScheduledWork) => void }): Promise<ScheduledWork>;
  /**
   * Resolves once every event delivered so far is marked delivered in the store: it waits for the
   * handlers still running (up to 10 s) and for the sweep this backend ran as it started; rejects when a mark could not be written since the
   * last call (its events will be delivered again). Await it before closing the storage.
   */
  flushEvents(): Promise<void>;
}

export type ErrorCode =
  | 'INVALID_ARGUMENT' | 'UNAUTHENTICATED' | 'PERMISSION_DENIED' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'ABORTED'
  | 'FAILED_PRECONDITION' | 'INTERNAL' | 'UNIMPLEMENTED' | 'UNAVAILABLE';

/**
 * Every reason an error of this package can carry (`LoyaltyError.reason`, a violation's `ruleName`):
 * the engine's, then those only the JS face raises (its options, storage calls, REST face and
 * server). The same list as `operationTable().reasons` (src/core/reason.rs; a test compares them).
 */
export type ErrorReason =
  | 'ACCOUNT_ALREADY_EXISTS' | 'ACCOUNT_NOT_FOUND' | 'ADMIN_ONLY' | 'BAD_JSON' | 'CONTACT_NOT_FOUND'
  | 'CONTACTS_ERROR' | 'CORRUPT_RECORD' | 'CORRUPT_STORE' | 'COUPON_CODE_TAKEN' | 'COUPON_HOOK_FAILED'
  | 'COUPON_HOOKS_MISSING' | 'COUPON_NOT_ACTIVE' | 'COUPON_NOT_FOUND' | 'DUPLICATE_TIER' | 'ENCODE_FAILED'
  | 'ID_COLLISION' | 'IDEMPOTENCY_KEY_REUSED' | 'INSUFFICIENT_POINTS' | 'INVALID_AMOUNT' | 'INVALID_ARGUMENT'
  | 'INVALID_CHARACTER' | 'INVALID_CLOCK' | 'INVALID_CURSOR' | 'INVALID_DATE' | 'INVALID_ENUM'
  | 'INVALID_FILTER' | 'INVALID_GUID' | 'INVALID_ID_GENERATOR' | 'INVALID_REVISION' | 'INVALID_STATE'
  | 'JOB_NOT_FOUND' | 'JOURNAL_CORRUPT' | 'MEMBER_ALREADY_HAS_ACCOUNT' | 'MEMBER_REQUIRED'
  | 'MISSING_ADJUSTMENT' | 'NOT_ALLOWED' | 'NOT_AN_INTEGER' | 'NOT_IMPLEMENTED' | 'NO_PRICE_FOR_TIER'
  | 'NO_SUCH_STORE' | 'ONE_OF' | 'OUT_OF_RANGE' | 'POINTS_LIMIT_EXCEEDED' | 'PROGRAM_NOT_ACTIVE'
  | 'REDEMPTION_FAILED' | 'REDEMPTION_IN_PROGRESS' | 'REQUIRED_FIELD' | 'REVISION_LIMIT_EXCEEDED'
  | 'REVISION_MISMATCH' | 'REWARD_ALREADY_EXISTS' | 'REWARD_CHANGED' | 'REWARD_NOT_ACTIVE'
  | 'REWARD_NOT_A_COUPON' | 'REWARD_NOT_FOUND' | 'SCHEMA_TOO_NEW' | 'STORAGE_PROTOCOL_ERROR'
  | 'TIER_ALREADY_EXISTS' | 'TIER_NAME_TAKEN' | 'TIER_NOT_FOUND' | 'TIER_POINTS_TAKEN'
  | 'TIERS_PROGRAM_SETTINGS_EXIST' | 'TIERS_PROGRAM_SETTINGS_NOT_FOUND' | 'TOO_DEEP' | 'TOO_LONG' | 'TOO_MANY'
  | 'TOO_MANY_CONFLICTS' | 'TOO_MANY_OPERATIONS' | 'TOO_MANY_TIERS' | 'TOO_SHORT' | 'TRANSACTION_NOT_FOUND'
  | 'TYPE_IMMUTABLE' | 'TYPE_MISMATCH' | 'UNKNOWN_JOB' | 'UNKNOWN_OPERATION' | 'UNSUPPORTED'
  | 'UNSUPPORTED_FIELD' | 'UNSUPPORTED_OPERATOR' | 'UNSUPPORTED_SORT' | 'WRONG_TYPE' | 'ZERO_AMOUNT'
  // Raised by the JS face only.
  | 'API_KEY_REQUIRED' | 'CLOCK_ERROR' | 'ENGINE_RESTARTED' | 'HOST_NOT_ALLOWED' | 'ID_GENERATOR_ERROR'
  | 'INTERNAL' | 'INVALID_MEMBER' | 'INVALID_OPTIONS' | 'MALFORMED_HOST' | 'MALFORMED_JSON' | 'MALFORMED_PATH'
  | 'MALFORMED_QUERY' | 'MALFORMED_REQUEST' | 'MALFORMED_URL' | 'METHOD_NOT_ALLOWED' | 'MISSING_HOST'
  | 'NO_NEXT_PAGE' | 'NO_PREVIOUS_PAGE' | 'ORIGIN_NOT_ALLOWED' | 'REQUEST_HEADERS_TOO_LARGE'
  | 'REQUEST_TIMEOUT' | 'REQUEST_TOO_DEEP' | 'REQUEST_TOO_LARGE' | 'STEP_FORMAT_ERROR' | 'STORAGE_ERROR'
  | 'STORAGE_TIMEOUT' | 'TOO_MANY_CONNECTIONS' | 'UNAUTHENTICATED' | 'UNKNOWN_ROUTE'
  | 'UNSUPPORTED_MEDIA_TYPE' | 'UNSUPPORTED_PAGING' | 'VERIFY_FAILED' | 'WASM_TRAP' | 'WEB_CRYPTO_UNAVAILABLE'
  | 'WEB_METHOD_FORBIDDEN';

export interface FieldViolation {
  field: string;
  description: string;
  ruleName: ErrorReason;
}

export type ErrorDetails =
  | { applicationError: { code: string; description: string; data: Record<string, unknown> } }
  | { validationError: { fieldViolations: FieldViolation[] } };

/**
 * Every failure. It reads like the error the official SDK throws for the same failure: `message`
 * is the JSON text `{ message, details }`, `status` the HTTP status Wix answers with.
 */
export declare class LoyaltyError extends Error {
  readonly name: 'LoyaltyError';
  /** Wix's canonical code. */
  code: ErrorCode;
  /** The specific reason, e.g. INSUFFICIENT_POINTS, REVISION_MISMATCH, STORAGE_ERROR. */
  reason: ErrorReason;
  /** The HTTP status Wix answers with for `code`. */
  status: number;
  details: ErrorDetails;
  /** The one line the message's JSON holds: `CODE: description`. */
  readonly description: string;
  cause?: unknown;
}

export declare function isLoyaltyError(value: unknown): value is LoyaltyError;
export declare const ERROR_CODES: readonly ErrorCode[];

/** Creates a backend over the host's storage. */
export declare function createLoyaltyBackend(options: LoyaltyBackendOptions): LoyaltyBackend;
/** Counters of this copy of the engine. */
export declare function engineStats(): { traps: number; instances: number; wasmMemoryBytes: number; operationsInFlight: number };
/** In-memory storage (the default backend uses one). */
export declare function memoryStorage(): LoyaltyStorage;
/** `T` with every property, at every level, read-only (the table is frozen all the way down). */
export type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;
/** The table of operations and events the modules and REST routes are built from (frozen). */
export declare function operationTable(): DeepReadonly<{
  operations: {
    name: string;
    module: string;
    rest: { verb: string; path: string; fqn: string } | null;
    args: { name: string; from: 'path' | 'field' | 'rest'; field?: string }[];
    identity: 'admin' | 'adminOrMember';
    ids: number;
    mutates: boolean;
    answer: { kind: 'body' | 'field' | 'void'; field?: string };
    query: { items: string; paging: string } | null;
    implemented: boolean;
  }[];
  events: { module: string; function: string; eventType: string; velo: string }[];
  codes: Record<ErrorCode, number>;
  /** Every reason an error can carry, in the order src/core/reason.rs declares them. */
  reasons: ErrorReason[];
  /** A conflicting commit's attempts: at most `max`; each after the `backoffAfter`th waits up to `backoffCapMs` ms first. */
  attempts: { max: number; backoffAfter: number; backoffCapMs: number };
  /** The SDK's date field names (answers carry them as Dates). */
  dateFields: string[];
  /** The key families `verify()` audits, in order. */
  verifyPrefixes: string[];
  /** Discrepancies a `verify()` report lists at most (it counts the rest). */
  verifyMaxListed: number;
  /** The key of the program record in storage. */
  programKey: string;
  /** The bits of the wasm module's `start` flags, by what the host set up. */
  flags: { contacts: number; events: number; packed: number; couponHooks: number; visitor: number };
}>;
/**
 * A `fetch` that serves the Wix Loyalty REST API from `loyalty`, for the official SDK:
 * `createClient({ modules, auth, fetch: createWixFetch(loyalty) })`.
 */
export declare function createWixFetch(
  loyalty: LoyaltyBackend,
  options?: {
    /** With API keys, only requests whose Authorization is one of them (or a member token) are let in. */
    apiKey?: string;
    /** Several keys, all accepted (rotation); compared in constant time. */
    apiKeys?: string[];
    /** Hears the cause of each 5xx answer, whose body names only the code, the reason and the request id (default: console.error). */
    onError?: (error: LoyaltyError, requestId: string) => void;
  },
): (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** `serve()`'s options (the CLI's flags of the same names). */
export interface ServeOptions {
  loyalty: LoyaltyBackend;
  /** 8080 by default; 0 picks a free port. */
  port?: number;
  /** `127.0.0.1` by default; beyond loopback an API key is required. */
  host?: string;
  apiKey?: string;
  /** Several API keys, all accepted (rotation). */
  apiKeys?: string[];
  /** Host names answered for besides loopback's and `host` (`'*'`: any, with an API key only). */
  allowHosts?: string[];
  /** Origins whose pages may call (the server's own always; `'*'`: any, with an API key only). */
  allowOrigins?: string[];
  /** The largest request body, in bytes (1048576). */
  bodyLimit?: number;
  /** How often to run `runScheduledWork()` (60000; 0: never). */
  scheduledWorkMs?: number;
  /** How long a client may take to send its headers (10000). */
  headersTimeoutMs?: number;
  /** How long a client may take to send its whole request (30000). */
  requestTimeoutMs?: number;
  /** How long `close()` lets the requests in flight take before it cuts their connections (10000). */
  drainMs?: number;
  /** Connections open at once; more are answered 503 `TOO_MANY_CONNECTIONS` (1000). */
  maxConnections?: number;
  /** One line per request and per failure (console.log). */
  log?: (line: string) => void;
}

export interface Server {
  url: string;
  port: number;
  /**
   * Stops accepting, lets the requests in flight finish for up to `drainMs`, then cuts the
   * connections left; resolves once every operation started has ended and the events are marked.
   */
  close(): Promise<void>;
  /** Requests being answered now. */
  inFlight(): number;
}

/**
 * Node only (not in the browser build): the REST API of `createWixFetch` over `node:http`, as
 * `npx wix-loyalty-wasm serve` runs it, behind its gate (Host, Origin, Content-Type, proxies),
 * with `GET /healthz` and `GET /readyz`.
 */
export declare function serve(options: ServeOptions): Promise<Server>;

export declare const programs: Programs;
export declare const accounts: Accounts;
export declare const transactions: Transactions;
export declare const rewards: Rewards;
export declare const coupons: Coupons;
export declare const tiers: Tiers;
export declare const earningRules: EarningRules;
export declare const imports: Imports;
export declare const checkoutExchange: CheckoutExchange;
export declare const socialMedia: SocialMedia;
export declare const jobs: Jobs;
export declare const refunds: Refunds;
export declare const program: Programs;
export declare const account: LegacyAccounts;

/** A ready backend over in-memory storage, as `wix-loyalty-backend`'s default export. */
declare const wixLoyaltyBackend: LoyaltyBackend;
export default wixLoyaltyBackend;
