// Type gaps users met, each a line that must compile or, marked @ts-expect-error, must not:
// `tsc` fails when a marked line compiles (the gap reopened) or an unmarked one does not.
import {
  createLoyaltyBackend,
  memoryStorage,
  serve,
  type LoyaltyEvent,
  type EventOf,
  type LoyaltyTransaction,
  type ServeOptions,
  isLoyaltyError,
  operationTable,
} from 'wix-loyalty-wasm';
import { backend as veloBackend, currentMember } from 'wix-loyalty-wasm/velo/backend';

export async function gaps(): Promise<void> {
  const loyalty = createLoyaltyBackend({
    storage: memoryStorage(),
    onEvent: (event: LoyaltyEvent) => {
      // The union narrows by shape; EventOf names one event by its type.
      if ('data' in event && 'account' in event.data) console.log(event.data.account.points.balance);
      const created = event as EventOf<'wix.loyalty.v1.account_created'>;
      console.log(created.entity.contactId);
    },
  });
  // serve() takes every option the server has.
  const options: ServeOptions = {
    loyalty, port: 0, scheduledWorkMs: 0, apiKeys: ['a-key-of-sixteen-chars'], allowHosts: ['loyalty.example.com'],
    allowOrigins: ['https://shop.example.com'], headersTimeoutMs: 5000, requestTimeoutMs: 20_000, drainMs: 5000, maxConnections: 100,
  };
  const server = await serve(options);
  await server.close();
  // @ts-expect-error: an option serve() does not have
  await serve({ loyalty, scheduledWorkMinutes: 1 });

  // Every kind of transaction's info.
  const t: LoyaltyTransaction = await loyalty.transactions.getLoyaltyTransaction('t');
  const infos: (string | number | undefined)[] = [t.redeemInfo?.rewardId, t.redeemInfo?.referenceEntityId, t.refundInfo?.refundedTransactionId, t.expireInfo?.amountBefore, t.expireInfo?.amountAfter];

  // A module's event registration gets that event's shape, no narrowing needed.
  loyalty.accounts.onAccountPointsUpdated((event) => console.log(event.data.account.points.balance));
  loyalty.accounts.onAccountRewardAvailabilityUpdated((event) => console.log(event.data.rewardAvailable));
  loyalty.accounts.onAccountCreated((event) => console.log(event.entity._id));
  loyalty.tiers.onTierDeleted((event) => console.log(event.metadata.entityId));
  // @ts-expect-error: an account-created event carries the account in `entity`, not `data`
  loyalty.accounts.onAccountCreated((event) => console.log(event.data));

  // adjustPoints needs an amount or a balance.
  await loyalty.accounts.adjustPoints('a', { amount: 5 });
  await loyalty.accounts.adjustPoints('a', { balance: 10, revision: '2' });
  await loyalty.account.adjustPoints('a', { balance: 10, amount: 3 });
  // @ts-expect-error: neither amount nor balance
  await loyalty.accounts.adjustPoints('a', {});
  // @ts-expect-error: only a description
  await loyalty.accounts.adjustPoints('a', { description: 'nothing' });

  // Query builders know each field's values.
  await loyalty.transactions.queryLoyaltyTransactions().eq('transactionType', 'EARN').between('_createdDate', new Date(0), '2030-01-01').find();
  await loyalty.accounts.queryLoyaltyAccounts().gt('points.balance', 10).startsWith('contact.name', 'A').find();
  await loyalty.coupons.queryLoyaltyCoupons().in('status', ['ACTIVE', 'ARCHIVED']).find();
  // @ts-expect-error: not a transaction type
  await loyalty.transactions.queryLoyaltyTransactions().eq('transactionType', 'BOGUS').find();
  // @ts-expect-error: not a field
  await loyalty.transactions.queryLoyaltyTransactions().eq('amonut', 5).find();
  // @ts-expect-error: a number field compared with a string
  await loyalty.accounts.queryLoyaltyAccounts().gt('points.balance', 'ten').find();
  // @ts-expect-error: startsWith takes text fields only
  await loyalty.accounts.queryLoyaltyAccounts().startsWith('points.balance', '1').find();

  // An error's reason is one of the reasons the package raises.
  try {
    await loyalty.accounts.getAccount('a');
  } catch (e) {
    if (isLoyaltyError(e) && e.reason === 'INSUFFICIENT_POINTS') console.log(e.details);
    // @ts-expect-error: a misspelt reason
    if (isLoyaltyError(e) && e.reason === 'INSUFICIENT_POINTS') console.log(e.details);
    // @ts-expect-error: a misspelt rule
    if (isLoyaltyError(e) && 'validationError' in e.details && e.details.validationError.fieldViolations[0]?.ruleName === 'REQUIRED') console.log(e);
  }

  // searchAccounts answers `accounts`, as the SDK does.
  const found = await loyalty.accounts.searchAccounts({ search: { expression: 'ann' } });
  console.log(found.accounts.length, infos.length, loyalty.forVisitor().rewards.listRewards);
  // The table of operations is read-only, as it is frozen at run time.
  const table = operationTable();
  console.log(table.attempts.max, table.operations[0]?.name);
  // @ts-expect-error: the table cannot be changed
  table.attempts.max = 1;
  // The Velo loader's backend is typed.
  const memberId: string | undefined = currentMember?._id;
  console.log(memberId, (await veloBackend.verify()).ok);
}
