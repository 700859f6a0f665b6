// `wix-loyalty-backend` (legacy) under the loader: the singular modules in the legacy shapes,
// acting as an admin, over the same backend as wix-loyalty.v2.
import { backend } from './backend.mjs';

export const { account, program } = backend;
export default Object.freeze({ account, program });
