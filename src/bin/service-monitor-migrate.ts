#!/usr/bin/env node
import { migrateConfigCommand } from '../cli/migrate-config.js';

migrateConfigCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`service-monitor-migrate: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
