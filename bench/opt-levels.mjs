// node bench/opt-levels.mjs [--ms 1500] [--rounds 1] [--only name,name]
// How the release profile trades size for speed: builds the package once per profile into
// .tools/opt/<profile>/ (each with a target folder of its own), then measures each build in a
// process of its own (bench/opt-measure.mjs: the default store's operations against the tight
// baseline, 1 caller, in turns). Prints a table of gzip size and ratios, writes
// bench/opt-levels.json, and renders the size table of docs/performance.md from it
// (scripts/render-docs.mjs; not after a run of some profiles only, with --only).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { numberArg } from '../scripts/args.mjs';
import { renderDocs } from '../scripts/render-docs.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const ms = Number(numberArg(argv, '--ms', 1500));
const rounds = Number(numberArg(argv, '--rounds', 1));
const onlyAt = argv.indexOf('--only');
const only = onlyAt < 0 ? null : new Set(argv[onlyAt + 1].split(','));

/**
 * The profiles: Cargo's release profile with these overrides (environment, as Cargo reads it).
 * RUSTFLAGS sets the LLVM inlining threshold of the profiles that have one
 * (the release profile has none since this measurement).
 */
const flags = (inline) => ({ RUSTFLAGS: inline ? `-C llvm-args=-inline-threshold=${inline}` : '-C debuginfo=0' });
const profile = (level, overflow, inline) => ({ CARGO_PROFILE_RELEASE_OPT_LEVEL: level, CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS: String(overflow), ...flags(inline) });
const PROFILES = {
  'opt z, inline 15, no overflow checks': profile('z', false, 15),
  'opt z, inline 15': profile('z', true, 15),
  'opt z': profile('z', true),
  'opt s': profile('s', true),
  'opt 2': profile('2', true),
  'opt 3': profile('3', true),
};

const results = { date: new Date().toISOString(), node: process.version, ms, rounds, profiles: {} };
for (const [name, env] of Object.entries(PROFILES)) {
  if (only && !only.has(name)) continue;
  const slug = name.replace(/[^a-z0-9]+/gi, '-');
  const out = join(root, '.tools', 'opt', slug);
  mkdirSync(out, { recursive: true });
  process.stdout.write(`building ${name} … `);
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env, CARGO_TARGET_DIR: join(out, 'target'), WIX_LOYALTY_PKG_OUT: join(out, 'pkg') },
  });
  const wasmDir = join(out, 'pkg', 'wasm');
  const wasm = readFileSync(join(wasmDir, readdirSync(wasmDir).find((f) => f.endsWith('.wasm'))));
  const gzipKb = +(gzipSync(wasm, { level: 9 }).length / 1024).toFixed(1);
  process.stdout.write(`${gzipKb} KB gzip; measuring … `);
  // Each round in a process of its own; per operation the median round's ratio counts.
  const runs = Array.from({ length: rounds }, () => JSON.parse(execFileSync(process.execPath, ['--expose-gc', join(root, 'bench', 'opt-measure.mjs'), join(out, 'pkg'), String(ms)], { cwd: root, encoding: 'utf8' })));
  const rows = {};
  for (const op of Object.keys(runs[0])) {
    const sorted = runs.map((r) => r[op]).sort((a, b) => a.ratio - b.ratio);
    rows[op] = { ...sorted[Math.floor(sorted.length / 2)], ratios: runs.map((r) => r[op].ratio) };
  }
  results.profiles[name] = { env, gzipKb, rows };
  console.log(Object.entries(rows).map(([op, r]) => `${op} ${r.ratio}`).join(', '));
}

const ops = Object.keys(Object.values(results.profiles)[0]?.rows ?? {});
console.log(`\n${'profile'.padEnd(38)} ${'gzip KB'.padStart(8)} ${ops.map((o) => o.slice(0, 12).padStart(13)).join('')}`);
for (const [name, p] of Object.entries(results.profiles)) {
  console.log(`${name.padEnd(38)} ${String(p.gzipKb).padStart(8)} ${ops.map((o) => String(p.rows[o].ratio).padStart(13)).join('')}`);
}
console.log('(ratios: the engine on its default store ÷ the tight plain-JS baseline, 1 caller, measured in turns)');
writeFileSync(join(root, 'bench', 'opt-levels.json'), `${JSON.stringify(results, null, 2)}\n`);
if (!only) console.log(`docs: ${renderDocs().stale.join('; ') || 'no rendered region changed'}`);
