// The contacts resolver a file gives (serve --contacts, the Velo loader's configuration): a JSON
// file `{ "<contactId>": { memberId?, name?, email?, picture? } }`, or a module (.js, .mjs, .cjs)
// whose default export is such an object or a function contactId => contact | null.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A resolver from an object of contacts; what `what` names in an error if it is not one. */
export function contactsFromObject(source, what) {
  if (typeof source === 'function') return source;
  if (source === null || typeof source !== 'object' || Array.isArray(source)) {
    const got = Array.isArray(source) ? 'an array' : source === null ? 'null' : typeof source;
    throw new Error(`${what} must hold an object { "<contactId>": { memberId?, name?, email? } } or export a function (it holds ${got})`);
  }
  return (contactId) => (Object.hasOwn(source, contactId) ? source[contactId] : null);
}

/** The resolver the file at `file` (relative to `base`) gives; `what` names it in errors. */
export async function contactsFrom(file, what = file, base = process.cwd()) {
  const path = resolve(base, file);
  let source;
  try {
    source = /\.[cm]?js$/.test(path) ? (await import(pathToFileURL(path).href)).default : JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const missing = e.code === 'ENOENT' || e.code === 'ERR_MODULE_NOT_FOUND';
    throw new Error(`${what} cannot be read: ${missing ? 'no such file' : String(e.message).split('\n')[0]}`);
  }
  return contactsFromObject(source, what);
}
