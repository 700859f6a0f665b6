// The server's edges, from outside (a child process, raw HTTP/1.1): the request line alone
// chooses the operation, browsers and proxies meet the gate, every bad request is a coded 4xx,
// slow and stuck clients cannot hold it, secrets stay out of `ps`, the CLI speaks in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLoyaltyBackend, memoryStorage, serve } from 'wix-loyalty-wasm';
import { startServer, runCli, send, exchange, requestText } from '../support/serve.mjs';

const JSON_TYPE = { 'content-type': 'application/json' };
const dir = mkdtempSync(join(tmpdir(), 'wix-loyalty-edges-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A coded Wix error answer: the status, and the reason in its body. */
function assertCoded(answer, status, reason) {
  assert.equal(answer.status, status, answer.raw.slice(0, 300));
  assert.equal(answer.headers['content-type'], 'application/json', answer.raw.slice(0, 300));
  assert.equal(answer.json?.details?.applicationError?.code, reason, answer.body);
}

async function programStatus(port) {
  return (await send(port, 'GET', '/loyalty-programs/v1/program')).json.loyaltyProgram.status;
}

test('the request line alone chooses the operation: a Host header holding a path is refused, and the log says what ran', async () => {
  const server = await startServer(['--scheduled-work-ms', '0']);
  try {
    assert.equal((await send(server.port, 'POST', '/loyalty-programs/v1/program/activate', JSON_TYPE, '{}')).status, 200);
    const tricked = await send(server.port, 'POST', '/loyalty-rewards/v1/rewards/query', { ...JSON_TYPE, host: 'x/loyalty-programs/v1/program/pause?' }, '{}');
    assertCoded(tricked, 400, 'MALFORMED_HOST');
    assert.equal(await programStatus(server.port), 'ACTIVE', 'the program was not paused');
    // An absolute-form target's authority stands for the Host and is checked the same way;
    // its path is the one served and logged.
    const absolute = await send(server.port, 'POST', `http://127.0.0.1:${server.port}/loyalty-rewards/v1/rewards/query`, JSON_TYPE, '{}');
    assert.equal(absolute.status, 200, absolute.body);
    assert.ok(Array.isArray(absolute.json.rewards), 'the rewards query answered');
    assertCoded(await send(server.port, 'POST', 'http://evil.example/loyalty-programs/v1/program/pause', JSON_TYPE, '{}'), 421, 'HOST_NOT_ALLOWED');
    // Dot segments would make the served path another than the one a proxy and the log see.
    assertCoded(await send(server.port, 'POST', '/loyalty-rewards/v1/../../loyalty-programs/v1/program/pause', JSON_TYPE, '{}'), 400, 'MALFORMED_PATH');
    assertCoded(await send(server.port, 'POST', '/loyalty-rewards/v1/%2e%2e/%2E%2E/loyalty-programs/v1/program/pause', JSON_TYPE, '{}'), 400, 'MALFORMED_PATH');
    // A URL parser reads a backslash as a slash.
    assertCoded(await send(server.port, 'POST', '/loyalty-rewards/v1/x/..\\..\\..\\loyalty-programs/v1/program/pause', JSON_TYPE, '{}'), 400, 'MALFORMED_PATH');
    assert.equal(await programStatus(server.port), 'ACTIVE');
    assert.equal(await server.stop(), 0);
    assert.match(server.output(), /POST \/loyalty-rewards\/v1\/rewards\/query 400 /);
    assert.doesNotMatch(server.output(), /pause 200/);
  } finally {
    server.child.kill('SIGKILL');
  }
});

test('a web page of another origin cannot act as an admin: Origin, Sec-Fetch-Site, Host and Content-Type are checked', async () => {
  const server = await startServer(['--scheduled-work-ms', '0', '--allow-origin', 'https://shop.example.com']);
  const { port } = server;
  try {
    await send(port, 'POST', '/loyalty-programs/v1/program/activate', JSON_TYPE, '{}');
    const pause = (headers) => send(port, 'POST', '/loyalty-programs/v1/program/pause', headers, '{}');
    // A plain cross-site form post, and the same from a fetch with JSON.
    assertCoded(await pause({ 'content-type': 'text/plain', origin: 'https://evil.example' }), 403, 'ORIGIN_NOT_ALLOWED');
    assertCoded(await pause({ ...JSON_TYPE, origin: 'https://evil.example' }), 403, 'ORIGIN_NOT_ALLOWED');
    assertCoded(await pause({ ...JSON_TYPE, origin: 'null' }), 403, 'ORIGIN_NOT_ALLOWED');
    assertCoded(await pause({ ...JSON_TYPE, 'sec-fetch-site': 'cross-site' }), 403, 'ORIGIN_NOT_ALLOWED');
    // DNS rebinding: the page's own origin, on a name that is not this server's.
    assertCoded(await pause({ ...JSON_TYPE, host: 'evil.example:8080', origin: 'http://evil.example:8080' }), 421, 'HOST_NOT_ALLOWED');
    // No origin (curl, the SDK from Node), but no JSON either.
    assertCoded(await pause({ 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    assertCoded(await pause({}), 415, 'UNSUPPORTED_MEDIA_TYPE');
    assertCoded(await pause({ 'content-type': 'application/json; charset=latin1' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    assertCoded(await send(port, 'POST', '/loyalty-programs/v1/program/pause', { 'content-type': 'text/plain' }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    assert.equal(await programStatus(port), 'ACTIVE', 'nothing paused the program');

    // The server's own origin (a page it serves), and an allowed one, get CORS answers.
    const own = await send(port, 'GET', '/loyalty-programs/v1/program', { origin: `http://127.0.0.1:${port}` });
    assert.equal(own.status, 200);
    assert.equal(own.headers['access-control-allow-origin'], `http://127.0.0.1:${port}`);
    const preflight = await send(port, 'OPTIONS', '/loyalty-programs/v1/program/pause', {
      origin: 'https://shop.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,wix-site-id,x-wix-bi-gateway',
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://shop.example.com');
    for (const h of ['authorization', 'content-type', 'wix-site-id', 'x-wix-bi-gateway']) assert.ok(preflight.headers['access-control-allow-headers'].split(', ').includes(h), h);
    assertCoded(await send(port, 'OPTIONS', '/loyalty-programs/v1/program/pause', { origin: 'https://evil.example' }), 403, 'ORIGIN_NOT_ALLOWED');
    const allowed = await pause({ 'content-type': 'application/json; charset=utf-8', origin: 'https://shop.example.com' });
    assert.equal(allowed.status, 200, allowed.body);
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://shop.example.com');
    assert.ok(allowed.headers['access-control-expose-headers'].split(', ').includes('x-wix-request-id'));
    assert.equal(await programStatus(port), 'PAUSED');
  } finally {
    await server.stop();
  }
});

test('without an API key, a request through a proxy is refused; with one, hosts are allowed by name', async () => {
  const keyFile = join(dir, 'keys');
  writeFileSync(keyFile, '# rotation: the old key, then the new\nold-key-0123456789\nnew-key-0123456789\n');
  const keyless = await startServer(['--scheduled-work-ms', '0']);
  const keyed = await startServer(['--scheduled-work-ms', '0', '--api-key-file', keyFile, '--allow-host', 'loyalty.example.com']);
  try {
    for (const h of ['x-forwarded-for', 'forwarded', 'x-real-ip', 'via']) {
      assertCoded(await send(keyless.port, 'GET', '/loyalty-programs/v1/program', { [h]: '203.0.113.9' }), 403, 'API_KEY_REQUIRED');
    }
    const proxied = { 'x-forwarded-for': '203.0.113.9', host: 'loyalty.example.com' };
    assertCoded(await send(keyed.port, 'GET', '/loyalty-programs/v1/program', proxied), 401, 'UNAUTHENTICATED');
    for (const key of ['old-key-0123456789', 'new-key-0123456789']) {
      assert.equal((await send(keyed.port, 'GET', '/loyalty-programs/v1/program', { ...proxied, authorization: key })).status, 200, key);
    }
    assertCoded(await send(keyed.port, 'GET', '/loyalty-programs/v1/program', { ...proxied, authorization: 'new-key-012345678' }), 401, 'UNAUTHENTICATED');
    assertCoded(await send(keyed.port, 'GET', '/loyalty-programs/v1/program', { host: 'other.example.com', authorization: 'new-key-0123456789' }), 421, 'HOST_NOT_ALLOWED');
    // The keys came from a file: they are not on the command line.
    const cmdline = readFileSync(`/proc/${keyed.child.pid}/cmdline`, 'utf8');
    assert.doesNotMatch(cmdline, /key-0123456789/);
  } finally {
    await keyless.stop();
    await keyed.stop();
  }
});

test('every request the server cannot take is a coded 4xx, never a 500 with JavaScript\'s message', async () => {
  const server = await startServer(['--scheduled-work-ms', '0']);
  const { port } = server;
  try {
    const deep = `{"query":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    assertCoded(await send(port, 'POST', '/loyalty-rewards/v1/rewards/query', JSON_TYPE, deep), 400, 'REQUEST_TOO_DEEP');
    const and = `{"query":{"filter":${'{"$and":['.repeat(5000)}{"amount":1}${']}'.repeat(5000)}}}`;
    assertCoded(await send(port, 'POST', '/loyalty-accounts/v1/accounts/query', JSON_TYPE, and), 400, 'REQUEST_TOO_DEEP');
    assertCoded(await send(port, 'GET', `/loyalty-accounts/v1/accounts/query?${'a.'.repeat(7900)}a=1`), 400, 'REQUEST_TOO_DEEP');
    assertCoded(await send(port, 'GET', '/loyalty-accounts/v1/accounts/%E0%A4%A'), 400, 'MALFORMED_PATH');
    assertCoded(await send(port, 'GET', '/loyalty-transactions/v1/loyalty-transactions/query?.r=%%%'), 400, 'MALFORMED_QUERY');
    assertCoded(await send(port, 'GET', `/loyalty-transactions/v1/loyalty-transactions/query?.r=${Buffer.from('[1]').toString('base64url')}`), 400, 'MALFORMED_QUERY');
    assertCoded(await send(port, 'GET', `/loyalty-transactions/v1/loyalty-transactions/query?.r=${Buffer.from('{"a":'.repeat(40) + '1' + '}'.repeat(40)).toString('base64url')}`), 400, 'REQUEST_TOO_DEEP');
    assertCoded(await send(port, 'GET', '/loyalty-programs/v1/program', { host: '[' }), 400, 'MALFORMED_HOST');
    assertCoded(await send(port, 'GET', '/loyalty-programs/v1/program', { host: null }), 400, 'MISSING_HOST');
    assertCoded(await send(port, 'POST', '/loyalty-accounts/v1/accounts', JSON_TYPE, '{"contactId":'), 400, 'MALFORMED_JSON');
    assertCoded(await exchange(port, 'GARBAGE\r\n\r\n'), 400, 'MALFORMED_REQUEST');
    assertCoded(await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'), 400, 'MALFORMED_REQUEST');
    assertCoded(await send(port, 'GET', '/loyalty-programs/v1/program', { x: 'a'.repeat(20_000) }), 431, 'REQUEST_HEADERS_TOO_LARGE');
    assertCoded(await send(port, 'POST', '/loyalty-accounts/v1/accounts', JSON_TYPE, 'x'.repeat(1024 * 1024 + 1)), 413, 'REQUEST_TOO_LARGE');
    assertCoded(await send(port, 'GET', '/nothing/here'), 404, 'UNKNOWN_ROUTE');
    assert.equal((await send(port, 'GET', '/loyalty-programs/v1/program')).status, 200, 'the server still answers');
  } finally {
    await server.stop();
  }
});

test('5xx answers carry the code, the reason and the request id, and leave the cause to the log', async () => {
  const lines = [];
  const trapping = createLoyaltyBackend({ storage: memoryStorage(), testing: { trapBefore: ['getLoyaltyProgram'] } });
  const failing = createLoyaltyBackend({ storage: { read: async () => { throw new Error('connect ECONNREFUSED 10.0.0.7:5432'); }, commit: async () => ({ ok: true }), scan: async () => [] } });
  const a = await serve({ loyalty: trapping, port: 0, scheduledWorkMs: 0, log: (l) => lines.push(l) });
  const b = await serve({ loyalty: failing, port: 0, scheduledWorkMs: 0, log: (l) => lines.push(l) });
  try {
    const trap = await send(a.port, 'GET', '/loyalty-programs/v1/program');
    assertCoded(trap, 500, 'WASM_TRAP');
    assert.doesNotMatch(trap.body, /unreachable|RuntimeError|forced/);
    assert.match(trap.json.details.applicationError.description, new RegExp(`request ${trap.headers['x-wix-request-id']}`));
    const down = await send(b.port, 'GET', '/loyalty-programs/v1/program');
    assertCoded(down, 503, 'STORAGE_ERROR');
    assert.doesNotMatch(down.body, /ECONNREFUSED|10\.0\.0\.7/);
    assertCoded(await send(b.port, 'GET', '/readyz'), 503, 'STORAGE_ERROR');
    assert.equal((await send(a.port, 'GET', '/readyz')).json.status, 'ready');
    assert.equal((await send(b.port, 'GET', '/healthz')).json.status, 'ok');
    assert.ok(lines.some((l) => l.includes(trap.headers['x-wix-request-id']) && /WASM_TRAP/.test(l)), 'the log has the trap');
    assert.ok(lines.some((l) => /ECONNREFUSED 10\.0\.0\.7/.test(l)), 'the log has the storage failure');
  } finally {
    await a.close();
    await b.close();
  }
});

test('a query string naming __proto__ makes a key of that name: it never reaches the server\'s Object.prototype', async () => {
  const server = await startServer(['--scheduled-work-ms', '0']);
  const { port } = server;
  try {
    await send(port, 'POST', '/loyalty-programs/v1/program/activate', JSON_TYPE, '{}');
    const created = await send(port, 'POST', '/loyalty-accounts/v1/accounts', JSON_TYPE, JSON.stringify({ contactId: '3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d' }));
    const id = created.json.account.id;
    const polluting = await send(port, 'GET', '/loyalty-accounts/v1/accounts?__proto__.amount=5&__proto__.balance=5&constructor.prototype.appId=x');
    assert.ok(polluting.status < 500, polluting.body);
    // Every request after it still reads only what it sent.
    const earned = await send(port, 'POST', `/loyalty-accounts/v1/accounts/${id}/earn-points`, JSON_TYPE, JSON.stringify({ amount: 7, appId: 'shop', idempotencyKey: 'after-proto' }));
    assert.equal(earned.status, 200, earned.body);
    assert.equal(earned.json.account.points.balance, 7);
    const missing = await send(port, 'POST', `/loyalty-accounts/v1/accounts/${id}/earn-points`, JSON_TYPE, JSON.stringify({ appId: 'shop', idempotencyKey: 'no-amount' }));
    assert.equal(missing.status, 400, 'an amount nobody sent is not found on a prototype');
  } finally {
    await server.stop();
  }
});

/** memoryStorage() whose commits take `ms` (a slow database). */
function slowCommits(ms) {
  const inner = memoryStorage();
  return {
    read: (keys) => inner.read(keys),
    scan: (request) => inner.scan(request),
    commit: async (writes) => {
      await new Promise((r) => setTimeout(r, ms));
      return inner.commit(writes);
    },
  };
}

test('an operation slower than the request timeout is answered; a client gone meanwhile is logged with the outcome', async () => {
  const lines = [];
  const loyalty = createLoyaltyBackend({ storage: slowCommits(1500) });
  const server = await serve({ loyalty, port: 0, scheduledWorkMs: 0, requestTimeoutMs: 300, headersTimeoutMs: 300, log: (l) => lines.push(l) });
  try {
    const activated = await send(server.port, 'POST', '/loyalty-programs/v1/program/activate', JSON_TYPE, '{}');
    assert.equal(activated.status, 200, activated.raw);
    const gone = holding(server.port, requestText('POST', '/loyalty-accounts/v1/accounts', JSON_TYPE, JSON.stringify({ contactId: '3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d' }), server.port));
    await gone.open;
    await new Promise((r) => setTimeout(r, 200));
    gone.socket.destroy();
    await new Promise((r) => setTimeout(r, 2000));
    assert.ok(lines.some((l) => /POST \/loyalty-accounts\/v1\/accounts aborted \(answer 200 not delivered\)/.test(l)), lines.join('\n'));
    assert.equal((await loyalty.accounts.listAccounts()).accounts.length, 1, 'the operation was applied');
  } finally {
    await server.close();
  }
});

test('a pipelined request the parser refuses does not take the answer of the one before it', async () => {
  const loyalty = createLoyaltyBackend({ storage: slowCommits(300) });
  const server = await serve({ loyalty, port: 0, scheduledWorkMs: 0, log: () => {} });
  try {
    await send(server.port, 'POST', '/loyalty-programs/v1/program/activate', JSON_TYPE, '{}');
    const body = JSON.stringify({ contactId: '3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d' });
    const first = requestText('POST', '/loyalty-accounts/v1/accounts', { ...JSON_TYPE, connection: 'keep-alive' }, body, server.port);
    const answer = await exchange(server.port, `${first}GARBAGE\r\n\r\n`);
    assert.equal(answer.status, 200, answer.raw);
    assert.equal((await loyalty.accounts.listAccounts()).accounts.length, 1);
  } finally {
    await server.close();
  }
});

test('serve() refuses API keys that are not a list of strings', async () => {
  const loyalty = createLoyaltyBackend({ storage: memoryStorage() });
  await assert.rejects(serve({ loyalty, port: 0, apiKeys: 'secret-key-1234567' }), /apiKeys must be an array/);
  await assert.rejects(serve({ loyalty, port: 0, apiKeys: [' padded-key-123456 '] }), /without spaces around it/);
  await assert.rejects(serve(undefined), /options must be an object/);
});

/** A connection that sent `text` and holds on: resolves to what came back once the server closed it. */
function holding(port, text) {
  const socket = net.connect(port, '127.0.0.1');
  let answer = '';
  socket.on('data', (d) => { answer += d; });
  socket.on('error', () => {});
  const closed = new Promise((resolve) => socket.on('close', () => resolve(answer)));
  const open = new Promise((resolve) => socket.on('connect', () => { socket.write(text); resolve(); }));
  return { socket, open, closed };
}

test('slow and stuck clients: header and body timeouts answer 408, a connection cap answers 503, SIGTERM drains within --drain-ms', async () => {
  const server = await startServer(['--scheduled-work-ms', '0', '--headers-timeout-ms', '300', '--request-timeout-ms', '600', '--max-connections', '3', '--drain-ms', '500']);
  const { port } = server;
  try {
    const noHeaders = holding(port, 'GET /loyalty-programs/v1/program HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const noBody = holding(port, requestText('POST', '/loyalty-accounts/v1/accounts', { ...JSON_TYPE, 'content-length': 100 }, '{"contactId":', port));
    assert.match(await noHeaders.closed, /^HTTP\/1\.1 408 [\s\S]*"REQUEST_TIMEOUT"/);
    assert.match(await noBody.closed, /^HTTP\/1\.1 408 [\s\S]*"REQUEST_TIMEOUT"/);

    // Three connections held open by clients that are still sending (each inside its
    // timeout): a fourth is answered 503 and closed.
    const held = [0, 1, 2].map(() => holding(port, 'GET /loyalty-programs/v1/program HTTP/1.1\r\n'));
    await Promise.all(held.map((h) => h.open));
    await new Promise((r) => setTimeout(r, 50));
    const over = await send(port, 'GET', '/loyalty-programs/v1/program');
    assertCoded(over, 503, 'TOO_MANY_CONNECTIONS');
    held.forEach((h) => h.socket.destroy());
    await Promise.all(held.map((h) => h.closed));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await send(port, 'GET', '/loyalty-programs/v1/program')).status, 200, 'a connection is taken once others closed');

    // A client that sends its headers and a little of its body, then trickles a byte at a time
    // inside every timeout but never finishes: SIGTERM does not wait for it past --drain-ms.
    const trickle = holding(port, requestText('POST', '/loyalty-programs/v1/program/activate', { ...JSON_TYPE, 'content-length': 1000 }, '{', port));
    await trickle.open;
    const drip = setInterval(() => trickle.socket.write(' '), 100);
    await new Promise((r) => setTimeout(r, 100));
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    clearInterval(drip);
    assert.equal(code, 0, server.output());
    assert.match(server.output(), /SIGTERM: finishing 1 request\(s\) in flight/);
    assert.match(server.output(), /drain: 1 request\(s\) still open after 500 ms/);
    assert.match(server.output(), /POST \/loyalty-programs\/v1\/program\/activate aborted /, 'the cut request is logged as aborted');
    assert.doesNotMatch(server.output(), /failed in the server/);
    assert.match(server.output(), /- - 408 \(REQUEST_TIMEOUT/);
  } finally {
    server.child.kill('SIGKILL');
  }
});

test('a client that goes away before its answer is logged as aborted, not as a 500', async () => {
  const server = await startServer(['--scheduled-work-ms', '0']);
  try {
    const gone = holding(server.port, requestText('POST', '/loyalty-accounts/v1/accounts', { ...JSON_TYPE, 'content-length': 100 }, '{"contactId":', server.port));
    await gone.open;
    await new Promise((r) => setTimeout(r, 100));
    gone.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(await server.stop(), 0);
    assert.match(server.output(), /POST \/loyalty-accounts\/v1\/accounts aborted /);
    assert.doesNotMatch(server.output(), / 500 |failed in the server/);
  } finally {
    server.child.kill('SIGKILL');
  }
});

test('the command line wins over the environment, and an API key is taken whole, commas and all', async () => {
  const server = await startServer(['--scheduled-work-ms', '0', '--api-key', 'abcdefgh,ij'], { env: { ...process.env, WIX_LOYALTY_API_KEY: 'from-the-environment' } });
  try {
    assertCoded(await send(server.port, 'GET', '/loyalty-programs/v1/program', { authorization: 'ij' }), 401, 'UNAUTHENTICATED');
    assertCoded(await send(server.port, 'GET', '/loyalty-programs/v1/program', { authorization: 'from-the-environment' }), 401, 'UNAUTHENTICATED');
    assert.equal((await send(server.port, 'GET', '/loyalty-programs/v1/program', { authorization: 'abcdefgh,ij' })).status, 200);
  } finally {
    await server.stop();
  }
  const minted = await runCli(['token', 'm-1', '--member-token-secret', 'a-secret-on-the-command-line'], { env: { ...process.env, WIX_LOYALTY_TOKEN_SECRET_FILE: join(dir, 'no-such-file') } });
  assert.equal(minted.code, 0, minted.output);
});

test('the CLI: each mistake is one line naming the value and the fix, exit code 2', async () => {
  const contacts = join(dir, 'contacts.json');
  writeFileSync(contacts, '[1, 2]');
  const cases = [
    [['serve', '--member-token-secret', 'short'], /at least 16 characters \(got 5\)/],
    [['serve', '--storage-timeout-ms', '0'], /--storage-timeout-ms must be a whole number of milliseconds from 1 to \d+ \(got "0"\)/],
    [['serve', '--contacts', contacts], /--contacts .* must hold an object .* \(it holds an array\)/],
    [['serve', '--storage', 'sqlite:'], /names no file: write sqlite:<file>/],
    [['serve', '--storage', 'mysql:x'], /unknown storage "mysql:x": use memory, sqlite:<file> or postgres:<connection string>/],
    [['serve', '--api-key-file', join(dir, 'missing')], /--api-key-file .*missing cannot be read: no such file/],
    [['serve', '--allow-origin', 'https://a.example/path'], /--allow-origin https:\/\/a.example\/path is not an origin/],
    [['serve', '--allow-origin', '*'], /need an API key/],
    [['serve', '--port', '70000'], /--port must be a whole number from 0 to 65535 \(got "70000"\)/],
    [['serve', '--api-key='], /--api-key is empty/],
    [['serve', '--allow-host', '--api-key-file', 'k'], /--allow-host needs a value/],
    [['serve', '--colour', 'blue'], /unknown option --colour/],
    [['token'], /token takes one member id/],
    [['token', 'm-1'], /needs the server's member-token secret/],
    [['nothing'], /unknown command nothing/],
  ];
  for (const [args, expected] of cases) {
    const { code, output } = await runCli(args, { env: { ...process.env, WIX_LOYALTY_TOKEN_SECRET: '', WIX_LOYALTY_API_KEY: '' } });
    assert.equal(code, 2, `${args.join(' ')}: ${output}`);
    assert.match(output, expected, args.join(' '));
    assert.equal(output.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${output}`);
  }
});

test('127.0.0.0/8 is loopback; `token` mints a member token the server with the same secret file accepts', async () => {
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, 'a-member-token-secret-from-a-file\n');
  const server = await startServer(['--scheduled-work-ms', '0', '--host', '127.0.0.2', '--member-token-secret-file', secretFile]);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.2:/);
    const minted = await runCli(['token', '99999999-0000-4000-8000-000000000001'], { env: { ...process.env, WIX_LOYALTY_TOKEN_SECRET_FILE: secretFile } });
    assert.equal(minted.code, 0, minted.output);
    const token = minted.output.trim();
    assert.match(token, /^wlm1\.[\w-]+\.[\w-]+$/);
    const answer = await new Promise((resolve) => {
      const socket = net.connect(server.port, '127.0.0.2');
      let text = '';
      socket.on('data', (d) => { text += d; });
      socket.on('close', () => resolve(text));
      socket.write(`GET /loyalty-accounts/v1/accounts/my-account HTTP/1.1\r\nHost: 127.0.0.2:${server.port}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
    });
    // The member is known (the token verified) and has no account: not a 401.
    assert.match(answer, /^HTTP\/1\.1 (404|428) /, answer);
  } finally {
    await server.stop();
  }
});
