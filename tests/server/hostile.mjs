// Seeded hostile HTTP requests against `serve`, and the checks every answer must pass. Used by
// tests/server/hostile.test.mjs (a fixed count per store in npm test) and scripts/hostile.mjs
// (long runs). Each request is raw HTTP/1.1 on its own connection: a method, a path, headers, a
// body and a query string, drawn from the routes of the table of operations and bent in every
// way a client (or an attacker) might: wrong verbs, broken escapes, dot segments, foreign hosts
// and origins, lying lengths, broken chunks, deep and wide JSON, lone surrogates, NULs, huge
// numbers, `__proto__`, tokens and keys that are almost right. A share of well-formed calls
// (earn, adjust, redeem, refunds of nothing, queries) keeps the ledger moving meanwhile.
//
// What must hold, for every request: an answer comes (a hang is the failure, not a slow answer)
// or the server closes a connection it could not parse after answering; no 5xx but a coded 503;
// every answer but 204 has a JSON Wix error or result body; no body carries a JavaScript error.
import { operationTable } from 'wix-loyalty-wasm';
import { rawExchange } from '../support/serve.mjs';

/** splitmix32: the same sequence for the same seed on every machine. */
export function rng(seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const below = (n) => next() % Math.max(1, n);
  return {
    next,
    below,
    chance: (percent) => below(100) < percent,
    pick: (items) => items[below(items.length)],
  };
}

/** Percent-encoding, also of text that has a lone surrogate (as the bytes WTF-8 would give it). */
function enc(text) {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

const GUID = () => '3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d';
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE', 'get', 'PROPFIND', 'CONNECT', 'G\u00e9T', 'POST /x', ''];
const STRINGS = [
  '', ' ', 'x', 'order-1', 'a'.repeat(300), '\u0000', 'a\u0000b', '\ud800', '\udfff', '\ud83d\ude00', '\uFFFD', '../..', '%00', '%%%',
  '<script>', '"', '\\', '${x}', 'null', 'undefined', '__proto__', 'constructor', '💥'.repeat(60), '\u202e', '\r\n', 'SELECT 1;--',
];
const NUMBERS = [0, -0, 1, -1, 5, 100, 1e9, -1e9, 9_999_999, 10_000_000, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 0.5, 1e-7, 123456789012];
const JSON_NUMBERS = ['1e400', '-1e400', '1E999', '0.0000000000000000000001', '00', '-', '1.', '.5', 'NaN', 'Infinity', '0x10'];
const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonx', '', 'application/json;;',
];

/** A JSON value of the kinds a field could be sent, some of them wrong. */
function value(r, depth = 0) {
  switch (r.below(depth > 3 ? 5 : 8)) {
    case 0: return r.pick(NUMBERS);
    case 1: return r.pick(STRINGS);
    case 2: return r.chance(50);
    case 3: return null;
    case 4: return r.chance(50) ? GUID() : `${r.next().toString(16).padStart(8, '0')}-0000-4000-8000-${String(r.below(1e6)).padStart(12, '0')}`;
    case 5: return Array.from({ length: r.below(4) }, () => value(r, depth + 1));
    default: {
      const o = {};
      for (let i = r.below(4); i > 0; i--) o[r.pick(FIELDS)] = value(r, depth + 1);
      return o;
    }
  }
}

const FIELDS = [
  'amount', 'balance', 'revision', 'appId', 'idempotencyKey', 'description', 'contactId', 'memberId', 'query', 'filter', 'sort',
  'cursorPaging', 'limit', 'cursor', 'search', 'expression', 'reward', 'name', 'active', 'couponReward', 'loyaltyAccountId', 'rewardId',
  'tier', 'tierDefinition', 'requiredPoints', 'programSettings', 'loyaltyProgram', 'pointDefinition', 'fieldName', 'order', '$and',
  '$or', '$not', '$gt', '$in', 'id', '_id', 'icon', '__proto__', 'constructor',
];

/** JSON text that nests `depth` levels. */
function nested(depth, r) {
  const open = r.chance(50) ? '{"a":' : '[';
  const close = open === '[' ? ']' : '}';
  return `${open.repeat(depth)}1${close.repeat(depth)}`;
}

/** A body: mostly JSON (right or wrong for the route), sometimes not JSON at all. */
function body(r, known) {
  switch (r.below(14)) {
    case 0: return '';
    case 1: return nested(r.pick([20, 33, 200, 5000, 60_000]), r);
    case 2: return `{"query":{"filter":${'{"$and":['.repeat(r.pick([10, 40, 3000]))}{"amount":1}${']}'.repeat(r.pick([10, 40, 3000]))}}}`;
    case 3: return `{"amount":${r.pick(JSON_NUMBERS)},"appId":"a","idempotencyKey":"k${r.below(50)}"}`;
    case 4: return '{"amount": 5, "appId": "a", "idempotencyKey": "\\ud800"}';
    case 5: return `{"idempotencyKey":"a\\u0000${r.below(9)}","amount":1,"appId":"a"}`;
    case 6: return Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]).toString('latin1');
    case 7: return `{"__proto__":{"amount":5,"balance":5},"constructor":{"prototype":{"x":1}},"contactId":"${GUID()}"}`;
    case 8: return `[${'1,'.repeat(r.below(2000))}1]`;
    case 9: return JSON.stringify({ query: { filter: value(r), sort: [{ fieldName: r.pick(STRINGS), order: r.pick(['ASC', 'DESC', 'UP', 1]) }], cursorPaging: { limit: r.pick(NUMBERS), cursor: r.pick(STRINGS) } } });
    case 10: return `{"a":"${'x'.repeat(r.pick([10, 70_000]))}"}`;
    case 11: return JSON.stringify(value(r));
    default: {
      // Well-formed for the earn route, against a known account (keeps the ledger moving).
      return JSON.stringify({ amount: 1 + r.below(50), appId: 'hostile', idempotencyKey: `k-${r.below(400)}`, description: r.pick(STRINGS.slice(0, 8)), accountId: r.pick(known.accounts) ?? GUID() });
    }
  }
}

/** A path: a route of the table with its parameters filled (well or badly), or something else. */
function path(r, routes, known) {
  const route = r.pick(routes);
  const param = () => {
    switch (r.below(9)) {
      case 0: return r.pick(known.accounts) ?? GUID();
      case 1: return enc(r.pick(STRINGS)).slice(0, 600);
      case 2: return r.pick(['%E0%A4%A', '%', '%zz', '%C0%AF', '%2e%2e', '..', '.', '%2F', '%00']);
      case 3: return 'x'.repeat(r.pick([1, 100, 5000]));
      case 4: return GUID().toUpperCase();
      default: return r.pick(known.accounts) ?? GUID();
    }
  };
  let p = route.path.replace(/\{[^}]+\}/g, param);
  switch (r.below(12)) {
    case 0: p = `/_api${p}`; break;
    case 1: p = p.replace(/\/v1\//, '/v1/../../'); break;
    case 2: p = `${p}/`; break;
    case 3: p = `/${p}`; break;
    case 4: p = `http://127.0.0.1${p}`; break;
    case 5: p = `http://evil.example${p}`; break;
    case 6: p = r.pick(['*', '/', '/healthz', '/readyz', '/nothing', '//x', '/\\x', 'x', `/${'a/'.repeat(3000)}`]); break;
    case 7: p = p.replace(/\/v1\//, '/v1/x/..\\..\\..\\'); break;
    default: break;
  }
  return { route, path: p };
}

/** A query string (for GETs mostly): the SDK's flattening, `.r`, and their distortions. */
function query(r) {
  switch (r.below(10)) {
    case 0: return `?${'a.'.repeat(r.pick([5, 40, 5000]))}a=1`;
    case 1: return `?.r=${r.pick(['%%%', '!!', 'e30', Buffer.from('{"query":{"filter":{"amount":{"$gt":1}}}}').toString('base64url'), Buffer.from(nested(100, r)).toString('base64url'), Buffer.from([0xff, 0xfe]).toString('base64url')])}`;
    case 2: return `?cursorPaging.limit=${r.pick(['5', '-1', '1000', 'x', '1e3', '9'.repeat(30)])}&cursorPaging.cursor=${enc(r.pick(STRINGS))}`;
    case 3: return `?contactIds=${GUID()}&contactIds=${enc(r.pick(STRINGS))}`;
    case 4: return `?contactId=${enc(r.pick(STRINGS))}&memberId=%ZZ`;
    case 5: return `?${'x=1&'.repeat(r.pick([10, 2000]))}`;
    case 6: return '?__proto__.amount=5&constructor.prototype.x=1';
    default: return '';
  }
}

const AUTH = [undefined, undefined, undefined, 'garbage', 'Bearer ', 'wlm1.', 'wlm1.abc.def', 'wlm1.' + 'a'.repeat(2000), 'Bearer wlm1.eA.x'];

/** Headers: Host, Origin, type, length, encoding, auth and proxies in every state. */
function headers(r, port, bodyText, method) {
  const h = [];
  const host = r.below(10);
  if (host < 6) h.push(['Host', `127.0.0.1:${port}`]);
  else if (host === 6) h.push(['Host', r.pick(['evil.example', '[', 'x/loyalty-programs/v1/program/pause?', 'localhost', '[::1]:1', `127.0.0.1:${port}, evil`, '', 'a'.repeat(300)])]);
  else if (host === 7) h.push(['Host', 'localhost'], ['Host', 'evil.example']);
  else if (host === 8) h.push(['Host', `LOCALHOST:${port}`]);
  // (9: no Host)
  if (r.chance(15)) h.push(['Origin', r.pick(['https://evil.example', 'null', `http://127.0.0.1:${port}`, 'http://localhost', '*', ''])]);
  if (r.chance(5)) h.push(['Sec-Fetch-Site', r.pick(['cross-site', 'same-site', 'same-origin', 'none'])]);
  if (r.chance(5)) h.push([r.pick(['X-Forwarded-For', 'Forwarded', 'Via', 'X-Real-IP']), '203.0.113.7']);
  const auth = r.pick(AUTH);
  if (auth !== undefined) h.push(['Authorization', auth]);
  if (method !== 'GET' || r.chance(10)) h.push(['Content-Type', r.chance(75) ? 'application/json' : r.pick(CONTENT_TYPES)]);
  if (r.chance(3)) h.push(['X-Big', 'a'.repeat(r.pick([100, 9000, 20_000]))]);
  // The body's framing: right, absent, lying (shorter: the rest is read as the next request on a
  // closed connection; longer: the request timeout answers), doubled, chunked (well or badly).
  let text = bodyText;
  const framing = r.below(20);
  const length = Buffer.byteLength(text, 'latin1');
  if (framing < 14) {
    if (length > 0 || r.chance(30)) h.push(['Content-Length', String(length)]);
  } else if (framing === 14) {
    h.push(['Content-Length', String(Math.max(0, length - 3))]);
  } else if (framing === 15) {
    h.push(['Content-Length', String(length + 5)]);
  } else if (framing === 16) {
    h.push(['Content-Length', String(length)], ['Content-Length', String(length + 1)]);
  } else if (framing === 17) {
    h.push(['Transfer-Encoding', 'chunked']);
    text = `${length.toString(16)}\r\n${text}\r\n0\r\n\r\n`;
  } else if (framing === 18) {
    h.push(['Transfer-Encoding', 'chunked']);
    text = `zz\r\n${text}\r\n`;
  } else {
    h.push(['Content-Length', r.pick(['-1', 'abc', '1e3', '99999999999999999999'])]);
  }
  h.push(['Connection', 'close']);
  return { lines: h, text };
}

/** A well-formed call that moves the ledger (earn, adjust, redeem, refund), or reads it. */
function wellFormed(r, known, port) {
  const account = r.pick(known.accounts);
  const calls = [
    ['POST', `/loyalty-accounts/v1/accounts/${account}/earn-points`, { amount: 1 + r.below(40), appId: 'hostile', idempotencyKey: `earn-${r.below(300)}` }],
    ['POST', `/loyalty-accounts/v1/accounts/${account}/adjust-points`, r.chance(80) ? { amount: r.pick([-3, -1, 2, 5, 11]) } : { balance: r.below(100) }],
    ['POST', '/loyalty-coupons/v1/coupons', { rewardId: r.pick(known.rewards) ?? GUID(), loyaltyAccountId: account, idempotencyKey: `redeem-${r.below(100)}` }],
    ['GET', `/loyalty-accounts/v1/accounts/${account}`, null],
    ['POST', '/loyalty-transactions/v1/loyalty-transactions/query', { query: { filter: { accountId: account }, cursorPaging: { limit: 5 } } }],
  ];
  const [method, target, payload] = r.pick(calls);
  const text = payload === null ? '' : JSON.stringify(payload);
  const head = [`Host: 127.0.0.1:${port}`, 'Connection: close', ...(text ? ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(text)}`] : [])];
  return { raw: `${method} ${target} HTTP/1.1\r\n${head.join('\r\n')}\r\n\r\n${text}`, head: false, summary: `${method} ${target} (well-formed)` };
}

/** One hostile request: `{ raw (latin1 text), head (a HEAD request), summary }`. */
export function hostileRequest(r, routes, known, port) {
  if (r.chance(15)) return wellFormed(r, known, port);
  if (r.chance(2)) {
    const raw = r.pick(['GARBAGE\r\n\r\n', 'GET\r\n\r\n', `GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n`, '\r\n\r\n', 'GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\n\r\n`]);
    return { raw, summary: JSON.stringify(raw.slice(0, 60)) };
  }
  const { route, path: p } = path(r, routes, known);
  const method = r.chance(80) ? route.verb : r.pick(METHODS);
  const bodyText = method === 'GET' || method === 'HEAD' ? (r.chance(10) ? body(r, known) : '') : body(r, known);
  const q = method === 'GET' || r.chance(10) ? query(r) : '';
  const { lines, text } = headers(r, port, bodyText, method);
  const raw = `${method} ${p}${q} HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${text}`;
  return { raw, head: method === 'HEAD', summary: `${method} ${p.slice(0, 80)}${q.slice(0, 40)} [${lines.map(([k]) => k).join(',')}] body ${text.length}B` };
}

/** Sends `raw` on a fresh connection: the answer's text, and whether none came within `boundMs`. */
export async function deliver(port, raw, boundMs) {
  const { text, closed } = await rawExchange(port, raw, boundMs);
  return { text, hung: !closed };
}

const JS_LEAKS = /TypeError|RangeError|SyntaxError: (?!Unexpected|Bad control|Expected|Unterminated|Bad escaped|Exponent|No number)|ReferenceError|Maximum call stack|is not a function|Cannot read propert|at [\w$.<>]+ \(|node:internal|\.js:\d+:\d+/;

/**
 * What is wrong with an answer, or null. A 5xx is a failure but a coded 503 (the storage) and a
 * coded 501 NOT_IMPLEMENTED (a method this version does not implement yet, as documented); an
 * answer to HEAD has no body.
 */
export function judge(answer, head = false) {
  if (answer.hung) return 'no answer within the liveness bound (a hang)';
  const text = answer.text;
  if (text === '') return 'the connection closed without an answer';
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  if (!m) return `not an HTTP answer: ${JSON.stringify(text.slice(0, 80))}`;
  const status = Number(m[1]);
  const end = text.indexOf('\r\n\r\n');
  const headers = text.slice(0, end).toLowerCase();
  const isHead = head;
  let payload = text.slice(end + 4);
  if (headers.includes('transfer-encoding: chunked')) payload = payload.replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n0\r\n\r\n$/, '');
  if (JS_LEAKS.test(payload)) return `a JavaScript error in the body: ${payload.slice(0, 200)}`;
  if (status >= 500 && status !== 503 && !(status === 501 && /"code":"NOT_IMPLEMENTED"/.test(payload))) return `status ${status}: ${payload.slice(0, 200)}`;
  if (status === 204 || (isHead && payload === '')) return null;
  if (payload === '') return `status ${status} without a body`;
  let json;
  try {
    json = JSON.parse(payload);
  } catch {
    return `status ${status} with a body that is not JSON: ${payload.slice(0, 120)}`;
  }
  if (status >= 400) {
    const code = json?.details?.applicationError?.code ?? json?.details?.validationError?.fieldViolations?.[0]?.ruleName;
    if (typeof json?.message !== 'string' || typeof code !== 'string') return `status ${status} without a coded Wix error: ${payload.slice(0, 200)}`;
    if (status === 503 && json.message !== 'UNAVAILABLE') return `503 that is not UNAVAILABLE: ${payload.slice(0, 200)}`;
  }
  return null;
}

/** The routes of the table that have a REST path. */
export function routes() {
  return operationTable().operations.filter((o) => o.rest).map((o) => ({ verb: o.rest.verb, path: o.rest.path, name: o.name }));
}

/**
 * Runs `count` hostile requests from `seed` against the server on `port`, `concurrency` at a
 * time; `known.accounts` are account ids to aim at. Resolves to `{ sent, statuses, failures }`.
 */
export async function runHostile({ port, seed, count, concurrency = 4, boundMs = 20_000, known, onProgress }) {
  const r = rng(seed);
  const all = routes();
  const statuses = {};
  const failures = [];
  let next = 0;
  let sent = 0;
  async function worker() {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const request = hostileRequest(r, all, known, port);
      const answer = await deliver(port, request.raw, boundMs);
      sent++;
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer.text)?.[1] ?? (answer.hung ? 'hung' : 'closed');
      statuses[status] = (statuses[status] ?? 0) + 1;
      const problem = judge(answer, request.head);
      if (problem && failures.length < 20) failures.push({ i, problem, request: request.summary, raw: request.raw.slice(0, 400) });
      if (onProgress && sent % 1000 === 0) onProgress(sent, statuses);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { sent, statuses, failures };
}

/**
 * A whole run on one store: `serve()` over `storage` (in this process, so that the store can be
 * audited after), a program with accounts and a reward made through HTTP, `count` hostile
 * requests, then the checks after: the server answers, a well-formed earn still credits, and
 * `verify()` finds every balance equal to its ledger and every index whole.
 */
export async function hostileRun({ storage, seed, count, concurrency = 4, onProgress, log = () => {} }) {
  const { createLoyaltyBackend, serve } = await import('wix-loyalty-wasm');
  const loyalty = createLoyaltyBackend({ storage });
  const server = await serve({ loyalty, port: 0, scheduledWorkMs: 0, headersTimeoutMs: 1000, requestTimeoutMs: 1500, drainMs: 2000, log });
  const call = async (method, path, payload) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: payload === undefined ? undefined : JSON.stringify(payload) });
    return { status: res.status, json: await res.json() };
  };
  try {
    await call('POST', '/loyalty-programs/v1/program/activate', {});
    const known = { accounts: [] };
    for (let i = 0; i < 20; i++) {
      const contactId = `aaaaaaaa-0000-4000-8000-${String(seed % 1000).padStart(4, '0')}${String(i).padStart(8, '0')}`;
      const created = await call('POST', '/loyalty-accounts/v1/accounts', { contactId });
      if (created.status === 200) known.accounts.push(created.json.account.id);
      else if (created.json?.details?.applicationError?.data?.accountId) known.accounts.push(created.json.details.applicationError.data.accountId);
    }
    const reward = await call('POST', '/loyalty-rewards/v1/rewards', { reward: { name: `r${seed}`, active: true, couponReward: { percentage: { configsByTier: [{ costInPoints: 5, percentage: 10 }] } } } });
    known.rewards = reward.status === 200 ? [reward.json.reward.id] : [];
    const result = await runHostile({ port: server.port, seed, count, concurrency, known, onProgress });
    const health = await call('GET', '/healthz');
    // (A hostile request may well have paused the program: a well-formed one activates it.)
    const activated = await call('POST', '/loyalty-programs/v1/program/activate', {});
    const account = known.accounts[0];
    const before = (await call('GET', `/loyalty-accounts/v1/accounts/${account}`)).json.account.points.balance;
    const earned = await call('POST', `/loyalty-accounts/v1/accounts/${account}/earn-points`, { amount: 7, appId: 'after', idempotencyKey: `after-${seed}-${Date.now()}` });
    const report = await loyalty.verify();
    return {
      ...result,
      alive: health.status === 200 && activated.status === 200 && earned.status === 200 && earned.json.account.points.balance === before + 7,
      after: { health: health.status, activated: activated.status, earned: earned.status === 200 ? earned.json.account.points.balance - before : earned.json },
      verify: { ok: report.ok, discrepancies: report.discrepancies.slice(0, 5), accounts: report.counts.accounts, transactions: report.counts.transactions },
    };
  } finally {
    await server.close();
  }
}
