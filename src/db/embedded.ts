import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EmbeddedDatabaseEngine } from '../config/config.js';
import type { Logger } from '../common/logger.js';
import { freePort, startLocalServer, type LocalServerKind, type RunningServer } from './local-server.js';

export interface EmbeddedDatabase {
  readonly uri: string;
  readonly engine: Exclude<EmbeddedDatabaseEngine, 'auto'>;
  /** The database process's id (the current one, after a restart); undefined for mongodb-memory-server. */
  pid(): number | undefined;
  /** What is wrong with it now, if anything (restarting after a crash), for /readyz. */
  problem(): string | null;
  stop(): Promise<void>;
}

export interface Supervision {
  /** Restarts tried after the database process dies, before giving up. */
  maxRestarts: number;
  /** First pause before a restart; doubled after each failed one (at most 10 s). */
  backoffMs: number;
  /** Called once when no restart succeeded: the process should exit non-zero with this line. */
  giveUp(message: string): void;
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
  /** Restart the database process (same port, same data folder) when it dies; omitted: nobody does. */
  supervision?: Supervision;
}

/**
 * What each embedded database is fit for, in one phrase for the start-up line, so an operator knows which
 * one a start got and where its limits lie (measured: README, "Database servers").
 */
export const EMBEDDED_FITNESS: Record<EmbeddedDatabase['engine'], string> = {
  'mongodb-memory-server': 'a real mongod: fit for any fleet this machine can hold',
  'mongo-java-server':
    'a MongoDB-compatible substitute (indexed, durable H2 file): fit for trials, CI and offline installs up to about 5,000 services every 20 s and a million history entries (measured on 2 cores); use MongoDB (MONGODB_URI) beyond',
  ferretdb: 'for comparison only: it loses Agenda job locks and miscounts aggregations; not for real use',
};

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
      logger.warn('mongodb-memory-server unavailable, falling back to mongo-java-server', { reason: oneLine(error) });
    }
  }
  const kind: LocalServerKind = engine === 'ferretdb' ? 'ferretdb' : 'mongo-java-server';
  const serverOptions = {
    dataDir: options.dataDir && join(options.dataDir, kind),
    port: options.port ?? (await freePort()),
    changeStreams: options.changeStreams,
  };
  let server: RunningServer = await startLocalServer(kind, serverOptions);
  let stopped = false;
  let restarting: { since: number; attempt: number } | null = null;

  /** The process died on its own: start it again on the same port and folder (the driver reconnects by itself). */
  const restart = async (code: number | null, signal: NodeJS.Signals | null) => {
    const { supervision } = options;
    const previousPid = server.pid;
    logger.error('embedded database process exited', { engine: kind, pid: previousPid, code, signal, port: serverOptions.port, dataDir: serverOptions.dataDir });
    if (!supervision) return;
    restarting = { since: Date.now(), attempt: 0 };
    let delay = supervision.backoffMs;
    let reason = '';
    for (let attempt = 1; attempt <= supervision.maxRestarts; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 10_000);
      if (stopped) return;
      restarting.attempt = attempt;
      try {
        server = await startLocalServer(kind, { ...serverOptions, startTimeoutMs: 30_000 });
      } catch (error) {
        reason = firstLine(error);
        logger.warn('embedded database restart failed', { engine: kind, attempt, of: supervision.maxRestarts, port: serverOptions.port, reason });
        continue;
      }
      if (stopped) {
        await server.stop();
        return;
      }
      logger.warn('embedded database restarted', {
        engine: kind,
        pid: server.pid,
        previousPid,
        attempt,
        downMs: Date.now() - restarting.since,
        port: serverOptions.port,
        dataDir: serverOptions.dataDir,
      });
      restarting = null;
      server.onUnexpectedExit((nextCode, nextSignal) => void restart(nextCode, nextSignal));
      return;
    }
    supervision.giveUp(
      `The embedded database (${kind}, port ${serverOptions.port}, pid ${previousPid}) died and could not be restarted after ${supervision.maxRestarts} attempts (last: ${reason}); exiting so a supervisor restarts the service.`,
    );
  };
  server.onUnexpectedExit((code, signal) => void restart(code, signal));

  return {
    uri: server.uri,
    engine: kind,
    pid: () => (restarting ? undefined : server.pid),
    problem: () => (restarting ? `the ${kind} process died ${Math.round((Date.now() - restarting.since) / 1000)} s ago; restart attempt ${restarting.attempt}` : null),
    stop: () => {
      stopped = true;
      return server.stop();
    },
  };
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
  const server = await withoutStartFailureDump(() =>
    MongoMemoryServer.create({
      instance: { port, ...(dataDir ? { dbPath: join(dataDir, 'mongod'), storageEngine: 'wiredTiger' as const } : {}) },
    }),
  );
  return {
    uri: server.getUri(),
    engine: 'mongodb-memory-server',
    pid: () => undefined,
    problem: () => null,
    stop: async () => {
      await server.stop({ doCleanup: !dataDir });
    },
  };
}

/**
 * MongoMemoryServer.create prints any failure to start (offline: the failed download of mongod) with its whole
 * stack on console.warn before throwing it, unless its debug log is on, which prints more. The error is thrown
 * to us anyway and told in one line (the fallback's WARN), so that dump alone is held back while create runs.
 */
async function withoutStartFailureDump<T>(start: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('Starting the MongoMemoryServer Instance failed')) return;
    warn.apply(console, args);
  };
  try {
    return await start();
  } finally {
    console.warn = warn;
  }
}

/** The whole message on one line: mongodb-memory-server puts the cause of a failed download on the next. */
function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ').trim().slice(0, 500);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
