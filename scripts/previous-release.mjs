// node scripts/previous-release.mjs <commit>
//
// Builds the npm package as it was at <commit> (a git worktree, that commit's own build script)
// and packs it into tests/upgrade/previous/, replacing what is there. The upgrade suite
// (tests/upgrade/) writes stores with that package and opens them with the current one. Run it
// when a release lands, with the commit of the release before it; commit the tarball.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const commit = process.argv[2];
if (!commit) {
  console.error('usage: node scripts/previous-release.mjs <commit>');
  process.exit(2);
}
const sha = execFileSync('git', ['rev-parse', '--verify', `${commit}^{commit}`], { cwd: root, encoding: 'utf8' }).trim();
const date = execFileSync('git', ['show', '-s', '--format=%cI', sha], { cwd: root, encoding: 'utf8' }).trim();
const work = mkdtempSync(join(tmpdir(), 'wix-loyalty-previous-'));
const tree = join(work, 'tree');
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });
try {
  console.log(`building the package of ${sha.slice(0, 12)} (${date})`);
  run('git', ['worktree', 'add', '--detach', tree, sha], root);
  // That commit's own dev packages, installed from its lock file.
  run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], tree);
  run('node', ['scripts/build.mjs'], tree);
  const out = join(root, 'tests', 'upgrade', 'previous');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  run('npm', ['pack', join(tree, 'pkg'), '--pack-destination', out, '--silent'], root);
  const [tarball] = readdirSync(out).filter((f) => f.endsWith('.tgz'));
  writeFileSync(join(out, 'release.json'), `${JSON.stringify({ commit: sha, date, tarball }, null, 2)}\n`);
  console.log(`wrote tests/upgrade/previous/${tarball}`);
} finally {
  if (existsSync(tree)) execFileSync('git', ['worktree', 'remove', '--force', tree], { cwd: root });
  rmSync(work, { recursive: true, force: true });
}
