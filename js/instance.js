// The wasm instance's lifetime. A trap (a panic that got past every check, or a fault of the
// runtime) leaves the instance with a leaked stack frame and possibly a half-updated heap, so it
// is never reused: the call rejects with INTERNAL / WASM_TRAP and the module is instantiated
// afresh. Whatever lived in the old instance notices the new generation: operations in flight
// start over (they had committed nothing), and each memoryStorage() rebuilds its store from the
// journal it keeps on this side (js/memory-storage.js).

import { __wbg_reset_state as resetWasm } from './wasm/wix_loyalty_wasm.js';
import { fromWasm, isLoyaltyError } from './errors.js';

let generation = 0;
let traps = 0;

/** The instance's generation: it changes each time a trap replaces the instance. */
export function currentGeneration() {
  return generation;
}

/** Traps recovered from so far. */
export function trapCount() {
  return traps;
}

/** Converts what a wasm call threw into a LoyaltyError; on a trap, replaces the instance first. */
export function fromCall(thrown) {
  if (typeof thrown === 'string' || isLoyaltyError(thrown)) return fromWasm(thrown);
  traps++;
  generation++;
  try {
    resetWasm();
  } catch (e) {
    console.error('wix-loyalty-wasm: could not re-instantiate the engine after a trap:', e);
  }
  return fromWasm(thrown);
}
