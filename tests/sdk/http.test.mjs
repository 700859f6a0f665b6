// The official SDK against `wix-loyalty-wasm serve` running as a child process over HTTP (on a
// SQLite file the test also opens directly), and a SIGTERM with requests in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLoyaltyBackend } from 'wix-loyalty-wasm';
import { sqliteStorage } from 'wix-loyalty-wasm/storage/sqlite';
import { sdkSuite, contacts, CONTACT_A, CONTACT_B, CONTACT_C } from './suite.mjs';
import { startServer, runCli } from '../support/serve.mjs';

const SECRET = 'a-member-token-secret-for-tests';

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'wix-loyalty-serve-'));
  const contactsFile = join(dir, 'contacts.json');
  writeFileSync(contactsFile, JSON.stringify(Object.fromEntries([CONTACT_A, CONTACT_B, CONTACT_C].map((c) => [c, contacts(c)]))));
  return { dir, db: join(dir, 'loyalty.db'), contactsFile };
}

for (const apiKey of [undefined, 'http-api-key']) {
  sdkSuite(apiKey ? 'over HTTP, with an API key' : 'over HTTP', async () => {
    const { dir, db, contactsFile } = workspace();
    const server = await startServer(['--storage', `sqlite:${db}`, '--contacts', contactsFile, '--member-token-secret', SECRET, ...(apiKey ? ['--api-key', apiKey] : [])]);
    const storage = sqliteStorage({ path: db });
    const direct = createLoyaltyBackend({ storage, contacts, memberTokenSecret: SECRET });
    return {
      fetch: (url, init) => fetch(String(url).replace('https://www.wixapis.com', server.url), init),
      direct,
      apiKey,
      token: (memberId) => direct.memberToken(memberId),
      log: () => server.output(),
      close: async () => {
        server.child.kill('SIGTERM');
        const { code } = await server.exited;
        assert.equal(code, 0, server.output());
        storage.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}

test('serve refuses a host beyond loopback without an API key, and unknown options', async () => {
  for (const args of [['--host', '0.0.0.0'], ['--colour', 'blue'], ['--port', 'x']]) {
    const { code, output } = await runCli(['serve', ...args]);
    assert.notEqual(code, 0, args.join(' '));
    assert.match(output, /API key|unknown option|whole number/, output);
  }
});

test('a request body over the limit is refused with a Wix error body', async () => {
  const server = await startServer(['--body-limit', '1000']);
  try {
    const res = await fetch(`${server.url}/loyalty-accounts/v1/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ contactId: 'x'.repeat(5000) }) });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).details.applicationError.code, 'REQUEST_TOO_LARGE');
  } finally {
    server.child.kill('SIGTERM');
    assert.equal((await server.exited).code, 0);
  }
});

test('SIGTERM with requests in flight: each is answered or never applied, nothing half-applied', async () => {
  const { dir, db } = workspace();
  const setup = sqliteStorage({ path: db });
  const direct = createLoyaltyBackend({ storage: setup });
  await direct.programs.activateLoyaltyProgram();
  const { account } = await direct.accounts.createAccount(CONTACT_A);
  setup.close();
  const server = await startServer(['--storage', `sqlite:${db}`]);
  const earn = async (i) => {
    try {
      const res = await fetch(`${server.url}/loyalty-accounts/v1/accounts/${account._id}/earn-points`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accountId: account._id, amount: 1 + (i % 5), appId: 'shop', idempotencyKey: `sigterm-${i}` }),
      });
      return { i, status: res.status, body: await res.json() };
    } catch (error) {
      return { i, error };
    }
  };
  // Ten requests in flight across the signal: their headers and part of their body are sent
  // first; after the signal seven are finished and three abandoned by their client.
  const partial = (i) => {
    const body = JSON.stringify({ accountId: account._id, amount: 7, appId: 'shop', idempotencyKey: `sigterm-slow-${i}` });
    let req;
    const outcome = new Promise((resolve) => {
      req = request(`${server.url}/loyalty-accounts/v1/accounts/${account._id}/earn-points`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      }, (res) => {
        let text = '';
        res.on('data', (d) => { text += d; });
        res.on('end', () => resolve({ i: `slow-${i}`, amount: 7, status: res.statusCode, body: JSON.parse(text) }));
      });
      req.on('error', (error) => resolve({ i: `slow-${i}`, error }));
      req.write(body.slice(0, 20));
    });
    return { outcome, finish: () => req.end(body.slice(20)), abandon: () => req.destroy() };
  };
  const slow = Array.from({ length: 10 }, (_, i) => partial(i));
  // A first wave, answered before the signal.
  const first = await Promise.all(Array.from({ length: 100 }, (_, i) => earn(i)));
  assert.ok(first.every((o) => o.status === 200), 'the first wave is answered');
  server.child.kill('SIGTERM');
  await new Promise((resolve) => {
    const wait = () => (/SIGTERM: finishing/.test(server.output()) ? resolve() : setTimeout(wait, 2));
    wait();
  });
  const inFlight = Number(/SIGTERM: finishing (\d+) request\(s\) in flight/.exec(server.output())?.[1]);
  assert.equal(inFlight, 10, 'the ten slow requests are in flight at the signal');
  // A second wave once the server stopped accepting: refused, never applied.
  const second = await Promise.all(Array.from({ length: 50 }, (_, i) => earn(1000 + i)));
  assert.ok(second.every((o) => o.error), 'requests after the server stopped accepting are refused');
  slow.forEach((r, i) => (i < 7 ? r.finish() : r.abandon()));
  const late = await Promise.all(slow.map((r) => r.outcome));
  assert.ok(late.slice(0, 7).every((o) => o.status === 200), 'the finished requests in flight are answered');
  assert.ok(late.slice(7).every((o) => o.error), 'the abandoned ones get no answer');
  const outcomes = [...first, ...second, ...late];
  const { code } = await server.exited;
  assert.equal(code, 0, server.output());
  const ok = outcomes.filter((o) => o.status === 200);
  const refused = outcomes.filter((o) => o.error);
  assert.equal(ok.length + refused.length, outcomes.length, 'every request was answered 200 or not at all');
  assert.deepEqual([ok.length, refused.length], [107, 53]);

  const storage = sqliteStorage({ path: db });
  const after = createLoyaltyBackend({ storage });
  const applied = new Map();
  for (let page = await after.transactions.queryLoyaltyTransactions().eq('accountId', account._id).limit(100).find(); ; page = await page.next()) {
    for (const t of page.items) applied.set(t.idempotencyKey, (applied.get(t.idempotencyKey) ?? 0) + 1);
    if (!page.hasNext()) break;
  }
  for (const o of ok) assert.equal(applied.get(`sigterm-${o.i}`), 1, `answered request ${o.i} is in the ledger once`);
  for (const o of refused) assert.equal(applied.get(`sigterm-${o.i}`), undefined, `refused request ${o.i} was never applied`);
  assert.equal([...applied.values()].reduce((a, b) => a + b, 0), ok.length, 'nothing else was applied');
  const balance = ok.reduce((s, o) => s + (o.amount ?? 1 + (o.i % 5)), 0);
  assert.equal((await after.accounts.getAccount(account._id)).points.balance, balance);
  assert.ok((await after.verify()).ok);
  storage.close();
  rmSync(dir, { recursive: true, force: true });
});
