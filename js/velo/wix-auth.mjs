// `wix-auth` under the loader: elevate(fn) runs a loyalty function as an admin.
import { elevated } from './backend.mjs';

/**
 * The function `fn` with an admin's rights: for a function of wix-loyalty.v2 (or
 * wix-loyalty-backend), the same function of the admin's modules; any other function is
 * called as it is (only Wix's own functions have rights to raise).
 */
export function elevate(fn) {
  if (typeof fn !== 'function') throw new TypeError(`elevate() takes a function (got ${fn === null ? 'null' : typeof fn})`);
  const admin = elevated(fn) ?? fn;
  return (...args) => admin(...args);
}

export default Object.freeze({ elevate });
