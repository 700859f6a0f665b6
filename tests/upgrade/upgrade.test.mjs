// Upgrades keep data: a store written by the previous release's package (the tarball in
// previous/, made by scripts/previous-release.mjs) opens and works with the current package, on
// SQLite, PostgreSQL (WIX_LOYALTY_PG_URL, from scripts/with-postgres.sh) and IndexedDB (headless
// Chromium). The scenario itself is in scenario.js.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createLoyaltyBackend } from 'wix-loyalty-wasm';
import { sqliteStorage } from 'wix-loyalty-wasm/storage/sqlite';
import { postgresStorage } from 'wix-loyalty-wasm/storage/postgres';
import { check } from './scenario.js';
import { serve, launch } from '../support/browser.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));
const release = JSON.parse(readFileSync(join(here, 'previous', 'release.json'), 'utf8'));
const scenario = pathToFileURL(join(here, 'scenario.js')).href;
const PG_URL = process.env.WIX_LOYALTY_PG_URL;
let dir;
let old; // the previous release, installed

before(() => {
  assert.ok(PG_URL, 'WIX_LOYALTY_PG_URL is not set: run inside scripts/with-postgres.sh');
  dir = mkdtempSync(join(tmpdir(), 'wix-loyalty-upgrade-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'previous-release', private: true }));
  execFileSync('npm', ['install', join(here, 'previous', release.tarball), '--no-audit', '--no-fund', '--offline', '--silent'], { cwd: dir });
  // Its adapters' drivers: the workspace's copies (the same pinned versions).
  for (const driver of ['better-sqlite3', 'pg']) symlinkSync(join(root, 'node_modules', driver), join(dir, 'node_modules', driver), 'dir');
  old = join(dir, 'node_modules', 'wix-loyalty-wasm');
  console.log(`# previous release: ${release.commit.slice(0, 12)} (${release.date})`);
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the scenario's `write` with the previous release in a child process; resolves to what it wrote. */
function writeWithPrevious(storageModule, storageCall) {
  const program = `
    import { createLoyaltyBackend } from 'wix-loyalty-wasm';
    import * as adapter from 'wix-loyalty-wasm/storage/${storageModule}';
    import { write } from ${JSON.stringify(scenario)};
    const storage = adapter.${storageCall};
    const written = await write(createLoyaltyBackend, storage);
    await storage.close?.();
    process.stdout.write(JSON.stringify(written));
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', program], { cwd: dir, encoding: 'utf8' });
  return JSON.parse(out);
}

function report(name, { problems, figures }, written) {
  assert.deepEqual(problems, [], `${name}: the upgraded store`);
  assert.equal(figures.accounts, written.accounts.length + 1);
  assert.ok(written.transactions.length >= 11, 'the previous release wrote a ledger');
  console.log(`# ${name}: ${written.accounts.length} accounts and ${written.transactions.length} transactions of the previous release read, retried and extended`);
}

test('a SQLite file written by the previous release opens and works', async () => {
  const path = join(dir, 'loyalty.db');
  const written = writeWithPrevious('sqlite', `sqliteStorage({ path: ${JSON.stringify(path)} })`);
  const storage = sqliteStorage({ path });
  try {
    report('SQLite', await check(createLoyaltyBackend, storage, written), written);
  } finally {
    storage.close();
  }
});

test('a PostgreSQL table written by the previous release opens and works', async () => {
  const table = `upgrade_${process.pid}`;
  const written = writeWithPrevious('postgres', `postgresStorage({ connectionString: ${JSON.stringify(PG_URL)}, table: ${JSON.stringify(table)} })`);
  const storage = postgresStorage({ connectionString: PG_URL, table });
  try {
    report('PostgreSQL', await check(createLoyaltyBackend, storage, written), written);
  } finally {
    await storage.close();
  }
});

test('an IndexedDB database written by the previous release opens and works after a reload', async () => {
  // One origin serves both packages, as a site does before and after it upgrades.
  const site = join(dir, 'site');
  mkdirSync(site);
  symlinkSync(old, join(site, 'previous'), 'dir');
  symlinkSync(join(root, 'pkg'), join(site, 'current'), 'dir');
  symlinkSync(join(here, 'scenario.js'), join(site, 'scenario.js'));
  const server = await serve(site);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(server.url);
    const written = await page.evaluate(async () => {
      const { createLoyaltyBackend } = await import('/previous/index.js');
      const { indexedDbStorage } = await import('/previous/storage/indexeddb.js');
      const { write } = await import('/scenario.js');
      return write(createLoyaltyBackend, indexedDbStorage({ name: 'upgrade' }));
    });
    await page.reload();
    const result = await page.evaluate(async (w) => {
      const { createLoyaltyBackend } = await import('/current/index.js');
      const { indexedDbStorage } = await import('/current/storage/indexeddb.js');
      const { check } = await import('/scenario.js');
      return check(createLoyaltyBackend, indexedDbStorage({ name: 'upgrade' }), w);
    }, written);
    report('IndexedDB', result, written);
  } finally {
    await browser.close();
    await server.close();
  }
});
