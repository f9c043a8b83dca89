import mongoose from 'mongoose';
import type { Config } from '../config/config.js';

export class DatabaseUnreachableError extends Error {
  constructor(uri: string, cause: unknown) {
    super(`Cannot reach MongoDB at ${redactUri(uri)}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'DatabaseUnreachableError';
  }
}

/** Hides the password of `mongodb://user:secret@host` before the URI reaches a log. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}

type ConnectionSettings = Pick<
  Config,
  'mongodbDatabase' | 'mongodbMaxPoolSize' | 'mongodbMinPoolSize' | 'mongodbMaxIdleTimeMs' | 'mongodbConnectTimeoutMs'
>;

/**
 * Connects the process-wide mongoose connection (models are bound to it) and
 * proves the server answers before returning.
 */
export async function connectDatabase(
  uri: string,
  settings: ConnectionSettings,
  driverOptions: Pick<mongoose.ConnectOptions, 'monitorCommands'> = {},
): Promise<mongoose.Connection> {
  try {
    await mongoose.connect(uri, {
      dbName: settings.mongodbDatabase,
      maxPoolSize: settings.mongodbMaxPoolSize,
      minPoolSize: settings.mongodbMinPoolSize,
      maxIdleTimeMS: settings.mongodbMaxIdleTimeMs,
      serverSelectionTimeoutMS: settings.mongodbConnectTimeoutMs,
      // Indexes are created once, explicitly, by ensureIndexes; not lazily per model.
      autoIndex: false,
      autoCreate: false,
      ...driverOptions,
    });
    await mongoose.connection.db!.command({ ping: 1 });
    return mongoose.connection;
  } catch (error) {
    await mongoose.disconnect().catch(() => {});
    throw new DatabaseUnreachableError(uri, error);
  }
}

export async function disconnectDatabase(): Promise<void> {
  await mongoose.disconnect();
}

/** Resolves when the database answers a ping within `timeoutMs`. */
export async function pingDatabase(timeoutMs = 2000): Promise<void> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('not connected');
  await db.command({ ping: 1 }, { timeoutMS: timeoutMs });
}
