// Text that names something (a member id, a key): well-formed UTF-16 without NUL. The core
// refuses the same in the ids and keys it takes (src/wasm/convert.rs, src/core/validate.rs);
// these checks guard what reaches it as a plain string (the member a call acts as).

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Whether `text` holds no unpaired surrogate (which any UTF-8 store would turn into U+FFFD). */
export function isWellFormed(text) {
  return typeof text.isWellFormed === 'function' ? text.isWellFormed() : !LONE_SURROGATE.test(text);
}

/** Why `text` cannot name anything, or null when it can. */
export function nameProblem(text) {
  if (!isWellFormed(text)) return 'holds an unpaired UTF-16 surrogate (a lone \\uD800-\\uDFFF)';
  if (text.includes('\0')) return 'holds a NUL (\\u0000)';
  return null;
}
