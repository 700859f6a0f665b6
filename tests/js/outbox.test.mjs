// The events outbox (js/outbox.js, README "Events"): on a host's storage an event is stored in
// the commit that made it, delivered after it, marked delivered once its handlers settled, and
// delivered again, with the same id, by the next backend when a process died in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoyaltyBackend, memoryStorage, operationTable } from 'wix-loyalty-wasm';
import { contactId, rejects } from './helpers.mjs';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 2, 1, 12);

/** A host storage (memoryStorage's contract without its in-module fast path) that records commits. */
function hostStore() {
  const base = memoryStorage();
  const commits = [];
  return {
    commits,
    read: (keys) => base.read(keys),
    commit: (writes) => {
      commits.push(writes.map((w) => w.key));
      return base.commit(writes);
    },
    scan: (req) => base.scan(req),
  };
}

async function entries(storage) {
  const rows = await storage.scan({ prefix: 'outbox/', limit: 10_000, reverse: false });
  return rows.map((r) => ({ key: r.key, version: r.version, ...JSON.parse(r.value) }));
}

const ids = (events) => events.map((e) => e.metadata._id);
const tick = () => new Promise((r) => setTimeout(r, 5));

/** Waits until `cond()` holds (the start sweep runs in the background). */
async function until(cond, what) {
  for (let i = 0; i < 400 && !cond(); i++) await tick();
  assert.ok(cond(), `timed out waiting for ${what}`);
}

/** A backend on `storage` whose process "dies" after each commit: nothing is delivered or marked. */
async function crashingWrites(storage, now, work) {
  const loyalty = createLoyaltyBackend({ storage, now: () => now, onEvent: () => assert.fail('a crashed process delivers nothing'), testing: { beforeDelivery: () => false } });
  await work(loyalty);
  await loyalty.flushEvents();
  return loyalty;
}

test('an event is written in the commit that makes it, delivered with the stored id, then marked delivered', async () => {
  const storage = hostStore();
  const seen = [];
  const loyalty = createLoyaltyBackend({ storage, now: () => T0, onEvent: (e) => seen.push(e) });
  await loyalty.programs.activateLoyaltyProgram();
  const { account } = await loyalty.accounts.createAccount(contactId(1));
  storage.commits.length = 0;
  seen.length = 0;
  await loyalty.accounts.earnPoints(account._id, { amount: 10, appId: 'shop', idempotencyKey: 'k1' });
  assert.deepEqual(seen.map((e) => e.metadata.eventType), ['wix.loyalty.v1.account_points_updated', 'wix.loyalty.v1.account_updated']);
  const [commit] = storage.commits;
  assert.ok(commit.includes(`acct/${account._id}`) && commit.some((k) => k.startsWith('outbox/')), `one commit holds the change and its outbox entry: ${commit}`);
  const key = commit.find((k) => k.startsWith('outbox/'));
  assert.match(key, new RegExp(`^outbox/${String(T0).padStart(15, '0')}/[0-9a-f-]{36}$`), 'keyed by the event time');
  let entry = (await entries(storage)).find((e) => e.key === key);
  assert.deepEqual(ids(entry.events), ids(seen), 'the stored events carry the ids delivered');
  assert.equal(entry.events[0].data.account.points.balance, 10);
  await loyalty.flushEvents();
  entry = (await entries(storage)).find((e) => e.key === key);
  assert.deepEqual({ version: entry.version, delivered: entry.delivered, events: entry.events }, { version: 2, delivered: 2, events: undefined }, 'the mark replaces the events');
  const report = await loyalty.verify();
  assert.equal(report.ok, true, JSON.stringify(report.discrepancies));
  assert.equal(report.counts.pendingEvents, 0);
  assert.equal(report.counts.outboxEntries, (await entries(storage)).length);
  assert.ok(report.counts.outboxEntries >= 3, 'activate, create and earn each left an entry');
});

test('a crash between commit and delivery: the next backend delivers the events on start, with their stored ids, once, in order per account', async () => {
  const storage = hostStore();
  const accounts = [];
  await crashingWrites(storage, T0, async (loyalty) => {
    await loyalty.programs.activateLoyaltyProgram();
    for (let i = 0; i < 3; i++) accounts.push((await loyalty.accounts.createAccount(contactId(i))).account._id);
    for (let r = 0; r < 4; r++) for (const id of accounts) await loyalty.accounts.adjustPoints(id, { amount: 5 });
    await loyalty.accounts.bulkAdjustPoints({ amount: 1 }); // a job's batch records its events too
  });
  const stored = (await entries(storage)).flatMap((e) => e.events ?? []);
  // program_updated, 3 × account_created, 12 + 3 balance changes × 2 events.
  assert.equal(stored.length, 1 + 3 + 15 * 2);
  assert.equal((await createLoyaltyBackend({ storage, now: () => T0 }).verify()).counts.pendingEvents, stored.length);

  const seen = [];
  const velo = [];
  const next = createLoyaltyBackend({
    storage,
    now: () => T0 + 2 * MINUTE,
    onEvent: (e) => seen.push(e),
    events: { wixLoyalty_onAccountPointsUpdated: (e) => velo.push(e) },
  });
  const created = [];
  next.accounts.onAccountCreated((e) => created.push(e));
  await until(() => seen.length === stored.length, 'the start sweep');
  assert.deepEqual(created.map((e) => e.metadata._id), ids(seen.filter((e) => e.metadata.eventType.endsWith('account_created'))), "the modules' on… handlers get them under the same ids");
  assert.equal(created.length, 3);
  assert.deepEqual(new Set(ids(seen)), new Set(ids(stored)), 'every stored event, by its stored id');
  assert.equal(new Set(ids(seen)).size, seen.length, 'each once');
  assert.deepEqual(velo.map((e) => e.metadata.id), ids(seen.filter((e) => e.metadata.eventType.endsWith('points_updated'))), "Velo's handler gets them under the same ids");
  for (const id of accounts) {
    const sequences = seen.filter((e) => e.metadata.entityId === id && e.metadata.eventType.endsWith('points_updated')).map((e) => Number(e.metadata.entityEventSequence));
    assert.deepEqual(sequences, [...sequences].sort((a, b) => a - b), 'in entityEventSequence order');
    assert.equal(sequences.length, 5);
    assert.equal(seen.filter((e) => e.metadata.entityId === id && e.metadata.eventType.endsWith('points_updated')).at(-1).data.account.points.balance, 21);
  }
  await next.flushEvents();
  const again = [];
  const third = createLoyaltyBackend({ storage, now: () => T0 + 3 * MINUTE, onEvent: (e) => again.push(e) });
  assert.equal((await third.runScheduledWork()).redeliveredEvents, 0, 'marked: not delivered again');
  assert.deepEqual(again, []);
  const report = await third.verify();
  assert.equal(report.ok, true, JSON.stringify(report.discrepancies));
  assert.equal(report.counts.pendingEvents, 0);
});

test('an unmarked entry younger than redeliverEventsAfterMs is left to its own process; runScheduledWork delivers it once it is older', async () => {
  const storage = hostStore();
  await crashingWrites(storage, T0, async (loyalty) => {
    await loyalty.programs.activateLoyaltyProgram();
    await loyalty.accounts.createAccount(contactId(1));
  });
  let now = T0 + 30_000;
  const seen = [];
  const next = createLoyaltyBackend({ storage, now: () => now, onEvent: (e) => seen.push(e) });
  await tick();
  assert.equal((await next.runScheduledWork()).redeliveredEvents, 0);
  assert.equal(seen.length, 0, 'half a minute old: maybe still in the hands of its process');
  now = T0 + MINUTE + 1;
  assert.equal((await next.runScheduledWork()).redeliveredEvents, 2);
  assert.deepEqual(seen.map((e) => e.metadata.eventType).sort(), ['wix.loyalty.v1.account_created', 'wix.loyalty.v1.program_updated']);
  // The option moves the threshold.
  const storage2 = hostStore();
  await crashingWrites(storage2, T0, (loyalty) => loyalty.programs.activateLoyaltyProgram());
  const eager = [];
  createLoyaltyBackend({ storage: storage2, now: () => T0, onEvent: (e) => eager.push(e), redeliverEventsAfterMs: 0 });
  await until(() => eager.length === 1, 'the start sweep, at once with redeliverEventsAfterMs: 0');
});

test('a duplicate carries the same id: events delivered but never marked are delivered again under their ids', async () => {
  const base = hostStore();
  let marksFail = true;
  // Marks are the commits that only rewrite outbox entries at version 1.
  const storage = {
    ...base,
    commit: (writes) => (marksFail && writes.every((w) => w.key.startsWith('outbox/') && w.version === 1) ? Promise.reject(new Error('disk full')) : base.commit(writes)),
  };
  const first = [];
  const a = createLoyaltyBackend({ storage, now: () => T0, onEvent: (e) => first.push(e) });
  await a.programs.activateLoyaltyProgram();
  const { account } = await a.accounts.createAccount(contactId(1));
  await a.accounts.adjustPoints(account._id, { amount: 7 });
  await assert.rejects(a.flushEvents(), (e) => e.code === 'UNAVAILABLE', 'a mark that cannot be written is reported by flushEvents');
  assert.equal((await a.verify()).counts.pendingEvents, first.length);
  marksFail = false;
  const second = [];
  const b = createLoyaltyBackend({ storage, now: () => T0 + 5 * MINUTE, onEvent: (e) => second.push(e) });
  await until(() => second.length === first.length, 'the redelivery');
  const byId = (list) => new Map(list.map((e) => [e.metadata._id, e]));
  assert.deepEqual(byId(second), byId(first), 'the same ids, each with the same event');
  await b.flushEvents();
  assert.equal((await b.verify()).counts.pendingEvents, 0);
});

test('the mark waits for the handlers: a rejecting handler is logged and its event marked; one that never settles leaves it for a sweep, which gives up waiting', async () => {
  const storage = hostStore();
  const errors = [];
  const log = console.error;
  console.error = (...args) => errors.push(args);
  try {
    const a = createLoyaltyBackend({ storage, now: () => T0, onEvent: () => Promise.reject(new Error('CRM down')) });
    await a.programs.activateLoyaltyProgram();
    await tick();
    await a.flushEvents();
    assert.equal((await a.verify()).counts.pendingEvents, 0, 'a settled (rejected) handler counts as delivered');
    assert.ok(errors.some((args) => String(args[1]?.message).includes('CRM down')), 'the rejection is logged');

    const never = createLoyaltyBackend({ storage, now: () => T0, onEvent: () => new Promise(() => {}) });
    await never.programs.updateLoyaltyProgram({ name: 'Hanging' });
    await tick();
    await never.flushEvents();
    assert.equal((await never.verify()).counts.pendingEvents, 1, 'a handler still running: not marked');
    const seen = [];
    const sweeper = createLoyaltyBackend({ storage, now: () => T0 + 2 * MINUTE, onEvent: (e) => { seen.push(e); return new Promise(() => {}); }, testing: { handlerWaitMs: 50 } });
    const run = await sweeper.runScheduledWork();
    assert.ok(run.redeliveredEvents >= 1);
    assert.equal(seen.filter((e) => e.entity?.name === 'Hanging').length >= 1, true);
    assert.equal((await sweeper.verify()).counts.pendingEvents, 1, 'still unmarked: its handler never settled');
  } finally {
    console.error = log;
  }
});

test('the cursor moves past delivered entries ten minutes behind the clock; verify() reports a skipped or unreadable entry and a bad cursor', async () => {
  const storage = hostStore();
  const loyalty = createLoyaltyBackend({ storage, now: () => T0, onEvent: () => {} });
  await loyalty.programs.activateLoyaltyProgram();
  await loyalty.accounts.createAccount(contactId(1));
  await loyalty.flushEvents();
  const later = createLoyaltyBackend({ storage, now: () => T0 + 11 * MINUTE, onEvent: () => {} });
  await later.runScheduledWork();
  const [cursor] = await storage.read(['outbox-cursor']);
  const keys = (await entries(storage)).map((e) => e.key);
  assert.equal(JSON.parse(cursor.value).cursor, keys.at(-1), 'past every delivered entry');
  // An unmarked entry behind the cursor, an unreadable one, then a cursor that cannot be read.
  await storage.commit([
    { key: `outbox/${String(T0 - 1).padStart(15, '0')}/x`, version: 0, value: JSON.stringify({ schema: 1, events: [{ metadata: { _id: 'e1', eventType: 'wix.loyalty.v1.program_updated' } }] }) },
    { key: `outbox/${String(T0 + 1).padStart(15, '0')}/y`, version: 0, value: '{not json' },
  ]);
  let report = await later.verify();
  assert.equal(report.ok, false);
  assert.deepEqual(report.discrepancies.map((d) => d.code).sort(), ['OUTBOX_ENTRY_SKIPPED', 'OUTBOX_ENTRY_UNREADABLE']);
  assert.equal(report.discrepancyCount, 2);
  await storage.commit([{ key: 'outbox-cursor', version: cursor.version, value: '"?"' }]);
  report = await later.verify();
  assert.ok(report.discrepancies.some((d) => d.code === 'OUTBOX_CURSOR_UNREADABLE'));
  await rejects(later.runScheduledWork(), 'INTERNAL', 'CORRUPT_RECORD');
});

test('verify() lists at most the table\'s verifyMaxListed discrepancies, the outbox\'s after the records\', and counts the rest', async () => {
  const { verifyMaxListed } = operationTable();
  const storage = memoryStorage();
  const loyalty = createLoyaltyBackend({ storage });
  await loyalty.programs.activateLoyaltyProgram();
  // A record the core's verifier reports, then more unreadable outbox entries than a report lists.
  await storage.commit([
    { key: 'acct/not-an-account', version: 0, value: '{not json' },
    ...Array.from({ length: verifyMaxListed + 5 }, (_, i) => ({ key: `outbox/bad-${i}`, version: 0, value: '{}' })),
  ]);
  const report = await loyalty.verify();
  assert.equal(report.ok, false);
  assert.equal(report.truncated, true);
  assert.equal(report.discrepancies.length, verifyMaxListed);
  assert.equal(report.discrepancyCount, verifyMaxListed + 5 + report.discrepancies.filter((d) => !d.code.startsWith('OUTBOX_')).length);
  assert.equal(report.discrepancies[0].key, 'acct/not-an-account', 'the records\' discrepancies first');
  assert.ok(report.discrepancies.slice(1).every((d) => d.code === 'OUTBOX_ENTRY_UNREADABLE'));
});

test('no outbox on the default store, nor with outbox: false; bad options are refused', async () => {
  const local = memoryStorage();
  const a = createLoyaltyBackend({ storage: local, onEvent: () => {} });
  await a.programs.activateLoyaltyProgram();
  assert.deepEqual(await entries(local), [], 'the default store dies with its process: events go straight to the handlers');
  const host = hostStore();
  const seen = [];
  const b = createLoyaltyBackend({ storage: host, onEvent: (e) => seen.push(e), outbox: false });
  await b.programs.activateLoyaltyProgram();
  assert.equal(seen.length, 1);
  assert.deepEqual(await entries(host), []);
  for (const options of [{ outbox: 'yes' }, { redeliverEventsAfterMs: -1 }, { redeliverEventsAfterMs: '60000' }, { redeliverEventsAfterMs: Infinity }, { testing: { beforeDelivery: 1 } }, { testing: { handlerWaitMs: '10' } }, { testing: { handlerWaitMs: -1 } }, { testing: 1 }, { testing: { trapBefore: 5 } }, { testing: { trapBefore: [1] } }]) {
    assert.throws(() => createLoyaltyBackend({ storage: hostStore(), ...options }), (e) => e.code === 'INVALID_ARGUMENT' && e.reason === 'INVALID_OPTIONS', JSON.stringify(options));
  }
});

test('a storage that names a conflict it was not asked about, and a clock that is not a time, end the outbox work with clear errors', async () => {
  const base = hostStore();
  const storage = {
    ...base,
    commit: (writes) => (writes.every((w) => w.key.startsWith('outbox/') && w.version === 1) ? Promise.resolve({ ok: false, conflict: 'acct/elsewhere' }) : base.commit(writes)),
  };
  const loyalty = createLoyaltyBackend({ storage, now: () => T0, onEvent: () => {} });
  await loyalty.programs.activateLoyaltyProgram();
  await rejects(loyalty.flushEvents(), 'INTERNAL', 'STORAGE_PROTOCOL_ERROR');
  // The sweep as a backend starts, on a clock that answers NaN: logged, nothing delivered.
  const errors = [];
  const log = console.error;
  console.error = (...args) => errors.push(args);
  try {
    const seen = [];
    const broken = createLoyaltyBackend({ storage: base, now: () => NaN, onEvent: (e) => seen.push(e), redeliverEventsAfterMs: 0 });
    await broken.flushEvents();
    assert.deepEqual(seen, []);
    assert.ok(errors.some((args) => args[1]?.reason === 'CLOCK_ERROR'), 'the failed sweep is logged with its reason');
  } finally {
    console.error = log;
  }
});

test('marks keep being written after a sweep found nothing to do, and flushEvents() waits for handlers still running', async () => {
  const storage = hostStore();
  let slow = false;
  const loyalty = createLoyaltyBackend({ storage, now: () => T0, onEvent: () => (slow ? new Promise((r) => setTimeout(r, 30)) : undefined) });
  await loyalty.flushEvents(); // the start sweep has run, on an empty outbox
  await loyalty.programs.activateLoyaltyProgram();
  await new Promise((r) => setTimeout(r, 80)); // the marks' own timer, no flushEvents()
  assert.equal((await loyalty.verify()).counts.pendingEvents, 0, 'marked in the background');
  slow = true;
  await loyalty.accounts.createAccount(contactId(1));
  await loyalty.flushEvents();
  assert.equal((await loyalty.verify()).counts.pendingEvents, 0, "flushEvents() waited for the handler's promise, then wrote its mark");
});

test('an entry is keyed by the clock as its commit is made, not by the operation start that its events carry', async () => {
  const base = hostStore();
  let t = T0;
  // The clock moves while the operation reads (a slow read, or a long job's later batch).
  const storage = { ...base, read: (keys) => { t += 5000; return base.read(keys); } };
  const seen = [];
  const loyalty = createLoyaltyBackend({ storage, now: () => t, onEvent: (e) => seen.push(e) });
  await loyalty.programs.activateLoyaltyProgram();
  const { account } = await loyalty.accounts.createAccount(contactId(1));
  seen.length = 0;
  base.commits.length = 0;
  const started = t;
  await loyalty.accounts.adjustPoints(account._id, { amount: 1 });
  const key = base.commits[0].find((k) => k.startsWith('outbox/'));
  assert.equal(seen[0].metadata.eventTime.getTime(), started, 'the event carries the operation start');
  assert.equal(Number(key.split('/')[1]), t, 'the entry, the time of its commit');
  assert.ok(t > started);
});

test('a stored event that cannot be shaped (a bad eventTime) is reported to the log, and the sweep goes on', async () => {
  const storage = hostStore();
  await storage.commit([{ key: `outbox/${String(T0).padStart(15, '0')}/bad`, version: 0, value: JSON.stringify({ schema: 1, events: [{ entity: {}, metadata: { _id: 'e-bad', eventType: 'wix.loyalty.v1.program_updated', eventTime: 'not a time', entityId: 'p' } }] }) }]);
  const errors = [];
  const log = console.error;
  console.error = (...args) => errors.push(args);
  try {
    const velo = [];
    const loyalty = createLoyaltyBackend({ storage, now: () => T0 + 2 * MINUTE, events: { wixLoyalty_onProgramUpdated: (e) => velo.push(e) } });
    await loyalty.flushEvents();
    assert.equal((await loyalty.runScheduledWork()).redeliveredEvents, 0, 'the start sweep delivered it (to nobody who could take it) and marked it');
    assert.deepEqual(velo, []);
    assert.ok(errors.some((args) => /event handler failed/.test(String(args[0]))), 'the shaping failure is logged');
  } finally {
    console.error = log;
  }
});
