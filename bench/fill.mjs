// Fills a store with copies of one account record: what the bench's large stores are made of.

/** A test GUID: `a` in the first group, `b` in the last (in hex). */
export const guid = (a, b) => `${a.toString(16).padStart(8, '0')}-0000-4000-8000-${b.toString(16).padStart(12, '0')}`;

/**
 * Fills `storage` with `size` accounts, copies of the account record `record` of `template`
 * (each with its own contact index), 1000 per commit. Returns the first 1000 ids and the seconds
 * the fill took.
 */
export async function fill(storage, record, template, size) {
  const t0 = performance.now();
  const ids = [];
  for (let i = 1; i < size; i += 1000) {
    const writes = [];
    for (let j = i; j < Math.min(size, i + 1000); j++) {
      const id = guid(8, j);
      const contact = guid(9, j);
      writes.push({ key: `acct/${id}`, value: record.value.replaceAll(template._id, id).replaceAll(template.contactId, contact), version: 0 });
      writes.push({ key: `contact/${contact}`, value: JSON.stringify({ schema: 1, accountId: id }), version: 0 });
      if (ids.length < 1000) ids.push(id);
    }
    const outcome = await storage.commit(writes);
    if (!outcome.ok) throw new Error('fill failed');
  }
  return { ids, seconds: (performance.now() - t0) / 1000 };
}

