import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './common/logger.js';
import { openDatabase } from './db/database.js';
import { startRetentionSweep } from './modules/history/retention.js';
import { createDomain } from './modules/domain.js';

/** Starts the process: config -> database -> domain. The HTTP API and the scheduler attach here. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config, logger).catch((error: Error) => {
    logger.error(error.message);
    process.exit(69); // EX_UNAVAILABLE
  });
  const domain = createDomain(config);
  const stopSweep = database.capabilities.ttlMonitor
    ? () => {}
    : startRetentionSweep(domain.history, config.retentionSweepIntervalSec * 1000, logger);
  logger.info('service-monitor data layer ready', { server: database.server });

  const shutdown = async (signal: string) => {
    logger.info('shutting down', { signal });
    stopSweep();
    await database.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

await main();
