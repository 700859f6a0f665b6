// Velo code of our own (tests/server/velo-site) runs unchanged under the loader
// (`node --import wix-loyalty-wasm/velo`): its imports of wix-loyalty.v2, wix-loyalty-backend,
// wix-auth, wix-web-module and wix-members-backend resolve to the package, over one backend, as
// the configured member, an anonymous visitor or a site admin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLoyaltyBackend } from 'wix-loyalty-wasm';
import { sqliteStorage } from 'wix-loyalty-wasm/storage/sqlite';

const SITE = fileURLToPath(new URL('./velo-site/', import.meta.url));
const CONTACT = '3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d';
const MEMBER = '99999999-0000-4000-8000-000000000001';

/** Runs the site's driver under the loader: `{ code, out (its JSON line), stderr }`. */
async function runSite(env) {
  const child = spawn(process.execPath, ['--import', 'wix-loyalty-wasm/velo', 'run.mjs'], {
    cwd: SITE,
    env: { ...process.env, WIX_LOYALTY_VELO_CONFIG: '', WIX_LOYALTY_STORAGE: '', WIX_LOYALTY_MEMBER: '', WIX_LOYALTY_SITE_ADMIN: '', WIX_LOYALTY_CONTACTS: '', WIX_LOYALTY_EVENTS: '', VELO_CONTACT: CONTACT, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const code = await new Promise((resolve) => child.on('exit', resolve));
  const line = stdout.trim().split('\n').pop();
  let out = null;
  try {
    out = JSON.parse(line);
  } catch {
    // reported below
  }
  return { code, out, stdout, stderr };
}

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'wix-loyalty-velo-'));
  return { dir, db: join(dir, 'site.db'), events: join(dir, 'events.log'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

test('as the configured member (a configuration file): v2, legacy, elevate, webMethod, getMember and events.js share one backend', async () => {
  const w = workspace();
  try {
    const config = join(w.dir, 'wix-loyalty.config.json');
    writeFileSync(config, JSON.stringify({
      storage: `sqlite:${w.db}`,
      contacts: { [CONTACT]: { memberId: MEMBER, name: 'Ada' } },
      events: join(SITE, 'backend', 'events.js'),
      member: { _id: MEMBER, contactId: CONTACT, loginEmail: 'ada@example.com' },
    }));
    const { code, out, stdout, stderr } = await runSite({ WIX_LOYALTY_VELO_CONFIG: config, VELO_EVENT_LOG: w.events });
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.ok(out, stdout);
    assert.match(out.accountId, /^[0-9a-f-]{36}$/, 'legacy createAccount made the account');
    assert.deepEqual([out.award.value, out.retry.value, out.award2.value], [30, 30, 42], 'elevated earns, the retry credited once');
    assert.equal(out.peek.error, 'PERMISSION_DENIED/ADMIN_ONLY', 'an admin method without elevate() acts as the member');
    assert.equal(out.elevatedPeek.value, 42);
    assert.deepEqual(out.legacy.value, { balance: 42, latest: 'EARN' }, 'the legacy module sees what v2 did');
    assert.equal(out.myBalance.value, 42, "the member's own account, without elevation");
    assert.deepEqual([out.whoAmI.value._id, out.whoAmI.value.contactId, out.whoAmI.value.loginEmail], [MEMBER, CONTACT, 'ada@example.com']);
    assert.equal(out.adminReport.error, 'PERMISSION_DENIED/WEB_METHOD_FORBIDDEN');
    assert.equal(out.verified, true);
    // backend/events.js got Velo-shaped events, one per balance change.
    const events = readFileSync(w.events, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => e.balance), [30, 42]);
    assert.ok(events.every((e) => typeof e.id === 'string' && typeof e.eventTime === 'string'));
    // The store is the configured SQLite file, readable by the package directly.
    const storage = sqliteStorage({ path: w.db });
    try {
      assert.equal((await createLoyaltyBackend({ storage }).accounts.getAccount(out.accountId)).points.balance, 42);
    } finally {
      await storage.close();
    }
  } finally {
    w.cleanup();
  }
});

test('as an anonymous visitor (the environment only): member web methods and unelevated admin calls are refused', async () => {
  const w = workspace();
  try {
    const { code, out, stdout, stderr } = await runSite({ WIX_LOYALTY_STORAGE: `sqlite:${w.db}` });
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.deepEqual([out.award.value, out.award2.value], [30, 42]);
    assert.equal(out.peek.error, 'PERMISSION_DENIED/ADMIN_ONLY');
    assert.equal(out.myBalance.error, 'PERMISSION_DENIED/WEB_METHOD_FORBIDDEN');
    assert.equal(out.whoAmI.value, undefined);
    assert.equal(out.adminReport.error, 'PERMISSION_DENIED/WEB_METHOD_FORBIDDEN');
    assert.ok(existsSync(w.db), 'the configured store was used');
  } finally {
    w.cleanup();
  }
});

test('as a site admin: unelevated calls act as an admin, Admin web methods run', async () => {
  const { code, out, stdout, stderr } = await runSite({ WIX_LOYALTY_SITE_ADMIN: '1' });
  assert.equal(code, 0, `${stdout}\n${stderr}`);
  assert.equal(out.peek.value, 42);
  assert.equal(out.adminReport.value, 42);
  assert.equal(out.myBalance.error, 'UNAUTHENTICATED/MEMBER_REQUIRED', 'an admin has no member account');
});

test("a configuration file's sqlite: path is relative to the file, not to the working directory", async () => {
  const w = workspace();
  try {
    const config = join(w.dir, 'wix-loyalty.config.json');
    writeFileSync(config, JSON.stringify({ storage: 'sqlite:./relative.db' }));
    const { code, stdout, stderr } = await runSite({ WIX_LOYALTY_VELO_CONFIG: config });
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.ok(existsSync(join(w.dir, 'relative.db')), 'the store is beside the configuration');
    assert.ok(!existsSync(join(SITE, 'relative.db')), 'not in the working directory');
  } finally {
    w.cleanup();
  }
});

test('a configuration mistake ends the process with one line', async () => {
  const w = workspace();
  try {
    const config = join(w.dir, 'bad.json');
    writeFileSync(config, JSON.stringify({ storage: 'memory', membr: MEMBER }));
    for (const [env, expected] of [
      [{ WIX_LOYALTY_VELO_CONFIG: config }, /unknown key "membr"/],
      [{ WIX_LOYALTY_STORAGE: 'sqlite:' }, /storage: storage "sqlite:" names no file/],
      [{ WIX_LOYALTY_VELO_CONFIG: join(w.dir, 'missing.json') }, /cannot be read: no such file/],
      [{ WIX_LOYALTY_SITE_ADMIN: 'yes' }, /WIX_LOYALTY_SITE_ADMIN must be 1 or 0/],
    ]) {
      const { code, stderr } = await runSite(env);
      assert.equal(code, 2, stderr);
      assert.match(stderr, expected);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
    }
  } finally {
    w.cleanup();
  }
});
