// The events outbox: events that survive a crash between a commit and their delivery.
//
// On a host's storage (not the default memoryStorage(), which dies with its process), a commit
// that has events carries one more write, the entry `outbox/<ms, 15 digits>/<guid>` (the clock
// as the commit is made) holding those events with their ids (`{"schema":1,"events":[…]}`). After the commit the events
// go to the handlers; once every handler has returned and every promise one returned has
// settled (either way), the entry is marked delivered by overwriting it with a stub
// (`{"schema":1,"delivered":<count>}`), so delivered events do not stay in the store. Marks are
// written in batches, MARK_DELAY_MS after the first one waits (or at flushEvents()).
//
// An entry left unmarked (its process died between the commit and the mark, or the mark could
// not be written) is delivered again, with the same ids, by a sweep: every backend sweeps when
// it starts (when somebody listens) and in runScheduledWork(). A sweep walks the entries from
// the cursor `outbox-cursor` in key order, and delivers and marks every unmarked entry older
// than `redeliverAfterMs` (younger ones may still be in their own process's hands: the sweep
// stops there); within a page, per entity, in entityEventSequence order. The cursor only passes
// marked entries and stays CURSOR_LAG_MS behind the clock, so an entry whose commit was slow,
// or whose process's clock runs behind, still lands ahead of it.
//
// So an event is delivered at least once; a duplicate (a process that died after delivering but
// before marking, a handler slower than `redeliverAfterMs`) carries the same `metadata._id`.

import { loyaltyError, describe } from './errors.js';

export const OUTBOX_PREFIX = 'outbox/';
export const OUTBOX_CURSOR = 'outbox-cursor';

/** Entries per sweep page. */
const PAGE = 100;
/** Marks per commit. */
const MARK_BATCH = 100;
/** How long the first waiting mark waits for others to share its commit. */
const MARK_DELAY_MS = 20;
/** How far behind the clock the sweep's cursor stays. */
export const CURSOR_LAG_MS = 10 * 60_000;
/** By default, how old an unmarked entry must be before a sweep delivers it again. */
export const REDELIVER_AFTER_MS = 60_000;
/** How long a sweep waits for the handlers' promises of a page before moving on. */
const HANDLER_WAIT_MS = 10_000;

const stub = (count) => `{"schema":1,"delivered":${count}}`;

/**
 * An outbox entry as stored: `{ ms, events }` (pending), `{ ms, delivered }` (marked), or
 * `{ ms, bad }` with what is wrong with it.
 */
export function readEntry(row) {
  if (typeof row.value !== 'string') return { ms: NaN, bad: 'its value is not text' };
  const ms = Number(row.key.slice(OUTBOX_PREFIX.length, OUTBOX_PREFIX.length + 15));
  const bad = (why) => ({ ms, bad: why });
  if (!/^outbox\/\d{15}\/./.test(row.key)) return bad('its key is not outbox/<15 digits>/<id>');
  let value;
  try {
    value = JSON.parse(row.value);
  } catch {
    return bad('its value is not JSON');
  }
  if (value === null || typeof value !== 'object' || value.schema !== 1) return bad('its schema is not 1');
  if (Number.isSafeInteger(value.delivered)) return { ms, delivered: value.delivered };
  const { events } = value;
  const wellFormed = (e) => e !== null && typeof e === 'object' && e.metadata !== null && typeof e.metadata === 'object'
    && typeof e.metadata._id === 'string' && typeof e.metadata.eventType === 'string';
  if (!Array.isArray(events) || !events.every(wellFormed)) return bad('its events are not a list of events with ids');
  return { ms, events };
}

/** The cursor's key from its record (undefined when there is none). */
export function readCursor(entry) {
  if (entry === null || entry === undefined) return undefined;
  const value = JSON.parse(entry.value);
  if (value?.schema !== 1 || typeof value.cursor !== 'string' || !value.cursor.startsWith(OUTBOX_PREFIX)) {
    throw new Error('outbox-cursor is not {"schema":1,"cursor":"outbox/…"}');
  }
  return value.cursor;
}

/** Resolves once every promise of `list` has settled (they never reject), or after `ms`. */
async function settledWithin(list, ms) {
  if (list.length === 0) return;
  let timeout;
  await Promise.race([Promise.all(list), new Promise((r) => { timeout = setTimeout(r, ms); })]);
  clearTimeout(timeout);
}

/** A scan's rows, checked: an array of `{ key, value }` under `outbox/`. */
function checked(rows) {
  if (!Array.isArray(rows) || !rows.every((r) => typeof r?.key === 'string' && r.key.startsWith(OUTBOX_PREFIX))) {
    throw loyaltyError('INTERNAL', 'STORAGE_PROTOCOL_ERROR', 'storage.scan must resolve to an array of { key, value, version } under the prefix asked for');
  }
  return rows;
}

/**
 * The outbox's part of verify(): `counts` (`outboxEntries`, `pendingEvents`: events in entries not
 * yet marked delivered) and `found`, its discrepancies: an entry that cannot be read
 * (`OUTBOX_ENTRY_UNREADABLE`), an unmarked entry the cursor has passed, which no sweep would
 * deliver (`OUTBOX_ENTRY_SKIPPED`), a cursor that cannot be read (`OUTBOX_CURSOR_UNREADABLE`).
 */
export async function auditOutbox(call, pageSize) {
  const counts = { outboxEntries: 0, pendingEvents: 0 };
  const found = [];
  const [stored] = await call('read', [OUTBOX_CURSOR]);
  let cursor;
  try {
    cursor = readCursor(stored);
  } catch (e) {
    found.push({ code: 'OUTBOX_CURSOR_UNREADABLE', message: `${describe(e)}`, key: OUTBOX_CURSOR });
  }
  for (let after; ;) {
    const rows = checked(await call('scan', { prefix: OUTBOX_PREFIX, after, limit: pageSize, reverse: false }));
    for (const row of rows) {
      counts.outboxEntries++;
      const entry = readEntry(row);
      if (entry.bad) {
        found.push({ code: 'OUTBOX_ENTRY_UNREADABLE', message: `outbox entry ${row.key} cannot be read: ${entry.bad}`, key: row.key });
      } else if (entry.events) {
        counts.pendingEvents += entry.events.length;
        if (cursor !== undefined && row.key <= cursor) {
          found.push({ code: 'OUTBOX_ENTRY_SKIPPED', message: `outbox entry ${row.key} is not marked delivered, but outbox-cursor has passed it: no sweep will deliver its ${entry.events.length} event(s)`, key: row.key });
        }
      }
    }
    if (rows.length < pageSize) break;
    after = rows[rows.length - 1].key;
  }
  return { counts, found };
}

/**
 * `{ event }` items in their order, except that each entity's events, in the places they hold,
 * are put in entityEventSequence order.
 */
function perEntity(items) {
  const places = new Map();
  items.forEach((item, i) => {
    const entity = `${item.event.metadata.entityFqdn}/${item.event.metadata.entityId}`;
    if (!places.has(entity)) places.set(entity, []);
    places.get(entity).push(i);
  });
  const out = new Array(items.length);
  const sequence = (i) => Number(items[i].event.metadata.entityEventSequence ?? 0) || 0;
  for (const at of places.values()) {
    const sorted = [...at].sort((x, y) => sequence(x) - sequence(y) || x - y);
    at.forEach((place, k) => { out[place] = items[sorted[k]]; });
  }
  return out;
}

/**
 * The outbox of one backend.
 * @param {{ call: (name: string, arg: unknown) => Promise<any>, hub: any, clock: () => number,
 *   newEventId: () => string, redeliverAfterMs: number, beforeDelivery?: (key: string) => unknown,
 *   handlerWaitMs?: number }} init
 */
export function createOutbox({ call, hub, clock, newEventId, redeliverAfterMs, beforeDelivery, handlerWaitMs = HANDLER_WAIT_MS }) {
  let pending = [];
  let timer = null;
  let draining = null;

  /** Writes marks; one that conflicts was marked by another backend's sweep and is left out. */
  async function writeMarks(writes) {
    while (writes.length > 0) {
      const outcome = await call('commit', writes);
      if (outcome?.ok === true) return;
      if (outcome?.ok !== false || typeof outcome.conflict !== 'string') {
        throw loyaltyError('INTERNAL', 'STORAGE_PROTOCOL_ERROR', 'storage.commit must resolve to { ok: true } or { ok: false, conflict: key }');
      }
      const rest = writes.filter((w) => w.key !== outcome.conflict);
      if (rest.length === writes.length) {
        throw loyaltyError('INTERNAL', 'STORAGE_PROTOCOL_ERROR', `storage.commit named a conflict on ${outcome.conflict}, a key it was not asked to write`);
      }
      writes = rest;
    }
  }

  // The failure of a mark written in the background, for the next flush() to report.
  let failed = null;

  function schedule() {
    if (timer === null && draining === null && pending.length > 0) {
      timer = setTimeout(() => {
        timer = null;
        drain().catch(() => {}); // kept for flush() to report
      }, MARK_DELAY_MS);
    }
  }

  /** Writes every waiting mark. */
  function drain() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    if (draining === null) {
      const run = (async () => {
        await null; // `draining` holds this run before its end can clear it
        try {
          while (pending.length > 0) await writeMarks(pending.splice(0, MARK_BATCH));
        } catch (e) {
          pending = [];
          failed = e; // its entries stay unmarked: a sweep delivers them again
          throw e;
        } finally {
          if (draining === run) draining = null;
          schedule();
        }
      })();
      draining = run;
    }
    return draining;
  }

  // Deliveries whose handlers have not settled yet (their marks come after).
  const settling = new Set();

  /**
   * Writes every waiting mark, after the handlers still running have settled (for at most
   * `handlerWaitMs`); rejects when a write of marks failed since the last call.
   */
  async function flush() {
    await settledWithin([...settling], handlerWaitMs);
    await drain().catch(() => {});
    const e = failed;
    failed = null;
    if (e) throw e;
  }

  const mark = (key, count) => {
    pending.push({ key, version: 1, value: stub(count) });
    schedule();
  };

  return {
    /** The entry for a commit's events (JSON text): `{ write, events, key }`, or null when there are none. */
    entry(json) {
      const events = hub.withIds(json);
      if (events.length === 0) return null;
      // Keyed by the clock as the commit is made (not the operation's start, which a long job
      // keeps for all its batches), so that it lands ahead of any sweep's cursor.
      let now;
      try {
        now = clock();
      } catch {
        now = NaN;
      }
      const ms = Math.max(0, Math.trunc(Number.isFinite(now) ? now : Number(events[0].metadata.eventTime)) || 0);
      const key = `${OUTBOX_PREFIX}${String(ms).padStart(15, '0')}/${newEventId()}`;
      return { key, events, write: { key, version: 0, value: JSON.stringify({ schema: 1, events }) } };
    },

    /** After the entry's commit: delivers its events, then marks it. */
    committed(entry) {
      if (beforeDelivery !== undefined) {
        let go;
        try {
          go = beforeDelivery(entry.key);
        } catch {
          go = undefined;
        }
        if (go === false) return; // the test hook's "crash": neither delivered nor marked
      }
      const settled = hub.deliver(entry.events);
      if (settled === null) {
        mark(entry.key, entry.events.length);
        return;
      }
      const done = settled.then(() => {
        settling.delete(done);
        mark(entry.key, entry.events.length);
      });
      settling.add(done);
    },

    flush,

    /**
     * Delivers again every entry left unmarked for longer than `redeliverAfterMs`, marks it, and
     * moves the cursor; resolves to the number of events delivered.
     */
    async sweep() {
      await drain().catch(() => {});
      const now = clock();
      if (!Number.isFinite(now)) throw loyaltyError('INTERNAL', 'CLOCK_ERROR', `the clock (options.now) gave ${String(now)}, not a time`);
      const due = now - redeliverAfterMs;
      const horizon = now - CURSOR_LAG_MS;
      const [stored] = await call('read', [OUTBOX_CURSOR]);
      let version = stored?.version ?? 0;
      let cursor;
      try {
        cursor = readCursor(stored);
      } catch (e) {
        throw loyaltyError('INTERNAL', 'CORRUPT_RECORD', `${describe(e)}: run verify()`, { key: OUTBOX_CURSOR });
      }
      let after = cursor;
      let moving = true; // the cursor may still move (nothing unmarked, nor a lost race, behind)
      let delivered = 0;
      for (;;) {
        const rows = checked(await call('scan', { prefix: OUTBOX_PREFIX, after, limit: PAGE, reverse: false }));
        if (rows.length === 0) break;
        const page = [];
        let young = false;
        for (const row of rows) {
          const entry = readEntry(row);
          if (entry.events && entry.ms > due) {
            young = true; // possibly still being delivered by its own process
            break;
          }
          page.push({ key: row.key, entry, marked: entry.events === undefined });
        }
        const todo = page.filter((p) => !p.marked);
        if (todo.length > 0) {
          const items = perEntity(todo.flatMap((owner) => owner.entry.events.map((event) => ({ event, owner }))));
          const waits = [];
          for (const { event, owner } of items) {
            const settled = hub.deliver([event]);
            if (settled !== null) {
              owner.open = (owner.open ?? 0) + 1;
              waits.push(settled.then(() => { owner.open--; }));
            }
          }
          await settledWithin(waits, handlerWaitMs);
          const settled = todo.filter((p) => !(p.open > 0));
          await writeMarks(settled.map((p) => ({ key: p.key, version: 1, value: stub(p.entry.events.length) })));
          for (const p of settled) p.marked = true;
          delivered += items.length;
        }
        if (moving) {
          let next = cursor;
          for (const p of page) {
            if (!p.marked || p.entry.ms >= horizon) break;
            next = p.key;
          }
          if (next !== cursor) {
            const outcome = await call('commit', [{ key: OUTBOX_CURSOR, version, value: JSON.stringify({ schema: 1, cursor: next }) }]);
            if (outcome?.ok === true) {
              version++;
              cursor = next;
            } else {
              moving = false; // another sweep moved it: this one leaves it to that one
            }
          }
          if (page.some((p) => !p.marked || p.entry.ms >= horizon)) moving = false;
        }
        if (young || rows.length < PAGE) break;
        after = rows[rows.length - 1].key;
      }
      return delivered;
    },
  };
}
