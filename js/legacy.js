// The legacy `wix-loyalty-backend` modules (and early `wix-loyalty.v2`): the singular `program`
// and `account`, over one caller's modules of today. A file of their own because they are the one
// place that names operations and reshapes answers: js/modules.js builds every other module from
// the table of operations alone, and js/engine.js adds these to each caller's modules.

/**
 * The legacy singular modules over `modules` (one caller's): `program` answers as `programs`
 * does; `account` in the legacy shapes (legacyAccount). Its latestTransaction is read with an
 * admin's rights (`admin`, the admin's modules, or `modules` themselves when undefined), but only
 * ever of the account the caller just read (a member's own, by getCurrentMemberAccount).
 */
export function legacyModules(modules, admin) {
  return {
    program: modules.programs,
    account: legacyAccount(modules.accounts, (admin ?? modules).transactions),
  };
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
