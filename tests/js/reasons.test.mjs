// Error reasons and codes come from one place, the core (src/core/reason.rs, src/core/error.rs),
// through the build's table: the union the typings declare is the table's list, every reason the
// JS face raises itself is in it, the README names them all, and the JS face's HTTP status per
// code is the table's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { LoyaltyError, operationTable, ERROR_CODES } from 'wix-loyalty-wasm';
import { STATUS } from '../../pkg/errors.js';

const table = operationTable();
const root = fileURLToPath(new URL('../..', import.meta.url));

/** The string literals of the union type `name` in the package's index.d.ts. */
function declaredUnion(name) {
  const file = join(root, 'pkg', 'index.d.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  let members;
  source.forEachChild((node) => {
    if (ts.isTypeAliasDeclaration(node) && node.name.text === name) {
      assert.ok(ts.isUnionTypeNode(node.type), `${name} is a union`);
      members = node.type.types.map((t) => {
        assert.ok(ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal), `${name} holds only string literals: ${t.getText(source)}`);
        return t.literal.text;
      });
    }
  });
  assert.ok(members, `index.d.ts declares ${name}`);
  return members;
}

/** The JS face's sources (js/, js/storage/, js/velo/), as [path, text]. */
function jsSources() {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (/\.m?js$/.test(entry.name)) out.push([path, readFileSync(join(root, path), 'utf8')]);
    }
  };
  walk('js');
  return out;
}

/**
 * The reason literals a source raises or tests for: a canonical code followed by a reason
 * (`loyaltyError('ABORTED', 'TOO_MANY_CONFLICTS', ...)`, the gate's and the server's refusals, a
 * `[status, phrase, code, reason, ...]` answer, `code, e.reason ?? 'STORAGE_ERROR'`), a REST
 * `BadRequest('MALFORMED_JSON', ...)`, `reason: 'X'`, `reason === 'X'`.
 */
function raisedReasons(text) {
  const codes = Object.keys(table.codes).join('|');
  const patterns = [
    new RegExp(`'(?:${codes})',\\s*(?:[\\w.]+\\s*\\?\\?\\s*)?'([A-Z][A-Z0-9_]*)'`, 'g'),
    /new BadRequest\(\s*'([A-Z][A-Z0-9_]*)'/g,
    /\breason:\s*'([A-Z][A-Z0-9_]*)'/g,
    /\breason\s*[!=]==?\s*'([A-Z][A-Z0-9_]*)'/g,
    /applicationError:\s*\{\s*code:\s*'([A-Z][A-Z0-9_]*)'/g,
  ];
  return patterns.flatMap((p) => [...text.matchAll(p)].map((m) => m[1]));
}

test('the typings\' ErrorReason is exactly the table\'s reasons', () => {
  const declared = declaredUnion('ErrorReason');
  assert.equal(new Set(table.reasons).size, table.reasons.length, 'the table names each reason once');
  assert.equal(new Set(declared).size, declared.length, 'ErrorReason names each reason once');
  assert.deepEqual([...declared].sort(), [...table.reasons].sort());
  // The codes too: ErrorCode is the table's codes.
  assert.deepEqual(declaredUnion('ErrorCode').sort(), Object.keys(table.codes).sort());
});

test('every reason the JS face raises is in the table', () => {
  const known = new Set(table.reasons);
  const found = new Map();
  for (const [path, text] of jsSources()) {
    for (const reason of raisedReasons(text)) found.set(reason, [...(found.get(reason) ?? []), path]);
  }
  // The patterns still see each way the JS face raises a reason.
  for (const reason of ['TOO_MANY_CONFLICTS', 'STORAGE_TIMEOUT', 'STORAGE_ERROR', 'MALFORMED_JSON', 'HOST_NOT_ALLOWED', 'REQUEST_HEADERS_TOO_LARGE', 'TOO_MANY_CONNECTIONS', 'WEB_METHOD_FORBIDDEN', 'NO_NEXT_PAGE']) {
    assert.ok(found.has(reason), `${reason} is found in the JS sources: the patterns no longer match`);
  }
  assert.ok(found.size > 30, `only ${found.size} reasons found`);
  const unknown = [...found].filter(([reason]) => !known.has(reason)).map(([reason, paths]) => `${reason} (${[...new Set(paths)].join(', ')})`);
  assert.deepEqual(unknown, [], 'reasons raised in js/ but missing from src/core/reason.rs');
});

test('each code answers the HTTP status Wix answers with it', () => {
  // Wix's statuses for its canonical codes (spec/wix-sdk-wire.md), against the table that the
  // JS face's STATUS is built from and the status every LoyaltyError carries.
  const wix = {
    INVALID_ARGUMENT: 400, UNAUTHENTICATED: 401, PERMISSION_DENIED: 403, NOT_FOUND: 404, ALREADY_EXISTS: 409,
    ABORTED: 409, FAILED_PRECONDITION: 428, INTERNAL: 500, UNIMPLEMENTED: 501, UNAVAILABLE: 503,
  };
  assert.deepEqual({ ...table.codes }, wix);
  assert.deepEqual({ ...STATUS }, wix);
  assert.deepEqual([...ERROR_CODES].sort(), Object.keys(wix).sort());
  for (const [code, status] of Object.entries(wix)) {
    assert.equal(new LoyaltyError({ code, reason: 'INTERNAL', message: `${code}: x` }).status, status, code);
  }
});

test('the README\'s errors section names every reason, and no other', () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Errors\n'), readme.indexOf('\n## ', readme.indexOf('\n## Errors\n') + 1));
  // Reasons are named in the table's second column (the first names the code), and in the prose.
  const reasonCells = [...section.matchAll(/^\| `[A-Z_]+` \(\d+\) \| (.*) \|$/gm)].map((m) => m[1]).join(' ');
  const prose = section.split('\n').filter((line) => !line.startsWith('|')).join('\n');
  const named = new Set([...`${reasonCells}\n${prose}`.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]));
  assert.deepEqual(table.reasons.filter((r) => !named.has(r)), [], 'reasons the README does not name');
  const codes = new Set(Object.keys(table.codes));
  assert.deepEqual([...named].filter((n) => !codes.has(n) && !table.reasons.includes(n)), [], 'names in the README that are no reason');
});
