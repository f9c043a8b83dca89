/** Agenda-driven scheduling across processes' worth of schedulers, on the real test database. */
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import mongoose from 'mongoose';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { createDomain } from '../../src/modules/domain.js';
import { MonitoringCheckModel } from '../../src/modules/history/history.model.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import { startScheduler, type Scheduler } from '../../src/scheduler/scheduler.js';
import { useTestDatabase } from '../helpers/database.js';
import { createTestEngine } from '../helpers/engine.js';

useTestDatabase(import.meta.filename);
const domain = createDomain({ historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 });
const settings = { dispatchSlots: 2, dispatchSliceMs: 2_000, idlePollMs: 50, processEveryMs: 1_000, lockLifetimeMs: 10_000 };
let listener: Server;
let port: number;
const running: { scheduler: Scheduler; close: () => Promise<void> }[] = [];

beforeAll(async () => {
  listener = createServer((socket) => socket.end());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => listener.close(() => resolve())));
afterEach(async () => {
  for (const { scheduler, close } of running.splice(0)) {
    await scheduler.stop();
    await close();
  }
});

async function startWorker(batchSize = 50) {
  const harness = createTestEngine(domain, { settings: { batchSize } });
  const scheduler = await startScheduler(mongoose.connection.db!, harness.engine, domain.uptime, settings, silentLogger);
  running.push({ scheduler, close: harness.close });
  return harness;
}

async function addServices(count: number, intervalSec = 5) {
  await domain.hosts.create({ host_id: 'host_tcp', hostname: 'tcp', ip_address: '127.0.0.1', environment: 'dev', region: 'lab', ssh_config: { user: 'monitor' } });
  for (let i = 0; i < count; i++) {
    await domain.services.create({
      service_id: `svc_tcp_${i}`,
      host_id: 'host_tcp',
      service_name: `tcp${i}.service`,
      service_type: 'tcp',
      monitoring: { method: 'tcp', target: `tcp://127.0.0.1:${port}`, interval_sec: intervalSec, timeout_sec: 2, retry_attempts: 0 },
    });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const checksOf = async (serviceId: string) => (await MonitoringCheckModel.find({ service_id: serviceId }).sort({ timestamp: 1 }).lean()).map((c) => +c.timestamp);

describe('scheduling with Agenda', () => {
  test('a new service is checked soon after it is created, then every interval', async () => {
    await startWorker();
    await addServices(1);
    await sleep(7_500);
    const checks = await checksOf('svc_tcp_0');
    expect(checks.length).toBe(2);
    // A steady rate: one interval after the first due time; a late first check never brings the next
    // closer than half an interval (the engine realigns instead).
    expect(checks[1]! - checks[0]!).toBeGreaterThanOrEqual(2_400);
    expect(checks[1]! - checks[0]!).toBeLessThan(7_000);
    expect((await domain.services.require('svc_tcp_0')).current_status).toBe('running');
  }, 20_000);

  test('two workers share the services and never check one due time twice', async () => {
    // Small claims, so twenty services due at once are spread over both workers rather than taken in one batch.
    const [a, b] = [await startWorker(3), await startWorker(3)];
    await addServices(20);
    await sleep(11_500);
    for (let i = 0; i < 20; i++) {
      const checks = await checksOf(`svc_tcp_${i}`);
      expect(checks.length, `svc_tcp_${i}`).toBeGreaterThanOrEqual(2);
      expect(checks.length, `svc_tcp_${i}`).toBeLessThanOrEqual(3);
      // Never two checks for one due time: consecutive checks are about an interval apart.
      for (let j = 1; j < checks.length; j++) expect(checks[j]! - checks[j - 1]!).toBeGreaterThanOrEqual(2_500);
    }
    const byWorker = [a, b].map((w) => w.published.filter((e) => e.name === 'check.completed').length);
    expect(byWorker.every((n) => n > 0), `both workers ran checks: ${byWorker}`).toBe(true);
  }, 30_000);

  test('disabling a service stops its checks without a restart; enabling starts them again', async () => {
    await startWorker();
    await addServices(1);
    await sleep(1_500);
    expect((await checksOf('svc_tcp_0')).length).toBe(1);
    await domain.services.setMonitoringEnabled('svc_tcp_0', false);
    await sleep(6_000);
    expect((await checksOf('svc_tcp_0')).length).toBe(1);
    await domain.services.setMonitoringEnabled('svc_tcp_0', true);
    await sleep(2_000);
    expect((await checksOf('svc_tcp_0')).length).toBe(2);
  }, 20_000);

  test("a crashed worker's claimed services are checked once its lease runs out", async () => {
    await addServices(3);
    const leaseEnds = Date.now() + 3_000;
    await ServiceModel.updateMany({}, { $set: { lease_owner: 'crashed-worker', lease_until: new Date(leaseEnds), next_check_at: new Date(Date.now() - 1_000) } });
    await startWorker();
    await sleep(2_000);
    expect(await MonitoringCheckModel.countDocuments()).toBe(0);
    await sleep(3_000);
    expect(await MonitoringCheckModel.countDocuments()).toBe(3);
    const first = await MonitoringCheckModel.findOne().sort({ timestamp: 1 }).lean();
    expect(+first!.timestamp).toBeGreaterThanOrEqual(leaseEnds);
  }, 20_000);

  describe('a check hanging until its timeout', () => {
    let hanging: ReturnType<typeof createHttpServer>;
    let hangingUrl: string;
    let requests = 0;
    beforeAll(async () => {
      // Accepts and never answers: each check of it waits for its timeout.
      hanging = createHttpServer(() => void requests++);
      await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
      hangingUrl = `http://127.0.0.1:${(hanging.address() as { port: number }).port}/`;
    });
    afterAll(() => {
      hanging.closeAllConnections();
      return new Promise<void>((resolve) => hanging.close(() => resolve()));
    });

    async function addHanging(timeoutSec: number) {
      await domain.services.create({
        service_id: 'svc_hanging',
        host_id: 'host_tcp',
        service_name: 'hanging.service',
        service_type: 'http',
        monitoring: { method: 'http', target: hangingUrl, interval_sec: 5, timeout_sec: timeoutSec, retry_attempts: 0 },
      });
    }

    test('does not hold its dispatch slot: the slice ends on time and the services due meanwhile start within a second', async () => {
      // One process holds one of the two slots (2 s slices): if a slice waited for the check it started, nothing
      // would be claimed until the 4 s timeout ran out.
      const worker = await startWorker();
      await addServices(10);
      await addHanging(4);
      // Spread the TCP services' due times over the interval, so some fall due while the hanging check runs.
      const start = Date.now() + 1_000;
      for (let i = 0; i < 10; i++) await ServiceModel.updateOne({ service_id: `svc_tcp_${i}` }, { $set: { next_check_at: new Date(start + i * 500) } });
      await sleep(12_000);
      const runs = worker.published
        .filter((e) => e.name === 'check.completed')
        .map((e) => e.payload as { service_id: string; at: Date; due_at: Date | null })
        .filter((p) => p.service_id.startsWith('svc_tcp_') && p.due_at);
      expect(runs.length).toBeGreaterThanOrEqual(15);
      const lags = runs.map((r) => +r.at - +r.due_at!);
      expect(Math.max(...lags), `lags ${lags}`).toBeLessThan(1_500);
      expect(requests).toBeGreaterThanOrEqual(2);
    }, 30_000);

    test('stop() waits for a check its slice started and no longer waits for: written, lease released', async () => {
      await startWorker();
      await addServices(0);
      await addHanging(3);
      const { scheduler, close } = running.pop()!;
      const before = requests;
      for (let i = 0; i < 100 && requests === before; i++) await sleep(50);
      expect(requests).toBe(before + 1);
      const stopping = Date.now();
      await scheduler.stop();
      expect(Date.now() - stopping).toBeGreaterThan(1_500);
      await close();
      const entry = await MonitoringCheckModel.findOne({ service_id: 'svc_hanging' }).lean();
      expect(entry).toMatchObject({ status: 'error', error: 'check timed out after 3 s' });
      expect(await ServiceModel.findOne({ service_id: 'svc_hanging' }).lean()).toMatchObject({ lease_owner: null, lease_until: null });
    }, 20_000);
  });
});
