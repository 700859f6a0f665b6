// The I/O shell around the wasm step machine: it validates nothing itself (the core does), it
// only awaits the host's storage, queues mutations of the same keys within this instance,
// retries conflicted commits, drives jobs batch by batch, and delivers events after commits.
// On the default store (memoryStorage(), whose entries live in wasm) an operation runs in one
// synchronous call instead, and comes here only when it must wait on the host.

import {
  start, resume, release, operationsInFlight, StoreVerifier, memoryBytes, testingTrap, localRun,
} from './wasm/wix_loyalty_wasm.js';
import { currentGeneration, trapCount, fromCall } from './instance.js';
import { localStoreOf } from './memory-storage.js';
// The table of operations, as the build wrote it from the wasm module's `table()` export (so a
// backend can be made before the module is instantiated: entry points import this file first).
import TABLE from './table.js';
import { unpack } from './step.js';
import { fromWasm, loyaltyError, storageError, storageTimeout, isLoyaltyError, describe } from './errors.js';
import { parseAnswer } from './shapes.js';
import { buildModules, legacyAccount } from './modules.js';
import { eventHub } from './events.js';
import { createOutbox, auditOutbox, REDELIVER_AFTER_MS } from './outbox.js';
import { createTokens } from './tokens.js';
import { nameProblem } from './text.js';

/** By default, how long a storage call may take before it is UNAVAILABLE / STORAGE_TIMEOUT. */
export const STORAGE_TIMEOUT_MS = 5_000;

/** Attempts a commit gets when it keeps conflicting; then ABORTED. */
export const MAX_ATTEMPTS = 64;

/** Rows per storage.scan while verifying a store. */
const VERIFY_PAGE = 500;
/** Discrepancies a verify() report lists (src/core/verify.rs MAX_LISTED). */
const MAX_LISTED = 1000;

/** The key under which a backend keeps what the REST face and the server need. */
export const INTERNAL = Symbol.for('wix-loyalty-wasm.internal');

/** The table of operations and events (src/core/operations.rs). */
export function operationTable() {
  return TABLE;
}

/** Counters of this copy of the engine: traps recovered from, instances created, wasm memory, operations in flight. */
export function engineStats() {
  return { traps: trapCount(), instances: currentGeneration() + 1, wasmMemoryBytes: memoryBytes(), operationsInFlight: operationsInFlight() };
}

/** The caller of the modules `forVisitor()` gives: an anonymous site visitor. */
const VISITOR = Symbol('visitor');

/** The member id the wasm module takes for a caller: undefined for an admin and a visitor (a flag says which). */
function memberId(member) {
  return member === VISITOR ? undefined : member;
}

/** What a storage call's deadline resolves to. */
const TIMED_OUT = Symbol('timed out');

/** Thrown inside an operation whose wasm state was lost to a trap recovery: start it again. */
const RESTART = Symbol('restart');

/** Decodes a step, turning a format error into INTERNAL / STEP_FORMAT_ERROR. */
function decode(packed) {
  try {
    return unpack(packed);
  } catch (e) {
    throw loyaltyError('INTERNAL', 'STEP_FORMAT_ERROR', `the engine's answer could not be decoded: ${describe(e)}`, {}, e);
  }
}

/** A program record worth remembering: well-formed as storage answers go (else nothing). */
function programCopy(entry) {
  try {
    if (entry === null || typeof entry !== 'object') return null;
    const { value, version } = entry;
    return typeof value === 'string' && Number.isSafeInteger(version) && version >= 1 ? { value, version } : null;
  } catch {
    return null; // a hostile getter: the engine reports the bad answer itself
  }
}

/** Serializes async work per key within one backend instance. */
class KeyedQueue {
  #tails = new Map();

  /** Resolves to a release function once every earlier holder of `key` released it. */
  acquire(key) {
    const prev = this.#tails.get(key);
    let release;
    const mine = new Promise((resolve) => { release = resolve; });
    const tail = prev ? prev.then(() => mine) : mine;
    this.#tails.set(key, tail);
    const done = () => {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
    return prev ? prev.then(() => done) : done;
  }

  /** Acquires every key, in the (sorted) order given, so two holders never wait on each other. */
  acquireAll(keys) {
    if (keys.length === 1) return this.acquire(keys[0]);
    return (async () => {
      const releases = [];
      for (const key of keys) releases.push(await this.acquire(key));
      return () => { for (const r of releases.reverse()) r(); };
    })();
  }
}

export function randomGuid() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  const b = new Uint8Array(16);
  c.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function optionError(field, expected, got) {
  return loyaltyError('INVALID_ARGUMENT', 'INVALID_OPTIONS',
    `createLoyaltyBackend: options.${field} must be ${expected} (got ${got === null ? 'null' : typeof got})`);
}

function checkStorage(storage) {
  if (typeof storage !== 'object' || storage === null) throw optionError('storage', 'an object with read, commit and scan functions', storage);
  for (const fn of ['read', 'commit', 'scan']) {
    if (typeof storage[fn] !== 'function') throw optionError(`storage.${fn}`, 'a function', storage[fn]);
  }
}

/**
 * Creates a loyalty backend over the host's storage.
 * @param {import('./index').LoyaltyBackendOptions} options
 */
export function createLoyaltyBackend(options) {
  if (typeof options !== 'object' || options === null) throw optionError('', 'an object', options);
  const {
    storage, now = Date.now, newId = randomGuid, contacts, onEvent, onProgress, events, memberTokenSecret, referenceCoupons, testing,
    outbox: outboxOption = true, redeliverEventsAfterMs = REDELIVER_AFTER_MS, storageTimeoutMs = STORAGE_TIMEOUT_MS,
  } = options;
  // Test hook: operations that must trap before they start (see README, "Correctness").
  const trapBefore = new Set(testing?.trapBefore ?? []);
  checkStorage(storage);
  for (const [name, fn] of [['now', now], ['newId', newId]]) {
    if (typeof fn !== 'function') throw optionError(name, 'a function', fn);
  }
  for (const [name, fn] of [['contacts', contacts], ['onEvent', onEvent], ['onProgress', onProgress]]) {
    if (fn !== undefined && fn !== null && typeof fn !== 'function') throw optionError(name, 'a function', fn);
  }
  if (events !== undefined && events !== null && typeof events !== 'object') throw optionError('events', 'a module object of event handlers', events);
  if (typeof storageTimeoutMs !== 'number' || !(storageTimeoutMs > 0) || storageTimeoutMs > 2 ** 31 - 1) {
    throw optionError('storageTimeoutMs', 'a number of milliseconds, more than 0 (at most 2^31 - 1)', storageTimeoutMs);
  }
  if (typeof outboxOption !== 'boolean') throw optionError('outbox', 'a boolean', outboxOption);
  if (typeof redeliverEventsAfterMs !== 'number' || !(redeliverEventsAfterMs >= 0) || !Number.isFinite(redeliverEventsAfterMs)) {
    throw optionError('redeliverEventsAfterMs', 'a number of milliseconds, 0 or more', redeliverEventsAfterMs);
  }
  const beforeDelivery = testing?.beforeDelivery;
  if (beforeDelivery !== undefined && typeof beforeDelivery !== 'function') throw optionError('testing.beforeDelivery', 'a function', beforeDelivery);
  const handlerWaitMs = testing?.handlerWaitMs;
  if (handlerWaitMs !== undefined && !(typeof handlerWaitMs === 'number' && handlerWaitMs >= 0 && handlerWaitMs <= 2 ** 31 - 1)) {
    throw optionError('testing.handlerWaitMs', 'a number of milliseconds, 0 or more', handlerWaitMs);
  }
  const hooks = referenceCoupons ?? null;
  if (hooks !== null && (typeof hooks !== 'object' || typeof hooks.create !== 'function' || typeof hooks.void !== 'function')) {
    throw optionError('referenceCoupons', 'an object with create and void functions', hooks);
  }
  const table = operationTable();
  const rows = new Map(table.operations.map((op) => [op.name, op]));
  const hub = eventHub({ onEvent, events, table, newEventId: randomGuid });
  const tokens = createTokens(memberTokenSecret);
  // The program record as storage last returned or accepted it: lets createAccount commit
  // without a read (the commit checks this copy is still current).
  let program = null;
  const queue = new KeyedQueue();
  // The default store lives in wasm: operations on it run without storage round trips.
  const local = localStoreOf(storage);
  // On a host's storage, events are recorded in their commit and delivered at least once
  // (js/outbox.js); the default store dies with its process, and delivers after the commit.
  const outbox = local === null && outboxOption
    ? createOutbox({ call: callStorage, hub, clock: () => clock(), newEventId: randomGuid, redeliverAfterMs: redeliverEventsAfterMs, beforeDelivery, handlerWaitMs })
    : null;

  function clock() {
    let t;
    try {
      t = now();
    } catch (cause) {
      throw loyaltyError('INTERNAL', 'CLOCK_ERROR', `the clock (options.now) threw: ${describe(cause)}`, {}, cause);
    }
    return t instanceof Date ? t.getTime() : typeof t === 'number' ? t : NaN;
  }

  function freshIds(n) {
    const ids = new Array(n);
    for (let i = 0; i < n; i++) {
      let id;
      try {
        id = newId();
      } catch (cause) {
        throw loyaltyError('INTERNAL', 'ID_GENERATOR_ERROR', `the id generator (options.newId) threw: ${describe(cause)}`, {}, cause);
      }
      ids[i] = typeof id === 'string' ? id : String(id);
    }
    return ids;
  }

  /**
   * Calls the host's storage function `name`, within the deadline: one that has not answered by
   * then rejects with UNAVAILABLE / STORAGE_TIMEOUT, and its `signal` (the call's second argument,
   * `{ signal }`) aborts, so that an adapter can drop the work it has not started. Its late answer
   * is ignored.
   */
  async function callStorage(name, arg) {
    const control = new AbortController();
    let timer;
    const expired = new Promise((resolve) => {
      timer = setTimeout(resolve, storageTimeoutMs, TIMED_OUT);
    });
    try {
      const call = storage[name](arg, { signal: control.signal });
      const answer = await Promise.race([call, expired]);
      if (answer !== TIMED_OUT) return answer;
      control.abort();
      Promise.resolve(call).catch(() => {}); // a late failure is nobody's to hear
      throw storageTimeout(name, storageTimeoutMs);
    } catch (cause) {
      throw isLoyaltyError(cause) && cause.reason === 'STORAGE_TIMEOUT' ? cause : storageError(name, cause);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Calls the host's coupon hook `name`: `{ ok }` with what it resolved to, or `{ error }`. */
  async function callHook(name, payload) {
    try {
      const ok = await hooks[name](JSON.parse(payload));
      return { ok: ok ?? null };
    } catch (cause) {
      return { error: describe(cause) };
    }
  }

  async function resolveContact(contactId) {
    try {
      return await contacts(contactId);
    } catch (cause) {
      throw loyaltyError('UNAVAILABLE', 'CONTACTS_ERROR', `the contacts resolver failed for ${contactId}: ${describe(cause)}`, { contactId }, cause);
    }
  }

  function advance(step, kind, answer, born) {
    if (born !== currentGeneration()) throw RESTART;
    try {
      return decode(resume(step.h, kind, answer));
    } catch (thrown) {
      throw fromCall(thrown);
    }
  }

  /** Hands a progress report to `listener`, if any; its failures are logged, never thrown. */
  function notify(listener, json) {
    if (typeof listener !== 'function') return;
    try {
      const r = listener(parseAnswer(json));
      if (r && typeof r.then === 'function') r.then(undefined, (e) => console.error('wix-loyalty-wasm: onProgress failed:', e));
    } catch (e) {
      console.error('wix-loyalty-wasm: onProgress failed:', e);
    }
  }

  const reportProgress = (json) => notify(onProgress, json);

  /** Commits a step's writes (and `entry`, its events' outbox entry); resolves to true, or to the conflicting key. */
  async function commit(step, entry) {
    const outcome = await callStorage('commit', entry ? [...step.writes, entry.write] : step.writes);
    if (outcome && outcome.ok === true) {
      const written = step.writes.find((w) => w.key === 'program' && w.value !== null);
      if (written) program = { value: written.value, version: written.version + 1 };
      return true;
    }
    if (!outcome || outcome.ok !== false || typeof outcome.conflict !== 'string') {
      throw loyaltyError('INTERNAL', 'STORAGE_PROTOCOL_ERROR', 'storage.commit must resolve to { ok: true } or { ok: false, conflict: key }');
    }
    return outcome.conflict;
  }

  /** Drives an operation's steps to its result (JSON text); `report` hears each batch's progress. */
  async function drive(step, born, report) {
    let attempts = 1;
    for (;;) {
      switch (step.t) {
        case 'read': {
          const answer = await callStorage('read', step.keys);
          if (step.keys[0] === 'program' && Array.isArray(answer)) program = programCopy(answer[0]);
          step = advance(step, 'read', answer, born);
          break;
        }
        case 'scan':
          step = advance(step, 'scan', await callStorage('scan', { prefix: step.prefix, after: step.after, limit: step.limit, reverse: step.reverse }), born);
          break;
        case 'contact':
          step = advance(step, 'contact', await resolveContact(step.contactId), born);
          break;
        case 'ids':
          step = advance(step, 'ids', freshIds(step.count), born);
          break;
        case 'hook':
          step = advance(step, 'hook', await callHook(step.hook, step.payload), born);
          break;
        case 'commit':
        case 'batch': {
          const entry = outbox === null ? null : outbox.entry(step.events);
          const result = await commit(step, entry);
          if (result === true) {
            if (entry) outbox.committed(entry);
            else if (outbox === null) hub.deliver(hub.withIds(step.events));
            if (step.t === 'commit') return step.result;
            report(step.progress);
            attempts = 1;
            step = advance(step, 'committed', undefined, born);
            break;
          }
          if (++attempts > MAX_ATTEMPTS) {
            throw loyaltyError('ABORTED', 'TOO_MANY_CONFLICTS',
              `gave up after ${MAX_ATTEMPTS} attempts: key ${result} kept changing under concurrent writers`, { key: result });
          }
          // Other writers won the race: wait a little (more each time, with jitter), then let the
          // engine read again and decide on fresh data.
          if (attempts > 2) await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 ** attempts, 50)));
          step = advance(step, 'conflict', result, born);
          break;
        }
        case 'done':
          hub.deliver(hub.withIds(step.events)); // committed by the default store
          return step.result;
        default:
          throw loyaltyError('INTERNAL', 'STEP_FORMAT_ERROR', `unknown step ${String(step.t)}`);
      }
    }
  }

  /**
   * `start` flags: 1 = a contacts resolver, 2 = someone listens to events, 8 = coupon hooks, 4 = an answer that is
   * one account may come packed (`packed`: the caller builds answers with parseAnswer), 16 = an anonymous visitor calls.
   */
  function flags(packed, member) {
    return (typeof contacts === 'function' ? 1 : 0) | (hub.listening ? 2 : 0) | (packed ? 4 : 0) | (hooks !== null ? 8 : 0) | (member === VISITOR ? 16 : 0);
  }

  /** Starts an operation in wasm; the step remembers the instance generation holding its state. */
  function begin(name, args, t, ids, member, packed) {
    try {
      if (trapBefore.has(name)) testingTrap();
      const step = decode(start(name, args, t, ids, flags(packed, member), memberId(member), program?.value, program?.version));
      step.gen = currentGeneration();
      return step;
    } catch (thrown) {
      throw fromCall(thrown);
    }
  }

  /** Drives one attempt; starts over when a trap recovery took the operation's wasm state. */
  async function attempt(name, args, t, ids, member, packed, first, report) {
    for (let step = first; ; step = begin(name, args, t, ids, member, packed)) {
      const born = step.gen;
      try {
        return await drive(step, born, report);
      } catch (e) {
        if (e !== RESTART) throw e;
      } finally {
        if (born === currentGeneration()) release(step.h);
      }
    }
  }

  /**
   * Runs `name` on the default store in one synchronous call; goes on on the generic path only
   * when the operation must wait on the host (a contacts resolver, a job's batches).
   */
  function runLocal(name, args, t, ids, member, packed, report) {
    let out;
    try {
      if (trapBefore.has(name)) testingTrap();
      out = localRun(local.id(), name, args, t, ids, flags(packed, member), memberId(member));
    } catch (thrown) {
      throw fromCall(thrown); // an operation that fails has committed nothing
    }
    const tag = out.charCodeAt(0);
    if (tag === 61 /* = */) return out.slice(1);
    local.keep(); // before the answer: an acknowledged write is always in the journal
    if (tag === 43 /* + */) return out.slice(1);
    const step = decode(out);
    step.gen = currentGeneration();
    if (step.t === 'done') {
      hub.deliver(hub.withIds(step.events));
      return step.result;
    }
    return attempt(name, args, t, ids, member, packed, step, report);
  }

  /**
   * Runs operation `name` as `member` (an admin when undefined): its answer's text (JSON, or
   * with `packed` possibly a packed account answer: see parseAnswer), or a promise of it (on the
   * default store the answer is ready when this returns).
   */
  function run(name, args, member, packed, report = reportProgress) {
    const t = clock();
    const row = rows.get(name);
    const ids = row?.implemented ? freshIds(row.ids) : [];
    if (local !== null) return runLocal(name, args, t, ids, member, packed, report);
    return runGeneric(name, args, t, ids, member, packed, report);
  }

  /** Runs `name` over the host's storage, queued behind earlier holders of its keys. */
  async function runGeneric(name, args, t, ids, member, packed, report) {
    const step = begin(name, args, t, ids, member, packed);
    if (!step.lock) return attempt(name, args, t, ids, member, packed, step, report);
    const unlock = await queue.acquireAll(step.lock);
    try {
      return await attempt(name, args, t, ids, member, packed, step, report);
    } finally {
      unlock();
    }
  }

  /** Any failure as a LoyaltyError (an unexpected one included). */
  function failure(e) {
    return isLoyaltyError(e) ? e : fromWasm(e);
  }

  /** Runs an operation; every failure, even an unexpected one, rejects with a LoyaltyError. */
  async function call(name, args, member, packed) {
    try {
      return await run(name, args, member, packed);
    } catch (e) {
      throw failure(e);
    }
  }

  /** Runs an operation; resolves to its answer's JSON text. */
  const callJson = (name, args, member) => call(name, args, member, false);

  /** The SDK's modules acting as `member` (an admin when undefined, VISITOR for an anonymous visitor). */
  function modulesFor(member, admin) {
    // On the default store the answer is ready when run() returns: it is parsed at once, with
    // no await between (a promise per layer was a tenth of a getAccount).
    const invoke = (name, args) => {
      try {
        const out = run(name, args, member, true);
        return typeof out === 'string' ? Promise.resolve(parseAnswer(out)) : out.then(parseAnswer, (e) => Promise.reject(failure(e)));
      } catch (e) {
        return Promise.reject(failure(e));
      }
    };
    const built = buildModules(table, invoke, (type, handler) => hub.subscribe(type, handler));
    // (The scheduled work takes a function, `onProgress`, which the generic path cannot pass.)
    const modules = member === undefined ? { ...built, jobs: Object.freeze({ ...built.jobs, runScheduledWork }) } : built;
    return {
      ...modules,
      // The legacy `wix-loyalty-backend` modules: `program` answers as `programs` does; `account`
      // in the legacy shapes (see js/modules.js).
      program: modules.programs,
      // Its latestTransaction is read with an admin's rights, but only ever of the account the
      // caller just read (a member's own, by getCurrentMemberAccount).
      account: legacyAccount(modules.accounts, (admin ?? modules).transactions),
    };
  }

  /** Audits the whole store, the events outbox included; resolves to a report listing every discrepancy found. */
  async function verify() {
    const report = await verifyRecords();
    const { counts, found } = await auditOutbox(callStorage, VERIFY_PAGE);
    Object.assign(report.counts, counts);
    report.discrepancyCount += found.length;
    for (const d of found) {
      if (report.discrepancies.length < MAX_LISTED) report.discrepancies.push(d);
      else report.truncated = true;
    }
    report.ok = report.ok && found.length === 0;
    return report;
  }

  /** The wasm verifier over every key family but the outbox. */
  async function verifyRecords() {
    const verifier = new StoreVerifier();
    const born = currentGeneration();
    try {
      for (const prefix of table.verifyPrefixes) {
        let after;
        for (;;) {
          const rows = await callStorage('scan', { prefix, after, limit: VERIFY_PAGE, reverse: false });
          if (born !== currentGeneration()) {
            throw loyaltyError('ABORTED', 'ENGINE_RESTARTED', 'the engine recovered from a trap while verify() ran: run verify() again');
          }
          try {
            if (trapBefore.has('verify')) testingTrap();
            verifier.feed(rows);
          } catch (thrown) {
            throw fromCall(thrown);
          }
          if (!Array.isArray(rows) || rows.length < VERIFY_PAGE) break;
          after = rows[rows.length - 1].key;
        }
      }
      try {
        return JSON.parse(verifier.finish());
      } catch (thrown) {
        throw fromCall(thrown);
      }
    } finally {
      // An object of a replaced instance must not reach the new one's allocator.
      if (born === currentGeneration()) verifier.free();
    }
  }

  /**
   * Expires due points and rolls due tier windows (see README, "Points expiration and scheduled
   * work"); `options.onProgress` (and the backend's) hears each committed batch.
   */
  async function runScheduledWork(options) {
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw loyaltyError('INVALID_ARGUMENT', 'INVALID_ARGUMENT', `runScheduledWork: options must be an object (got ${describe(options)})`);
    }
    let each;
    let rest;
    try {
      ({ onProgress: each, ...rest } = options ?? {});
    } catch (cause) {
      throw loyaltyError('INVALID_ARGUMENT', 'INVALID_ARGUMENT', `runScheduledWork: options could not be read: ${describe(cause)}`, {}, cause);
    }
    if (each !== undefined && each !== null && typeof each !== 'function') {
      throw loyaltyError('INVALID_ARGUMENT', 'INVALID_ARGUMENT', `runScheduledWork: options.onProgress must be a function (got ${describe(each)})`);
    }
    const report = (json) => {
      reportProgress(json);
      notify(each, json);
    };
    try {
      const answer = parseAnswer(await run('runScheduledWork', [rest], undefined, false, report));
      answer.redeliveredEvents = outbox !== null && hub.listening ? await outbox.sweep() : 0;
      return answer;
    } catch (e) {
      throw failure(e);
    }
  }

  /**
   * Resolves once every event delivered so far is marked delivered in the store (see README,
   * "Events"); a host awaits it before closing its storage.
   */
  async function flushEvents() {
    try {
      await starting;
      if (outbox !== null) await outbox.flush();
    } catch (e) {
      throw failure(e);
    }
  }

  // A backend that starts on a host's storage delivers what a process before it left undelivered
  // (flushEvents() waits for it).
  const starting = outbox === null ? null : new Promise((resolve) => {
    setTimeout(() => {
      if (!hub.listening) return resolve();
      outbox.sweep()
        .catch((e) => console.error('wix-loyalty-wasm: delivering the events left pending failed (runScheduledWork() tries again):', e))
        .then(resolve);
    }, 0);
  });

  const adminModules = modulesFor(undefined);
  const members = new Map();
  let visitor = null;
  const backend = {
    runScheduledWork,
    flushEvents,
    ...adminModules,
    /**
     * The same modules acting as site member `memberId`: member methods (`getCurrentMemberAccount`,
     * ...) act for that member, admin methods reject with PERMISSION_DENIED.
     */
    forMember(memberId) {
      if (typeof memberId !== 'string') throw loyaltyError('INVALID_ARGUMENT', 'INVALID_MEMBER', `forMember: memberId must be a string (got ${typeof memberId})`);
      const problem = nameProblem(memberId);
      if (problem) throw loyaltyError('INVALID_ARGUMENT', 'INVALID_MEMBER', `forMember: memberId ${problem}`);
      let view = members.get(memberId);
      if (!view) {
        view = Object.freeze(modulesFor(memberId, adminModules));
        if (members.size < 1000) members.set(memberId, view);
      }
      return view;
    },
    /**
     * The same modules acting as an anonymous site visitor (Velo code that is not elevated, with
     * nobody logged in): admin methods reject with PERMISSION_DENIED, current-member methods with
     * UNAUTHENTICATED, and listRewards shows the active rewards.
     */
    forVisitor() {
      visitor ??= Object.freeze(modulesFor(VISITOR, adminModules));
      return visitor;
    },
    /** A token that identifies `memberId` to this backend's REST face (see README, "Permissions"). */
    memberToken: (memberId) => tokens.issue(memberId),
    verify: () => verify().catch((e) => { throw isLoyaltyError(e) ? e : fromCall(e); }),
    [INTERNAL]: Object.freeze({
      table,
      /** Runs `name` as `member` (an admin when undefined); resolves to the answer's JSON text. */
      call: callJson,
      /** Member tokens: `verify(token)` → the member or null, `looksLike(text)`. */
      tokens,
      /** Resolves once the storage answered a read within the deadline (a readiness probe). */
      ping: async () => {
        try {
          await callStorage('read', ['program']);
        } catch (e) {
          throw failure(e);
        }
      },
      storage,
      /**
       * For the bench's breakdown: runs `name` on the default store straight through the module
       * (the rules and the store, the journal kept), without the JS face around it; the raw
       * answer. Undefined on other storage.
       */
      wasmRun: local === null ? undefined : (name, args) => {
        const row = rows.get(name);
        const out = localRun(local.id(), name, args, Date.now(), row?.implemented ? freshIds(row.ids) : [], flags(true), undefined);
        local.keep();
        return out;
      },
    }),
  };
  return Object.freeze(backend);
}
