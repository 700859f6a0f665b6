// Storage named by a short spec, as the CLI, the demo and the Velo loader take it:
//   memory                        in-memory (gone when the process ends)
//   sqlite:<file>                 a SQLite file (better-sqlite3 12)
//   postgres:<connection string>  PostgreSQL (pg 8); a bare postgres://… string too
// Every mistake is one line naming the spec and what to write instead.

const FORMS = 'memory, sqlite:<file> or postgres:<connection string>';

/** Imports an adapter, turning a missing driver into an install hint. */
async function adapter(load, driver, version) {
  try {
    return await load();
  } catch (e) {
    if ((e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') && String(e.message).includes(`'${driver}'`)) {
      throw new Error(`this storage needs the ${driver} package, which is not installed: npm install ${driver}@${version}`);
    }
    throw e;
  }
}

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
  if (/^postgres(ql)?:\/\//.test(spec)) spec = `postgres:${spec}`; // a bare connection string
  const at = spec.indexOf(':');
  const kind = at < 0 ? spec : spec.slice(0, at);
  const target = at < 0 ? '' : spec.slice(at + 1);
  if (kind === 'sqlite') {
    if (!target) throw new Error(`storage "${spec}" names no file: write sqlite:<file>, for example sqlite:./loyalty.db`);
    const { sqliteStorage } = await adapter(() => import('./sqlite.js'), 'better-sqlite3', 12);
    return { storage: sqliteStorage({ path: target }), label: `SQLite file ${target}` };
  }
  if (kind === 'postgres' || kind === 'postgresql') {
    if (!target) throw new Error(`storage "${spec}" names no database: write postgres:<connection string>, for example postgres:postgres://user@localhost:5432/loyalty`);
    const { postgresStorage } = await adapter(() => import('./postgres.js'), 'pg', 8);
    return { storage: postgresStorage({ connectionString: target }), label: `PostgreSQL ${target.replace(/\/\/[^@]*@/, '//…@')}` };
  }
  throw new Error(`unknown storage "${spec}": use ${FORMS}`);
}
