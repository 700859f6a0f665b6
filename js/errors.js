// LoyaltyError: every failure of every method rejects with one of these.

const BRAND = Symbol.for('wix-loyalty-wasm.LoyaltyError');

/** Wix canonical codes this engine uses. */
export const ERROR_CODES = Object.freeze([
  'INVALID_ARGUMENT', 'NOT_FOUND', 'ALREADY_EXISTS', 'FAILED_PRECONDITION',
  'ABORTED', 'PERMISSION_DENIED', 'UNAVAILABLE', 'INTERNAL',
]);

export class LoyaltyError extends Error {
  /**
   * @param {{ code: string, reason: string, message: string, details?: object }} init
   * @param {{ cause?: unknown }} [options]
   */
  constructor(init, options) {
    super(init.message, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.code = init.code;
    this.reason = init.reason;
    this.details = init.details ?? { applicationError: { code: init.reason, description: init.message, data: null } };
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
  return typeof value === 'object' && value !== null && value[BRAND] === true;
}

/** An application error raised by the JS face itself. */
export function loyaltyError(code, reason, description, data = null, cause) {
  const message = `${code}: ${description}`;
  return new LoyaltyError(
    { code, reason, message, details: { applicationError: { code: reason, description, data } } },
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
  return loyaltyError('INTERNAL', 'WASM_TRAP', `the engine failed unexpectedly: ${describe(thrown)}`, null, thrown);
}

function describe(value) {
  if (value instanceof Error) return value.message;
  try {
    return String(value);
  } catch {
    return 'an unprintable value';
  }
}

/** A storage callback that threw or rejected. Nothing was written by this engine. */
export function storageError(call, cause) {
  return loyaltyError(
    'UNAVAILABLE',
    'STORAGE_ERROR',
    `storage.${call} failed: ${describe(cause)}`,
    { call },
    cause,
  );
}
