/**
 * Query attacks (issue 10, item 2): the built server, started as an operator starts it (node dist/src/main.js,
 * embedded mongo-java-server through our launcher, a fresh DATA_DIR, every limit at its default), checking a
 * fleet of HTTP services on loopback, is sent the attacks of the issue by viewer keys:
 *   - the fragment explosion (n=25: F(i) spreads F(i-1) twice, 2^25 fields in about 1 KB),
 *   - 5,000 aliases of `dashboardSummary` (of `dashboardSummaryChanged` on the socket),
 * each over HTTP and over the socket (graphql-ws), 8 at once: every `burst_ms` each of the four sends a burst of
 * 8 at once, the four a quarter period apart, for `seconds` (with the default, 32 attacks a second).
 *
 *   npm run bench:attacks -- [seconds=20] [services=100] [interval_sec=5] [burst_ms=1000]
 *
 * First each attack is sent one at a time (20 of each, and 20 of `{ viewer { role } }` for comparison): what one
 * refusal costs without queueing. Then it prints, for a quiet period and then for the attack period of the same
 * length:
 *   - each attack: how long its refusal took (request sent -> answer read), p50/p99/max, and the codes answered;
 *   - `/healthz` round trips (one at a time, every 10 ms): p50/p99/max;
 *   - the check engine's schedule lag, its own figure: a `checkCompleted` subscription delivers `dueAt` and
 *     `check { timestamp }` (when the check started) of every check, lag = timestamp - dueAt; p50/p99/max;
 *   - CPU of the server process (% of one core) and its RSS.
 * Each attack stream has a key of its own, paced within the default per-key limits (8 at once of 10, at most 40 a
 * second of 50), so what is measured is the query limits' refusal, not the rate limiter's (whose 429s would show
 * among the codes). The attacking clients run in this process, on the same machine: its CPU is shown too. Output: progress on stderr, a table on stdout, then one JSON line (`ATTACKS_RESULT {...}`).
 * The server (and through it the database) is stopped on exit, SIGINT, SIGTERM and errors.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

const [seconds = 20, services = 100, intervalSec = 5, burstMs = 1000] = process.argv.slice(2).map(Number);
if (![seconds, services, intervalSec, burstMs].every((n) => Number.isInteger(n) && n > 0) || intervalSec < 5 || burstMs < 200) {
  process.stderr.write('usage: npm run bench:attacks -- [seconds=20] [services=100] [interval_sec=5 (at least 5)] [burst_ms=1000 (at least 200)]\n');
  process.exit(2);
}
const AT_ONCE = 8;
const HEALTHZ_EVERY_MS = 10;
const HOSTS = 10;
const REQUEST_TIMEOUT_MS = 60_000;

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

const log = (line: string) => process.stderr.write(`[attacks ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const out = (line: string) => process.stdout.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------------------
// The server, as an operator starts it
// ---------------------------------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface RunningServer {
  child: ChildProcess;
  origin: string;
  adminKey: string;
  log(): string[];
}

async function startServer(dataDir: string): Promise<RunningServer> {
  const port = await freePort();
  const keyFile = join(dataDir, 'admin-key');
  // As test/helpers/processes.ts: without test settings or a database of the caller's.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('MONGODB_') && key !== 'EMBEDDED_DB' && key !== 'NODE_ENV' && !key.startsWith('VITEST') && !key.startsWith('npm_')),
  );
  // ATTACKS_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof": node options for the server alone.
  const nodeArgs = (process.env.ATTACKS_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist', 'src', 'main.js')], {
    cwd: root,
    env: { ...env, DATA_DIR: dataDir, EMBEDDED_DB: 'mongo-java-server', PORT: String(port), EMBEDDED_DB_PORT: String(await freePort()), ADMIN_KEY_FILE: keyFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  ownedPids.add(child.pid!);
  let stdout = '';
  const lines: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`the server exited (${code ?? signal}) before it was ready:\n${lines.slice(-20).join('\n')}`)));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      lines.push(line);
      if (line.includes('service-monitor API listening')) resolve();
    });
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const exited = await Promise.race([new Promise((resolve) => child.once('exit', resolve)).then(() => true), sleep(20_000).then(() => false)]);
      if (!exited) child.kill('SIGKILL');
    }
  });
  await Promise.race([ready, sleep(300_000).then(() => Promise.reject(new Error('the server was not ready within 300 s')))]);
  ready.catch(() => {});
  // The first admin key: in ADMIN_KEY_FILE (mode 0600), or on stdout from a server without that setting.
  let adminKey: string | undefined;
  for (let i = 0; i < 50 && !adminKey; i++) {
    adminKey = (existsSync(keyFile) ? readFileSync(keyFile, 'utf8') : stdout).match(/smk_[A-Za-z0-9_-]+/)?.[0];
    if (!adminKey) await sleep(100);
  }
  if (!adminKey) throw new Error(`the server handed out no admin key:\n${lines.slice(-20).join('\n')}`);
  return { child, origin: `http://127.0.0.1:${port}`, adminKey, log: () => lines };
}

/** The java child of the server process (the embedded database), or null. */
function databasePid(serverPid: number): number | null {
  try {
    for (const tid of readdirSync(`/proc/${serverPid}/task`)) {
      for (const pid of readFileSync(`/proc/${serverPid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)) {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('java')) return pid;
      }
    }
  } catch {
    // gone
  }
  return null;
}

const CLK_TCK = 100;
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
function rssMb(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// GraphQL over HTTP and the socket
// ---------------------------------------------------------------------------------------------------------

interface GraphQLError {
  message: string;
  extensions?: { code?: string };
}

async function graphql<T = any>(origin: string, key: string, query: string, variables: Record<string, unknown> = {}): Promise<{ status: number; data?: T; errors?: GraphQLError[] }> {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: response.status, ...((await response.json()) as { data?: T; errors?: GraphQLError[] }) };
}

async function mustData<T = any>(origin: string, key: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const answer = await graphql<T>(origin, key, query, variables);
  if (answer.errors?.length || !answer.data) throw new Error(`GraphQL ${answer.status}: ${JSON.stringify(answer.errors).slice(0, 600)}`);
  return answer.data;
}

function socketClient(origin: string, key: string): Client {
  return createClient({
    url: `${origin.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${key}` },
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: (error) => log(`socket: ${String(error)}`),
  });
}

// ---------------------------------------------------------------------------------------------------------
// The attacks
// ---------------------------------------------------------------------------------------------------------

function fragmentExplosion(n: number, root: 'Query' | 'Subscription'): string {
  const field = root === 'Query' ? 'dashboardSummary { totalHosts }' : 'dashboardSummaryChanged { totalHosts }';
  let document = `${root === 'Query' ? 'query' : 'subscription'} Boom { ...F${n} }\nfragment F0 on ${root} { ${field} }\n`;
  for (let i = 1; i <= n; i++) document += `fragment F${i} on ${root} { ...F${i - 1} ...F${i - 1} }\n`;
  return document;
}

const aliases = (count: number, field: string, operation: string) => `${operation} { ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

interface Attack {
  name: string;
  transport: 'http' | 'socket';
  document: string;
}

const ATTACKS: Attack[] = [
  { name: 'fragment explosion n=25, HTTP', transport: 'http', document: fragmentExplosion(25, 'Query') },
  { name: 'fragment explosion n=25, socket', transport: 'socket', document: fragmentExplosion(25, 'Subscription') },
  { name: '5,000 aliases, HTTP', transport: 'http', document: aliases(5000, 'dashboardSummary { totalHosts }', 'query') },
  { name: '5,000 aliases, socket', transport: 'socket', document: aliases(5000, 'dashboardSummaryChanged { totalHosts }', 'subscription') },
];

interface Sent {
  ms: number[];
  codes: Map<string, number>;
  /** Answers that were not a refusal (data came back), or failures of the transport. */
  unexpected: string[];
}

/** One refusal over the socket: subscribe, time until the error (or a first result, which is not a refusal). */
function refusalOverSocket(client: Client, query: string): Promise<{ ms: number; code: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const settle = (code: string) => {
      if (settled) return;
      settled = true;
      resolve({ ms: performance.now() - started, code });
      stop();
    };
    const stop = client.subscribe(
      { query },
      {
        next: (result) => settle(result.errors?.length ? (result.errors[0]!.extensions?.code as string | undefined) ?? 'no code' : 'DATA (not refused)'),
        error: (error) => settle(Array.isArray(error) ? ((error[0] as GraphQLError | undefined)?.extensions?.code ?? 'no code') : `socket failed: ${String((error as Error)?.message ?? error)}`),
        complete: () => settle('completed without an answer'),
      },
    );
  });
}

async function refusalOverHttp(origin: string, key: string, query: string): Promise<{ ms: number; code: string }> {
  const started = performance.now();
  try {
    const answer = await graphql(origin, key, query);
    const code = answer.errors?.[0]?.extensions?.code ?? (answer.data ? 'DATA (not refused)' : 'no code');
    return { ms: performance.now() - started, code: `${answer.status} ${code}` };
  } catch (error) {
    return { ms: performance.now() - started, code: `request failed: ${(error as Error).message}` };
  }
}

/** Bursts of AT_ONCE of one attack from `start` until `until`, one every burstMs (later if one takes longer). */
async function attackLoop(attack: Attack, origin: string, key: string, client: Client | null, start: number, until: number, sent: Sent): Promise<void> {
  if (start > Date.now()) await sleep(start - Date.now());
  while (Date.now() < until) {
    const roundStart = Date.now();
    const answers = await Promise.all(
      Array.from({ length: AT_ONCE }, () => (attack.transport === 'http' ? refusalOverHttp(origin, key, attack.document) : refusalOverSocket(client!, attack.document))),
    );
    for (const { ms, code } of answers) {
      sent.ms.push(ms);
      sent.codes.set(code, (sent.codes.get(code) ?? 0) + 1);
      if (/DATA|failed|without/.test(code) && sent.unexpected.length < 10) sent.unexpected.push(code);
    }
    const wait = burstMs - (Date.now() - roundStart);
    if (wait > 0) await sleep(wait);
  }
}

// ---------------------------------------------------------------------------------------------------------
// What is watched all along: /healthz, the engine's schedule lag
// ---------------------------------------------------------------------------------------------------------

interface Sample {
  at: number;
  ms: number;
}

function probeHealthz(origin: string): { samples: Sample[]; failures: string[]; stop(): Promise<void> } {
  const samples: Sample[] = [];
  const failures: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const at = Date.now();
      try {
        const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(30_000) });
        await response.text();
        if (response.status !== 200) failures.push(`status ${response.status}`);
        samples.push({ at, ms: performance.now() - started });
      } catch (error) {
        failures.push((error as Error).message);
      }
      await sleep(HEALTHZ_EVERY_MS);
    }
  })();
  return {
    samples,
    failures,
    async stop() {
      running = false;
      await loop;
    },
  };
}

interface LagRecord {
  startedAt: number;
  lagMs: number;
}

function watchLag(client: Client): { records: LagRecord[]; problems: string[]; stop(): void } {
  const records: LagRecord[] = [];
  const problems: string[] = [];
  const stop = client.subscribe<{ checkCompleted: { dueAt: string | null; check: { timestamp: string } | null } }>(
    { query: 'subscription Lag { checkCompleted { dueAt check { timestamp } } }' },
    {
      next: (result) => {
        const event = result.data?.checkCompleted;
        if (result.errors?.length) problems.push(JSON.stringify(result.errors).slice(0, 300));
        // On-demand checks carry no due time: not the schedule's.
        if (!event?.dueAt || !event.check) return;
        const startedAt = Date.parse(event.check.timestamp);
        records.push({ startedAt, lagMs: startedAt - Date.parse(event.dueAt) });
      },
      error: (error) => problems.push(`lag subscription: ${JSON.stringify(error).slice(0, 300)}`),
      complete: () => {},
    },
  );
  return { records, problems, stop };
}

// ---------------------------------------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------------------------------------

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const round1 = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);

interface Spread {
  n: number;
  p50_ms: number | null;
  p99_ms: number | null;
  max_ms: number | null;
}
function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50_ms: round1(percentile(sorted, 50)), p99_ms: round1(percentile(sorted, 99)), max_ms: round1(sorted.at(-1) ?? null) };
}

// ---------------------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------------------

/** One HTTP listener answering 200 for every check of the fleet. */
async function startTarget(): Promise<{ port: number; served: () => number }> {
  let served = 0;
  const server: Server = createHttpServer((_req, res) => {
    served++;
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 511, resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as { port: number }).port, served: () => served };
}

async function createFleet(origin: string, adminKey: string, targetPort: number): Promise<void> {
  const hostInputs = Array.from({ length: HOSTS }, (_, h) => ({ hostId: `bench_host_${h}`, hostname: `bench-${h}`, ipAddress: `127.3.${Math.floor(h / 250)}.${(h % 250) + 1}`, environment: 'DEV', region: 'local', sshConfig: { user: 'bench' } }));
  const serviceInputs = Array.from({ length: services }, (_, i) => ({
    serviceId: `bench_svc_${i}`,
    hostId: `bench_host_${i % HOSTS}`,
    serviceName: `bench-${i}.service`,
    serviceType: 'web',
    monitoring: { method: 'HTTP', target: `http://127.0.0.1:${targetPort}/health/${i}`, intervalSec, timeoutSec: 5, enabled: true },
  }));
  // Within the alias limit (30).
  const BATCH = 25;
  for (const [field, type, inputs, id] of [
    ['createHost', 'HostCreateInput', hostInputs, 'hostId'],
    ['createService', 'ServiceCreateInput', serviceInputs, 'serviceId'],
  ] as const) {
    for (let b = 0; b < inputs.length; b += BATCH) {
      const batch = inputs.slice(b, b + BATCH);
      const variables = Object.fromEntries(batch.map((input, i) => [`i${i}`, input]));
      const declarations = batch.map((_, i) => `$i${i}: ${type}!`).join(', ');
      const selections = batch.map((_, i) => `m${i}: ${field}(input: $i${i}) { ${id} }`).join('\n');
      await mustData(origin, adminKey, `mutation Create(${declarations}) {\n${selections}\n}`, variables);
    }
  }
}

interface Period {
  from: number;
  to: number;
  cpuFrom: { api: number | null; db: number | null; bench: number | null };
  cpuTo: { api: number | null; db: number | null; bench: number | null };
  /** The machine's load average at the period's end (other work on the machine competes for its cores). */
  load: (number | null)[];
}

const loadAverageAtStart = loadavg().map((n) => round1(n));
const dataDir = mkdtempSync(join(tmpdir(), 'service-monitor-attacks-'));
cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));

log(`starting the server (dist/src/main.js, mongo-java-server) in ${dataDir}`);
const server = await startServer(dataDir);
const apiPid = server.child.pid!;
const target = await startTarget();
log(`creating ${HOSTS} hosts and ${services} HTTP services checked every ${intervalSec} s`);
await createFleet(server.origin, server.adminKey, target.port);

const keys = new Map<string, string>();
for (const attack of ATTACKS) {
  const data = await mustData(server.origin, server.adminKey, 'mutation ($name: String!) { createApiKey(name: $name, role: VIEWER) { secret } }', { name: `attacker: ${attack.name}` });
  keys.set(attack.name, data.createApiKey.secret as string);
}
const lagClient = socketClient(server.origin, server.adminKey);
const lag = watchLag(lagClient);
cleanups.push(() => lagClient.dispose());
// Every service is due at once when created; one interval later they have spread over their phases.
log(`waiting ${2 * intervalSec} s for the checks to settle into their schedule`);
await sleep(2 * intervalSec * 1000);

const healthz = probeHealthz(server.origin);
const cpuNow = () => ({ api: cpuSeconds(apiPid), db: cpuSeconds(databasePid(apiPid)), bench: cpuSeconds(process.pid) });
const quiet: Period = { from: Date.now(), to: 0, cpuFrom: cpuNow(), cpuTo: cpuNow(), load: [] };
log(`quiet period: ${seconds} s`);
await sleep(seconds * 1000);
quiet.to = Date.now();
quiet.cpuTo = cpuNow();
quiet.load = loadavg().map((n) => round1(n));
const rssQuiet = rssMb(apiPid);

const sockets = new Map<string, Client>();
for (const attack of ATTACKS.filter((a) => a.transport === 'socket')) {
  const client = socketClient(server.origin, keys.get(attack.name)!);
  sockets.set(attack.name, client);
  cleanups.push(() => client.dispose());
}
// Connected before the period starts, so its figures are the refusals'.
await Promise.all([...sockets.values()].map((client) => new Promise<void>((resolve) => client.on('connected', () => resolve()))));

// One at a time: what a refusal costs without the queue that 8 at once make.
const ALONE = 20;
log(`one at a time: ${ALONE} of each attack, and of { viewer { role } }`);
const alone = new Map<string, number[]>();
const baselineKey = keys.get(ATTACKS[0]!.name)!;
for (let i = 0; i < ALONE; i++) {
  for (const attack of ATTACKS) {
    const key = keys.get(attack.name)!;
    const { ms } = attack.transport === 'http' ? await refusalOverHttp(server.origin, key, attack.document) : await refusalOverSocket(sockets.get(attack.name)!, attack.document);
    alone.set(attack.name, [...(alone.get(attack.name) ?? []), ms]);
  }
  const started = performance.now();
  await mustData(server.origin, baselineKey, '{ viewer { role } }');
  alone.set('{ viewer { role } } (runs), HTTP', [...(alone.get('{ viewer { role } } (runs), HTTP') ?? []), performance.now() - started]);
  await sleep(50);
}
await sleep(1_000);

log(`attack period: ${seconds} s, each of ${ATTACKS.length} attacks ${AT_ONCE} at once every ${burstMs} ms, a quarter period apart`);
const sent = new Map<string, Sent>(ATTACKS.map((a) => [a.name, { ms: [], codes: new Map(), unexpected: [] }]));
const attackPeriod: Period = { from: Date.now(), to: 0, cpuFrom: cpuNow(), cpuTo: cpuNow(), load: [] };
const until = attackPeriod.from + seconds * 1000;
await Promise.all(
  ATTACKS.map((attack, i) =>
    attackLoop(attack, server.origin, keys.get(attack.name)!, sockets.get(attack.name) ?? null, attackPeriod.from + (i * burstMs) / ATTACKS.length, until, sent.get(attack.name)!),
  ),
);
attackPeriod.to = Date.now();
attackPeriod.cpuTo = cpuNow();
attackPeriod.load = loadavg().map((n) => round1(n));
const rssAttack = rssMb(apiPid);
await healthz.stop();
// Checks that started in the attack period are delivered a moment later.
await sleep(Math.min(5, intervalSec) * 1000);
lag.stop();

const within = (period: Period) => (at: number) => at >= period.from && at < period.to;
const cpuPct = (period: Period, which: 'api' | 'db' | 'bench') => {
  const a = period.cpuFrom[which];
  const b = period.cpuTo[which];
  return a === null || b === null ? null : round1((100 * (b - a)) / ((period.to - period.from) / 1000));
};
const periodFigures = (period: Period) => ({
  seconds: round1((period.to - period.from) / 1000),
  healthz: spread(healthz.samples.filter((s) => within(period)(s.at)).map((s) => s.ms)),
  check_lag: spread(lag.records.filter((r) => within(period)(r.startedAt)).map((r) => r.lagMs)),
  api_cpu_pct: cpuPct(period, 'api'),
  db_cpu_pct: cpuPct(period, 'db'),
  bench_cpu_pct: cpuPct(period, 'bench'),
  load_average: period.load,
});
const result = {
  machine: `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  load_average_at_start: loadAverageAtStart,
  database: 'mongo-java-server through tools/mongo-java-server (EMBEDDED_DB=mongo-java-server)',
  fleet: { hosts: HOSTS, services, interval_sec: intervalSec, checks_served: target.served() },
  attack_pattern: `each attack ${AT_ONCE} at once every ${burstMs} ms, the ${ATTACKS.length} a quarter period apart, ${seconds} s`,
  attacks: Object.fromEntries(
    ATTACKS.map((attack) => {
      const s = sent.get(attack.name)!;
      return [attack.name, { ...spread(s.ms), document_bytes: attack.document.length, codes: Object.fromEntries(s.codes), unexpected: s.unexpected }];
    }),
  ),
  one_at_a_time: Object.fromEntries([...alone].map(([name, ms]) => [name, spread(ms)])),
  quiet: { ...periodFigures(quiet), rss_mb: rssQuiet },
  under_attack: { ...periodFigures(attackPeriod), rss_mb: rssAttack },
  healthz_failures: healthz.failures.slice(0, 10),
  lag_problems: lag.problems.slice(0, 10),
  server_error_lines: server.log().filter((line) => /^\S+ ERROR /.test(line)).slice(0, 10),
};

const fmt = (s: Spread) => `n=${s.n} p50 ${s.p50_ms} ms, p99 ${s.p99_ms} ms, max ${s.max_ms} ms`;
out(`machine: ${result.machine}; load average at start ${loadAverageAtStart.join(' ')}`);
out(`fleet: ${services} HTTP services on ${HOSTS} hosts, every ${intervalSec} s (${target.served()} checks served)`);
out('');
out(`one at a time (request sent -> answer read), ${ALONE} each:`);
for (const [name, figures] of Object.entries(result.one_at_a_time)) out(`  ${name.padEnd(34)} ${fmt(figures)}`);
out('');
out(`refusals (request sent -> answer read), ${result.attack_pattern}:`);
for (const [name, figures] of Object.entries(result.attacks)) {
  out(`  ${name.padEnd(34)} ${fmt(figures)}  (${figures.document_bytes} bytes)  ${JSON.stringify(figures.codes)}`);
}
out('');
for (const [label, figures] of [['quiet', result.quiet], ['under attack', result.under_attack]] as const) {
  out(`${label.padEnd(13)} /healthz ${fmt(figures.healthz)} | check lag ${fmt(figures.check_lag)}`);
  out(`${''.padEnd(13)} CPU (% of one core): API ${figures.api_cpu_pct}, database ${figures.db_cpu_pct}, this bench ${figures.bench_cpu_pct}; API RSS ${figures.rss_mb} MB; load average after ${figures.load_average.join(' ')}`);
}
if (result.healthz_failures.length) out(`/healthz failures: ${result.healthz_failures.join('; ')}`);
if (result.lag_problems.length) out(`lag subscription problems: ${result.lag_problems.join('; ')}`);
out(`ATTACKS_RESULT ${JSON.stringify(result)}`);
await cleanup();
process.exit(0);
