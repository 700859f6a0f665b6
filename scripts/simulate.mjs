// npm run simulate -- [--seeds N] [--start S] [--seed S]
// Runs the deterministic fault simulation (tests/simulation.rs) over many seeds, in release mode.
//   --seeds N   how many seeds (default 1000), starting at --start (default 1)
//   --seed S    one seed, with a trace of every operation (to reproduce a failure)
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { numberArg } from './args.mjs';

const args = process.argv.slice(2);
const value = (name, fallback) => numberArg(args, name, fallback);
const env = { ...process.env };
const seed = value('--seed');
if (seed !== undefined) env.SIM_SEED = seed;
else {
  env.SIM_SEEDS = value('--seeds') ?? '1000';
  env.SIM_SEED_START = value('--start') ?? '1';
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const r = spawnSync('cargo', ['test', '--release', '--test', 'simulation', '--', '--nocapture'], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
