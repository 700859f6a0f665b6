// Storage named by a short spec, as the CLI and the demo take it:
//   memory                        in-memory (gone when the process ends)
//   sqlite:<file>                 a SQLite file (better-sqlite3 12)
//   postgres:<connection string>  PostgreSQL (pg 8)

/**
 * @param {string | undefined} spec
 * @returns {Promise<{ storage: import('../index').LoyaltyStorage & { close?(): unknown }, label: string }>}
 */
export async function storageFromSpec(spec) {
  if (!spec || spec === 'memory') {
    // Through the package's own entry: the store must live in the same wasm instance as the
    // engine that uses it (the entry a Node caller imports is the bundled one).
    const { memoryStorage } = await import('wix-loyalty-wasm');
    return { storage: memoryStorage(), label: 'memory (gone when the process ends)' };
  }
  const at = spec.indexOf(':');
  const kind = at < 0 ? spec : spec.slice(0, at);
  const target = at < 0 ? '' : spec.slice(at + 1);
  if (kind === 'sqlite' && target) {
    const { sqliteStorage } = await import('./sqlite.js');
    return { storage: sqliteStorage({ path: target }), label: `SQLite file ${target}` };
  }
  if (kind === 'postgres' && target) {
    const { postgresStorage } = await import('./postgres.js');
    return { storage: postgresStorage({ connectionString: target }), label: `PostgreSQL ${target.replace(/\/\/[^@]*@/, '//…@')}` };
  }
  throw new Error(`unknown storage "${spec}": use memory, sqlite:<file> or postgres:<connection string>`);
}
