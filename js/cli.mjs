#!/usr/bin/env node
// npx wix-loyalty-wasm serve [options]     the Wix Loyalty REST API over HTTP (see USAGE)
// npx wix-loyalty-wasm token <memberId>    a member token for a server's secret
// Every mistake is one line on stderr, naming the value and what to write instead, and exit 2.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLoyaltyBackend, memoryStorage, serve, isLoyaltyError } from './node/index.mjs';
import { storageFromSpec } from './storage/spec.js';
import { contactsFrom } from './contacts-file.js';

const USAGE = `usage: wix-loyalty-wasm serve [options]
       wix-loyalty-wasm token <memberId>    prints a member token signed with the server's secret
                                            (WIX_LOYALTY_TOKEN_SECRET, WIX_LOYALTY_TOKEN_SECRET_FILE
                                            or --member-token-secret-file)

serve options:
  --port <n>                    port to listen on (default 8080; 0 picks a free one)
  --host <address>              address to listen on (default 127.0.0.1; beyond loopback needs an API key)
  --storage <spec>              memory (default), sqlite:<file> or postgres:<connection string>
  --api-key-file <file>         API keys, one per line (several: rotation); only requests whose
                                Authorization is one of them (or a member token) are let in
                                (also WIX_LOYALTY_API_KEY_FILE, or one key in WIX_LOYALTY_API_KEY)
  --api-key <key>               one API key on the command line (visible to other users in ps:
                                prefer the file or the environment); may be repeated
  --member-token-secret-file <file>
                                signs member tokens, so they outlive the process
                                (also WIX_LOYALTY_TOKEN_SECRET_FILE, WIX_LOYALTY_TOKEN_SECRET;
                                --member-token-secret <s> on the command line)
  --allow-host <name>           answer for this Host too (loopback names always); may be repeated
  --allow-origin <origin>       let browser pages of this origin call (the server's own always);
                                may be repeated
  --contacts <file>             who the contacts are: a JSON file { "<contactId>": { memberId?, name?,
                                email?, picture? } } or a module (.js/.mjs) whose default export is
                                such an object or a function contactId => contact | null (without
                                it every GUID is a contact)
  --body-limit <bytes>          largest request body (default 1048576)
  --storage-timeout-ms <ms>     how long one storage call may take (default 5000)
  --headers-timeout-ms <ms>     how long a client may take to send its headers (default 10000)
  --request-timeout-ms <ms>     how long a client may take to send its whole request (default 30000)
  --drain-ms <ms>               on SIGTERM, how long requests in flight may take (default 10000)
  --max-connections <n>         connections open at once; more are answered 503 (default 1000)
  --scheduled-work-ms <ms>      how often to run the scheduled work (default 60000; 0: never)`;

/** A mistake of the caller's: one line, and exit code 2. */
class UsageError extends Error {}

/** Flags that may be given more than once (their values collect in a list). */
const REPEATED = new Set(['api-key', 'allow-host', 'allow-origin']);
/** Of those, the ones whose value may also be a comma-separated list (never a secret's). */
const LISTED = new Set(['allow-host', 'allow-origin']);
const SERVE_FLAGS = new Set([
  'port', 'host', 'storage', 'api-key', 'api-key-file', 'member-token-secret', 'member-token-secret-file', 'allow-host',
  'allow-origin', 'contacts', 'body-limit', 'storage-timeout-ms', 'headers-timeout-ms', 'request-timeout-ms', 'drain-ms',
  'max-connections', 'scheduled-work-ms',
]);
const TOKEN_FLAGS = new Set(['member-token-secret', 'member-token-secret-file']);

function parse(argv) {
  const [command, ...rest] = argv;
  const options = {};
  const positional = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--help' || arg === '-h') return { command: 'help', options, positional };
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new UsageError(`unexpected argument ${arg}`);
    const value = m[2] ?? rest[++i];
    if (value === undefined || (m[2] === undefined && value.startsWith('--'))) throw new UsageError(`--${m[1]} needs a value`);
    if (value.trim() === '') throw new UsageError(`--${m[1]} is empty (an unset variable in the command line?)`);
    if (LISTED.has(m[1])) (options[m[1]] ??= []).push(...value.split(',').map((v) => v.trim()).filter(Boolean));
    else if (REPEATED.has(m[1])) (options[m[1]] ??= []).push(value);
    else if (m[1] in options) throw new UsageError(`--${m[1]} is given twice`);
    else options[m[1]] = value;
  }
  return { command, options, positional };
}

function number(options, name, { min = 0, max = 2 ** 31 - 1, unit = '' } = {}) {
  const value = options[name];
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number${unit} from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return n;
}

/** The lines of a secrets file that hold a secret (blank lines and # comments skipped). */
function secretsIn(file, flag) {
  let text;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (e) {
    throw new UsageError(`${flag} ${file} cannot be read: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) throw new UsageError(`${flag} ${file} holds no secret (one per line; # starts a comment)`);
  return lines;
}

/**
 * Every API key the command line gives, else the environment (none: no key is required). A key
 * with spaces around it could never match (a header's value arrives trimmed): it is refused.
 */
function apiKeysFrom(options, env) {
  let keys;
  if (options['api-key'] || options['api-key-file']) {
    keys = [...(options['api-key'] ?? []), ...(options['api-key-file'] ? secretsIn(options['api-key-file'], '--api-key-file') : [])];
  } else if (env.WIX_LOYALTY_API_KEY_FILE) {
    keys = secretsIn(env.WIX_LOYALTY_API_KEY_FILE, 'WIX_LOYALTY_API_KEY_FILE');
  } else {
    keys = env.WIX_LOYALTY_API_KEY ? [env.WIX_LOYALTY_API_KEY] : [];
  }
  if (keys.some((k) => k.trim() !== k)) throw new UsageError('an API key has spaces around it, so no Authorization header could ever match it: remove them');
  return keys;
}

/** The member-token secret the command line gives, else the environment, or undefined. */
function tokenSecretFrom(options, env) {
  let secret;
  if (options['member-token-secret-file']) secret = secretsIn(options['member-token-secret-file'], '--member-token-secret-file')[0];
  else if (options['member-token-secret'] !== undefined) secret = options['member-token-secret'];
  else if (env.WIX_LOYALTY_TOKEN_SECRET_FILE) secret = secretsIn(env.WIX_LOYALTY_TOKEN_SECRET_FILE, 'WIX_LOYALTY_TOKEN_SECRET_FILE')[0];
  else secret = env.WIX_LOYALTY_TOKEN_SECRET || undefined;
  if (secret !== undefined && secret.length < 16) {
    throw new UsageError(`the member-token secret must be at least 16 characters (got ${secret.length}): generate one with openssl rand -hex 32`);
  }
  return secret;
}

/** The contacts resolver a --contacts file gives. */
async function contactsOption(file) {
  try {
    return await contactsFrom(file, `--contacts ${file}`);
  } catch (e) {
    throw new UsageError(e.message);
  }
}

/** An error as one line. */
function oneLine(e) {
  if (isLoyaltyError(e)) {
    const violations = e.details?.validationError?.fieldViolations;
    return violations ? violations.map((v) => `${v.field} ${v.description}`).join('; ') : e.details?.applicationError?.description ?? e.code;
  }
  return String(e?.message ?? e).split('\n')[0];
}

function unknownFlag(options, known, command) {
  const unknown = Object.keys(options).find((k) => !known.has(k));
  if (unknown) throw new UsageError(`unknown option --${unknown} for ${command} (see wix-loyalty-wasm --help)`);
}

async function token(options, positional, env) {
  unknownFlag(options, TOKEN_FLAGS, 'token');
  if (positional.length !== 1) throw new UsageError('token takes one member id: wix-loyalty-wasm token <memberId>');
  const secret = tokenSecretFrom(options, env);
  if (secret === undefined) {
    throw new UsageError("token needs the server's member-token secret: set WIX_LOYALTY_TOKEN_SECRET_FILE (or pass --member-token-secret-file) as for serve");
  }
  const loyalty = createLoyaltyBackend({ storage: memoryStorage(), memberTokenSecret: secret });
  try {
    console.log(await loyalty.memberToken(positional[0]));
  } catch (e) {
    throw new UsageError(oneLine(e));
  }
  return 0;
}

async function serveCommand(options, positional, env) {
  unknownFlag(options, SERVE_FLAGS, 'serve');
  if (positional.length > 0) throw new UsageError(`unexpected argument ${positional[0]}`);
  const settings = {
    port: number(options, 'port', { max: 65535 }) ?? 8080,
    host: options.host ?? '127.0.0.1',
    bodyLimit: number(options, 'body-limit', { unit: ' of bytes' }),
    headersTimeoutMs: number(options, 'headers-timeout-ms', { min: 1, unit: ' of milliseconds' }),
    requestTimeoutMs: number(options, 'request-timeout-ms', { min: 1, unit: ' of milliseconds' }),
    drainMs: number(options, 'drain-ms', { unit: ' of milliseconds' }),
    maxConnections: number(options, 'max-connections', { min: 1, max: 1_000_000 }),
    scheduledWorkMs: number(options, 'scheduled-work-ms', { unit: ' of milliseconds' }),
    apiKeys: apiKeysFrom(options, env),
    allowHosts: options['allow-host'] ?? [],
    allowOrigins: options['allow-origin'] ?? [],
  };
  const storageTimeoutMs = number(options, 'storage-timeout-ms', { min: 1, unit: ' of milliseconds' });
  const memberTokenSecret = tokenSecretFrom(options, env);
  const contacts = options.contacts ? await contactsOption(options.contacts) : undefined;
  let chosen;
  try {
    chosen = await storageFromSpec(options.storage);
  } catch (e) {
    throw new UsageError(`--storage: ${oneLine(e)}`);
  }
  let server;
  try {
    const loyalty = createLoyaltyBackend({ storage: chosen.storage, contacts, storageTimeoutMs, ...(memberTokenSecret ? { memberTokenSecret } : {}) });
    for (const key of Object.keys(settings)) if (settings[key] === undefined) delete settings[key];
    server = await serve({ loyalty, ...settings });
  } catch (e) {
    await chosen.storage.close?.();
    if (e?.code === 'EADDRINUSE') throw new UsageError(`port ${settings.port} on ${settings.host} is in use: pick another with --port (0 picks a free one)`);
    if (e?.code === 'EADDRNOTAVAIL') throw new UsageError(`--host ${settings.host} is not an address of this machine`);
    throw new UsageError(oneLine(e));
  }
  const keys = settings.apiKeys.length;
  console.log(`wix-loyalty-wasm serving the Wix Loyalty REST API on ${server.url} (storage: ${chosen.label}${keys ? `, ${keys === 1 ? 'an API key' : `${keys} API keys`} required` : ', no API key: every local caller is an admin'})`);
  return new Promise((done) => {
    let stopping = false;
    const stop = async (signal) => {
      if (stopping) {
        console.error(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = true;
      console.log(`${signal}: finishing ${server.inFlight()} request(s) in flight, then stopping`);
      await server.close();
      await chosen.storage.close?.();
      console.log('stopped');
      done(0);
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

async function main(argv, env) {
  try {
    const { command, options, positional } = parse(argv);
    if (command === 'help' || command === '--help' || command === '-h') {
      console.log(USAGE);
      return 0;
    }
    if (command === 'serve') return await serveCommand(options, positional, env);
    if (command === 'token') return await token(options, positional, env);
    throw new UsageError(command === undefined ? 'a command is needed: serve or token (see wix-loyalty-wasm --help)' : `unknown command ${command}: use serve or token (see wix-loyalty-wasm --help)`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`wix-loyalty-wasm: ${e.message}`);
    return 2;
  }
}

process.exitCode = await main(process.argv.slice(2), process.env);
