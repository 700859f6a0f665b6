// The README and docs/ stay true to the repository: every relative link resolves (a file, and
// a heading in it when the link names one), every `npm run` command they name exists, and the
// README stays a user's guide (about 600 lines at most).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (page) => readFileSync(join(root, page), 'utf8');
/** Markdown without its fenced code blocks (links and commands in them are examples). */
const prose = (page) => text(page).replace(/^```[\s\S]*?^```/gm, '');

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchor = (heading) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
const anchorsOf = (page) => new Set([...text(page).replace(/^```[\s\S]*?^```/gm, '').matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1])));

test('every relative link in the README and docs/ resolves, to a heading where it names one', () => {
  const broken = [];
  let checked = 0;
  for (const page of pages) {
    for (const [, target] of prose(page).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue;
      const [path, hash] = target.split('#');
      const file = path ? join(dirname(join(root, page)), path) : join(root, page);
      checked++;
      if (!existsSync(file)) broken.push(`${page}: ${target} (no such file)`);
      else if (hash && file.endsWith('.md') && !anchorsOf(relative(root, file)).has(hash)) broken.push(`${page}: ${target} (no such heading)`);
    }
  }
  assert.ok(checked > 20, `only ${checked} links found: the pattern no longer matches`);
  assert.deepEqual(broken, []);
});

test('every `npm run` command the README and docs/ name exists', () => {
  const scripts = JSON.parse(text('package.json')).scripts;
  const named = new Set();
  for (const page of pages) for (const [, name] of text(page).matchAll(/npm run ([a-z][\w:-]*)/g)) named.add(name);
  assert.ok(named.size >= 3, `only ${[...named]} found`);
  assert.deepEqual([...named].filter((n) => !(n in scripts)), []);
});

test('the README is a guide for users: about 600 lines at most', () => {
  const lines = text('README.md').split('\n').length;
  assert.ok(lines <= 650, `README.md has ${lines} lines`);
});
