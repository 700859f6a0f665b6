// The standing robustness test: 2,000 seeded hostile requests against serve() on memory, SQLite
// and PostgreSQL (the private cluster of scripts/with-postgres.sh), each answered within the
// liveness bound, no 5xx but coded 503s, the server alive after, and verify() clean with every
// balance equal to its ledger. `npm run hostile` runs the same for longer (see docs/server.md).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryStorage } from 'wix-loyalty-wasm';
import { sqliteStorage } from 'wix-loyalty-wasm/storage/sqlite';
import { postgresStorage } from 'wix-loyalty-wasm/storage/postgres';
import { postgresUrl } from '../storage/helpers.mjs';
import { hostileRun } from './hostile.mjs';

const COUNT = 2000;
const dir = mkdtempSync(join(tmpdir(), 'wix-loyalty-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const STORES = {
  memory: () => memoryStorage(),
  sqlite: () => sqliteStorage({ path: join(dir, 'hostile.db') }),
  postgres: () => postgresStorage({ connectionString: postgresUrl(), table: `hostile_${process.pid}` }),
};

for (const [name, make] of Object.entries(STORES)) {
  test(`${name}: ${COUNT} hostile requests, each answered and coded; the ledger holds`, async () => {
    const storage = make();
    try {
      const seed = 22_000 + Object.keys(STORES).indexOf(name);
      const run = await hostileRun({ storage, seed, count: COUNT });
      assert.equal(run.sent, COUNT);
      assert.deepEqual(run.failures, [], JSON.stringify(run.failures, null, 2));
      assert.ok(run.alive, 'the server answers and credits after the run');
      assert.ok(run.verify.ok, JSON.stringify(run.verify));
      // The run reached the engine, not only the gate: some calls succeeded, many were refused.
      assert.ok((run.statuses['200'] ?? 0) > COUNT / 20, JSON.stringify(run.statuses));
      assert.ok(run.verify.transactions > 20, `the ledger moved: ${run.verify.transactions} transactions`);
      console.log(`${name}: ${JSON.stringify(run.statuses)}; ${run.verify.transactions} transactions`);
    } finally {
      await storage.close?.();
    }
  });
}
