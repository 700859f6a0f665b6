// The SDK's modules, built from the table of operations (src/core/operations.rs): one method per
// row, with the row's arguments, answer (the whole body, one field of it, or nothing) and query
// builder; one registration function per event. Nothing here names an operation, except the
// legacy singular module below, whose answers differ from today's.

import { QueryBuilder } from './query.js';

/**
 * @param {object} table the table of operations and events
 * @param {(name: string, args: unknown[]) => Promise<object>} invoke runs an operation, resolves to its response body
 * @param {(eventType: string, handler: Function) => () => void} [subscribe] registers an event handler
 * @returns {Record<string, object>} module name → frozen module
 */
export function buildModules(table, invoke, subscribe) {
  const modules = {};
  for (const op of table.operations) {
    const module = (modules[op.module] ??= {});
    module[op.name] = method(op, invoke);
  }
  if (subscribe) {
    for (const event of table.events) {
      const module = (modules[event.module] ??= {});
      module[event.function] = (handler) => subscribe(event.eventType, handler);
    }
  }
  for (const name of Object.keys(modules)) Object.freeze(modules[name]);
  return modules;
}

function answerOf(op) {
  switch (op.answer.kind) {
    case 'field': {
      const field = op.answer.field;
      return (body) => body[field];
    }
    case 'void':
      return () => undefined;
    default:
      return (body) => body;
  }
}

function method(op, invoke) {
  const answer = answerOf(op);
  const arity = op.args.length;
  const whole = op.answer.kind !== 'field' && op.answer.kind !== 'void';
  const call = (args) => {
    const body = invoke(op.name, args.length > arity ? args.slice(0, arity) : args);
    return whole ? body : body.then(answer);
  };
  if (op.query) {
    const shape = op.query;
    const run = (query) => invoke(op.name, [query]);
    // Called without arguments, a query method returns a builder; with a query, the whole body.
    return { [op.name]: (...args) => (args.length === 0 ? new QueryBuilder(run, shape) : call(args)) }[op.name];
  }
  return { [op.name]: (...args) => call(args) }[op.name];
}

/**
 * The legacy `wix-loyalty-backend` module `account` (and early `wix-loyalty.v2`): today's methods,
 * but `getAccount`, `getAccountBySecondaryId` and `getCurrentMemberAccount` resolve to `{ account }`,
 * and the accounts they and `earnPoints` / `adjustPoints` return carry `latestTransaction`
 * `{ _id, amount, type, description, _createdDate, appId, idempotencyKey }`, where `type` is
 * `EARN`, `ADJUST` (a balance set) or `GIVE` (an amount given or taken). An account read back
 * from the ledger reports an adjustment as `ADJUST` either way (the ledger does not record which).
 * `ledger` is a transactions module that may read the ledger of the accounts these methods return.
 */
export function legacyAccount(accounts, ledger) {
  const legacy = (t, type) => ({
    _id: t._id,
    amount: t.amount,
    type,
    description: t.description,
    _createdDate: t._createdDate,
    appId: (t.earnInfo ?? t.adjustInfo)?.appId,
    idempotencyKey: t.idempotencyKey,
  });
  const latest = async (account) => {
    if (account.revision === '1') return account;
    const page = await ledger.queryLoyaltyTransactions({ filter: { accountId: account._id }, cursorPaging: { limit: 1 } });
    const t = page.loyaltyTransactions[0];
    return t ? { ...account, latestTransaction: legacy(t, t.transactionType) } : account;
  };
  const withTransaction = async (result, type) => {
    const t = await ledger.getLoyaltyTransaction(result.transactionId);
    return { ...result, account: { ...result.account, latestTransaction: legacy(t, type) } };
  };
  return Object.freeze({
    ...accounts,
    getAccount: async (_id) => ({ account: await latest(await accounts.getAccount(_id)) }),
    getAccountBySecondaryId: async (options) => ({ account: await latest((await accounts.getAccountBySecondaryId(options)).account) }),
    getCurrentMemberAccount: async () => ({ account: await latest((await accounts.getCurrentMemberAccount()).account) }),
    earnPoints: async (accountId, options) => withTransaction(await accounts.earnPoints(accountId, options), 'EARN'),
    adjustPoints: async (accountId, options) => {
      let setsBalance = false;
      try {
        setsBalance = options !== null && typeof options === 'object' && options.balance !== undefined && options.balance !== null;
      } catch {
        // a hostile getter: the engine already accepted the options, so this is cosmetic
      }
      return withTransaction(await accounts.adjustPoints(accountId, options), setsBalance ? 'ADJUST' : 'GIVE');
    },
  });
}
