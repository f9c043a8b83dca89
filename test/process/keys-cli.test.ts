/**
 * The keys CLI (issue 10 item 4) as an operator runs it (`node dist/src/bin/service-monitor-keys.js`,
 * what `npm run keys --` runs), against the test run's database: create, list, revoke, the last active
 * admin key refused, each change in the audit log. And the first admin key written to ADMIN_KEY_FILE
 * (mode 0600) by the built server instead of stdout.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import mongoose from 'mongoose';
import { afterAll, describe, expect, test } from 'vitest';
import { freePort } from '../../src/db/local-server.js';
import { AuditRecordModel } from '../../src/modules/audit/audit.model.js';
import { ApiKeyModel } from '../../src/modules/auth/api-key.model.js';
import { ApiKeyService } from '../../src/modules/auth/api-key.service.js';
import { useTestDatabase } from '../helpers/database.js';
import { cleanEnv } from '../helpers/processes.js';

const dist = join(import.meta.dirname, '..', '..', 'dist', 'src');
const keysJs = join(dist, 'bin', 'service-monitor-keys.js');
const db = useTestDatabase(import.meta.filename);
const KEY = /smk_([a-f0-9]{16})_[A-Za-z0-9_-]{43}/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI on this file's database. */
function keys(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [keysJs, ...args],
      { env: { ...cleanEnv, MONGODB_URI: db.uri, MONGODB_DATABASE: db.name, LOG_LEVEL: 'warn' }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

describe('npm run keys --', () => {
  test('create prints the secret once; the key works; list shows it; both are in the audit log with the CLI as actor', async () => {
    const created = await keys('create', '--role', 'admin', '--name', 'ops');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const [secret, keyId] = KEY.exec(created.stdout)!;
    expect(created.stdout).toContain(`Created admin key 'ops' (keyId ${keyId})`);
    expect(await new ApiKeyService().authenticate(secret)).toMatchObject({ keyId, role: 'admin', name: 'ops' });

    const listed = await keys('list');
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^KEY ID\s+ROLE\s+STATE\s+EXPIRES\s+LAST USED\s+NAME$/);
    expect(listed.stdout).toMatch(new RegExp(`^${keyId}\\s+admin\\s+active\\s+-\\s+\\S+\\s+ops$`, 'm'));
    expect(listed.stdout, 'list never shows a secret').not.toContain(secret.slice(22));

    const json = await keys('list', '--json');
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ keyId, name: 'ops', role: 'admin', state: 'active', expiresAt: null, revokedAt: null })]);

    const recorded = await AuditRecordModel.find({ 'targets.id': keyId }).lean();
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ actor: { type: 'cli' }, channel: 'cli', operation: 'createApiKey', outcome: 'success' });
    expect(JSON.parse(recorded[0]!.arguments_json!)).toEqual({ name: 'ops', role: 'admin', expiresAt: null });
    expect(JSON.stringify(await AuditRecordModel.collection.find().toArray())).not.toContain(secret.slice(22));
  }, 60_000);

  test('revoke: the last active admin key is refused (exit 1, naming the way out); with another admin it goes', async () => {
    const first = KEY.exec((await keys('create', '--role', 'admin', '--name', 'first')).stdout)!;
    const viewer = KEY.exec((await keys('create', '--role', 'viewer', '--name', 'dashboard', '--expires-in-days', '30')).stdout)!;

    const refused = await keys('revoke', first[1]!);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('last active admin key');
    expect(refused.stderr).toContain('npm run keys -- create --role admin');
    expect(refused.stderr, 'one line, no stack').not.toMatch(/\n\s+at /);
    expect((await ApiKeyModel.findOne({ key_id: first[1] }).lean())!.revoked_at).toBeNull();
    expect(await AuditRecordModel.findOne({ operation: 'revokeApiKey', 'targets.id': first[1] }).lean()).toMatchObject({ outcome: 'failure', error_code: 'CONFLICT' });

    // Not an admin: revoked at once.
    const viewerRevoked = await keys('revoke', viewer[1]!);
    expect(viewerRevoked.code).toBe(0);
    expect(viewerRevoked.stdout).toContain(`Revoked key ${viewer[1]} ('dashboard', viewer)`);

    const second = KEY.exec((await keys('create', '--role', 'admin', '--name', 'second')).stdout)!;
    const revoked = await keys('revoke', first[1]!, '--json');
    expect(revoked.code).toBe(0);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ keyId: first[1], state: 'revoked' });
    expect(await new ApiKeyService().authenticate(first[0])).toBeNull();
    expect(await new ApiKeyService().authenticate(second[0])).toMatchObject({ role: 'admin' });
    // Now the second is the last one.
    expect((await keys('revoke', second[1]!)).code).toBe(1);

    const states = Object.fromEntries((JSON.parse((await keys('list', '--json')).stdout) as { name: string; state: string }[]).map((k) => [k.name, k.state]));
    expect(states).toEqual({ first: 'revoked', dashboard: 'revoked', second: 'active' });
    expect(await AuditRecordModel.countDocuments({ operation: 'revokeApiKey', outcome: 'success', 'actor.type': 'cli' })).toBe(2);
  }, 90_000);

  test('bad arguments exit 2 with the usage; an unknown key exits 1', async () => {
    for (const args of [[], ['create', '--name', 'x'], ['create', '--role', 'root', '--name', 'x'], ['revoke'], ['list', '--role', 'admin'], ['frobnicate']]) {
      const run = await keys(...args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain('usage: service-monitor-keys');
    }
    const unknown = await keys('revoke', 'ffffffffffffffff');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ffffffffffffffff');
    expect(await ApiKeyModel.countDocuments()).toBe(0);
  }, 90_000);
});

describe('ADMIN_KEY_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'service-monitor-admin-key-'));
  const database = `${db.name.slice(0, 50)}_first`;
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await mongoose.connection.useDb(database).dropDatabase().catch(() => {});
  });

  test('the first admin key is written there (mode 0600), not to stdout; it works; its making is in the audit log', async () => {
    const file = join(dir, 'admin-key');
    const port = await freePort();
    const child = spawn(process.execPath, [join(dist, 'main.js')], {
      env: { ...cleanEnv, MONGODB_URI: db.uri, MONGODB_DATABASE: database, PORT: String(port), ADMIN_KEY_FILE: file, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: string[] = [];
    const stderr: string[] = [];
    child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`main.js exited with ${code}:\n${stderr.join('\n')}`)));
        createInterface({ input: child.stderr! }).on('line', (line) => {
          stderr.push(line);
          if (/API listening/.test(line)) resolve();
        });
      });
      const secret = readFileSync(file, 'utf8').trim();
      const [, keyId] = KEY.exec(secret)!;
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(stdout.join('')).toContain(`admin key (${keyId}) was created and written to ${file} (mode 0600)`);
      expect(stdout.join('') + stderr.join('\n'), 'the secret is in no console output').not.toContain(secret.slice(22));

      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
        body: JSON.stringify({ query: '{ viewer { role } }' }),
      });
      expect(await response.json()).toEqual({ data: { viewer: { role: 'ADMIN' } } });

      child.removeAllListeners('exit');
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const audit = mongoose.connection.useDb(database).collection('audit_log');
      expect(await audit.findOne({ operation: 'createApiKey' })).toMatchObject({ actor: { type: 'system', name: 'first start' }, channel: 'system', targets: [{ type: 'api_key', id: keyId }] });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
