import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/common/logger.js';
import { startEmbeddedDatabase } from '../../src/db/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
    /** `external` (MONGODB_URI), or the embedded engine the tests started. */
    mongoServer: string;
  }
}

/**
 * One database server for the whole run, found the way the app finds one:
 * MONGODB_URI if set, else the embedded chain (EMBEDDED_DB picks an engine).
 * Each test file then works in a database of its own on it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = loadConfig();
  const logger = createLogger('warn');
  if (config.mongodbUri) {
    project.provide('mongoUri', config.mongodbUri);
    project.provide('mongoServer', 'external');
    return async () => {};
  }
  const started = Date.now();
  const database = await startEmbeddedDatabase({ engine: config.embeddedDatabase, logger, changeStreams: true });
  process.stderr.write(`test database: ${database.engine} at ${database.uri} (started in ${Date.now() - started} ms)\n`);
  project.provide('mongoUri', database.uri);
  project.provide('mongoServer', database.engine);
  return () => database.stop();
}
