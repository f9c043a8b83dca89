/**
 * Incidents and notifications end to end: the real API server and engine check HTTP services on a loopback target
 * that fails on demand; incidents open and resolve from those checks; the outbox is sent to a real webhook
 * receiver that verifies each signature.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { NotificationModel } from '../../src/modules/alerting/outbox.model.js';
import {
  AcknowledgeIncidentDocument,
  AddIncidentNoteDocument,
  CreateNotificationChannelDocument,
  IncidentDocument,
  IncidentsDocument,
  NotificationChannelsDocument,
  ResolveIncidentDocument,
  RunCheckDocument,
  TestNotificationChannelDocument,
  UpdateNotificationChannelDocument,
} from '../graphql/generated.js';
import { expectBadInput, expectError, useApiServer } from '../helpers/api.js';
import { hostInput } from '../helpers/fixtures.js';
import { eventually } from '../helpers/live-client.js';
import { useReceiver, type Received } from '../helpers/receiver.js';

const api = useApiServer(import.meta.filename, {}, undefined, { alertGroupWaitSec: 0, alertGroupIntervalSec: 0, alertFailureThreshold: 2, alertSuccessThreshold: 2, flapThreshold: 3 });
const target = useReceiver();
const hook = useReceiver();
const SECRET = 'hook-secret-7f3a';

beforeAll(() => api.domain.alerting.start(api.events, { send: false }));
afterAll(() => api.domain.alerting.stop());

let channelId: string;
beforeEach(async () => {
  target.reset();
  hook.reset();
  hook.validate = (request) => (signed(request) ? null : 'bad signature');
  const { createNotificationChannel } = await api.data(CreateNotificationChannelDocument, { input: { name: 'ops hook', type: 'WEBHOOK', url: `${hook.url}/alerts`, secret: SECRET } });
  channelId = createNotificationChannel.channelId;
  await api.domain.hosts.create(hostInput({ host_id: 'host_web', hostname: 'web-01' }));
  for (const id of ['svc_a', 'svc_b']) {
    await api.domain.services.create({
      service_id: id,
      host_id: 'host_web',
      service_name: `${id}.service`,
      service_type: 'nginx',
      monitoring: { method: 'http', target: `${target.url}/${id}`, interval_sec: 60, retry_attempts: 0 },
      recovery: { recover_on_down: false },
      alerting: { channels: ['webhook'], severity: 'high' },
    });
  }
});

function signed(request: Received): boolean {
  const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request.headers['x-service-monitor-signature'] ?? '')) ?? [];
  return Boolean(t) && createHmac('sha256', SECRET).update(`${t}.${request.body}`).digest('hex') === v1;
}

/** Every service checked once more (the target answers `status`), then the results evaluated. */
async function checkAll(status: number, ids = ['svc_a', 'svc_b']): Promise<void> {
  target.answerWith(...ids.map(() => ({ status, body: status === 200 ? 'ok' : 'broken' })));
  for (const serviceId of ids) await api.data(RunCheckDocument, { serviceId }, { as: 'operator' });
  await api.domain.alerting.evaluatePending();
}

const send = () => api.domain.alerting.sender.sendDue();
const incidents = async (states?: ('TRIGGERED' | 'ACKNOWLEDGED' | 'RESOLVED')[]) =>
  (await api.data(IncidentsDocument, { filter: states ? { states } : undefined }, { as: 'viewer' })).incidents.edges.map((e) => e.node);
const messages = () => hook.received.map((r) => r.json as { event: string; incidents: { service_id: string; state: string }[] });

describe('incidents from checks', () => {
  test('failing the threshold opens one incident per service, told once as one message for the host; successes resolve them and the channel hears it', async () => {
    await checkAll(500);
    expect(await incidents()).toEqual([]); // one failure is below the threshold of 2
    await checkAll(500);
    const opened = await incidents(['TRIGGERED']);
    expect(opened.map((i) => i.serviceId).sort()).toEqual(['svc_a', 'svc_b']);
    expect(opened[0]).toMatchObject({ severity: 'HIGH', hostname: 'web-01', failureCount: 2, notified: true, lastError: expect.stringMatching(/500/) });

    expect(await send()).toBe(1);
    expect(messages()).toEqual([expect.objectContaining({ event: 'triggered', incidents: expect.arrayContaining([expect.objectContaining({ service_id: 'svc_a' }), expect.objectContaining({ service_id: 'svc_b' })]) })]);

    await checkAll(500); // still down: nothing new
    expect(await send()).toBe(0);
    expect(await incidents()).toHaveLength(2);

    await checkAll(200);
    expect(await incidents(['TRIGGERED'])).toHaveLength(2); // one success is below the success threshold of 2
    await checkAll(200);
    const resolved = await incidents(['RESOLVED']);
    expect(resolved).toHaveLength(2);
    expect(await send()).toBe(1);
    expect(messages().map((m) => [m.event, m.incidents.length])).toEqual([
      ['triggered', 2],
      ['resolved', 2],
    ]);
    const { incident } = await api.data(IncidentDocument, { incidentId: resolved[0]!.incidentId }, { as: 'viewer' });
    expect(incident!.timeline.map((t) => t.kind)).toEqual(['OPENED', 'NOTIFIED', 'RESOLVED', 'NOTIFIED']);
    expect(incident!.deliveries.map((d) => [d.event, d.state, d.attempts])).toEqual([
      ['TRIGGERED', 'SENT', 1],
      ['RESOLVED', 'SENT', 1],
    ]);
    expect(incident!.durationSec).toBeGreaterThanOrEqual(0);

    await checkAll(500);
    await checkAll(500); // a new failure streak opens a new incident
    expect(await incidents(['TRIGGERED'])).toHaveLength(2);
    expect(await incidents()).toHaveLength(4);
  });

  test('an operator acknowledges (the channel hears who and why) and resolves by hand; a viewer may not; wrong states are CONFLICT', async () => {
    await checkAll(500, ['svc_a']);
    await checkAll(500, ['svc_a']);
    await send();
    const [open] = await incidents(['TRIGGERED']);
    const viewer = await api.request(AcknowledgeIncidentDocument, { incidentId: open!.incidentId }, { as: 'viewer' });
    expectError(viewer, 'FORBIDDEN');
    const { acknowledgeIncident } = await api.data(AcknowledgeIncidentDocument, { incidentId: open!.incidentId, note: 'looking at it' }, { as: 'operator' });
    expect(acknowledgeIncident).toMatchObject({ state: 'ACKNOWLEDGED', acknowledgedAt: expect.any(String) });
    expect(acknowledgeIncident.timeline.at(-1)).toMatchObject({ kind: 'ACKNOWLEDGED', actor: 'test operator', message: 'looking at it' });
    expectError(await api.request(AcknowledgeIncidentDocument, { incidentId: open!.incidentId }, { as: 'operator' }), 'CONFLICT');
    await api.data(AddIncidentNoteDocument, { incidentId: open!.incidentId, note: 'disk full on web-01' }, { as: 'operator' });
    expect(await send()).toBe(1);
    expect(hook.received.at(-1)!.json).toMatchObject({ event: 'acknowledged', note: 'test operator: looking at it' });

    const { resolveIncident } = await api.data(ResolveIncidentDocument, { incidentId: open!.incidentId, note: 'cleaned up' }, { as: 'operator' });
    expect(resolveIncident.state).toBe('RESOLVED');
    expect(resolveIncident.timeline.map((t) => t.kind)).toEqual(['OPENED', 'NOTIFIED', 'ACKNOWLEDGED', 'NOTE', 'NOTIFIED', 'RESOLVED']);
    expectError(await api.request(ResolveIncidentDocument, { incidentId: open!.incidentId }, { as: 'operator' }), 'CONFLICT');
    expectError(await api.request(ResolveIncidentDocument, { incidentId: 'inc_nope' }, { as: 'operator' }), 'NOT_FOUND');
    expect(await send()).toBe(1);
    expect(hook.received.at(-1)!.json).toMatchObject({ event: 'resolved' });
  });
});

describe('a deleted service', () => {
  test('its open incident resolves with it, and the channel hears so', async () => {
    await checkAll(500, ['svc_a']);
    await checkAll(500, ['svc_a']);
    await send();
    await api.domain.services.delete('svc_a');
    await eventually(async () => (await incidents())[0]?.state === 'RESOLVED', 5_000, 'the incident resolved'); // handled in the background
    const [incident] = await incidents();
    expect(incident).toMatchObject({ state: 'RESOLVED' });
    expect(incident!.timeline.at(-1)).toMatchObject({ kind: 'RESOLVED', actor: 'system', message: 'the service was deleted' });
    expect(await send()).toBe(1);
    expect(hook.received.at(-1)!.json).toMatchObject({ event: 'resolved', note: 'the service was deleted' });
  });
});

describe('quiet when it should be', () => {
  test('a muted service’s incident is recorded as suppressed with the reason, and notified when the mute has ended', async () => {
    const until = new Date(Date.now() + 60 * 60_000);
    await api.domain.services.update('svc_a', { alerting: { mute_until: until } });
    await checkAll(500, ['svc_a']);
    await checkAll(500, ['svc_a']);
    expect(await send()).toBe(0);
    const [incident] = await incidents(['TRIGGERED']);
    expect(incident).toMatchObject({ notified: false, suppressed: { reason: `muted until ${until.toISOString()}` } });

    await api.domain.services.update('svc_a', { alerting: { mute_until: null } });
    expect(await api.domain.alerting.sweep()).toBe(1);
    expect(await send()).toBe(1);
    const { incident: after } = await api.data(IncidentDocument, { incidentId: incident!.incidentId }, { as: 'viewer' });
    expect(after).toMatchObject({ notified: true, suppressed: null });
    expect(after!.timeline.map((t) => t.kind)).toEqual(['OPENED', 'SUPPRESSED', 'UNSUPPRESSED', 'NOTIFIED']);
  });

  test('a host in maintenance and alerting turned off hold notifications back', async () => {
    await api.domain.services.update('svc_b', { alerting: { enabled: false } });
    await api.domain.hosts.update('host_web', { status: 'maintenance' });
    await checkAll(500, ['svc_a', 'svc_b']);
    await checkAll(500, ['svc_a', 'svc_b']);
    expect(await send()).toBe(0);
    const reasons = Object.fromEntries((await incidents()).map((i) => [i.serviceId, i.suppressed?.reason]));
    expect(reasons).toEqual({ svc_a: 'host in maintenance', svc_b: 'alerting disabled' });
  });

  test('a service whose dependency is down is caused by it: its own notification is held back and the root’s lists it', async () => {
    await api.domain.services.update('svc_b', { dependencies: ['svc_a'] });
    await checkAll(500, ['svc_a']);
    await checkAll(500, ['svc_a']);
    await checkAll(500, ['svc_b']);
    await checkAll(500, ['svc_b']);
    const byService = Object.fromEntries((await incidents()).map((i) => [i.serviceId, i]));
    expect(byService.svc_b).toMatchObject({ causedBy: { serviceId: 'svc_a', incidentId: byService.svc_a!.incidentId }, notified: false, suppressed: { reason: expect.stringMatching(/^caused by svc_a/) } });
    expect(await send()).toBe(1);
    expect(hook.received[0]!.json).toMatchObject({ event: 'triggered', incidents: [{ service_id: 'svc_a' }], dependents: [{ service_id: 'svc_b' }] });
  });
});

describe('flapping', () => {
  test('a service that keeps opening incidents is told once as FLAPPING, then its rounds stay quiet', async () => {
    const round = async () => {
      await checkAll(500, ['svc_a']);
      await checkAll(500, ['svc_a']);
      await checkAll(200, ['svc_a']);
      await checkAll(200, ['svc_a']);
      await send();
    };
    for (let i = 0; i < 4; i++) await round();
    expect(messages().map((m) => m.event)).toEqual(['triggered', 'resolved', 'triggered', 'resolved', 'flapping']);
    const all = await incidents();
    expect(all.map((i) => [i.flapping, i.notified])).toEqual([
      [true, false],
      [true, true],
      [false, true],
      [false, true],
    ]);
    expect(all[0]!.timeline.map((t) => t.kind)).toEqual(['OPENED', 'FLAPPING', 'SUPPRESSED', 'RESOLVED']);
    expect(all[0]!.timeline[2]!.message).toMatch(/^flapping \(told at /);
  });
});

describe('delivery', () => {
  test('a 503 is retried with backoff (state and attempts on the incident); a 400 fails with the receiver’s words', async () => {
    hook.answerWith({ status: 503, body: 'busy' });
    await checkAll(500, ['svc_a']);
    await checkAll(500, ['svc_a']);
    expect(await send()).toBe(0);
    let [incident] = await incidents();
    expect(incident!.deliveries).toEqual([expect.objectContaining({ state: 'PENDING', attempts: 1, lastError: 'HTTP 503: busy' })]);
    await NotificationModel.updateMany({}, { $set: { not_before: new Date() } }); // the backoff has passed
    expect(await send()).toBe(1);
    [incident] = await incidents();
    expect(incident!.deliveries).toEqual([expect.objectContaining({ state: 'SENT', attempts: 2 })]);

    hook.validate = () => 'unknown field';
    await checkAll(500, ['svc_b']);
    await checkAll(500, ['svc_b']);
    await send();
    const failed = (await incidents()).find((i) => i.serviceId === 'svc_b')!;
    expect(failed.deliveries).toEqual([expect.objectContaining({ state: 'FAILED', attempts: 1, lastError: 'HTTP 400: unknown field' })]);
    expect(failed.timeline.at(-1)).toMatchObject({ kind: 'NOTIFICATION_FAILED', channelId });
  });
});

describe('rate limit', () => {
  test('a channel sends at most ratePerMinute messages a minute; the rest wait their turn, still pending', async () => {
    await api.data(UpdateNotificationChannelDocument, { channelId, input: { ratePerMinute: 1 } });
    await api.domain.hosts.create(hostInput({ host_id: 'host_db', hostname: 'db-01', ip_address: '10.9.9.9' }));
    await api.domain.services.create({
      service_id: 'svc_c',
      host_id: 'host_db',
      service_name: 'svc_c.service',
      service_type: 'postgresql',
      monitoring: { method: 'http', target: `${target.url}/svc_c`, interval_sec: 60, retry_attempts: 0 },
      recovery: { recover_on_down: false },
      alerting: { channels: ['webhook'] },
    });
    await checkAll(500, ['svc_a', 'svc_c']);
    await checkAll(500, ['svc_a', 'svc_c']);
    expect(await send()).toBe(1); // two hosts, two messages: the second is over the limit
    expect(hook.received).toHaveLength(1);
    const waiting = (await incidents()).flatMap((i) => i.deliveries).filter((d) => d.state === 'PENDING');
    expect(waiting).toHaveLength(1);
    const notBefore = await NotificationModel.findOne({ state: 'pending' }).lean();
    expect(+notBefore!.not_before).toBeGreaterThan(Date.now() + 30_000);
  });
});

describe('channels', () => {
  test('secrets are write-only; a test message reports how it went; bad settings name their fields', async () => {
    const { notificationChannels } = await api.data(NotificationChannelsDocument);
    expect(notificationChannels).toEqual([expect.objectContaining({ name: 'ops hook', type: 'WEBHOOK', secretConfigured: true })]);
    expect(JSON.stringify(notificationChannels)).not.toContain(SECRET);

    const { testNotificationChannel } = await api.data(TestNotificationChannelDocument, { channelId });
    expect(testNotificationChannel).toMatchObject({ delivered: true, error: null });
    expect(hook.received[0]!.json).toMatchObject({ event: 'test', summary: "Test notification from service-monitor: channel 'ops hook' (webhook) works" });

    await api.data(UpdateNotificationChannelDocument, { channelId, input: { secret: 'rotated' } });
    const failing = await api.data(TestNotificationChannelDocument, { channelId });
    expect(failing.testNotificationChannel).toMatchObject({ delivered: false, error: 'HTTP 400: bad signature' });

    expectBadInput(await api.request(CreateNotificationChannelDocument, { input: { name: 'mail', type: 'EMAIL', to: ['not-an-address'] } }), 'smtpHost', 'from', 'to[0]');
    expectBadInput(await api.request(CreateNotificationChannelDocument, { input: { name: 'ops hook', type: 'WEBHOOK', url: hook.url } }), 'name');
    expectBadInput(await api.request(CreateNotificationChannelDocument, { input: { name: 'x', type: 'WEBHOOK', url: 'http://user:pw@example.com/' } }), 'url');
    expectError(await api.request(NotificationChannelsDocument, {}, { as: 'operator' }), 'FORBIDDEN');
  });
});
