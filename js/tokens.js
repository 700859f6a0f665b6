// Member tokens: how a REST caller says "I am site member X". A token is
//
//   wlm1.<memberId as base64url>.<HMAC-SHA256 of "wlm1.<memberId as base64url>", as base64url>
//
// signed with the backend's secret (`memberTokenSecret`, else 32 random bytes drawn when the
// backend is created, so tokens then last as long as the backend). Only a backend with the same
// secret accepts a token; nothing else about a member is in it, and it does not expire.

import { loyaltyError } from './errors.js';
import { nameProblem } from './text.js';

const PREFIX = 'wlm1';
const encoder = new TextEncoder();

function base64url(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text) {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

/** @param {string | undefined} secret */
export function createTokens(secret) {
  if (secret !== undefined && secret !== null && (typeof secret !== 'string' || secret.length < 16)) {
    throw loyaltyError('INVALID_ARGUMENT', 'INVALID_OPTIONS', 'createLoyaltyBackend: options.memberTokenSecret must be a string of at least 16 characters');
  }
  const material = typeof secret === 'string' ? encoder.encode(secret) : globalThis.crypto.getRandomValues(new Uint8Array(32));
  let key;
  const hmacKey = () => (key ??= globalThis.crypto.subtle.importKey('raw', material, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']));

  async function sign(payload) {
    if (!globalThis.crypto?.subtle) {
      throw loyaltyError('FAILED_PRECONDITION', 'WEB_CRYPTO_UNAVAILABLE', 'member tokens are signed with Web Crypto (crypto.subtle), which this page does not have: browsers offer it to secure contexts only (https, or localhost)');
    }
    return new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', await hmacKey(), encoder.encode(payload)));
  }

  return {
    /** A token for `memberId` (a non-empty string of at most 100 characters). */
    async issue(memberId) {
      if (typeof memberId !== 'string' || memberId.length === 0 || memberId.length > 100) {
        throw loyaltyError('INVALID_ARGUMENT', 'INVALID_MEMBER', 'memberToken: memberId must be a string of 1 to 100 characters');
      }
      const problem = nameProblem(memberId);
      if (problem) throw loyaltyError('INVALID_ARGUMENT', 'INVALID_MEMBER', `memberToken: memberId ${problem}`);
      const payload = `${PREFIX}.${base64url(encoder.encode(memberId))}`;
      return `${payload}.${base64url(await sign(payload))}`;
    },

    /** The member a token names, or null when it is not a valid token of this backend. */
    async verify(token) {
      if (typeof token !== 'string' || !token.startsWith(`${PREFIX}.`) || token.length > 1000) return null;
      const parts = token.split('.');
      if (parts.length !== 3) return null;
      try {
        const ok = await globalThis.crypto.subtle.verify('HMAC', await hmacKey(), fromBase64url(parts[2]), encoder.encode(`${parts[0]}.${parts[1]}`));
        return ok ? new TextDecoder().decode(fromBase64url(parts[1])) : null;
      } catch {
        return null;
      }
    },

    /** Whether `text` has the form of a member token (valid or not). */
    looksLike: (text) => typeof text === 'string' && text.startsWith(`${PREFIX}.`),
  };
}
