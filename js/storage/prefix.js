// Prefix scans as key ranges, shared by the SQL adapters. scanQuery uses nothing outside itself:
// the SQLite adapter's worker thread runs a copy of its source text.

/**
 * The WHERE/ORDER/LIMIT of a scan, with numbered parameters. Keys starting with `prefix` are
 * below an exclusive upper bound in byte order (UTF-8, "C" collation): the prefix cut after its
 * last ASCII character below DEL, that character incremented (none when there is no such
 * character); callers still filter with startsWith, since for a non-ASCII tail the range is wider
 * than the prefix.
 */
export function scanQuery({ prefix, after, limit, reverse = false }, placeholder) {
  let end = null;
  for (let i = prefix.length - 1; i >= 0 && end === null; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0x7f) end = prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  const params = [prefix];
  const where = [`key >= ${placeholder(1)}`];
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
