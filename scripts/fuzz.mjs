// npm run fuzz -- [--iterations N] [--seed S] [--start I]
// A long fuzzing campaign with the stable-toolchain fuzzer (tests/fuzz.rs), optimized but with
// overflow checks on (the release profile keeps them). Defaults: 1,000,000 executions, seed 1.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const value = (name, fallback) => {
  const i = args.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return fallback;
  const v = args[i].includes('=') ? args[i].split('=')[1] : args[i + 1];
  if (!/^\d+$/.test(v ?? '')) {
    console.error(`${name} needs a whole number`);
    process.exit(2);
  }
  return v;
};
const env = {
  ...process.env,
  FUZZ_ITERATIONS: value('--iterations', '1000000'),
  FUZZ_SEED: value('--seed', '1'),
  FUZZ_START: value('--start', '0'),
};
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync('cargo', ['test', '--release', '--test', 'fuzz', '--', '--nocapture'], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
