// A loyalty backend's assembly: createLoyaltyBackend checks its options, builds the I/O runner
// that drives each operation's steps between the wasm step machine and the host (js/runner.js),
// the events outbox over the same storage calls, and the modules per caller (the admin, a site
// member, an anonymous visitor) over the runner, with the legacy singular ones (js/legacy.js);
// and adds what is not one operation: verify(), runScheduledWork(), flushEvents(). The engine's
// own counters and the table of operations are here too, for every entry point.

import { operationsInFlight, StoreVerifier, memoryBytes, testingTrap } from './wasm/wix_loyalty_wasm.js';
import { currentGeneration, trapCount, fromCall } from './instance.js';
import { localStoreOf } from './memory-storage.js';
// The table of operations, as the build wrote it from src/core/operations.rs (examples/table.rs),
// so a backend can be made before the module is instantiated: entry points import this file first.
import TABLE from './table.js';
import { loyaltyError, isLoyaltyError, describe } from './errors.js';
import { parseAnswer } from './shapes.js';
import { buildModules } from './modules.js';
import { legacyModules } from './legacy.js';
import { createRunner, storageCaller, failure, notify, VISITOR, PROGRAM_KEY } from './runner.js';
import { eventHub } from './events.js';
import { createOutbox, auditOutbox, REDELIVER_AFTER_MS } from './outbox.js';
import { createTokens } from './tokens.js';
import { nameProblem } from './text.js';

/** By default, how long a storage call may take before it is UNAVAILABLE / STORAGE_TIMEOUT. */
export const STORAGE_TIMEOUT_MS = 5_000;

/** Rows per storage.scan while verifying a store. */
const VERIFY_PAGE = 500;
/** Discrepancies a verify() report lists (src/core/verify.rs MAX_LISTED, through the build's table). */
const MAX_LISTED = TABLE.verifyMaxListed;

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

/** A random (version 4) UUID: the default id generator, and the ids of events and requests. */
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

/** INVALID_ARGUMENT / INVALID_OPTIONS for option `field`, which is not what it must be. */
function optionError(field, expected, got) {
  return loyaltyError('INVALID_ARGUMENT', 'INVALID_OPTIONS',
    `createLoyaltyBackend: options.${field} must be ${expected} (got ${got === null ? 'null' : typeof got})`);
}

/** Checks that `storage` has the functions the runner calls. */
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
  // Test hook: operations that must trap before they start (see docs/correctness.md).
  if (testing !== undefined && (typeof testing !== 'object' || testing === null)) throw optionError('testing', 'an object', testing);
  const traps = testing?.trapBefore ?? [];
  if (!Array.isArray(traps) || !traps.every((name) => typeof name === 'string')) {
    throw optionError('testing.trapBefore', 'a list of operation names', traps);
  }
  const trapBefore = new Set(traps);
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
  const hub = eventHub({ onEvent, events, table, newEventId: randomGuid });
  const tokens = createTokens(memberTokenSecret);
  const callStorage = storageCaller(storage, storageTimeoutMs);
  // The default store lives in wasm: operations on it run without storage round trips.
  const local = localStoreOf(storage);
  // On a host's storage, events are recorded in their commit and delivered at least once
  // (js/outbox.js); the default store dies with its process, and delivers after the commit.
  const outbox = local === null && outboxOption
    ? createOutbox({ call: callStorage, hub, clock: () => clock(), newEventId: randomGuid, redeliverAfterMs: redeliverEventsAfterMs, beforeDelivery, handlerWaitMs })
    : null;
  const { run, call, wasmRun } = createRunner({
    callStorage, local, clock, freshIds, contacts, hooks, hub, outbox, onProgress, trapBefore,
  });

  /** The time now (options.now), in milliseconds: NaN when it is not a Date or a number, for the core to refuse. */
  function clock() {
    let t;
    try {
      t = now();
    } catch (cause) {
      throw loyaltyError('INTERNAL', 'CLOCK_ERROR', `the clock (options.now) threw: ${describe(cause)}`, {}, cause);
    }
    return t instanceof Date ? t.getTime() : typeof t === 'number' ? t : NaN;
  }

  /** `n` fresh ids from options.newId, as strings. */
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
    return { ...modules, ...legacyModules(modules, admin) };
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
    /** Runs `fn` (a call into the module); a trap is recovered from (fromCall) as elsewhere. */
    const inWasm = (fn) => {
      try {
        return fn();
      } catch (thrown) {
        throw fromCall(thrown);
      }
    };
    const verifier = inWasm(() => new StoreVerifier());
    const born = currentGeneration();
    try {
      for (const prefix of table.verifyPrefixes) {
        let after;
        for (;;) {
          const rows = await callStorage('scan', { prefix, after, limit: VERIFY_PAGE, reverse: false });
          if (born !== currentGeneration()) {
            throw loyaltyError('ABORTED', 'ENGINE_RESTARTED', 'the engine recovered from a trap while verify() ran: run verify() again');
          }
          inWasm(() => {
            if (trapBefore.has('verify')) testingTrap();
            verifier.feed(rows);
          });
          if (!Array.isArray(rows) || rows.length < VERIFY_PAGE) break;
          after = rows[rows.length - 1].key;
        }
      }
      return JSON.parse(inWasm(() => verifier.finish()));
    } finally {
      // An object of a replaced instance must not reach the new one's allocator.
      if (born === currentGeneration()) inWasm(() => verifier.free());
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
      notify(onProgress, json);
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
   * Resolves once every event delivered so far is marked delivered in the store (see
   * docs/storage.md, "Events at least once"); a host awaits it before closing its storage.
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
    // Every failure as a LoyaltyError. Each call into the module inside recovers from its own
    // trap (inWasm), so anything else is a plain failure, not a reason to re-create the module.
    verify: () => verify().catch((e) => {
      throw isLoyaltyError(e) ? e : loyaltyError('INTERNAL', 'VERIFY_FAILED', `verify() failed: ${describe(e)}`, {}, e);
    }),
    [INTERNAL]: Object.freeze({
      table,
      /** Runs `name` as `member` (an admin when undefined); resolves to the answer's JSON text. */
      call: callJson,
      /** Member tokens: `verify(token)` → the member or null, `looksLike(text)`. */
      tokens,
      /** Resolves once the storage answered a read within the deadline (a readiness probe). */
      ping: async () => {
        try {
          await callStorage('read', [PROGRAM_KEY]);
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
      wasmRun,
    }),
  };
  return Object.freeze(backend);
}
