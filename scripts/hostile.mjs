// npm run hostile -- [--requests N] [--seed S] [--stores memory,sqlite,postgres] [--concurrency C]
// The hostile-request test of tests/server/hostile.test.mjs, for longer: N requests per store
// (100000 by default), in rounds of 10000 from seeds S, S+1, …, each round audited; prints the
// statuses seen and every failure, and exits 1 on any. PostgreSQL needs WIX_LOYALTY_PG_URL (npm
// run hostile starts a private cluster).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryStorage } from 'wix-loyalty-wasm';
import { hostileRun } from '../tests/server/hostile.mjs';
import { numberArg } from './args.mjs';

const argv = process.argv.slice(2);
const storesAt = argv.findIndex((a) => a === '--stores' || a.startsWith('--stores='));
const args = {
  requests: Number(numberArg(argv, '--requests', 100_000)),
  seed: Number(numberArg(argv, '--seed', 1)),
  concurrency: Number(numberArg(argv, '--concurrency', 4)),
  stores: storesAt < 0 ? 'memory,sqlite,postgres' : argv[storesAt].includes('=') ? argv[storesAt].split('=')[1] : argv[storesAt + 1],
};
for (const store of args.stores.split(',')) {
  if (!['memory', 'sqlite', 'postgres'].includes(store)) {
    console.error(`--stores takes memory, sqlite and postgres, comma-separated (got ${store})`);
    process.exit(2);
  }
}
const ROUND = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'wix-loyalty-hostile-'));
let failed = 0;
const makers = {
  memory: async () => memoryStorage(),
  sqlite: async (round) => (await import('wix-loyalty-wasm/storage/sqlite')).sqliteStorage({ path: join(dir, `hostile-${round}.db`) }),
  postgres: async (round) => {
    if (!process.env.WIX_LOYALTY_PG_URL) throw new Error('postgres needs WIX_LOYALTY_PG_URL (run through npm run hostile)');
    return (await import('wix-loyalty-wasm/storage/postgres')).postgresStorage({ connectionString: process.env.WIX_LOYALTY_PG_URL, table: `hostile_${process.pid}_${round}` });
  },
};
try {
  for (const store of String(args.stores).split(',')) {
    const totals = {};
    let sent = 0;
    const started = Date.now();
    for (let round = 0; sent < args.requests; round++) {
      const count = Math.min(ROUND, args.requests - sent);
      const storage = await makers[store](round);
      const run = await hostileRun({ storage, seed: Number(args.seed) + round, count, concurrency: Number(args.concurrency) });
      await storage.close?.();
      sent += run.sent;
      for (const [k, v] of Object.entries(run.statuses)) totals[k] = (totals[k] ?? 0) + v;
      const problems = [...run.failures.map((f) => `request ${f.i} of seed ${Number(args.seed) + round}: ${f.problem}\n    ${f.request}`),
        ...(run.alive ? [] : ['the server did not answer (or credit) after the round']),
        ...(run.verify.ok ? [] : [`verify(): ${JSON.stringify(run.verify.discrepancies)}`])];
      failed += problems.length;
      for (const p of problems) console.log(`FAIL ${store}: ${p}`);
      console.log(`${store}: ${sent}/${args.requests} requests, ${((Date.now() - started) / 1000).toFixed(0)} s, ${run.verify.transactions} transactions in the last round's store, verify ${run.verify.ok ? 'ok' : 'FAILED'}`);
    }
    console.log(`${store}: statuses ${JSON.stringify(totals)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(failed === 0 ? 'no failures' : `${failed} failures`);
process.exitCode = failed === 0 ? 0 : 1;
