// npm run fuzz -- [--iterations N] [--seed S] [--start I]
// A long fuzzing campaign with the stable-toolchain fuzzer (tests/fuzz.rs), optimized but with
// overflow checks on (the release profile keeps them). Defaults: 1,000,000 executions, seed 1.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberArg } from './args.mjs';

const args = process.argv.slice(2);
const value = (name, fallback) => numberArg(args, name, fallback);
const env = {
  ...process.env,
  FUZZ_ITERATIONS: value('--iterations', '1000000'),
  FUZZ_SEED: value('--seed', '1'),
  FUZZ_START: value('--start', '0'),
};
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync('cargo', ['test', '--release', '--test', 'fuzz', '--', '--nocapture'], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
