// Drives the site's backend code as the platform would call it, and prints what came back
// (one JSON line): every outcome, a refusal as its code and reason.
import { openProgram, legacyBalance } from './backend/setup.js';
import { myBalance, award, peek, elevatedPeek, whoAmI, adminReport } from './backend/loyalty.web.js';
import { backend } from 'wix-loyalty-wasm/velo/backend';

const settle = (p) => p.then((value) => ({ value }), (e) => ({ error: `${e.code}/${e.reason}` }));
const contactId = process.env.VELO_CONTACT;
const out = {};
out.accountId = (await settle(openProgram(contactId))).value;
out.award = await settle(award(out.accountId, 30, 1));
out.retry = await settle(award(out.accountId, 30, 1));
out.award2 = await settle(award(out.accountId, 12, 2));
out.peek = await settle(peek(out.accountId));
out.elevatedPeek = await settle(elevatedPeek(out.accountId));
out.legacy = await settle(legacyBalance(out.accountId));
out.myBalance = await settle(myBalance());
out.whoAmI = await settle(whoAmI());
out.adminReport = await settle(adminReport());
out.verified = (await backend.verify()).ok;
await backend.flushEvents();
console.log(JSON.stringify(out));
