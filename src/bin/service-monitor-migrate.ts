#!/usr/bin/env node
import { migrateConfigCommand } from '../cli/migrate-config.js';
import { prepareCliEnvironment } from './command-line.js';

/**
 * process.exit() drops whatever a pipe has not taken yet (a --json summary was cut at 128 KiB): leave once
 * stdout and stderr have handed everything to the OS. Exiting, rather than waiting for the event loop to
 * empty, keeps a database handle left open from holding the command after its work is done.
 */
function exitAfterOutput(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const flushed = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
}

// A reader that stops early (`| head`) closes the pipe: the rest has nowhere to go, which is no failure of the
// import; without this, the import's result would end in a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});

const argv = process.argv.slice(2);
if (!prepareCliEnvironment('service-monitor-migrate', argv)) exitAfterOutput(2);
else {
  migrateConfigCommand(argv).then(exitAfterOutput, (error: unknown) => {
    process.stderr.write(`service-monitor-migrate: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
    exitAfterOutput(2);
  });
}
