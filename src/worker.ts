// A process that only runs checks: the same start-up as main.ts with PROCESS_MODE=worker.
import { answerServerCommandLine } from './bin/command-line.js';

const answered = answerServerCommandLine(process.argv.slice(2), {
  name: 'service-monitor worker',
  runs: 'the checks only, no HTTP (PROCESS_MODE=worker); run as many as the checks need, on one database.',
  script: 'dist/src/worker.js',
  npmScript: 'npm run worker',
});
if (answered === null) {
  process.env.PROCESS_MODE = 'worker';
  await import('./main.js');
} else {
  process.exitCode = answered;
}
