import { basename, dirname } from 'node:path';
import mongoose from 'mongoose';
import { afterAll, beforeAll, beforeEach, expect, inject } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { detectCapabilities, type DatabaseCapabilities } from '../../src/db/capabilities.js';
import { connectDatabase, disconnectDatabase } from '../../src/db/connection.js';
import { ensureIndexes, models } from '../../src/db/indexes.js';

export interface TestDatabase {
  readonly name: string;
  readonly uri: string;
  readonly capabilities: DatabaseCapabilities;
  readonly server: string;
  readonly db: mongoose.mongo.Db;
}

/**
 * Connects this test file to a database of its own on the run's server, with
 * every index created, and empties the collections before each test.
 */
export function useTestDatabase(testFile: string, options: { clearBeforeEach?: boolean } = {}): TestDatabase {
  const state = {} as { capabilities: DatabaseCapabilities; db: mongoose.mongo.Db };
  const file = `${basename(dirname(testFile))}_${basename(testFile).replace(/\.test\.ts$/, '')}`;
  const name = `t_${file.replace(/[^A-Za-z0-9]/g, '_')}_${process.pid}`.slice(0, 60);
  beforeAll(async () => {
    await connectDatabase(inject('mongoUri'), {
      mongodbDatabase: name,
      mongodbMaxPoolSize: 20,
      mongodbMinPoolSize: 0,
      mongodbMaxIdleTimeMs: 30_000,
      mongodbConnectTimeoutMs: 10_000,
    }, { monitorCommands: true });
    state.db = mongoose.connection.db!;
    await state.db.dropDatabase();
    await ensureIndexes(silentLogger);
    state.capabilities = await detectCapabilities(state.db);
  });
  if (options.clearBeforeEach ?? true) {
    beforeEach(async () => {
      await Promise.all(models.map((m) => m.collection.deleteMany({})));
    });
  }
  afterAll(async () => {
    await state.db?.dropDatabase().catch(() => {});
    await disconnectDatabase();
  });
  return {
    name,
    get uri() {
      return inject('mongoUri');
    },
    get capabilities() {
      return state.capabilities;
    },
    get db() {
      return state.db;
    },
    get server() {
      return inject('mongoServer');
    },
  };
}

/** Runs `work` and returns how many database commands of each name it sent (find, aggregate, insert...). */
export async function countCommands(work: () => Promise<unknown>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const client = mongoose.connection.getClient();
  const listener = (event: { commandName: string; command: Record<string, unknown> }) => {
    // The request's key is read once per KEY_CACHE_MS, not per request: what a query costs is counted without it.
    if (event.command[event.commandName] === 'api_keys') return;
    counts[event.commandName] = (counts[event.commandName] ?? 0) + 1;
  };
  client.on('commandStarted', listener);
  try {
    await work();
  } finally {
    client.off('commandStarted', listener);
  }
  return counts;
}

/** Awaits a promise expected to reject with a domain error of this code, and returns the error for further checks. */
export async function expectDomainError<T = Error>(promise: Promise<unknown>, code: string): Promise<T> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected a ${code} error`).toBeTruthy();
  expect((error as { code?: string }).code).toBe(code);
  return error as T;
}
