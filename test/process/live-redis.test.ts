/**
 * Live status across processes, end to end: a status change found by a check
 * in a WORKER process reaches a GraphQL subscriber connected (graphql-ws over a
 * real WebSocket) to a separate API process, through a real Redis.
 *
 * The API process (PROCESS_MODE=api) runs no scheduler, so whatever status
 * change its subscribers see was found by the worker and carried by Redis.
 * The check is a TCP check against a listener this test owns: open, the service
 * is RUNNING; closed, the next check finds it STOPPED.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../src/db/local-server.js';
import { useProcesses } from '../helpers/processes.js';
import { liveClient, subscribe, type Feed, type LiveClient } from '../helpers/live-client.js';
import { startRedis, type RunningDatabase } from '../setup/databases.js';

const { start } = useProcesses('live-redis');
const liveClients: LiveClient[] = [];
let redis: RunningDatabase;

/** The TCP endpoint the service's check connects to: open means RUNNING, closed means STOPPED. */
let checkedEndpoint: Server;
const checkedEndpointSockets = new Set<Socket>();
let checkedPort: number;

beforeAll(async () => {
  redis = await startRedis();
  checkedEndpoint = createServer((socket) => {
    checkedEndpointSockets.add(socket);
    socket.on('close', () => checkedEndpointSockets.delete(socket));
    socket.on('error', () => {});
    socket.end();
  });
  await new Promise<void>((resolve) => checkedEndpoint.listen(0, '127.0.0.1', resolve));
  checkedPort = (checkedEndpoint.address() as { port: number }).port;
});

afterAll(async () => {
  await Promise.all(liveClients.map((live) => live.dispose().catch(() => {})));
  await closeCheckedEndpoint();
  await redis?.stop();
});

function closeCheckedEndpoint(): Promise<void> {
  if (!checkedEndpoint?.listening) return Promise.resolve();
  return new Promise<void>((resolve) => {
    checkedEndpoint.close(() => resolve());
    for (const socket of checkedEndpointSockets) socket.destroy();
  });
}

const STATUS_CHANGED = `subscription ($filter: ServiceEventFilterInput) {
  serviceStatusChanged(filter: $filter) { id at serviceId hostId previousStatus status historyId service { serviceId } check { status } }
}`;

interface StatusChange {
  id: string;
  at: string;
  serviceId: string;
  hostId: string;
  previousStatus: string;
  status: string;
  historyId: string;
  service: { serviceId: string } | null;
  check: { status: string } | null;
}
type StatusChangeFeed = Feed<{ serviceStatusChanged: StatusChange }>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('live status across processes through Redis', () => {
  test('a status change found by a worker reaches a subscriber of a separate API process, and only subscribers whose filter matches', async () => {
    const dbPort = String(await freePort());
    const httpPort = await freePort();
    const httpUrl = `http://127.0.0.1:${httpPort}/graphql`;
    const shared = { EMBEDDED_DB_PORT: dbPort, REDIS_URL: redis.url };

    const api = start('main.js', { ...shared, PROCESS_MODE: 'api', PORT: String(httpPort) }, /API listening/);
    await api.ready;
    const key = /smk_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/.exec(api.stdout())![0];
    const graphql = async (query: string) => {
      const response = await fetch(httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query }),
      });
      return (await response.json()) as { data?: any; errors?: unknown };
    };
    const created = await graphql(`mutation {
      watched: createHost(input: { hostId: "watched-host", hostname: "watched-host", ipAddress: "127.0.0.1", environment: DEV, region: "lab", sshConfig: { user: "monitor" } }) { hostId }
      other: createHost(input: { hostId: "other-host", hostname: "other-host", ipAddress: "127.0.0.2", environment: DEV, region: "lab", sshConfig: { user: "monitor" } }) { hostId }
      createService(input: { serviceId: "watched-tcp", hostId: "watched-host", serviceName: "tcp.service", serviceType: "tcp",
        monitoring: { method: TCP, target: "tcp://127.0.0.1:${checkedPort}", intervalSec: 5, timeoutSec: 2, retryAttempts: 0 } }) { serviceId }
    }`);
    expect(created.errors).toBeUndefined();

    // Subscribed before any worker exists: nothing in the API process can produce these events.
    const watcher = liveClient(httpUrl, key);
    const otherHostWatcher = liveClient(httpUrl, key);
    liveClients.push(watcher, otherHostWatcher);
    const watchedService: StatusChangeFeed = subscribe(watcher.client, STATUS_CHANGED, { filter: { serviceId: 'watched-tcp' } });
    const otherHost: StatusChangeFeed = subscribe(otherHostWatcher.client, STATUS_CHANGED, { filter: { hostId: 'other-host' } });
    // On the same connection as `otherHost`: shows when that connection has been handed the worker's events.
    const watchedHostOnOtherConnection: StatusChangeFeed = subscribe(otherHostWatcher.client, STATUS_CHANGED, { filter: { hostId: 'watched-host' } });
    await sleep(500);

    const worker = start('worker.js', { ...shared, DISPATCH_SLOTS: '2' }, /worker running checks/);
    await worker.ready;

    // First check by the worker: the endpoint is open.
    const [cameUp] = await watchedService.waitFor(1, 20_000);
    expect(cameUp!.serviceStatusChanged).toMatchObject({
      serviceId: 'watched-tcp',
      hostId: 'watched-host',
      previousStatus: 'UNKNOWN',
      status: 'RUNNING',
      service: { serviceId: 'watched-tcp' },
      check: { status: 'RUNNING' },
    });
    expect(cameUp!.serviceStatusChanged.id).toBe(cameUp!.serviceStatusChanged.historyId);

    // The endpoint goes away: the worker's next check (interval 5 s) finds the service stopped.
    await closeCheckedEndpoint();
    const [, wentDown] = await watchedService.waitFor(2, 20_000);
    expect(wentDown!.serviceStatusChanged).toMatchObject({
      serviceId: 'watched-tcp',
      hostId: 'watched-host',
      previousStatus: 'RUNNING',
      status: 'STOPPED',
      service: { serviceId: 'watched-tcp' },
      check: { status: 'STOPPED' },
    });
    expect(wentDown!.serviceStatusChanged.id).toBe(wentDown!.serviceStatusChanged.historyId);
    expect(wentDown!.serviceStatusChanged.historyId).not.toBe(cameUp!.serviceStatusChanged.historyId);

    // The other connection got both events for the watched host, yet nothing for its other-host filter.
    const onOtherConnection = await watchedHostOnOtherConnection.waitFor(2, 10_000);
    expect(onOtherConnection.map((d) => d.serviceStatusChanged.historyId)).toEqual([cameUp, wentDown].map((d) => d!.serviceStatusChanged.historyId));
    await sleep(300);
    expect(otherHost.results, 'a subscriber filtering on another host').toEqual([]);
    expect(otherHost.completed).toBe(false);

    expect(worker.stderr()).not.toMatch(/REDIS_URL is not set/);
    expect(api.stderr()).not.toMatch(/live event failed/);
    expect(worker.stderr()).not.toMatch(/live event failed/);

    await Promise.all(liveClients.map((live) => live.dispose()));
    worker.child.kill('SIGTERM');
    api.child.kill('SIGTERM');
    await Promise.all([worker.child, api.child].map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
  }, 60_000);
});
