/**
 * Issue 9, items 3, 4, 8 and 9, with real processes (dist/src/main.js on its embedded mongo-java-server):
 * the database paused (SIGSTOP) past Agenda's 30 s lock lifetime, this process's event loop frozen for
 * 60 s (SIGSTOP of the node process itself), the Agenda dispatch jobs deleted under a running process,
 * kill -9 of the database child (restarted; and a database that cannot come back: exit 69), and SIGTERM
 * with 50 requests in flight.
 *
 * One server process takes the faults in turn (each later fault also proves the earlier ones left
 * nothing broken, as the original bug needed two stalls to show). Runtime: about 4 minutes, most of it
 * the two long pauses (FAULTS_DB_PAUSE_SEC, default 40; 90 was run by hand, see the report in issue 9).
 */
import { execFileSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../src/db/local-server.js';
import { useProcesses, type StartedProcess } from '../helpers/processes.js';

const DB_PAUSE_SEC = Number(process.env.FAULTS_DB_PAUSE_SEC ?? 40);
const LOOP_FREEZE_SEC = 60;
/** Checks must be going again this soon after a fault ends: one dispatch slice (10 s) plus the service's interval (5 s). */
const RESUME_WITHIN_MS = 15_000;

const { start, dataDir } = useProcesses('faults');
let listener: Server;
let tcpPort: number;

beforeAll(async () => {
  listener = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  tcpPort = (listener.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch((error: Error) => error as unknown as T);
    if (accept(value) || Date.now() > until) return value;
    await sleep(250);
  }
}

/** The pid in the last log line matching `message` (the embedded database logs its own). */
function loggedPid(server: StartedProcess, message: RegExp): number {
  const lines = server.stderr().split('\n').filter((line) => message.test(line));
  const pid = /"pid":(\d+)/.exec(lines.at(-1) ?? '')?.[1];
  if (!pid) throw new Error(`no pid logged with ${message}:\n${server.stderr()}`);
  return Number(pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A server process with a database folder of its own (so it prints its first admin key). */
async function startServer(name: string, env: Record<string, string> = {}) {
  const dbPort = await freePort();
  const httpPort = await freePort();
  const server = start(
    'main.js',
    {
      DATA_DIR: join(dataDir, name),
      EMBEDDED_DB_PORT: String(dbPort),
      PORT: String(httpPort),
      SCHEDULER_STALL_SEC: '10',
      EMBEDDED_DB_RESTART_BACKOFF_MS: '2000',
      // These tests load one key far past the per-key rate limits on purpose: what they test is the drain.
      RATE_LIMIT_PER_SEC: '1000000',
      RATE_LIMIT_CONCURRENT: '100000',
      ...env,
    },
    /API listening/,
  );
  await server.ready;
  const key = /smk_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/.exec(server.stdout())![0];
  const origin = `http://127.0.0.1:${httpPort}`;
  const graphql = async (query: string, timeoutMs = 5_000) => {
    const response = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, body: (await response.json()) as { data?: any; errors?: unknown } };
  };
  const readyz = async () => {
    const response = await fetch(`${origin}/readyz`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: (await response.json()) as { status: string; problems?: { component: string; reason: string }[] } };
  };
  const db = new MongoClient(`mongodb://127.0.0.1:${dbPort}/`, { serverSelectionTimeoutMS: 20_000 });
  return { server, dbPort, httpPort, key, origin, graphql, readyz, db: db.db('service_monitor'), client: db };
}

type Running = Awaited<ReturnType<typeof startServer>>;

/** Checks recorded for service `s`, as the API reports them. */
async function checksOf(api: Running): Promise<number> {
  const { body } = await api.graphql('{ service(serviceId: "s") { history { totalCount } } }');
  return body.data.service.history.totalCount as number;
}

/** A new check within RESUME_WITHIN_MS of `since`, then the cadence holds (two more within two intervals and a bit). */
async function expectChecksResume(api: Running, label: string): Promise<void> {
  const resumedFrom = Date.now();
  const before = await eventually(() => checksOf(api), (n) => typeof n === 'number', 10_000);
  const next = await eventually(() => checksOf(api), (n) => n > before, RESUME_WITHIN_MS);
  const tail = () => api.server.stderr().split('\n').slice(-25).join('\n');
  expect(typeof next === 'number' && typeof before === 'number' && next > before, `${label}: a check within ${RESUME_WITHIN_MS} ms (${String(before)} -> ${String(next)});\n${tail()}`).toBe(true);
  const resumedAfterMs = Date.now() - resumedFrom;
  console.info(`${label}: first check ${resumedAfterMs} ms after the fault ended`);
  const later = await eventually(() => checksOf(api), (n) => n >= next + 2, 13_000);
  expect(later, `${label}: checks go on every interval after resuming (${resumedAfterMs} ms);\n${tail()}`).toBeGreaterThanOrEqual(next + 2);
}

describe('faults, one server process taking them in turn', () => {
  let api: Running;

  beforeAll(async () => {
    api = await startServer('faults');
    const created = await api.graphql(`mutation {
      createHost(input: { hostId: "h", hostname: "h", ipAddress: "127.0.0.1", environment: DEV, region: "lab", sshConfig: { user: "monitor" } }) { hostId }
      createService(input: { serviceId: "s", hostId: "h", serviceName: "tcp.service", serviceType: "tcp",
        monitoring: { method: TCP, target: "tcp://127.0.0.1:${tcpPort}", intervalSec: 5, timeoutSec: 2, retryAttempts: 0 } }) { serviceId }
    }`);
    expect(created.body.errors).toBeUndefined();
    await eventually(() => checksOf(api), (n) => n >= 2, 15_000);
  }, 60_000);
  afterAll(async () => {
    await api?.client.close().catch(() => {});
  });

  test(`the database paused ${DB_PAUSE_SEC} s (past the 30 s lock lifetime): /readyz 503 names it meanwhile, checks resume after, no restart`, async () => {
    const javaPid = loggedPid(api.server, /embedded database running/);
    process.kill(javaPid, 'SIGSTOP');
    let readyWhilePaused: Awaited<ReturnType<Running['readyz']>>;
    try {
      await sleep(5_000);
      readyWhilePaused = await api.readyz();
      expect((await fetch(`${api.origin}/healthz`)).status, '/healthz stays the liveness probe').toBe(200);
      await sleep(DB_PAUSE_SEC * 1000 - 5_000);
    } finally {
      process.kill(javaPid, 'SIGCONT');
    }
    expect(readyWhilePaused.status).toBe(503);
    expect(readyWhilePaused.body.status).toBe('unavailable');
    expect(readyWhilePaused.body.problems!.map((p) => p.component)).toContain('database');
    await expectChecksResume(api, 'after the database paused');
    expect(isAlive(javaPid), 'the paused database was not restarted').toBe(true);
    expect((await api.readyz()).status).toBe(200);
  }, (DB_PAUSE_SEC + 60) * 1000);

  test(`this process frozen ${LOOP_FREEZE_SEC} s (its event loop with it): checks resume after, without a restart`, async () => {
    const pid = api.server.child.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(LOOP_FREEZE_SEC * 1000);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await expectChecksResume(api, 'after the event loop was frozen');
    expect(api.server.child.exitCode).toBeNull();
  }, (LOOP_FREEZE_SEC + 60) * 1000);

  test('dispatch jobs deleted under the running process: the watchdog recreates them, restarts Agenda, says so, and checks resume', async () => {
    const logFrom = api.server.stderr().length;
    const jobs = api.db.collection('agenda_jobs');
    const removed = await jobs.deleteMany({ name: /^dispatch-due-checks:/ });
    expect(removed.deletedCount).toBe(4);
    const repaired = await eventually(
      async () => api.server.stderr().slice(logFrom),
      (log) => /scheduler watchdog repair .*"action":"restarted-processing"/.test(log),
      40_000,
    );
    const repairs = repaired.split('\n').filter((line) => line.includes('scheduler watchdog repair'));
    const recreated = repairs.find((line) => line.includes('"action":"recreated-dispatch-job"'));
    expect(recreated, repaired).toBeDefined();
    // One line per repair, naming the jobs and this process.
    expect(recreated).toContain('dispatch-due-checks:0');
    expect(recreated).toMatch(new RegExp(`"process":"[^"]+:${api.server.child.pid}"`));
    expect(await jobs.countDocuments({ name: /^dispatch-due-checks:/ })).toBe(4);
    await expectChecksResume(api, 'after the watchdog repair');
  }, 90_000);

  test('kill -9 of the embedded database: restarted on its port and folder (one line with both pids), checks resume, data kept', async () => {
    const created = await api.graphql(`mutation {
      createHost(input: { hostId: "kept", hostname: "kept", ipAddress: "127.0.0.2", environment: DEV, region: "lab", sshConfig: { user: "monitor" } }) { hostId }
    }`);
    expect(created.body.errors).toBeUndefined();
    // The store commits about once a second (another change of issue 9 makes it commit before acknowledging).
    await sleep(2_000);
    const javaPid = loggedPid(api.server, /embedded database (running|restarted)/);
    process.kill(javaPid, 'SIGKILL');
    // The restart waits EMBEDDED_DB_RESTART_BACKOFF_MS (2 s here): /readyz says why meanwhile.
    const during = await eventually(api.readyz, (r) => r.status === 503 && !!r.body.problems?.some((p) => p.component === 'embedded-database'), 5_000);
    expect(during.body.problems!.map((p) => p.component)).toContain('embedded-database');
    const restarted = await eventually(
      async () => api.server.stderr(),
      (log) => /embedded database restarted/.test(log),
      30_000,
    );
    const line = restarted.split('\n').find((l) => l.includes('embedded database restarted'))!;
    expect(line).toContain(`"previousPid":${javaPid}`);
    expect(line).toContain(`"port":${api.dbPort}`);
    const newPid = loggedPid(api.server, /embedded database restarted/);
    expect(newPid).not.toBe(javaPid);
    expect(isAlive(newPid)).toBe(true);
    await expectChecksResume(api, 'after kill -9 of the database');
    const kept = await api.graphql('{ host(hostId: "kept") { hostId } service(serviceId: "s") { serviceId } }');
    expect(kept.body.data).toEqual({ host: { hostId: 'kept' }, service: { serviceId: 's' } });
    expect((await api.readyz()).status).toBe(200);
  }, 90_000);

  test('SIGTERM with 50 requests in flight (the database paused under them): all 50 answered 200, then a clean exit', async () => {
    const javaPid = loggedPid(api.server, /embedded database (running|restarted)/);
    const exited = new Promise<number | null>((resolve) => api.server.child.once('exit', (code) => resolve(code)));
    // Paused, the database holds every request mid-flight: a genuinely slow request, 50 of them at once.
    process.kill(javaPid, 'SIGSTOP');
    let answers: { status: number; body: any }[];
    let refusedAfterSigterm: unknown;
    try {
      const requests = Array.from({ length: 50 }, (_, i) => api.graphql(`{ r${i}: host(hostId: "h") { hostId } }`, 60_000));
      await sleep(1_500);
      api.server.child.kill('SIGTERM');
      await sleep(500);
      // Stopped listening at once: a new connection is refused while the 50 finish.
      refusedAfterSigterm = await new Promise((resolve) => {
        const socket = connect(api.httpPort, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(null)));
        socket.once('error', (error) => resolve(error));
      });
      await sleep(2_000);
      process.kill(javaPid, 'SIGCONT');
      answers = await Promise.all(requests.map((r) => r.catch((error: Error) => ({ status: 0, body: String(error.cause ?? error) }))));
    } finally {
      process.kill(javaPid, 'SIGCONT');
    }
    expect(refusedAfterSigterm).toBeInstanceOf(Error);
    expect(answers.filter((a) => a.status !== 200), 'every in-flight request answered').toEqual([]);
    answers.forEach((a, i) => expect(a.body).toEqual({ data: { [`r${i}`]: { hostId: 'h' } } }));
    expect(await exited).toBe(0);
    const log = api.server.stderr();
    expect(log).not.toMatch(/MongoPoolClosedError|cutting requests|could not stop cleanly/);
    expect(log.split('\n').at(-1)).toMatch(/^\{"level":"info".*"msg":"stopped"\}$/);
  }, 90_000);
});

describe('SIGTERM under steady keep-alive traffic', () => {
  /** One POST over the agent's kept-alive connections: its status, or the error code that ended it. */
  const post = (agent: Agent, port: number, key: string, query: string) =>
    new Promise<{ status?: number; error?: string }>((resolve) => {
      const body = JSON.stringify({ query });
      const req = request(
        { agent, host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${key}` } },
        (res) => {
          res.resume();
          res.once('end', () => resolve({ status: res.statusCode }));
          res.once('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
        },
      );
      req.once('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      req.end(body);
    });

  test('no request is cut: each connection answers once more (Connection: close), and only new connections are refused', async () => {
    const api = await startServer('keep-alive');
    await api.client.close();
    const exited = new Promise<number | null>((resolve) => api.server.child.once('exit', (code) => resolve(code)));
    const agent = new Agent({ keepAlive: true, maxSockets: 10 });
    let sigtermAt = 0;
    const outcomes: { status?: number; error?: string; sentAfterSigterm: boolean }[] = [];
    // Ten clients, each sending its next request the moment the last one is answered, on the same connection.
    const clients = Array.from({ length: 10 }, async () => {
      for (;;) {
        const sentAt = Date.now();
        const outcome = await post(agent, api.httpPort, api.key, '{ viewer { role } }');
        outcomes.push({ ...outcome, sentAfterSigterm: sigtermAt > 0 && sentAt >= sigtermAt });
        if (outcome.error) return;
      }
    });
    await sleep(2_000);
    sigtermAt = Date.now();
    api.server.child.kill('SIGTERM');
    await Promise.all(clients);
    agent.destroy();
    expect(await exited).toBe(0);
    expect(outcomes.filter((o) => o.status === 200).length).toBeGreaterThan(20);
    // A connection closed under a request would show as ECONNRESET or 'socket hang up'; a new one after close is refused.
    expect(outcomes.filter((o) => o.error && o.error !== 'ECONNREFUSED')).toEqual([]);
    expect(outcomes.filter((o) => o.status !== undefined && o.status !== 200)).toEqual([]);
  }, 60_000);
});

describe('an embedded database that cannot come back', () => {
  test('exits 69 with one clear line once EMBEDDED_DB_RESTARTS restarts failed', async () => {
    const api = await startServer('give-up', { EMBEDDED_DB_RESTARTS: '2', EMBEDDED_DB_RESTART_BACKOFF_MS: '500' });
    await api.client.close();
    const exited = new Promise<number | null>((resolve) => api.server.child.once('exit', (code) => resolve(code)));
    const javaPid = loggedPid(api.server, /embedded database running/);
    // Something else takes the database's port the moment it is free: no restart can bind it.
    const squatter = createServer((socket) => socket.destroy());
    process.kill(javaPid, 'SIGKILL');
    await eventually(async () => isAlive(javaPid), (alive) => !alive, 5_000);
    await new Promise<void>((resolve, reject) => {
      squatter.once('error', reject);
      squatter.listen(api.dbPort, '127.0.0.1', () => resolve());
    });
    try {
      expect(await exited).toBe(69);
    } finally {
      squatter.close();
    }
    const lines = api.server.stderr().split('\n');
    expect(lines.filter((l) => /embedded database restart failed/.test(l))).toHaveLength(2);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^\\{"level":"error".*"msg":"The embedded database \\(mongo-java-server, port ${api.dbPort}, pid ${javaPid}\\) died and could not be restarted after 2 attempts .*; exiting[^"]*"\\}$`),
    );
  }, 60_000);
});
