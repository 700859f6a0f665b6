// `wix-web-module` under the loader: webMethod(permission, fn) with Velo's permissions checked
// against the configured caller (./backend.mjs): Anyone, SiteMember (a member or a site admin),
// Admin (a site admin).
import { LoyaltyError } from '../node/index.mjs';
import { callerIsSiteAdmin, currentMember } from './backend.mjs';

export const Permissions = Object.freeze({ Anyone: 'Anyone', SiteMember: 'SiteMember', Admin: 'Admin' });

function allowed(permission) {
  if (permission === Permissions.Anyone) return true;
  if (permission === Permissions.SiteMember) return callerIsSiteAdmin || currentMember !== null;
  return callerIsSiteAdmin;
}

export function webMethod(permission, fn) {
  if (!Object.values(Permissions).includes(permission)) {
    throw new TypeError(`webMethod: the permission must be Permissions.Anyone, .SiteMember or .Admin (got ${String(permission)})`);
  }
  if (typeof fn !== 'function') throw new TypeError('webMethod: the second argument must be a function');
  return async (...args) => {
    if (!allowed(permission)) {
      const who = currentMember ? `member ${currentMember._id}` : 'an anonymous visitor';
      const description = `this web method needs Permissions.${permission}; the caller is ${who} (see WIX_LOYALTY_MEMBER and WIX_LOYALTY_SITE_ADMIN)`;
      throw new LoyaltyError({
        code: 'PERMISSION_DENIED',
        reason: 'WEB_METHOD_FORBIDDEN',
        message: `PERMISSION_DENIED: ${description}`,
        details: { applicationError: { code: 'WEB_METHOD_FORBIDDEN', description, data: {} } },
      });
    }
    return fn(...args);
  };
}

export default Object.freeze({ Permissions, webMethod });
