/**
 * What one connection may have queued for it, across all its subscriptions.
 * Past the limit the client is too slow (or gone): it is disconnected instead
 * of holding memory without bound.
 */
export class SendBudget {
  private queued = 0;
  private exceeded = false;

  constructor(
    private readonly maxQueued: number,
    private readonly onExceeded: () => void,
  ) {}

  take(): boolean {
    if (this.exceeded) return false;
    if (++this.queued <= this.maxQueued) return true;
    this.exceeded = true;
    this.onExceeded();
    return false;
  }

  give(): void {
    this.queued--;
  }
}

export interface StreamSource<T> {
  /** Starts delivering; returns how to stop. */
  listen(deliver: (event: T) => void): () => void;
  /** Events to yield before the live ones (a replay); live ones already yielded here, by id, are skipped. */
  before?: () => Promise<T[]>;
  idOf?: (event: T) => string;
}

/**
 * A pull-based async iterator over pushed events, as GraphQL subscriptions
 * consume them. Live events arriving while `before` is still loading are held
 * and yielded after it, without duplicates. Every queued event is charged to
 * the connection's budget.
 */
export function eventStream<T>(source: StreamSource<T>, budget: SendBudget | null): AsyncIterableIterator<T> {
  const queue: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | null = null;
  let done = false;
  let replaying = Boolean(source.before);
  const held: T[] = [];

  const push = (event: T) => {
    if (done) return;
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve({ value: event, done: false });
      return;
    }
    if (budget && !budget.take()) return void finish();
    queue.push(event);
  };
  const stop = source.listen((event) => (replaying ? held.push(event) : push(event)));

  const finish = (): IteratorResult<T> => {
    if (!done) {
      done = true;
      stop();
      if (budget) for (let i = 0; i < queue.length; i++) budget.give();
      queue.length = 0;
      waiting?.({ value: undefined, done: true });
      waiting = null;
    }
    return { value: undefined, done: true };
  };

  if (source.before) {
    source
      .before()
      .then((replayed) => {
        const seen = new Set(source.idOf ? replayed.map(source.idOf) : []);
        replaying = false;
        for (const event of replayed) push(event);
        for (const event of held) if (!source.idOf || !seen.has(source.idOf(event))) push(event);
        held.length = 0;
      })
      .catch(() => finish());
  }

  return {
    next: () => {
      if (queue.length > 0) {
        budget?.give();
        return Promise.resolve({ value: queue.shift()!, done: false });
      }
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (waiting = resolve));
    },
    return: () => Promise.resolve(finish()),
    throw: (error) => {
      finish();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
