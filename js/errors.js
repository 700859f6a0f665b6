// LoyaltyError: every failure of every method rejects with one of these. It reads like the
// error the official @wix/loyalty SDK throws for the same failure, so error handling written
// for Wix works unchanged: `message` is the JSON text `{ message, details }` the SDK builds,
// `details` holds `applicationError: { code, description, data }` (data always an object) or
// `validationError: { fieldViolations }`, and `status` is the HTTP status Wix answers with.
// On top of the SDK's shape: `code` (Wix's canonical code) and `reason` (the specific cause).

import TABLE from './table.js';

const BRAND = Symbol.for('wix-loyalty-wasm.LoyaltyError');

/** The HTTP status Wix answers with for each canonical code (src/core/error.rs, through the build's table). */
export const STATUS = Object.freeze({ ...TABLE.codes });

/** Wix canonical codes this engine uses, by HTTP status. */
export const ERROR_CODES = Object.freeze(Object.keys(STATUS).sort((a, b) => STATUS[a] - STATUS[b] || (a < b ? -1 : 1)));

/** `details` with `applicationError.data` always an object. */
function normalized(details) {
  const app = details?.applicationError;
  if (!app) return details;
  const data = app.data !== null && typeof app.data === 'object' && !Array.isArray(app.data) ? app.data : {};
  return { applicationError: { code: app.code, description: app.description, data } };
}

/** The message the SDK renders: `JSON.stringify({ message, details }, null, 2)`. */
export function sdkMessage(message, details) {
  return JSON.stringify({ message, details }, null, 2);
}

export class LoyaltyError extends Error {
  /**
   * @param {{ code: string, reason: string, message: string, status?: number, details?: object }} init
   *   `message` is the plain `CODE: description` line.
   * @param {{ cause?: unknown }} [options]
   */
  constructor(init, options) {
    const details = normalized(init.details ?? { applicationError: { code: init.reason, description: init.message, data: {} } });
    super(sdkMessage(init.message, details), options && 'cause' in options ? { cause: options.cause } : undefined);
    this.code = init.code;
    this.reason = init.reason;
    this.status = init.status ?? STATUS[init.code] ?? 500;
    this.details = details;
    /** `CODE: description`, the one line the message's JSON holds. */
    Object.defineProperty(this, 'description', { value: init.message, enumerable: false });
    Object.defineProperty(this, BRAND, { value: true });
  }

  get name() {
    return 'LoyaltyError';
  }

  /** Works across copies of the package (ESM and CJS builds, several bundles). */
  static [Symbol.hasInstance](value) {
    return isLoyaltyError(value);
  }
}

/** True for errors thrown by this package, whichever copy of it threw them. */
export function isLoyaltyError(value) {
  try {
    return typeof value === 'object' && value !== null && value[BRAND] === true;
  } catch {
    return false; // a hostile proxy
  }
}

/** An application error raised by the JS face itself. */
export function loyaltyError(code, reason, description, data = {}, cause) {
  return new LoyaltyError(
    { code, reason, message: `${code}: ${description}`, details: { applicationError: { code: reason, description, data } } },
    cause === undefined ? undefined : { cause },
  );
}

/** Turns what a wasm export threw into a LoyaltyError. */
export function fromWasm(thrown) {
  if (typeof thrown === 'string') {
    try {
      return new LoyaltyError(JSON.parse(thrown));
    } catch {
      // fall through: not an error this engine produced
    }
  }
  if (isLoyaltyError(thrown)) return thrown;
  return loyaltyError('INTERNAL', 'WASM_TRAP', `the engine failed unexpectedly: ${describe(thrown)}`, {}, thrown);
}

export function describe(value) {
  try {
    if (value instanceof Error) return value.message;
    return String(value);
  } catch {
    return 'an unprintable value';
  }
}

/** A storage callback that threw or rejected. Nothing was written by this engine. */
export function storageError(call, cause) {
  return loyaltyError('UNAVAILABLE', 'STORAGE_ERROR', `storage.${call} failed: ${describe(cause)}`, { call }, cause);
}

/** A storage call that did not answer within the backend's deadline (`storageTimeoutMs`). */
export function storageTimeout(call, timeoutMs) {
  return loyaltyError('UNAVAILABLE', 'STORAGE_TIMEOUT', `storage.${call} did not answer within ${timeoutMs} ms (storageTimeoutMs): the storage is slow or unreachable; a commit's outcome is unknown`, { call, timeoutMs });
}
