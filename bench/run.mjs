// npm run bench [-- --check | --quick]
//
// Every figure is measured next to its baseline in the same run and reported as an absolute
// value and as a ratio: the engine against a hand-written plain-JS implementation over the
// same storage (bench/plain.mjs), and, on PostgreSQL, against hand-written pg code
// (bench/pg-baseline.mjs). Writes bench/results.json and prints a table; a full run then renders
// the figures of the docs from it (scripts/render-docs.mjs), so that they quote this run.
//
//   --quick   short measurements, smaller scaling sizes (the docs are not rendered)
//   --check   --quick, then enforce the budgets (ratios only; a missed ratio is measured up to
//             four more times and the best counts) and exit 1 if one fails
// A full run (neither flag) also builds the boundary measurement (feature boundary-bench of the
// crate: serde-wasm-bindgen and an async export, next to what the package does).
//
// Needs WIX_LOYALTY_PG_URL (scripts/with-postgres.sh starts a private PostgreSQL) and
// node --expose-gc (for memory per account); `npm run bench` arranges both.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { createClient } from '@wix/sdk';
import { accounts as sdkAccounts, transactions as sdkTransactions } from '@wix/loyalty';
import { createLoyaltyBackend, memoryStorage, createWixFetch } from 'wix-loyalty-wasm';
import { fill, guid } from './fill.mjs';
import { postgresStorage } from 'wix-loyalty-wasm/storage/postgres';
import { sqliteStorage } from 'wix-loyalty-wasm/storage/sqlite';
import { createPlainLoyalty } from './plain.mjs';
import { createPgBaseline } from './pg-baseline.mjs';
import { renderDocs } from '../scripts/render-docs.mjs';
import { collect, measure as measureFor, measureBoth as measureBothFor, nextRun, operations, subject as subjectOf } from './measure.mjs';

const args = process.argv.slice(2);
const CHECK = args.includes('--check');
const QUICK = CHECK || args.includes('--quick');
const MS = QUICK ? 400 : 2000;
/** The budget of the events outbox: a balance change with it ÷ without, on PostgreSQL. */
const OUTBOX_FLOOR = 0.7;
const SIZES = QUICK ? [1_000, 20_000] : [1_000, 100_000, 1_000_000];
const PG_URL = process.env.WIX_LOYALTY_PG_URL;
const root = fileURLToPath(new URL('..', import.meta.url));
const results = { date: new Date().toISOString(), mode: CHECK ? 'check' : QUICK ? 'quick' : 'full', node: process.version, figures: {} };
const say = (s) => process.stdout.write(`${s}\n`);

const measure = (op, callers, ms = MS) => measureFor(op, callers, ms);
const measureBoth = (opA, opB, callers, ms = MS, rounds = 3) => measureBothFor(opA, opB, callers, ms, rounds);
const subject = (kind, storage, callers, setup, options) => subjectOf(kind, storage, callers, setup, options, { createLoyaltyBackend });

if (!PG_URL) throw new Error('WIX_LOYALTY_PG_URL is not set: run through `npm run bench` (scripts/with-postgres.sh)');
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

/** The engine's internal face (js/engine.js INTERNAL): `call` answers JSON text. */
const INTERNAL = Symbol.for('wix-loyalty-wasm.internal');

const OPS = ['createAccount', 'earnPoints', 'adjustPoints', 'getAccount', 'queryPage', 'redeemPointsForCoupon'];
const MUTATIONS = ['createAccount', 'earnPoints', 'adjustPoints', 'redeemPointsForCoupon'];

/**
 * Engine and baseline, op by op, alternating so that both see the same machine. With `fresh`,
 * each operation gets new subjects after a full collection: in-memory subjects keep everything
 * on the JS heap (the tight baseline's Maps hold every account created while createAccount was
 * measured), and every later measurement of either side would pay for marking it.
 */
const configs = {};
async function compare(label, makeEngine, makeBaseline, callers, { fresh = false } = {}) {
  configs[label] = { makeEngine, makeBaseline, callers };
  let engine = await makeEngine(callers);
  let baseline = await makeBaseline(callers);
  const rows = {};
  for (const op of OPS) {
    if (fresh && op !== OPS[0]) {
      engine = baseline = null;
      await collect();
      engine = await makeEngine(callers);
      baseline = await makeBaseline(callers);
    }
    const [e, b] = await measureBoth(engine[op], baseline[op], callers);
    rows[op] = { engine: e, baseline: b, ratio: +(e.opsPerSec / b.opsPerSec).toFixed(3) };
  }
  results.figures[label] = rows;
  return rows;
}

function table(title, rows, baselineName) {
  say(`\n${title}`);
  say(`  ${'operation'.padEnd(14)} ${'engine ops/s'.padStart(12)} ${'p50 µs'.padStart(8)} ${'p99 µs'.padStart(8)}   ${(baselineName + ' ops/s').padStart(16)} ${'p50 µs'.padStart(8)} ${'p99 µs'.padStart(8)}   ratio`);
  for (const [op, r] of Object.entries(rows)) {
    say(`  ${op.padEnd(14)} ${String(r.engine.opsPerSec).padStart(12)} ${String(r.engine.p50us).padStart(8)} ${String(r.engine.p99us).padStart(8)}   ${String(r.baseline.opsPerSec).padStart(16)} ${String(r.baseline.p50us).padStart(8)} ${String(r.baseline.p99us).padStart(8)}   ${r.ratio.toFixed(3)}`);
  }
}

// ------------------------------------------------------------------ memory storage
// The engine on its default store against the tight plain-JS baseline (bench/tight.mjs: its
// own Maps, no encoding); a full run also shows plain JS over the storage contract
// (bench/plain.mjs over memoryStorage()) against the same tight baseline.
for (const callers of [1, 32]) {
  const rows = await compare(`memory, ${callers} caller(s)`, (n) => subject('engine', memoryStorage(), n), (n) => subject('tight', null, n), callers, { fresh: true });
  table(`memoryStorage(), ${callers} concurrent caller(s): engine vs tight plain JS`, rows, 'tight JS');
  if (!QUICK) {
    const plain = await compare(`plain JS over memoryStorage(), ${callers} caller(s)`, (n) => subject('plain', memoryStorage(), n), (n) => subject('tight', null, n), callers, { fresh: true });
    table(`plain JS over memoryStorage(), ${callers} concurrent caller(s) vs tight plain JS`, plain, 'tight JS');
  }
}

// Where an operation's time goes on the default store, 1 caller: the whole call; the engine's
// call without building the answer (INTERNAL.call: the JS face, the boundary, the rules and the
// store in wasm, answering JSON text); the module alone (INTERNAL.wasmRun: arguments in, the
// rules and the store, the journal kept, the answer's text out); and building the answer from
// that text (parse, Dates).
{
  const loyalty = createLoyaltyBackend({ storage: memoryStorage() });
  await loyalty.programs.activateLoyaltyProgram();
  const { call, wasmRun } = loyalty[INTERNAL];
  const coupons = { createReward: (r) => loyalty.rewards.createReward(r), redeem: (rewardId, id) => loyalty.coupons.redeemPointsForCoupon(rewardId, { loyaltyAccountId: id }) };
  const api = await operations(loyalty.accounts, (id) => loyalty.transactions.queryLoyaltyTransactions().eq('accountId', id).limit(50).find(), 1, coupons);
  const run = nextRun();
  const { account } = await loyalty.accounts.createAccount(guid(run, 1));
  for (let k = 0; k < 60; k++) await loyalty.accounts.adjustPoints(account._id, { amount: 1 });
  await loyalty.accounts.adjustPoints(account._id, { amount: 1_000_000 });
  const reward = await loyalty.rewards.createReward({ name: 'Bench', active: true, couponReward: { freeShipping: { configsByTier: [{ costInPoints: 1 }] } } });
  let created = 0;
  const argsOf = {
    createAccount: () => ['createAccount', [guid(run + 70_000, created++)]],
    earnPoints: (i) => ['earnPoints', [account._id, { amount: 1, appId: 'bench', idempotencyKey: `raw-${run}-${i}` }]],
    adjustPoints: () => ['adjustPoints', [account._id, { amount: 1 }]],
    getAccount: () => ['getAccount', [account._id]],
    queryPage: () => ['queryLoyaltyTransactions', [{ filter: { accountId: account._id }, cursorPaging: { limit: 50 } }]],
    redeemPointsForCoupon: () => ['redeemPointsForCoupon', [reward._id, { loyaltyAccountId: account._id }]],
  };
  let i = 0;
  const us = (m) => 1e6 / m.opsPerSec;
  const rows = {};
  for (const op of OPS) {
    globalThis.gc();
    const whole = us(await measure(api[op], 1));
    const engine = us(await measure(() => call(...argsOf[op](i++)), 1));
    const module = us(await measure(() => { wasmRun(...argsOf[op](i++)); }, 1));
    const answer = await call(...argsOf[op](i++));
    const parse = us(await measure(() => { JSON.parse(answer); }, 1));
    rows[op] = {
      wholeUs: +whole.toFixed(2),
      engineCallUs: +engine.toFixed(2),
      wasmUs: +module.toFixed(2),
      jsFaceUs: +Math.max(0, engine - module).toFixed(2),
      answerUs: +Math.max(0, whole - engine).toFixed(2),
      jsonParseUs: +parse.toFixed(2),
    };
  }
  results.figures['default store breakdown'] = rows;
  say('\nwhere the time goes on memoryStorage(), 1 caller (µs per operation)');
  say(`  ${'operation'.padEnd(14)} ${'whole call'.padStart(10)} ${'in wasm'.padStart(8)} ${'JS face'.padStart(8)} ${'answer built'.padStart(13)} ${'(of it JSON.parse)'.padStart(19)}`);
  for (const [op, r] of Object.entries(rows)) {
    say(`  ${op.padEnd(14)} ${r.wholeUs.toFixed(1).padStart(10)} ${r.wasmUs.toFixed(1).padStart(8)} ${r.jsFaceUs.toFixed(1).padStart(8)} ${r.answerUs.toFixed(1).padStart(13)} ${r.jsonParseUs.toFixed(1).padStart(19)}`);
  }
  say('  (in wasm: arguments in, the rules, the store and its journal, the answer text out; JS face: the clock, ids, the call and its bookkeeping; answer built: parsing it into objects with Dates)');
}

// ------------------------------------------------------------------ the official SDK's path
// The same calls through @wix/sdk's createClient and createWixFetch (in-process): the SDK's
// request building and response conversion, the routing, the renames and date conversions both
// ways, next to the direct API. A third column runs the SDK over a fetch that replays a recorded
// answer: the SDK's own cost, which no server can remove.
{
  const loyalty = createLoyaltyBackend({ storage: memoryStorage() });
  await loyalty.programs.activateLoyaltyProgram();
  const wixFetch = createWixFetch(loyalty);
  const recorded = new Map();
  const replay = async (input, init = {}) => {
    // Keyed by verb and path, read without building a Request (the SDK passes a URL and init).
    const key = `${init.method ?? input.method ?? 'GET'} ${new URL(input.url ?? String(input)).pathname}`;
    if (!recorded.has(key)) {
      const r = await wixFetch(input, init);
      recorded.set(key, { status: r.status, headers: [...r.headers], body: await r.text() });
    }
    const { status, headers, body } = recorded.get(key);
    return new Response(body, { status, headers });
  };
  const auth = { getAuthHeaders: async () => ({ headers: {} }) };
  const clientOver = (fetch) => createClient({ modules: { accounts: sdkAccounts, transactions: sdkTransactions }, auth, fetch });
  const page = (t) => (id) => t.queryLoyaltyTransactions().eq('accountId', id).limit(50).find();
  const direct = await operations(loyalty.accounts, page(loyalty.transactions), 1);
  const sdk = clientOver(wixFetch);
  const viaSdk = await operations(sdk.accounts, page(sdk.transactions), 1);
  const canned = clientOver(replay);
  const viaReplay = await operations(canned.accounts, page(canned.transactions), 1);
  const rows = {};
  for (const op of ['adjustPoints', 'getAccount', 'queryPage']) {
    const d = await measure(direct[op], 1);
    const k = await measure(viaSdk[op], 1);
    const r = await measure(viaReplay[op], 1);
    rows[op] = { direct: d, sdk: k, sdkOverReplay: r, ratio: +(k.opsPerSec / d.opsPerSec).toFixed(2) };
  }
  results.figures['official SDK path'] = rows;
  say('\nthe official SDK through createWixFetch (in-process), 1 caller: SDK vs direct API');
  say(`  ${'operation'.padEnd(14)} ${'direct ops/s'.padStart(12)} ${'p50 µs'.padStart(8)}   ${'SDK ops/s'.padStart(10)} ${'p50 µs'.padStart(8)}   ${'SDK ÷ direct'.padStart(12)}   ${'SDK, replayed answer: p50 µs'.padStart(28)}`);
  for (const [op, r] of Object.entries(rows)) {
    say(`  ${op.padEnd(14)} ${String(r.direct.opsPerSec).padStart(12)} ${String(r.direct.p50us).padStart(8)}   ${String(r.sdk.opsPerSec).padStart(10)} ${String(r.sdk.p50us).padStart(8)}   ${r.ratio.toFixed(2).padStart(12)}   ${String(r.sdkOverReplay.p50us).padStart(28)}`);
  }
}

// ------------------------------------------------------------------ the boundary
// What decided the design of the boundary, measured here in the same run: arguments converted
// by the hand-written walker against serde-wasm-bindgen, and the synchronous steps the JS face
// drives against one async export that awaits the storage's promises (wasm-bindgen-futures).
if (!QUICK) {
  const target = join(root, 'target', 'bench');
  execFileSync('cargo', ['build', '--lib', '--release', '--target', 'wasm32-unknown-unknown', '--features', 'boundary-bench', '--target-dir', target], { cwd: root, stdio: 'ignore' });
  execFileSync('wasm-bindgen', [join(target, 'wasm32-unknown-unknown', 'release', 'wix_loyalty_wasm.wasm'), '--target', 'nodejs', '--out-dir', join(target, 'pkg')], { cwd: root, stdio: 'ignore' });
  writeFileSync(join(target, 'pkg', 'package.json'), '{ "type": "commonjs" }\n'); // the glue is CommonJS; the project's package.json says module
  const b = createRequire(import.meta.url)(join(target, 'pkg', 'wix_loyalty_wasm.js'));
  const options = { amount: 1, appId: 'shop', idempotencyKey: 'order-1001', description: 'Latte and croissant', activityType: 'purchase', orderId: 'o-1001', followedSocialMedia: { channel: 'FACEBOOK' }, revision: '12', balance: null, extra: [1, 2, 3] };
  const filter = { filter: { $and: [{ accountId: '3f2d5b8e-1c4a-4f0e-9b7d-2a6c8e0f1b3d' }, { amount: { $gte: 5, $lt: 100 } }, { transactionType: { $in: ['EARN', 'ADJUST'] } }] }, sort: [{ fieldName: '_createdDate', order: 'DESC' }], cursorPaging: { limit: 50 } };
  const perCall = (f, n = QUICK ? 20_000 : 200_000) => {
    for (let i = 0; i < n / 10; i++) f();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f();
    return +(((performance.now() - t0) * 1e6) / n).toFixed(0);
  };
  const conversion = {
    options: { walkerNs: perCall(() => b.benchWalk(options)), serdeNs: perCall(() => b.benchSerde(options)) },
    query: { walkerNs: perCall(() => b.benchWalk(filter)), serdeNs: perCall(() => b.benchSerde(filter)) },
  };
  // One operation both ways over the same memoryStorage, results parsed as JSON by both.
  const storage = memoryStorage();
  const loyalty = createLoyaltyBackend({ storage });
  await loyalty.programs.activateLoyaltyProgram();
  const run = nextRun();
  const { account } = await loyalty.accounts.createAccount(guid(run, 1));
  const call = loyalty[Symbol.for('wix-loyalty-wasm.internal')].call;
  const steps = {
    adjustPoints: async () => JSON.parse(await call('adjustPoints', [account._id, { amount: 1 }])),
    getAccount: async () => JSON.parse(await call('getAccount', [account._id])),
  };
  const asyncExport = {
    adjustPoints: async () => JSON.parse(await b.benchAsyncRun(storage, 'adjustPoints', [account._id, { amount: 1 }], Date.now(), [randomUUID()])),
    getAccount: async () => JSON.parse(await b.benchAsyncRun(storage, 'getAccount', [account._id], Date.now(), [])),
  };
  const exports = {};
  for (const op of Object.keys(steps)) {
    const s2 = await measure(steps[op], 1);
    const a = await measure(asyncExport[op], 1);
    exports[op] = { syncSteps: s2, asyncExport: a, ratio: +(a.opsPerSec / s2.opsPerSec).toFixed(2) };
  }
  results.figures.boundary = { conversion, exports };
  say('\nthe boundary: the package\'s design next to the alternatives, in this run');
  for (const [what, c] of Object.entries(conversion)) {
    say(`  converting ${what === 'options' ? 'a 10-field options object' : 'a query with a filter'}: hand-written walker ${c.walkerNs} ns, serde-wasm-bindgen ${c.serdeNs} ns (${(c.serdeNs / c.walkerNs).toFixed(2)}×)`);
  }
  for (const [op, r] of Object.entries(exports)) {
    say(`  ${op}: synchronous steps ${r.syncSteps.opsPerSec} ops/s (p50 ${r.syncSteps.p50us} µs), one async export ${r.asyncExport.opsPerSec} ops/s (p50 ${r.asyncExport.p50us} µs): ${r.ratio}×`);
  }
}

// ------------------------------------------------------------------ storage calls per operation
{
  const counts = { read: 0, commit: 0, scan: 0 };
  const base = memoryStorage();
  const storage = {
    read: (k) => { counts.read++; return base.read(k); },
    commit: (w) => { counts.commit++; return base.commit(w); },
    scan: (r) => { counts.scan++; return base.scan(r); },
  };
  const s = await subject('engine', storage, 1);
  const per = {};
  for (const op of OPS) {
    Object.assign(counts, { read: 0, commit: 0, scan: 0 });
    for (let i = 0; i < 100; i++) await s[op](0, i);
    per[op] = { read: counts.read / 100, commit: counts.commit / 100, scan: counts.scan / 100, roundTrips: (counts.read + counts.commit + counts.scan) / 100 };
  }
  results.figures['storage calls per operation'] = per;
  say('\nstorage calls per operation (engine, memoryStorage)');
  for (const [op, c] of Object.entries(per)) say(`  ${op.padEnd(14)} read ${c.read}  commit ${c.commit}  scan ${c.scan}  round trips ${c.roundTrips}`);
}

// ------------------------------------------------------------------ PostgreSQL
{
  let n = 0;
  const pgEngine = (callers) => subject('engine', postgresStorage({ connectionString: PG_URL, table: `bench_kv_${process.pid}_${++n}`, poolSize: Math.max(callers, 4) }), callers);
  const pgBase = async (callers) => {
    const b = await createPgBaseline({ connectionString: PG_URL, prefix: `bench_pg_${process.pid}_${++n}`, poolSize: Math.max(callers, 4) });
    return operations(b, (id) => b.queryLoyaltyTransactions(id, 50), callers, { createReward: (r) => b.createReward(r), redeem: (rewardId, id) => b.redeemPointsForCoupon(rewardId, { loyaltyAccountId: id }) });
  };
  for (const callers of [1, 8, 32]) {
    const rows = await compare(`postgres, ${callers} caller(s)`, pgEngine, pgBase, callers);
    table(`PostgreSQL (loopback), ${callers} concurrent caller(s): engine vs hand-written pg`, rows, 'pg by hand');
  }
  // The events outbox: while somebody listens, each change's events are written in its commit and
  // marked delivered afterwards (marks in batches). Its cost: the same listener without it.
  const pgWith = (callers, options) => subject('engine', postgresStorage({ connectionString: PG_URL, table: `bench_kv_${process.pid}_${++n}`, poolSize: Math.max(callers, 4) }), callers, async () => {}, options);
  const outbox = {};
  say('\nwhat the events outbox costs a balance change (PostgreSQL, a listener either way)');
  for (const callers of [1, 8]) {
    for (const op of ['earnPoints', 'adjustPoints']) {
      const on = (await pgWith(callers, { onEvent: () => {} }))[op];
      const off = (await pgWith(callers, { onEvent: () => {}, outbox: false }))[op];
      // In --check mode a ratio under its budget is measured again (as the ratio budgets below are).
      for (let tries = 0; tries < (CHECK ? 4 : 1); tries++) {
        const [a, b] = await measureBoth(on, off, callers, (tries ? 3 : 1) * MS);
        const ratio = +(a.opsPerSec / b.opsPerSec).toFixed(3);
        if (ratio > (outbox[`${op}, ${callers} caller(s)`]?.ratio ?? -1)) outbox[`${op}, ${callers} caller(s)`] = { withOutbox: a, withoutOutbox: b, ratio };
        if (ratio >= OUTBOX_FLOOR) break;
      }
      const { withOutbox: a, withoutOutbox: b } = outbox[`${op}, ${callers} caller(s)`];
      say(`  ${op.padEnd(14)} ${callers} caller(s): with ${a.opsPerSec} ops/s, without ${b.opsPerSec} ops/s: ${outbox[`${op}, ${callers} caller(s)`].ratio}×`);
    }
  }
  results.figures['outbox cost'] = outbox;
}

// ------------------------------------------------------------------ SQLite: its own thread or the caller's
// sqliteStorage() runs the database in a worker thread (the event loop stays free while a commit
// syncs); `thread: false` runs it on the calling thread, as releases before did. What the thread
// costs or saves, on the same machine in the same run (files in a temporary directory).
{
  const dir = mkdtempSync(join(tmpdir(), 'wix-loyalty-bench-sqlite-'));
  let n = 0;
  const opened = [];
  const sqliteEngine = (thread) => (callers) => {
    const storage = sqliteStorage({ path: join(dir, `db-${++n}.sqlite`), thread });
    opened.push(storage);
    return subject('engine', storage, callers);
  };
  for (const callers of [1, 8]) {
    const rows = {};
    for (const op of ['earnPoints', 'adjustPoints', 'getAccount']) {
      const [a, b] = await measureBoth((await sqliteEngine(true)(callers))[op], (await sqliteEngine(false)(callers))[op], callers);
      rows[op] = { ownThread: a, callingThread: b, ratio: +(a.opsPerSec / b.opsPerSec).toFixed(3) };
    }
    results.figures[`sqlite thread, ${callers} caller(s)`] = rows;
    say(`\nSQLite in its own thread ÷ on the calling thread, ${callers} caller(s)`);
    for (const [op, r] of Object.entries(rows)) say(`  ${op.padEnd(14)} own thread ${r.ownThread.opsPerSec} ops/s (p99 ${r.ownThread.p99us} µs), calling thread ${r.callingThread.opsPerSec} ops/s (p99 ${r.callingThread.p99us} µs): ${r.ratio}×`);
  }
  for (const s of opened) await s.close();
  rmSync(dir, { recursive: true, force: true });
}

// ------------------------------------------------------------------ scaling
await collect(); // the stores measured above give their memory back before 1M accounts arrive
{
  const scaling = {};
  say('\nscaling (memoryStorage): the store holds N accounts');
  say(`  ${'accounts'.padStart(9)} ${'adjust ops/s'.padStart(13)} ${'plain JS adjust ops/s'.padStart(22)} ${'ratio'.padStart(6)} ${'listAccounts page µs'.padStart(21)} ${'query page µs'.padStart(14)} ${'getProgramTotals ms'.padStart(20)} ${'fill s'.padStart(7)}`);
  for (const size of SIZES) {
    // The previous size's store gives its wasm memory back (a finalizer frees it) before this one
    // fills: stores of 100k and 1M accounts at once come near the 4 GiB a wasm memory can hold.
    await collect();
    const storage = memoryStorage();
    const loyalty = createLoyaltyBackend({ storage });
    await loyalty.programs.activateLoyaltyProgram();
    const { account: template } = await loyalty.accounts.createAccount(guid(7, 0));
    for (let k = 0; k < 60; k++) await loyalty.accounts.adjustPoints(template._id, { amount: 1 });
    const [record] = await storage.read([`acct/${template._id}`]);
    const { ids, seconds: filled } = await fill(storage, record, template, size);
    // The plain-JS baseline adjusting the same accounts of the same store: what the store costs.
    // Both are warmed up after a full collection, so that neither pays for the fill's garbage.
    const plain = createPlainLoyalty({ storage });
    const engineAdjust = (c, i) => loyalty.accounts.adjustPoints(ids[i % ids.length], { amount: 1 });
    const baselineAdjust = (c, i) => plain.adjustPoints(ids[i % ids.length], { amount: 1 });
    globalThis.gc();
    for (let i = 0; i < 3000; i++) await engineAdjust(0, i);
    for (let i = 0; i < 3000; i++) await baselineAdjust(0, i);
    const adjust = await measure(engineAdjust, 1);
    const plainAdjust = await measure(baselineAdjust, 1);
    const list = await measure(() => loyalty.accounts.listAccounts({ cursorPaging: { limit: 50 } }), 1);
    const query = await measure(() => loyalty.transactions.queryLoyaltyTransactions().eq('accountId', template._id).limit(50).find(), 1);
    const ratio = +(adjust.opsPerSec / plainAdjust.opsPerSec).toFixed(2);
    // One scan of every account: the best of three calls.
    let totalsMs = Infinity;
    for (let k = 0; k < 3; k++) {
      const t = performance.now();
      const { points } = await loyalty.accounts.getProgramTotals();
      totalsMs = Math.min(totalsMs, performance.now() - t);
      if (points.earned < 0) throw new Error('impossible totals');
    }
    scaling[size] = { adjustOpsPerSec: adjust.opsPerSec, plainAdjustOpsPerSec: plainAdjust.opsPerSec, ratio, listAccountsPageP50us: list.p50us, queryPageP50us: query.p50us, programTotalsMs: +totalsMs.toFixed(1), fillSeconds: +filled.toFixed(1) };
    say(`  ${String(size).padStart(9)} ${String(adjust.opsPerSec).padStart(13)} ${String(plainAdjust.opsPerSec).padStart(22)} ${ratio.toFixed(2).padStart(6)} ${String(list.p50us).padStart(21)} ${String(query.p50us).padStart(14)} ${totalsMs.toFixed(1).padStart(20)} ${filled.toFixed(1).padStart(7)}`);
  }
  const sizes = Object.keys(scaling);
  const first = scaling[sizes[0]];
  const last = scaling[sizes[sizes.length - 1]];
  results.figures.scaling = { ...scaling, adjustRatioLargestToSmallest: +(last.adjustOpsPerSec / first.adjustOpsPerSec).toFixed(2) };
  say(`  adjust ops/s at ${sizes[sizes.length - 1]} accounts ÷ at ${sizes[0]}: ${results.figures.scaling.adjustRatioLargestToSmallest}`);
}

// ------------------------------------------------------------------ the scheduled work
{
  // N accounts, all past their expiration date, 1 % of them in the due index (the rest as if
  // they had been active since): runScheduledWork must cost what the due accounts cost, whatever
  // N is. Baseline: adjustPoints on the same store, in the same process (bench/scheduled-work.mjs).
  const rows = {};
  say('\nthe scheduled work (memoryStorage): N accounts, 1 % due (points expire)');
  say(`  ${'accounts'.padStart(9)} ${'due'.padStart(7)} ${'run ms'.padStart(9)} ${'µs per due account'.padStart(19)} ${'÷ one adjustPoints'.padStart(19)}`);
  for (const size of SIZES) {
    const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(new URL('./scheduled-work.mjs', import.meta.url)), String(size), String(MS)], { cwd: root, encoding: 'utf8' });
    const { due, runMs: ms, adjustOpsPerSec } = JSON.parse(out.trim().split('\n').pop());
    const perDue = (ms * 1000) / due;
    const vsAdjust = +(perDue / (1e6 / adjustOpsPerSec)).toFixed(2);
    rows[size] = { due, runMs: +ms.toFixed(1), perDueAccountUs: +perDue.toFixed(1), adjustOpsPerSec, perDueAccountOverAdjust: vsAdjust };
    say(`  ${String(size).padStart(9)} ${String(due).padStart(7)} ${ms.toFixed(1).padStart(9)} ${perDue.toFixed(1).padStart(19)} ${vsAdjust.toFixed(2).padStart(19)}`);
  }
  const sizes = Object.keys(rows);
  const growth = +(rows[sizes[sizes.length - 1]].perDueAccountOverAdjust / rows[sizes[0]].perDueAccountOverAdjust).toFixed(2);
  results.figures.scheduledWork = { ...rows, perDueAccountLargestOverSmallest: growth };
  say(`  per due account (÷ one adjustPoints) at ${sizes[sizes.length - 1]} accounts ÷ at ${sizes[0]}: ${growth}`);
}

// ------------------------------------------------------------------ what tiers and expiration add
/**
 * What a feature `setup` switches on costs earnPoints and adjustPoints: the same engine with it
 * and without, one caller; `results.figures[figure][op]` holds `with<Feature>`,
 * `without<Feature>` and the ratio.
 */
async function featureCost(figure, feature, title, setup) {
  const rows = {};
  for (const op of ['earnPoints', 'adjustPoints']) {
    // The stores measured before give their wasm memory back first (a finalizer frees each):
    // a measured store grows by every operation it takes.
    await collect();
    const on = (await subject('engine', memoryStorage(), 1, setup))[op];
    const off = (await subject('engine', memoryStorage(), 1))[op];
    const [a, b] = await measureBoth(on, off, 1);
    rows[op] = { [`with${feature}`]: a, [`without${feature}`]: b, ratio: +(a.opsPerSec / b.opsPerSec).toFixed(3) };
  }
  results.figures[figure] = rows;
  say(`\n${title} (memoryStorage, 1 caller)`);
  for (const [op, r] of Object.entries(rows)) say(`  ${op.padEnd(14)} with ${r[`with${feature}`].opsPerSec} ops/s, without ${r[`without${feature}`].opsPerSec} ops/s: ${r.ratio}×`);
}

// An ACTIVE ladder of 20 tiers: every balance change works its tier out against it (accounts
// keep their months either way).
await featureCost('tiers cost', 'Tiers', 'what an ACTIVE ladder of 20 tiers costs a balance change', async (loyalty) => {
  await loyalty.tiers.bulkCreateTiers(Array.from({ length: 20 }, (_, i) => ({ tierDefinition: { name: `T${i}` }, requiredPoints: 50 * (i + 1) })));
  await loyalty.tiers.createTiersProgramSettings({ rollingWindow: { durationInMonths: 12 }, status: 'ACTIVE' });
});
// Points expiration: every balance change works out the account's pointsExpiration, and a new
// date (once a day) writes a due/ entry.
await featureCost('expiration cost', 'Expiration', 'what points expiration costs a balance change', (loyalty) => loyalty.programs.enablePointsExpiration());

// ------------------------------------------------------------------ cold start
{
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const time = (argv) => {
    const t0 = performance.now();
    execFileSync(process.execPath, argv, { cwd: root, stdio: 'ignore' });
    return performance.now() - t0;
  };
  const runs = QUICK ? 3 : 7;
  const bare = median(Array.from({ length: runs }, () => time(['-e', '0'])));
  const first = median(Array.from({ length: runs }, () => time(['--input-type=module', '-e', "import w from 'wix-loyalty-wasm'; await w.programs.getLoyaltyProgram();"])));
  results.figures.coldStart = { nodeBareMs: Math.round(bare), importToFirstCallMs: Math.round(first), engineMs: Math.round(first - bare) };
  say(`\ncold start: node -e 0 ${Math.round(bare)} ms; import + first call ${Math.round(first)} ms (the engine adds ${Math.round(first - bare)} ms)`);
}

// ------------------------------------------------------------------ size and memory per account
{
  const wasm = readFileSync(new URL('../pkg/wasm/wix_loyalty_wasm_bg.wasm', import.meta.url));
  const gzip = gzipSync(wasm, { level: 9 }).length;
  results.figures.wasmSize = { rawBytes: wasm.length, gzipBytes: gzip };
  say(`\n.wasm size: ${(wasm.length / 1024).toFixed(1)} KB raw, ${(gzip / 1024).toFixed(1)} KB gzip`);
  // What each module adds (a full run): the module built without rewards, coupons and tiers,
  // then with each added in turn (the crate features of Cargo.toml), as the package's build makes it.
  if (!QUICK) {
    const target = join(root, 'target', 'module-sizes');
    const sizeOf = (features) => {
      execFileSync('cargo', ['build', '--lib', '--release', '--target', 'wasm32-unknown-unknown', '--no-default-features', ...(features ? ['--features', features] : []), '--target-dir', target], { cwd: root, stdio: 'ignore' });
      const out = join(target, features || 'none');
      execFileSync('wasm-bindgen', [join(target, 'wasm32-unknown-unknown', 'release', 'wix_loyalty_wasm.wasm'), '--target', 'web', '--out-dir', out, '--out-name', 'm', '--remove-name-section', '--remove-producers-section', '--experimental-reset-state-function'], { cwd: root, stdio: 'ignore' });
      return gzipSync(readFileSync(join(out, 'm_bg.wasm')), { level: 9 }).length;
    };
    const base = sizeOf('');
    const rewards = sizeOf('rewards');
    const both = sizeOf('rewards,coupons');
    const all = sizeOf('rewards,coupons,tiers');
    const kb = (n) => (n / 1024).toFixed(1);
    results.figures.moduleSizes = { withoutRewardsAndCouponsGzipBytes: base, rewardsAddGzipBytes: rewards - base, couponsAddGzipBytes: both - rewards, tiersAddGzipBytes: all - both };
    say(`what each module adds (gzip): the engine without rewards, coupons and tiers ${kb(base)} KB; rewards add ${kb(rewards - base)} KB; coupons (redemption, refunds) add ${kb(both - rewards)} KB; tiers add ${kb(all - both)} KB`);
  }

  // In a fresh process, so that nothing else measured here is on the heap.
  const count = QUICK ? 20_000 : 100_000;
  const out = execFileSync(process.execPath, ['--expose-gc', fileURLToPath(new URL('./memory-per-account.mjs', import.meta.url)), String(count)], { cwd: root, encoding: 'utf8' });
  const m = JSON.parse(out.trim().split('\n').pop());
  results.figures.memoryPerAccount = m;
  say(`memory per account at ${count} accounts (memoryStorage): JS heap ${m.jsHeapBytes} bytes, wasm ${m.wasmBytes} bytes (wasm memory stays ${(m.wasmMemoryBytes / 2 ** 20).toFixed(1)} MB)`);
}

// ------------------------------------------------------------------ budgets
/** Regression floors of the default store's ratios against the tight baseline. */
const FLOORS = { createAccount: 0.18, earnPoints: 0.09, adjustPoints: 0.08, getAccount: 0.06, queryPage: 0.014, redeemPointsForCoupon: 0.09 };
/** A ratio budget: `op` in the comparison `label` must reach `limit`. */
const ratioBudgets = [
  // Floors against the tight baseline, under which a change is a regression. The targets are
  // 0.5 (mutations) and 0.3 (reads) (TARGETS in scripts/render-docs.mjs); docs/performance.md
  // shows how far the engine is from them.
  ...[1, 32].flatMap((callers) => Object.entries(FLOORS).map(([op, limit]) => ({ label: `memory, ${callers} caller(s)`, op, limit, shown: `≥ ${limit}`, name: `memoryStorage ${op}, ${callers} caller(s): engine ÷ tight plain JS` }))),
  ...[8, 32].flatMap((callers) => MUTATIONS.map((op) => ({ label: `postgres, ${callers} caller(s)`, op, limit: 0.8, shown: '≥ 0.8', name: `PostgreSQL ${op}, ${callers} callers: engine ÷ pg by hand` }))),
];
// On a small shared machine one measurement can be unlucky: in --check mode a ratio that
// misses its budget is measured again, three times as long, four times at most, and the best
// counts. A real
// regression misses every time.
if (CHECK) {
  for (const rb of ratioBudgets) {
    const row = results.figures[rb.label][rb.op];
    for (let retry = 0; retry < 4 && row.ratio < rb.limit; retry++) {
      const { makeEngine, makeBaseline, callers } = configs[rb.label];
      globalThis.gc();
      const [e, b] = await measureBoth((await makeEngine(callers))[rb.op], (await makeBaseline(callers))[rb.op], callers, 3 * MS);
      const ratio = +(e.opsPerSec / b.opsPerSec).toFixed(3);
      say(`  (measured again: ${rb.name}: ${ratio})`);
      if (ratio > row.ratio) Object.assign(row, { engine: e, baseline: b, ratio });
    }
  }
}
const budgets = [];
const budget = (name, value, limit, ok) => budgets.push({ name, value, limit, ok });
for (const rb of ratioBudgets) {
  const r = results.figures[rb.label][rb.op].ratio;
  budget(rb.name, r, rb.shown, r >= rb.limit);
}
for (const op of MUTATIONS) {
  const trips = results.figures['storage calls per operation'][op].roundTrips;
  budget(`${op}: storage round trips`, trips, '≤ 2', trips <= 2);
}
for (const [row, r] of Object.entries(results.figures['outbox cost'])) budget(`events outbox, PostgreSQL ${row}: with ÷ without`, r.ratio, `≥ ${OUTBOX_FLOOR}`, r.ratio >= OUTBOX_FLOOR);
const gz = results.figures.wasmSize.gzipBytes;
// The scheduled work costs what its due accounts cost: per due account, as at the smallest store.
budget('runScheduledWork per due account, largest store ÷ smallest (each ÷ one adjustPoints)', results.figures.scheduledWork.perDueAccountLargestOverSmallest, '≤ 3', results.figures.scheduledWork.perDueAccountLargestOverSmallest <= 3);
budget('.wasm gzip size (KB)', +(gz / 1024).toFixed(1), '≤ 400', gz <= 400 * 1024);
results.budgets = budgets;
say('\nbudgets');
for (const b of budgets) say(`  ${b.ok ? 'ok  ' : 'FAIL'} ${b.name}: ${b.value} (${b.limit})`);

// Only a full run is the record the docs quote; --quick and --check print their figures only.
if (!QUICK) {
  writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  // After the results are written, so that a docs page the renderer refuses costs no measurement.
  try {
    const { stale, all } = renderDocs();
    say(`\ndocs: ${stale.length} of ${all.length} rendered regions rewritten from this run (${stale.join('; ') || 'none changed'})`);
  } catch (e) {
    say(`\ndocs not rendered: ${e.message}`);
    process.exitCode = 1;
  }
}
const failed = budgets.filter((b) => !b.ok).length;
say(`\n${budgets.length - failed} passed, ${failed} failed`);
if (CHECK && failed) process.exitCode = 1;
process.exit();
