/**
 * Heartbeats across real processes on one database: a ping URL issued by one API process works on another
 * (PROCESS_MODE=api, no scheduler), which records the ping at once; a worker finds the missed ping; a ping
 * acknowledged by a process killed with SIGKILL right after is not lost; with the database paused (SIGSTOP) a ping
 * is answered 503 in bounded time instead of hanging.
 */
import { execSync } from 'node:child_process';
import { expect, test } from 'vitest';
import { freePort } from '../../src/db/local-server.js';
import { readUntil, useProcesses } from '../helpers/processes.js';

const { start } = useProcesses('heartbeat');

test('one process issues the URL, another takes the pings, a worker finds the silence, and SIGKILL loses no acknowledged ping', async () => {
  const dbPort = String(await freePort());
  const [portA, portB] = [await freePort(), await freePort()];
  const apiA = start('main.js', { PROCESS_MODE: 'api', EMBEDDED_DB_PORT: dbPort, PORT: String(portA) }, /API listening/);
  await apiA.ready;
  const key = /smk_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/.exec(apiA.stdout())![0];
  const graphql = async (query: string) => {
    const response = await fetch(`http://127.0.0.1:${portA}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify({ query }) });
    return (await response.json()) as { data?: any; errors?: unknown };
  };
  const created = await graphql(`mutation {
    createHost(input: { hostId: "jobs", hostname: "jobs", ipAddress: "10.40.0.1", environment: DEV, region: "lab" }) { hostId }
    createService(input: { serviceId: "backup", hostId: "jobs", serviceName: "Backup", monitoring: { method: HEARTBEAT, intervalSec: 5, graceSec: 1 } }) { serviceId }
  }`);
  expect(created.errors).toBeUndefined();
  const issued = await graphql('mutation { issueHeartbeatUrl(serviceId: "backup") { pingPath pingUrl } }');
  expect(issued.data.issueHeartbeatUrl.pingUrl).toBe(`http://127.0.0.1:${portA}${issued.data.issueHeartbeatUrl.pingPath}`);
  const pingPath: string = issued.data.issueHeartbeatUrl.pingPath;
  const service = () => graphql('{ service(serviceId: "backup") { currentStatus heartbeat { lastPingAt } history { totalCount } } }').then((r) => r.data.service);

  // Its check lease short: killed while holding one (checking after the ping), the service waits out the lease.
  const apiB = start('main.js', { PROCESS_MODE: 'api', EMBEDDED_DB_PORT: dbPort, PORT: String(portB), CHECK_LEASE_SEC: '5' }, /API listening/);
  await apiB.ready;
  expect((await fetch(`http://127.0.0.1:${portB}${pingPath}`)).status).toBe(200);
  expect((await readUntil(service, (s) => s.currentStatus === 'RUNNING', 10_000)).currentStatus, 'the process that took the ping checked it at once').toBe('RUNNING');

  const worker = start('worker.js', { EMBEDDED_DB_PORT: dbPort, DISPATCH_SLOTS: '2' }, /worker running checks/);
  await worker.ready;
  expect((await readUntil(service, (s) => s.currentStatus === 'STOPPED', 20_000)).currentStatus, 'the worker found the missed ping').toBe('STOPPED');

  const acknowledged = await fetch(`http://127.0.0.1:${portB}${pingPath}/0`);
  apiB.child.kill('SIGKILL');
  expect(acknowledged.status).toBe(200);
  const after = await readUntil(service, (s) => s.currentStatus === 'RUNNING', 25_000);
  expect(after.currentStatus, 'the acknowledged ping survived its process').toBe('RUNNING');
  expect(after.heartbeat.lastPingAt).not.toBeNull();

  // The embedded database is apiA's child; paused, a ping is told so within PING_STORE_TIMEOUT_MS (10 s).
  const javaPid = Number(execSync(`pgrep -P ${apiA.child.pid} java`).toString().trim().split('\n')[0]);
  process.kill(javaPid, 'SIGSTOP');
  try {
    const started = Date.now();
    const paused = await fetch(`http://127.0.0.1:${portA}${pingPath}`, { signal: AbortSignal.timeout(20_000) });
    expect([paused.status, paused.headers.get('retry-after'), await paused.text()]).toEqual([503, '30', 'the ping could not be stored in time (database unavailable); try again\n']);
    expect(Date.now() - started).toBeLessThan(12_000);
  } finally {
    process.kill(javaPid, 'SIGCONT');
  }

  for (const process of [worker, apiA]) process.child.kill('SIGTERM');
  await Promise.all([worker.child, apiA.child].map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
}, 90_000);
