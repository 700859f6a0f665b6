// The SDK's cursor query builder, for every query method of the table (transactions, accounts,
// coupons, ...). Builders are immutable: every method returns a new builder. Nothing is checked
// here; the engine validates the whole query on find(). It sends what the official builder sends:
// the first page as { filter, sort?, cursorPaging: { limit } } (limit 50 unless set), every other
// page as { cursorPaging: { cursor, limit } } only (a cursor carries the filter and the order).

import { loyaltyError } from './errors.js';

const DEFAULT_LIMIT = 50;

function isAnd(filter) {
  return Object.keys(filter).length === 1 && Array.isArray(filter.$and);
}
function isOr(filter) {
  return Object.keys(filter).length === 1 && Array.isArray(filter.$or);
}

/** `a AND b`, flattening nested `$and`s as the SDK does. */
function and(a, b) {
  if (!a || Object.keys(a).length === 0) return b;
  if (!b || Object.keys(b).length === 0) return a;
  return { $and: [...(isAnd(a) ? a.$and : [a]), ...(isAnd(b) ? b.$and : [b])] };
}
function or(a, b) {
  if (!a || Object.keys(a).length === 0) return b;
  if (!b || Object.keys(b).length === 0) return a;
  return { $or: [...(isOr(a) ? a.$or : [a]), ...(isOr(b) ? b.$or : [b])] };
}

/** A field name as given, or null when it cannot be one (a symbol, a hostile proxy, ...). */
function fieldName(field) {
  return typeof field === 'string' ? field : null;
}

function describeValue(value) {
  try {
    return value === null ? 'null' : typeof value;
  } catch {
    return 'an unreadable value';
  }
}

export class QueryBuilder {
  #run;
  #shape;
  #query;
  /** The first unusable argument given to an operator: find() rejects with it. */
  #error;

  /**
   * @param {(query: object) => Promise<object>} run sends the query, resolves to the response body
   * @param {{ items: string, paging: string }} shape where the body holds the items and paging metadata
   * @param {{ filter: object, sort?: object[], cursorPaging: { limit: number, cursor?: string } }} [query]
   */
  constructor(run, shape, query = { filter: {}, cursorPaging: { limit: DEFAULT_LIMIT } }, error = undefined) {
    this.#run = run;
    this.#shape = shape;
    this.#query = query;
    this.#error = error;
  }

  #with(changes) {
    return new QueryBuilder(this.#run, this.#shape, { ...this.#query, ...changes }, this.#error);
  }

  #invalid(what, got) {
    const error = this.#error ?? loyaltyError('INVALID_ARGUMENT', 'WRONG_TYPE', `${what} (got ${describeValue(got)})`);
    return new QueryBuilder(this.#run, this.#shape, this.#query, error);
  }

  /** `{ [field]: condition }` added to the filter, unless `field` cannot be a field name. */
  #where(field, condition) {
    const name = fieldName(field);
    if (name === null) return this.#invalid('a field name must be a string', field);
    const clause = {};
    Object.defineProperty(clause, name, { value: condition, enumerable: true, writable: true, configurable: true });
    return this.#with({ filter: and(this.#query.filter, clause) });
  }

  #list(field, op, values) {
    let list;
    try {
      list = Array.isArray(values[0]) ? values[0] : values;
    } catch {
      list = values; // a revoked proxy: the engine reports the operand
    }
    return this.#where(field, { [op]: list });
  }

  eq(field, value) { return this.#where(field, value === undefined ? null : value); }
  ne(field, value) { return this.#where(field, { $ne: value === undefined ? null : value }); }
  gt(field, value) { return this.#where(field, { $gt: value }); }
  ge(field, value) { return this.#where(field, { $gte: value }); }
  lt(field, value) { return this.#where(field, { $lt: value }); }
  le(field, value) { return this.#where(field, { $lte: value }); }
  /** `from` ≤ field < `to`, as the SDK's (the upper bound is exclusive). */
  between(field, from, to) { return this.ge(field, from).lt(field, to); }
  in(field, values) { return this.#where(field, { $in: values }); }
  hasSome(field, ...values) { return this.#list(field, '$hasSome', values); }
  hasAll(field, ...values) { return this.#list(field, '$hasAll', values); }
  startsWith(field, value) { return this.#where(field, { $startsWith: value }); }
  endsWith(field, value) { return this.#where(field, { $endsWith: value }); }
  contains(field, value) { return this.#where(field, { $contains: value }); }
  exists(field, value = true) { return this.#where(field, { $exists: value }); }
  isEmpty(field) { return this.eq(field, null); }
  isNotEmpty(field) { return this.ne(field, null); }

  /** This query's filter and `other`'s (another builder of the same method), both. */
  and(other) {
    const f = filterOf(other);
    return f === null ? this.#invalid('and() takes a query builder', other) : this.#with({ filter: and(this.#query.filter, f) });
  }
  /** This query's filter or `other`'s. */
  or(other) {
    const f = filterOf(other);
    return f === null ? this.#invalid('or() takes a query builder', other) : this.#with({ filter: or(this.#query.filter, f) });
  }
  /** Replaces the filter with the negation of `other`'s, as the SDK's `not` does. */
  not(other) {
    const f = filterOf(other);
    if (f === null) return this.#invalid('not() takes a query builder', other);
    const negated = Object.keys(f).length === 0 ? {} : Object.keys(f).length === 1 && f.$not ? f.$not : { $not: f };
    return this.#with({ filter: negated });
  }

  #order(fields, order) {
    const bad = fields.find((f) => fieldName(f) === null);
    if (bad !== undefined || fields.some((f) => fieldName(f) === null)) return this.#invalid('a field name must be a string', bad);
    return this.#with({ sort: [...(this.#query.sort ?? []), ...fields.map((fieldName) => ({ fieldName, order }))] });
  }
  ascending(...fields) { return this.#order(fields, 'ASC'); }
  descending(...fields) { return this.#order(fields, 'DESC'); }

  /** Page size, 1 to 100 (default 50). */
  limit(limit) { return this.#with({ cursorPaging: { ...this.#query.cursorPaging, limit } }); }
  /** Continue from a cursor of an earlier result; the cursor carries the filter and order. */
  skipTo(cursor) { return this.#with({ cursorPaging: { ...this.#query.cursorPaging, cursor } }); }
  /** Offset paging is not offered by these cursor queries (the SDK's `skip` fails on them too). */
  skip() {
    throw loyaltyError('INVALID_ARGUMENT', 'UNSUPPORTED_PAGING', 'this query pages with cursors: use limit(), skipTo() and the cursors of a result, not skip()');
  }

  /** The request body's `query`, as the REST API receives it. */
  toQuery() {
    const q = this.#query;
    if (q.cursorPaging.cursor !== undefined) return { cursorPaging: { cursor: q.cursorPaging.cursor, limit: q.cursorPaging.limit } };
    return q.sort ? { filter: q.filter, cursorPaging: q.cursorPaging, sort: q.sort } : { filter: q.filter, cursorPaging: q.cursorPaging };
  }

  /** @internal the filter, for and()/or()/not() of another builder */
  get filter() { return this.#query.filter; }

  /** @internal whether `value` is a builder (a brand check that no proxy can fool or break) */
  static isBuilder(value) {
    return typeof value === 'object' && value !== null && #query in value;
  }

  async find() {
    if (this.#error) throw this.#error;
    const body = await this.#run(this.toQuery());
    return new QueryResult(this, this.#shape, body, this.#query.cursorPaging.limit ?? DEFAULT_LIMIT);
  }
}

/** The filter of another builder (or a plain filter object); null when `other` is neither. */
function filterOf(other) {
  return QueryBuilder.isBuilder(other) ? other.filter : null;
}

export class QueryResult {
  #query;
  #limit;

  constructor(query, shape, body, limit) {
    this.#query = query;
    this.#limit = limit;
    this.items = body[shape.items] ?? [];
    const cursors = body[shape.paging]?.cursors ?? {};
    this.cursors = { next: cursors.next ?? null, prev: cursors.prev ?? null };
  }

  get length() { return this.items.length; }
  /** The page size asked for (the SDK's `pageSize`), not the number of items on this page. */
  get pageSize() { return this.#limit; }
  get query() { return this.#query; }

  hasNext() { return this.cursors.next !== null; }
  hasPrev() { return this.cursors.prev !== null; }

  async next() {
    if (!this.hasNext()) throw loyaltyError('FAILED_PRECONDITION', 'NO_NEXT_PAGE', 'this is the last page: check hasNext() before next()');
    return this.#query.skipTo(this.cursors.next).find();
  }

  async prev() {
    if (!this.hasPrev()) throw loyaltyError('FAILED_PRECONDITION', 'NO_PREVIOUS_PAGE', 'this is the first page: check hasPrev() before prev()');
    return this.#query.skipTo(this.cursors.prev).find();
  }
}
