// 100k operations under `node --expose-gc`: wasm memory and the JS heap level off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

test('100k operations: wasm and JS memory do not grow without bound', () => {
  const script = fileURLToPath(new URL('./memory-run.mjs', import.meta.url));
  const out = execFileSync(process.execPath, ['--expose-gc', script], { encoding: 'utf8', maxBuffer: 1 << 20 });
  const { samples, events, inFlight } = JSON.parse(out.trim().split('\n').pop());
  const mb = (b) => (b / 2 ** 20).toFixed(2);
  for (const s of samples) console.log(`# after ${s.done} operations: JS heap ${mb(s.heapUsed)} MB, wasm memory ${mb(s.wasmMemoryBytes)} MB`);
  assert.equal(samples.length, 5);
  assert.ok(events > 0);
  assert.equal(inFlight, 0, 'every operation released its state in wasm, failed ones included');
  const [first, , , , last] = samples;
  // The wasm instance holds no state between calls: its memory must not grow after warm-up.
  assert.equal(last.wasmMemoryBytes, first.wasmMemoryBytes, 'wasm memory grew');
  // The JS heap may wobble with the garbage collector, not climb with the operation count.
  assert.ok(last.heapUsed - first.heapUsed < 4 * 2 ** 20, `JS heap grew by ${mb(last.heapUsed - first.heapUsed)} MB over 80k operations`);
});
