#!/usr/bin/env node
import { dbDoctorCommand } from '../cli/db-doctor.js';

dbDoctorCommand(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`service-monitor-doctor: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  },
);
