// Runs worker.mjs in several processes against one storage; optionally kills some with
// SIGKILL halfway and starts replacements. Resolves to the merged reports of the survivors.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { contactOf, openStorage } from './helpers.mjs';
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
  const ledger = [];
  for (let page = await loyalty.transactions.queryLoyaltyTransactions().eq('accountId', account._id).limit(100).find(); ; page = await page.next()) {
    ledger.push(...page.items);
    if (!page.hasNext()) break;
  }
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
