/**
 * Sustained check throughput of one process: N services (half TCP, half HTTP)
 * against local listeners, scheduled by Agenda through the engine's leases.
 * Prints checks per second, scheduling lag (start minus due) p50/p99, result
 * write delay (check finished -> its write acknowledged) p50/p99, and database
 * commands per check.
 *
 *   npm run bench:checks -- [services=5000] [interval_sec=5] [seconds=40] [concurrency=800] [refresh=0] [hanging=0]
 *
 * refresh=1 also runs the periodic uptime refresh (every service) once while measuring, to show what it costs the checks.
 * hanging=0.1 makes that share of the services (spread evenly) HTTP checks of a server that accepts and never
 * answers: each hits its timeout (4 s, as every check here has) while sharing claims with the others.
 *
 * Uses MONGODB_URI when set, else starts mongo-java-server in memory; BENCH_DATA=1 keeps its data in an H2 file
 * (as `npm start` does: every acknowledged write committed first), in a temporary folder.
 */
import 'reflect-metadata';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { createLogger, silentLogger } from '../src/common/logger.js';
import { connectDatabase, disconnectDatabase } from '../src/db/connection.js';
import { ensureIndexes } from '../src/db/indexes.js';
import { startLocalServer } from '../src/db/local-server.js';
import { EventBus } from '../src/events/event-bus.js';
import { createMonitoring } from '../src/modules/checks/monitoring.js';
import { createDomain } from '../src/modules/domain.js';
import { HostModel } from '../src/modules/hosts/host.model.js';
import { ServiceModel } from '../src/modules/services/service.model.js';
import { startScheduler } from '../src/scheduler/scheduler.js';

const [services = 5000, intervalSec = 5, seconds = 40, concurrency = 800, refresh = 0, hangingShare = 0] = process.argv.slice(2).map(Number);
const TIMEOUT_SEC = 4;
const warmupSec = Math.min(10, Math.floor(seconds / 4));

const dataDir = process.env.BENCH_DATA ? mkdtempSync(join(tmpdir(), 'bench-checks-')) : undefined;
const local = process.env.MONGODB_URI ? null : await startLocalServer('mongo-java-server', { dataDir });
const uri = process.env.MONGODB_URI ?? local!.uri;
await connectDatabase(uri, {
  mongodbDatabase: `bench_checks_${process.pid}`,
  mongodbMaxPoolSize: 50,
  mongodbMinPoolSize: 0,
  mongodbMaxIdleTimeMs: 60_000,
  mongodbConnectTimeoutMs: 10_000,
}, { monitorCommands: true });
await mongoose.connection.db!.dropDatabase();
await ensureIndexes(silentLogger);

const tcp = createTcpServer((socket) => socket.end());
const http = createHttpServer((_req, res) => res.end('ok'));
// Accepts and never answers: every check of it waits for its timeout.
const hangingHttp = createHttpServer(() => {});
hangingHttp.requestTimeout = 0;
await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
await new Promise<void>((resolve) => hangingHttp.listen(0, '127.0.0.1', 2048, resolve));
const tcpPort = (tcp.address() as { port: number }).port;
const httpPort = (http.address() as { port: number }).port;
const hangingPort = (hangingHttp.address() as { port: number }).port;
/** Spread evenly: service i hangs when the running count of hanging services steps up at i. */
const hangs = (i: number) => Math.floor((i + 1) * hangingShare) > Math.floor(i * hangingShare);

await HostModel.create({ host_id: 'bench_host', hostname: 'bench', ip_address: '127.0.0.1', environment: 'dev', region: 'bench', ssh_config: { user: 'bench' } });
const start = Date.now();
const docs = Array.from({ length: services }, (_, i) => ({
  service_id: `bench_${i}`,
  host_id: 'bench_host',
  service_name: `bench${i}.service`,
  service_type: hangs(i) || i % 2 ? 'http' : 'tcp',
  environment: 'dev',
  region: 'bench',
  monitoring: {
    method: hangs(i) || i % 2 ? 'http' : 'tcp',
    enabled: true,
    interval_sec: intervalSec,
    timeout_sec: TIMEOUT_SEC,
    retry_attempts: 0,
    retry_delay_sec: 0,
    target: hangs(i) ? `http://127.0.0.1:${hangingPort}/` : i % 2 ? `http://127.0.0.1:${httpPort}/` : `tcp://127.0.0.1:${tcpPort}`,
    expected_status: [],
    tls_expiry_warning_days: 14,
  },
  // Spread the first due times over one interval, as a fleet added over time would be.
  next_check_at: new Date(start + 2_000 + (i / services) * intervalSec * 1000),
}));
for (let i = 0; i < docs.length; i += 1000) await ServiceModel.insertMany(docs.slice(i, i + 1000));

const domain = createDomain({ historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 });
const events = new EventBus();
const monitoring = createMonitoring(domain, events, {
  checkConcurrency: concurrency,
  checkLeaseSec: 60,
  sshPrivateKeyFile: undefined,
  sshKnownHostsFile: '/dev/null',
  sshConnectTimeoutMs: 5_000,
  customCommandsFile: undefined,
  recoveryRecheckDelayMs: 1_000,
});

const lags: number[] = [];
const writeDelays: number[] = [];
let checks = 0;
let failed = 0;
let commands = 0;
let measuring = false;
events.subscribe('check.completed', (event) => {
  if (!measuring) return;
  checks++;
  if (event.status !== 'running') failed++;
  if (event.due_at) lags.push(+event.at - +event.due_at);
});
monitoring.engine.observeWrites((sample) => {
  if (measuring) writeDelays.push(sample.written_at - sample.finished_at);
});
mongoose.connection.getClient().on('commandStarted', () => {
  if (measuring) commands++;
});
/** Database time by command and collection (count, total ms), to see where a run's database time goes. */
const commandTime = new Map<string, { count: number; ms: number }>();
const commandKeys = new Map<number, string>();
mongoose.connection.getClient().on('commandStarted', (event) => {
  if (measuring) commandKeys.set(event.requestId, `${event.commandName} ${String(event.command[event.commandName] ?? '')}`);
});
mongoose.connection.getClient().on('commandSucceeded', (event) => {
  const key = commandKeys.get(event.requestId);
  if (!key) return;
  commandKeys.delete(event.requestId);
  const entry = commandTime.get(key) ?? { count: 0, ms: 0 };
  entry.count++;
  entry.ms += event.duration;
  commandTime.set(key, entry);
});

const scheduler = await startScheduler(mongoose.connection.db!, monitoring.engine, domain.uptime, {
  // BENCH_DISPATCH_SLOTS: other slot counts (the app's default DISPATCH_SLOTS is 4; a process holds half).
  dispatchSlots: Number(process.env.BENCH_DISPATCH_SLOTS ?? 4),
  dispatchSliceMs: 10_000,
  idlePollMs: 50,
  processEveryMs: 1_000,
  lockLifetimeMs: 30_000,
}, process.env.BENCH_TRACE ? createLogger('debug') : silentLogger);

// BENCH_TRACE=1: one line a second on stderr (checks written, engine in-flight counts) to see a run's shape.
let lastChecks = 0;
let allChecks = 0;
events.subscribe('check.completed', () => void allChecks++);
const trace = process.env.BENCH_TRACE
  ? setInterval(() => {
      const engine = monitoring.engine as unknown as { running: number; finishing: number; claiming: boolean; writer: { waiting: number; flushing: number } };
      const line = `${new Date().toISOString().slice(11, 19)} checks/s ${allChecks - lastChecks} running ${engine.running} finishing ${engine.finishing} claiming ${engine.claiming} unwritten ${engine.writer.waiting} writes ${engine.writer.flushing}`;
      lastChecks = allChecks;
      // Dispatch jobs Agenda runs in this process now, and how long ago a claim last completed.
      void scheduler.health.processorState().then(
        (state) => process.stderr.write(`${line} slices ${state.running} last-claim ${Date.now() - scheduler.health.lastDispatchAt()} ms ago\n`),
        () => process.stderr.write(`${line}\n`),
      );
    }, 1_000)
  : null;
await new Promise((resolve) => setTimeout(resolve, (2 + warmupSec) * 1000));
measuring = true;
const measuredFrom = Date.now();
const refreshed = refresh ? timed(() => domain.uptime.refreshAllStoredPercentages()) : Promise.resolve(null);
await new Promise((resolve) => setTimeout(resolve, (seconds - warmupSec) * 1000));
measuring = false;
const refreshMs = await refreshed;
if (trace) clearInterval(trace);
const elapsed = (Date.now() - measuredFrom) / 1000;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  await work();
  return Date.now() - started;
}

lags.sort((a, b) => a - b);
writeDelays.sort((a, b) => a - b);
const percentile = (values: number[], p: number) => (values.length ? values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))]! : NaN);
const pct = (p: number) => percentile(lags, p);
const figures = {
  server: local ? `mongo-java-server 1.47 through our launcher (${dataDir ? 'H2 file, durable acknowledgements' : 'in memory'})` : 'MONGODB_URI',
  machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  services,
  interval_sec: intervalSec,
  hanging_share: hangingShare,
  hanging_services: docs.filter((_, i) => hangs(i)).length,
  timeout_sec: TIMEOUT_SEC,
  concurrency,
  dispatch_slots: Number(process.env.BENCH_DISPATCH_SLOTS ?? 4),
  offered_checks_per_sec: services / intervalSec,
  measured_seconds: Math.round(elapsed),
  checks_per_sec: Math.round(checks / elapsed),
  failed_checks: failed,
  lag_p50_ms: pct(50),
  lag_p99_ms: pct(99),
  lag_max_ms: lags.at(-1) ?? NaN,
  write_delay_p50_ms: percentile(writeDelays, 50),
  write_delay_p99_ms: percentile(writeDelays, 99),
  write_delay_max_ms: writeDelays.at(-1) ?? NaN,
  db_commands_per_check: Math.round((commands / Math.max(checks, 1)) * 1000) / 1000,
  db_ms_by_command: Object.fromEntries(
    [...commandTime]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 10)
      .map(([key, { count, ms }]) => [key, `${count} x ${Math.round(ms / count)} ms = ${Math.round(ms)} ms`]),
  ),
  ...(refresh ? { uptime_refresh_ms: refreshMs } : {}),
};
// Written before anything can exit: output to a pipe is asynchronous, and process.exit would cut it off.
await new Promise<void>((resolve) => process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`, () => resolve()));

await scheduler.stop();
await monitoring.close();
await mongoose.connection.db!.dropDatabase();
await disconnectDatabase();
tcp.close();
http.close();
hangingHttp.closeAllConnections();
hangingHttp.close();
await local?.stop();
if (dataDir) rmSync(dataDir, { recursive: true, force: true });
process.exit(0);
