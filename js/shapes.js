// The shapes a value takes on its way out and in. The engine answers in the SDK's names with
// dates as epoch milliseconds under the SDK's date field names; the direct API turns those into
// Dates, the REST face into ISO strings under REST names.

import TABLE from './table.js';

/** The SDK's date field names (src/core/records/view.rs DATE_FIELDS, through the build's table). */
const DATES = new Set(TABLE.dateFields);
function isDateField(key) {
  return DATES.has(key);
}

/** Epoch milliseconds under the SDK's date field names become Dates, in place. */
export function reviveDates(value) {
  for (const key in value) {
    const v = value[key];
    if (typeof v === 'number') {
      if (isDateField(key)) value[key] = new Date(v);
    } else if (v !== null && typeof v === 'object') {
      reviveDates(v);
    }
  }
  return value;
}

/** An engine answer, with Dates: JSON text, or an account answer packed (see below). */
export function parseAnswer(text) {
  return text.charCodeAt(0) === 123 /* { */ ? reviveDates(JSON.parse(text)) : accountAnswer(text);
}

/**
 * `{ account[, transactionId] }` from its packed form (src/core/records/json.rs,
 * `account_answer`): the object JSON.parse would make of the same answer, keys in the same
 * order, built without parsing.
 */
function accountAnswer(packed) {
  // The numbers, read in place (no split, no substrings): whole numbers, a '-' before negatives.
  const n = new Array(25);
  let at = 0;
  for (let i = 0; i < 25; i++) {
    let c = packed.charCodeAt(at++);
    const negative = c === 45; /* - */
    if (negative) c = packed.charCodeAt(at++);
    let v = 0;
    while (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      c = packed.charCodeAt(at++);
    }
    n[i] = negative ? -v : v;
  }
  const id = packed.slice(at, (at += n[15]));
  const contactId = packed.slice(at, (at += n[16]));
  const memberId = packed.slice(at, (at += n[17]));
  const name = packed.slice(at, (at += n[18]));
  const email = packed.slice(at, (at += n[19]));
  const url = packed.slice(at, (at += n[20]));
  const transactionId = packed.slice(at, (at += n[21]));
  const tierId = packed.slice(at, (at += n[22]));
  const flags = n[1];
  const account = { _id: id, contactId };
  if (flags & 1) account.memberId = memberId;
  account.points = { balance: n[2], earned: n[3], adjusted: n[4], redeemed: n[5], expired: n[6] };
  account.rewardAvailable = (flags & 32) !== 0;
  account._createdDate = new Date(n[7]);
  account._updatedDate = new Date(n[8]);
  if (flags & 8) account.lastActivityDate = new Date(n[9]);
  account.revision = String(n[10]);
  const tier = {};
  if (flags & 64) tier._id = tierId;
  if (flags & 128) tier._updatedDate = new Date(n[14]);
  tier.points = n[11];
  account.tier = tier;
  const contact = { _id: contactId };
  if (flags & 2) contact.name = name;
  if (flags & 4) contact.email = email;
  if (flags & 6) contact.displayName = flags & 2 ? name : email;
  contact.picture = { _id: '', url, height: n[12], width: n[13] };
  account.contact = contact;
  account.pointsExpiration = flags & 256 ? { expirationDate: new Date(n[23]), expiringPointsAmount: n[24] } : { expiringPointsAmount: 0 };
  return flags & 16 ? { account, transactionId } : { account };
}

// ------------------------------------------------------------------ REST names

const TO_REST = { _id: 'id', _createdDate: 'createdDate', _updatedDate: 'updatedDate' };
const FROM_REST = { id: '_id', createdDate: '_createdDate', updatedDate: '_updatedDate' };

/** Renames each segment of a dotted field path (`tier._id` ⇄ `tier.id`). */
export function renamePath(path, map) {
  return path.includes('.') ? path.split('.').map((s) => map[s] ?? s).join('.') : map[path] ?? path;
}

/** `wix:image://v1/<id>/<name>#originWidth=W&originHeight=H` as the REST image object. */
export function imageObject(icon) {
  const m = /^wix:image:\/\/v1\/([^/#]+)(?:\/([^#]*))?#originWidth=(\d+)&originHeight=(\d+)$/.exec(icon);
  if (!m) return { url: icon };
  const name = m[2] ? safeDecode(m[2]) : undefined;
  const image = { id: m[1], height: Number(m[4]), width: Number(m[3]) };
  return name ? { ...image, altText: name, filename: name, url: icon } : image;
}

/** A REST image object as the SDK's icon string. */
export function imageString(image) {
  if (!image.id) return image.url;
  const name = image.filename || image.altText;
  return `wix:image://v1/${image.id}${name ? `/${encodeURIComponent(name)}` : ''}#originWidth=${image.width}&originHeight=${image.height}`;
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** An engine answer (parsed JSON, dates as milliseconds) as a REST body: REST names, ISO dates, image objects. */
export function toRest(value) {
  if (Array.isArray(value)) return value.map(toRest);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    const name = TO_REST[key] ?? key;
    if (typeof v === 'number' && isDateField(key)) out[name] = new Date(v).toISOString();
    else if (key === 'icon' && typeof v === 'string') out[name] = imageObject(v);
    else out[name] = toRest(v);
  }
  return out;
}

function put(target, key, value) {
  // An own "__proto__" key (as JSON.parse makes) stays a plain property, never a prototype.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A REST request value in the SDK's names: renamed keys (dotted ones segment by segment, and sort field names), icon strings. */
export function fromRest(value) {
  if (Array.isArray(value)) return value.map(fromRest);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const key of Object.keys(value)) {
    const v = value[key];
    const name = renamePath(key, FROM_REST);
    if (key === 'icon' && v !== null && typeof v === 'object' && !Array.isArray(v)) put(out, name, imageString(v));
    else if (key === 'fieldName' && typeof v === 'string') put(out, name, renamePath(v, FROM_REST));
    else put(out, name, fromRest(v));
  }
  return out;
}
