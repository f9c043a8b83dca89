/**
 * The built server process, started as an operator starts it: config errors,
 * an unreachable database, and the embedded database keeping data across runs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, test } from 'vitest';
import { freePort } from '../../src/db/local-server.js';

const mainJs = join(import.meta.dirname, '..', '..', 'dist', 'src', 'main.js');
const migrateJs = join(import.meta.dirname, '..', '..', 'dist', 'src', 'bin', 'service-monitor-migrate.js');
const fixture = join(import.meta.dirname, '..', 'fixtures', 'config.json');
// As an operator starts it: without vitest's NODE_ENV=test, which changes how libraries behave (Apollo's signal handling).
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith('MONGODB_') && key !== 'EMBEDDED_DB' && key !== 'NODE_ENV' && !key.startsWith('VITEST')),
);

describe('starting the server', () => {
  test('refuses bad configuration, listing every problem, with exit code 78', () => {
    const run = spawnSync(process.execPath, [mainJs], {
      encoding: 'utf8',
      env: { ...cleanEnv, MONGODB_URI: 'postgres://nope', HISTORY_RETENTION_DAYS: 'forever', LOG_LEVEL: 'loud' },
    });
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('Invalid configuration:');
    expect(run.stderr).toContain('MONGODB_URI must start with mongodb:// or mongodb+srv://');
    expect(run.stderr).toContain("HISTORY_RETENTION_DAYS must be a whole number, got 'forever'");
    expect(run.stderr).toContain('LOG_LEVEL must be one of debug, info, warn, error');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  test('gives up on an unreachable database with a clear message and exit code 69', async () => {
    const port = await freePort();
    const run = spawnSync(process.execPath, [mainJs], {
      encoding: 'utf8',
      env: { ...cleanEnv, MONGODB_URI: `mongodb://user:s3cret@127.0.0.1:${port}/`, MONGODB_CONNECT_TIMEOUT_MS: '500' },
      timeout: 30_000,
    });
    expect(run.status).toBe(69);
    expect(run.stderr).toContain(`Cannot reach MongoDB at mongodb://user:***@127.0.0.1:${port}/`);
    expect(run.stderr).not.toContain('s3cret');
  });

  test('gives up on an unreachable Redis (REDIS_URL) with a clear message and exit code 69', async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'service-monitor-redis-down-'));
    const run = spawnSync(process.execPath, [mainJs], {
      encoding: 'utf8',
      env: { ...cleanEnv, DATA_DIR: dataDir, EMBEDDED_DB: 'mongo-java-server', EMBEDDED_DB_PORT: String(await freePort()), REDIS_URL: `redis://:s3cret@127.0.0.1:${port}/0` },
      timeout: 30_000,
    });
    rmSync(dataDir, { recursive: true, force: true });
    expect(run.status).toBe(69);
    expect(run.stderr).toContain(`Cannot reach Redis at redis://***@127.0.0.1:${port}/0`);
    expect(run.stderr).not.toContain('s3cret');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the embedded database (MONGODB_URI unset)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'service-monitor-data-'));
  const started: ChildProcess[] = [];
  // A failed assertion must not leave a server (and its database) running after the tests.
  afterAll(() => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function startServer(port: number) {
    const httpPort = await freePort();
    const child = spawn(process.execPath, [mainJs], {
      env: { ...cleanEnv, DATA_DIR: dataDir, EMBEDDED_DB: 'mongo-java-server', EMBEDDED_DB_PORT: String(port), PORT: String(httpPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    const lines: string[] = [];
    const stdout: string[] = [];
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${lines.join('\n')}`)));
      createInterface({ input: child.stderr! }).on('line', (line) => {
        lines.push(line);
        if (line.includes('API listening')) resolve();
      });
    });
    const stop = () =>
      new Promise<number | null>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      });
    const url = `http://127.0.0.1:${httpPort}`;
    return { lines, stdout: () => stdout.join(''), url, stop };
  }

  const migrate = (port: number) =>
    spawnSync(process.execPath, [migrateJs, fixture, '--environment', 'production', '--json'], {
      encoding: 'utf8',
      env: { ...cleanEnv, DATA_DIR: dataDir, EMBEDDED_DB: 'mongo-java-server', EMBEDDED_DB_PORT: String(port), LOG_LEVEL: 'warn' },
      timeout: 60_000,
    });

  test('logs which server runs, keeps data under DATA_DIR between runs, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const first = await startServer(port);
    const started = first.lines.filter((line) => line.includes('embedded database running'));
    expect(started, 'one line says which embedded database this start got and what it is fit for').toHaveLength(1);
    expect(started[0]).toMatch(/"engine":"mongo-java-server","fitFor":"a MongoDB-compatible substitute.*"msg":"embedded database running"/);
    const firstKey = /smk_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/.exec(first.stdout())?.[0];
    expect(firstKey, 'the first start prints an admin key').toBeTruthy();
    const viewer = await fetch(`${first.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${firstKey}` },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    expect(await viewer.json()).toEqual({ data: { viewer: { role: 'ADMIN' } } });
    expect(await (await fetch(`${first.url}/readyz`)).json()).toEqual({ status: 'ready' });
    const imported = migrate(port);
    expect(imported.status).toBe(0);
    expect(JSON.parse(imported.stdout).hosts.created).toBe(3);
    expect(await first.stop()).toBe(0);

    const second = await startServer(port);
    expect(second.stdout(), 'a key exists now, so none is printed').not.toMatch(/smk_/);
    const again = migrate(port);
    expect(JSON.parse(again.stdout)).toMatchObject({ hosts: { created: 0, unchanged: 3 }, services: { created: 0, unchanged: 4 } });

    // A request in flight when SIGTERM arrives still gets its whole answer.
    const targets = Array.from({ length: 150 }, (_, i) => ({
      name: `bulk-${i}`, host: `10.77.${Math.floor(i / 250)}.${(i % 250) + 1}`, ssh: { user: 'ubuntu', port: 22 }, service: 'nginx.service', method: 'ssh',
    }));
    const inFlight = fetch(`${second.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${firstKey}` },
      body: JSON.stringify({
        query: 'mutation($input: ImportConfigInput!) { importConfig(input: $input) { hosts { created } } }',
        variables: { input: { config: { targets }, environment: 'PRODUCTION', region: 'bulk' } },
      }),
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const exitCode = second.stop();
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ data: { importConfig: { hosts: { created: 150 } } } });
    expect(await exitCode).toBe(0);
    await expect(fetch(`${second.url}/healthz`)).rejects.toThrow();
    // Two server starts and two CLI runs: ~17 s alone, more on a machine shared with other test runs.
  }, 60_000);
});
