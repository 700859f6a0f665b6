// createWixFetch(loyalty, options?): a `fetch`-compatible function that serves the Wix Loyalty
// REST API from a backend, so that the official SDK (`createClient({ modules, auth, fetch })`)
// runs against the engine unmodified. Routes, arguments and permissions come from the table of
// operations; see the README, "Use it with the official SDK", for the wire rules it follows.

import { INTERNAL, randomGuid } from './engine.js';
import { isLoyaltyError, loyaltyError, STATUS } from './errors.js';
import { fromRest, renamePath, toRest } from './shapes.js';

const REST_NAMES = { _id: 'id', _createdDate: 'createdDate', _updatedDate: 'updatedDate' };
const SDK_NAMES = { id: '_id', createdDate: '_createdDate', updatedDate: '_updatedDate' };

/** Query parameters that are always numbers, and always lists. */
const NUMERIC = /(^|\.)(limit|offset)$/;
const LISTS = new Set(['contactIds']);

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiles the table's routes: literal paths before parameterized ones. */
function compileRoutes(table) {
  const routes = [];
  for (const op of table.operations) {
    if (!op.rest) continue;
    const params = [];
    const pattern = op.rest.path.split('/').map((segment) => {
      const m = /^\{(.+)\}$/.exec(segment);
      if (!m) return escapeRegExp(segment);
      params.push(m[1]);
      return '([^/]+)';
    }).join('/');
    routes.push({ op, verb: op.rest.verb, regex: new RegExp(`^${pattern}/?$`), params });
  }
  routes.sort((a, b) => a.params.length - b.params.length);
  return routes;
}

/** `a.b=1&a.c=x&l=1&l=2` as `{ a: { b: 1, c: 'x' }, l: [1, 2] }` (the SDK's flattening, undone). */
function unflatten(searchParams) {
  const out = {};
  for (const key of new Set(searchParams.keys())) {
    if (key === '.r') continue;
    const values = searchParams.getAll(key).map((v) => (NUMERIC.test(key) && /^-?\d+$/.test(v) ? Number(v) : v));
    const parts = key.split('.');
    let target = out;
    for (const part of parts.slice(0, -1)) {
      if (target[part] === null || typeof target[part] !== 'object' || Array.isArray(target[part])) {
        Object.defineProperty(target, part, { value: {}, enumerable: true, writable: true, configurable: true });
      }
      target = target[part];
    }
    const last = parts[parts.length - 1];
    const value = values.length > 1 || LISTS.has(last) ? values : values[0];
    Object.defineProperty(target, last, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function decodeDotR(text) {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
}

/** The value at a dotted path (`reward.id`) of an object, removing it. */
function take(source, path) {
  const parts = path.split('.');
  let target = source;
  for (const part of parts.slice(0, -1)) {
    target = target?.[part];
    if (target === null || typeof target !== 'object') return undefined;
  }
  const last = parts[parts.length - 1];
  if (!Object.hasOwn(target, last)) return undefined;
  const value = target[last];
  delete target[last];
  return value;
}

/**
 * The SDK arguments of a call from its REST request (already in SDK names), as the table's
 * `args` say: `{ name, from: 'path' | 'field' | 'rest', field }`.
 */
function argumentsOf(op, params, source) {
  const args = new Array(op.args.length);
  // Path parameters first: the SDK echoes them in the body or query, and an options object
  // spread from the rest must not receive them.
  op.args.forEach((arg, i) => {
    if (arg.from === 'path') {
      take(source, renamePath(arg.field, SDK_NAMES));
      args[i] = params[arg.field];
    }
  });
  op.args.forEach((arg, i) => {
    if (arg.from === 'field') args[i] = take(source, arg.field);
  });
  op.args.forEach((arg, i) => {
    if (arg.from === 'rest') args[i] = source;
  });
  return args;
}

/** An SDK argument path of a validation error (`options.amount`) as the REST field path (`amount`). */
function restField(op, field) {
  for (const arg of op.args) {
    if (field !== arg.name && !field.startsWith(`${arg.name}.`) && !field.startsWith(`${arg.name}[`)) continue;
    const tail = field.slice(arg.name.length);
    const path = arg.from === 'rest' ? tail.replace(/^\./, '') || arg.name : `${arg.field}${tail}`;
    return renamePath(path, REST_NAMES);
  }
  return renamePath(field, REST_NAMES);
}

function json(status, body, requestId, extraHeaders = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'x-wix-request-id': requestId, ...extraHeaders },
  });
}

/** A Wix error body from a LoyaltyError (REST field paths for validation errors). */
function errorBody(error, op) {
  const details = error.details ?? {};
  if (details.validationError) {
    const fieldViolations = details.validationError.fieldViolations.map((v) => ({
      field: op ? restField(op, v.field) : v.field,
      description: v.description,
      ruleName: v.ruleName,
    }));
    return { message: error.code, details: { validationError: { fieldViolations } } };
  }
  const app = details.applicationError ?? { code: error.reason, description: String(error.message), data: {} };
  return { message: error.code, details: { applicationError: { code: app.code, description: app.description, data: app.data ?? {} } } };
}

function failure(error, op, requestId) {
  const e = isLoyaltyError(error) ? error : loyaltyError('INTERNAL', 'INTERNAL', String(error?.message ?? error));
  return json(e.status ?? STATUS[e.code] ?? 500, errorBody(e, op), requestId);
}

/**
 * A `fetch` that serves the Wix Loyalty REST API from `loyalty`.
 * @param {import('./index').LoyaltyBackend} loyalty
 * @param {{ apiKey?: string }} [options] with `apiKey`, only that key (or a member token) is let in
 */
export function createWixFetch(loyalty, options = {}) {
  const internal = loyalty?.[INTERNAL];
  if (!internal) throw loyaltyError('INVALID_ARGUMENT', 'INVALID_OPTIONS', 'createWixFetch: the first argument must be a backend made by createLoyaltyBackend');
  const { apiKey } = options ?? {};
  if (apiKey !== undefined && (typeof apiKey !== 'string' || apiKey.length === 0)) {
    throw loyaltyError('INVALID_ARGUMENT', 'INVALID_OPTIONS', 'createWixFetch: options.apiKey must be a non-empty string');
  }
  const routes = compileRoutes(internal.table);
  const { tokens } = internal;

  /** The caller a request's Authorization header names: undefined = an admin, a string = a member, null = nobody. */
  async function identify(header) {
    const value = (header ?? '').replace(/^Bearer\s+/i, '');
    if (tokens.looksLike(value)) return (await tokens.verify(value)) ?? null;
    if (apiKey === undefined) return undefined;
    return value === apiKey ? undefined : null;
  }

  return async function wixFetch(input, init = {}) {
    const requestId = randomGuid();
    let op = null;
    try {
      const request = input instanceof Request ? input : null;
      const url = new URL(request ? request.url : String(input), 'http://localhost');
      const method = (init.method ?? request?.method ?? 'GET').toUpperCase();
      const headers = new Headers(init.headers ?? request?.headers ?? {});
      let path = url.pathname;
      let match = null;
      for (let attempt = 0; attempt < 2 && !match; attempt++) {
        const candidates = routes.filter((r) => r.regex.test(path));
        if (candidates.length > 0) {
          match = candidates.find((r) => r.verb === method);
          if (!match) {
            return json(405, errorBody(loyaltyError('INVALID_ARGUMENT', 'METHOD_NOT_ALLOWED', `${method} ${path} is not a method of the Wix Loyalty API (try ${candidates.map((r) => r.verb).join(' or ')})`)), requestId);
          }
        } else if (path.startsWith('/_api/')) {
          path = path.slice('/_api'.length); // the same services inside Wix sites
        } else {
          break;
        }
      }
      if (!match) {
        return json(404, errorBody(loyaltyError('NOT_FOUND', 'UNKNOWN_ROUTE', `${method} ${url.pathname} is not a path of the Wix Loyalty API`)), requestId);
      }
      op = match.op;
      const member = await identify(headers.get('authorization'));
      if (member === null) {
        return json(401, errorBody(loyaltyError('UNAUTHENTICATED', 'UNAUTHENTICATED', 'the Authorization header holds neither the API key nor a member token of this backend')), requestId);
      }
      const values = match.regex.exec(path).slice(1).map((v) => decodeURIComponent(v));
      const params = Object.fromEntries(match.params.map((p, i) => [p, values[i]]));
      let source;
      if (method === 'GET' || method === 'DELETE') {
        const r = url.searchParams.get('.r');
        source = r !== null ? decodeDotR(r) : unflatten(url.searchParams);
      } else {
        const text = init.body !== undefined ? String(init.body) : request ? await request.text() : '';
        try {
          source = text === '' ? {} : JSON.parse(text);
        } catch (e) {
          return json(400, errorBody(loyaltyError('INVALID_ARGUMENT', 'MALFORMED_JSON', `the request body is not JSON: ${e.message}`)), requestId);
        }
        if (source === null || typeof source !== 'object' || Array.isArray(source)) {
          return json(400, errorBody(loyaltyError('INVALID_ARGUMENT', 'MALFORMED_JSON', 'the request body must be a JSON object')), requestId);
        }
      }
      const args = argumentsOf(op, params, fromRest(source));
      const answer = await internal.call(op.name, args, member);
      return json(200, toRest(JSON.parse(answer)), requestId);
    } catch (e) {
      return failure(e, op, requestId);
    }
  };
}
