/**
 * Separate processes as an operator runs them: an API process (PROCESS_MODE=api)
 * and worker processes (npm run worker) sharing one database. A worker killed
 * with SIGKILL is replaced and checks go on.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../src/db/local-server.js';
import { readUntil, useProcesses } from '../helpers/processes.js';

const { start } = useProcesses('workers');
let listener: Server;
let tcpPort: number;

beforeAll(async () => {
  listener = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  tcpPort = (listener.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise<void>((resolve) => listener.close(() => resolve()));
});


describe('an API process and worker processes', () => {
  test('workers run the checks the API process does not, and a killed worker is replaced without losing the schedule', async () => {
    const dbPort = String(await freePort());
    const httpPort = await freePort();
    const api = start('main.js', { PROCESS_MODE: 'api', EMBEDDED_DB_PORT: dbPort, PORT: String(httpPort) }, /API listening/);
    await api.ready;
    const key = /smk_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/.exec(api.stdout())![0];
    const graphql = async (query: string) => {
      const response = await fetch(`http://127.0.0.1:${httpPort}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query }),
      });
      return (await response.json()) as { data?: any; errors?: unknown };
    };
    const created = await graphql(`mutation {
      createHost(input: { hostId: "h", hostname: "h", ipAddress: "127.0.0.1", environment: DEV, region: "lab", sshConfig: { user: "monitor" } }) { hostId }
      createService(input: { serviceId: "s", hostId: "h", serviceName: "tcp.service", serviceType: "tcp",
        monitoring: { method: TCP, target: "tcp://127.0.0.1:${tcpPort}", intervalSec: 5, timeoutSec: 2, retryAttempts: 0 } }) { serviceId }
    }`);
    expect(created.errors).toBeUndefined();
    const service = () => graphql('{ service(serviceId: "s") { currentStatus lastCheck history { totalCount } } }').then((r) => r.data.service);

    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect((await service()).history.totalCount, 'the API process runs no scheduled checks').toBe(0);

    const worker = start('worker.js', { EMBEDDED_DB_PORT: dbPort, DISPATCH_SLOTS: '2' }, /worker running checks/);
    await worker.ready;
    const checked = await readUntil(service, (s) => s.currentStatus === 'RUNNING', 15_000);
    expect(checked.currentStatus).toBe('RUNNING');

    worker.child.kill('SIGKILL');
    const replacement = start('worker.js', { EMBEDDED_DB_PORT: dbPort, DISPATCH_SLOTS: '2' }, /worker running checks/);
    await replacement.ready;
    const before = (await service()).history.totalCount;
    const later = await readUntil(service, (s) => s.history.totalCount >= before + 2, 40_000);
    expect(later.history.totalCount).toBeGreaterThanOrEqual(before + 2);

    replacement.child.kill('SIGTERM');
    api.child.kill('SIGTERM');
    await Promise.all([replacement.child, api.child].map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
  }, 90_000);
});
