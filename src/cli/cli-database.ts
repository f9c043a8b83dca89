import { ConfigError, loadConfig, type Config } from '../config/config.js';
import { createLogger, type Logger } from '../common/logger.js';
import { NoDatabaseError, openDatabase, type OpenDatabase } from '../db/database.js';

export interface CliDatabase {
  config: Config;
  logger: Logger;
  database: OpenDatabase;
}

/**
 * What every command-line tool starts with: the settings from `env` (as the server reads them), a logger that
 * keeps stdout for the tool's own output, and the database. A bad setting or an unreachable database is the
 * one line `problem` for the tool to print; anything else is a fault and is thrown.
 */
export async function openCliDatabase(env: NodeJS.ProcessEnv, options: { startEmbedded?: boolean; ownDatabaseFlag?: string } = {}): Promise<CliDatabase | { problem: string }> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return { problem: error.message };
    throw error;
  }
  const logger = createLogger(config.logLevel === 'debug' ? 'debug' : 'warn');
  try {
    return { config, logger, database: await openDatabase(config, logger, undefined, options.startEmbedded ?? true) };
  } catch (error) {
    const hint = error instanceof NoDatabaseError && options.ownDatabaseFlag ? ` Or pass ${options.ownDatabaseFlag} to start an embedded database with its data in ${error.dataDir}.` : '';
    return { problem: `${(error as Error).message}${hint}` };
  }
}
