#!/usr/bin/env node
import { dbDoctorCommand } from '../cli/db-doctor.js';
import { prepareCliEnvironment } from './command-line.js';

const argv = process.argv.slice(2);
if (!prepareCliEnvironment('service-monitor-doctor', argv)) process.exit(2);
dbDoctorCommand(argv).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`service-monitor-doctor: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
