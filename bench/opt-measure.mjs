// node --expose-gc bench/opt-measure.mjs <package folder> <ms>: the default store's operations
// of the package in that folder against the tight baseline (1 caller), as JSON on stdout. A
// process per build, so that no build's module or heap weighs on another's figures.
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { collect, measureBoth, subject } from './measure.mjs';

const [dir, msText] = process.argv.slice(2);
const ms = Number(msText);
const engine = createRequire(import.meta.url)(join(resolve(dir), 'node', 'index.cjs'));
const OPS = ['createAccount', 'earnPoints', 'adjustPoints', 'getAccount', 'queryPage', 'redeemPointsForCoupon'];
const rows = {};
for (const op of OPS) {
  await collect();
  const e = await subject('engine', engine.memoryStorage(), 1, undefined, {}, engine);
  const t = await subject('tight', null, 1);
  const [a, b] = await measureBoth(e[op], t[op], 1, ms);
  rows[op] = { engineOpsPerSec: a.opsPerSec, tightOpsPerSec: b.opsPerSec, ratio: +(a.opsPerSec / b.opsPerSec).toFixed(3) };
}
process.stdout.write(JSON.stringify(rows));
