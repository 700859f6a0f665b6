// The packed tarball, as a user gets it: `npm pack ./pkg`, installed into an empty folder, used
// from Node ESM, Node CommonJS and a plain HTML page (no bundler) in headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch } from '../support/browser.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'wix-loyalty-pack-'));
  const tarball = execFileSync('npm', ['pack', join(root, 'pkg'), '--pack-destination', dir, '--silent'], { encoding: 'utf8' }).trim().split('\n').pop();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  execFileSync('npm', ['install', join(dir, tarball), '--no-audit', '--no-fund', '--offline', '--silent'], { cwd: dir });
  assert.ok(existsSync(join(dir, 'node_modules', 'wix-loyalty-wasm', 'wasm', 'wix_loyalty_wasm_bg.wasm')));
});

after(() => rmSync(dir, { recursive: true, force: true }));

const script = `
  await wixLoyaltyBackend.program.activateLoyaltyProgram();
  const { account } = await wixLoyaltyBackend.accounts.createAccount('3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d');
  const r = await wixLoyaltyBackend.accounts.adjustPoints(account._id, { amount: 50, revision: account.revision });
  let code = 'none';
  try { await wixLoyaltyBackend.accounts.adjustPoints(account._id, { amount: -51 }); } catch (e) { code = e.code + '/' + e.reason; }
  const out = r.account.points.balance + ' ' + code + ' ' + (r.account._updatedDate instanceof Date);
`;

test('import wixLoyaltyBackend from "wix-loyalty-wasm" works in Node ESM', () => {
  const out = execFileSync('node', ['--input-type=module', '-e', `import wixLoyaltyBackend from 'wix-loyalty-wasm';${script}console.log(out);`], { cwd: dir, encoding: 'utf8' });
  assert.equal(out.trim(), '50 FAILED_PRECONDITION/INSUFFICIENT_POINTS true');
});

test('require("wix-loyalty-wasm") works in Node CommonJS', () => {
  const out = execFileSync('node', ['-e', `const wixLoyaltyBackend = require('wix-loyalty-wasm').default; (async () => {${script}console.log(out); })();`], { cwd: dir, encoding: 'utf8' });
  assert.equal(out.trim(), '50 FAILED_PRECONDITION/INSUFFICIENT_POINTS true');
});

test('the wix-loyalty-wasm command runs from the installed package: npx finds it, serve answers and stops on SIGTERM', async () => {
  const usage = execFileSync('npx', ['--no-install', 'wix-loyalty-wasm', '--help'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  assert.match(usage, /usage: wix-loyalty-wasm serve/);
  // The bin link npx runs (npx itself runs it through a shell, which would stand between the
  // signal and the server).
  const child = spawn(process.execPath, [join(dir, 'node_modules', '.bin', 'wix-loyalty-wasm'), 'serve', '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start: ${output}`)), 20_000);
      exited.then(() => reject(new Error(`serve exited: ${output}`)));
      child.stdout.on('data', () => {
        const m = /serving the Wix Loyalty REST API on (http:\/\/\S+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const res = await fetch(`${url}/loyalty-programs/v1/program`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).loyaltyProgram.status, 'DRAFT');
  } finally {
    child.kill('SIGTERM');
  }
  const { code } = await exited;
  assert.equal(code, 0, output);
  assert.match(output, /GET \/loyalty-programs\/v1\/program 200/);
  assert.match(output, /stopped/);
});

test('without the optional drivers installed, a storage that needs one says which to install', () => {
  for (const [spec, hint] of [['sqlite:./x.db', /needs the better-sqlite3 package, which is not installed: npm install better-sqlite3@12/], ['postgres:postgres://u@127.0.0.1:1/db', /needs the pg package, which is not installed: npm install pg@8/]]) {
    let failure;
    try {
      execFileSync(join(dir, 'node_modules', '.bin', 'wix-loyalty-wasm'), ['serve', '--port', '0', '--storage', spec], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      failure = e;
    }
    assert.ok(failure, `${spec} started`);
    assert.equal(failure.status, 2);
    assert.match(failure.stderr, hint);
    assert.equal(failure.stderr.trim().split('\n').length, 1, failure.stderr);
  }
});

test('Velo code runs from the installed package under node --import wix-loyalty-wasm/velo', () => {
  writeFileSync(join(dir, 'velo-app.mjs'), `
    import { accounts, programs } from 'wix-loyalty.v2';
    import wixLoyaltyBackend from 'wix-loyalty-backend';
    import { elevate } from 'wix-auth';
    import { Permissions, webMethod } from 'wix-web-module';
    const open = webMethod(Permissions.Anyone, async () => {
      await wixLoyaltyBackend.program.activateLoyaltyProgram();
      const { account } = await elevate(accounts.createAccount)('3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d');
      const r = await elevate(accounts.earnPoints)(account._id, { amount: 9, appId: 'site', idempotencyKey: 'o-1' });
      let denied = 'none';
      try { await programs.pauseLoyaltyProgram(); } catch (e) { denied = e.code; }
      return r.account.points.balance + ' ' + denied;
    });
    console.log(await open());
  `);
  const out = execFileSync('node', ['--import', 'wix-loyalty-wasm/velo', 'velo-app.mjs'], { cwd: dir, encoding: 'utf8', env: { ...process.env, WIX_LOYALTY_STORAGE: 'memory' } });
  assert.equal(out.trim(), '9 PERMISSION_DENIED');
});

test('a plain HTML page imports the web build in headless Chromium', async () => {
  writeFileSync(join(dir, 'index.html'), `<!doctype html><meta charset="utf-8"><title>pending</title>
<script type="module">
  try {
    const { default: wixLoyaltyBackend, createLoyaltyBackend, memoryStorage, createWixFetch } = await import('./node_modules/wix-loyalty-wasm/index.js');
    ${script}
    const own = createLoyaltyBackend({ storage: memoryStorage() });
    await own.programs.activateLoyaltyProgram();
    // The REST face in the page: an admin read, and a member token refused an admin method.
    const wixFetch = createWixFetch(own);
    const program = await (await wixFetch('https://www.wixapis.com/loyalty-programs/v1/program')).json();
    const token = await own.memberToken('0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6');
    const denied = await wixFetch('https://www.wixapis.com/loyalty-programs/v1/program', { headers: { Authorization: token } });
    document.title = 'ok: ' + out + ' ' + typeof crypto.randomUUID + ' ' + program.loyaltyProgram.status + ' ' + denied.status;
  } catch (e) {
    document.title = 'error: ' + e.message;
  }
</script>`);
  const server = await serve(dir);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.url}/index.html`);
    await page.waitForFunction(() => document.title !== 'pending', null, { timeout: 20000 });
    assert.equal(await page.title(), 'ok: 50 FAILED_PRECONDITION/INSUFFICIENT_POINTS true function ACTIVE 403', errors.join('\n'));
  } finally {
    await browser.close();
    await server.close();
  }
});
