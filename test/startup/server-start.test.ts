/**
 * The built server (`npm run build` first) started as an operator starts it, in a folder with a .env, on a
 * machine where mongod cannot be downloaded: the settings of .env apply unless the environment has them, a
 * mistyped variable is warned about, the failed download is one WARN line (no stack), and services created
 * without an interval or a recovery limit get DEFAULT_CHECK_INTERVAL and MAX_RECOVERY_ATTEMPTS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../src/db/local-server.js';
import { cleanEnv } from '../helpers/processes.js';

const mainJs = join(import.meta.dirname, '..', '..', 'dist', 'src', 'main.js');
const folder = mkdtempSync(join(tmpdir(), 'service-monitor-start-'));
const lines: string[] = [];
let server: ChildProcess;
let httpPort: number;
let url: string;

beforeAll(async () => {
  httpPort = await freePort();
  writeFileSync(
    join(folder, '.env'),
    [`PORT=${httpPort}`, 'MAX_RECOVERY_ATTEMPTS=7', 'DEFAULT_CHECK_INTERVAL=45', 'LOG_LEVEL=error', `ADMIN_KEY_FILE=${join(folder, 'admin-key')}`].join('\n'),
  );
  server = spawn(process.execPath, [mainJs], {
    cwd: folder,
    env: {
      ...cleanEnv,
      // Set here, so .env's 45 and error do not apply.
      DEFAULT_CHECK_INTERVAL: '120',
      LOG_LEVEL: 'info',
      MONGODB_URL: 'mongodb://db.example.net/',
      // No mongod to be had: none cached (a new download folder and home), and its download refused.
      EMBEDDED_DB: 'auto',
      HOME: folder,
      MONGOMS_DOWNLOAD_DIR: join(folder, 'mongod-binaries'),
      MONGOMS_DOWNLOAD_MIRROR: `https://127.0.0.1:${await freePort()}`,
      EMBEDDED_DB_PORT: String(await freePort()),
      DATA_DIR: join(folder, 'data'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.resume();
  await new Promise<void>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`the server exited with ${code}:\n${lines.join('\n')}`)));
    createInterface({ input: server.stderr! }).on('line', (line) => {
      lines.push(line);
      if (line.includes('service-monitor API listening')) resolve();
    });
  });
  url = `http://127.0.0.1:${httpPort}/graphql`;
}, 90_000);

afterAll(() => {
  if (server?.exitCode === null) server.kill('SIGKILL');
  rmSync(folder, { recursive: true, force: true });
});

async function graphql(query: string, variables: Record<string, unknown>) {
  const key = readFileSync(join(folder, 'admin-key'), 'utf8').trim();
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

describe('a start in a folder with a .env, offline', () => {
  test('mongod that cannot be downloaded is one WARN line, then the fallback: no stack', () => {
    const about = lines.filter((line) => /mongodb-memory-server|MongoMemoryServer|fastdl/i.test(line));
    expect(about).toHaveLength(1);
    expect(about[0]).toMatch(/warn/i);
    expect(about[0]).toMatch(/mongodb-memory-server unavailable, falling back to mongo-java-server/);
    expect(about[0]).toMatch(/Download failed .*127\.0\.0\.1/);
    expect(lines.filter((line) => /^\s+at /.test(line) || /^\s*[{}]\s*$/.test(line))).toEqual([]);
  });

  test('.env gives what the environment does not (PORT), and the environment wins where it has a value', () => {
    expect(lines.find((line) => line.includes('service-monitor API listening'))).toContain(`localhost:${httpPort}`);
    const read = lines.find((line) => line.includes('settings read from .env'));
    expect(read).toBeDefined();
    expect(read).toMatch(/"set":\["PORT","MAX_RECOVERY_ATTEMPTS","ADMIN_KEY_FILE"\]/);
    expect(read).toMatch(/"keptFromEnvironment":\["DEFAULT_CHECK_INTERVAL","LOG_LEVEL"\]/);
  });

  test('a mistyped setting is warned about, once, with the name it was probably meant to be', () => {
    const warned = lines.filter((line) => line.includes('MONGODB_URL'));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/warn/i);
    expect(warned[0]).toContain('unknown setting MONGODB_URL (did you mean MONGODB_URI?)');
  });

  test('a service created without interval or recovery limit gets DEFAULT_CHECK_INTERVAL and MAX_RECOVERY_ATTEMPTS', async () => {
    await graphql('mutation($input: HostCreateInput!) { createHost(input: $input) { hostId } }', {
      input: { hostId: 'host_env', hostname: 'env-host', ipAddress: '10.0.0.9', environment: 'STAGING', region: 'eu', sshConfig: { user: 'ubuntu' } },
    });
    const fields = 'serviceId monitoring { intervalSec timeoutSec } recovery { maxRecoveryAttempts }';
    const create = (input: Record<string, unknown>) => graphql(`mutation($input: ServiceCreateInput!) { createService(input: $input) { ${fields} } }`, { input });
    const defaulted = await create({ serviceId: 'svc_defaults', hostId: 'host_env', serviceName: 'nginx.service', serviceType: 'nginx' });
    expect(defaulted.createService).toEqual({ serviceId: 'svc_defaults', monitoring: { intervalSec: 120, timeoutSec: 30 }, recovery: { maxRecoveryAttempts: 7 } });
    const given = await create({
      serviceId: 'svc_given',
      hostId: 'host_env',
      serviceName: 'redis.service',
      serviceType: 'redis',
      monitoring: { intervalSec: 30 },
      recovery: { maxRecoveryAttempts: 1 },
    });
    expect(given.createService).toEqual({ serviceId: 'svc_given', monitoring: { intervalSec: 30, timeoutSec: 30 }, recovery: { maxRecoveryAttempts: 1 } });
  });
});
