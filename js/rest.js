// createWixFetch(loyalty, options?): a `fetch`-compatible function that serves the Wix Loyalty
// REST API from a backend, so that the official SDK (`createClient({ modules, auth, fetch })`)
// runs against the engine unmodified. Routes, arguments and permissions come from the table of
// operations; see the README, "Use it with the official SDK", for the wire rules it follows.

import { INTERNAL, randomGuid } from './engine.js';
import { describe, isLoyaltyError, loyaltyError, STATUS } from './errors.js';
import { fromRest, renamePath, toRest } from './shapes.js';

const REST_NAMES = { _id: 'id', _createdDate: 'createdDate', _updatedDate: 'updatedDate' };
const SDK_NAMES = { id: '_id', createdDate: '_createdDate', updatedDate: '_updatedDate' };

/** Query parameters that are always numbers, and always lists. */
const NUMERIC = /(^|\.)(limit|offset)$/;
const LISTS = new Set(['contactIds']);

/**
 * Deepest nesting a request may bring (a JSON body, a `.r` parameter, a dotted query key). The
 * engine takes 16 levels per argument (src/core/input.rs MAX_DEPTH); this bounds what the REST
 * layer walks before the engine sees it, so that no walk recurses as deep as a request says.
 */
export const MAX_REQUEST_DEPTH = 32;

/** A request the REST layer cannot take: answered 400 with this reason. */
class BadRequest extends Error {
  constructor(reason, description) {
    super(description);
    this.reason = reason;
  }
}

/**
 * Whether the JSON text `text` nests at most `max` levels of objects and arrays: one pass over
 * its characters, without recursion (brackets inside strings do not count).
 */
export function nestsWithin(text, max) {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return false;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
    }
  }
  return true;
}

/** JSON text from a request, parsed once its depth is known to be within bounds. */
function parseRequestJson(text, what) {
  if (!nestsWithin(text, MAX_REQUEST_DEPTH)) {
    throw new BadRequest('REQUEST_TOO_DEEP', `${what} nests deeper than ${MAX_REQUEST_DEPTH} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BadRequest('MALFORMED_JSON', `${what} is not JSON: ${e.message}`);
  }
}

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
    if (parts.length > MAX_REQUEST_DEPTH) {
      throw new BadRequest('REQUEST_TOO_DEEP', `the query parameter ${key.slice(0, 40)}… nests deeper than ${MAX_REQUEST_DEPTH} levels`);
    }
    let target = out;
    for (const part of parts.slice(0, -1)) {
      // Own properties only: `__proto__.x=1` must make a key named "__proto__", never reach
      // Object.prototype.
      const own = Object.hasOwn(target, part) ? target[part] : undefined;
      if (own === null || typeof own !== 'object' || Array.isArray(own)) {
        Object.defineProperty(target, part, { value: {}, enumerable: true, writable: true, configurable: true });
      }
      target = Object.getOwnPropertyDescriptor(target, part).value;
    }
    const last = parts[parts.length - 1];
    const value = values.length > 1 || LISTS.has(last) ? values : values[0];
    Object.defineProperty(target, last, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** The `.r` query parameter: the request as base64url JSON (the SDK's form for complex GETs). */
function decodeDotR(text) {
  let json;
  try {
    const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    json = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    throw new BadRequest('MALFORMED_QUERY', 'the .r query parameter is not base64url-encoded UTF-8 JSON');
  }
  const value = parseRequestJson(json, 'the .r query parameter');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BadRequest('MALFORMED_QUERY', 'the .r query parameter must hold a JSON object');
  }
  return value;
}

/** A path parameter, percent-decoded. */
function decodePathSegment(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest('MALFORMED_PATH', `the path segment ${segment.slice(0, 80)} holds a malformed percent-escape`);
  }
}

/** The value at a dotted path (`reward.id`) of an object, removing it. */
function take(source, path) {
  const parts = path.split('.');
  let target = source;
  for (const part of parts.slice(0, -1)) {
    target = Object.hasOwn(target, part) ? target[part] : undefined;
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

/** What a 5xx answer says instead of its cause (a driver's or the runtime's message stays in the log). */
const OPAQUE = {
  INTERNAL: 'the engine failed unexpectedly',
  UNAVAILABLE: 'the storage is unavailable or did not answer in time',
  UNIMPLEMENTED: null, // its description names the method, and nothing internal
};

function failure(error, op, requestId, report) {
  if (error instanceof BadRequest) {
    return json(400, errorBody(loyaltyError('INVALID_ARGUMENT', error.reason, error.message)), requestId);
  }
  const e = isLoyaltyError(error) ? error : loyaltyError('INTERNAL', 'INTERNAL', describe(error), {}, error);
  const status = e.status ?? STATUS[e.code] ?? 500;
  if (status < 500 || OPAQUE[e.code] === null) return json(status, errorBody(e, op), requestId);
  // The engine's own faults and the storage's: the body names the code, the reason and the
  // request; the cause goes to the host's log.
  report(e, requestId);
  const description = `${OPAQUE[e.code] ?? 'the server failed'} (request ${requestId}; the server's log has the details)`;
  return json(status, errorBody(loyaltyError(e.code, e.reason, description, e.reason === 'STORAGE_TIMEOUT' ? e.details.applicationError.data : {})), requestId);
}

function logFailure(error, requestId) {
  console.error(`wix-loyalty-wasm: request ${requestId} failed: ${error.code} / ${error.reason}: ${error.description ?? error.message}`);
}

/** SHA-256 of `text`, or null without Web Crypto. */
async function digest(text) {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  return new Uint8Array(await subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** Equality of two byte arrays or strings in time that depends on their lengths only. */
function sameInConstantTime(a, b) {
  const at = (x, i) => (typeof x === 'string' ? x.charCodeAt(i) : x[i]) | 0;
  const n = Math.max(a.length, b.length);
  let diff = a.length ^ b.length;
  for (let i = 0; i < n; i++) diff |= at(a, i % Math.max(a.length, 1)) ^ at(b, i % Math.max(b.length, 1));
  return diff === 0;
}

/**
 * Whether `presented` is one of `keys`, comparing every key in constant time (their SHA-256
 * digests, where Web Crypto is; else the texts): how long it takes says nothing of which one,
 * or how much of one, matched.
 */
function keyChecker(keys) {
  let digests;
  return async (presented) => {
    digests ??= Promise.all(keys.map(digest));
    const mine = await digests;
    const theirs = await digest(presented);
    let found = false;
    for (let i = 0; i < keys.length; i++) {
      found = (mine[i] && theirs ? sameInConstantTime(mine[i], theirs) : sameInConstantTime(keys[i], presented)) || found;
    }
    return found;
  };
}

/** The API keys of createWixFetch's options: `apiKey` and `apiKeys` together, each a non-empty string. */
export function apiKeysOf(options) {
  const { apiKey, apiKeys } = options ?? {};
  if (apiKeys !== undefined && !Array.isArray(apiKeys)) {
    throw loyaltyError('INVALID_ARGUMENT', 'INVALID_OPTIONS', 'createWixFetch: options.apiKeys must be an array of strings');
  }
  const keys = [...(apiKey === undefined ? [] : [apiKey]), ...(apiKeys ?? [])];
  for (const key of keys) {
    if (typeof key !== 'string' || key.trim().length === 0 || key.trim() !== key) {
      // (An Authorization header's value arrives trimmed, so a key with spaces around it could never match.)
      throw loyaltyError('INVALID_ARGUMENT', 'INVALID_OPTIONS', 'every API key (apiKey, apiKeys) must be a non-empty string without spaces around it');
    }
  }
  return keys;
}

/**
 * A `fetch` that serves the Wix Loyalty REST API from `loyalty`.
 * @param {import('./index').LoyaltyBackend} loyalty
 * @param {{ apiKey?: string, apiKeys?: string[], onError?: (error: Error, requestId: string) => void }} [options]
 *   with API keys, only those (or a member token) are let in; `onError` hears the cause of each 5xx answer
 */
export function createWixFetch(loyalty, options = {}) {
  const internal = loyalty?.[INTERNAL];
  if (!internal) throw loyaltyError('INVALID_ARGUMENT', 'INVALID_OPTIONS', 'createWixFetch: the first argument must be a backend made by createLoyaltyBackend');
  const keys = apiKeysOf(options);
  const onError = options?.onError ?? logFailure;
  if (typeof onError !== 'function') throw loyaltyError('INVALID_ARGUMENT', 'INVALID_OPTIONS', 'createWixFetch: options.onError must be a function');
  const report = (error, requestId) => {
    try {
      onError(error, requestId);
    } catch {
      // a logger that throws must not turn an answer into another failure
    }
  };
  const isKey = keyChecker(keys);
  const routes = compileRoutes(internal.table);
  const { tokens } = internal;

  /** The caller a request's Authorization header names: undefined = an admin, a string = a member, null = nobody. */
  async function identify(header) {
    const value = (header ?? '').replace(/^Bearer\s+/i, '');
    if (tokens.looksLike(value)) return (await tokens.verify(value)) ?? null;
    if (keys.length === 0) return undefined;
    return (await isKey(value)) ? undefined : null;
  }

  /** The route of `method path`, or the answer that there is none. */
  function route(method, pathname, requestId) {
    let path = pathname;
    for (let attempt = 0; attempt < 2; attempt++) {
      const candidates = routes.filter((r) => r.regex.test(path));
      if (candidates.length > 0) {
        const match = candidates.find((r) => r.verb === method);
        if (match) return { match, path };
        return { answer: json(405, errorBody(loyaltyError('INVALID_ARGUMENT', 'METHOD_NOT_ALLOWED', `${method} ${path} is not a method of the Wix Loyalty API (try ${candidates.map((r) => r.verb).join(' or ')})`)), requestId) };
      }
      if (!path.startsWith('/_api/')) break;
      path = path.slice('/_api'.length); // the same services inside Wix sites
    }
    return { answer: json(404, errorBody(loyaltyError('NOT_FOUND', 'UNKNOWN_ROUTE', `${method} ${pathname.slice(0, 200)} is not a path of the Wix Loyalty API`)), requestId) };
  }

  /** The request's arguments in SDK names: from the query string (GET, DELETE) or the JSON body. */
  async function sourceOf(method, url, init, request) {
    if (method === 'GET' || method === 'DELETE') {
      const r = url.searchParams.get('.r');
      return r !== null ? decodeDotR(r) : unflatten(url.searchParams);
    }
    const text = init.body !== undefined ? String(init.body) : request ? await request.text() : '';
    const source = text === '' ? {} : parseRequestJson(text, 'the request body');
    if (source === null || typeof source !== 'object' || Array.isArray(source)) {
      throw new BadRequest('MALFORMED_JSON', 'the request body must be a JSON object');
    }
    return source;
  }

  return async function wixFetch(input, init = {}) {
    const requestId = randomGuid();
    let op = null;
    try {
      const request = input instanceof Request ? input : null;
      let url;
      try {
        url = new URL(request ? request.url : String(input), 'http://localhost');
      } catch {
        throw new BadRequest('MALFORMED_URL', 'the request URL could not be parsed');
      }
      init ??= {};
      const method = String(init.method ?? request?.method ?? 'GET').toUpperCase();
      const headers = new Headers(init.headers ?? request?.headers ?? {});
      const { match, path, answer } = route(method, url.pathname, requestId);
      if (answer) return answer;
      op = match.op;
      const member = await identify(headers.get('authorization'));
      if (member === null) {
        return json(401, errorBody(loyaltyError('UNAUTHENTICATED', 'UNAUTHENTICATED', 'the Authorization header holds neither an API key nor a member token of this backend')), requestId);
      }
      const values = match.regex.exec(path).slice(1).map(decodePathSegment);
      const params = Object.fromEntries(match.params.map((p, i) => [p, values[i]]));
      const source = await sourceOf(method, url, init, request);
      const args = argumentsOf(op, params, fromRest(source));
      const result = await internal.call(op.name, args, member);
      return json(200, toRest(JSON.parse(result)), requestId);
    } catch (e) {
      return failure(e, op, requestId, report);
    }
  };
}
