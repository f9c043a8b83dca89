#!/usr/bin/env node
import { migrateConfigCommand } from '../cli/migrate-config.js';
import { prepareCliEnvironment } from './command-line.js';

const argv = process.argv.slice(2);
if (!prepareCliEnvironment('service-monitor-migrate', argv)) process.exit(2);
migrateConfigCommand(argv).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`service-monitor-migrate: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
