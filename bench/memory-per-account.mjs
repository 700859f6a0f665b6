// node --expose-gc bench/memory-per-account.mjs N: JS heap and wasm memory per account when
// memoryStorage holds N accounts created through the engine. Prints JSON.
import { createLoyaltyBackend, memoryStorage, engineStats } from 'wix-loyalty-wasm';

const count = Number(process.argv[2] ?? 100_000);
const storage = memoryStorage();
const loyalty = createLoyaltyBackend({ storage });
// Held globally, so that the collector cannot drop the store while it is measured.
globalThis.heldForMeasurement = storage;
await loyalty.programs.activateLoyaltyProgram();
const guid = (n) => `bbbbbbbb-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
await loyalty.accounts.createAccount(guid(0xfffff));
globalThis.gc();
const heap0 = process.memoryUsage().heapUsed;
const wasm0 = engineStats().wasmMemoryBytes;
for (let i = 0; i < count; i++) await loyalty.accounts.createAccount(guid(i));
globalThis.gc();
const heap1 = process.memoryUsage().heapUsed;
const wasm1 = engineStats().wasmMemoryBytes;
process.stdout.write(`${JSON.stringify({
  accounts: count,
  jsHeapBytes: Math.round((heap1 - heap0) / count),
  wasmBytes: Math.round((wasm1 - wasm0) / count),
  wasmMemoryBytes: wasm1,
})}\n`);
