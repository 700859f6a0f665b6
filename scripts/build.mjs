// Builds the npm package into pkg/:
//   cargo (release, wasm32) → wasm-bindgen --target web → pkg/wasm/
//   js/*.js (browser ESM) → pkg/;   esbuild → pkg/node/index.cjs (+ index.mjs wrapper)
//   package.json with one exports map, type declarations, README.
// `--if-stale` skips the build when pkg/ is newer than every source file.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// WIX_LOYALTY_PKG_OUT builds elsewhere (bench/opt-levels.mjs builds one package per profile).
const pkg = process.env.WIX_LOYALTY_PKG_OUT ? resolve(process.env.WIX_LOYALTY_PKG_OUT) : join(root, 'pkg');
const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, 'target');
const name = 'wix_loyalty_wasm';
const wasmFile = join(pkg, 'wasm', `${name}_bg.wasm`);

function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((f) => newest(join(path, f))));
}

const sources = ['src', 'js', 'Cargo.toml', 'Cargo.lock', 'scripts/build.mjs', 'README.md'].map((p) => join(root, p)).filter(existsSync);
if (process.argv.includes('--if-stale') && existsSync(join(pkg, 'package.json')) && newest(pkg) > Math.max(...sources.map(newest))) {
  console.log('pkg/ is up to date');
  process.exit(0);
}

function run(cmd, args) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, PATH: `${process.env.HOME}/.cargo/bin:${process.env.PATH}` } });
}

const cargo = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--no-deps'], { cwd: root }).toString());
const version = cargo.packages[0].version;
const lock = readFileSync(join(root, 'Cargo.lock'), 'utf8');
const bindgenVersion = /name = "wasm-bindgen"\nversion = "([^"]+)"/.exec(lock)?.[1];

run('cargo', ['build', '--lib', '--release', '--target', 'wasm32-unknown-unknown']);
rmSync(pkg, { recursive: true, force: true });
mkdirSync(join(pkg, 'node'), { recursive: true });
run('wasm-bindgen', [
  join(target, 'wasm32-unknown-unknown', 'release', `${name}.wasm`),
  '--target', 'web', '--out-dir', join(pkg, 'wasm'), '--out-name', name,
  // WIX_LOYALTY_NAMES=1 keeps function names, for CPU profiles (a larger .wasm).
  ...(process.env.WIX_LOYALTY_NAMES === '1' ? [] : ['--remove-name-section']), '--remove-producers-section',
  // __wbg_reset_state(): after a trap the JS face re-instantiates the module (js/instance.js).
  '--experimental-reset-state-function',
]);
if (!execFileSync('wasm-bindgen', ['--version']).toString().includes(bindgenVersion)) {
  throw new Error(`wasm-bindgen CLI must be ${bindgenVersion} (Cargo.lock); run scripts/setup.sh`);
}

const browserFiles = [
  'index.js', 'api.js', 'engine.js', 'runner.js', 'instance.js', 'errors.js', 'memory-storage.js', 'query.js', 'conformance.js',
  'step.js', 'shapes.js', 'modules.js', 'legacy.js', 'events.js', 'outbox.js', 'tokens.js', 'rest.js', 'text.js', 'gate.js',
];
for (const f of [...browserFiles, 'node-entry.js', 'server.js', 'cli.mjs', 'contacts-file.js']) cpSync(join(root, 'js', f), join(pkg, f));
// The Velo loader (node --import wix-loyalty-wasm/velo): ESM over the Node entry.
cpSync(join(root, 'js', 'velo'), join(pkg, 'velo'), { recursive: true });
for (const f of ['index.d.ts', 'conformance.d.ts']) cpSync(join(root, 'js', f), join(pkg, f));
mkdirSync(join(pkg, 'storage'));
const adapters = ['sqlite', 'postgres', 'indexeddb'];
for (const f of ['prefix.js', 'spec.js', ...adapters.map((a) => `${a}.js`), ...adapters.map((a) => `${a}.d.ts`)]) {
  cpSync(join(root, 'js', 'storage', f), join(pkg, 'storage', f));
}

// The table of operations (src/core/operations.rs) as a module of its own: the JS face builds its
// modules and REST routes from it, before the wasm module is instantiated.
writeFileSync(join(pkg, 'table.js'), execFileSync('cargo', ['run', '--quiet', '--example', 'table'], { cwd: root }));

const esbuild = join(root, 'node_modules', '.bin', 'esbuild');
const common = ['--bundle', '--format=cjs', '--platform=node', '--target=node20', '--log-level=error', '--log-override:empty-import-meta=silent'];
run(esbuild, [join(pkg, 'node-entry.js'), `--outfile=${join(pkg, 'node', 'index.cjs')}`, ...common]);
run(esbuild, [join(pkg, 'conformance.js'), `--outfile=${join(pkg, 'node', 'conformance.cjs')}`, ...common]);
for (const a of ['sqlite', 'postgres']) {
  run(esbuild, [join(pkg, 'storage', `${a}.js`), `--outfile=${join(pkg, 'node', 'storage', `${a}.cjs`)}`, '--external:better-sqlite3', '--external:pg', ...common]);
}
rmSync(join(pkg, 'node-entry.js'));
rmSync(join(pkg, 'server.js')); // bundled into node/index.cjs

// ESM callers in Node share the CJS instance (one default backend, one LoyaltyError class): the
// wrapper re-exports every name the CJS bundle exports.
const named = Object.keys(createRequire(import.meta.url)(join(pkg, 'node', 'index.cjs'))).filter((n) => n !== 'default' && n !== '__esModule');
writeFileSync(join(pkg, 'node', 'index.mjs'),
  `import cjs from './index.cjs';\nexport const { ${named.join(', ')} } = cjs;\nexport default cjs.default;\n`);

const manifest = {
  name: 'wix-loyalty-wasm',
  version,
  description: cargo.packages[0].description,
  license: cargo.packages[0].license,
  type: 'module',
  main: './node/index.cjs',
  module: './index.js',
  browser: './index.js',
  types: './index.d.ts',
  exports: {
    '.': {
      types: './index.d.ts',
      browser: './index.js',
      node: { import: './node/index.mjs', require: './node/index.cjs' },
      default: './index.js',
    },
    './conformance': {
      types: './conformance.d.ts',
      require: './node/conformance.cjs',
      default: './conformance.js',
    },
    './storage/sqlite': {
      types: './storage/sqlite.d.ts',
      node: { import: './storage/sqlite.js', require: './node/storage/sqlite.cjs' },
    },
    './storage/postgres': {
      types: './storage/postgres.d.ts',
      node: { import: './storage/postgres.js', require: './node/storage/postgres.cjs' },
    },
    './storage/indexeddb': {
      types: './storage/indexeddb.d.ts',
      default: './storage/indexeddb.js',
    },
    './velo': { node: './velo/register.mjs' },
    './velo/backend': { types: './velo/backend.d.ts', node: './velo/backend.mjs' },
    './package.json': './package.json',
  },
  bin: { 'wix-loyalty-wasm': './cli.mjs' },
  peerDependencies: { 'better-sqlite3': '^12', pg: '^8' },
  peerDependenciesMeta: { 'better-sqlite3': { optional: true }, pg: { optional: true } },
  files: ['*.js', '*.mjs', '*.d.ts', 'node/', 'wasm/', 'storage/', 'velo/', 'README.md'],
  sideEffects: ['./index.js', './node/index.cjs', './node/index.mjs'],
  engines: { node: '>=20' },
  keywords: ['wix', 'loyalty', 'points', 'ledger', 'wasm'],
};
writeFileSync(join(pkg, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
if (existsSync(join(root, 'README.md'))) cpSync(join(root, 'README.md'), join(pkg, 'README.md'));

const wasm = readFileSync(wasmFile);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
/** The module's budget (gzip), which the bench checks too. */
const BUDGET_KB = 400;
console.log(`wasm size: ${kb(wasm.length)} raw, ${kb(gzipSync(wasm, { level: 9 }).length)} gzip of a ${BUDGET_KB} KB budget (${relative(root, wasmFile)})`);
