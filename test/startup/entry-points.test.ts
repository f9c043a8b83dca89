/**
 * Every built entry point (`npm run build` first) answers --help and --version at once, without reading a
 * database or opening a port; the server and the worker refuse anything else in one line (exit 64) instead
 * of starting with the argument ignored.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../src/db/local-server.js';
import { cleanEnv } from '../helpers/processes.js';

const root = join(import.meta.dirname, '..', '..');
const version: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

const ENTRY_POINTS = [
  { script: 'main.js', name: 'service-monitor', usage: /usage: node dist\/src\/main\.js/ },
  { script: 'worker.js', name: 'service-monitor worker', usage: /usage: node dist\/src\/worker\.js/ },
  { script: 'bin/service-monitor-migrate.js', name: 'service-monitor-migrate', usage: /usage: service-monitor-migrate <config\.json>/ },
  { script: 'bin/service-monitor-doctor.js', name: 'service-monitor-doctor', usage: /usage: service-monitor-doctor/ },
  { script: 'bin/service-monitor-keys.js', name: 'service-monitor-keys', usage: /usage: service-monitor-keys create/ },
  { script: 'bin/service-monitor-inventory.js', name: 'service-monitor-inventory', usage: /usage: service-monitor-inventory export/ },
];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A database that records whether anything connected: MONGODB_URI of every run. */
let database: Server;
let connections = 0;
let env: Record<string, string>;
const scratch = mkdtempSync(join(tmpdir(), 'service-monitor-entry-points-'));
const dataDir = join(scratch, 'data');

beforeAll(async () => {
  database = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => database.listen(0, '127.0.0.1', resolve));
  const { port } = database.address() as { port: number };
  env = { ...cleanEnv, MONGODB_URI: `mongodb://127.0.0.1:${port}/`, DATA_DIR: dataDir, PORT: String(await freePort()), EMBEDDED_DB: 'mongo-java-server' };
});
afterAll(async () => {
  await new Promise((resolve) => database.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

function run(script: string, args: string[]): Promise<Run> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'dist', 'src', script), ...args], { env, cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(killer);
      resolve({ status, stdout: stdout.join(''), stderr: stderr.join(''), ms: performance.now() - started });
    }),
  );
}

/** Nothing was started: no connection to the database, no embedded database folder, nothing logged. */
function expectNothingStarted(result: Run) {
  expect(connections).toBe(0);
  expect(existsSync(dataDir)).toBe(false);
  expect(result.stderr).not.toMatch(/listening|embedded database|database connected/);
}

describe.each(ENTRY_POINTS)('$script', ({ script, name, usage }) => {
  test('--help prints the usage and where the settings come from, exits 0 at once', async () => {
    const result = await run(script, ['--help']);
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).toMatch(usage);
    expect(result.stdout).toMatch(/\.env/);
    expect(result.stdout).toMatch(/README\.md, "Configuration"/);
    // About half a second for the command-line tools, which load their modules first; 0.1 s for the server.
    expect(result.ms).toBeLessThan(5_000);
    expectNothingStarted(result);
  });

  test('--version prints the package version, exits 0 at once', async () => {
    const result = await run(script, ['--version']);
    expect(result).toMatchObject({ status: 0, stdout: `${name} ${version}\n`, stderr: '' });
    expect(result.ms).toBeLessThan(5_000);
    expectNothingStarted(result);
  });
});

describe('the server and the worker take settings from the environment only', () => {
  test('--help lists every setting with its default; the worker says it is the worker', async () => {
    const server = await run('main.js', ['-h']);
    expect(server.stdout).toMatch(/^service-monitor \S+: the GraphQL API and the checks/);
    expect(server.stdout).toMatch(/^ {2}PORT +4000$/m);
    expect(server.stdout).toMatch(/^ {2}DEFAULT_CHECK_INTERVAL +60$/m);
    expect(server.stdout).toMatch(/^ {2}MAX_RECOVERY_ATTEMPTS +3$/m);
    const worker = await run('worker.js', ['-h']);
    expect(worker.stdout).toMatch(/^service-monitor worker \S+: the checks only, no HTTP/);
    expect(worker.stdout).toMatch(/\(or: npm run worker\)/);
  });

  test.each([
    ['main.js', ['--port=5000'], "service-monitor: unknown option '--port' (settings are environment variables: set PORT)\n"],
    ['main.js', ['--verbose'], "service-monitor: unknown option '--verbose' (it takes --help and --version; settings are environment variables)\n"],
    ['main.js', ['serve'], "service-monitor: unexpected argument 'serve' (it takes --help and --version; settings are environment variables)\n"],
    ['worker.js', ['--log-level', 'debug'], "service-monitor worker: unknown option '--log-level' (settings are environment variables: set LOG_LEVEL)\n"],
  ])('%s %j: one line, exit 64 (EX_USAGE), nothing started', async (script, args, line) => {
    const result = await run(script, args);
    expect(result).toMatchObject({ status: 64, stdout: '', stderr: line });
    expectNothingStarted(result);
  });
});

describe('the command-line tools', () => {
  test('warn of a mistyped setting on stderr before they run (here: a migration whose file is missing, so nothing is opened)', async () => {
    const saved = env;
    env = { ...env, MONGODB_URL: 'mongodb://db.example.net/' };
    try {
      const result = await run('bin/service-monitor-migrate.js', ['missing-config.json']);
      expect(result.status).toBe(2);
      expect(result.stderr.split('\n')[0]).toBe('service-monitor-migrate: warning: unknown setting MONGODB_URL (did you mean MONGODB_URI?)');
      expect(result.stderr).toMatch(/cannot read missing-config\.json/);
      expectNothingStarted(result);
    } finally {
      env = saved;
    }
  });
});
