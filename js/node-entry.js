// Node entry, bundled to CommonJS (node/index.cjs); node/index.mjs re-exports it for `import`,
// so ESM and CJS callers share one instance and one default backend.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { initSync } from './wasm/wix_loyalty_wasm.js';

initSync({ module: readFileSync(join(__dirname, '..', 'wasm', 'wix_loyalty_wasm_bg.wasm')) });

export * from './api.js';
export { serve } from './server.js';
export { default } from './api.js';
