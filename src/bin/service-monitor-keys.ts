#!/usr/bin/env node
import { keysCommand } from '../cli/keys.js';

keysCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`service-monitor-keys: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
