// One process running the scheduled work over a shared storage at a given instant; a JSON report
// on stdout. Run by load.mjs's expireRace.
//   node scheduler.mjs <storage spec> <now ms>
import { createLoyaltyBackend } from 'wix-loyalty-wasm';
import { openStorage } from './helpers.mjs';

const [spec, nowMs] = process.argv.slice(2);
const storage = await openStorage(spec);
const loyalty = createLoyaltyBackend({ storage, now: () => Number(nowMs) });
const run = await loyalty.runScheduledWork();
await storage.close();
process.stdout.write(`${JSON.stringify(run)}\n`);
