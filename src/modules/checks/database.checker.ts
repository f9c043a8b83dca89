import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Service } from '../services/service.model.js';
import { abortable, failed, failureKindOf, succeeded, type Checker, type CheckOutcome } from './checker.js';

/** Resolves when the server answered its protocol's ping; must close its connection when `signal` fires. */
type Ping = (url: URL, timeoutMs: number, signal: AbortSignal) => Promise<void>;

/** A protocol-level handshake and ping per database kind, with each kind's own client library. */
const pings: Record<string, Ping> = {
  'postgresql:': pingPostgres,
  'postgres:': pingPostgres,
  'mysql:': pingMysql,
  'redis:': pingRedis,
  'mongodb:': pingMongo,
};

export class DatabaseChecker implements Checker {
  readonly method = 'database' as const;

  constructor(private readonly timeoutMs: (service: Service) => number = (s) => s.monitoring.timeout_sec * 1000) {}

  async check(service: Service, _host: unknown, signal: AbortSignal): Promise<CheckOutcome> {
    const url = new URL(service.monitoring.target!);
    const ping = pings[url.protocol];
    if (!ping) return failed('unknown', `no database check for ${url.protocol}//`, 'definitive');
    try {
      await abortable(ping(url, this.timeoutMs(service), signal), signal);
      return succeeded();
    } catch (error) {
      if (signal.aborted) throw error;
      // Refused, reset or unreachable may pass; an answer (authentication refused, unknown database) is definitive.
      return failed('stopped', `${url.protocol.replace(':', '')} at ${url.host}: ${(error as Error).message}`, failureKindOf(error));
    }
  }
}

async function pingPostgres(url: URL, timeoutMs: number, _signal: AbortSignal): Promise<void> {
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => {});
  }
}

async function pingMysql(url: URL, timeoutMs: number, _signal: AbortSignal): Promise<void> {
  const connection = await mysql.createConnection({ uri: url.toString(), connectTimeout: timeoutMs });
  try {
    await connection.ping();
  } finally {
    await connection.end().catch(() => {});
  }
}

async function pingRedis(url: URL, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const client = new Redis(url.toString(), {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // ioredis reports the cause (ECONNREFUSED...) here and rejects with "Connection is closed".
  let cause: Error | undefined;
  client.on('error', (error: Error) => (cause ??= error));
  // A server that never answers would keep the connection forever: close it when the check gives up.
  const close = () => client.disconnect();
  signal.addEventListener('abort', close, { once: true });
  try {
    await client.connect();
    if ((await client.ping()) !== 'PONG') throw new Error('PING did not answer PONG');
  } catch (error) {
    throw cause ?? error;
  } finally {
    signal.removeEventListener('abort', close);
    client.disconnect();
  }
}

async function pingMongo(url: URL, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const client = new MongoClient(url.toString(), { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs, directConnection: true });
  // Server selection waits its whole timeout on a refused connection; the first failed heartbeat tells at once.
  const heartbeatFailed = new Promise<never>((_, reject) => {
    client.once('serverHeartbeatFailed', (event: { failure: Error }) => reject(event.failure));
  });
  heartbeatFailed.catch(() => {});
  const close = () => void client.close().catch(() => {});
  signal.addEventListener('abort', close, { once: true });
  try {
    await Promise.race([client.db('admin').command({ ping: 1 }), heartbeatFailed]);
  } finally {
    signal.removeEventListener('abort', close);
    await client.close().catch(() => {});
  }
}
