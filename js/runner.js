// The I/O runner: what drives one operation's steps between the wasm step machine and the host.
// It validates nothing itself (the core does), it only awaits the host's storage (within a
// deadline), contacts resolver and coupon hooks, queues mutations of the same keys within one
// backend, retries conflicted commits, drives jobs batch by batch, and hands events to the outbox
// or the hub after their commit. On the default store (memoryStorage(), whose entries live in
// wasm) an operation runs in one synchronous call instead, and comes here only when it must wait
// on the host. js/engine.js builds one runner per backend, from the backend's checked options,
// and assembles the modules over it; the runner keeps what a backend's operations share (the key
// queue, the program record last seen).

import { start, resume, release, testingTrap, localRun } from './wasm/wix_loyalty_wasm.js';
import { currentGeneration, fromCall } from './instance.js';
import { unpack } from './step.js';
import { fromWasm, loyaltyError, storageError, storageTimeout, isLoyaltyError, describe } from './errors.js';
import { parseAnswer } from './shapes.js';
import TABLE from './table.js';

/**
 * The attempt policy of a conflicting commit (src/core/attempts.rs): `max` attempts, then
 * ABORTED; each attempt after the `backoffAfter`th waits up to 2^attempt ms, at most `backoffCapMs`.
 */
const ATTEMPTS = TABLE.attempts;
/** The key of the program record (src/core/records/keys.rs PROGRAM, through the build's table). */
export const PROGRAM_KEY = TABLE.programKey;
/** The `start` flags, one bit each (src/core/protocol.rs FLAG_*, through the build's table). */
const FLAGS = TABLE.flags;

/** The caller of the modules `forVisitor()` gives: an anonymous site visitor. */
export const VISITOR = Symbol('visitor');

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

/** Any failure as a LoyaltyError (an unexpected one included). */
export function failure(e) {
  return isLoyaltyError(e) ? e : fromWasm(e);
}

/** Hands a progress report to `listener`, if any; its failures are logged, never thrown. */
export function notify(listener, json) {
  if (typeof listener !== 'function') return;
  try {
    const r = listener(parseAnswer(json));
    if (r && typeof r.then === 'function') r.then(undefined, (e) => console.error('wix-loyalty-wasm: onProgress failed:', e));
  } catch (e) {
    console.error('wix-loyalty-wasm: onProgress failed:', e);
  }
}

/**
 * A function that calls the host's storage function `name`, within `timeoutMs`: one that has not
 * answered by then rejects with UNAVAILABLE / STORAGE_TIMEOUT, and its `signal` (the call's second
 * argument, `{ signal }`) aborts, so that an adapter can drop the work it has not started. Its late
 * answer is ignored. (A function of its own: the outbox and verify() call the storage too.)
 */
export function storageCaller(storage, timeoutMs) {
  return async function callStorage(name, arg) {
    const control = new AbortController();
    let timer;
    const expired = new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs, TIMED_OUT);
    });
    try {
      const call = storage[name](arg, { signal: control.signal });
      const answer = await Promise.race([call, expired]);
      if (answer !== TIMED_OUT) return answer;
      control.abort();
      Promise.resolve(call).catch(() => {}); // a late failure is nobody's to hear
      throw storageTimeout(name, timeoutMs);
    } catch (cause) {
      throw isLoyaltyError(cause) && cause.reason === 'STORAGE_TIMEOUT' ? cause : storageError(name, cause);
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Creates the runner of one backend's operations.
 * @param {object} options
 * @param {(name: string, arg: unknown) => Promise<unknown>} options.callStorage the host's storage, within its deadline (storageCaller)
 * @param {object | null} options.local the default store in wasm (localStoreOf), or null on a host's storage
 * @param {() => number} options.clock the time an operation runs at, in milliseconds
 * @param {(n: number) => string[]} options.freshIds `n` new ids
 * @param {Function | null | undefined} options.contacts the host's contacts resolver, if any
 * @param {object | null} options.hooks the host's coupon hooks (`{ create, void }`), or null
 * @param {object} options.hub the event hub (js/events.js)
 * @param {object | null} options.outbox the events outbox (js/outbox.js), or null: events are delivered after their commit
 * @param {Function | null | undefined} options.onProgress hears each committed batch of a job, unless a run names its own listener
 * @param {Set<string>} options.trapBefore test hook: operations that must trap before they start
 * @returns {{ run: Function, call: Function, wasmRun: Function | undefined }}
 */
export function createRunner({ callStorage, local, clock, freshIds, contacts, hooks, hub, outbox, onProgress, trapBefore }) {
  const rows = new Map(TABLE.operations.map((op) => [op.name, op]));
  // The program record as storage last returned or accepted it: lets createAccount commit
  // without a read (the commit checks this copy is still current).
  let program = null;
  const queue = new KeyedQueue();
  /** The backend's listener of job progress (one function, not one a run). */
  const reportProgress = (json) => notify(onProgress, json);

  /** The fresh ids operation `name` draws (none for a row not implemented: it fails at once). */
  function idsFor(name) {
    const row = rows.get(name);
    return row?.implemented ? freshIds(row.ids) : [];
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

  /** Asks the host's contacts resolver for `contactId`; its failure is UNAVAILABLE / CONTACTS_ERROR. */
  async function resolveContact(contactId) {
    try {
      return await contacts(contactId);
    } catch (cause) {
      throw loyaltyError('UNAVAILABLE', 'CONTACTS_ERROR', `the contacts resolver failed for ${contactId}: ${describe(cause)}`, { contactId }, cause);
    }
  }

  /** Hands the host's answer to the step's machine; RESTART when a trap recovery (since `born`) took it. */
  function advance(step, kind, answer, born) {
    if (born !== currentGeneration()) throw RESTART;
    try {
      return decode(resume(step.h, kind, answer));
    } catch (thrown) {
      throw fromCall(thrown);
    }
  }

  /** Commits a step's writes (and `entry`, its events' outbox entry); resolves to true, or to the conflicting key. */
  async function commit(step, entry) {
    const outcome = await callStorage('commit', entry ? [...step.writes, entry.write] : step.writes);
    if (outcome && outcome.ok === true) {
      const written = step.writes.find((w) => w.key === PROGRAM_KEY && w.value !== null);
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
          if (step.keys[0] === PROGRAM_KEY && Array.isArray(answer)) program = programCopy(answer[0]);
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
          if (++attempts > ATTEMPTS.max) {
            throw loyaltyError('ABORTED', 'TOO_MANY_CONFLICTS',
              `gave up after ${ATTEMPTS.max} attempts: key ${result} kept changing under concurrent writers`, { key: result });
          }
          // Other writers won the race: wait a little (more each time, with jitter), then let the
          // engine read again and decide on fresh data.
          if (attempts > ATTEMPTS.backoffAfter) {
            await new Promise((r) => setTimeout(r, Math.random() * Math.min(2 ** attempts, ATTEMPTS.backoffCapMs)));
          }
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
   * The `start` flags of a call: a contacts resolver, someone listening to events, an answer that
   * is one account may come packed (`packed`: the caller builds answers with parseAnswer), coupon
   * hooks, an anonymous visitor calling.
   */
  function flags(packed, member) {
    return (typeof contacts === 'function' ? FLAGS.contacts : 0) | (hub.listening ? FLAGS.events : 0) | (packed ? FLAGS.packed : 0)
      | (hooks !== null ? FLAGS.couponHooks : 0) | (member === VISITOR ? FLAGS.visitor : 0);
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

  /**
   * Runs operation `name` as `member` (an admin when undefined, VISITOR for an anonymous visitor):
   * its answer's text (JSON, or with `packed` possibly a packed account answer: see parseAnswer),
   * or a promise of it (on the default store the answer is ready when this returns). `report`
   * hears each committed batch of a job (by default, the backend's onProgress).
   */
  function run(name, args, member, packed, report = reportProgress) {
    const t = clock();
    const ids = idsFor(name);
    if (local !== null) return runLocal(name, args, t, ids, member, packed, report);
    return runGeneric(name, args, t, ids, member, packed, report);
  }

  /** Runs an operation; every failure, even an unexpected one, rejects with a LoyaltyError. */
  async function call(name, args, member, packed) {
    try {
      return await run(name, args, member, packed);
    } catch (e) {
      throw failure(e);
    }
  }

  /**
   * For the bench's breakdown: runs `name` on the default store straight through the module
   * (the rules and the store, the journal kept), without the JS face around it; the raw answer.
   */
  function wasmRun(name, args) {
    const out = localRun(local.id(), name, args, Date.now(), idsFor(name), flags(true), undefined);
    local.keep();
    return out;
  }

  return { run, call, wasmRun: local === null ? undefined : wasmRun };
}
