// The storage conformance kit: the storage contract as executable checks. Every adapter
// (memoryStorage, SQLite, PostgreSQL, IndexedDB, yours) must pass all of them.
//
//   import { runStorageConformance } from 'wix-loyalty-wasm/conformance';
//   import { test } from 'node:test';
//   runStorageConformance(() => myStorage(), { test });      // one node:test test per check
//   const report = await runStorageConformance(() => myStorage());   // or run them directly
//
// The factory is called once per check and must return (or resolve to) an EMPTY storage.

class ConformanceError extends Error {
  get name() { return 'ConformanceError'; }
}

function fail(message) {
  throw new ConformanceError(message);
}

function show(v) {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}

function equal(actual, expected, what) {
  if (show(actual) !== show(expected)) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

function isMissing(entry) {
  return entry === null || entry === undefined;
}

async function put(storage, key, value) {
  const [current] = await storage.read([key]);
  const outcome = await storage.commit([{ key, value, version: isMissing(current) ? 0 : current.version }]);
  if (!outcome || outcome.ok !== true) fail(`could not write ${key}: ${show(outcome)}`);
}

async function readOne(storage, key) {
  const answer = await storage.read([key]);
  if (!Array.isArray(answer) || answer.length !== 1) fail(`read([${show(key)}]) must resolve to an array of 1 entry, got ${show(answer)}`);
  return answer[0];
}

function scanKeys(rows) {
  if (!Array.isArray(rows)) fail(`scan must resolve to an array, got ${show(rows)}`);
  return rows.map((r) => r.key);
}

/** The checks, in order. Each receives a fresh, empty storage. */
export const storageConformanceTests = Object.freeze([
  {
    name: 'read: missing keys answer null (or undefined), one entry per key, in order',
    async run(s) {
      const answer = await s.read(['a', 'b/c', 'zz']);
      if (!Array.isArray(answer) || answer.length !== 3) fail(`expected 3 entries, got ${show(answer)}`);
      answer.forEach((e, i) => isMissing(e) || fail(`entry ${i} of a missing key is ${show(e)}`));
      equal(await s.read([]), [], 'read([])');
    },
  },
  {
    name: 'commit: version 0 creates a key at version 1, and read returns it',
    async run(s) {
      equal(await s.commit([{ key: 'k', value: '{"n":1}', version: 0 }]), { ok: true }, 'commit');
      const e = await readOne(s, 'k');
      equal({ value: e?.value, version: e?.version }, { value: '{"n":1}', version: 1 }, 'read after create');
    },
  },
  {
    name: 'commit: the current version updates the value and adds one to the version',
    async run(s) {
      await s.commit([{ key: 'k', value: '1', version: 0 }]);
      equal(await s.commit([{ key: 'k', value: '2', version: 1 }]), { ok: true }, 'update');
      equal(await s.commit([{ key: 'k', value: '3', version: 2 }]), { ok: true }, 'second update');
      const e = await readOne(s, 'k');
      equal({ value: e?.value, version: e?.version }, { value: '3', version: 3 }, 'read after updates');
    },
  },
  {
    name: 'commit: a stale version or version 0 on an existing key conflicts, naming the key, and changes nothing',
    async run(s) {
      await s.commit([{ key: 'k', value: 'v1', version: 0 }]);
      await s.commit([{ key: 'k', value: 'v2', version: 1 }]);
      equal(await s.commit([{ key: 'k', value: 'stale', version: 1 }]), { ok: false, conflict: 'k' }, 'stale version');
      equal(await s.commit([{ key: 'k', value: 'create', version: 0 }]), { ok: false, conflict: 'k' }, 'create over existing');
      equal(await s.commit([{ key: 'new', value: 'x', version: 5 }]), { ok: false, conflict: 'new' }, 'version on a missing key');
      const e = await readOne(s, 'k');
      equal({ value: e?.value, version: e?.version }, { value: 'v2', version: 2 }, 'value after conflicts');
      equal(await readOne(s, 'new') ?? null, null, 'missing key after a conflicting create');
    },
  },
  {
    name: 'commit: many writes are atomic: one failed expectation applies none of them',
    async run(s) {
      await s.commit([{ key: 'a', value: 'a1', version: 0 }, { key: 'b', value: 'b1', version: 0 }]);
      const outcome = await s.commit([
        { key: 'a', value: 'a2', version: 1 },
        { key: 'c', value: 'c1', version: 0 },
        { key: 'b', value: 'b2', version: 7 },
      ]);
      equal(outcome, { ok: false, conflict: 'b' }, 'conflicting batch');
      const [a, b, c] = await s.read(['a', 'b', 'c']);
      equal([a?.value, a?.version, b?.value, b?.version, c ?? null], ['a1', 1, 'b1', 1, null], 'state after the failed batch');
      equal(await s.commit([
        { key: 'a', value: 'a2', version: 1 },
        { key: 'c', value: 'c1', version: 0 },
        { key: 'b', value: 'b2', version: 1 },
      ]), { ok: true }, 'valid batch');
      const after = await s.read(['a', 'b', 'c']);
      equal(after.map((e) => [e?.value, e?.version]), [['a2', 2], ['b2', 2], ['c1', 1]], 'state after the valid batch');
    },
  },
  {
    name: 'commit: an entry without a value is a check: the key must be at that version, and nothing is written',
    async run(s) {
      await s.commit([{ key: 'p', value: 'P1', version: 0 }]);
      equal(await s.commit([{ key: 'p', value: null, version: 1 }, { key: 'n', value: 'N', version: 0 }]), { ok: true }, 'a passing check');
      const [p, n] = await s.read(['p', 'n']);
      equal([p?.value, p?.version, n?.value, n?.version], ['P1', 1, 'N', 1], 'the checked key is unchanged, the write applied');
      equal(await s.commit([{ key: 'm', value: 'M', version: 0 }, { key: 'p', value: null, version: 2 }]), { ok: false, conflict: 'p' }, 'a stale check');
      equal((await readOne(s, 'm')) ?? null, null, 'nothing of a batch with a failed check is applied');
      equal(await s.commit([{ key: 'absent', value: null, version: 0 }]), { ok: true }, 'a check that a key is absent');
      equal((await readOne(s, 'absent')) ?? null, null, 'a check creates nothing');
      equal(await s.commit([{ key: 'p', value: null, version: 0 }]), { ok: false, conflict: 'p' }, 'an absence check on an existing key');
    },
  },
  {
    name: 'commit: an empty batch succeeds',
    async run(s) {
      equal(await s.commit([]), { ok: true }, 'empty commit');
    },
  },
  {
    name: 'read: many keys in one call, in the order asked, repeats included',
    async run(s) {
      await s.commit([{ key: 'x', value: 'X', version: 0 }, { key: 'y', value: 'Y', version: 0 }]);
      const answer = await s.read(['y', 'missing', 'x', 'y']);
      equal(answer.map((e) => (isMissing(e) ? null : e.value)), ['Y', null, 'X', 'Y'], 'values');
    },
  },
  {
    name: 'values and keys round-trip exactly (quotes, unicode, 1 MB values, odd key characters)',
    async run(s) {
      const values = {
        'q': '{"text":"she said \\"hi\\" \\\\ \\n"}',
        'u': '{"name":"Zoë 🎉 日本語 \\u0000"}',
        'big': JSON.stringify({ blob: 'x'.repeat(1 << 20) }),
        "odd/key with space/'quote'/%_/ünï": '"odd"',
      };
      for (const [key, value] of Object.entries(values)) await put(s, key, value);
      for (const [key, value] of Object.entries(values)) {
        const e = await readOne(s, key);
        if (e?.value !== value) fail(`value of ${show(key)} changed on the round trip (${e?.value?.length} vs ${value.length} characters)`);
      }
    },
  },
  {
    name: 'scan: keys under the prefix only, in ascending order, with key, value and version',
    async run(s) {
      for (const k of ['p/b', 'p', 'p/a', 'p0', 'o/z', 'p/c/d', 'q/a', 'p/']) await put(s, k, `"${k}"`);
      await put(s, 'p/a', '"p/a again"');
      const rows = await s.scan({ prefix: 'p/', limit: 100 });
      equal(scanKeys(rows), ['p/', 'p/a', 'p/b', 'p/c/d'], 'keys');
      const a = rows.find((r) => r.key === 'p/a');
      equal([a?.value, a?.version], ['"p/a again"', 2], 'row of p/a');
      equal(scanKeys(await s.scan({ prefix: 'nothing/', limit: 10 })), [], 'empty prefix');
    },
  },
  {
    name: 'scan: after is exclusive, limit caps the page, reverse walks downwards',
    async run(s) {
      for (let i = 0; i < 12; i++) await put(s, `r/${String(i).padStart(2, '0')}`, String(i));
      await put(s, 'r0', 'outside');
      await put(s, 'q', 'outside');
      equal(scanKeys(await s.scan({ prefix: 'r/', limit: 3 })), ['r/00', 'r/01', 'r/02'], 'first page');
      equal(scanKeys(await s.scan({ prefix: 'r/', after: 'r/02', limit: 3 })), ['r/03', 'r/04', 'r/05'], 'page after r/02');
      equal(scanKeys(await s.scan({ prefix: 'r/', after: 'r/10', limit: 5 })), ['r/11'], 'last page');
      equal(scanKeys(await s.scan({ prefix: 'r/', limit: 3, reverse: true })), ['r/11', 'r/10', 'r/09'], 'reverse first page');
      equal(scanKeys(await s.scan({ prefix: 'r/', after: 'r/09', limit: 3, reverse: true })), ['r/08', 'r/07', 'r/06'], 'reverse after r/09');
      equal(scanKeys(await s.scan({ prefix: 'r/', after: 'r/01', limit: 5, reverse: true })), ['r/00'], 'reverse last page');
      equal(scanKeys(await s.scan({ prefix: 'r/', after: 'r/055', limit: 2 })), ['r/06', 'r/07'], 'after a key that does not exist');
    },
  },
  {
    name: 'scan: a prefix with SQL wildcard characters (% _) matches literally',
    async run(s) {
      for (const k of ['a%_/1', 'a%_/2', 'abc/1', 'a%x/1', 'a__/1']) await put(s, k, '1');
      equal(scanKeys(await s.scan({ prefix: 'a%_/', limit: 10 })), ['a%_/1', 'a%_/2'], 'wildcard prefix');
      equal(scanKeys(await s.scan({ prefix: 'a_', limit: 10 })), ['a__/1'], 'underscore prefix');
    },
  },
  {
    name: 'concurrency: of 25 simultaneous commits expecting the same version, exactly one wins',
    async run(s) {
      await s.commit([{ key: 'hot', value: '0', version: 0 }]);
      const outcomes = await Promise.all(
        Array.from({ length: 25 }, (_, i) => s.commit([{ key: 'hot', value: String(i + 1), version: 1 }, { key: `side/${i}`, value: 'x', version: 0 }])),
      );
      const winners = outcomes.filter((o) => o?.ok === true).length;
      equal(winners, 1, 'winning commits');
      outcomes.filter((o) => o?.ok !== true).forEach((o) => equal(o, { ok: false, conflict: 'hot' }, 'losing commit'));
      equal((await readOne(s, 'hot'))?.version, 2, 'version after the race');
      equal(scanKeys(await s.scan({ prefix: 'side/', limit: 100 })).length, 1, 'side keys written (only the winner\'s)');
    },
  },
  {
    name: 'concurrency: 40 read-modify-write loops with retries lose no increment',
    async run(s) {
      await s.commit([{ key: 'counter', value: '0', version: 0 }]);
      const worker = async () => {
        for (let attempt = 0; attempt < 1000; attempt++) {
          const e = await readOne(s, 'counter');
          const outcome = await s.commit([{ key: 'counter', value: String(Number(e.value) + 1), version: e.version }]);
          if (outcome.ok) return;
          if (outcome.conflict !== 'counter') fail(`conflict named ${show(outcome.conflict)}`);
        }
        fail('a worker never got its write in');
      };
      await Promise.all(Array.from({ length: 40 }, worker));
      const e = await readOne(s, 'counter');
      equal([e?.value, e?.version], ['40', 41], 'counter after 40 increments');
    },
  },
]);

/**
 * Runs every check against storages made by `makeStorage`.
 * With `{ test }` (node:test's `test`, or any `test(name, fn)`), registers one test per check.
 * Without it, runs them in sequence and resolves to `{ passed, failed: [{ name, error }] }`.
 */
export function runStorageConformance(makeStorage, { test, prefix = 'storage conformance: ' } = {}) {
  const runOne = async (check) => check.run(await makeStorage());
  if (typeof test === 'function') {
    for (const check of storageConformanceTests) test(prefix + check.name, () => runOne(check));
    return undefined;
  }
  return (async () => {
    const report = { passed: 0, failed: [] };
    for (const check of storageConformanceTests) {
      try {
        await runOne(check);
        report.passed++;
      } catch (error) {
        report.failed.push({ name: check.name, error });
      }
    }
    return report;
  })();
}
