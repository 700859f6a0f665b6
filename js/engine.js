// The I/O shell around the wasm step machine: it validates nothing itself (the core does),
// it only awaits the host's storage, queues mutations of the same key within this instance,
// retries conflicted commits, and delivers events after a commit.

import {
  start, resume, release, operationsInFlight, dateFields, StoreVerifier, verifyPrefixes, memoryBytes, testingTrap,
  __wbg_reset_state as resetWasm,
} from './wasm/wix_loyalty_wasm.js';
import { fromWasm, loyaltyError, storageError, isLoyaltyError } from './errors.js';
import { LoyaltyTransactionsQueryBuilder } from './query.js';

/** Attempts a mutation gets when its commits keep conflicting; then ABORTED. */
export const MAX_ATTEMPTS = 64;

/** Rows per storage.scan while verifying a store. */
const VERIFY_PAGE = 500;

/** Operations that create an entity and so need a fresh id from options.newId. */
const NEEDS_ID = new Set(['createAccount', 'earnPoints', 'adjustPoints']);

// A trap (a panic that got past every check, or a fault of the runtime) leaves the wasm
// instance with a leaked stack frame and possibly half-updated heap, so it is never reused:
// the call rejects with INTERNAL / WASM_TRAP and the module is instantiated afresh. The only
// state wasm holds is that of the operations in flight; those notice the new generation and
// start over (they had committed nothing), and objects of the old instance are never touched.
let generation = 0;
let traps = 0;

/** Converts what a wasm call threw; on a trap, replaces the instance first. */
function fromCall(thrown) {
  if (typeof thrown === 'string' || isLoyaltyError(thrown)) return fromWasm(thrown);
  traps++;
  generation++;
  try {
    resetWasm();
  } catch (e) {
    console.error('wix-loyalty-wasm: could not re-instantiate the engine after a trap:', e);
  }
  return fromWasm(thrown);
}

/** Counters of this copy of the engine: traps recovered from, instances created, wasm memory, operations in flight. */
export function engineStats() {
  return { traps, instances: generation + 1, wasmMemoryBytes: memoryBytes(), operationsInFlight: operationsInFlight() };
}

/** Thrown inside an operation whose wasm state was lost to a trap recovery: start it again. */
const RESTART = Symbol('restart');

let dates;
/** Turns epoch milliseconds under the SDK's date field names into Dates, in place. */
function reviveDates(value) {
  for (const key in value) {
    const v = value[key];
    if (typeof v === 'number') {
      if (dates.has(key)) value[key] = new Date(v);
    } else if (v !== null && typeof v === 'object') {
      reviveDates(v);
    }
  }
  return value;
}
function parse(json) {
  dates ??= new Set(dateFields());
  return reviveDates(JSON.parse(json));
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

/** A step as the wasm exports pack it: a JSON header line, then the strings it names by length. */
function unpack(packed) {
  const nl = packed.indexOf('\n');
  const step = JSON.parse(packed.slice(0, nl));
  const n = step.n;
  const segments = new Array(n.length);
  let pos = nl + 1;
  for (let i = 0; i < n.length; i++) {
    const end = pos + n[i];
    segments[i] = packed.slice(pos, end);
    pos = end;
  }
  if (step.t === 'commit' || step.t === 'done') {
    step.result = segments[0];
    step.events = segments[1];
  }
  // A write without a value (segment -1) is a check: the key must be at that version.
  if (step.t === 'commit') step.writes = step.w.map(([key, version, i]) => ({ key, value: i < 0 ? null : segments[i], version }));
  return step;
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
}

function randomGuid() {
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
  const { storage, now = Date.now, newId = randomGuid, contacts, onEvent, testing } = options;
  // Test hook: operations that must trap before they start (see README, "Correctness").
  const trapBefore = new Set(testing?.trapBefore ?? []);
  checkStorage(storage);
  for (const [name, fn] of [['now', now], ['newId', newId]]) {
    if (typeof fn !== 'function') throw optionError(name, 'a function', fn);
  }
  for (const [name, fn] of [['contacts', contacts], ['onEvent', onEvent]]) {
    if (fn !== undefined && fn !== null && typeof fn !== 'function') throw optionError(name, 'a function', fn);
  }
  // start() flags: 1 = a contacts resolver, 2 = an event listener.
  const flags = (typeof contacts === 'function' ? 1 : 0) | (typeof onEvent === 'function' ? 2 : 0);
  const wantEvents = (flags & 2) !== 0;
  // The program record as storage last returned or accepted it: lets createAccount commit
  // without a read (the commit checks this copy is still current).
  let program = null;
  const queue = new KeyedQueue();

  function clock() {
    let t;
    try {
      t = now();
    } catch (cause) {
      throw loyaltyError('INTERNAL', 'CLOCK_ERROR', `the clock (options.now) threw: ${cause?.message ?? cause}`, null, cause);
    }
    return t instanceof Date ? t.getTime() : typeof t === 'number' ? t : NaN;
  }

  function freshId() {
    let id;
    try {
      id = newId();
    } catch (cause) {
      throw loyaltyError('INTERNAL', 'ID_GENERATOR_ERROR', `the id generator (options.newId) threw: ${cause?.message ?? cause}`, null, cause);
    }
    return typeof id === 'string' ? id : String(id);
  }

  async function callStorage(name, arg) {
    try {
      return await storage[name](arg);
    } catch (cause) {
      throw storageError(name, cause);
    }
  }

  async function resolveContact(contactId) {
    try {
      return await contacts(contactId);
    } catch (cause) {
      throw loyaltyError('UNAVAILABLE', 'CONTACTS_ERROR', `the contacts resolver failed for ${contactId}: ${cause?.message ?? cause}`, { contactId }, cause);
    }
  }

  function advance(step, answer, born) {
    if (born !== generation) throw RESTART;
    try {
      return unpack(resume(step.h, step.t, answer));
    } catch (thrown) {
      throw fromCall(thrown);
    }
  }

  function deliver(eventsJson) {
    if (!wantEvents || eventsJson === '[]') return;
    for (const event of parse(eventsJson)) {
      event.metadata = { _id: randomGuid(), ...event.metadata };
      try {
        const r = onEvent(event);
        if (r && typeof r.then === 'function') r.then(undefined, reportEventError);
      } catch (e) {
        reportEventError(e);
      }
    }
  }

  async function drive(step, born) {
    let attempts = 1;
    for (;;) {
      switch (step.t) {
        case 'read': {
          const answer = await callStorage('read', step.keys);
          if (step.keys[0] === 'program' && Array.isArray(answer)) program = programCopy(answer[0]);
          step = advance(step, answer, born);
          break;
        }
        case 'scan':
          step = advance(step, await callStorage('scan', { prefix: step.prefix, after: step.after, limit: step.limit, reverse: step.reverse }), born);
          break;
        case 'contact':
          step = advance(step, await resolveContact(step.contactId), born);
          break;
        case 'commit': {
          const outcome = await callStorage('commit', step.writes);
          if (outcome && outcome.ok === true) {
            const written = step.writes.find((w) => w.key === 'program' && w.value !== null);
            if (written) program = { value: written.value, version: written.version + 1 };
            deliver(step.events);
            return parse(step.result);
          }
          if (!outcome || outcome.ok !== false || typeof outcome.conflict !== 'string') {
            throw loyaltyError('INTERNAL', 'STORAGE_PROTOCOL_ERROR', 'storage.commit must resolve to { ok: true } or { ok: false, conflict: key }');
          }
          if (++attempts > MAX_ATTEMPTS) {
            throw loyaltyError('ABORTED', 'TOO_MANY_CONFLICTS',
              `gave up after ${MAX_ATTEMPTS} attempts: key ${outcome.conflict} kept changing under concurrent writers`, { key: outcome.conflict });
          }
          // Other writers won the race: wait a little (more each time, with jitter), then let the
          // engine read again and decide on fresh data.
          if (attempts > 2) await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 ** attempts, 50)));
          step = advance({ t: 'conflict', h: step.h }, outcome.conflict, born);
          break;
        }
        case 'done':
          deliver(step.events);
          return parse(step.result);
        default:
          throw loyaltyError('INTERNAL', 'WASM_TRAP', `unknown step ${String(step.t)}`);
      }
    }
  }

  /** Starts an operation in wasm; the step remembers the instance generation holding its state. */
  function begin(op, args, t, id) {
    try {
      if (trapBefore.has(op)) testingTrap();
      const step = unpack(start(op, args, t, id, flags, program?.value, program?.version));
      step.gen = generation;
      return step;
    } catch (thrown) {
      throw fromCall(thrown);
    }
  }

  /** Drives one attempt; starts over when a trap recovery took the operation's wasm state. */
  async function attempt(op, args, t, id, first) {
    for (let step = first; ; step = begin(op, args, t, id)) {
      const born = step.gen;
      try {
        return await drive(step, born);
      } catch (e) {
        if (e !== RESTART) throw e;
      } finally {
        if (born === generation) release(step.h);
      }
    }
  }

  async function run(op, args) {
    const t = clock();
    const id = NEEDS_ID.has(op) ? freshId() : undefined;
    const step = begin(op, args, t, id);
    if (!step.lock) return attempt(op, args, t, id, step);
    const unlock = await queue.acquire(step.lock);
    try {
      return await attempt(op, args, t, id, step);
    } finally {
      unlock();
    }
  }

  /** Runs an operation; every failure, even an unexpected one, rejects with a LoyaltyError. */
  async function call(op, args) {
    try {
      return await run(op, args);
    } catch (e) {
      throw isLoyaltyError(e) ? e : fromWasm(e);
    }
  }

  const programs = Object.freeze({
    getLoyaltyProgram: () => call('getLoyaltyProgram', []),
    updateLoyaltyProgram: (loyaltyProgram) => call('updateLoyaltyProgram', [loyaltyProgram]),
    activateLoyaltyProgram: () => call('activateLoyaltyProgram', []),
    pauseLoyaltyProgram: () => call('pauseLoyaltyProgram', []),
  });

  const accounts = Object.freeze({
    createAccount: (contactId) => call('createAccount', [contactId]),
    getAccount: (_id) => call('getAccount', [_id]),
    getAccountBySecondaryId: (options) => call('getAccountBySecondaryId', [options]),
    listAccounts: (options) => call('listAccounts', [options]),
    earnPoints: (accountId, options) => call('earnPoints', [accountId, options]),
    adjustPoints: (accountId, options) => call('adjustPoints', [accountId, options]),
  });

  const transactions = Object.freeze({
    getLoyaltyTransaction: (loyaltyTransactionId) => call('getLoyaltyTransaction', [loyaltyTransactionId]),
    queryLoyaltyTransactions: () => new LoyaltyTransactionsQueryBuilder((query) => call('queryLoyaltyTransactions', [query])),
  });

  /** Audits the whole store; resolves to a report listing every discrepancy found. */
  async function verify() {
    const verifier = new StoreVerifier();
    const born = generation;
    try {
      for (const prefix of verifyPrefixes()) {
        let after;
        for (;;) {
          const rows = await callStorage('scan', { prefix, after, limit: VERIFY_PAGE, reverse: false });
          if (born !== generation) {
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
      if (born === generation) verifier.free();
    }
  }

  return Object.freeze({
    programs,
    program: programs,
    accounts,
    account: accounts,
    transactions,
    verify: () => verify().catch((e) => { throw isLoyaltyError(e) ? e : fromCall(e); }),
  });
}

function reportEventError(error) {
  console.error('wix-loyalty-wasm: an onEvent handler failed (the operation itself succeeded):', error);
}
