import mongoose from 'mongoose';
import { watchCommandTimes } from './command-timing.js';
import type { Config } from '../config/config.js';
import { throttledLog } from '../common/log-throttle.js';
import type { Logger } from '../common/logger.js';
import { detectCapabilities, type DatabaseCapabilities } from './capabilities.js';
import { connectDatabase, disconnectDatabase, redactUri } from './connection.js';
import { EMBEDDED_FITNESS, findRunningEmbeddedDatabase, startEmbeddedDatabase, type EmbeddedDatabase } from './embedded.js';
import { ensureIndexes } from './indexes.js';

export type DatabaseSettings = Pick<
  Config,
  | 'mongodbUri'
  | 'mongodbDatabase'
  | 'mongodbMaxPoolSize'
  | 'mongodbMinPoolSize'
  | 'mongodbMaxIdleTimeMs'
  | 'mongodbConnectTimeoutMs'
  | 'dbSlowCommandMs'
  | 'embeddedDatabase'
  | 'embeddedDatabasePort'
  | 'embeddedDatabaseRestarts'
  | 'embeddedDatabaseRestartBackoffMs'
  | 'dataDir'
>;

export interface OpenDatabase {
  readonly capabilities: DatabaseCapabilities;
  /** Which server: `external` when MONGODB_URI named one. */
  readonly server: string;
  /** Where it is, for people: the URI without credentials, the database, and whose server it is. */
  readonly where: string;
  /** What is wrong with the embedded database this process runs, if anything (it died and is being restarted). */
  embeddedProblem(): string | null;
  close(): Promise<void>;
}

/** No MONGODB_URI, no embedded database running, and the caller would rather not start one (a CLI writing data). */
export class NoDatabaseError extends Error {
  constructor(
    port: number,
    readonly dataDir: string,
  ) {
    super(`no database to use: MONGODB_URI is not set and no server's embedded database answers on 127.0.0.1:${port} (EMBEDDED_DB_PORT). Start the server first (npm start) or set MONGODB_URI.`);
  }
}

/** Connects to MONGODB_URI, or starts the embedded database; then creates indexes and learns what the server can do. */
export async function openDatabase(
  settings: DatabaseSettings,
  logger: Logger,
  /** Called when the embedded database died and could not be restarted: the process should exit non-zero. */
  giveUp: (message: string) => void = () => {},
  /** false: when no MONGODB_URI is set and no other process runs the embedded database, fail instead of starting one. */
  startEmbedded = true,
): Promise<OpenDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  let uri = settings.mongodbUri ?? (await findRunningEmbeddedDatabase(settings.embeddedDatabasePort));
  if (!settings.mongodbUri && uri) logger.info('using the embedded database another process runs', { uri });
  if (!uri && !startEmbedded) throw new NoDatabaseError(settings.embeddedDatabasePort, settings.dataDir);
  if (!uri) {
    embedded = await startEmbeddedDatabase({
      engine: settings.embeddedDatabase,
      dataDir: settings.dataDir,
      port: settings.embeddedDatabasePort,
      logger,
      supervision: { maxRestarts: settings.embeddedDatabaseRestarts, backoffMs: settings.embeddedDatabaseRestartBackoffMs, giveUp },
    });
    logger.info('embedded database running', { engine: embedded.engine, fitFor: EMBEDDED_FITNESS[embedded.engine], uri: embedded.uri, dataDir: settings.dataDir, pid: embedded.pid() });
    uri = embedded.uri;
  }
  try {
    await connectDatabase(uri, settings, { monitorCommands: true });
    const slow = throttledLog(logger, 'slow database commands');
    watchCommandTimes(mongoose.connection.getClient(), (timing) => {
      if (timing.durationMs >= settings.dbSlowCommandMs) slow.warn('slow database command', { ...timing, durationMs: Math.round(timing.durationMs) });
    });
    await ensureIndexes(logger);
    const capabilities = await detectCapabilities(mongoose.connection.db!);
    logger.info('database connected', { uri: redactUri(uri), database: settings.mongodbDatabase, ...capabilities });
    return {
      capabilities,
      server: embedded?.engine ?? (settings.mongodbUri ? 'external' : 'embedded (shared)'),
      where: `${redactUri(uri)} (${embedded ? `an embedded ${embedded.engine} started here, data in ${settings.dataDir}` : settings.mongodbUri ? 'MONGODB_URI' : "the server's embedded database"}), database ${settings.mongodbDatabase}`,
      embeddedProblem: () => embedded?.problem() ?? null,
      close: async () => {
        await disconnectDatabase();
        await embedded?.stop();
      },
    };
  } catch (error) {
    await disconnectDatabase().catch(() => {});
    await embedded?.stop();
    throw error;
  }
}
