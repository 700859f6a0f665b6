// The Velo loader's backend (`node --import wix-loyalty-wasm/velo`), for code that seeds or audits it.
import type { LoyaltyBackend, LoyaltyModules } from '../index.js';

/** The loader's one backend, acting as an admin (what `elevate()` gives). */
export declare const backend: LoyaltyBackend;
/** The configured member, or null for an anonymous visitor or a site admin. */
export declare const currentMember: { _id: string; contactId?: string; loginEmail?: string; nickname?: string } | null;
/** Whether the caller is a site admin (`siteAdmin`, `WIX_LOYALTY_SITE_ADMIN=1`). */
export declare const callerIsSiteAdmin: boolean;
/** The modules acting as the caller: the member, the visitor, or (a site admin) an admin. */
export declare const caller: LoyaltyModules;
/** The admin's version of one of the caller's module functions, or undefined. */
export declare function elevated<F extends (...args: never[]) => unknown>(fn: F): F | undefined;
/** Loads the configured events module (the loader calls it). */
export declare function loadEvents(): Promise<void>;
