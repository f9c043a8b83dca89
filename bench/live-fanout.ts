/**
 * Fan-out of live status (GraphQL subscriptions over graphql-ws): N concurrent
 * subscribers, status changes published at a steady rate through the real path
 * (domain event bus -> live bridge -> hub -> shared execution -> sockets).
 * Prints JSON: delivery latency p50/p99 (event `at` to receipt by the client),
 * the server's event-loop lag (delay beyond the 10 ms sampling timer of
 * perf_hooks.monitorEventLoopDelay), server RSS and heap per idle connection
 * (connected, then connected and subscribed), GraphQL executions per event,
 * and deliveries received against expected.
 *
 *   npx tsc -p tsconfig.json && node --expose-gc dist/bench/live-fanout.js [subscribers=1000] [per_second=20] [seconds=20] [client_processes=1]
 *
 * Scenarios: "same selection" (every subscriber sends the same subscription,
 * the usual dashboard), "mixed" (half of them filter by host: two distinct
 * selections per event), and the same selection under a distinct operation
 * name per subscriber (one execution per subscriber: what sharing saves). The subscribers run in child processes
 * (bench/live-fanout-clients.ts) so the server's event loop and memory carry
 * only the server. --expose-gc lets the memory figures follow a forced GC.
 *
 * Uses MONGODB_URI when set, else starts mongo-java-server in memory.
 */
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpus, loadavg, totalmem } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import mongoose, { Types } from 'mongoose';
import type { ServiceStatus } from '../src/common/enums.js';
import { silentLogger } from '../src/common/logger.js';
import { connectDatabase, disconnectDatabase, pingDatabase } from '../src/db/connection.js';
import { ensureIndexes } from '../src/db/indexes.js';
import { startLocalServer } from '../src/db/local-server.js';
import { EventBus, type ServiceLabels } from '../src/events/event-bus.js';
import { startApiServer } from '../src/http/api-server.js';
import { ApiKeyService } from '../src/modules/auth/api-key.service.js';
import { createMonitoring } from '../src/modules/checks/monitoring.js';
import { createDomain } from '../src/modules/domain.js';
import { startLive } from '../src/modules/live/live.js';
import { serviceLabels } from '../src/modules/services/service-labels.js';
import type { ClientsReport, FromClients, ToClients } from './live-fanout-clients.js';

const [subscribers = 1000, perSecond = 20, seconds = 20, clientProcesses = 1] = process.argv.slice(2).map(Number);
const HOSTS = 5;
const SERVICES_PER_HOST = 10;
const CONNECT_CONCURRENCY = 50;
const LAG_RESOLUTION_MS = 10;
const DELIVERY_TIMEOUT_MS = 30_000;
const CLIENTS_SCRIPT = fileURLToPath(new URL('./live-fanout-clients.js', import.meta.url));
/** Other work on the machine competes for the same cores as the server and its clients. */
const loadAverageAtStart = loadavg()[0]!;

const local = process.env.MONGODB_URI ? null : await startLocalServer('mongo-java-server');
await connectDatabase(process.env.MONGODB_URI ?? local!.uri, {
  mongodbDatabase: `bench_live_${process.pid}`,
  mongodbMaxPoolSize: 20,
  mongodbMinPoolSize: 0,
  mongodbMaxIdleTimeMs: 60_000,
  mongodbConnectTimeoutMs: 10_000,
});
await mongoose.connection.db!.dropDatabase();
await ensureIndexes(silentLogger);
const { version: databaseVersion } = await mongoose.connection.db!.admin().command({ buildInfo: 1 });

const events = new EventBus();
const domain = createDomain({ historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 }, events);
const apiKeys = new ApiKeyService(events);
const monitoring = createMonitoring(domain, events, {
  checkConcurrency: 50,
  checkLeaseSec: 30,
  sshPrivateKeyFile: undefined,
  sshKnownHostsFile: '/dev/null',
  sshConnectTimeoutMs: 5_000,
  customCommandsFile: undefined,
  recoveryRecheckDelayMs: 1_000,
});

interface BenchService {
  service_id: string;
  host_id: string;
  labels: ServiceLabels;
  status: ServiceStatus;
}
const hostIds: string[] = [];
const services: BenchService[] = [];
for (let h = 0; h < HOSTS; h++) {
  const host = await domain.hosts.create({
    host_id: `bench_host_${h}`,
    hostname: `bench-${h}`,
    ip_address: `10.0.0.${h + 1}`,
    environment: 'production',
    region: 'bench',
    ssh_config: { user: 'bench' },
  });
  hostIds.push(host.host_id);
  for (let s = 0; s < SERVICES_PER_HOST; s++) {
    const service = await domain.services.create({ service_id: `bench_svc_${h}_${s}`, host_id: host.host_id, service_name: `bench${s}.service`, service_type: 'http' });
    services.push({ service_id: service.service_id, host_id: service.host_id, labels: serviceLabels(service), status: 'running' });
  }
}

const live = await startLive(events, domain, { redisUrl: undefined, liveReplayLimit: 1000 }, console.error);
const api = await startApiServer({
  port: 0,
  host: '127.0.0.1',
  domain,
  apiKeys,
  engine: monitoring.engine,
  pingDatabase: () => pingDatabase(),
  logger: silentLogger,
  keyLimits: { requestsPerSecond: 1_000_000, concurrent: 100_000 },
  shutdownTimeoutMs: 1_000,
  live: { services: live, keepAliveMs: 30_000, maxQueuedEvents: 1000 },
});
const sockets = api.sockets!;
const { secret: viewerKey } = await apiKeys.issue('bench', 'viewer');
const wsUrl = api.url.replace(/^http/, 'ws');
const statusListeners = () => live.hub.listenerCount('serviceStatusChanged');
/** The server's own listeners to status changes (the dashboard feed), besides the subscribers'. */
const serverListeners = statusListeners();

/** One child process holding a share of the subscribers. */
class ClientsProcess {
  private readonly child: ChildProcess = fork(CLIENTS_SCRIPT, [], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

  constructor(readonly hostFilters: (string | null)[]) {}

  request<K extends FromClients['kind']>(message: ToClients, reply: K): Promise<Extract<FromClients, { kind: K }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (answer: FromClients) => {
        if (answer.kind !== reply) return;
        stopListening();
        resolve(answer as Extract<FromClients, { kind: K }>);
      };
      const onExit = (code: number | null) => {
        stopListening();
        reject(new Error(`clients process exited (${code}) before answering ${message.kind}`));
      };
      const stopListening = () => {
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
      };
      this.child.on('message', onMessage);
      this.child.on('exit', onExit);
      this.child.send(message);
    });
  }

  async close(): Promise<void> {
    const exited = once(this.child, 'exit');
    this.child.send({ kind: 'close' } satisfies ToClients);
    await exited;
  }
}

interface ScenarioFigures {
  scenario: string;
  subscribers: number;
  events: number;
  connect_seconds: number;
  deliveries_expected: number;
  deliveries_received: number;
  duplicates: number;
  problems: string[];
  latency_ms: { p50: number; p99: number; max: number };
  server_event_loop_lag_ms: { p50: number; p99: number; max: number };
  server_cpu_percent_of_one_core: number;
  graphql_executions_per_event: number;
  server_deliveries_per_event: number;
  /** Per client process: whether the receiving side kept up (its own event-loop lag and CPU). */
  client_processes: { event_loop_lag_ms: ClientsReport['eventLoopLagMs']; cpu_percent_of_one_core: number }[];
  idle_memory?: IdleMemory;
}

interface MemorySample {
  rss: number;
  heapUsed: number;
}

interface IdleMemory {
  forced_gc: boolean;
  before_mb: MemorySample;
  connected_mb: MemorySample;
  subscribed_mb: MemorySample;
  /** Growth over `before`, divided by the number of connections. */
  per_connection_kb: { connected: MemorySample; connected_and_subscribed: MemorySample };
}

/**
 * Connects `count` subscribers (subscriber i filtered by hostFilterOf(i)),
 * publishes `perSecond` status changes a second for `seconds`, and waits for
 * every delivery.
 */
async function runScenario(
  scenario: string,
  count: number,
  hostFilterOf: (subscriber: number) => string | null,
  measureIdleMemory: boolean,
  ownSelection = false,
): Promise<ScenarioFigures> {
  const hostFilters = Array.from({ length: count }, (_, i) => hostFilterOf(i));
  const shares = Array.from({ length: clientProcesses }, (_, p) => hostFilters.filter((_, i) => i % clientProcesses === p));
  const processes = shares.map((share) => new ClientsProcess(share));

  const before = measureIdleMemory ? await serverMemory() : null;
  const connectStarted = performance.now();
  const connected = await Promise.all(processes.map((p) => p.request({ kind: 'connect', url: wsUrl, key: viewerKey, count: p.hostFilters.length, concurrency: CONNECT_CONCURRENCY }, 'connected')));
  const connectSeconds = (performance.now() - connectStarted) / 1000;
  const failures = connected.flatMap((c) => c.failures);
  if (failures.length) throw new Error(`${failures.length} connections failed, e.g. ${failures[0]}`);
  await until(() => sockets.connections() === count, `${count} server-side connections`);
  const afterConnect = measureIdleMemory ? await serverMemory() : null;

  await Promise.all(processes.map((p) => p.request({ kind: 'subscribe', hostFilters: p.hostFilters, ownSelection }, 'subscribed')));
  await until(() => statusListeners() === serverListeners + count, `${count} subscriptions on the hub`);
  const afterSubscribe = measureIdleMemory ? await serverMemory() : null;

  const statsBefore = { ...sockets.stats };
  const cpuBefore = process.cpuUsage();
  const measuredFrom = performance.now();
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  lag.enable();
  const eventHosts = await publishStatusChanges(perSecond * seconds);
  const expectedOf = (filters: (string | null)[]) => eventHosts.reduce((sum, host) => sum + filters.filter((filter) => filter === null || filter === host).length, 0);
  const reports = await Promise.all(
    processes.map((p) => p.request({ kind: 'collect', expected: expectedOf(p.hostFilters), timeoutMs: DELIVERY_TIMEOUT_MS }, 'collected').then((c) => c.report)),
  );
  lag.disable();
  const cpu = process.cpuUsage(cpuBefore);
  const measuredMs = performance.now() - measuredFrom;
  const executions = sockets.stats.executions - statsBefore.executions;
  const serverDeliveries = sockets.stats.deliveries - statsBefore.deliveries;

  await Promise.all(processes.map((p) => p.close()));
  await until(() => sockets.connections() === 0 && statusListeners() === serverListeners, 'every subscriber gone');

  const latencies = reports.flatMap((r) => r.latenciesMs).sort((a, b) => a - b);
  const lagMs = (ns: number) => round(Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS));
  return {
    scenario,
    subscribers: count,
    events: eventHosts.length,
    connect_seconds: round(connectSeconds),
    deliveries_expected: expectedOf(hostFilters),
    deliveries_received: reports.reduce((sum, r) => sum + r.received, 0),
    duplicates: reports.reduce((sum, r) => sum + r.duplicates, 0),
    problems: reports.flatMap((r) => r.problems),
    latency_ms: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN },
    server_event_loop_lag_ms: { p50: lagMs(lag.percentile(50)), p99: lagMs(lag.percentile(99)), max: lagMs(lag.max) },
    server_cpu_percent_of_one_core: Math.round(((cpu.user + cpu.system) / 1000 / measuredMs) * 100),
    graphql_executions_per_event: round(executions / eventHosts.length),
    server_deliveries_per_event: round(serverDeliveries / eventHosts.length),
    client_processes: reports.map((r) => ({ event_loop_lag_ms: r.eventLoopLagMs, cpu_percent_of_one_core: r.cpuPercent })),
    ...(before && afterConnect && afterSubscribe ? { idle_memory: idleMemory(count, before, afterConnect, afterSubscribe) } : {}),
  };
}

/** Publishes `total` status changes, evenly paced at `perSecond`, round the services; returns each event's host. */
async function publishStatusChanges(total: number): Promise<string[]> {
  const hosts: string[] = [];
  const started = performance.now();
  for (let n = 0; n < total; n++) {
    const wait = started + (n * 1000) / perSecond - performance.now();
    if (wait > 0) await sleep(wait);
    const service = services[n % services.length]!;
    const previousStatus = service.status;
    service.status = previousStatus === 'running' ? 'error' : 'running';
    events.publish('service.status-changed', {
      service_id: service.service_id,
      host_id: service.host_id,
      labels: service.labels,
      previous_status: previousStatus,
      status: service.status,
      history_id: new Types.ObjectId().toHexString(),
      at: new Date(),
      recorded_at: new Date(),
    });
    hosts.push(service.host_id);
  }
  return hosts;
}

/** This (server) process's memory, after a forced GC when node runs with --expose-gc. */
async function serverMemory(): Promise<MemorySample> {
  await sleep(1_000);
  globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}

function idleMemory(connections: number, before: MemorySample, connected: MemorySample, subscribed: MemorySample): IdleMemory {
  const mb = (m: MemorySample) => ({ rss: round(m.rss / 2 ** 20), heapUsed: round(m.heapUsed / 2 ** 20) });
  const perConnectionKb = (m: MemorySample) => ({ rss: round((m.rss - before.rss) / connections / 1024), heapUsed: round((m.heapUsed - before.heapUsed) / connections / 1024) });
  return {
    forced_gc: typeof globalThis.gc === 'function',
    before_mb: mb(before),
    connected_mb: mb(connected),
    subscribed_mb: mb(subscribed),
    per_connection_kb: { connected: perConnectionKb(connected), connected_and_subscribed: perConnectionKb(subscribed) },
  };
}

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

const round = (value: number) => Math.round(value * 10) / 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const everyone = () => null;
const halfByHost = (subscriber: number) => (subscriber % 2 === 0 ? null : hostIds[(subscriber >> 1) % hostIds.length]!);

// A small first round warms up the server's code paths so the figures below measure the steady state, not first-use costs.
await runScenario('warm-up', 20, everyone, false);
const sameSelection = await runScenario('same selection', subscribers, everyone, true);
const mixed = await runScenario('mixed: half filter by host', subscribers, halfByHost, false);
// What sharing saves: the same subscription, but each with an operation name of its own, so every subscriber costs an execution.
const unshared = await runScenario('same selection, each under its own operation name (no sharing)', subscribers, everyone, false, true);

const cpu = cpus();
const idle = sameSelection.idle_memory!.per_connection_kb.connected_and_subscribed;
console.log(
  JSON.stringify(
    {
      machine: { cores: cpu.length, cpu: cpu[0]?.model ?? '?', ram_gib: Math.round(totalmem() / 2 ** 30), node: process.version, load_average_1m_at_start: round(loadAverageAtStart) },
      database: local ? `mongo-java-server 1.47.0 (in memory, started by the benchmark; reports MongoDB ${databaseVersion})` : `MONGODB_URI (MongoDB ${databaseVersion})`,
      settings: { subscribers, status_changes_per_second: perSecond, seconds, client_processes: clientProcesses, event_loop_sampling_ms: LAG_RESOLUTION_MS },
      goals: {
        latency_p99_under_100_ms: [sameSelection, mixed].every((s) => s.latency_ms.p99 < 100),
        idle_connection_under_50_kb: Math.max(idle.rss, idle.heapUsed) < 50,
        every_delivery_arrived: [sameSelection, mixed].every((s) => s.deliveries_received === s.deliveries_expected && s.duplicates === 0 && s.problems.length === 0),
      },
      scenarios: [sameSelection, mixed, unshared],
    },
    null,
    2,
  ),
);

await api.stop();
await live.close();
await monitoring.close();
await mongoose.connection.db!.dropDatabase();
await disconnectDatabase();
await local?.stop();
process.exit(0);
