// Prefix scans as key ranges, shared by the SQL adapters.

/**
 * An exclusive upper bound for keys starting with `prefix` in byte order (UTF-8, "C" collation):
 * the prefix cut after its last ASCII character below DEL, that character incremented. Every
 * key with the prefix sorts below it; callers still filter with startsWith, since for a
 * non-ASCII tail the range is wider than the prefix. Null when no such bound exists.
 */
export function prefixEnd(prefix) {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0x7f) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return null;
}

/** The WHERE/ORDER/LIMIT of a scan, with numbered parameters after `first` fixed ones. */
export function scanQuery({ prefix, after, limit, reverse = false }, placeholder) {
  const params = [prefix];
  const where = [`key >= ${placeholder(1)}`];
  const end = prefixEnd(prefix);
  if (end !== null) {
    params.push(end);
    where.push(`key < ${placeholder(params.length)}`);
  }
  if (after !== undefined && after !== null) {
    params.push(after);
    where.push(`key ${reverse ? '<' : '>'} ${placeholder(params.length)}`);
  }
  params.push(limit);
  return { where: where.join(' AND '), order: reverse ? 'DESC' : 'ASC', limit: placeholder(params.length), params };
}
