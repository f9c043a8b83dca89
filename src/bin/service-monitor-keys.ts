#!/usr/bin/env node
import { keysCommand } from '../cli/keys.js';
import { prepareCliEnvironment } from './command-line.js';

const argv = process.argv.slice(2);
if (!prepareCliEnvironment('service-monitor-keys', argv)) process.exit(2);
keysCommand(argv).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`service-monitor-keys: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
