// Browser entry (and any ESM host with fetch): loads the .wasm next to this file.
import init from './wasm/wix_loyalty_wasm.js';

await init({ module_or_path: new URL('./wasm/wix_loyalty_wasm_bg.wasm', import.meta.url) });

export * from './api.js';
export { default } from './api.js';
