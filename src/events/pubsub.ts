import { PubSub, type PubSubEngine } from 'graphql-subscriptions';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';

/** Where live events travel between processes: this process only, or every process sharing a Redis. */
export interface Transport {
  readonly kind: 'memory' | 'redis';
  readonly engine: PubSubEngine;
  close(): Promise<void>;
}

// JSON turns dates into strings; these keys are turned back into dates on arrival.
const DATE_KEYS = new Set(['at', 'due_at']);
const reviveDates = (key: string, value: unknown) => (DATE_KEYS.has(key) && typeof value === 'string' ? new Date(value) : value);

/**
 * In-memory by default. With a Redis URL, graphql-redis-subscriptions over two
 * ioredis connections (a subscribing connection cannot publish), so an event
 * published by a worker reaches subscribers on every API process.
 */
export async function createTransport(redisUrl: string | undefined, onError: (reason: unknown) => void = () => {}): Promise<Transport> {
  if (!redisUrl) return { kind: 'memory', engine: new PubSub(), close: async () => {} };
  // After start-up ioredis reconnects (and resubscribes) by itself; its errors meanwhile are reported, not thrown.
  const connect = () => new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 }).on('error', onError);
  const publisher = connect();
  const subscriber = connect();
  try {
    await Promise.all([publisher.connect(), subscriber.connect()]);
  } catch (error) {
    publisher.disconnect();
    subscriber.disconnect();
    throw new Error(`Cannot reach Redis at ${redacted(redisUrl)}: ${(error as Error).message}`);
  }
  const engine = new RedisPubSub({ publisher, subscriber, reviver: reviveDates });
  return {
    kind: 'redis',
    engine,
    close: async () => {
      await engine.close();
    },
  };
}

function redacted(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
