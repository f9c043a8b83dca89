/**
 * Issue 13 part 2: `service-monitor-migrate --json` piped to another program was cut at 131,072 bytes with
 * exit 0, the process exiting while the pipe still held the rest. Here the built CLI imports (dry run) a
 * 10,000-target config.json into a reader that takes its time, and the whole summary must arrive and parse.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { useTestDatabase } from '../helpers/database.js';
import { cleanEnv } from '../helpers/processes.js';

const migrateJs = join(import.meta.dirname, '..', '..', 'dist', 'src', 'bin', 'service-monitor-migrate.js');
const db = useTestDatabase(import.meta.filename);
const dir = mkdtempSync(join(tmpdir(), 'migrate-pipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOSTS = 100;
const UNITS_PER_HOST = 100;

/** 100 hosts with 100 units each; every 50th target has a bad SSH port, every 25th a field config.json does not have. */
function bigConfig() {
  const targets = Array.from({ length: HOSTS * UNITS_PER_HOST }, (_, i) => {
    const host = Math.floor(i / UNITS_PER_HOST);
    const target: Record<string, unknown> = {
      name: `bulk-${host}`,
      host: `10.88.${host}.1`,
      ssh: { user: 'ubuntu', port: i % 50 === 49 ? 70_000 : 22 },
      service: `unit-${i % UNITS_PER_HOST}.service`,
      method: 'ssh',
      interval_sec: 60,
    };
    if (i % 25 === 0) target.owner = 'team-db';
    return target;
  });
  return { targets };
}

/** Reads a pipe one chunk at a time with a pause after each, so the pipe stays full while the writer wants to leave. */
const SLOW_READER = `
  const chunks = [];
  process.stdin.on('data', (chunk) => {
    chunks.push(chunk);
    process.stdin.pause();
    setTimeout(() => process.stdin.resume(), 40);
  });
  process.stdin.on('end', () => process.stdout.write(Buffer.concat(chunks)));
`;

interface Piped {
  cliCode: number | null;
  stderr: string;
  received: string;
}

/** `service-monitor-migrate ... | slow reader`: both real processes joined by an OS pipe. */
function migrateIntoSlowReader(args: string[]): Promise<Piped> {
  return new Promise((resolve, reject) => {
    const cli = spawn(process.execPath, [migrateJs, ...args], {
      env: { ...cleanEnv, MONGODB_URI: db.uri, MONGODB_DATABASE: db.name, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const reader = spawn(process.execPath, ['-e', SLOW_READER], { stdio: [cli.stdout, 'pipe', 'inherit'] });
    let stderr = '';
    let received = '';
    cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    reader.stdout.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const cliExit = new Promise<number | null>((done) => cli.on('exit', (code) => done(code)));
    cli.on('error', reject);
    reader.on('error', reject);
    reader.on('close', () => void cliExit.then((cliCode) => resolve({ cliCode, stderr, received })));
  });
}

test('--json piped into a slow reader arrives whole: a 10,000-target summary parses and counts right', async () => {
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(bigConfig()));

  const run = await migrateIntoSlowReader([path, '--environment', 'staging', '--dry-run', '--json']);

  // stderr says where it reads and how far it got; nothing else.
  expect(run.stderr).toMatch(/^service-monitor-migrate: reading \(dry run, nothing written\) mongodb:\/\//);
  expect(run.stderr.split('\n').filter(Boolean).every((line) => line.startsWith('service-monitor-migrate: '))).toBe(true);
  expect(run.cliCode, 'some targets are rejected').toBe(1);
  expect(run.received.length, 'big enough to overflow a pipe several times').toBeGreaterThan(3 * 131_072);
  const summary = JSON.parse(run.received);
  const rejectedCount = (HOSTS * UNITS_PER_HOST) / 50;
  expect(summary).toMatchObject({
    dryRun: true,
    targets: HOSTS * UNITS_PER_HOST,
    hosts: { created: HOSTS, updated: 0, unchanged: 0 },
    services: { created: HOSTS * UNITS_PER_HOST - rejectedCount, updated: 0, unchanged: 0 },
  });
  expect(summary.services.ids).toHaveLength(HOSTS * UNITS_PER_HOST - rejectedCount);
  expect(summary.rejected).toHaveLength(rejectedCount);
  expect(summary.rejected.at(-1)).toEqual({
    index: HOSTS * UNITS_PER_HOST - 1,
    name: `bulk-${HOSTS - 1}`,
    problems: [{ field: 'ssh.port', message: 'must be at most 65535, got 70000' }],
  });
  expect(summary.warnings).toHaveLength((HOSTS * UNITS_PER_HOST) / 25);
  expect(summary.warnings[1]).toEqual({ index: 25, name: 'bulk-0', problems: [{ field: 'owner', message: 'not a config.json field; ignored' }] });
}, 180_000);
