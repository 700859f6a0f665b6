// The SDK's query builder for transactions. Builders are immutable: every method returns a
// new builder. Nothing is checked here; the engine validates the whole query on find().

import { loyaltyError } from './errors.js';

export class LoyaltyTransactionsQueryBuilder {
  #run;
  #clauses;
  #sort;
  #limit;
  #cursor;

  constructor(run, clauses = [], sort = [], limit = undefined, cursor = undefined) {
    this.#run = run;
    this.#clauses = clauses;
    this.#sort = sort;
    this.#limit = limit;
    this.#cursor = cursor;
  }

  #with({ clause, sort, limit = this.#limit, cursor = this.#cursor }) {
    return new LoyaltyTransactionsQueryBuilder(
      this.#run,
      clause ? [...this.#clauses, clause] : this.#clauses,
      sort ? [...this.#sort, ...sort] : this.#sort,
      limit,
      cursor,
    );
  }

  #op(field, op, value) {
    return this.#with({ clause: { [field]: op === null ? (value === undefined ? null : value) : { [op]: value } } });
  }

  eq(field, value) { return this.#op(field, null, value); }
  ne(field, value) { return this.#op(field, '$ne', value); }
  gt(field, value) { return this.#op(field, '$gt', value); }
  ge(field, value) { return this.#op(field, '$gte', value); }
  lt(field, value) { return this.#op(field, '$lt', value); }
  le(field, value) { return this.#op(field, '$lte', value); }
  in(field, values) { return this.#op(field, '$in', values); }
  hasSome(field, values) { return this.#op(field, '$hasSome', values); }
  startsWith(field, value) { return this.#op(field, '$startsWith', value); }
  exists(field, value = true) { return this.#op(field, '$exists', value); }

  ascending(...fields) { return this.#with({ sort: fields.map((fieldName) => ({ fieldName, order: 'ASC' })) }); }
  descending(...fields) { return this.#with({ sort: fields.map((fieldName) => ({ fieldName, order: 'DESC' })) }); }

  /** Page size, 1 to 100 (default 50). */
  limit(limit) { return this.#with({ limit }); }
  /** Continue from a cursor of an earlier result; the cursor carries the filter and order. */
  skipTo(cursor) { return this.#with({ cursor }); }

  /** The query as the REST API receives it. */
  toQuery() {
    const n = this.#clauses.length;
    const query = { cursorPaging: { limit: this.#limit, cursor: this.#cursor } };
    if (this.#cursor === undefined) {
      query.filter = n === 0 ? {} : n === 1 ? this.#clauses[0] : { $and: this.#clauses };
      query.sort = this.#sort;
    }
    return query;
  }

  async find() {
    const response = await this.#run(this.toQuery());
    return new LoyaltyTransactionsQueryResult(this, response);
  }
}

export class LoyaltyTransactionsQueryResult {
  #query;
  #next;

  constructor(query, response) {
    this.#query = query;
    this.items = response.loyaltyTransactions;
    this.#next = response.pagingMetadata.cursors.next ?? null;
    this.cursors = { next: this.#next, prev: null };
  }

  get length() { return this.items.length; }
  get pageSize() { return this.items.length; }
  get query() { return this.#query; }

  hasNext() { return this.#next !== null; }
  /** Backward paging is not offered: follow `next` cursors from the first page instead. */
  hasPrev() { return false; }

  async next() {
    if (this.#next === null) throw loyaltyError('FAILED_PRECONDITION', 'NO_NEXT_PAGE', 'this is the last page: check hasNext() before next()');
    return this.#query.skipTo(this.#next).find();
  }

  async prev() {
    throw loyaltyError('FAILED_PRECONDITION', 'NO_PREVIOUS_PAGE', 'backward paging is not supported: keep the earlier pages or query again');
  }
}
