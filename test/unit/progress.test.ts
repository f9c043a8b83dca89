import { expect, test } from 'vitest';
import { lineReporter, PROGRESS_LINE_EVERY_MS } from '../../src/cli/progress.js';

test('without a terminal: a line at most every few seconds, and always the end of each phase', () => {
  let clock = 0;
  const lines: string[] = [];
  const { listener } = lineReporter((line) => lines.push(line), () => clock);
  listener({ phase: 'validating', done: 0, total: 3000 });
  clock += 1_000;
  listener({ phase: 'validating', done: 1000, total: 3000 });
  clock += PROGRESS_LINE_EVERY_MS;
  listener({ phase: 'validating', done: 2000, total: 3000 });
  clock += 100;
  listener({ phase: 'validating', done: 3000, total: 3000 });
  listener({ phase: 'services', done: 1000, total: 1000 });
  expect(lines).toEqual(['checking targets: 2000 of 3000 (6.0 s)', 'checking targets: 3000 of 3000, done (6.1 s)', 'writing services: 1000 of 1000, done (6.1 s)']);
});
