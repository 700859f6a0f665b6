// The SDK's modules, built from the table of operations (src/core/operations.rs): one method per
// row, with the row's arguments, answer (the whole body, one field of it, or nothing) and query
// builder; one registration function per event. Nothing here names an operation (the legacy
// singular modules, whose answers differ from today's, are in js/legacy.js).

import { QueryBuilder } from './query.js';

/**
 * @param {object} table the table of operations and events
 * @param {(name: string, args: unknown[]) => Promise<object>} invoke runs an operation, resolves to its response body
 * @param {(eventType: string, handler: Function) => () => void} [subscribe] registers an event handler
 * @returns {Record<string, object>} module name → frozen module
 */
export function buildModules(table, invoke, subscribe) {
  const modules = {};
  for (const op of table.operations) {
    const module = (modules[op.module] ??= {});
    module[op.name] = method(op, invoke);
  }
  if (subscribe) {
    for (const event of table.events) {
      const module = (modules[event.module] ??= {});
      module[event.function] = (handler) => subscribe(event.eventType, handler);
    }
  }
  for (const name of Object.keys(modules)) Object.freeze(modules[name]);
  return modules;
}

function answerOf(op) {
  switch (op.answer.kind) {
    case 'field': {
      const field = op.answer.field;
      return (body) => body[field];
    }
    case 'void':
      return () => undefined;
    default:
      return (body) => body;
  }
}

function method(op, invoke) {
  const answer = answerOf(op);
  const arity = op.args.length;
  const whole = op.answer.kind !== 'field' && op.answer.kind !== 'void';
  const call = (args) => {
    const body = invoke(op.name, args.length > arity ? args.slice(0, arity) : args);
    return whole ? body : body.then(answer);
  };
  if (op.query) {
    const shape = op.query;
    const run = (query) => invoke(op.name, [query]);
    // Called without arguments, a query method returns a builder; with a query, the whole body.
    return { [op.name]: (...args) => (args.length === 0 ? new QueryBuilder(run, shape) : call(args)) }[op.name];
  }
  return { [op.name]: (...args) => call(args) }[op.name];
}
