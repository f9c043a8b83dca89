/**
 * The engine keeps its promise whatever else runs: results written as their checks finish, the cadence of
 * the schedule, retries only for transient failures within the check's budget, operator checks that wait for
 * a check under way, and a log line for what it does. Real servers on loopback ports (node:http, closed
 * ports), the run's real database, Agenda for the cadence.
 */
import mongoose from 'mongoose';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import type { WriteSample } from '../../src/modules/checks/result-writer.js';
import { createDomain } from '../../src/modules/domain.js';
import { MonitoringCheckModel } from '../../src/modules/history/history.model.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import { startScheduler } from '../../src/scheduler/scheduler.js';
import { useTestDatabase } from '../helpers/database.js';
import { capturingLogger, createTestEngine } from '../helpers/engine.js';
import { closedPort, startHttpServer, type HttpHandler, type TestHttpServer } from '../setup/databases.js';

useTestDatabase(import.meta.filename);
const domain = createDomain({ historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 });
let logger: ReturnType<typeof capturingLogger>;
let harness: ReturnType<typeof createTestEngine>;
const harnesses: ReturnType<typeof createTestEngine>[] = [];
const servers: TestHttpServer[] = [];

beforeEach(async () => {
  logger = capturingLogger();
  harness = createTestEngine(domain, { logger });
  harnesses.push(harness);
  await domain.hosts.create({ host_id: 'host_web', hostname: 'web-host', ip_address: '127.0.0.1', environment: 'dev', region: 'lab', ssh_config: { user: 'monitor' } });
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function http(handler: HttpHandler): Promise<TestHttpServer> {
  const server = await startHttpServer(handler);
  servers.push(server);
  return server;
}
const never: HttpHandler = () => {
  /* accepts and never answers */
};
const reply =
  (status: number): HttpHandler =>
  (_req, res) => {
    res.writeHead(status);
    res.end(String(status));
  };

let counter = 0;
async function addService(method: 'http' | 'tcp' | 'ssh', target: string | null, fields: { monitoring?: Record<string, unknown>; recovery?: Record<string, unknown> } = {}): Promise<string> {
  const serviceId = `svc_${method}_${++counter}`;
  await domain.services.create({
    service_id: serviceId,
    host_id: 'host_web',
    service_name: 'web.service',
    service_type: 'web',
    monitoring: { method, target, interval_sec: 60, timeout_sec: 5, retry_attempts: 0, retry_delay_sec: 0, ...fields.monitoring },
    ...(fields.recovery ? { recovery: fields.recovery } : {}),
  });
  return serviceId;
}

interface Completed {
  service_id: string;
  status: string;
  at: Date;
  due_at: Date | null;
  history_id: string;
}
const completed = (h: ReturnType<typeof createTestEngine>, serviceId: string) =>
  h.published.filter((e) => e.name === 'check.completed').map((e) => e.payload as Completed).filter((p) => p.service_id === serviceId);

describe('results flow as they finish', () => {
  test('a refused TCP check is written, applied and announced within 500 ms of finishing while a hanging HTTP check of the same claim still runs', async () => {
    const hanging = await http(never);
    const httpId = await addService('http', hanging.url, { monitoring: { timeout_sec: 5 } });
    const tcpId = await addService('tcp', `tcp://127.0.0.1:${await closedPort()}`);
    const samples: WriteSample[] = [];
    harness.engine.observeWrites((s) => samples.push(s));

    let settled = false;
    const dispatch = harness.engine.dispatchDue().then((n) => {
      settled = true;
      return n;
    });
    // Announced once all of its write is acknowledged.
    for (let i = 0; i < 150 && completed(harness, tcpId).length === 0; i++) await sleep(20);
    const entry = await MonitoringCheckModel.findOne({ service_id: tcpId }).lean();
    expect(entry).toMatchObject({ status: 'stopped' });
    // The check finished when it started plus how long it took (one attempt); it was written soon after.
    const finishedAt = +entry!.timestamp + entry!.response_time_ms!;
    expect(+entry!.recorded_at! - finishedAt).toBeLessThan(500);
    const sample = samples.find((s) => s.service_id === tcpId)!;
    expect(sample.written_at - sample.finished_at, 'finish -> write acknowledged').toBeLessThan(500);
    // Its status change applied, its lease released, its events published...
    const service = await ServiceModel.findOne({ service_id: tcpId }).lean();
    expect(service).toMatchObject({ current_status: 'stopped', lease_owner: null });
    expect(completed(harness, tcpId)).toHaveLength(1);
    expect(harness.published.filter((e) => e.name === 'service.status-changed' && (e.payload as Completed).service_id === tcpId)).toHaveLength(1);
    // ...while the HTTP check of the same claim still hangs.
    expect(hanging.requests).toHaveLength(1);
    expect(await MonitoringCheckModel.countDocuments({ service_id: httpId })).toBe(0);
    expect(settled).toBe(false);

    expect(await dispatch).toBe(2);
    const timedOut = await MonitoringCheckModel.findOne({ service_id: httpId }).lean();
    expect(timedOut).toMatchObject({ status: 'error', error: 'check timed out after 5 s' });
    expect(await domain.services.require(httpId)).toMatchObject({ current_status: 'error', lease_owner: null });
  }, 15_000);

  test('a service without next_check_at (written by another tool) is due at once, as is one whose next_check_at is null', async () => {
    const server = await http(reply(200));
    const missing = await addService('http', server.url);
    const empty = await addService('http', server.url);
    const later = await addService('http', server.url);
    await ServiceModel.collection.updateOne({ service_id: missing }, { $unset: { next_check_at: '' } });
    await ServiceModel.collection.updateOne({ service_id: empty }, { $set: { next_check_at: null } });
    await ServiceModel.collection.updateOne({ service_id: later }, { $set: { next_check_at: new Date(Date.now() + 60_000) } });
    expect(await harness.engine.dispatchDue()).toBe(2);
    for (const id of [missing, empty]) {
      const service = await domain.services.require(id);
      expect(service.current_status).toBe('running');
      // Scheduled from then on: one interval after the check began.
      expect(+service.next_check_at!).toBeGreaterThan(Date.now() + 55_000);
    }
    expect(await MonitoringCheckModel.countDocuments({ service_id: later })).toBe(0);
  });
});

describe('cadence is the interval', () => {
  test('services whose checks take ~90% of a 2 s interval are checked every 2 s: due times follow the schedule, none skipped', async () => {
    // One answers after 1.7 s; one never answers and times out at the budget, 90% of the interval (1.8 s).
    const slow = await http((_req, res) => setTimeout(() => res.end('ok'), 1_700));
    const hanging = await http(never);
    const slowId = await addService('http', slow.url, { monitoring: { interval_sec: 5, timeout_sec: 2 } });
    const hangingId = await addService('http', hanging.url, { monitoring: { interval_sec: 5, timeout_sec: 2 } });
    // 2 s is under the API's minimum interval: written directly, as another tool could.
    const firstDue = Date.now() + 1_500;
    await ServiceModel.collection.updateMany({}, { $set: { 'monitoring.interval_sec': 2, next_check_at: new Date(firstDue) } });
    const scheduler = await startScheduler(
      mongoose.connection.db!,
      harness.engine,
      domain.uptime,
      { dispatchSlots: 4, dispatchSliceMs: 2_000, idlePollMs: 50, processEveryMs: 1_000, lockLifetimeMs: 10_000 },
      silentLogger,
    );
    try {
      await sleep(22_000);
    } finally {
      await scheduler.stop();
    }
    for (const id of [slowId, hangingId]) {
      const runs = completed(harness, id);
      const due = runs.map((r) => +r.due_at!);
      // Every due time of the schedule from the first on, 2 s apart: none skipped, none added.
      expect(due[0]).toBe(firstDue);
      expect(
        due.slice(1).map((d, i) => d - due[i]!),
        id,
      ).toEqual(due.slice(1).map(() => 2_000));
      // 20 s of schedule after the first due time: 10 intervals, each checked.
      expect(runs.length, id).toBeGreaterThanOrEqual(10);
      // Each started close to its due time (the check never pushes the next one later).
      const lags = runs.map((r) => +r.at - +r.due_at!);
      expect(Math.max(...lags), `${id} lags ${lags}`).toBeLessThan(1_000);
      // The history agrees: the starts are 2 s apart on average (within 5%).
      const starts = (await MonitoringCheckModel.find({ service_id: id }).sort({ timestamp: 1 }).lean()).map((c) => +c.timestamp);
      const mean = (starts.at(-1)! - starts[0]!) / (starts.length - 1);
      expect(mean, id).toBeGreaterThanOrEqual(1_900);
      expect(mean, id).toBeLessThanOrEqual(2_100);
    }
    const timedOut = await MonitoringCheckModel.findOne({ service_id: hangingId }).lean();
    expect(timedOut).toMatchObject({ status: 'error', error: 'check timed out after 1.8 s' });
    expect((await MonitoringCheckModel.findOne({ service_id: slowId }).lean())!.status).toBe('running');
  }, 40_000);
});

describe('retries', () => {
  test('a definitive answer (404) is recorded at once; a transient one (503) is retried', async () => {
    const notFound = await http(reply(404));
    const unavailable = await http(reply(503));
    const retrying = { monitoring: { retry_attempts: 2, retry_delay_sec: 0 } };
    const definitive = await harness.engine.runNow(await addService('http', notFound.url, retrying));
    expect(definitive.recorded.status).toBe('error');
    expect(definitive.result.metrics?.custom).toMatchObject({ attempts: 1, http_status: 404 });
    expect(notFound.requests).toHaveLength(1);
    const transient = await harness.engine.runNow(await addService('http', unavailable.url, retrying));
    expect(transient.recorded.status).toBe('error');
    expect(transient.result.metrics?.custom).toMatchObject({ attempts: 3, http_status: 503 });
    expect(unavailable.requests).toHaveLength(3);
  });

  test('a refused connection is retried', async () => {
    const run = await harness.engine.runNow(await addService('tcp', `tcp://127.0.0.1:${await closedPort()}`, { monitoring: { retry_attempts: 2, retry_delay_sec: 0 } }));
    expect(run.recorded.status).toBe('stopped');
    expect(run.result.metrics?.custom).toMatchObject({ attempts: 3 });
  });

  test('no SSH key configured is unknown at once: not retried, and never recovered', async () => {
    const id = await addService('ssh', null, {
      monitoring: { retry_attempts: 3, retry_delay_sec: 1 },
      recovery: { recover_on_down: true, recover_action: 'restart', max_recovery_attempts: 3, recovery_cooldown_sec: 300 },
    });
    const started = Date.now();
    const run = await harness.engine.runNow(id);
    expect(Date.now() - started).toBeLessThan(900);
    expect(run.recorded.status).toBe('unknown');
    expect(run.result.error).toMatch(/no SSH key for host_web/);
    expect(run.result.metrics?.custom).toMatchObject({ attempts: 1 });
    expect(run.recovery).toBeNull();
    expect(harness.published.filter((e) => e.name === 'recovery.event')).toEqual([]);
  });

  test('retries stop when the next attempt could not finish within the budget (90% of the interval); a timeout is an error', async () => {
    const hanging = await http(never);
    // Budget 5.4 s: attempt 1 times out at 2 s, attempt 2 (after 1 s) at 5 s; a third could end at 8 s.
    const id = await addService('http', hanging.url, { monitoring: { interval_sec: 6, timeout_sec: 2, retry_attempts: 5, retry_delay_sec: 1 } });
    const started = Date.now();
    const run = await harness.engine.runNow(id);
    expect(Date.now() - started).toBeLessThan(5_400);
    expect(run.recorded.status).toBe('error');
    expect(run.result.error).toBe('check timed out after 2 s');
    expect(run.result.metrics?.custom).toMatchObject({ attempts: 2 });
    expect(hanging.requests).toHaveLength(2);
  }, 10_000);
});

describe("an operator's check while a scheduled one runs", () => {
  const slowly: HttpHandler = (_req, res) => setTimeout(() => res.end('ok'), 1_000);

  test('in the same process: waits for the scheduled check and returns its result, no CONFLICT, no second request', async () => {
    const server = await http(slowly);
    const id = await addService('http', server.url);
    const dispatch = harness.engine.dispatchDue();
    await sleep(200);
    const run = await harness.engine.runNow(id);
    expect(await dispatch).toBe(1);
    const scheduled = completed(harness, id).find((c) => c.due_at !== null)!;
    expect(run.recorded.history_id).toBe(scheduled.history_id);
    expect(run.recorded.status).toBe('running');
    expect(server.requests).toHaveLength(1);
  });

  test('across processes: polls until the other process writes its result, and returns that result', async () => {
    const server = await http(slowly);
    const id = await addService('http', server.url);
    const other = createTestEngine(domain);
    harnesses.push(other);
    const dispatch = other.engine.dispatchDue();
    await sleep(200);
    const run = await harness.engine.runNow(id);
    expect(await dispatch).toBe(1);
    const scheduled = completed(other, id)[0]!;
    expect(run.recorded.history_id).toBe(scheduled.history_id);
    expect(run.recorded).toMatchObject({ status: 'running', previous_status: 'unknown', status_changed: true });
    expect(run.result.metrics?.custom).toMatchObject({ http_status: 200 });
    expect(server.requests).toHaveLength(1);
  });

  test('recoverService while a scheduled check runs waits for it, then checks afresh under its own claim', async () => {
    const server = await http(slowly);
    const id = await addService('http', server.url);
    const dispatch = harness.engine.dispatchDue();
    await sleep(200);
    const outcome = await harness.engine.recoverNow(id, 'restart');
    expect(await dispatch).toBe(1);
    // The operator's recovery acts whatever the fresh check found (here the restart fails: no SSH key on this host).
    expect(outcome).toMatchObject({ attempted: true, success: false });
    expect(server.requests).toHaveLength(2);
  });
});

describe('the engine says what it does', () => {
  test('status changes, recovery actions and outcomes, and give-ups are one log line each, with service and host ids', async () => {
    const server = await http(reply(500));
    const id = await addService('http', server.url, {
      recovery: { recover_on_down: true, recover_action: 'restart', max_recovery_attempts: 1, recovery_cooldown_sec: 300 },
    });
    // Down: a status change, a recovery attempt (no SSH key on this host, so it fails), then a give-up.
    await harness.engine.runNow(id);
    await harness.engine.runNow(id);
    const said = logger.lines.map((l) => [l.message, l.fields.service_id, l.fields.host_id]);
    expect(said).toEqual([
      ['service status changed', id, 'host_web'],
      ['recovery started', id, 'host_web'],
      ['recovery failed', id, 'host_web'],
      ['recovery gave up', id, 'host_web'],
    ]);
    expect(logger.lines[0]!.fields).toMatchObject({ from: 'unknown', to: 'error' });
    expect(logger.lines[1]!.fields).toMatchObject({ action: 'restart' });
    expect(logger.lines[2]!.fields.message).toMatch(/restart failed: no SSH key/);
  });
});
