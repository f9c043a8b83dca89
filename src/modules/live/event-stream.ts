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

  get queuedNow(): number {
    return this.queued;
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
 * consume them. A replay (`before`) is yielded first; live events arriving
 * meanwhile are held and yielded after it, without the ones it already had.
 * Live events waiting for the consumer are charged to the connection's budget;
 * a replay is not (it is what the client asked for, bounded by the replay
 * limit), so reconnecting with `since` never trips the budget by itself.
 */
export function eventStream<T>(source: StreamSource<T>, budget: SendBudget | null): AsyncIterableIterator<T> {
  let replayed: T[] = [];
  const queue: T[] = [];
  const held: T[] = [];
  let replaying = Boolean(source.before);
  let waiting: ((result: IteratorResult<T>) => void) | null = null;
  let done = false;

  const charge = () => !budget || budget.take();
  const handOver = (event: T): boolean => {
    if (!waiting) return false;
    const resolve = waiting;
    waiting = null;
    resolve({ value: event, done: false });
    return true;
  };
  const finish = (): IteratorResult<T> => {
    if (!done) {
      done = true;
      stop();
      for (let i = 0; i < queue.length + held.length; i++) budget?.give();
      queue.length = 0;
      held.length = 0;
      replayed = [];
      waiting?.({ value: undefined, done: true });
      waiting = null;
    }
    return { value: undefined, done: true };
  };
  const take = (): T | undefined => {
    if (replayed.length > 0) return replayed.shift();
    if (queue.length === 0) return undefined;
    budget?.give();
    return queue.shift();
  };

  const stop = source.listen((event) => {
    if (done) return;
    if (!replaying && handOver(event)) return;
    if (!charge()) return void finish();
    (replaying ? held : queue).push(event);
  });

  if (source.before) {
    source
      .before()
      .then((events) => {
        if (done) return;
        const seen = new Set(source.idOf ? events.map(source.idOf) : []);
        replayed = events;
        for (const event of held) {
          if (source.idOf && seen.has(source.idOf(event))) budget?.give();
          else queue.push(event);
        }
        held.length = 0;
        replaying = false;
        if (waiting) {
          const next = take();
          if (next !== undefined) handOver(next);
        }
      })
      .catch(() => finish());
  }

  return {
    next: () => {
      if (!replaying) {
        const next = take();
        if (next !== undefined) return Promise.resolve({ value: next, done: false });
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
