// One process earning and adjusting points over a shared storage with a short storage deadline,
// logging every call (what it was, when it started, how long it took, how it ended); an earn that
// failed is retried later with the same key. A JSON report on stdout. Run by load.mjs's freezeLoad.
//   node freeze-worker.mjs <storage spec> <account ids, comma-separated> <seconds> <storageTimeoutMs>
import { createLoyaltyBackend } from 'wix-loyalty-wasm';
import { openStorage } from './helpers.mjs';

const [spec, accounts, seconds, timeoutMs] = process.argv.slice(2);
const ids = accounts.split(',');
const storage = await openStorage(spec);
const loyalty = createLoyaltyBackend({ storage, storageTimeoutMs: Number(timeoutMs) });
const calls = [];
const retries = [];
const end = Date.now() + Number(seconds) * 1000;
for (let i = 0; Date.now() < end; i++) {
  // An earn whose outcome is unknown is asked again, the same request with the same key.
  const retry = retries.shift();
  const earn = retry !== undefined || i % 3 !== 2;
  const { key, account, amount } = retry ?? { key: `${process.pid}-${i}`, account: ids[(i * 5 + process.pid) % ids.length], amount: 1 + (i % 7) };
  const call = { kind: earn ? 'earn' : 'adjust', key, account, start: Date.now() };
  try {
    const r = earn
      ? await loyalty.accounts.earnPoints(account, { amount, appId: 'freeze', idempotencyKey: key })
      : await loyalty.accounts.adjustPoints(account, { amount, description: key });
    call.transactionId = r.transactionId;
  } catch (e) {
    call.error = `${e.code}/${e.reason}`;
    if (earn) retries.push({ key, account, amount });
  }
  call.ms = Date.now() - call.start;
  calls.push(call);
}
await storage.close();
process.stdout.write(`${JSON.stringify({ calls })}\n`);
