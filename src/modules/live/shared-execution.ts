import { createSourceEventStream, execute, print, type ExecutionArgs, type ExecutionResult } from 'graphql';

export interface SharedExecutionStats {
  /** Events delivered to a subscription. */
  deliveries: number;
  /** GraphQL executions those deliveries cost. */
  executions: number;
}

/**
 * graphql-js executes a subscription's selection once per event per
 * subscriber. Live events reach every subscriber as one shared object, so the
 * result of one selection (same document, variables and role) over one event
 * is computed once and handed to every subscriber with that selection: a
 * thousand dashboards watching the same thing cost one execution per event.
 * `perEvent` gives each execution its own context (fresh batching loaders: a
 * long-lived connection must not serve stale cached data).
 */
export function sharedSubscribe(
  keyOf: (args: ExecutionArgs) => string,
  perEvent: (contextValue: unknown) => unknown,
  stats: SharedExecutionStats,
) {
  const results = new WeakMap<object, Map<string, Promise<ExecutionResult> | ExecutionResult>>();
  return async (args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> => {
    const source = await createSourceEventStream(args);
    if (!isAsyncIterable(source)) return source;
    const key = `${print(args.document)}\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}\u0000${keyOf(args)}`;
    const run = (payload: unknown) => {
      stats.executions++;
      return execute({ ...args, rootValue: payload, contextValue: perEvent(args.contextValue) });
    };
    return mapEvents(source, (payload) => {
      stats.deliveries++;
      if (typeof payload !== 'object' || payload === null) return run(payload);
      let byKey = results.get(payload);
      if (!byKey) results.set(payload, (byKey = new Map()));
      let result = byKey.get(key);
      if (!result) byKey.set(key, (result = run(payload)));
      return result;
    });
  };
}

/** Like graphql-js's own mapping: `return()` reaches the source at once, even while a `next()` waits. */
function mapEvents(
  source: AsyncIterable<unknown>,
  map: (payload: unknown) => Promise<ExecutionResult> | ExecutionResult,
): AsyncGenerator<ExecutionResult> {
  const iterator = source[Symbol.asyncIterator]();
  const finished = async (): Promise<IteratorReturnResult<undefined>> => {
    await iterator.return?.();
    return { value: undefined, done: true };
  };
  return {
    async next() {
      const next = await iterator.next();
      return next.done ? { value: undefined, done: true } : { value: await map(next.value), done: false };
    },
    return: finished,
    async throw(error: unknown) {
      await finished();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
