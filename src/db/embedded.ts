import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EmbeddedDatabaseEngine } from '../config/config.js';
import type { Logger } from '../common/logger.js';
import { startLocalServer, type LocalServerKind, type RunningServer } from './local-server.js';

export interface EmbeddedDatabase {
  readonly uri: string;
  readonly engine: Exclude<EmbeddedDatabaseEngine, 'auto'>;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  engine: EmbeddedDatabaseEngine;
  /** Keep data here between runs; omitted: in memory, gone on stop (tests). */
  dataDir?: string;
  /** Omitted: any free port. */
  port?: number;
  logger: Logger;
  /** Ask for change-stream support where it costs memory (mongo-java-server's oplog): tests only. */
  changeStreams?: boolean;
}

/**
 * Starts a database inside this process tree: mongodb-memory-server's real
 * mongod where it can be had, otherwise the MongoDB-compatible server chosen
 * for machines that cannot download mongod (see README, "Database servers").
 */
export async function startEmbeddedDatabase(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const { engine, logger } = options;
  if (engine === 'mongodb-memory-server' || engine === 'auto') {
    try {
      return await startMongodbMemoryServer(options.dataDir, options.port);
    } catch (error) {
      if (engine !== 'auto') throw error;
      logger.warn('mongodb-memory-server unavailable, falling back to mongo-java-server', { reason: firstLine(error) });
    }
  }
  const kind: LocalServerKind = engine === 'ferretdb' ? 'ferretdb' : 'mongo-java-server';
  const server: RunningServer = await startLocalServer(kind, {
    dataDir: options.dataDir && join(options.dataDir, kind),
    port: options.port,
    changeStreams: options.changeStreams,
  });
  return { uri: server.uri, engine: kind, stop: () => server.stop() };
}

/** An embedded database another process of ours already runs on this port, if any. */
export async function findRunningEmbeddedDatabase(port: number): Promise<string | null> {
  const uri = `mongodb://127.0.0.1:${port}/`;
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 500, connectTimeoutMS: 500 });
  try {
    await client.db('admin').command({ ping: 1 });
    return uri;
  } catch {
    return null;
  } finally {
    await client.close().catch(() => {});
  }
}

async function startMongodbMemoryServer(dataDir: string | undefined, port: number | undefined): Promise<EmbeddedDatabase> {
  // A download that cannot succeed should fail fast: the fallback is ready.
  process.env.MONGOMS_MAX_RETRIES ??= '1';
  const { MongoMemoryServer } = await import('mongodb-memory-server');
  if (dataDir) mkdirSync(join(dataDir, 'mongod'), { recursive: true });
  const server = await MongoMemoryServer.create({
    instance: { port, ...(dataDir ? { dbPath: join(dataDir, 'mongod'), storageEngine: 'wiredTiger' as const } : {}) },
  });
  return {
    uri: server.getUri(),
    engine: 'mongodb-memory-server',
    stop: async () => {
      await server.stop({ doCleanup: !dataDir });
    },
  };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
