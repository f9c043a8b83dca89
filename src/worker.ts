// A process that only runs checks: the same start-up as main.ts with PROCESS_MODE=worker.
process.env.PROCESS_MODE = 'worker';
await import('./main.js');
