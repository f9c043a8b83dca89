/**
 * The database checker through the engine, against real servers on loopback
 * ports: PostgreSQL, Redis and MariaDB (MySQL protocol) started by
 * test/setup/databases.ts, and the run's MongoDB-compatible test database.
 * A silent TCP listener stands in for "a port is open but nothing speaks the
 * protocol": the checker must do a real handshake, not just a connect.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, inject, test } from 'vitest';
import { createDomain } from '../../src/modules/domain.js';
import { useTestDatabase } from '../helpers/database.js';
import { createTestEngine } from '../helpers/engine.js';
import { closedPort, startMariaDb, startPostgres, startRedis, startTcpListener, type RunningDatabase, type TestTcpListener } from '../setup/databases.js';

useTestDatabase(import.meta.filename);
const domain = createDomain({ historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 });
let harness: ReturnType<typeof createTestEngine>;
let postgres: RunningDatabase;
let redis: RunningDatabase;
let mariadb: RunningDatabase;
let silent: TestTcpListener;

beforeAll(async () => {
  const timed = async <T extends RunningDatabase>(name: string, start: () => Promise<T>) => {
    const server = await start();
    process.stderr.write(`database.test: ${name} ready in ${server.startupMs} ms${server.initMs ? ` (+ ${server.initMs} ms init)` : ''}\n`);
    return server;
  };
  [postgres, redis, mariadb, silent] = await Promise.all([
    timed('postgres', startPostgres),
    timed('redis', startRedis),
    timed('mariadb', startMariaDb),
    startTcpListener(),
  ]);
});
afterAll(async () => {
  await harness?.close();
  await Promise.all([postgres?.stop(), redis?.stop(), mariadb?.stop(), silent?.stop()]);
});
beforeEach(async () => {
  await harness?.close();
  harness = createTestEngine(domain);
  await domain.hosts.create({ host_id: 'host_db', hostname: 'db-host', ip_address: '127.0.0.1', environment: 'dev', region: 'lab', ssh_config: { user: 'monitor' } });
});

let counter = 0;
async function check(target: string, monitoring: Record<string, unknown> = {}) {
  const serviceId = `svc_db_${++counter}`;
  await domain.services.create({
    service_id: serviceId,
    host_id: 'host_db',
    service_name: 'db.service',
    service_type: 'db',
    monitoring: { method: 'database', target, interval_sec: 60, timeout_sec: 5, retry_attempts: 0, retry_delay_sec: 0, ...monitoring },
  });
  const run = await harness.engine.runNow(serviceId);
  const service = await domain.services.require(serviceId);
  expect(service.current_status, 'the stored status follows the check').toBe(run.recorded.status);
  return run;
}

/** Waits until `condition` holds or `ms` pass; returns whether it held. */
async function eventually(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  return condition();
}

describe('postgresql', () => {
  test('a running server is running: connect, authenticate, SELECT 1', async () => {
    const run = await check(postgres.url);
    expect(run.recorded.status).toBe('running');
    expect(run.result).toMatchObject({ status_code: 0, error: null });
    expect(run.result.metrics?.custom).toMatchObject({ attempts: 1 });
    // postgres:// is the same check.
    expect((await check(postgres.url.replace('postgresql://', 'postgres://'))).recorded.status).toBe('running');
  });

  test('the same server after it stopped is stopped, with the connection error', async () => {
    const own = await startPostgres();
    try {
      expect((await check(own.url)).recorded.status).toBe('running');
    } finally {
      await own.stop();
    }
    const run = await check(own.url);
    expect(run.recorded.status).toBe('stopped');
    expect(run.result.error).toMatch(/^postgresql at 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  test('a closed port is stopped', async () => {
    const run = await check(`postgresql://monitor@127.0.0.1:${await closedPort()}/postgres`);
    expect(run.recorded.status).toBe('stopped');
    expect(run.result.error).toMatch(/ECONNREFUSED/);
  });

  test('an open port that does not speak the protocol is not running', async () => {
    const before = silent.received.length;
    const run = await check(`${silent.url('postgresql')}/postgres`, { timeout_sec: 1 });
    expect(run.recorded.status).not.toBe('running');
    expect(run.recorded.status).toBe('error');
    expect(run.result.error).toMatch(/timed out after 1 s/);
    // The client did send a startup message: it tried a real handshake.
    expect(silent.received.length).toBeGreaterThan(before);
  });
});

describe('redis', () => {
  test('a running server is running: PING answers PONG', async () => {
    const run = await check(redis.url);
    expect(run.recorded.status).toBe('running');
    expect(run.result).toMatchObject({ status_code: 0, error: null });
  });

  test('a closed port is stopped', async () => {
    const run = await check(`redis://127.0.0.1:${await closedPort()}`);
    expect(run.recorded.status).toBe('stopped');
    expect(run.result.error).toMatch(/^redis at 127\.0\.0\.1:\d+: /);
  });

  test('the error of a refused connection says it was refused, as for the other kinds', async () => {
    const run = await check(`redis://127.0.0.1:${await closedPort()}`);
    expect(run.result.error).toMatch(/^redis at 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  test('a server that stopped is stopped', async () => {
    const own = await startRedis();
    try {
      expect((await check(own.url)).recorded.status).toBe('running');
    } finally {
      await own.stop();
    }
    expect((await check(own.url)).recorded.status).toBe('stopped');
  });

  test('an open port that does not speak the protocol is not running', async () => {
    const run = await check(silent.url('redis'), { timeout_sec: 1 });
    expect(run.recorded.status).not.toBe('running');
    expect(run.recorded.status).toBe('error');
    expect(run.result.error).toMatch(/timed out after 1 s/);
  });
});

describe('mysql (MariaDB server)', () => {
  test('a running server is running: handshake, authenticate, ping', async () => {
    const run = await check(mariadb.url);
    expect(run.recorded.status).toBe('running');
    expect(run.result).toMatchObject({ status_code: 0, error: null });
  });

  test('a closed port is stopped', async () => {
    const run = await check(`mysql://monitor@127.0.0.1:${await closedPort()}/`);
    expect(run.recorded.status).toBe('stopped');
    expect(run.result.error).toMatch(/^mysql at 127\.0\.0\.1:\d+: /);
  });

  test('an open port that does not speak the protocol is not running', async () => {
    const run = await check(silent.url('mysql'), { timeout_sec: 1 });
    expect(run.recorded.status).not.toBe('running');
    expect(['error', 'stopped']).toContain(run.recorded.status);
  });
});

describe('mongodb', () => {
  test("the run's test database server is running", async () => {
    const run = await check(inject('mongoUri'));
    expect(run.recorded.status).toBe('running');
    expect(run.result).toMatchObject({ status_code: 0, error: null });
  });

  test('a closed port is stopped, at once and naming the refused connection, as for every other kind', async () => {
    // A refused connection is a server that is down: 'stopped' counts as downtime,
    // while 'unknown' (a timeout) counts as no information at all.
    const run = await check(`mongodb://127.0.0.1:${await closedPort()}/`, { timeout_sec: 2 });
    expect(run.recorded.status).not.toBe('running');
    expect(run.recorded.status).toBe('stopped');
    expect(run.result.error).toMatch(/^mongodb at 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(run.result.response_time_ms).toBeLessThan(1_500);
  });

  test('an open port that does not speak the protocol is not running', async () => {
    const run = await check(`${silent.url('mongodb')}/`, { timeout_sec: 1 });
    expect(run.recorded.status).not.toBe('running');
  });
});

describe('connections of checks that gave up', () => {
  // A timed-out check must not leave its connection open: a hung server checked
  // every interval would otherwise collect one socket (and one pending client) per check.
  test.each(['postgresql', 'redis', 'mysql', 'mongodb'])('%s: the connection to a silent server is closed once the check timed out', async (scheme) => {
    const listener = await startTcpListener();
    try {
      const run = await check(`${listener.url(scheme)}/${scheme === 'postgresql' ? 'postgres' : ''}`, { timeout_sec: 1 });
      expect(run.recorded.status).not.toBe('running');
      expect(listener.accepted).toBeGreaterThan(0);
      const closed = await eventually(() => listener.open === 0, 3_000);
      expect(closed, `${listener.open} connection(s) still open 3 s after the check ended`).toBe(true);
    } finally {
      await listener.stop();
    }
  });
});
