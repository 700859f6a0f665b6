// node scripts/render-docs.mjs [--check]
//
// The docs quote no measurement by hand: every figure they show is rendered here from
// bench/results.json (written by `npm run bench`) and bench/opt-levels.json (written by
// `node bench/opt-levels.mjs`) into a marked region of README.md or docs/*.md:
//
//   <!-- rendered: ratios -->
//   (rendered text, first a line that names the run it comes from)
//   <!-- /rendered -->
//
// Without flags it rewrites every region in place. With --check it writes nothing, lists the
// regions whose text differs from what the results render, and exits 1 if there is one.
// `npm run bench` runs it after a full run; tests/js/docs.test.mjs checks the committed docs
// against the committed results.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The targets against the tight plain-JS baseline on the default store: issue 9's, redemption with the mutations. */
export const TARGETS = { createAccount: 0.5, earnPoints: 0.5, adjustPoints: 0.5, redeemPointsForCoupon: 0.5, getAccount: 0.3, queryPage: 0.3 };
const OPS = ['createAccount', 'earnPoints', 'adjustPoints', 'getAccount', 'queryPage', 'redeemPointsForCoupon'];

/** A region: `<!-- rendered: name -->`, its text, `<!-- /rendered -->`, each marker on a line of its own. */
const REGION = /^<!-- rendered: ([\w-]+) -->\n([\s\S]*?)^<!-- \/rendered -->$/gm;
const OPENING = /^<!-- rendered: ([\w-]+) -->$/gm;

// ------------------------------------------------------------------ numbers and tables

/** A whole number with thousands separated by commas (1234567 → 1,234,567). */
const int = (n) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
const fixed = (digits) => (n) => n.toFixed(digits);
const kb = (bytes) => (bytes / 1024).toFixed(1);
const ratio = (r, digits = 3) => `${r.toFixed(digits)}×`;
const code = (s) => `\`${s}\``;

/** A Markdown table: a header row and rows of cells (already text). */
function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** When a run was: "2026-11-28 19:53 UTC". */
const when = (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;

/** The line that opens every region rendered from bench/results.json: which run it quotes. */
function fromResults(results, what = '') {
  const run = results.mode === 'full' ? 'a full `npm run bench`' : `\`npm run bench -- --${results.mode}\``;
  return `*Rendered from \`bench/results.json\`: ${run} of ${when(results.date)}, Node ${results.node}${what ? `; ${what}` : ''}.*`;
}

/** The line that opens a region rendered from bench/opt-levels.json. */
function fromOptLevels(opt) {
  return `*Rendered from \`bench/opt-levels.json\`: \`node bench/opt-levels.mjs --ms ${opt.ms} --rounds ${opt.rounds}\` of ${when(opt.date)}, Node ${opt.node}.*`;
}

/** What a region says when the run it quotes did not measure its section (a --quick run skips some). */
const missing = (results, sections) =>
  `${fromResults(results)}\n\nThis run has no ${sections.map(code).join(', ')} in \`bench/results.json\` (a full run measures ${sections.length > 1 ? 'them' : 'it'}).`;

/** Whether the run measured every one of `sections`. */
const measured = (results, sections) => sections.every((s) => results.figures?.[s]);

/** `p50 / p99` of a measurement, in µs. */
const percentiles = (m) => `${int(m.p50us)} / ${int(m.p99us)}`;

/**
 * The rows of comparisons measured at several numbers of callers (`label(callers)` names the
 * section): per operation, each number of callers in turn.
 */
function compareRows(results, label, callersList, cells) {
  const rows = [];
  const byCallers = callersList.map((c) => [c, results.figures[label(c)]]);
  const ops = Object.keys(byCallers[0][1]);
  for (const op of ops) for (const [callers, section] of byCallers) if (section[op]) rows.push(cells(op, callers, section[op]));
  return rows;
}

/** A region over sections of engine-against-baseline rows (`engine`, `baseline`, `ratio`). */
function comparison(results, label, callersList, [engineName, baselineName], extra = null) {
  const sections = callersList.map(label);
  if (!measured(results, sections)) return missing(results, sections);
  const header = ['operation', 'callers', `${engineName} ops/s`, 'p50 / p99 µs', `${baselineName} ops/s`, 'p50 / p99 µs', 'ratio', ...(extra ? extra.header : [])];
  const rows = compareRows(results, label, callersList, (op, callers, r) => [
    code(op), String(callers), int(r.engine.opsPerSec), percentiles(r.engine), int(r.baseline.opsPerSec), percentiles(r.baseline), ratio(r.ratio), ...(extra ? extra.cells(op, r) : []),
  ]);
  return `${fromResults(results)}\n\n${table(header, rows)}${extra?.after ? `\n\n${extra.after(results)}` : ''}`;
}

/** A region over "the same engine with a feature and without" rows (`with<X>`, `without<X>`, `ratio`). */
function withAndWithout(results, section, feature, first = 'operation', rowName = (key) => code(key)) {
  const figures = results.figures?.[section];
  if (!figures) return missing(results, [section]);
  const rows = Object.entries(figures).map(([key, r]) => [
    rowName(key), `${int(r[`with${feature}`].opsPerSec)} (${int(r[`with${feature}`].p99us)})`, `${int(r[`without${feature}`].opsPerSec)} (${int(r[`without${feature}`].p99us)})`, ratio(r.ratio),
  ]);
  return `${fromResults(results)}\n\n${table([first, 'with: ops/s (p99 µs)', 'without: ops/s (p99 µs)', 'with ÷ without'], rows)}`;
}

// ------------------------------------------------------------------ the regions

/** Whether the release profile of Cargo.toml is the opt-levels profile `env` describes. */
function isReleaseProfile(env, cargoToml) {
  const release = cargoToml.match(/^\[profile\.release\]\n([\s\S]*?)(?=^\[|(?![\s\S]))/m)?.[1] ?? '';
  const level = release.match(/^opt-level\s*=\s*"?(\w+)"?/m)?.[1];
  const overflow = release.match(/^overflow-checks\s*=\s*(\w+)/m)?.[1] ?? 'false';
  return env.CARGO_PROFILE_RELEASE_OPT_LEVEL === level && env.CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS === overflow && !/inline-threshold/.test(env.RUSTFLAGS ?? '');
}

/**
 * Every region, by name: what it renders from `{ results, opt, cargoToml }` (the parsed
 * bench/results.json, the parsed bench/opt-levels.json and the text of Cargo.toml). Each returns
 * Markdown, its first line naming the run it quotes.
 */
export const REGIONS = {
  /** The default store against the tight baseline, 1 and 32 callers, with the targets of issue 9. */
  ratios: ({ results }) =>
    comparison(results, (c) => `memory, ${c} caller(s)`, [1, 32], ['engine', 'tight JS'], {
      header: ['target', 'met'],
      cells: (op, r) => (op in TARGETS ? [`≥ ${TARGETS[op]}×`, r.ratio >= TARGETS[op] ? 'yes' : 'no'] : ['', '']),
      after: () => {
        const rows = compareRows(results, (c) => `memory, ${c} caller(s)`, [1, 32], (op, callers, r) => ({ op, callers, met: op in TARGETS && r.ratio >= TARGETS[op] }));
        const met = rows.filter((r) => r.met);
        return `Targets met: ${met.length} of ${rows.length}${met.length ? ` (${met.map((r) => `${code(r.op)} at ${r.callers} caller${r.callers > 1 ? 's' : ''}`).join(', ')})` : ''}.`;
      },
    }),

  /** Plain JS over the storage contract (bench/plain.mjs on memoryStorage()) against the tight baseline. */
  plain: ({ results }) => comparison(results, (c) => `plain JS over memoryStorage(), ${c} caller(s)`, [1, 32], ['plain JS', 'tight JS']),

  /** Where an operation's time goes on the default store, 1 caller. */
  breakdown: ({ results }) => {
    const figures = results.figures?.['default store breakdown'];
    if (!figures) return missing(results, ['default store breakdown']);
    const us = fixed(1);
    const rows = Object.entries(figures).map(([op, r]) => [code(op), us(r.wholeUs), us(r.engineCallUs), us(r.wasmUs), us(r.jsFaceUs), us(r.answerUs), us(r.jsonParseUs)]);
    return `${fromResults(results, 'µs per operation, 1 caller')}\n\n${table(['operation', 'whole call', 'engine call', 'in wasm', 'JS face', 'answer built', 'of it JSON.parse'], rows)}`;
  },

  /** Redemption in every comparison that measures it. */
  redemption: ({ results }) => {
    const sources = [
      ...[1, 32].map((c) => [`memory, ${c} caller(s)`, `\`memoryStorage()\` ÷ tight JS, ${c} caller${c > 1 ? 's' : ''}`]),
      ...[1, 8, 32].map((c) => [`postgres, ${c} caller(s)`, `PostgreSQL ÷ \`pg\` by hand, ${c} caller${c > 1 ? 's' : ''}`]),
    ];
    const sections = [...sources.map(([s]) => s), 'storage calls per operation'];
    if (!measured(results, sections)) return missing(results, sections);
    const op = 'redeemPointsForCoupon';
    const rows = sources.map(([s, name]) => [name, int(results.figures[s][op].engine.opsPerSec), int(results.figures[s][op].baseline.opsPerSec), ratio(results.figures[s][op].ratio)]);
    const trips = results.figures['storage calls per operation'][op].roundTrips;
    return `${fromResults(results)}\n\n${table(['`redeemPointsForCoupon`', 'engine ops/s', 'baseline ops/s', 'ratio'], rows)}\n\nStorage round trips per redemption: ${trips}.`;
  },

  /** PostgreSQL on loopback against hand-written pg code, 1, 8 and 32 callers. */
  postgres: ({ results }) => comparison(results, (c) => `postgres, ${c} caller(s)`, [1, 8, 32], ['engine', 'pg by hand']),

  /** SQLite's commits in their own thread against on the calling thread. */
  sqlite: ({ results }) => {
    const sections = [1, 8].map((c) => `sqlite thread, ${c} caller(s)`);
    if (!measured(results, sections)) return missing(results, sections);
    const rows = compareRows(results, (c) => `sqlite thread, ${c} caller(s)`, [1, 8], (op, callers, r) => [
      code(op), String(callers), `${int(r.ownThread.opsPerSec)} (${int(r.ownThread.p99us)})`, `${int(r.callingThread.opsPerSec)} (${int(r.callingThread.p99us)})`, ratio(r.ratio),
    ]);
    return `${fromResults(results)}\n\n${table(['operation', 'callers', 'own thread: ops/s (p99 µs)', 'calling thread: ops/s (p99 µs)', 'own ÷ calling'], rows)}`;
  },

  /** What the events outbox costs a balance change on PostgreSQL. */
  'outbox-cost': ({ results }) => withAndWithout(results, 'outbox cost', 'Outbox', 'operation, callers', (key) => key.replace(/^(\w+), (\d+) caller\(s\)$/, (_, op, c) => `${code(op)}, ${c} caller${c > 1 ? 's' : ''}`)),

  /** What an ACTIVE ladder of 20 tiers costs a balance change. */
  'tiers-cost': ({ results }) => withAndWithout(results, 'tiers cost', 'Tiers'),

  /** What points expiration costs a balance change. */
  'expiration-cost': ({ results }) => withAndWithout(results, 'expiration cost', 'Expiration'),

  /** Storage calls per operation (the engine over memoryStorage(), counted). */
  'storage-calls': ({ results }) => {
    const figures = results.figures?.['storage calls per operation'];
    if (!figures) return missing(results, ['storage calls per operation']);
    const rows = Object.entries(figures).map(([op, c]) => [code(op), String(c.read), String(c.commit), String(c.scan), String(c.roundTrips)]);
    return `${fromResults(results)}\n\n${table(['operation', 'read', 'commit', 'scan', 'round trips'], rows)}`;
  },

  /** The official SDK's path through createWixFetch against the direct API. */
  sdk: ({ results }) => {
    const figures = results.figures?.['official SDK path'];
    if (!figures) return missing(results, ['official SDK path']);
    const rows = Object.entries(figures).map(([op, r]) => [
      code(op), `${int(r.direct.opsPerSec)} (${int(r.direct.p50us)})`, `${int(r.sdk.opsPerSec)} (${int(r.sdk.p50us)})`, ratio(r.ratio, 2), int(r.sdkOverReplay.p50us),
    ]);
    return `${fromResults(results, '1 caller')}\n\n${table(['operation', 'direct: ops/s (p50 µs)', 'SDK: ops/s (p50 µs)', 'SDK ÷ direct', 'SDK over a replayed answer: p50 µs'], rows)}`;
  },

  /** The boundary's design against the alternatives it rejected. */
  boundary: ({ results }) => {
    const b = results.figures?.boundary;
    if (!b) return missing(results, ['boundary']);
    const what = { options: 'a 10-field options object', query: 'a query with a filter' };
    const conversion = Object.entries(b.conversion).map(([k, c]) => [what[k] ?? k, int(c.walkerNs), int(c.serdeNs), ratio(c.serdeNs / c.walkerNs, 2)]);
    const exports = Object.entries(b.exports).map(([op, r]) => [code(op), `${int(r.syncSteps.opsPerSec)} (${int(r.syncSteps.p50us)})`, `${int(r.asyncExport.opsPerSec)} (${int(r.asyncExport.p50us)})`, ratio(r.ratio, 2)]);
    return [
      fromResults(results),
      table(['argument', 'walker ns', 'serde-wasm-bindgen ns', 'walker speed-up'], conversion),
      table(['operation', 'synchronous steps: ops/s (p50 µs)', 'one async export: ops/s (p50 µs)', 'async ÷ steps'], exports),
    ].join('\n\n');
  },

  /** The store of N accounts: adjustPoints, pages and getProgramTotals. */
  scaling: ({ results }) => {
    const s = results.figures?.scaling;
    if (!s) return missing(results, ['scaling']);
    const sizes = Object.keys(s).filter((k) => /^\d+$/.test(k));
    const rows = sizes.map((n) => {
      const r = s[n];
      return [int(Number(n)), int(r.adjustOpsPerSec), int(r.plainAdjustOpsPerSec), ratio(r.ratio, 2), int(r.listAccountsPageP50us), int(r.queryPageP50us), fixed(1)(r.programTotalsMs), fixed(1)(r.fillSeconds)];
    });
    const header = ['accounts', '`adjustPoints` ops/s', 'plain JS ops/s', 'ratio', '`listAccounts` page p50 µs', 'query page p50 µs', '`getProgramTotals` ms', 'fill s'];
    return `${fromResults(results)}\n\n${table(header, rows)}\n\n\`adjustPoints\` at ${int(Number(sizes[sizes.length - 1]))} accounts ÷ at ${int(Number(sizes[0]))}: ${ratio(s.adjustRatioLargestToSmallest, 2)}.`;
  },

  /** runScheduledWork over N accounts, 1 % of them due. */
  'scheduled-work': ({ results }) => {
    const s = results.figures?.scheduledWork;
    if (!s) return missing(results, ['scheduledWork']);
    const sizes = Object.keys(s).filter((k) => /^\d+$/.test(k));
    const rows = sizes.map((n) => [int(Number(n)), int(s[n].due), fixed(1)(s[n].runMs), fixed(1)(s[n].perDueAccountUs), ratio(s[n].perDueAccountOverAdjust, 2)]);
    return `${fromResults(results)}\n\n${table(['accounts', 'due', 'run ms', 'µs per due account', 'per due account ÷ one `adjustPoints`'], rows)}\n\nPer due account (÷ one \`adjustPoints\`), the largest store ÷ the smallest: ${ratio(s.perDueAccountLargestOverSmallest, 2)}.`;
  },

  /** How the release profile trades size for speed (bench/opt-levels.json). */
  'opt-levels': ({ opt, cargoToml }) => {
    const profiles = Object.entries(opt.profiles);
    const ops = OPS.filter((op) => profiles.some(([, p]) => p.rows[op]));
    const chosen = profiles.find(([, p]) => isReleaseProfile(p.env, cargoToml))?.[0];
    const name = (n) => (n === chosen ? `**${n}** (the release profile)` : n);
    const rows = profiles.map(([n, p]) => [name(n), fixed(1)(p.gzipKb), p.env.CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS === 'true' ? 'on' : 'off', ...ops.map((op) => (p.rows[op] ? p.rows[op].ratio.toFixed(3) : ''))]);
    const lines = [fromOptLevels(opt), table(['profile', 'gzip KB', 'overflow checks', ...ops.map(code)], rows)];
    // How far apart rounds of one build came: what a difference must exceed to count.
    const spreads = profiles.flatMap(([, p]) => Object.values(p.rows).filter((r) => r.ratios?.length > 1).map((r) => (Math.max(...r.ratios) - Math.min(...r.ratios)) / r.ratio));
    if (spreads.length) lines.push(`Ratios are the engine on its default store ÷ the tight baseline, 1 caller, the median of ${opt.rounds} rounds; rounds of one build differed by up to ${Math.round(100 * Math.max(...spreads))} % of their median.`);
    // What overflow checks cost: each profile without them against the same profile with them.
    for (const [n, p] of profiles.filter(([, p]) => p.env.CARGO_PROFILE_RELEASE_OVERFLOW_CHECKS === 'false')) {
      const same = profiles.find(([, q]) => q !== p && q.env.CARGO_PROFILE_RELEASE_OPT_LEVEL === p.env.CARGO_PROFILE_RELEASE_OPT_LEVEL && q.env.RUSTFLAGS === p.env.RUSTFLAGS);
      if (same) lines.push(`Overflow checks add ${fixed(1)(same[1].gzipKb - p.gzipKb)} KB gzip (${same[0]} against ${n}).`);
    }
    if (chosen) {
      const c = opt.profiles[chosen];
      const smaller = profiles.filter(([n, p]) => n !== chosen && p.gzipKb < c.gzipKb);
      const against = smaller.map(([n, p]) => `- against ${n}: ahead in ${ops.filter((op) => c.rows[op]?.ratio > p.rows[op]?.ratio).length} of ${ops.length} operations, for ${fixed(1)(c.gzipKb - p.gzipKb)} KB gzip more`);
      if (against.length) lines.push(`The release profile (${chosen}) against each smaller one:\n\n${against.join('\n')}`);
    }
    return lines.join('\n\n');
  },

  /** The module's size, and what each module adds. */
  'module-size': ({ results }) => {
    const size = results.figures?.wasmSize;
    if (!size) return missing(results, ['wasmSize']);
    const lines = [fromResults(results), `The package's \`.wasm\`: ${kb(size.rawBytes)} KB raw, ${kb(size.gzipBytes)} KB gzip.`];
    const m = results.figures.moduleSizes;
    if (m) {
      lines.push(table(['built with', 'gzip KB'], [
        ['neither rewards, coupons nor tiers', kb(m.withoutRewardsAndCouponsGzipBytes)],
        ['rewards add', kb(m.rewardsAddGzipBytes)],
        ['coupons (redemption, refunds) add', kb(m.couponsAddGzipBytes)],
        ['tiers add', kb(m.tiersAddGzipBytes)],
      ]));
    } else lines.push('This run has no `moduleSizes` (a full run measures what each module adds).');
    return lines.join('\n\n');
  },

  /** Memory per account on the default store. */
  memory: ({ results }) => {
    const m = results.figures?.memoryPerAccount;
    if (!m) return missing(results, ['memoryPerAccount']);
    return `${fromResults(results)}\n\nAt ${int(m.accounts)} accounts on \`memoryStorage()\`: ${int(m.wasmBytes)} bytes of wasm memory and ${int(m.jsHeapBytes)} bytes of JS heap per account; the wasm memory is ${fixed(1)(m.wasmMemoryBytes / 2 ** 20)} MB in all.`;
  },

  /** A fresh process: import and the first call. */
  'cold-start': ({ results }) => {
    const c = results.figures?.coldStart;
    if (!c) return missing(results, ['coldStart']);
    return `${fromResults(results)}\n\n\`node -e 0\` takes ${int(c.nodeBareMs)} ms; importing the package and making a first call, ${int(c.importToFirstCallMs)} ms: the engine adds ${int(c.engineMs)} ms.`;
  },

  /** The budgets the run checked. */
  budgets: ({ results }) => {
    if (!results.budgets) return missing(results, ['budgets']);
    const rows = results.budgets.map((b) => [b.name, String(b.value), b.limit, b.ok ? 'ok' : '**FAIL**']);
    const failed = results.budgets.filter((b) => !b.ok).length;
    const lines = [fromResults(results), table(['budget', 'value', 'limit', 'ok'], rows), `${results.budgets.length - failed} passed, ${failed} failed.`];
    // The ratio budget with the least room: value ÷ limit, the smallest.
    const room = results.budgets.filter((b) => /^≥ /.test(b.limit)).map((b) => ({ b, room: b.value / Number(b.limit.slice(2)) }));
    const closest = room.sort((x, y) => x.room - y.room)[0];
    if (closest) lines.push(`Closest to its limit: ${closest.b.name} (${closest.b.value}, ${closest.b.limit}).`);
    return lines.join('\n\n');
  },
};

// ------------------------------------------------------------------ the pages

/** The pages that may hold regions: the README and docs/*.md, relative to the repository. */
export const pages = (root = ROOT) => ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];

/** What the regions render from: the committed (or just written) results, and Cargo.toml. */
export function sources(root = ROOT, { results } = {}) {
  const json = (path) => JSON.parse(readFileSync(join(root, path), 'utf8'));
  return { results: results ?? json('bench/results.json'), opt: json('bench/opt-levels.json'), cargoToml: readFileSync(join(root, 'Cargo.toml'), 'utf8') };
}

/** The text of region `name`, between its markers (a blank line either side, for Markdown). */
export function renderRegion(name, from) {
  if (!Object.hasOwn(REGIONS, name)) throw new Error(`no region named ${name} (known: ${Object.keys(REGIONS).join(', ')})`);
  return `\n${REGIONS[name](from)}\n\n`;
}

/**
 * A page with every region rendered afresh. `regions` lists each region of the page with whether
 * its text was already what the results render. Throws on an unknown region name or a marker
 * left unclosed, so a typo cannot leave hand-written text where a region was meant.
 */
export function renderPage(text, from) {
  const opened = [...text.matchAll(OPENING)].length;
  const regions = [];
  const rendered = text.replace(REGION, (_, name, inner) => {
    const fresh = renderRegion(name, from);
    regions.push({ name, current: inner === fresh });
    return `<!-- rendered: ${name} -->\n${fresh}<!-- /rendered -->`;
  });
  if (regions.length !== opened) throw new Error(`${opened - regions.length} region(s) opened but not closed by <!-- /rendered -->`);
  return { text: rendered, regions };
}

/**
 * Renders every region of every page. With `check`, writes nothing. Answers the regions that were
 * stale ("docs/performance.md: ratios"), and in all the regions found.
 */
export function renderDocs({ root = ROOT, check = false, results } = {}) {
  const from = sources(root, { results });
  const stale = [];
  const all = [];
  for (const page of pages(root)) {
    const path = join(root, page);
    const text = readFileSync(path, 'utf8');
    let out;
    try {
      out = renderPage(text, from);
    } catch (e) {
      throw new Error(`${page}: ${e.message}`);
    }
    for (const r of out.regions) {
      all.push(`${page}: ${r.name}`);
      if (!r.current) stale.push(`${page}: ${r.name}`);
    }
    if (!check && out.text !== text) writeFileSync(path, out.text);
  }
  return { stale, all };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  const { stale, all } = renderDocs({ check });
  if (check) {
    for (const r of stale) console.log(`differs from what the results render: ${r}`);
    console.log(`${all.length - stale.length} of ${all.length} rendered regions current`);
    if (stale.length) process.exitCode = 1;
  } else {
    for (const r of stale) console.log(`rendered ${r}`);
    console.log(`${all.length} rendered regions, ${stale.length} rewritten`);
  }
}
