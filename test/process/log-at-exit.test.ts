/**
 * A process that exits on purpose (the embedded database is gone for good) says why as its last log line:
 * lines still being written asynchronously when it decides to exit are written first, in order, none lost.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, test } from 'vitest';

const loggerModule = pathToFileURL(resolve('dist/src/common/logger.js')).href;

test('every line logged before exitAfterLogs is on stderr, in order, the exit reason last', async () => {
  // The one libuv thread is busy hashing, so the warning's asynchronous write is still queued when the exit is
  // decided (as on a loaded machine, where CI once saw the exit reason land before it).
  const script = `
    const { pbkdf2 } = await import('node:crypto');
    const { createLogger, exitAfterLogs } = await import(${JSON.stringify(loggerModule)});
    const logger = createLogger('info');
    pbkdf2('busy', 'salt', 200000, 64, 'sha512', () => {});
    for (let attempt = 1; attempt <= 3; attempt++) logger.warn('restart failed', { attempt });
    logger.error('could not be restarted; exiting');
    exitAfterLogs(69);
    setInterval(() => {}, 1000); // something still running, as in the server
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((done) => child.once('close', (exitCode) => done(exitCode)));

  expect(code).toBe(69);
  const lines = stderr.trimEnd().split('\n').map((line) => JSON.parse(line) as { msg: string; attempt?: number });
  expect(lines.map((line) => line.attempt ?? line.msg)).toEqual([1, 2, 3, 'could not be restarted; exiting']);
}, 30_000);
