// The server's gate: which HTTP requests reach the Wix routes at all, before anybody is
// identified. It knows nothing of sockets (js/server.js does), so any host that hands requests
// to createWixFetch can put it in front. See docs/server.md for why each rule exists.
//
//   Host      must parse and name an allowed host: loopback names always, the address the server
//             listens on, and the names given (`allowHosts`); never read as part of the path.
//   Origin    a browser's request (an Origin header, or Sec-Fetch-Site saying cross-site) is let
//             in only from the server's own origin or one given (`allowOrigins`); CORS answers
//             name the headers the official SDK sends and expose those it reads.
//   Content   a request with a body must say `application/json` (a charset of utf-8 allowed), so
//             that no HTML form or `text/plain` fetch of another site can call a method.
//   Proxies   without an API key, a request that came through a proxy (Forwarded, X-Forwarded-*,
//             X-Real-IP, Via) is refused: a keyless server makes every caller an admin.

/** Headers the official SDK (`@wix/sdk`) sends, which a CORS preflight must allow. */
export const SDK_REQUEST_HEADERS = Object.freeze([
  'authorization', 'content-type', 'wix-site-id', 'wix-account-id', 'x-wix-bi-gateway', 'x-wix-consistent', 'x-wix-authorization',
]);

/** Answer headers the SDK reads, which a browser must be let to read. */
export const SDK_RESPONSE_HEADERS = Object.freeze(['x-wix-request-id', 'x-wix-consistent']);

const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip', 'via'];

/** Whether `name` (a host name or an address, without a port) is this machine's loopback. */
export function isLoopback(name) {
  const host = name.toLowerCase().replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host === '::1') return true;
  const v4 = /^(?:::ffff:)?(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  return v4 !== null && v4[1] === '127' && v4.slice(2).every((p) => Number(p) <= 255);
}

/**
 * `host[:port]` (a Host header, or the authority of an absolute request target): the host name
 * in lower case, or null when it is not one.
 */
export function hostName(value) {
  const m = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9_])?\.?))(?::(\d{1,5}))?$/i.exec(value);
  if (!m || (m[3] !== undefined && Number(m[3]) > 65535)) return null;
  return m[1] !== undefined ? `[${m[1].toLowerCase()}]` : m[2].toLowerCase().replace(/\.$/, '');
}

/** A host name as an allow-list entry takes it (`[::1]`, `loyalty.example.com`), or null. */
function allowedName(entry) {
  if (entry === '*') return '*';
  const bare = /^[0-9a-f:]+$/i.test(entry) && entry.includes(':') ? `[${entry}]` : entry;
  return hostName(bare);
}

/** An origin as an allow-list entry takes it (`https://shop.example.com`, `null`), or null. */
function allowedOrigin(entry) {
  if (entry === '*' || entry === 'null') return entry;
  try {
    const url = new URL(entry);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash || url.username) return null;
    return url.origin;
  } catch {
    return null;
  }
}

/** A refusal: the status, and the Wix error body's code, reason and description. */
function refusal(status, code, reason, description, headers = {}) {
  return { status, code, reason, description, headers };
}

/**
 * @param {{ listenHost?: string, allowHosts?: string[], allowOrigins?: string[], apiKeyRequired: boolean }} options
 * @returns {{ check(request: { method: string, target: string, header(name: string): string | undefined }):
 *   { refused: object } | { path: string, search: string, preflight: boolean, headers: Record<string, string> } }}
 */
export function createGate({ listenHost, allowHosts = [], allowOrigins = [], apiKeyRequired }) {
  const hosts = new Set();
  for (const entry of allowHosts) {
    const name = allowedName(entry);
    if (name === null) throw new Error(`--allow-host ${entry} is not a host name (example: --allow-host loyalty.example.com)`);
    hosts.add(name);
  }
  if (listenHost && !['0.0.0.0', '::', ''].includes(listenHost)) hosts.add(allowedName(listenHost) ?? listenHost);
  const origins = new Set();
  for (const entry of allowOrigins) {
    const origin = allowedOrigin(entry);
    if (origin === null) throw new Error(`--allow-origin ${entry} is not an origin (example: --allow-origin https://shop.example.com)`);
    origins.add(origin);
  }
  if (!apiKeyRequired && (hosts.has('*') || origins.has('*'))) {
    throw new Error(`--allow-host '*' and --allow-origin '*' need an API key: without one, any web page could act as an admin (pass --api-key-file)`);
  }
  const hostAllowed = (name) => hosts.has('*') || hosts.has(name) || isLoopback(name);

  /** CORS headers for an allowed browser origin. */
  const cors = (origin) => ({
    'access-control-allow-origin': origin,
    'access-control-expose-headers': SDK_RESPONSE_HEADERS.join(', '),
    vary: 'Origin',
  });

  return {
    check({ method, target, header }) {
      // The target: origin-form (`/path?query`) or absolute-form (`http://host/path`), whose
      // authority then stands for the Host header (RFC 9112 §3.2.2).
      let path;
      let search = '';
      let authority = header('host');
      if (target.startsWith('/')) {
        const q = target.indexOf('?');
        path = q < 0 ? target : target.slice(0, q);
        search = q < 0 ? '' : target.slice(q);
      } else {
        const m = /^https?:\/\/([^/?#]*)([^?#]*)(\?[^#]*)?/i.exec(target);
        if (!m) return { refused: refusal(400, 'INVALID_ARGUMENT', 'MALFORMED_REQUEST', 'the request target must be a path (/…) or an absolute http URL') };
        authority = m[1];
        path = m[2] || '/';
        search = m[3] ?? '';
      }
      if (!servedAsIs(path)) {
        // A URL parser resolves `..` (and reads `\` as `/`), so the operation would not be the
        // one the path shows a proxy or the log.
        return { refused: refusal(400, 'INVALID_ARGUMENT', 'MALFORMED_PATH', 'the request path holds a . or .. segment, a backslash, or characters a URL would rewrite') };
      }
      if (authority === undefined) {
        return { refused: refusal(400, 'INVALID_ARGUMENT', 'MISSING_HOST', 'the request has no Host header') };
      }
      const name = hostName(authority);
      if (name === null) {
        return { refused: refusal(400, 'INVALID_ARGUMENT', 'MALFORMED_HOST', `the Host header ${JSON.stringify(authority.slice(0, 100))} is not a host name`) };
      }
      if (!hostAllowed(name)) {
        return { refused: refusal(421, 'PERMISSION_DENIED', 'HOST_NOT_ALLOWED', `this server does not answer for host ${name} (start it with --allow-host ${name.replace(/^\[|\]$/g, '')} to let it)`) };
      }
      if (!apiKeyRequired) {
        const proxy = PROXY_HEADERS.find((h) => header(h) !== undefined);
        if (proxy) {
          return { refused: refusal(403, 'PERMISSION_DENIED', 'API_KEY_REQUIRED', `this request came through a proxy (its ${proxy} header says so), and a server without an API key makes every caller an admin: start it with --api-key-file to serve through a proxy`) };
        }
      }
      let headers = {};
      const origin = header('origin');
      const fetchSite = header('sec-fetch-site');
      if (origin !== undefined) {
        const own = isOwnOrigin(origin, authority);
        if (!own && !origins.has(origin) && !origins.has('*')) {
          return { refused: refusal(403, 'PERMISSION_DENIED', 'ORIGIN_NOT_ALLOWED', `requests from pages of ${origin.slice(0, 200)} are not allowed (start the server with --allow-origin ${origin.slice(0, 200)} to allow them)`) };
        }
        headers = cors(origin);
      } else if (fetchSite === 'cross-site' || fetchSite === 'same-site') {
        return { refused: refusal(403, 'PERMISSION_DENIED', 'ORIGIN_NOT_ALLOWED', 'a browser request from another site, without an Origin, is not allowed') };
      }
      if (method === 'OPTIONS') {
        return {
          path,
          search,
          preflight: true,
          headers: {
            ...headers,
            'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
            'access-control-allow-headers': SDK_REQUEST_HEADERS.join(', '),
            'access-control-max-age': '600',
            allow: 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
          },
        };
      }
      const hasBody = (header('content-length') !== undefined && header('content-length') !== '0') || header('transfer-encoding') !== undefined;
      if (hasBody || !['GET', 'HEAD', 'DELETE'].includes(method)) {
        const type = header('content-type');
        if (!isJson(type)) {
          return {
            refused: refusal(415, 'INVALID_ARGUMENT', 'UNSUPPORTED_MEDIA_TYPE',
              `a ${method} request must send Content-Type: application/json${type === undefined ? ' (it sent none)' : ` (it sent ${JSON.stringify(type.slice(0, 100))})`}`, headers),
          };
        }
      }
      return { path, search, preflight: false, headers };
    },
  };
}

/** Whether a URL parser leaves `path` as it is (no dot segment resolved, no `\` read as `/`). */
function servedAsIs(path) {
  if (path.includes('\\') || /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i.test(path)) return false;
  try {
    return new URL(path, 'http://gate.invalid').pathname === path;
  } catch {
    return false;
  }
}

/** Whether `origin` is a page of this server as the request names it (default ports folded). */
function isOwnOrigin(origin, authority) {
  try {
    const page = new URL(origin);
    if (page.origin !== origin) return false;
    return page.host === new URL(`${page.protocol}//${authority}`).host;
  } catch {
    return false;
  }
}

/** `application/json`, optionally with `charset=utf-8`, and no other parameter. */
function isJson(type) {
  if (type === undefined) return false;
  const [media, ...params] = type.split(';').map((p) => p.trim().toLowerCase());
  if (media !== 'application/json') return false;
  return params.every((p) => p === '' || p === 'charset=utf-8' || p === 'charset="utf-8"');
}
