// The README and docs/ stay true to the repository: every relative link resolves (a file, and
// a heading in it when the link names one), every `npm run` command they name exists, the
// README stays a user's guide (about 600 lines at most), and every measured figure they show is
// rendered from the bench's results by scripts/render-docs.mjs, none typed by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REGIONS, renderDocs, renderPage, sources } from '../../scripts/render-docs.mjs';

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
  assert.ok(lines <= 610, `README.md has ${lines} lines`);
});

test('every rendered region of the README and docs/ is what scripts/render-docs.mjs renders from the committed results', () => {
  const { stale, all } = renderDocs({ root, check: true });
  assert.ok(all.length >= Object.keys(REGIONS).length, `only ${all.length} rendered regions found`);
  assert.deepEqual(stale, [], 'edited by hand, or the results changed: run `node scripts/render-docs.mjs`');
});

test('every region the renderer offers is shown in the docs', () => {
  const shown = new Set(renderDocs({ root, check: true }).all.map((r) => r.split(': ')[1]));
  assert.deepEqual(Object.keys(REGIONS).filter((name) => !shown.has(name)), []);
});

test('a region edited by hand or misnamed is found', () => {
  const from = sources(root);
  const page = renderPage(text('docs/performance.md'), from).text; // current, whatever the committed page says
  const edited = page.replace(/(<!-- rendered: ratios -->[\s\S]*?\| )(\d[\d,]*)( \|)/, (_, before, n, after) => `${before}${n}1${after}`);
  assert.notEqual(edited, page);
  assert.deepEqual(renderPage(edited, from).regions.filter((r) => !r.current).map((r) => r.name), ['ratios']);
  assert.equal(renderPage(renderPage(edited, from).text, from).regions.every((r) => r.current), true);
  assert.throws(() => renderPage('<!-- rendered: no-such-region -->\n<!-- /rendered -->\n', from), /no region named no-such-region/);
  assert.throws(() => renderPage('<!-- rendered: ratios -->\nleft open\n', from), /not closed/);
});

/**
 * A measured figure as one would quote it by hand: a number with a unit of time, rate, size or
 * ratio (`12 µs`, `3.6 ms`, `1.5 s`, `about 10 minutes`, `50,158 ops/s`, `228.5 KB`, `864 bytes`,
 * `16–25 %`, `0.23×`), or a bare decimal (`0.778`: a ratio without its sign). Not a figure: a
 * number right after a comparison sign (`≥ 0.5×`, `≤ 400 KB`, `< 2×`: a target, a budget or a
 * limit, which are rules), and digits inside a word, a number or a version (`p50`, `wasm32`,
 * `1,000`, `v20.20.2`, `binaryen@132.0.0`). Counts (`2 round trips`, `20 tiers`) are not caught:
 * the pattern would catch every limit with them.
 */
const FIGURE = /(?<![≥≤<>]\s?)(?<![\p{L}\p{N}_.,@])(?:\d[\d,]*(?:\.\d+)?\s?(?:µs|ns|ms|s|seconds?|minutes?|hours?|ops\/s|KB|MB|GB|bytes|%|×|x)(?![\p{L}\p{N}])|\d+\.\d+(?!\.?\d))/gu;
/** In the README and the other docs, where limits in ms, s, KB and % are settings: a speed figure. */
const SPEED = /(?<![≥≤<>]\s?)(?<![\p{L}\p{N}_.,@])\d[\d,]*(?:\.\d+)?\s?(?:µs|ns|ops\/s|×|x)(?![\p{L}\p{N}])/gu;

/** The lines of `page` outside its rendered regions (fenced blocks included) that hold a figure. */
function handQuoted(page, pattern, pageText = text(page)) {
  const outside = pageText.replace(/^<!-- rendered: [\w-]+ -->\n[\s\S]*?^<!-- \/rendered -->$/gm, (region) => region.replace(/[^\n]/g, ''));
  return outside.split('\n').flatMap((line, i) => [...line.matchAll(pattern)].map((m) => `${page}:${i + 1}: ${m[0]}`));
}

/** The pages of measured figures: every number with a unit on them is rendered. */
const FIGURE_PAGES = ['docs/performance.md', 'docs/costs.md'];

test('docs/performance.md and docs/costs.md quote no measurement outside their rendered regions', () => {
  assert.deepEqual(FIGURE_PAGES.flatMap((p) => handQuoted(p, FIGURE)), []);
});

test('the README and the other docs quote no speed figure outside a rendered region', () => {
  assert.deepEqual(pages.filter((p) => !FIGURE_PAGES.includes(p)).flatMap((p) => handQuoted(p, SPEED)), []);
});

test('the figure pattern catches hand-quoted measurements and lets rules through', () => {
  const caught = (line) => handQuoted('x.md', FIGURE, line).length > 0;
  for (const quoted of ['about 11–20 µs', 'in 3.6 ms', '2.57 s', 'about 10 minutes', '50,158 ops/s', '228.5 KB gzip', '864 bytes', '16–25 % slower', '0.18–0.28×', 'came out at 0.778.', 'a ratio of 1.5x']) {
    assert.ok(caught(quoted), `not caught: ${quoted}`);
  }
  for (const rule of ['at `≥ 0.5×` the baseline', '`≤ 400 KB` gzip', 'stay `< 2×` that', 'Node v20.20.2', 'npm `binaryen@132.0.0`', '1,000, 100,000 and 1,000,000 accounts', 'p50 µs', 'wasm32', '1M accounts']) {
    assert.ok(!caught(rule), `caught: ${rule}`);
  }
  const region = '<!-- rendered: ratios -->\n| 0.337× |\n<!-- /rendered -->\n';
  assert.equal(caught(region), false, 'a figure inside a rendered region is not hand-quoted');
  assert.equal(caught(`${region}0.337× by hand\n`), true);
});

test('docs/storage.md states the attempt policy the table holds', async () => {
  const { operationTable } = await import('wix-loyalty-wasm');
  const { max, backoffAfter, backoffCapMs } = operationTable().attempts;
  const text = readFileSync(join(root, 'docs/storage.md'), 'utf8').replace(/\s+/g, ' ');
  const ordinal = ['first', 'second', 'third', 'fourth', 'fifth'][backoffAfter];
  for (const claim of [`from the ${ordinal} attempt`, `(at most ${backoffCapMs} ms each)`, `up to ${max} attempts`]) {
    assert.ok(text.includes(claim), `docs/storage.md says "${claim}"`);
  }
});

test('the table of operations is frozen all the way down', async () => {
  const { operationTable } = await import('wix-loyalty-wasm');
  const table = operationTable();
  assert.throws(() => { 'use strict'; table.attempts.max = 1; }, TypeError);
  assert.throws(() => { table.operations[0].name = 'x'; }, TypeError);
  assert.equal(Object.isFrozen(table.flags), true);
});
