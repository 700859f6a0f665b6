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
export interface LoyaltyStorage {
  /** One entry per key, in order; null (or undefined) for a missing key. */
  read(keys: string[]): Promise<Array<StoredEntry | null | undefined>>;
  /** All writes or none: if any version does not match, nothing changes and the key is named. */
  commit(writes: StorageWrite[]): Promise<CommitOutcome>;
  /** Keys under `prefix` in key order, after `after`, at most `limit`. */
  scan(request: ScanRequest): Promise<ScannedEntry[]>;
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
  /** Receives Wix-shaped events after each successful commit. */
  onEvent?: (event: LoyaltyEvent) => void | Promise<void>;
  /** Test hooks. `trapBefore`: operations (method names, or "verify") that force a WebAssembly trap first. */
  testing?: { trapBefore?: string[] };
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
    /** Sum of all balances. */
    points: number;
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

export interface AdjustPointsOptions {
  /** Set the balance (0 to 999,999,999). Wins over `amount`. */
  balance?: number;
  /** Change the balance (-9,999,999 to 9,999,999, not 0). */
  amount?: number;
  description?: string | null;
  /** The account's current revision; a stale one is refused (ABORTED / REVISION_MISMATCH). */
  revision?: string;
}

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
  pagingMetadata: { count: number; cursors: { next: string | null }; hasNext: boolean };
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
}

export type TransactionField = '_id' | 'accountId' | '_createdDate' | 'amount' | 'transactionType' | 'description' | 'idempotencyKey';

export declare class LoyaltyTransactionsQueryBuilder {
  private constructor();
  eq(field: TransactionField, value: unknown): LoyaltyTransactionsQueryBuilder;
  ne(field: TransactionField, value: unknown): LoyaltyTransactionsQueryBuilder;
  gt(field: TransactionField, value: unknown): LoyaltyTransactionsQueryBuilder;
  ge(field: TransactionField, value: unknown): LoyaltyTransactionsQueryBuilder;
  lt(field: TransactionField, value: unknown): LoyaltyTransactionsQueryBuilder;
  le(field: TransactionField, value: unknown): LoyaltyTransactionsQueryBuilder;
  in(field: TransactionField, values: unknown[]): LoyaltyTransactionsQueryBuilder;
  hasSome(field: TransactionField, values: unknown[]): LoyaltyTransactionsQueryBuilder;
  startsWith(field: TransactionField, value: string): LoyaltyTransactionsQueryBuilder;
  exists(field: TransactionField, value?: boolean): LoyaltyTransactionsQueryBuilder;
  ascending(...fields: TransactionField[]): LoyaltyTransactionsQueryBuilder;
  descending(...fields: TransactionField[]): LoyaltyTransactionsQueryBuilder;
  /** 1 to 100 (default 50). */
  limit(limit: number): LoyaltyTransactionsQueryBuilder;
  skipTo(cursor: string): LoyaltyTransactionsQueryBuilder;
  /** The query as the REST API receives it. */
  toQuery(): { filter?: object; sort?: { fieldName: string; order: 'ASC' | 'DESC' }[]; cursorPaging: CursorPaging };
  find(): Promise<LoyaltyTransactionsQueryResult>;
}

export declare class LoyaltyTransactionsQueryResult {
  private constructor();
  items: LoyaltyTransaction[];
  cursors: { next: string | null; prev: null };
  readonly length: number;
  readonly pageSize: number;
  readonly query: LoyaltyTransactionsQueryBuilder;
  hasNext(): boolean;
  hasPrev(): boolean;
  next(): Promise<LoyaltyTransactionsQueryResult>;
  prev(): Promise<LoyaltyTransactionsQueryResult>;
}

export interface EventMetadata {
  _id: string;
  entityFqdn: string;
  slug: string;
  entityId: string;
  eventTime: Date;
  eventType: string;
  entityEventSequence?: string;
}

export type LoyaltyEvent =
  | { entity: LoyaltyAccount; metadata: EventMetadata }
  | { data: { account: LoyaltyAccount }; metadata: EventMetadata }
  | { entity: LoyaltyProgram; metadata: EventMetadata };

export interface Programs {
  getLoyaltyProgram(): Promise<{ loyaltyProgram: LoyaltyProgram }>;
  updateLoyaltyProgram(loyaltyProgram: LoyaltyProgramUpdate): Promise<{ loyaltyProgram: LoyaltyProgram }>;
  activateLoyaltyProgram(): Promise<{ loyaltyProgram: LoyaltyProgram }>;
  pauseLoyaltyProgram(): Promise<{ loyaltyProgram: LoyaltyProgram }>;
}

export interface Accounts {
  createAccount(contactId: string): Promise<{ account: LoyaltyAccount }>;
  getAccount(_id: string): Promise<LoyaltyAccount>;
  getAccountBySecondaryId(options: { contactId: string } | { memberId: string }): Promise<{ account: LoyaltyAccount }>;
  /** Deprecated in Wix in favour of queryLoyaltyAccounts; kept for existing code. */
  listAccounts(options?: ListAccountsOptions): Promise<ListAccountsResponse>;
  earnPoints(accountId: string, options: EarnPointsOptions): Promise<PointsResult>;
  adjustPoints(accountId: string, options: AdjustPointsOptions): Promise<PointsResult>;
}

export interface Transactions {
  getLoyaltyTransaction(loyaltyTransactionId: string): Promise<LoyaltyTransaction>;
  queryLoyaltyTransactions(): LoyaltyTransactionsQueryBuilder;
}

export interface LoyaltyBackend {
  programs: Programs;
  /** Legacy `wix-loyalty-backend` name of `programs`. */
  program: Programs;
  accounts: Accounts;
  /** Legacy `wix-loyalty-backend` name of `accounts`. */
  account: Accounts;
  transactions: Transactions;
  /** Audits the whole store: recomputes every account from its ledger and checks every index. */
  verify(): Promise<VerifyReport>;
}

export type ErrorCode =
  | 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'FAILED_PRECONDITION'
  | 'ABORTED' | 'PERMISSION_DENIED' | 'UNAVAILABLE' | 'INTERNAL';

export interface FieldViolation {
  field: string;
  description: string;
  ruleName: string;
}

export type ErrorDetails =
  | { applicationError: { code: string; description: string; data: unknown } }
  | { validationError: { fieldViolations: FieldViolation[] } };

export declare class LoyaltyError extends Error {
  readonly name: 'LoyaltyError';
  /** Wix's canonical code. */
  code: ErrorCode;
  /** The specific reason, e.g. INSUFFICIENT_POINTS, REVISION_MISMATCH, STORAGE_ERROR. */
  reason: string;
  details: ErrorDetails;
  cause?: unknown;
}

export declare function isLoyaltyError(value: unknown): value is LoyaltyError;
export declare const ERROR_CODES: readonly ErrorCode[];

/** Creates a backend over the host's storage. */
export declare function createLoyaltyBackend(options: LoyaltyBackendOptions): LoyaltyBackend;
/** Counters of this copy of the engine. */
export declare function engineStats(): { traps: number; instances: number; wasmMemoryBytes: number };
/** In-memory storage (the default backend uses one). */
export declare function memoryStorage(): LoyaltyStorage;

export declare const programs: Programs;
export declare const program: Programs;
export declare const accounts: Accounts;
export declare const account: Accounts;
export declare const transactions: Transactions;

/** A ready backend over in-memory storage, as `wix-loyalty-backend`'s default export. */
declare const wixLoyaltyBackend: LoyaltyBackend;
export default wixLoyaltyBackend;
