/**
 * Soak benchmark (issue 15, item 4): the real server, started as an operator starts it, on the embedded
 * database (mongo-java-server through our launcher, H2 files under a fresh DATA_DIR, every other setting
 * at its `npm start` default), watching N HTTP services that this process serves on loopback.
 *
 *   npm run bench:soak -- [services=5000] [minutes=30] [every_min=5] [repeat=20] [--flags]
 *   npm run bench:soak -- --history 1000000 [--services 5000] [--repeat 100]
 *
 * Soak mode: creates the hosts and services through the GraphQL API (admin key printed by the server at its
 * first start), paced over one check interval so that their due times spread as a fleet added over time
 * would; then runs for `minutes`. At start (one interval after the fleet exists) and every `every_min`
 * minutes it samples:
 *   - the period since the previous sample's queries (no queries running): checks/s (growth of
 *     monitoring_history), schedule lag, missed runs, CPU of the API process and of the database process
 *     (% of one core, from /proc/<pid>/stat), CPU ms per check, RSS;
 *   - then `repeat` times each, one at a time, interleaved, over HTTP with the admin key: the history of one
 *     (random) service `service(serviceId){ history(first: 20) }`, a services page `services(first: 50)`,
 *     `dashboardSummary`, `servicesNeedingAttention`: p50/p95/max per query, and CPU while they ran.
 * Schedule lag is the engine's own figure: a graphql-ws `checkCompleted` subscription (one per host for
 * `--lag-hosts` hosts, spread over the fleet) delivers `dueAt` (the due time the scheduler claimed the
 * service for) and `check { timestamp }` (when the check started), lag = timestamp - dueAt, per check, for
 * every check of those hosts' services. Runs the engine skipped (it skips the runs a late check missed,
 * keeping the phase) do not show up as lag, so they are counted from consecutive `dueAt`s of a service
 * (a gap of k intervals = k - 1 missed runs). `due -> delivered` (receipt of the event minus dueAt) is what a
 * live dashboard sees.
 *
 * History mode (`--history N`): creates the services with monitoring off (no checks compete with the
 * reads), seeds N history entries straight into monitoring_history (insertMany, 10,000 a batch, spread over
 * every service and the last 30 days, shaped as a real check's document that the server itself wrote
 * first), then times `service(serviceId){ history(first: 20) }` of random services through the API.
 *
 * Flags: --services N  --hosts H (50)  --interval SEC (20)  --minutes D  --every MIN  --repeat K
 *        --lag-hosts L (5)  --query-budget SEC (60; a query stops being repeated in a sample once it used
 *        this much)  --timeout SEC (120, one request)  --history N  --keep-data  --help
 * Output: progress on stderr, the per-sample lines and the final table on stdout, then one JSON line
 * (`SOAK_RESULT {...}`) with everything. The server's log is kept in a file (its path is printed).
 * Children (the server, and through it the database) are stopped on exit, SIGINT, SIGTERM and errors.
 */
import { execFileSync, execSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import { MongoClient, ObjectId, type Collection, type Document } from 'mongodb';
import WebSocket from 'ws';

// ---------------------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------------------

const USAGE = `usage: npm run bench:soak -- [services=5000] [minutes=30] [every_min=5] [repeat=20] [--hosts 50] [--interval 20] [--lag-hosts 5] [--query-budget 60] [--timeout 120] [--keep-data]
       npm run bench:soak -- --history 1000000 [--services 5000] [--hosts 50] [--repeat 100]`;

interface Options {
  services: number;
  hosts: number;
  intervalSec: number;
  minutes: number;
  everyMin: number;
  repeat: number;
  lagHosts: number;
  queryBudgetSec: number;
  timeoutSec: number;
  history: number | null;
  keepData: boolean;
}

function parseOptions(argv: string[]): Options {
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  const booleans = new Set(['keep-data', 'help']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (booleans.has(name)) flags[name] = 'true';
    else if (inline !== undefined) flags[name] = inline;
    else if (i + 1 < argv.length) flags[name] = argv[++i]!;
    else fail(`--${name} needs a value`);
  }
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const known = new Set(['services', 'hosts', 'interval', 'minutes', 'every', 'repeat', 'lag-hosts', 'query-budget', 'timeout', 'history', 'keep-data']);
  for (const name of Object.keys(flags)) if (!known.has(name)) fail(`unknown option --${name}`);
  if (positional.length > 4) fail(`too many arguments: ${positional.join(' ')}`);
  const historyMode = flags.history !== undefined;
  const num = (name: string, position: number | null, fallback: number, check: (n: number) => boolean, what: string): number => {
    const raw = flags[name] ?? (position === null ? undefined : positional[position]);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || !check(value)) fail(`${name} must be ${what}, got ${raw}`);
    return value;
  };
  const int = (n: number) => Number.isInteger(n);
  const options: Options = {
    services: num('services', 0, 5000, (n) => int(n) && n >= 1 && n <= 100_000, 'an integer 1-100000'),
    minutes: num('minutes', 1, 30, (n) => n > 0 && n <= 24 * 60, 'minutes, > 0 and at most 1440'),
    everyMin: num('every', 2, 5, (n) => n > 0, 'minutes, > 0'),
    repeat: num('repeat', 3, historyMode ? 100 : 20, (n) => int(n) && n >= 1 && n <= 10_000, 'an integer 1-10000'),
    hosts: num('hosts', null, 50, (n) => int(n) && n >= 1 && n <= 250, 'an integer 1-250'),
    intervalSec: num('interval', null, 20, (n) => int(n) && n >= 5 && n <= 3600, 'an integer 5-3600 (seconds)'),
    lagHosts: num('lag-hosts', null, 5, (n) => int(n) && n >= 0 && n <= 100, 'an integer 0-100'),
    queryBudgetSec: num('query-budget', null, 60, (n) => n > 0, 'seconds, > 0'),
    timeoutSec: num('timeout', null, 120, (n) => n > 0, 'seconds, > 0'),
    history: historyMode ? num('history', null, 1_000_000, (n) => int(n) && n >= 1 && n <= 50_000_000, 'an integer 1-50000000') : null,
    keepData: flags['keep-data'] === 'true',
  };
  if (historyMode && positional.length > 0) fail('--history takes flags only (--services, --hosts, --repeat)');
  options.hosts = Math.min(options.hosts, options.services);
  options.lagHosts = Math.min(options.lagHosts, options.hosts);
  return options;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------------
// Children and cleanup
// ---------------------------------------------------------------------------------------------------------

const root = join(import.meta.dirname, '..', '..');
const cleanups: Array<() => Promise<void> | void> = [];
/** Pids this process started or owns (the server, and the database the server started): killed on any exit. */
const ownedPids = new Set<number>();
let cleaning: Promise<void> | null = null;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        log(`cleanup step failed: ${String(error)}`);
      }
    }
  })();
  return cleaning;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

// Last resort, synchronous: whatever is still running when this process exits is killed.
process.on('exit', () => {
  for (const pid of ownedPids) if (alive(pid)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
});
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping the server and exiting`);
    void cleanup().finally(() => process.exit(code));
  });
}
process.on('unhandledRejection', (reason) => {
  log(`error: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`);
  void cleanup().finally(() => process.exit(1));
});

const log = (line: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const out = (line: string) => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------------------
// The server, as an operator starts it
// ---------------------------------------------------------------------------------------------------------

interface RunningServer {
  child: ChildProcess;
  url: string;
  key: string;
  dbPort: number;
  logFile: string;
  /** The database process's pid now (it changes when the server restarts a crashed database). */
  dbPid(): number | null;
  /** Log lines by level since start, and notable lines (embedded database restarts, watchdog repairs). */
  logCounts: { warn: number; error: number; restarts: number };
  recentLog(): string[];
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startServer(dataDir: string, logFile: string): Promise<RunningServer> {
  const port = await freePort();
  const dbPort = await freePort();
  // As test/helpers/processes.ts: without test settings or a database of the caller's.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('MONGODB_') && key !== 'EMBEDDED_DB' && key !== 'NODE_ENV' && !key.startsWith('VITEST') && !key.startsWith('npm_')),
  );
  const child = spawn(process.execPath, [join(root, 'dist', 'src', 'main.js')], {
    cwd: root,
    // The per-key rate limit (RATE_LIMIT_PER_SEC, 50/s) is lifted: one key sends every timed read back to back, and a
    // refused read would only be left out of the figures.
    env: { ...env, DATA_DIR: dataDir, EMBEDDED_DB: 'mongo-java-server', PORT: String(port), EMBEDDED_DB_PORT: String(dbPort), RATE_LIMIT_PER_SEC: '100000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  ownedPids.add(child.pid!);
  const logStream = createWriteStream(logFile);
  const recent: string[] = [];
  const logCounts = { warn: 0, error: 0, restarts: 0 };
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    logStream.write(chunk);
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`the server exited (${code ?? signal}) before it was ready; its log: ${logFile}\n${recent.slice(-20).join('\n')}`)));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      logStream.write(`${line}\n`);
      recent.push(line);
      if (recent.length > 200) recent.shift();
      if (/^\S+ WARN /.test(line)) logCounts.warn++;
      if (/^\S+ ERROR /.test(line)) logCounts.error++;
      if (line.includes('embedded database process exited')) logCounts.restarts++;
      if (line.includes('service-monitor API listening')) resolve();
    });
  });
  cleanups.push(async () => {
    const db = currentDbPid(child.pid!);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const exited = await Promise.race([new Promise((resolve) => child.once('exit', resolve)).then(() => true), sleep(20_000).then(() => false)]);
      if (!exited) {
        log('the server did not stop within 20 s of SIGTERM: SIGKILL');
        child.kill('SIGKILL');
      }
    }
    // The database exits when its parent's pipe closes; make sure.
    for (let i = 0; db !== null && alive(db) && i < 50; i++) await sleep(100);
    if (db !== null && alive(db)) process.kill(db, 'SIGKILL');
    logStream.end();
  });
  let readyTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    ready,
    new Promise<never>((_, reject) => (readyTimer = setTimeout(() => reject(new Error(`the server was not ready within 300 s; its log: ${logFile}`)), 300_000))),
  ]).finally(() => clearTimeout(readyTimer));
  ready.catch(() => {}); // An exit later is noticed by the sampling loop.
  // The first admin key, printed once on stdout at the first start.
  for (let i = 0; i < 50 && !/smk_[A-Za-z0-9_-]+/.test(stdout); i++) await sleep(100);
  const key = /smk_[A-Za-z0-9_-]+/.exec(stdout)?.[0];
  if (!key) throw new Error(`the server printed no admin key on stdout; its log: ${logFile}`);
  let dbPid: number | null = null;
  return {
    child,
    url: `http://127.0.0.1:${port}/graphql`,
    key,
    dbPort,
    logFile,
    dbPid() {
      if (dbPid === null || !alive(dbPid)) {
        dbPid = currentDbPid(child.pid!);
        if (dbPid !== null) ownedPids.add(dbPid);
      }
      return dbPid;
    },
    logCounts,
    recentLog: () => [...recent],
  };
}

/** The java child of the server process (/proc/<pid>/task/<tid>/children), or null. */
function currentDbPid(serverPid: number): number | null {
  try {
    for (const tid of readdirSync(`/proc/${serverPid}/task`)) {
      const children = readFileSync(`/proc/${serverPid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      for (const pid of children) {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (cmdline.includes('java')) return pid;
      }
    }
  } catch {
    // The server is gone.
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// CPU, memory, machine
// ---------------------------------------------------------------------------------------------------------

const CLK_TCK = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

/** CPU seconds (user + system) a process used so far; null when it is gone. */
function cpuSeconds(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

function rssMb(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine (every core), for how loaded it was meanwhile. */
function machineJiffies(): { busy: number; total: number } {
  const values = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = values[3]! + values[4]!;
  return { busy: total - idle, total };
}

interface Snapshot {
  at: number;
  api: number | null;
  db: number | null;
  dbPid: number | null;
  bench: number;
  machine: { busy: number; total: number };
  history: number;
}

async function snapshot(server: RunningServer, history: () => Promise<number>): Promise<Snapshot> {
  const count = await history();
  const usage = process.cpuUsage();
  const dbPid = server.dbPid();
  return {
    at: Date.now(),
    api: cpuSeconds(server.child.pid!),
    db: cpuSeconds(dbPid),
    dbPid,
    bench: (usage.user + usage.system) / 1e6,
    machine: machineJiffies(),
    history: count,
  };
}

interface CpuFigures {
  seconds: number;
  api_cpu_pct: number | null;
  db_cpu_pct: number | null;
  bench_cpu_pct: number;
  /** Whole machine, % of all its cores together (other engineers' work included). */
  machine_busy_pct: number;
}

function cpuBetween(a: Snapshot, b: Snapshot): CpuFigures {
  const seconds = (b.at - a.at) / 1000;
  const pct = (x: number | null, y: number | null) => (x === null || y === null || seconds <= 0 ? null : round1((100 * (y - x)) / seconds));
  return {
    seconds: round1(seconds),
    api_cpu_pct: pct(a.api, b.api),
    // A restarted database is a new process: its CPU from before is not comparable.
    db_cpu_pct: a.dbPid === b.dbPid ? pct(a.db, b.db) : null,
    bench_cpu_pct: pct(a.bench, b.bench) ?? 0,
    machine_busy_pct: round1((100 * (b.machine.busy - a.machine.busy)) / Math.max(1, b.machine.total - a.machine.total)),
  };
}

// ---------------------------------------------------------------------------------------------------------
// GraphQL over HTTP
// ---------------------------------------------------------------------------------------------------------

class Api {
  constructor(
    readonly url: string,
    private readonly key: string,
    private readonly timeoutMs: number,
  ) {}

  /** Runs one operation; resolves with its data and the round-trip time (request sent -> body parsed). */
  async request<T = Record<string, unknown>>(query: string, variables: Record<string, unknown> = {}): Promise<{ data: T; ms: number }> {
    const started = performance.now();
    const response = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.key}` },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const body = (await response.json()) as { data?: T; errors?: { message: string; extensions?: unknown }[] };
    const ms = performance.now() - started;
    if (body.errors?.length || !body.data) {
      throw new Error(`GraphQL ${response.status}: ${JSON.stringify(body.errors ?? body).slice(0, 600)}`);
    }
    return { data: body.data, ms };
  }
}

// ---------------------------------------------------------------------------------------------------------
// The fleet: local HTTP listeners, hosts and services through the API
// ---------------------------------------------------------------------------------------------------------

interface Fleet {
  hostIds: string[];
  serviceIds: string[];
  /** Seconds creating the services took (after the hosts). */
  createSeconds: number;
  requestsServed: () => number;
}

/** One HTTP listener per host, each on its own loopback address (127.0.1.<n>), answering 200. */
async function startListeners(hosts: number): Promise<{ addresses: { ip: string; port: number }[]; served: () => number }> {
  let served = 0;
  const servers: Server[] = [];
  const addresses: { ip: string; port: number }[] = [];
  for (let h = 0; h < hosts; h++) {
    const ip = `127.0.1.${h + 1}`;
    const server = createHttpServer((_req, res) => {
      served++;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, ip, 511, resolve);
    });
    servers.push(server);
    addresses.push({ ip, port: (server.address() as { port: number }).port });
  }
  cleanups.push(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
  return { addresses, served: () => served };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * Hosts in one request, services in batches of `batch` (aliases in one mutation each), two requests in flight,
 * paced so the services' creation (and so their first due time: a new service is due at once) spreads over
 * `spreadMs`. With creation slower than that, as fast as it goes.
 */
async function createFleet(api: Api, options: Options, enabled: boolean, spreadMs: number): Promise<Fleet> {
  const listeners = await startListeners(options.hosts);
  const hostIds = listeners.addresses.map((_, h) => `soak_host_${pad(h, 3)}`);
  const hostInputs = listeners.addresses.map(({ ip }, h) => ({
    hostId: hostIds[h],
    hostname: `soak-${pad(h, 3)}`,
    ipAddress: ip,
    environment: h % 5 === 0 ? 'PRODUCTION' : h % 5 === 1 ? 'STAGING' : 'DEV',
    region: `region-${h % 4}`,
    sshConfig: { user: 'soak' },
  }));
  await aliasedMutation(api, 'createHost', 'HostCreateInput', hostInputs, 'hostId');

  const serviceIds: string[] = [];
  const serviceInputs: Record<string, unknown>[] = [];
  const perHost = Math.ceil(options.services / options.hosts);
  for (let i = 0; i < options.services; i++) {
    // Round robin over hosts, so any prefix of the list (and so of the creation order) covers every host.
    const h = i % options.hosts;
    const j = Math.floor(i / options.hosts);
    const { ip, port } = listeners.addresses[h]!;
    const serviceId = `soak_${pad(h, 3)}_${pad(j, String(perHost).length)}`;
    serviceIds.push(serviceId);
    serviceInputs.push({
      serviceId,
      hostId: hostIds[h],
      serviceName: `soak-${pad(h, 3)}-${pad(j, 4)}.service`,
      serviceType: ['nginx', 'api', 'web', 'auth'][i % 4],
      monitoring: { method: 'HTTP', target: `http://${ip}:${port}/health/${serviceId}`, intervalSec: options.intervalSec, timeoutSec: Math.min(5, options.intervalSec), enabled },
    });
  }
  const BATCH = ALIASES_PER_MUTATION;
  const IN_FLIGHT = Number(process.env.SOAK_IN_FLIGHT ?? 4);
  const batches = Math.ceil(serviceInputs.length / BATCH);
  const started = Date.now();
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let b = next++; b < batches; b = next++) {
      const due = started + (b / batches) * spreadMs;
      if (due > Date.now()) await sleep(due - Date.now());
      await aliasedMutation(api, 'createService', 'ServiceCreateInput', serviceInputs.slice(b * BATCH, (b + 1) * BATCH), 'serviceId');
      done += Math.min(BATCH, serviceInputs.length - b * BATCH);
      if (b % 20 === 19) log(`created ${done}/${serviceInputs.length} services`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { hostIds, serviceIds, createSeconds: (Date.now() - started) / 1000, requestsServed: listeners.served };
}

/** Under the server's default GRAPHQL_MAX_ALIASES (30). */
const ALIASES_PER_MUTATION = 25;

async function aliasedMutation(api: Api, field: string, inputType: string, inputs: unknown[], idField: string): Promise<void> {
  if (inputs.length > ALIASES_PER_MUTATION) {
    for (let i = 0; i < inputs.length; i += ALIASES_PER_MUTATION) await aliasedMutation(api, field, inputType, inputs.slice(i, i + ALIASES_PER_MUTATION), idField);
    return;
  }
  const variables = Object.fromEntries(inputs.map((input, i) => [`i${i}`, input]));
  const declarations = inputs.map((_, i) => `$i${i}: ${inputType}!`).join(', ');
  const selections = inputs.map((_, i) => `m${i}: ${field}(input: $i${i}) { ${idField} }`).join('\n');
  await api.request(`mutation Create(${declarations}) {\n${selections}\n}`, variables);
}

// ---------------------------------------------------------------------------------------------------------
// Schedule lag from the engine's own check events
// ---------------------------------------------------------------------------------------------------------

interface LagRecord {
  serviceId: string;
  dueAt: number;
  startedAt: number;
  writtenAt: number;
  receivedAt: number;
  /** Runs skipped since this service's previous observed check (consecutive dueAt k intervals apart: k - 1). */
  missedBefore: number;
}

const LAG_SUBSCRIPTION = `subscription Lag($hostId: String) {
  checkCompleted(filter: { hostId: $hostId }) { id at dueAt serviceId check { timestamp } }
}`;

interface LagFeed {
  records: LagRecord[];
  problems: string[];
  close(): Promise<void>;
}

async function watchLag(api: Api, key: string, hostIds: string[], intervalMs: number): Promise<LagFeed> {
  const records: LagRecord[] = [];
  const problems: string[] = [];
  const lastDue = new Map<string, number>();
  if (hostIds.length === 0) return { records, problems, close: async () => {} };
  const client: Client = createClient({
    url: api.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    lazy: false,
    retryAttempts: 5,
    onNonLazyError: (error) => problems.push(`live connection: ${String(error)}`),
  });
  const stops = hostIds.map((hostId) =>
    client.subscribe<{ checkCompleted: { id: string; at: string; dueAt: string | null; serviceId: string; check: { timestamp: string } | null } }>(
      { query: LAG_SUBSCRIPTION, variables: { hostId } },
      {
        next: (result) => {
          const receivedAt = Date.now();
          const event = result.data?.checkCompleted;
          if (result.errors?.length || !event) {
            if (problems.length < 20) problems.push(`event: ${JSON.stringify(result.errors ?? result).slice(0, 300)}`);
            return;
          }
          // On-demand checks (and replays) carry no due time: not the schedule's.
          if (!event.dueAt || !event.check) return;
          const dueAt = Date.parse(event.dueAt);
          const previous = lastDue.get(event.serviceId);
          lastDue.set(event.serviceId, Math.max(dueAt, previous ?? dueAt));
          const missedBefore = previous === undefined || dueAt <= previous ? 0 : Math.max(0, Math.round((dueAt - previous) / intervalMs) - 1);
          records.push({ serviceId: event.serviceId, dueAt, startedAt: Date.parse(event.check.timestamp), writtenAt: Date.parse(event.at), receivedAt, missedBefore });
        },
        error: (error) => problems.push(`subscription (${hostId}): ${JSON.stringify(error).slice(0, 300)}`),
        complete: () => {},
      },
    ),
  );
  return {
    records,
    problems,
    close: async () => {
      stops.forEach((stop) => stop());
      await client.dispose();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The queries a dashboard sends
// ---------------------------------------------------------------------------------------------------------

const QUERIES = {
  history: `query History($serviceId: String!) {
  service(serviceId: $serviceId) {
    serviceId
    history(first: 20) {
      edges { cursor node { id timestamp status statusCode responseTimeMs error recoveryAttempted } }
      pageInfo { hasNextPage endCursor }
    }
  }
}`,
  servicesPage: `query ServicesPage {
  services(first: 50) {
    totalCount
    edges { cursor node { serviceId serviceName currentStatus lastCheck consecutiveFailures uptimePercentage staleAt host { hostname } } }
    pageInfo { hasNextPage endCursor }
  }
}`,
  dashboardSummary: `query Dashboard {
  dashboardSummary {
    totalHosts activeHosts totalServices runningServices stoppedServices errorServices unknownServices warningServices
    byEnvironment { key count } byRegion { key count } byServiceType { key count }
  }
}`,
  servicesNeedingAttention: `query Attention {
  servicesNeedingAttention {
    downServices { serviceId serviceName currentStatus host { hostname } }
    highFailureRate { serviceId consecutiveFailures }
    staleChecks { serviceId lastCheck staleAt }
    checksNotRunning { serviceId }
    recoveryGaveUp { serviceId }
    misconfigured { serviceId }
  }
}`,
} as const;
type QueryName = keyof typeof QUERIES;
const QUERY_NAMES = Object.keys(QUERIES) as QueryName[];

interface Timing {
  n: number;
  p50_ms: number | null;
  p95_ms: number | null;
  max_ms: number | null;
  errors: number;
  /** Left out: repeats not run because the query had used its time budget in this sample. */
  skipped: number;
}

/** A small deterministic generator, so two runs ask for the same services. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function timingOf(values: number[], errors: number, skipped: number): Timing {
  const sorted = [...values].sort((a, b) => a - b);
  const r = (n: number | null) => (n === null ? null : round1(n));
  return { n: sorted.length, p50_ms: r(percentile(sorted, 50)), p95_ms: r(percentile(sorted, 95)), max_ms: r(sorted.at(-1) ?? null), errors, skipped };
}

/**
 * Each query `repeat` times, one request at a time, round robin over the queries (so a slow phase of the
 * machine hits all of them alike). A query that has used `budgetMs` in this call is not repeated further.
 */
async function runQueries(api: Api, names: QueryName[], repeat: number, budgetMs: number, serviceIds: string[], random: () => number, errorsSeen: string[]) {
  const times = new Map<QueryName, number[]>(names.map((n) => [n, []]));
  const used = new Map<QueryName, number>(names.map((n) => [n, 0]));
  const errors = new Map<QueryName, number>(names.map((n) => [n, 0]));
  const skipped = new Map<QueryName, number>(names.map((n) => [n, 0]));
  let attention: Record<string, number> | null = null;
  for (let round = 0; round < repeat; round++) {
    for (const name of names) {
      if (used.get(name)! >= budgetMs) {
        skipped.set(name, skipped.get(name)! + 1);
        continue;
      }
      const variables = name === 'history' ? { serviceId: serviceIds[Math.floor(random() * serviceIds.length)]! } : {};
      const started = performance.now();
      try {
        const { data, ms } = await api.request<Record<string, unknown>>(QUERIES[name], variables);
        times.get(name)!.push(ms);
        if (name === 'servicesNeedingAttention') {
          const lists = data.servicesNeedingAttention as Record<string, unknown[]>;
          attention = Object.fromEntries(Object.entries(lists).map(([k, v]) => [k, v.length]));
        }
        if (name === 'history' && !(data.service as { history?: unknown } | null)?.history) throw new Error(`no such service ${String(variables.serviceId)}`);
      } catch (error) {
        errors.set(name, errors.get(name)! + 1);
        if (errorsSeen.length < 20) errorsSeen.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      }
      used.set(name, used.get(name)! + (performance.now() - started));
    }
  }
  const timings = Object.fromEntries(names.map((n) => [n, timingOf(times.get(n)!, errors.get(n)!, skipped.get(n)!)])) as Record<QueryName, Timing>;
  return { timings, attention };
}

// ---------------------------------------------------------------------------------------------------------
// Run description
// ---------------------------------------------------------------------------------------------------------

function describeRun(): Record<string, unknown> {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      return null;
    }
  };
  const jar = join(root, 'tools/mongo-java-server/target/mongo-java-server-launcher.jar');
  return {
    machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    load_average_at_start: loadavg().map(round1),
    git_head: git('rev-parse', '--short', 'HEAD'),
    git_dirty_files: git('--no-optional-locks', 'status', '--porcelain')?.split('\n').filter(Boolean).length ?? null,
    /** The jar the server starts (taken before it starts: a rebuild during the run shows as a later time). */
    launcher_jar_built: existsSync(jar) ? statSync(jar).mtime.toISOString() : null,
    database: 'mongo-java-server through tools/mongo-java-server (EMBEDDED_DB=mongo-java-server, H2 files in DATA_DIR)',
  };
}

// ---------------------------------------------------------------------------------------------------------
// Soak mode
// ---------------------------------------------------------------------------------------------------------

interface SampleResult {
  sample: number;
  /** Minutes since the fleet existed, when the queries started. */
  t_min: number;
  history_entries: number;
  period: CpuFigures & {
    checks_per_sec: number | null;
    cpu_ms_per_check: number | null;
    lag_checks_observed: number;
    lag_p50_ms: number | null;
    lag_p99_ms: number | null;
    lag_max_ms: number | null;
    missed_runs: number;
    due_to_delivered_p50_ms: number | null;
    due_to_delivered_p99_ms: number | null;
  };
  queries: Record<QueryName, Timing>;
  during_queries: CpuFigures;
  attention_counts: Record<string, number> | null;
  api_rss_mb: number | null;
  db_rss_mb: number | null;
  db_pid: number | null;
  server_log: { warn: number; error: number; db_restarts: number };
  bench_event_loop_p99_ms: number;
}

async function soak(options: Options): Promise<void> {
  const run = describeRun();
  const intervalMs = options.intervalSec * 1000;
  const offered = options.services / options.intervalSec;
  const { server, api, history, dataDir } = await serverForRun(options);
  log(`creating ${options.hosts} hosts and ${options.services} HTTP services (every ${options.intervalSec} s), spread over one interval`);
  const fleet = await createFleet(api, options, true, intervalMs);
  const fleetReady = Date.now();
  log(`fleet created in ${round1(fleet.createSeconds)} s`);
  // Lag hosts spread over the list; the subscription takes every check of their services.
  const lagHostIds = Array.from({ length: options.lagHosts }, (_, i) => fleet.hostIds[Math.floor((i * fleet.hostIds.length) / options.lagHosts)]!);
  const lag = await watchLag(api, server.key, lagHostIds, intervalMs);
  cleanups.push(() => lag.close());
  const lagServices = fleet.serviceIds.filter((_, i) => lagHostIds.includes(fleet.hostIds[i % options.hosts]!)).length;
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();

  const random = rng(15);
  const errorsSeen: string[] = [];
  const samples: SampleResult[] = [];
  const endAt = fleetReady + options.minutes * 60_000;
  const everyMs = options.everyMin * 60_000;
  // Sample 0 one interval after the fleet exists (its period: that interval), then every `every` minutes up to
  // the end, and at the end; each period at least one interval long (when the queries before it overran).
  const planned = [fleetReady + intervalMs];
  for (let k = 1; fleetReady + k * everyMs <= endAt; k++) if (fleetReady + k * everyMs > planned.at(-1)! + intervalMs) planned.push(fleetReady + k * everyMs);
  if (planned.at(-1)! < endAt - intervalMs) planned.push(endAt);
  let periodStart = await snapshot(server, history);
  for (let k = 0; k < planned.length; k++) {
    const at = Math.max(planned[k]!, periodStart.at + intervalMs);
    if (at > Date.now()) await sleep(at - Date.now());
    if (server.child.exitCode !== null) throw new Error(`the server exited (${server.child.exitCode}); its log: ${server.logFile}`);
    const periodEnd = await snapshot(server, history);
    // Checks that started in the period (lag is assigned by start time).
    const periodRecords = lag.records.filter((r) => r.startedAt > periodStart.at && r.startedAt <= periodEnd.at);
    const lags = periodRecords.map((r) => r.startedAt - r.dueAt).sort((a, b) => a - b);
    const delivered = periodRecords.map((r) => r.receivedAt - r.dueAt).sort((a, b) => a - b);
    const cpu = cpuBetween(periodStart, periodEnd);
    const checks = periodEnd.history - periodStart.history;
    const checksPerSec = cpu.seconds > 0 ? round1(checks / cpu.seconds) : null;
    const cpuMsPerCheck =
      checks > 0 && cpu.api_cpu_pct !== null && cpu.db_cpu_pct !== null ? round1(((cpu.api_cpu_pct + cpu.db_cpu_pct) * 10 * cpu.seconds) / checks) : null;
    const r1 = (n: number | null) => (n === null ? null : round1(n));
    // Before the first measured queries: a few unmeasured, so a cold process (JIT, connections) does not count as slow.
    if (k === 0) await runQueries(api, QUERY_NAMES, 3, options.queryBudgetSec * 1000, fleet.serviceIds, rng(1), []);
    const queriesStart = await snapshot(server, history);
    log(`sample ${k}: querying (${options.repeat} x ${QUERY_NAMES.length} queries)`);
    const { timings, attention } = await runQueries(api, QUERY_NAMES, options.repeat, options.queryBudgetSec * 1000, fleet.serviceIds, random, errorsSeen);
    const queriesEnd = await snapshot(server, history);
    const result: SampleResult = {
      sample: k,
      t_min: round1((queriesStart.at - fleetReady) / 60_000),
      history_entries: queriesStart.history,
      period: {
        ...cpu,
        checks_per_sec: checksPerSec,
        cpu_ms_per_check: cpuMsPerCheck,
        lag_checks_observed: periodRecords.length,
        lag_p50_ms: r1(percentile(lags, 50)),
        lag_p99_ms: r1(percentile(lags, 99)),
        lag_max_ms: r1(lags.at(-1) ?? null),
        missed_runs: periodRecords.reduce((sum, r) => sum + r.missedBefore, 0),
        due_to_delivered_p50_ms: r1(percentile(delivered, 50)),
        due_to_delivered_p99_ms: r1(percentile(delivered, 99)),
      },
      queries: timings,
      during_queries: cpuBetween(queriesStart, queriesEnd),
      attention_counts: attention,
      api_rss_mb: rssMb(server.child.pid!),
      db_rss_mb: rssMb(queriesEnd.dbPid),
      db_pid: queriesEnd.dbPid,
      server_log: { warn: server.logCounts.warn, error: server.logCounts.error, db_restarts: server.logCounts.restarts },
      bench_event_loop_p99_ms: round1(loopDelay.percentile(99) / 1e6),
    };
    loopDelay.reset();
    samples.push(result);
    out(sampleLine(result));
    periodStart = queriesEnd;
  }
  loopDelay.disable();

  const served = fleet.requestsServed();
  const result = {
    mode: 'soak',
    ...run,
    options: { ...options, offered_checks_per_sec: offered },
    fleet_create_seconds: round1(fleet.createSeconds),
    lag_sample: { hosts: lagHostIds.length, services: lagServices, of_services: options.services, how: 'checkCompleted subscription per host: check.timestamp (started) - dueAt (due); missed runs from consecutive dueAt' },
    http_requests_served: served,
    live_problems: lag.problems.slice(0, 20),
    query_errors: errorsSeen,
    server_log_file: server.logFile,
    data_dir: options.keepData ? dataDir : null,
    samples,
    goals: soakGoals(samples),
  };
  printSoakTable(result.samples, options, lagServices);
  printGoals(result.goals);
  out(`SOAK_RESULT ${JSON.stringify(result)}`);
}

function sampleLine(s: SampleResult): string {
  const q = (name: QueryName) => `${name} ${fmt(s.queries[name].p50_ms)}/${fmt(s.queries[name].p95_ms)}`;
  return (
    `sample ${s.sample} t=${s.t_min}min history=${s.history_entries} checks/s=${fmt(s.period.checks_per_sec)} ` +
    `lag p50/p99=${fmt(s.period.lag_p50_ms)}/${fmt(s.period.lag_p99_ms)} ms (n=${s.period.lag_checks_observed}, missed ${s.period.missed_runs}) ` +
    `cpu api/db=${fmt(s.period.api_cpu_pct)}%/${fmt(s.period.db_cpu_pct)}% | p50/p95 ms: ${QUERY_NAMES.map(q).join(', ')}`
  );
}

const fmt = (n: number | null | undefined) => (n === null || n === undefined ? '-' : String(n));

function printSoakTable(samples: SampleResult[], options: Options, lagServices: number): void {
  const head = ['t min', 'history', 'checks/s', 'lag p50', 'lag p99', 'missed', 'api cpu%', 'db cpu%', 'ms/check', 'history p50/p95', 'services p50/p95', 'dashboard p50/p95', 'attention p50/p95', 'machine%'];
  const rows = samples.map((s) => [
    String(s.t_min),
    String(s.history_entries),
    fmt(s.period.checks_per_sec),
    fmt(s.period.lag_p50_ms),
    fmt(s.period.lag_p99_ms),
    String(s.period.missed_runs),
    fmt(s.period.api_cpu_pct),
    fmt(s.period.db_cpu_pct),
    fmt(s.period.cpu_ms_per_check),
    ...QUERY_NAMES.map((n) => `${fmt(s.queries[n].p50_ms)} / ${fmt(s.queries[n].p95_ms)}${s.queries[n].errors ? ` (${s.queries[n].errors} err)` : ''}${s.queries[n].skipped ? ` (${s.queries[n].n} run)` : ''}`),
    fmt(s.period.machine_busy_pct),
  ]);
  out('');
  out(`Soak: ${options.services} HTTP services every ${options.intervalSec} s (offered ${round1(options.services / options.intervalSec)} checks/s), ${options.minutes} min, samples every ${options.everyMin} min, ${options.repeat} of each query per sample`);
  out(`checks/s, lag, missed runs and CPU are over each period between samples with no queries running; lag = check start - due time, from ${lagServices} services' checkCompleted events; CPU in % of one core; machine% = all cores busy, anyone's`);
  out(table(head, rows));
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

interface Goal {
  goal: string;
  holds: boolean | null;
  detail: string;
}

/** Issue 15 item 4: each p95 < 100 ms and within 2x from first to last sample; lag p99 < 1 s throughout. */
function soakGoals(samples: SampleResult[]): Goal[] {
  const goals: Goal[] = [];
  for (const name of QUERY_NAMES) {
    const p95s = samples.map((s) => s.queries[name].p95_ms);
    const known = p95s.filter((p): p is number => p !== null);
    const first = p95s[0] ?? null;
    const last = p95s.at(-1) ?? null;
    goals.push({ goal: `${name} p95 < 100 ms in every sample`, holds: known.length === samples.length ? known.every((p) => p < 100) : null, detail: `p95s ${p95s.map(fmt).join(', ')} ms` });
    // Flat: no growth beyond 2x as history grows (a drop, e.g. from a busier machine at the first sample, passes).
    goals.push({
      goal: `${name} p95 flat: last sample within 2x of the first`,
      holds: first !== null && last !== null ? last <= 2 * first : null,
      detail: `first ${fmt(first)} ms, last ${fmt(last)} ms (x${first && last !== null ? round1(last / first) : '-'})`,
    });
  }
  const lagP99 = samples.map((s) => s.period.lag_p99_ms);
  goals.push({
    goal: 'schedule lag p99 < 1 s in every period',
    holds: lagP99.every((p) => p !== null) ? lagP99.every((p) => p! < 1000) : null,
    detail: `p99s ${lagP99.map(fmt).join(', ')} ms; missed runs ${samples.map((s) => s.period.missed_runs).join(', ')}`,
  });
  goals.push({ goal: 'database CPU reported', holds: samples.every((s) => s.period.db_cpu_pct !== null), detail: `db % of a core ${samples.map((s) => fmt(s.period.db_cpu_pct)).join(', ')}` });
  return goals;
}

function printGoals(goals: Goal[]): void {
  out('');
  for (const g of goals) out(`${g.holds === null ? 'n/a ' : g.holds ? 'PASS' : 'FAIL'}  ${g.goal}: ${g.detail}`);
}

// ---------------------------------------------------------------------------------------------------------
// History mode
// ---------------------------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;

async function historyMode(options: Options, entries: number): Promise<void> {
  const run = describeRun();
  const { server, api, history, mongo, dataDir } = await serverForRun(options);
  log(`creating ${options.hosts} hosts and ${options.services} HTTP services with monitoring off`);
  const fleet = await createFleet(api, options, false, 0);
  const collection = mongo.db(DATABASE).collection('monitoring_history');

  const template = await realCheckTemplate(api, fleet, collection);
  log(`seeding ${entries} history entries over ${fleet.serviceIds.length} services and 30 days (template: ${template.real ? 'a check the server wrote' : 'built-in shape'})`);
  const seedStarted = Date.now();
  const windowEnd = Date.now() - 60_000;
  // Nothing expires while measuring: the oldest entry is two hours younger than the retention.
  const windowStart = windowEnd - 30 * DAY_MS + 2 * 3_600_000;
  const span = windowEnd - windowStart;
  const hostOf = (i: number) => fleet.hostIds[i % options.hosts]!;
  const random = rng(42);
  const objectIds = objectIdMaker();
  const BATCH = 10_000;
  for (let from = 0; from < entries; from += BATCH) {
    const docs: Document[] = [];
    for (let j = from; j < Math.min(entries, from + BATCH); j++) {
      // In time order, as checks arrive; round robin over services, so each has entries spread over the window.
      const timestamp = windowStart + Math.floor((j / entries) * span);
      const s = j % fleet.serviceIds.length;
      docs.push(historyDoc(template.doc, objectIds(timestamp), fleet.serviceIds[s]!, hostOf(s), timestamp, random()));
    }
    await collection.insertMany(docs, { ordered: false });
    if ((from / BATCH) % 10 === 9 || from + BATCH >= entries) log(`seeded ${Math.min(entries, from + BATCH)}/${entries} (${Math.round(Math.min(entries, from + BATCH) / ((Date.now() - seedStarted) / 1000))}/s)`);
  }
  const seedSeconds = (Date.now() - seedStarted) / 1000;
  const count = await history();
  log(`monitoring_history holds ${count} entries; measuring`);

  const errorsSeen: string[] = [];
  const queryRandom = rng(15);
  // A few first, unmeasured: connections, JIT, caches of either process.
  await runQueries(api, ['history'], 3, options.queryBudgetSec * 1000, fleet.serviceIds, queryRandom, errorsSeen);
  const before = await snapshot(server, history);
  const { timings } = await runQueries(api, ['history'], options.repeat, options.queryBudgetSec * 5 * 1000, fleet.serviceIds, queryRandom, errorsSeen);
  const after = await snapshot(server, history);
  const timing = timings.history;
  const goal: Goal = { goal: 'history(first: 20) of one service p95 < 50 ms', holds: timing.p95_ms === null ? null : timing.p95_ms < 50, detail: `p50 ${fmt(timing.p50_ms)} ms, p95 ${fmt(timing.p95_ms)} ms, max ${fmt(timing.max_ms)} ms, n ${timing.n}` };
  const result = {
    mode: 'history',
    ...run,
    options,
    history_entries: count,
    entries_per_service: Math.round(count / fleet.serviceIds.length),
    seed_seconds: round1(seedSeconds),
    seed_inserts_per_sec: Math.round(entries / seedSeconds),
    template_from_real_check: template.real,
    template_fields: Object.keys(template.doc),
    history_query: timing,
    during_queries: cpuBetween(before, after),
    api_rss_mb: rssMb(server.child.pid!),
    db_rss_mb: rssMb(after.dbPid),
    query_errors: errorsSeen,
    server_log_file: server.logFile,
    data_dir: options.keepData ? dataDir : null,
    goals: [goal],
  };
  out('');
  out(`History: ${count} entries in monitoring_history (${result.entries_per_service} per service over 30 days, ${fleet.serviceIds.length} services, monitoring off), seeded in ${result.seed_seconds} s`);
  out(
    table(
      ['query', 'n', 'p50 ms', 'p95 ms', 'max ms', 'errors', 'api cpu%', 'db cpu%'],
      [['service(serviceId){ history(first: 20) }', String(timing.n), fmt(timing.p50_ms), fmt(timing.p95_ms), fmt(timing.max_ms), String(timing.errors), fmt(result.during_queries.api_cpu_pct), fmt(result.during_queries.db_cpu_pct)]],
    ),
  );
  printGoals([goal]);
  out(`SOAK_RESULT ${JSON.stringify(result)}`);
}

/**
 * A document the server itself wrote for a check: one extra service with monitoring on, checked once (a new
 * service is due at once), its entry read back, the service deleted. The seed copies its shape. Falls back
 * to the shape src/modules/history/check-recorder.ts writes for a passing HTTP check.
 */
async function realCheckTemplate(api: Api, fleet: Fleet, collection: Collection): Promise<{ doc: Document; real: boolean }> {
  const first = await api.request<{ service: { monitoring: { target: string } } }>(`query T($id: String!) { service(serviceId: $id) { monitoring { target } } }`, { id: fleet.serviceIds[0] });
  await api.request(`mutation C($input: ServiceCreateInput!) { createService(input: $input) { serviceId } }`, {
    input: { serviceId: 'soak_template', hostId: fleet.hostIds[0], serviceName: 'soak-template.service', serviceType: 'nginx', monitoring: { method: 'HTTP', target: first.data.service.monitoring.target, intervalSec: 3600, timeoutSec: 5 } },
  });
  let doc: Document | null = null;
  for (let i = 0; i < 60 && !doc; i++) {
    doc = await collection.findOne({ service_id: 'soak_template' });
    if (!doc) await sleep(500);
  }
  await api.request(`mutation D { deleteService(serviceId: "soak_template") }`);
  if (doc) {
    await collection.deleteMany({ service_id: 'soak_template' });
    return { doc, real: true };
  }
  log('no check of the template service was written within 30 s: seeding the built-in shape');
  return {
    real: false,
    doc: {
      service_id: '',
      host_id: '',
      timestamp: new Date(),
      check_type: 'status_check',
      status: 'running',
      status_code: 200,
      response_time_ms: 2,
      metrics: { custom: { attempts: 1 } },
      error: null,
      error_details: null,
      recovery_attempted: false,
      recovery_action: null,
      recovery_success: null,
      recovery_message: null,
      expires_at: new Date(),
      recorded_at: new Date(),
    },
  };
}

/** ObjectIds carrying the entry's own time (as the recorder's, made when the result is written), unique by counter. */
function objectIdMaker(): (timeMs: number) => ObjectId {
  const random = Buffer.from(Array.from({ length: 5 }, () => Math.floor(Math.random() * 256)));
  let counter = Math.floor(Math.random() * 0xffffff);
  return (timeMs) => {
    const bytes = Buffer.alloc(12);
    bytes.writeUInt32BE(Math.floor(timeMs / 1000), 0);
    random.copy(bytes, 4);
    counter = (counter + 1) & 0xffffff;
    bytes.writeUIntBE(counter, 9, 3);
    return new ObjectId(bytes);
  };
}

/** The template with this entry's identity and time; about 2% failures (HTTP 503), as a fleet has. */
function historyDoc(template: Document, _id: ObjectId, serviceId: string, hostId: string, timestamp: number, roll: number): Document {
  const { _id: _ignored, previous_status: _p, late: _l, recovery_at: _r, ...shape } = template;
  const responseMs = 1 + Math.round(roll * 40);
  const failed = roll < 0.02;
  return {
    ...shape,
    _id,
    service_id: serviceId,
    host_id: hostId,
    timestamp: new Date(timestamp),
    status: failed ? 'error' : template.status,
    status_code: failed ? 503 : template.status_code,
    response_time_ms: responseMs,
    error: failed ? 'unexpected HTTP status 503' : template.error,
    metrics: template.metrics ?? {},
    expires_at: new Date(timestamp + 30 * DAY_MS),
    recorded_at: new Date(timestamp + responseMs + 20),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Shared setup
// ---------------------------------------------------------------------------------------------------------

const DATABASE = 'service_monitor';

async function serverForRun(options: Options) {
  const dataDir = mkdtempSync(join(tmpdir(), 'service-monitor-soak-'));
  const logFile = join(tmpdir(), `service-monitor-soak-${process.pid}-server.log`);
  cleanups.push(() => {
    if (options.keepData) log(`data kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  });
  log(`starting the server: node dist/src/main.js (DATA_DIR=${dataDir}, EMBEDDED_DB=mongo-java-server); its log: ${logFile}`);
  const server = await startServer(dataDir, logFile);
  log(`server pid ${server.child.pid}, database pid ${server.dbPid() ?? '?'} (port ${server.dbPort}), API ${server.url}`);
  if (server.dbPid() === null) throw new Error('found no database (java) child of the server process');
  const api = new Api(server.url, server.key, options.timeoutSec * 1000);
  // The bench's own connection to the embedded database: the collection's size (count without a filter), and seeding.
  const mongo = new MongoClient(`mongodb://127.0.0.1:${server.dbPort}/?directConnection=true`, { maxPoolSize: 4 });
  await mongo.connect();
  cleanups.push(() => mongo.close());
  const history = () => mongo.db(DATABASE).collection('monitoring_history').estimatedDocumentCount();
  return { server, api, history, mongo, dataDir };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!existsSync(join(root, 'dist', 'src', 'main.js'))) fail('dist/src/main.js is missing: run through `npm run bench:soak` (it compiles first)');
  if (options.history !== null) await historyMode(options, options.history);
  else await soak(options);
}

try {
  await main();
  await cleanup();
  process.exit(0);
} catch (error) {
  log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await cleanup();
  process.exit(1);
}
