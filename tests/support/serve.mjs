// `wix-loyalty-wasm serve` as a child process, and raw HTTP/1.1 exchanges with it, for the
// suites that test the server from outside (tests/sdk, tests/server).
import { spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../pkg/cli.mjs', import.meta.url));

/**
 * Starts `serve --port 0 …args`; resolves once it listens, to `{ url, port, child, output(),
 * exited, stop() }` (stop: SIGTERM, then the exit code).
 */
export async function startServer(args, { env = process.env } = {}) {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${output}`)), 20_000);
    const check = () => {
      const m = /serving the Wix Loyalty REST API on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', check);
    exited.then(() => reject(new Error(`serve exited: ${output}`)));
  });
  const stop = async () => {
    child.kill('SIGTERM');
    return (await exited).code;
  };
  return { url, port: Number(new URL(url).port), child, output: () => output, exited, stop };
}

/** Runs `serve …args` to its exit (a refused start): `{ code, output }`. */
export async function runCli(args, { env = process.env } = {}) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const code = await new Promise((resolve) => child.on('exit', resolve));
  return { code, output };
}

/**
 * Sends `bytes` (a string is sent as latin1, byte for byte) on a fresh connection and collects
 * what comes back until the server closes it: `{ text, closed }`, `closed` false when `waitMs`
 * passed first.
 */
export function rawExchange(port, bytes, waitMs = 10_000) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('utf8'), closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}

/** `rawExchange`, parsed: `{ status, headers, body, json, raw, closed }`. */
export async function exchange(port, text, { waitMs = 10_000 } = {}) {
  const { text: raw, closed } = await rawExchange(port, Buffer.from(text, 'utf8'), waitMs);
  return parseAnswer(raw, closed);
}

/** A request's text: `method target`, headers (Host and Connection: close unless given), body. */
export function requestText(method, target, headers = {}, body = '', port = 0) {
  const all = { host: `127.0.0.1:${port}`, connection: 'close', ...headers };
  if (body !== '' && all['content-length'] === undefined) all['content-length'] = Buffer.byteLength(body);
  const lines = Object.entries(all).filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${v}`);
  return `${method} ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** One request on its own connection. */
export function send(port, method, target, headers = {}, body = '') {
  return exchange(port, requestText(method, target, headers, body, port));
}

function parseAnswer(raw, closed) {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const body = end < 0 ? '' : raw.slice(end + 4);
  const [statusLine, ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  let json = null;
  try {
    json = JSON.parse(headers['transfer-encoding'] === 'chunked' ? dechunk(body) : body);
  } catch {
    // not JSON (or no answer)
  }
  return { status, headers, body, json, raw, closed };
}

function dechunk(body) {
  let out = '';
  let at = 0;
  for (;;) {
    const nl = body.indexOf('\r\n', at);
    if (nl < 0) return out;
    const size = parseInt(body.slice(at, nl), 16);
    if (!(size > 0)) return out;
    out += body.slice(nl + 2, nl + 2 + size);
    at = nl + 2 + size + 2;
  }
}
