// A typed consumer: compiled with `tsc --noEmit` against the generated package declarations.
import wixLoyaltyBackend, {
  createLoyaltyBackend,
  memoryStorage,
  isLoyaltyError,
  LoyaltyError,
  accounts,
  account as legacyAccount,
  createWixFetch,
  serve,
  jobs,
  type LoyaltyAccount,
  type LoyaltyStorage,
  type LoyaltyTransaction,
  type ErrorCode,
  type ErrorReason,
} from 'wix-loyalty-wasm';
import { createClient } from '@wix/sdk';
import { accounts as sdkAccounts, programs as sdkPrograms } from '@wix/loyalty';
import { runStorageConformance, storageConformanceTests } from 'wix-loyalty-wasm/conformance';
import { sqliteStorage } from 'wix-loyalty-wasm/storage/sqlite';
import { postgresStorage } from 'wix-loyalty-wasm/storage/postgres';
import { indexedDbStorage } from 'wix-loyalty-wasm/storage/indexeddb';

function adapters(): LoyaltyStorage[] {
  const file = sqliteStorage({ path: 'loyalty.db', thread: true });
  const threaded: boolean = file.threaded;
  void threaded;
  void file.close();
  const shared = postgresStorage({ connectionString: 'postgres://localhost/loyalty', poolSize: 20, statementTimeoutMs: 2000, idleInTransactionTimeoutMs: 5000 });
  void shared.close();
  return [file, shared, indexedDbStorage({ name: 'loyalty' })];
}

async function main(): Promise<void> {
  await wixLoyaltyBackend.program.activateLoyaltyProgram();
  const storage: LoyaltyStorage = memoryStorage();
  const loyalty = createLoyaltyBackend({
    storage,
    now: () => new Date(),
    newId: () => crypto.randomUUID(),
    contacts: async (contactId: string) => ({ name: `Contact ${contactId}`, memberId: null }),
    onEvent: (event) => console.log(event.metadata.eventType, event.metadata.eventTime.toISOString()),
    outbox: true,
    redeliverEventsAfterMs: 60_000,
    storageTimeoutMs: 2_000,
  });
  const { account } = await loyalty.accounts.createAccount('3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d');
  const balance: number = account.points.balance;
  const revision: string = account.revision;
  const created: Date = account._createdDate;
  const earned = await loyalty.accounts.earnPoints(account._id, { amount: 10, appId: 'shop', idempotencyKey: 'k' });
  const transactionId: string = earned.transactionId;
  const fetched: LoyaltyAccount = await accounts.getAccount(account._id);
  await loyalty.accounts.adjustPoints(account._id, { amount: -5, revision });
  const page = await loyalty.transactions
    .queryLoyaltyTransactions()
    .eq('accountId', account._id)
    .descending('_createdDate')
    .limit(10)
    .find();
  const items: LoyaltyTransaction[] = page.items;
  const redelivered: number | undefined = (await loyalty.runScheduledWork()).redeliveredEvents;
  await loyalty.flushEvents();
  const pending: number = (await loyalty.verify()).counts.pendingEvents;
  const reward = await loyalty.rewards.createReward({ name: '10% off', active: true, couponReward: { percentage: { configsByTier: [{ costInPoints: 100, percentage: 10 }] } } });
  const rewardRevision: string = reward.revision;
  const { reward: renamed } = await loyalty.rewards.updateReward(reward._id, { name: '15% off', revision: rewardRevision });
  const listed: number = (await loyalty.forMember('0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6').rewards.listRewards({ cursorPaging: { limit: 10 } })).rewards.length;
  const { coupon } = await loyalty.coupons.redeemPointsForCoupon(renamed._id, { loyaltyAccountId: account._id, idempotencyKey: 'order-1' });
  const code: string = coupon.couponReference.code;
  const coupons = await loyalty.coupons.queryLoyaltyCoupons().eq('accountId', account._id).find();
  console.log(code, coupons.items.length);
  await loyalty.rewards.deleteReward(renamed._id, renamed.revision);
  console.log(listed, renamed.type);
  if (page.hasNext()) await page.next();
  try {
    await loyalty.accounts.getAccount('nope');
  } catch (e) {
    if (isLoyaltyError(e)) {
      const code: ErrorCode = e.code;
      const reason: ErrorReason = e.reason;
      const text: string = e.reason;
      console.log(code, reason, text, e instanceof LoyaltyError);
    }
  }
  // The official SDK over the engine: createWixFetch fits @wix/sdk's fetch option.
  const wix = createClient({
    modules: { accounts: sdkAccounts, programs: sdkPrograms },
    auth: { getAuthHeaders: async () => ({ headers: { Authorization: await loyalty.memberToken('0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6') } }) },
    fetch: createWixFetch(loyalty, { apiKey: 'key' }),
  });
  const viaSdk = await wix.accounts.getCurrentMemberAccount();
  console.log(viaSdk.account?.points?.balance);
  const server = await serve({ loyalty, port: 0, log: () => {} });
  const url: string = server.url;
  await server.close();
  // Members, events, jobs, account queries, the legacy shapes, SDK-style errors.
  const member = loyalty.forMember('0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6');
  const mine = await member.accounts.getCurrentMemberAccount();
  const unsubscribe: () => void = loyalty.accounts.onAccountPointsUpdated((event) => console.log(event.metadata.entityId));
  unsubscribe();
  const { asyncJobId } = await loyalty.accounts.bulkAdjustPoints({ amount: 5, search: { filter: { 'points.balance': { $gte: 10 } } } });
  const { job } = await jobs.getJob(asyncJobId);
  const done: number = job.succeeded + job.failed;
  const richest = await loyalty.accounts.queryLoyaltyAccounts().descending('points.balance').limit(5).find();
  const legacy = await legacyAccount.getAccount(account._id);
  const latest: string | undefined = legacy.account.latestTransaction?.type;
  try {
    await loyalty.accounts.adjustPoints(account._id, { amount: -1e6 });
  } catch (e) {
    if (isLoyaltyError(e)) {
      const status: number = e.status;
      const parsed: { message: string } = JSON.parse(e.message);
      if ('applicationError' in e.details) console.log(status, parsed.message, e.details.applicationError.data);
    }
  }
  console.log(url, mine.account._id, done, richest.items.length, richest.pageSize, latest);
  const report = await runStorageConformance(() => memoryStorage());
  console.log(adapters().length, balance, created, transactionId, fetched._id, items.length, report.passed, storageConformanceTests.length);
}

void main();
