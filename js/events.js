// Events, delivered after the commit that made them to three kinds of listener, each in its
// own shape:
//   - `onEvent` (a backend option) and the SDK's registration functions on the modules
//     (`accounts.onAccountPointsUpdated(handler)`): the SDK's shape, `{ entity | data,
//     metadata: { _id, entityFqdn, slug, entityId, eventTime: Date, eventType, entityEventSequence } }`;
//   - a Velo events module (`createLoyaltyBackend({ events })`), whose exported handlers are
//     called by their Velo names (`wixLoyalty_onAccountPointsUpdated(event)`) with Velo's
//     documented shape: `{ entity | data, metadata: { id, entityId, eventTime: <ISO string>,
//     triggeredByAnonymizeRequest: false } }`.
// A handler that throws or rejects is logged with console.error and never fails the operation.
// Every event carries its id (`metadata._id`) before it gets here: on a host's storage the
// outbox (js/outbox.js) stored it with the event, so a redelivery repeats it.

import { loyaltyError } from './errors.js';
import { reviveDates } from './shapes.js';

function report(error) {
  console.error('wix-loyalty-wasm: an event handler failed (the operation itself succeeded):', error);
}

/** Calls `handler` with `build()`; a promise it returns (settled either way) is added to `pending`. */
function invoke(handler, build, pending) {
  try {
    const r = handler(build());
    if (r && typeof r.then === 'function') pending.push(Promise.resolve(r).then(undefined, report));
  } catch (e) {
    report(e);
  }
}

/** The event in the SDK's shape (a fresh copy per handler). */
function sdkEvent(raw) {
  return reviveDates(structuredClone(raw));
}

/** The event in Velo's documented shape. */
function veloEvent(raw) {
  const { metadata, ...body } = structuredClone(raw);
  reviveDates(body);
  return {
    ...body,
    metadata: {
      id: metadata._id,
      entityId: metadata.entityId,
      eventTime: new Date(metadata.eventTime).toISOString(),
      triggeredByAnonymizeRequest: false,
    },
  };
}

/**
 * The listeners of one backend.
 * @param {{ onEvent?: Function, events?: object, table: { events: { eventType: string, velo: string }[] }, newEventId: () => string }} init
 */
export function eventHub({ onEvent, events, table, newEventId }) {
  /** eventType → Set of SDK-shape handlers */
  const handlers = new Map();
  const veloNames = new Map(table.events.map((e) => [e.eventType, e.velo]));
  const hasVelo = events !== undefined && events !== null;

  return {
    /** Whether anybody listens (when nobody does, the engine builds no events). */
    get listening() {
      return typeof onEvent === 'function' || hasVelo || handlers.size > 0;
    },

    /** Registers an SDK-shape handler of `eventType`; returns a function that unregisters it. */
    subscribe(eventType, handler) {
      if (typeof handler !== 'function') {
        throw loyaltyError('INVALID_ARGUMENT', 'WRONG_TYPE', `"handler" must be a function (got ${handler === null ? 'null' : typeof handler})`);
      }
      let set = handlers.get(eventType);
      if (!set) handlers.set(eventType, (set = new Set()));
      const entry = (e) => handler(e);
      set.add(entry);
      return () => {
        set.delete(entry);
        if (set.size === 0) handlers.delete(eventType);
      };
    },

    /**
     * The events (JSON text of an array) of a committed operation, each given a fresh id
     * (`metadata._id`, first among the metadata).
     */
    withIds(json) {
      if (json === '[]') return [];
      const list = JSON.parse(json);
      for (const raw of list) raw.metadata = { _id: newEventId(), ...raw.metadata };
      return list;
    },

    /**
     * Hands each event (with its id) to every listener, in order. Returns null when every
     * handler returned at once, else a promise that resolves once every promise a handler
     * returned has settled (either way: a failure is only logged).
     */
    deliver(list) {
      const pending = [];
      for (const raw of list) {
        const type = raw.metadata.eventType;
        // (Built inside invoke's try: a stored event that cannot be shaped is reported, not thrown.)
        if (typeof onEvent === 'function') invoke(onEvent, () => sdkEvent(raw), pending);
        for (const handler of handlers.get(type) ?? []) invoke(handler, () => sdkEvent(raw), pending);
        if (hasVelo) {
          const name = veloNames.get(type);
          let handler;
          try {
            handler = name ? events[name] : undefined;
          } catch (e) {
            report(e); // a module whose getter throws
          }
          if (typeof handler === 'function') invoke(handler, () => veloEvent(raw), pending);
        }
      }
      return pending.length === 0 ? null : Promise.all(pending);
    },
  };
}
