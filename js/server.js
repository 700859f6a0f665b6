// serve(): the Wix Loyalty REST API over node:http, from a backend (the handler is
// createWixFetch's, behind the gate of js/gate.js). What it does with a request, in order:
//
//   parse        Node's parser; what it refuses (a bad request line, headers over 16 KB, a
//                request that took longer than `headersTimeoutMs` / `requestTimeoutMs`) is
//                answered with a coded JSON body, and the connection closed
//   cap          past `maxConnections` open connections, a new one is answered 503 and closed
//   health       GET /healthz (alive) and GET /readyz (the storage answers) before anything else
//   gate         Host, Origin and CORS, Content-Type, proxies (js/gate.js)
//   body         at most `bodyLimit` bytes
//   handler      createWixFetch: routes, identity, the engine
//   log          one line per request: `<ISO time> <verb> <request target> <status|aborted> <ms>`
//
// close() stops accepting, lets the requests in flight finish for up to `drainMs`, then cuts the
// connections still open (a slow client's), waits for every operation the engine started (each
// commits or not as a whole), then for a scheduled run and the marks of delivered events.
import { createServer } from 'node:http';
import { apiKeysOf, createWixFetch } from './rest.js';
import { INTERNAL } from './engine.js';
import { createGate, isLoopback } from './gate.js';

/** The defaults of serve()'s options. */
export const SERVE_DEFAULTS = Object.freeze({
  port: 8080,
  host: '127.0.0.1',
  bodyLimit: 1024 * 1024,
  scheduledWorkMs: 60_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  drainMs: 10_000,
  maxConnections: 1000,
});

/** The JSON text of a Wix error body. */
function errorText(code, reason, description) {
  return JSON.stringify({ message: code, details: { applicationError: { code: reason, description, data: {} } } });
}

/** A whole HTTP/1.1 answer, for a socket the parser gave up on (no request object exists). */
function rawAnswer(status, phrase, code, reason, description) {
  const body = errorText(code, reason, description);
  return `HTTP/1.1 ${status} ${phrase}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

/**
 * Answers a socket outside any request and lets it go once the answer is written (a half-open
 * socket, which Node's server sockets allow, would otherwise stay for as long as the client likes).
 */
function answerAndClose(socket, text) {
  socket.end(text, () => socket.destroy());
}

/** What Node's parser refused, as the answer a client gets. */
function parseFailure(error, limits) {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'Request Header Fields Too Large', 'INVALID_ARGUMENT', 'REQUEST_HEADERS_TOO_LARGE', 'the request line and headers are larger than 16 KB'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return [408, 'Request Timeout', 'INVALID_ARGUMENT', 'REQUEST_TIMEOUT', limits.hasRequest
        ? `the request's body was not received within ${limits.requestTimeoutMs} ms of its start`
        : `the request's headers were not received within ${limits.headersTimeoutMs} ms`];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
    case 'HPE_INVALID_CHUNK_SIZE':
      return [400, 'Bad Request', 'INVALID_ARGUMENT', 'MALFORMED_REQUEST', 'the request body is framed wrongly (Content-Length or Transfer-Encoding)'];
    default:
      return [400, 'Bad Request', 'INVALID_ARGUMENT', 'MALFORMED_REQUEST', 'the request is not well-formed HTTP/1.1'];
  }
}

function wholeNumber(options, name, min, max) {
  const value = options[name] ?? SERVE_DEFAULTS[name];
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`serve: ${name} must be a whole number from ${min} to ${max} (got ${String(value)})`);
  }
  return value;
}

/**
 * @param {import('./index').ServeOptions} options
 * @returns {Promise<import('./index').Server>}
 */
export async function serve(options) {
  if (options === null || typeof options !== 'object') throw new TypeError('serve: options must be an object with a loyalty backend');
  const { loyalty, log = (line) => console.log(line), allowHosts = [], allowOrigins = [] } = options;
  for (const [name, list] of [['allowHosts', allowHosts], ['allowOrigins', allowOrigins]]) {
    if (!Array.isArray(list) || !list.every((v) => typeof v === 'string')) throw new TypeError(`serve: ${name} must be an array of strings`);
  }
  const host = options.host ?? SERVE_DEFAULTS.host;
  const port = wholeNumber(options, 'port', 0, 65535);
  const bodyLimit = wholeNumber(options, 'bodyLimit', 0, 2 ** 31 - 1);
  const scheduledWorkMs = wholeNumber(options, 'scheduledWorkMs', 0, 2 ** 31 - 1);
  const headersTimeoutMs = wholeNumber(options, 'headersTimeoutMs', 1, 2 ** 31 - 1);
  const requestTimeoutMs = wholeNumber(options, 'requestTimeoutMs', 1, 2 ** 31 - 1);
  const drainMs = wholeNumber(options, 'drainMs', 0, 2 ** 31 - 1);
  const maxConnections = wholeNumber(options, 'maxConnections', 1, 1_000_000);
  const internal = loyalty?.[INTERNAL];
  if (!internal) throw new TypeError('serve: options.loyalty must be a backend made by createLoyaltyBackend');
  const apiKeys = apiKeysOf(options); // (checked as createWixFetch checks them)
  if (!isLoopback(host) && apiKeys.length === 0) {
    throw new Error(`serving on ${host} (beyond loopback) needs an API key: pass --api-key-file (or set WIX_LOYALTY_API_KEY)`);
  }
  const gate = createGate({ listenHost: host, allowHosts, allowOrigins, apiKeyRequired: apiKeys.length > 0 });
  const handle = createWixFetch(loyalty, {
    apiKeys,
    onError: (error, requestId) => log(`${new Date().toISOString()} request ${requestId} failed: ${error.code} / ${error.reason}: ${error.description ?? error.message}`),
  });
  const stamp = () => new Date().toISOString();

  let inFlight = 0;
  let closing = null;
  let drained;
  /** Operations the engine is running for a request: close() waits for each, whatever its client does. */
  const working = new Set();
  /** The response a socket is answering, for the parser's late refusals (a body that timed out). */
  const answering = new WeakMap();

  /** Writes an answer, unless the client went away or the parser already answered. */
  function send(res, status, body, headers = {}) {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...headers,
      ...(closing ? { connection: 'close' } : {}),
    });
    res.end(body);
  }

  async function readBody(req, res) {
    const declared = Number(req.headers['content-length']);
    if (declared > bodyLimit) return null;
    const chunks = [];
    let size = 0;
    try {
      for await (const chunk of req) {
        size += chunk.length;
        if (size > bodyLimit) return null;
        chunks.push(chunk);
      }
    } catch (e) {
      if (req.aborted || res.destroyed || e?.code === 'ECONNRESET') return undefined; // the client went away
      throw e;
    }
    // An incomplete body: the client went away (or timed out, which the parser answers).
    return res.destroyed || !req.complete ? undefined : Buffer.concat(chunks).toString('utf8');
  }

  async function respond(req, res) {
    const header = (name) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/readyz')) {
      if (req.url === '/healthz') return [200, JSON.stringify({ status: 'ok' })];
      try {
        await internal.ping();
        return [200, JSON.stringify({ status: 'ready' })];
      } catch (e) {
        return [503, errorText('UNAVAILABLE', e.reason ?? 'STORAGE_ERROR', 'the storage did not answer a read (see the server log)'), {}, e];
      }
    }
    const passed = gate.check({ method: req.method, target: req.url, header });
    if (passed.refused) {
      const { status, code, reason, description, headers } = passed.refused;
      return [status, errorText(code, reason, description), { ...headers, connection: 'close' }];
    }
    if (passed.preflight) return [204, '', passed.headers];
    const body = await readBody(req, res);
    if (body === undefined) return null; // the client went away
    if (body === null) {
      return [413, errorText('INVALID_ARGUMENT', 'REQUEST_TOO_LARGE', `the request body is larger than ${bodyLimit} bytes`), { connection: 'close' }];
    }
    // The handler reads the Authorization header only.
    const init = { method: req.method, headers: req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization } };
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'DELETE') init.body = body;
    const work = handle(`http://serve.invalid${passed.path}${passed.search}`, init);
    working.add(work);
    let response;
    try {
      response = await work;
    } finally {
      working.delete(work);
    }
    const requestId = response.headers.get('x-wix-request-id');
    return [response.status, await response.text(), { ...passed.headers, ...(requestId ? { 'x-wix-request-id': requestId } : {}) }];
  }

  // How often Node looks for requests past their timeouts (its default, 30 s, would let a
  // request run that much longer than its limit).
  const checkEveryMs = Math.min(1000, headersTimeoutMs, requestTimeoutMs);
  const server = createServer({ requireHostHeader: false, connectionsCheckingInterval: checkEveryMs }, (req, res) => {
    inFlight++;
    answering.set(req.socket, res);
    const started = process.hrtime.bigint();
    let status = null;
    let answered; // settles once the handler has its answer (or knows there is none)
    // A request counts as in flight until its response has been handed to the socket, so that
    // closing never cuts off an answer whose operation was applied.
    res.once('close', () => {
      const ms = (Number(process.hrtime.bigint() - started) / 1e6).toFixed(1);
      if (res.writableFinished) log(`${stamp()} ${req.method} ${req.url} ${res.statusCode} ${ms}ms`);
      // A client gone while its operation ran: the line waits for the operation's outcome.
      else answered.then(() => log(`${stamp()} ${req.method} ${req.url} ${status === null ? 'aborted' : `aborted (answer ${status} not delivered)`} ${ms}ms`));
      inFlight--;
      if (answering.get(req.socket) === res) answering.delete(req.socket);
      if (closing && inFlight === 0) drained?.();
    });
    answered = respond(req, res).then(
      (answer) => {
        if (answer === null) return;
        const [code, body, headers = {}, cause] = answer;
        status = code;
        if (cause) log(`${stamp()} readiness: ${cause.code} / ${cause.reason}: ${cause.description ?? cause.message}`);
        send(res, code, body, headers);
      },
      (e) => {
        // Not reached by the handler's failures (it answers them); a fault of this layer.
        status = 500;
        log(`${stamp()} ${req.method} ${req.url} failed in the server: ${e?.stack ?? e}`);
        send(res, 500, errorText('INTERNAL', 'INTERNAL', 'the server failed unexpectedly (its log has the details)'));
      },
    );
  });
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = requestTimeoutMs;
  server.keepAliveTimeout = 5000;
  // A socket idle past the request timeout is closed, unless its request's operation is still
  // running (the engine has its own deadline on storage) and its answer not yet written; a
  // request that is late is answered 408 first.
  server.setTimeout(requestTimeoutMs + 2 * checkEveryMs, (socket) => {
    const res = answering.get(socket);
    if (res === undefined || res.headersSent) socket.destroy();
  });

  server.on('clientError', (error, socket) => {
    // The client went away (mid-request, the parser saw the end of its stream): nobody to answer;
    // a request it had begun logs itself as aborted.
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.code === 'HPE_INVALID_EOF_STATE') return socket.destroy();
    const res = answering.get(socket);
    // A request still being received (its body timed out) is answered on its own response; a
    // complete one is answered as it would be, and what came after it on the connection (a
    // pipelined request the parser refused) only closes the connection behind that answer.
    const receiving = res !== undefined && !res.req.complete;
    const [status, phrase, code, reason, description] = parseFailure(error, { headersTimeoutMs, requestTimeoutMs, hasRequest: receiving });
    log(`${stamp()} - - ${status} (${reason}: ${error.code})`);
    if (res && !receiving) {
      res.shouldKeepAlive = false;
      if (res.writableFinished) socket.destroy();
      return;
    }
    if (res && !res.headersSent && !res.destroyed) {
      res.shouldKeepAlive = false;
      return send(res, status, errorText(code, reason, description), { connection: 'close' });
    }
    if (socket.writable && !res) return answerAndClose(socket, rawAnswer(status, phrase, code, reason, description));
    socket.destroy();
  });

  // CONNECT (a proxy's verb) is no method of this API; without an answer Node would drop it.
  server.on('connect', (req, socket) => {
    log(`${stamp()} CONNECT ${req.url} 405`);
    answerAndClose(socket, rawAnswer(405, 'Method Not Allowed', 'INVALID_ARGUMENT', 'METHOD_NOT_ALLOWED', 'CONNECT is not a method of the Wix Loyalty API'));
  });

  /** Every socket open, those Node's server no longer tracks (a CONNECT's) included. */
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const connections = sockets.size;
    if (connections > maxConnections) {
      socket.pause(); // nothing it sends is read: no request of it runs
      log(`${stamp()} - - 503 (TOO_MANY_CONNECTIONS: ${connections - 1} open)`);
      answerAndClose(socket, rawAnswer(503, 'Service Unavailable', 'UNAVAILABLE', 'TOO_MANY_CONNECTIONS', `the server has ${maxConnections} connections open; try again later`));
    }
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // Expired points and rolled tier windows, on the backend's clock; one run at a time.
  let running = null;
  const scheduled = () => {
    running ??= loyalty
      .runScheduledWork()
      .then((r) => {
        if (r.expiredAccounts > 0 || r.updatedAccounts > 0) {
          log(`${stamp()} scheduled work: ${r.expiredAccounts} accounts expired ${r.expiredPoints} points, ${r.updatedAccounts} accounts updated`);
        }
      })
      .catch((e) => log(`${stamp()} scheduled work failed: ${e?.description ?? e?.message ?? e}`))
      .finally(() => {
        running = null;
      });
  };
  const timer = scheduledWorkMs > 0 ? setInterval(scheduled, scheduledWorkMs) : null;
  timer?.unref();
  if (timer) scheduled();
  const address = server.address();
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${shown}:${address.port}`,
    port: address.port,
    inFlight: () => inFlight,
    close() {
      if (timer) clearInterval(timer);
      closing ??= new Promise((resolve) => {
        let cut = null;
        // Then every operation the engine started, the scheduled work's run, and the marks of
        // the events delivered.
        const done = () => server.close(() => {
          clearTimeout(cut);
          Promise.allSettled([...working])
            .then(() => running)
            .then(() => loyalty.flushEvents?.())
            .catch(() => {})
            .then(() => resolve());
        });
        drained = () => {
          drained = null;
          server.closeAllConnections();
          for (const socket of sockets) socket.destroy();
          done();
        };
        server.close();
        server.closeIdleConnections();
        if (inFlight === 0) drained();
        else {
          cut = setTimeout(() => {
            if (!drained) return;
            log(`${stamp()} drain: ${inFlight} request(s) still open after ${drainMs} ms; closing their connections`);
            drained();
          }, drainMs);
        }
      });
      return closing;
    },
  };
}
