// serve(): the Wix Loyalty REST API over node:http, from a backend (the handler is
// createWixFetch's). Loopback unless a host is given, and then an API key is required; a
// request body limit; one log line per request; runScheduledWork() every `scheduledWorkMs` (60 s
// by default, 0: never), one run at a time; close() stops accepting, lets the requests in flight
// (and a scheduled run) finish, then resolves.
import { createServer } from 'node:http';
import { createWixFetch } from './rest.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function wixError(status, code, reason, description) {
  return { status, body: JSON.stringify({ message: code, details: { applicationError: { code: reason, description, data: {} } } }) };
}

/**
 * @param {{ loyalty: import('./index').LoyaltyBackend, port?: number, host?: string, apiKey?: string,
 *   bodyLimit?: number, scheduledWorkMs?: number, log?: (line: string) => void }} options
 * @returns {Promise<{ url: string, port: number, close(): Promise<void>, inFlight(): number }>}
 */
export async function serve(options) {
  const { loyalty, port = 8080, host = '127.0.0.1', apiKey, bodyLimit = 1024 * 1024, scheduledWorkMs = 60_000, log = (line) => console.log(line) } = options;
  if (typeof scheduledWorkMs !== 'number' || !(scheduledWorkMs >= 0)) {
    throw new Error(`scheduledWorkMs must be a number of milliseconds ≥ 0 (0: never), got ${String(scheduledWorkMs)}`);
  }
  if (!LOOPBACK.has(host) && !apiKey) {
    throw new Error(`serving on ${host} (beyond loopback) needs an API key: pass --api-key (or WIX_LOYALTY_API_KEY)`);
  }
  const handle = createWixFetch(loyalty, apiKey ? { apiKey } : {});
  let inFlight = 0;
  let closing = null;
  let drained;

  const server = createServer(async (req, res) => {
    inFlight++;
    const started = process.hrtime.bigint();
    let status = 500;
    // A request counts as in flight until its response has been handed to the socket, so that
    // closing never cuts off an answer whose operation was applied.
    res.once('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log(`${new Date().toISOString()} ${req.method} ${req.url} ${status} ${ms.toFixed(1)}ms`);
      inFlight--;
      if (closing && inFlight === 0) drained?.();
    });
    try {
      const chunks = [];
      let size = 0;
      let tooLarge = false;
      for await (const chunk of req) {
        size += chunk.length;
        if (size > bodyLimit) {
          tooLarge = true;
          break;
        }
        chunks.push(chunk);
      }
      let answer;
      if (tooLarge) {
        answer = wixError(413, 'INVALID_ARGUMENT', 'REQUEST_TOO_LARGE', `the request body is larger than ${bodyLimit} bytes`);
        res.setHeader('connection', 'close');
      } else {
        const url = `http://${req.headers.host ?? 'localhost'}${req.url}`;
        const init = { method: req.method, headers: req.headers };
        if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'DELETE') init.body = Buffer.concat(chunks).toString('utf8');
        const response = await handle(url, init);
        answer = { status: response.status, body: await response.text(), requestId: response.headers.get('x-wix-request-id') };
      }
      status = answer.status;
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(answer.requestId ? { 'x-wix-request-id': answer.requestId } : {}),
        ...(closing ? { connection: 'close' } : {}),
      });
      res.end(answer.body);
    } catch (e) {
      const answer = wixError(500, 'INTERNAL', 'INTERNAL', String(e?.message ?? e));
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(answer.body);
    }
  });
  server.keepAliveTimeout = 5000;

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
          log(`${new Date().toISOString()} scheduled work: ${r.expiredAccounts} accounts expired ${r.expiredPoints} points, ${r.updatedAccounts} accounts updated`);
        }
      })
      .catch((e) => log(`${new Date().toISOString()} scheduled work failed: ${e?.message ?? e}`))
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
    /** Stops accepting connections, finishes the requests in flight, then resolves. */
    close() {
      if (timer) clearInterval(timer);
      closing ??= new Promise((resolve) => {
        // Then the scheduled work's run in flight, and the marks of the events delivered.
        const done = () => server.close(() => Promise.resolve(running).then(() => loyalty.flushEvents?.()).catch(() => {}).then(() => resolve()));
        drained = () => {
          server.closeAllConnections();
          done();
        };
        server.close();
        server.closeIdleConnections();
        if (inFlight === 0) drained();
      });
      return closing;
    },
  };
}
