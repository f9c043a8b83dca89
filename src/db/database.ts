import mongoose from 'mongoose';
import type { Config } from '../config/config.js';
import type { Logger } from '../common/logger.js';
import { detectCapabilities, type DatabaseCapabilities } from './capabilities.js';
import { connectDatabase, disconnectDatabase, redactUri } from './connection.js';
import { findRunningEmbeddedDatabase, startEmbeddedDatabase, type EmbeddedDatabase } from './embedded.js';
import { ensureIndexes } from './indexes.js';

export type DatabaseSettings = Pick<
  Config,
  | 'mongodbUri'
  | 'mongodbDatabase'
  | 'mongodbMaxPoolSize'
  | 'mongodbMinPoolSize'
  | 'mongodbMaxIdleTimeMs'
  | 'mongodbConnectTimeoutMs'
  | 'embeddedDatabase'
  | 'embeddedDatabasePort'
  | 'dataDir'
>;

export interface OpenDatabase {
  readonly capabilities: DatabaseCapabilities;
  /** Which server: `external` when MONGODB_URI named one. */
  readonly server: string;
  close(): Promise<void>;
}

/** Connects to MONGODB_URI, or starts the embedded database; then creates indexes and learns what the server can do. */
export async function openDatabase(settings: DatabaseSettings, logger: Logger): Promise<OpenDatabase> {
  let embedded: EmbeddedDatabase | undefined;
  let uri = settings.mongodbUri ?? (await findRunningEmbeddedDatabase(settings.embeddedDatabasePort));
  if (!settings.mongodbUri && uri) logger.info('using the embedded database another process runs', { uri });
  if (!uri) {
    embedded = await startEmbeddedDatabase({
      engine: settings.embeddedDatabase,
      dataDir: settings.dataDir,
      port: settings.embeddedDatabasePort,
      logger,
    });
    logger.info('embedded database running', { engine: embedded.engine, uri: embedded.uri, dataDir: settings.dataDir });
    uri = embedded.uri;
  }
  try {
    await connectDatabase(uri, settings);
    await ensureIndexes(logger);
    const capabilities = await detectCapabilities(mongoose.connection.db!);
    logger.info('database connected', { uri: redactUri(uri), database: settings.mongodbDatabase, ...capabilities });
    return {
      capabilities,
      server: embedded?.engine ?? (settings.mongodbUri ? 'external' : 'embedded (shared)'),
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
