import 'reflect-metadata';
import { ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './common/logger.js';
import { pingDatabase } from './db/connection.js';
import { openDatabase } from './db/database.js';
import { startApiServer } from './http/api-server.js';
import { ApiKeyService } from './modules/auth/api-key.service.js';
import { startRetentionSweep } from './modules/history/retention.js';
import { createDomain } from './modules/domain.js';

/** Starts the API process: config -> database -> domain -> HTTP (the scheduler attaches here). */
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
  const apiKeys = new ApiKeyService();
  const firstKey = await apiKeys.issueFirstAdminKey();
  if (firstKey) {
    process.stdout.write(
      `\nNo API keys existed, so an admin key was created. It is shown this once:\n\n  ${firstKey.secret}\n\n` +
        `Use it as "Authorization: Bearer <key>"; create narrower keys with the createApiKey mutation.\n\n`,
    );
  }
  const stopSweep = database.capabilities.ttlMonitor
    ? () => {}
    : startRetentionSweep(domain.history, config.retentionSweepIntervalSec * 1000, logger);
  const api = await startApiServer({
    port: config.port,
    domain,
    apiKeys,
    pingDatabase: () => pingDatabase(),
    logger,
    maxDepth: config.graphqlMaxDepth,
    maxComplexity: config.graphqlMaxComplexity,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
  });
  logger.info('service-monitor API listening', { url: api.url.replace('127.0.0.1', 'localhost'), server: database.server });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down: finishing in-flight requests', { signal });
    await api.stop();
    stopSweep();
    await database.close();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

await main();
