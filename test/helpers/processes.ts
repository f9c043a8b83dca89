/**
 * Server processes as an operator starts them (`node dist/src/<script>`), all on
 * one embedded database folder of the test file's own; every one still running
 * is killed after the file's tests, even after a failed assertion.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll } from 'vitest';

const dist = join(import.meta.dirname, '..', '..', 'dist', 'src');

// Without vitest's NODE_ENV=test, which changes how libraries behave (Apollo's signal handling), and without
// the test run's database settings.
export const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith('MONGODB_') && key !== 'EMBEDDED_DB' && key !== 'NODE_ENV' && !key.startsWith('VITEST')),
);

export interface StartedProcess {
  child: ChildProcess;
  /** Resolves at the first stderr line matching `readyLine`; rejects, with what it logged, if the process exits first. */
  ready: Promise<void>;
  stdout(): string;
  stderr(): string;
}

export function useProcesses(name: string) {
  const children: ChildProcess[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), `service-monitor-${name}-`));
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  return {
    dataDir,
    start(script: string, env: Record<string, string>, readyLine: RegExp): StartedProcess {
      const child = spawn(process.execPath, [join(dist, script)], {
        env: { ...cleanEnv, DATA_DIR: dataDir, EMBEDDED_DB: 'mongo-java-server', LOG_LEVEL: 'info', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      const stdout: string[] = [];
      const stderr: string[] = [];
      child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
      const ready = new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${stderr.join('\n')}`)));
        createInterface({ input: child.stderr! }).on('line', (line) => {
          stderr.push(line);
          if (readyLine.test(line)) resolve();
        });
      });
      return { child, ready, stdout: () => stdout.join(''), stderr: () => stderr.join('\n') };
    },
  };
}

/** Reads until `accept` holds or `timeoutMs` has passed; returns the last value read, for the caller's assertion to show. */
export async function readUntil<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (accept(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
