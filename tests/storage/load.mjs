// Runs worker.mjs in several processes against one storage; optionally kills some with
// SIGKILL halfway and starts replacements. Resolves to the merged reports of the survivors.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, appendFileSync, existsSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { contactOf, openStorage, eventLine } from './helpers.mjs';
import { createLoyaltyBackend } from 'wix-loyalty-wasm';

const worker = fileURLToPath(new URL('./worker.mjs', import.meta.url));
let seeds = 1;

function start(spec, seconds) {
  const child = spawn(process.execPath, [worker, spec, String(seeds++ * 7919), String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const finished = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, err })));
  return { child, finished };
}

export async function runLoad({ spec, workers, seconds, kill = 0, label }) {
  const running = Array.from({ length: workers }, () => start(spec, seconds));
  let killed = 0;
  if (kill > 0) {
    await new Promise((r) => setTimeout(r, (seconds * 1000) / 2));
    for (const w of running.slice(0, kill)) {
      w.child.kill('SIGKILL');
      killed++;
    }
    // Restart: fresh processes take over the killed ones' share of the load.
    for (let i = 0; i < kill; i++) running.push(start(spec, seconds / 2));
  }
  const results = await Promise.all(running.map((w) => w.finished));
  const counts = {};
  const unexpected = [];
  const earns = [];
  const redeems = [];
  for (const r of results) {
    if (r.signal === 'SIGKILL') continue;
    assert.equal(r.code, 0, `a worker failed: ${r.err}`);
    const report = JSON.parse(r.out.trim().split('\n').pop());
    for (const [k, v] of Object.entries(report.counts)) counts[k] = (counts[k] ?? 0) + v;
    unexpected.push(...report.unexpected);
    earns.push(...report.earns);
    redeems.push(...report.redeems);
  }
  assert.deepEqual(unexpected, [], 'no unexpected errors');
  const ops = Object.entries(counts).filter(([k]) => k !== 'no account yet').reduce((s, [, v]) => s + v, 0);
  console.log(`# ${label}: ${workers} processes for ${seconds}s${kill ? `, ${killed} killed with SIGKILL halfway and restarted` : ''}: ${ops} operations`);
  for (const [k, v] of Object.entries(counts).sort()) console.log(`#   ${k}: ${v}`);
  return { ops, counts, earns, redeems, killed, contacts: Array.from({ length: 24 }, (_, i) => contactOf(i)) };
}

/** Every ledger entry of one account, page by page. */
async function accountLedger(loyalty, accountId) {
  const items = [];
  for (let page = await loyalty.transactions.queryLoyaltyTransactions().eq('accountId', accountId).limit(100).find(); ; page = await page.next()) {
    items.push(...page.items);
    if (!page.hasNext()) break;
  }
  return items;
}

const redeemer = fileURLToPath(new URL('./redeemer.mjs', import.meta.url));

/**
 * Runs `processes` copies of `spawnOne()`; with `kill`, once `underWay()` holds (polled), kills
 * that many with SIGKILL and starts as many fresh ones. Resolves to the last JSON line each
 * survivor printed (`what` names them in failures) and how many were killed.
 */
async function race({ spawnOne, processes, kill, underWay, what }) {
  const running = Array.from({ length: processes }, spawnOne);
  if (kill > 0) {
    for (let i = 0; i < 500 && !(await underWay()); i++) await new Promise((r) => setTimeout(r, 5));
    for (const w of running.slice(0, kill)) w.child.kill('SIGKILL');
    for (let i = 0; i < kill; i++) running.push(spawnOne());
  }
  const results = await Promise.all(running.map((w) => w.finished));
  const reports = [];
  for (const r of results) {
    if (r.signal === 'SIGKILL') continue;
    assert.equal(r.code, 0, `a ${what} failed: ${r.err}`);
    reports.push(JSON.parse(r.out.trim().split('\n').pop()));
  }
  return { reports, killed: results.filter((r) => r.signal === 'SIGKILL').length };
}

/** Runs `script` with `args` in a child process: the child, and its exit with all it printed. */
function spawnScript(script, args) {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  return { child, finished: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out, err }))) };
}

/**
 * `processes` processes redeem one reward of `cost` from one account holding `balance` points
 * until it can afford no more; with `kill`, that many are killed with SIGKILL once they have
 * begun, and as many fresh ones take over. Resolves to the coupons the survivors saw and the
 * store's account, ledger and coupons afterwards.
 */
export async function redeemRace({ spec, processes, balance, cost, kill = 0 }) {
  const storage = await openStorage(spec);
  const loyalty = createLoyaltyBackend({ storage });
  await loyalty.programs.activateLoyaltyProgram();
  const contact = `dddddddd-0000-4000-8000-${String(Date.now() % 1e12).padStart(12, '0')}`;
  const { account } = await loyalty.accounts.createAccount(contact);
  await loyalty.accounts.adjustPoints(account._id, { balance });
  const reward = await loyalty.rewards.createReward({ name: 'Race', active: true, couponReward: { freeShipping: { configsByTier: [{ costInPoints: cost }] } } });
  // Once the first coupons exist (the processes are under way), some are killed mid-flight.
  const underWay = async () => (await storage.scan({ prefix: `account-coupon/${account._id}/`, limit: 1 })).length > 0;
  const spawnOne = () => spawnScript(redeemer, [spec, account._id, reward._id]);
  const { reports, killed } = await race({ spawnOne, processes, kill, underWay, what: 'redeemer' });
  const seen = [];
  for (const report of reports) {
    assert.deepEqual(report.unexpected, [], 'only INSUFFICIENT_POINTS refuses a redemption');
    seen.push(...report.coupons);
  }
  const after = await loyalty.accounts.getAccount(account._id);
  const listed = await storage.scan({ prefix: `account-coupon/${account._id}/`, limit: 100000 });
  const ledger = await accountLedger(loyalty, account._id);
  const audit = await loyalty.verify();
  await storage.close();
  return { seen, after, coupons: listed.map((r) => r.key.split('/').pop()), ledger, audit, killed };
}

/** The race's checks, for every storage: exactly the affordable coupons, each paid once. */
export function checkRace(race, kill) {
  assert.equal(race.killed, kill, 'the processes to kill were killed mid-flight');
  assert.equal(race.coupons.length, 100, 'exactly the 100 affordable coupons exist');
  assert.equal(race.after.points.balance, 0);
  assert.equal(race.after.points.redeemed, 1000);
  assert.equal(race.ledger.filter((t) => t.transactionType === 'REDEEM').length, 100, 'one REDEEM per coupon');
  assert.ok(race.seen.every((id) => race.coupons.includes(id)), 'every coupon a caller got exists');
  assert.equal(new Set(race.seen).size, race.seen.length);
  if (!kill) assert.equal(race.seen.length, 100, 'without kills, the callers saw all 100');
  assert.deepEqual(race.audit.discrepancies, [], 'verify() finds nothing wrong');
}

const scheduler = fileURLToPath(new URL('./scheduler.mjs', import.meta.url));

/**
 * `accounts` accounts of 100 points each, their points due to expire (100 %, one month of
 * inactivity); `processes` processes run the scheduled work at once 40 days on; with `kill`,
 * that many are killed with SIGKILL once the first points have expired (while they run), and as
 * many fresh ones take over. Resolves to the runs' reports and the store afterwards.
 */
export async function expireRace({ spec, processes, accounts, kill = 0 }) {
  const t0 = Date.UTC(2025, 0, 15, 10);
  const storage = await openStorage(spec);
  const loyalty = createLoyaltyBackend({ storage, now: () => t0 });
  await loyalty.programs.activateLoyaltyProgram();
  const ids = [];
  for (let i = 0; i < accounts; i += 50) {
    const made = await Promise.all(Array.from({ length: Math.min(50, accounts - i) }, async (_, j) => {
      const contact = `eeeeeeee-0000-4000-8000-${String(i + j).padStart(12, '0')}`;
      const { account } = await loyalty.accounts.createAccount(contact);
      await loyalty.accounts.adjustPoints(account._id, { amount: 100 });
      return account._id;
    }));
    ids.push(...made);
  }
  await loyalty.programs.updateLoyaltyProgram({ pointsExpiration: { monthsOfInactivity: 1, expiringPointsPercentage: 100 } });
  await loyalty.programs.enablePointsExpiration();
  const later = t0 + 40 * 86_400_000;
  // Once the first points have expired, some are killed mid-run.
  const underWay = async () => (await loyalty.transactions.queryLoyaltyTransactions().eq('transactionType', 'EXPIRE').limit(1).find()).items.length > 0;
  const spawnOne = () => spawnScript(scheduler, [spec, String(later)]);
  const { reports: runs, killed } = await race({ spawnOne, processes, kill, underWay, what: 'scheduler' });
  const expires = new Map();
  for (let page = await loyalty.transactions.queryLoyaltyTransactions().eq('transactionType', 'EXPIRE').limit(100).find(); ; page = await page.next()) {
    for (const t of page.items) expires.set(t.accountId, (expires.get(t.accountId) ?? 0) + 1);
    if (!page.hasNext()) break;
  }
  const totals = await loyalty.accounts.getProgramTotals();
  const audit = await loyalty.verify();
  await storage.close();
  return { ids, runs, expires, totals, audit, killed };
}

/** The race's checks, for every storage: every due account expired exactly once. */
export function checkExpireRace(race, kill) {
  assert.equal(race.killed, kill, 'the processes to kill were killed mid-run');
  for (const id of race.ids) assert.equal(race.expires.get(id), 1, `account ${id} expired once`);
  assert.equal(race.expires.size, race.ids.length);
  assert.equal(race.totals.points.expired, race.ids.length * 100);
  assert.equal(race.totals.points.balance, 0);
  if (!kill) assert.equal(race.runs.reduce((n, r) => n + r.expiredAccounts, 0), race.ids.length, 'the runs together expired each account once');
  assert.deepEqual(race.audit.discrepancies, [], 'verify() finds nothing wrong');
}

const emitter = fileURLToPath(new URL('./emitter.mjs', import.meta.url));

/**
 * Events at least once across crashes. One process adjusts points and kills itself with SIGKILL
 * right after a commit, before delivering its events; then `processes` processes adjust points
 * on the same accounts (each delivering what the dead one left as it starts), one of them
 * SIGKILLed mid-way and replaced; then a last backend runs the scheduled work. Every process logs
 * each event it delivers. Resolves to the log, the accounts' revisions before and after, and the
 * outbox as the crash left it.
 */
export async function eventsRace({ spec, processes, accounts, ops }) {
  const log = join(mkdtempSync(join(tmpdir(), 'wix-loyalty-events-')), 'events.log');
  const storage = await openStorage(spec);
  const loyalty = createLoyaltyBackend({ storage });
  await loyalty.programs.activateLoyaltyProgram();
  const ids = [];
  const before = new Map();
  for (let i = 0; i < accounts; i++) {
    const { account } = await loyalty.accounts.createAccount(`ffffffff-0000-4000-8000-${String(Date.now() % 1e9).padStart(9, '0')}${String(i).padStart(3, '0')}`);
    ids.push(account._id);
    before.set(account._id, Number(account.revision));
  }
  const args = (crashAt) => [spec, log, ids.join(','), String(ops), String(crashAt)];
  const crashed = await spawnScript(emitter, args(ops / 2)).finished;
  assert.equal(crashed.signal, 'SIGKILL', `the crashing process died by its own hand: ${crashed.err}`);
  const pendingAfterCrash = (await loyalty.verify()).counts.pendingEvents;
  const lines = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').length - 1 : 0);
  const logged = lines();
  const underWay = async () => lines() > logged + ops;
  const spawnOne = () => spawnScript(emitter, args(-1));
  const { killed } = await race({ spawnOne, processes, kill: 1, underWay, what: 'emitter' });
  const last = createLoyaltyBackend({
    storage,
    redeliverEventsAfterMs: 0,
    onEvent: (e) => appendFileSync(log, eventLine(e)),
  });
  const run = await last.runScheduledWork();
  await last.flushEvents();
  const after = new Map();
  for (const id of ids) after.set(id, Number((await loyalty.accounts.getAccount(id)).revision));
  const audit = await loyalty.verify();
  await storage.close();
  const events = readFileSync(log, 'utf8').trim().split('\n').map((line) => {
    const [id, type, entityId, sequence] = line.split(' ');
    return { id, type, entityId, sequence: Number(sequence) };
  });
  rmSync(dirname(log), { recursive: true, force: true });
  return { ids, before, after, events, pendingAfterCrash, killed, run, audit };
}

/** The checks: every balance change's events delivered, none invented, a duplicate only under its id. */
export function checkEventsRace(race) {
  assert.equal(race.killed, 1, 'one process was killed mid-way');
  assert.ok(race.pendingAfterCrash >= 2, `the crash left the events of its last commit undelivered (${race.pendingAfterCrash} pending)`);
  const byKey = new Map();
  for (const e of race.events) {
    const key = `${e.type} ${e.entityId} ${e.sequence}`;
    const id = byKey.get(key);
    assert.ok(id === undefined || id === e.id, `${key} delivered under two ids: ${id} and ${e.id}`);
    byKey.set(key, e.id);
  }
  const ids = new Map();
  for (const [key, id] of byKey) {
    assert.ok(!ids.has(id), `id ${id} names two events: ${ids.get(id)} and ${key}`);
    ids.set(id, key);
  }
  for (const account of race.ids) {
    assert.ok(race.after.get(account) > race.before.get(account), `account ${account} had balance changes to deliver events of`);
    for (const type of ['wix.loyalty.v1.account_points_updated', 'wix.loyalty.v1.account_updated']) {
      const got = race.events.filter((e) => e.entityId === account && e.type === type).map((e) => e.sequence);
      const expected = Array.from({ length: race.after.get(account) - race.before.get(account) }, (_, k) => race.before.get(account) + 1 + k);
      assert.deepEqual([...new Set(got)].sort((a, b) => a - b), expected, `${type} of ${account}: one per balance change, none invented`);
    }
  }
  console.log(`# ${race.events.length} deliveries of ${byKey.size} events (${race.events.length - byKey.size} again, under their ids); ${race.run.redeliveredEvents} by the last scheduled work`);
  assert.equal(race.audit.counts.pendingEvents, 0, 'nothing left pending');
  assert.deepEqual(race.audit.discrepancies, [], 'verify() finds nothing wrong');
}

const freezeWorker = fileURLToPath(new URL('./freeze-worker.mjs', import.meta.url));

/**
 * `workers` processes earn and adjust on a few accounts for `seconds`, each storage call within
 * `timeoutMs`; `freeze(on)` is called with true `freezeAt` seconds in, and with false
 * `freezeFor` seconds later. Resolves to every call the workers logged, when the freeze began and
 * ended, and each account's ledger afterwards.
 */
export async function freezeLoad({ spec, workers, seconds, timeoutMs, freezeAt, freezeFor, freeze }) {
  const storage = await openStorage(spec);
  const loyalty = createLoyaltyBackend({ storage });
  await loyalty.programs.activateLoyaltyProgram();
  const ids = [];
  for (let i = 0; i < 6; i++) ids.push((await loyalty.accounts.createAccount(`abababab-0000-4000-8000-${String(Date.now() % 1e9).padStart(9, '0')}${String(i).padStart(3, '0')}`)).account._id);
  const running = Array.from({ length: workers }, () => spawnScript(freezeWorker, [spec, ids.join(','), String(seconds), String(timeoutMs)]));
  await new Promise((r) => setTimeout(r, freezeAt * 1000));
  const frozenAt = Date.now();
  freeze(true);
  await new Promise((r) => setTimeout(r, freezeFor * 1000));
  freeze(false);
  const thawedAt = Date.now();
  const calls = [];
  for (const r of await Promise.all(running.map((w) => w.finished))) {
    assert.equal(r.code, 0, `a worker failed: ${r.err}`);
    calls.push(...JSON.parse(r.out.trim().split('\n').pop()).calls);
  }
  const ledgers = new Map();
  for (const id of ids) ledgers.set(id, await accountLedger(loyalty, id));
  const audit = await loyalty.verify();
  await storage.close();
  return { calls, frozenAt, thawedAt, ledgers, audit, timeoutMs };
}

/**
 * The checks: every call ended within the deadline plus `margin` (those the freeze caught with
 * UNAVAILABLE), the workers carried on after it, and the ledgers hold exactly what the workers
 * were told, plus at most what they were not told (an unknown outcome), never twice.
 */
export function checkFreeze(run, margin) {
  const { calls, frozenAt, thawedAt, ledgers, audit, timeoutMs } = run;
  const caught = calls.filter((c) => c.start < thawedAt && c.start + c.ms > frozenAt);
  assert.ok(caught.length > 0, 'the freeze caught calls in flight');
  for (const c of calls) assert.ok(c.ms <= timeoutMs + margin, `a call took ${c.ms} ms (deadline ${timeoutMs} ms): ${JSON.stringify(c)}`);
  for (const c of calls.filter((x) => x.error)) assert.match(c.error, /^UNAVAILABLE\/STORAGE_(TIMEOUT|ERROR)$/, `only the storage fails: ${JSON.stringify(c)}`);
  assert.ok(calls.some((c) => c.error === 'UNAVAILABLE/STORAGE_TIMEOUT'), 'the deadline ended calls the frozen server held');
  const after = calls.filter((c) => c.start > thawedAt + timeoutMs);
  assert.ok(after.length > 0 && after.every((c) => !c.error), 'after the server resumed, every call succeeded');
  const entries = [...ledgers.values()].flat();
  const byId = new Map(entries.map((t) => [t._id, t]));
  for (const c of calls.filter((x) => x.transactionId)) assert.ok(byId.has(c.transactionId), `an acknowledged ${c.kind} is in the ledger: ${c.key}`);
  const tried = new Map(calls.map((c) => [c.key, c]));
  const earns = entries.filter((t) => t.transactionType === 'EARN');
  const adjusts = entries.filter((t) => t.transactionType === 'ADJUST');
  assert.equal(new Set(earns.map((t) => t.idempotencyKey)).size, earns.length, 'no idempotency key credited twice');
  assert.equal(new Set(adjusts.map((t) => t.description)).size, adjusts.length, 'no adjustment applied twice');
  for (const t of earns) assert.equal(tried.get(t.idempotencyKey)?.kind, 'earn', `an earn the workers asked for: ${t.idempotencyKey}`);
  for (const t of adjusts) assert.equal(tried.get(t.description)?.kind, 'adjust', `an adjustment the workers asked for: ${t.description}`);
  for (const c of calls.filter((x) => x.kind === 'earn' && x.transactionId)) {
    assert.equal(earns.find((t) => t.idempotencyKey === c.key)?._id, c.transactionId, 'every caller of a key got its one transaction');
  }
  const unknown = calls.filter((c) => c.kind === 'adjust' && c.error && adjusts.some((t) => t.description === c.key)).length;
  console.log(`# ${calls.length} calls, ${caught.length} caught by the freeze, ${calls.filter((c) => c.error).length} failed (${unknown} failed adjustments applied all the same: an unknown outcome), longest ${Math.max(...calls.map((c) => c.ms))} ms`);
  assert.deepEqual(audit.discrepancies, [], 'verify() finds nothing wrong');
}
