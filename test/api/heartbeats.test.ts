/**
 * Heartbeat (push) services over real HTTP: a ping URL issued once, pings that say success, failure, an exit
 * code, a start, each recorded at once; what is refused; and a missed ping found down by the schedule, with a
 * short real interval (the rules' clock itself: test/unit/heartbeat-verdict.test.ts).
 */
import { expect, test } from 'vitest';
import { CreateHostDocument, CreateServiceDocument, HeartbeatHistoryDocument, HeartbeatServiceDocument, IssueHeartbeatUrlDocument } from '../graphql/generated.js';
import { expectBadInput, expectError, useApiServer } from '../helpers/api.js';
import { readUntil } from '../helpers/processes.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';

const api = useApiServer(import.meta.filename);

async function heartbeatService(serviceId = 'svc_backup', monitoring: { intervalSec?: number; graceSec?: number } = {}) {
  await api.data(CreateHostDocument, { input: { hostId: 'host_jobs', hostname: 'jobs', ipAddress: '10.30.0.1', environment: 'PRODUCTION', region: 'eu-west' } });
  await api.data(CreateServiceDocument, { input: { serviceId, hostId: 'host_jobs', serviceName: 'Nightly backup', monitoring: { method: 'HEARTBEAT', intervalSec: 3600, graceSec: 300, ...monitoring } } });
  return (await api.data(IssueHeartbeatUrlDocument, { serviceId }, { as: 'operator' })).issueHeartbeatUrl;
}

const ping = (path: string, init?: RequestInit) => fetch(new URL(path, api.url), init);
const service = async (serviceId = 'svc_backup') => (await api.data(HeartbeatServiceDocument, { serviceId }, { as: 'viewer' })).service!;
const statusBecomes = (status: string, serviceId = 'svc_backup') => readUntil(() => service(serviceId), (s) => s.currentStatus === status, 10_000);
const latestCheck = async (serviceId = 'svc_backup') => (await api.data(HeartbeatHistoryDocument, { serviceId })).serviceHistory.edges[0]!.node;

test('a ping URL is issued once to an operator, and judged at once: waiting for the first ping', async () => {
  const issued = await heartbeatService();
  expect(issued.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  expect(issued.pingPath).toBe(`/ping/${issued.token}`);
  expect(issued.pingUrl).toBe(`${api.url.replace(/\/graphql$/, '')}/ping/${issued.token}`);
  const read = await service();
  expect(read).toMatchObject({ serviceType: 'heartbeat', currentStatus: 'UNKNOWN', monitoring: { method: 'HEARTBEAT', graceSec: 300 }, heartbeat: { lastPingAt: null } });
  expect(JSON.stringify(read)).not.toContain(issued.token);
  expect((await latestCheck()).error).toBe('waiting for the first ping');
  expectError(await api.request(IssueHeartbeatUrlDocument, { serviceId: 'svc_backup' }, { as: 'viewer' }), 'FORBIDDEN');
});

test('only heartbeat services get one', async () => {
  await heartbeatService();
  await api.data(CreateServiceDocument, { input: { serviceId: 'svc_site', hostId: 'host_jobs', serviceName: 'Site', monitoring: { method: 'TCP', target: 'tcp://127.0.0.1:9' } } });
  expect(expectBadInput(await api.request(IssueHeartbeatUrlDocument, { serviceId: 'svc_site' }), 'serviceId').message).toMatch(/checked by tcp, not heartbeat/);
  expectError(await api.request(IssueHeartbeatUrlDocument, { serviceId: 'svc_nosuch' }), 'NOT_FOUND');
});

test('success, failure with output, an exit code in the body or the path: each recorded as it arrives', async () => {
  const { pingPath } = await heartbeatService();
  const ok = await ping(pingPath);
  expect([ok.status, await ok.text()]).toEqual([200, 'OK\n']);
  expect(await statusBecomes('RUNNING')).toMatchObject({ heartbeat: { lastPingKind: 'SUCCESS', lastExitCode: null } });

  expect((await ping(`${pingPath}/fail`, { method: 'POST', body: 'pg_dump: connection refused\n' })).status).toBe(200);
  await statusBecomes('ERROR');
  expect(await latestCheck()).toMatchObject({ status: 'ERROR', error: expect.stringMatching(/^the job reported failure at \d{4}-/), errorDetails: 'pg_dump: connection refused\n' });

  await ping(`${pingPath}/0`);
  await statusBecomes('RUNNING');
  expect((await ping(pingPath, { method: 'POST', body: '3\n' })).status).toBe(200);
  await statusBecomes('ERROR');
  expect(await latestCheck()).toMatchObject({ statusCode: 3, error: expect.stringMatching(/^the job reported failure \(exit code 3\)/) });
  expect((await service()).heartbeat).toMatchObject({ lastPingKind: 'FAIL', lastExitCode: 3 });
});

test('a run begun with /start and ended with a ping has its duration recorded', async () => {
  const { pingPath } = await heartbeatService();
  await ping(`${pingPath}/start`);
  await readUntil(() => service(), (s) => s.heartbeat?.startedAt !== null, 5_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await ping(pingPath);
  await statusBecomes('RUNNING');
  expect(Number(((await latestCheck()).metrics.custom as Record<string, unknown>).run_duration_sec)).toBeGreaterThanOrEqual(0.3);
});

test('what is not a ping is refused without touching anything', async () => {
  const { token, pingPath } = await heartbeatService();
  expect((await ping(`/ping/${'A'.repeat(32)}`)).status).toBe(404);
  expect((await ping('/ping/short')).status).toBe(404);
  expect((await ping(`${pingPath}/256`)).status).toBe(404);
  expect((await ping(`${pingPath}/reboot`)).status).toBe(404);
  expect((await ping(pingPath, { method: 'DELETE' })).status).toBe(405);
  expect((await ping(pingPath, { method: 'POST', body: 'x'.repeat(200_000) })).status).toBe(413);
  expect((await service()).heartbeat?.lastPingAt).toBeNull();
  // A URL issued anew voids the one before.
  await api.data(IssueHeartbeatUrlDocument, { serviceId: 'svc_backup' });
  expect((await ping(`/ping/${token}`)).status).toBe(404);
});

test('pings of one URL are rate limited, saying when to come back', async () => {
  const { pingPath } = await heartbeatService();
  const answers = [];
  for (let i = 0; i < 61; i++) answers.push(await ping(pingPath, { method: 'HEAD' }));
  expect(answers.slice(0, 60).every((a) => a.status === 200)).toBe(true);
  expect(answers[60]!.status).toBe(429);
  expect(Number(answers[60]!.headers.get('retry-after'))).toBeGreaterThan(0);
});

test('a missed ping: the service is due at its deadline, and found down then', async () => {
  const { pingPath } = await heartbeatService('svc_fast', { intervalSec: 5, graceSec: 1 });
  const before = Date.now();
  await ping(pingPath);
  await statusBecomes('RUNNING', 'svc_fast');
  const { next_check_at } = (await ServiceModel.findOne({ service_id: 'svc_fast' }).lean())!;
  // Due when the ping is late: its time + interval + grace, not a fixed interval after some earlier check.
  expect(+next_check_at! - before).toBeGreaterThanOrEqual(6_000);
  expect(+next_check_at! - before).toBeLessThan(8_000);
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, +next_check_at! - Date.now()) + 50));
  expect(await api.engine.dispatchDue()).toBeGreaterThanOrEqual(1);
  await statusBecomes('STOPPED', 'svc_fast');
  expect((await latestCheck('svc_fast')).error).toMatch(/^no ping since \d{4}-.* \(expected every 5 s, grace 1 s\)$/);
  await ping(pingPath);
  await statusBecomes('RUNNING', 'svc_fast');
});
