// Shared helpers for the node:test suites over the built package.
import assert from 'node:assert/strict';
import { createLoyaltyBackend, memoryStorage, isLoyaltyError } from 'wix-loyalty-wasm';

export const CONTACT_A = '3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d';
export const CONTACT_B = '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b';

export function contactId(n) {
  return `aaaaaaaa-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** Wraps a storage, counting calls per function. */
export function counted(storage) {
  const calls = { read: 0, commit: 0, scan: 0, conflicts: 0 };
  return {
    calls,
    storage: {
      read: (keys) => { calls.read++; return storage.read(keys); },
      commit: async (writes) => {
        calls.commit++;
        const outcome = await storage.commit(writes);
        if (!outcome.ok) calls.conflicts++;
        return outcome;
      },
      scan: (req) => { calls.scan++; return storage.scan(req); },
    },
  };
}

const pause = () => new Promise((r) => setImmediate(r));

/** Wraps a storage so that every call yields to the event loop before and after. */
export function yielding(storage) {
  return {
    read: async (keys) => { await pause(); const r = await storage.read(keys); await pause(); return r; },
    commit: async (writes) => { await pause(); return storage.commit(writes); },
    scan: async (req) => { await pause(); return storage.scan(req); },
  };
}

/** An active backend with one account; returns both. */
export async function activeWithAccount(options = {}) {
  const loyalty = createLoyaltyBackend({ storage: memoryStorage(), ...options });
  await loyalty.programs.activateLoyaltyProgram();
  const { account } = await loyalty.accounts.createAccount(CONTACT_A);
  return { loyalty, account };
}

/** Awaits a rejection and checks it is a LoyaltyError with the given code and reason. */
export async function rejects(promise, code, reason) {
  try {
    await promise;
  } catch (e) {
    assert.ok(isLoyaltyError(e), `not a LoyaltyError: ${e}`);
    assert.ok(e instanceof Error);
    assert.equal(e.code, code, e.message);
    if (reason) assert.equal(e.reason, reason, e.message);
    return e;
  }
  assert.fail(`expected ${code}${reason ? `/${reason}` : ''}, but it resolved`);
}

/** Every ledger entry of an account, oldest first, following cursors. */
export async function ledgerOf(loyalty, accountId) {
  const items = [];
  let page = await loyalty.transactions.queryLoyaltyTransactions().eq('accountId', accountId).ascending('_createdDate').limit(100).find();
  for (;;) {
    items.push(...page.items);
    if (!page.hasNext()) return items;
    page = await page.next();
  }
}

/** balance = earned + adjusted − redeemed − expired = sum(ledger); revision = 1 + entries. */
export async function assertConsistent(loyalty, accountId) {
  const account = await loyalty.accounts.getAccount(accountId);
  const p = account.points;
  assert.ok(p.balance >= 0, 'balance is never negative');
  assert.equal(p.balance, p.earned + p.adjusted - p.redeemed - p.expired, 'balance = earned + adjusted - redeemed - expired');
  const ledger = await ledgerOf(loyalty, accountId);
  assert.equal(ledger.reduce((s, t) => s + t.amount, 0), p.balance, 'balance = sum of the ledger');
  assert.equal(Number(account.revision), ledger.length + 1, 'revision = 1 + ledger entries');
  return { account, ledger };
}
