// `wix-members-backend` under the loader: currentMember.getMember() answers the configured member.
import { currentMember as configured } from './backend.mjs';

export const currentMember = Object.freeze({
  /** The logged-in member (`{ _id, contactId, loginEmail, profile, status }`), or undefined for a visitor. */
  async getMember() {
    if (configured === null) return undefined;
    const { _id, contactId, loginEmail, nickname } = configured;
    return {
      _id,
      ...(contactId ? { contactId } : {}),
      ...(loginEmail ? { loginEmail } : {}),
      profile: { nickname: nickname ?? loginEmail ?? _id },
      status: 'APPROVED',
      activityStatus: 'ACTIVE',
      privacyStatus: 'PRIVATE',
    };
  },
});

export default Object.freeze({ currentMember });
