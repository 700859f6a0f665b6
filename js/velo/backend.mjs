// The one backend that Velo code runs against under the loader (./register.mjs), and who calls.
//
// Configuration: a JSON file (the path in WIX_LOYALTY_VELO_CONFIG, else ./wix-loyalty.config.json
// when there is one), and the environment over it:
//
//   file key    environment              what
//   storage     WIX_LOYALTY_STORAGE      memory (default), sqlite:<file> or postgres:<connection string>
//   contacts    WIX_LOYALTY_CONTACTS     a contacts file as `serve --contacts` takes it (in the file
//                                        also an object of contacts)
//   events      WIX_LOYALTY_EVENTS       the site's backend/events.js: its wixLoyalty_on… handlers
//                                        receive the events
//   member      WIX_LOYALTY_MEMBER       the logged-in site member: a member id (in the file also
//                                        { _id, contactId?, loginEmail?, nickname? }); none: an
//                                        anonymous visitor
//   siteAdmin   WIX_LOYALTY_SITE_ADMIN=1 the caller is a site admin (then `member` is ignored)
//
// Paths in the file (a sqlite: storage's included) are relative to its folder; in the
// environment, to the working directory.
// Who calls: code wrapped in wix-auth's elevate() acts as an admin; code that is not acts as the
// configured member (getCurrentMemberAccount, redeemCurrentMemberPointsForCoupon, …; admin methods
// reject with PERMISSION_DENIED), or as an anonymous visitor (member methods reject with
// UNAUTHENTICATED), or as an admin when `siteAdmin` says so. The legacy wix-loyalty-backend module
// acts as an admin (it predates elevate(); its documented examples call admin methods without it).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLoyaltyBackend } from '../node/index.mjs';
import { storageFromSpec } from '../storage/spec.js';
import { contactsFrom, contactsFromObject } from '../contacts-file.js';

/** A configuration mistake: one line, and the process ends (the Velo code would run on nothing). */
function fail(message) {
  console.error(`wix-loyalty-wasm/velo: ${message}`);
  process.exit(2);
}

const KEYS = new Set(['storage', 'contacts', 'events', 'member', 'siteAdmin']);

/** The configuration file's settings and the folder its paths are relative to. */
function fileSettings(env) {
  const named = env.WIX_LOYALTY_VELO_CONFIG;
  const path = resolve(named || 'wix-loyalty.config.json');
  if (!named && !existsSync(path)) return { settings: {}, base: process.cwd(), source: 'the environment' };
  let settings;
  try {
    settings = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail(`the configuration ${path} cannot be read: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) fail(`the configuration ${path} must hold a JSON object`);
  const unknown = Object.keys(settings).find((k) => !KEYS.has(k));
  if (unknown) fail(`the configuration ${path} has an unknown key "${unknown}" (known: ${[...KEYS].join(', ')})`);
  return { settings, base: dirname(path), source: path };
}

/** The configured member as wix-members-backend's currentMember.getMember() answers it, or null. */
function memberOf(value, source) {
  if (value === undefined || value === null || value === '') return null;
  const member = typeof value === 'string' ? { _id: value } : value;
  const text = (v) => v === undefined || typeof v === 'string';
  if (member === null || typeof member !== 'object' || typeof member._id !== 'string' || member._id === ''
    || !text(member.contactId) || !text(member.loginEmail) || !text(member.nickname)) {
    fail(`member (in ${source}) must be a member id or an object { _id, contactId?, loginEmail?, nickname? } of strings`);
  }
  return member;
}

const env = process.env;
const { settings, base, source } = fileSettings(env);
/** A storage spec from the file, its SQLite path taken relative to the file's folder. */
function fromFile(spec) {
  if (spec === undefined) return undefined;
  if (typeof spec !== 'string') fail(`storage (in ${source}) must be a string such as "sqlite:./site.db"`);
  const m = /^sqlite:(.+)$/.exec(spec);
  return m ? `sqlite:${resolve(base, m[1])}` : spec;
}
const storageSpec = env.WIX_LOYALTY_STORAGE || fromFile(settings.storage);
const contactsSetting = env.WIX_LOYALTY_CONTACTS ? { file: env.WIX_LOYALTY_CONTACTS, base: process.cwd() } : settings.contacts === undefined ? null : { value: settings.contacts, base };
const eventsFile = env.WIX_LOYALTY_EVENTS ? resolve(env.WIX_LOYALTY_EVENTS) : settings.events ? resolve(base, settings.events) : null;
function flag(value, name) {
  if (['1', 'true'].includes(value)) return true;
  if (['0', 'false'].includes(value)) return false;
  return fail(`${name} must be 1 or 0 (got ${JSON.stringify(value)})`);
}
if (settings.siteAdmin !== undefined && typeof settings.siteAdmin !== 'boolean') fail(`siteAdmin (in ${source}) must be true or false`);
if (settings.events !== undefined && typeof settings.events !== 'string') fail(`events (in ${source}) must be the path of backend/events.js`);
const siteAdmin = env.WIX_LOYALTY_SITE_ADMIN ? flag(env.WIX_LOYALTY_SITE_ADMIN, 'WIX_LOYALTY_SITE_ADMIN') : settings.siteAdmin === true;
const member = siteAdmin ? null : memberOf(env.WIX_LOYALTY_MEMBER || settings.member, env.WIX_LOYALTY_MEMBER ? 'WIX_LOYALTY_MEMBER' : source);

let storage;
try {
  storage = (await storageFromSpec(storageSpec)).storage;
} catch (e) {
  fail(`storage: ${e.message}`);
}
let contacts;
try {
  if (contactsSetting?.file) contacts = await contactsFrom(contactsSetting.file, `WIX_LOYALTY_CONTACTS ${contactsSetting.file}`);
  else if (typeof contactsSetting?.value === 'string') contacts = await contactsFrom(contactsSetting.value, `contacts ${contactsSetting.value}`, contactsSetting.base);
  else if (contactsSetting) contacts = contactsFromObject(contactsSetting.value, `contacts (in ${source})`);
} catch (e) {
  fail(e.message);
}
// Without a contacts resolver, a member whose contact is given belongs to that contact, so
// createAccount links the two (with one, the resolver says whose a contact is).
if (!contacts && member?.contactId) {
  contacts = (contactId) => (contactId.toLowerCase() === member.contactId.toLowerCase() ? { memberId: member._id, email: member.loginEmail } : {});
}

/** The site's events module, filled in once loaded (handlers are looked up as events come). */
const events = {};

/** The backend, acting as an admin (what elevate() gives). */
export const backend = createLoyaltyBackend({ storage, contacts, events: eventsFile ? events : undefined });

/** The configured member (`{ _id, … }`), or null for an anonymous visitor or a site admin. */
export const currentMember = member;

/** Whether the caller is a site admin. */
export const callerIsSiteAdmin = siteAdmin;

/** The modules acting as the caller: the member, the visitor, or (siteAdmin) an admin. */
export const caller = siteAdmin ? backend : member ? backend.forMember(member._id) : backend.forVisitor();

/** Each caller's function → the admin's function of the same name (elevate). */
const elevation = new WeakMap();
for (const [name, module] of Object.entries(caller)) {
  if (module === null || typeof module !== 'object') continue;
  for (const [method, fn] of Object.entries(module)) {
    const admin = backend[name]?.[method];
    if (typeof fn === 'function' && typeof admin === 'function') elevation.set(fn, admin);
  }
}

/** The admin's version of a Velo module function, or undefined when `fn` is none of them. */
export function elevated(fn) {
  return elevation.get(fn);
}

/** Loads the configured events module (./register.mjs calls it once the backend exists). */
export async function loadEvents() {
  if (!eventsFile) return;
  let module;
  try {
    module = await import(pathToFileURL(eventsFile).href);
  } catch (e) {
    fail(`events ${eventsFile} cannot be loaded: ${e.code === 'ERR_MODULE_NOT_FOUND' ? 'no such file' : String(e.message).split('\n')[0]}`);
  }
  Object.assign(events, module);
}

// Before the process ends: the marks of delivered events, then the storage.
let closing = false;
process.on('beforeExit', () => {
  if (closing) return;
  closing = true;
  backend
    .flushEvents()
    .catch((e) => console.error(`wix-loyalty-wasm/velo: marking delivered events failed: ${e.message}`))
    .then(() => storage.close?.());
});
