// node --expose-gc bench/scheduled-work.mjs N MS: runScheduledWork over memoryStorage holding N
// accounts, all past their expiration date, 1 % of them in the due index (the rest as if they had
// been active since), and, as the baseline measured in the same process, adjustPoints for MS
// milliseconds on the same store. Prints JSON. (A process of its own: the stores of 1M accounts
// the bench builds before would otherwise share one wasm memory with this one.)
import { createLoyaltyBackend, memoryStorage } from 'wix-loyalty-wasm';
import { fill, guid } from './fill.mjs';

const [size, ms] = process.argv.slice(2).map(Number);
const storage = memoryStorage();
const later = Date.now() + 400 * 86_400_000;
const loyalty = createLoyaltyBackend({ storage });
const runner = createLoyaltyBackend({ storage, now: () => later });
await loyalty.programs.activateLoyaltyProgram();
await loyalty.programs.enablePointsExpiration();
const { account: template } = await loyalty.accounts.createAccount(guid(7, 0));
await loyalty.accounts.adjustPoints(template._id, { amount: 100 });
const [record] = await storage.read([`acct/${template._id}`]);
await fill(storage, record, template, size);
// 1 % of the accounts due: the template (whose own commit wrote its entry) and copies listed here.
const { dueMs } = JSON.parse(record.value);
const due = Math.max(1, Math.floor(size / 100));
for (let i = 1; i < due; i += 1000) {
  const writes = [];
  for (let j = i; j <= Math.min(due - 1, i + 999); j++) {
    writes.push({ key: `due/${String(dueMs).padStart(15, '0')}/${guid(8, (j * 97) % size || 1)}/2`, value: '1', version: 0 });
  }
  if (!(await storage.commit(writes)).ok) throw new Error('due index fill failed');
}
globalThis.gc();
const t = performance.now();
const run = await runner.runScheduledWork();
const runMs = performance.now() - t;
if (run.expiredAccounts !== due) throw new Error(`expired ${run.expiredAccounts} of ${due} due accounts`);
// The baseline: adjustPoints on the same store, warmed up, then for `ms`.
const adjust = (i) => loyalty.accounts.adjustPoints(guid(8, 1 + (i % (size - 1))), { amount: 1 });
for (let i = 0; i < 3000; i++) await adjust(i);
let n = 0;
const t0 = performance.now();
while (performance.now() - t0 < ms) await adjust(3000 + n++);
const adjustOpsPerSec = Math.round((n * 1000) / (performance.now() - t0));
process.stdout.write(`${JSON.stringify({ accounts: size, due, runMs, adjustOpsPerSec })}\n`);
