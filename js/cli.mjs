#!/usr/bin/env node
// npx wix-loyalty-wasm serve [--port 8080] [--host 127.0.0.1] [--storage memory|sqlite:<file>|postgres:<url>]
//                            [--api-key <key>] [--member-token-secret <secret>] [--body-limit <bytes>]
//                            [--storage-timeout-ms <ms>]
// Serves the Wix Loyalty REST API from an engine: point the official SDK (createClient with a
// fetch that sends requests here) or any HTTP client at it. SIGINT or SIGTERM stop it cleanly.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLoyaltyBackend, serve } from './node/index.mjs';
import { storageFromSpec } from './storage/spec.js';

/** The contacts resolver a --contacts file gives. */
async function contactsFrom(file) {
  const path = resolve(file);
  const source = /\.m?js$/.test(path) ? (await import(pathToFileURL(path).href)).default : JSON.parse(readFileSync(path, 'utf8'));
  if (typeof source === 'function') return source;
  if (source === null || typeof source !== 'object') throw new Error(`--contacts ${file} must hold an object of contacts or export a function`);
  return (contactId) => (Object.hasOwn(source, contactId) ? source[contactId] : null);
}

const USAGE = `usage: wix-loyalty-wasm serve [options]

  --port <n>                  port to listen on (default 8080; 0 picks a free one)
  --host <address>            address to listen on (default 127.0.0.1; beyond loopback needs --api-key)
  --storage <spec>            memory (default), sqlite:<file> or postgres:<connection string>
  --api-key <key>             only requests with this Authorization (or a member token) are let in
                              (also WIX_LOYALTY_API_KEY)
  --member-token-secret <s>   signs member tokens, so they outlive the process (also WIX_LOYALTY_TOKEN_SECRET)
  --body-limit <bytes>        largest request body (default 1048576)
  --storage-timeout-ms <ms>   how long one storage call may take before the request fails with
                              UNAVAILABLE / STORAGE_TIMEOUT (default 5000)
  --contacts <file>           who the contacts are: a JSON file { "<contactId>": { memberId?, name?, email?, picture? } }
                              or a module (.js/.mjs) whose default export is such an object or a
                              function contactId => contact | null (without it every GUID is a contact)`;

function parse(argv) {
  const [command, ...rest] = argv;
  const options = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--help' || arg === '-h') return { command: 'help', options };
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unexpected argument ${arg}`);
    const value = m[2] ?? rest[++i];
    if (value === undefined) throw new Error(`--${m[1]} needs a value`);
    options[m[1]] = value;
  }
  return { command, options };
}

function number(value, name) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number (got ${value})`);
  return n;
}

async function main() {
  let parsed;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (e) {
    console.error(`${e.message}\n\n${USAGE}`);
    return 2;
  }
  const { command, options } = parsed;
  if (command !== 'serve') {
    if (command === 'help' || command === '--help' || command === '-h') {
      console.log(USAGE);
      return 0;
    }
    console.error(command === undefined ? USAGE : `unknown command ${command}\n\n${USAGE}`);
    return 2;
  }
  const known = new Set(['port', 'host', 'storage', 'api-key', 'member-token-secret', 'body-limit', 'contacts', 'storage-timeout-ms']);
  const unknown = Object.keys(options).find((k) => !known.has(k));
  if (unknown) {
    console.error(`unknown option --${unknown}\n\n${USAGE}`);
    return 2;
  }
  let storage;
  let server;
  try {
    const port = number(options.port ?? '8080', 'port');
    const bodyLimit = number(options['body-limit'] ?? String(1024 * 1024), 'body-limit');
    const apiKey = options['api-key'] ?? process.env.WIX_LOYALTY_API_KEY;
    const memberTokenSecret = options['member-token-secret'] ?? process.env.WIX_LOYALTY_TOKEN_SECRET;
    const contacts = options.contacts ? await contactsFrom(options.contacts) : undefined;
    const storageTimeoutMs = options['storage-timeout-ms'] === undefined ? undefined : number(options['storage-timeout-ms'], 'storage-timeout-ms');
    const chosen = await storageFromSpec(options.storage);
    storage = chosen.storage;
    const loyalty = createLoyaltyBackend({ storage, contacts, storageTimeoutMs, ...(memberTokenSecret ? { memberTokenSecret } : {}) });
    server = await serve({ loyalty, port, host: options.host ?? '127.0.0.1', apiKey, bodyLimit });
    console.log(`wix-loyalty-wasm serving the Wix Loyalty REST API on ${server.url} (storage: ${chosen.label}${apiKey ? ', API key required' : ''})`);
  } catch (e) {
    console.error(`wix-loyalty-wasm serve: ${e.message}`);
    await storage?.close?.();
    return 1;
  }
  return new Promise((resolve) => {
    let stopping = false;
    const stop = async (signal) => {
      if (stopping) {
        console.error(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = true;
      console.log(`${signal}: finishing ${server.inFlight()} request(s) in flight, then stopping`);
      await server.close();
      await storage?.close?.();
      console.log('stopped');
      resolve(0);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

process.exitCode = await main();
