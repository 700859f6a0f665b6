// One process adjusting points on shared accounts over a shared storage, logging every event it
// delivers (one line per event: id, type, entity, sequence) to a file; with `crashAt`, it kills
// itself with SIGKILL right after that commit, before delivering its events. Run by load.mjs's
// eventsRace.
//   node emitter.mjs <storage spec> <log file> <account ids, comma-separated> <ops> <crashAt | -1>
import { appendFileSync } from 'node:fs';
import { createLoyaltyBackend } from 'wix-loyalty-wasm';
import { openStorage, eventLine } from './helpers.mjs';

const [spec, log, accounts, ops, crashAt] = process.argv.slice(2);
const ids = accounts.split(',');
const storage = await openStorage(spec);
let commits = 0;
const loyalty = createLoyaltyBackend({
  storage,
  // Entries left by a process that died are delivered by this one as it starts.
  redeliverEventsAfterMs: 0,
  onEvent: (e) => appendFileSync(log, eventLine(e)),
  testing: {
    beforeDelivery: () => {
      if (commits++ === Number(crashAt)) process.kill(process.pid, 'SIGKILL');
    },
  },
});
let done = 0;
for (let i = 0; i < Number(ops); i++) {
  await loyalty.accounts.adjustPoints(ids[(i * 7 + process.pid) % ids.length], { amount: 1 });
  done++;
}
await loyalty.flushEvents();
await storage.close();
process.stdout.write(`${JSON.stringify({ done })}\n`);
