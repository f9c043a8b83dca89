/**
 * Escalation policies, `notify_before_recovery`, `approval_required` and the `incidentChanged` subscription, with
 * the real API server and engine, a real OpenSSH server (whose fake systemctl the recovery drives) and real
 * webhook receivers.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import {
  AcknowledgeIncidentDocument,
  ApproveRecoveryDocument,
  CreateEscalationPolicyDocument,
  CreateNotificationChannelDocument,
  DeclineRecoveryDocument,
  IncidentsDocument,
  RunCheckDocument,
} from '../graphql/generated.js';
import { expectBadInput, expectError, useApiServer } from '../helpers/api.js';
import { liveClient, subscribe } from '../helpers/live-client.js';
import { useReceiver } from '../helpers/receiver.js';
import { useSshHost } from '../helpers/ssh-host.js';

const api = useApiServer(import.meta.filename, {}, { dashboardPeriodMs: 1_000 }, { alertGroupWaitSec: 0, alertGroupIntervalSec: 0, alertFailureThreshold: 1, alertSuccessThreshold: 1 });
const ssh = useSshHost();
const ops = useReceiver();
const pager = useReceiver();

beforeAll(() => api.domain.alerting.start(api.events, { send: false }));
afterAll(() => api.domain.alerting.stop());

beforeEach(async () => {
  ops.reset();
  pager.reset();
  await api.data(CreateNotificationChannelDocument, { input: { name: 'ops', type: 'WEBHOOK', url: `${ops.url}/ops` } });
  // Above every incident's severity: the pager hears only what an escalation step sends it by name.
  await api.data(CreateNotificationChannelDocument, { input: { name: 'pager', type: 'WEBHOOK', url: `${pager.url}/pager`, minSeverity: 'CRITICAL' } });
  await api.domain.hosts.create(ssh.hostInput());
});

const later = (ms: number) => new Date(Date.now() + ms);
const sendAt = (at: Date) => api.domain.alerting.sender.sendDue(() => at);
const events = (receiver: typeof ops) => receiver.received.map((r) => r.json as { event: string; note: string | null; summary: string });
const openIncident = async () => (await api.data(IncidentsDocument, { filter: { states: ['TRIGGERED', 'ACKNOWLEDGED'] } })).incidents.edges.map((e) => e.node)[0]!;

async function failingService(extra: Record<string, unknown> = {}) {
  await api.domain.services.create(ssh.serviceInput('svc_nginx', 'nginx.service', { recovery: { recover_on_down: false }, alerting: { channels: ['webhook'], severity: 'high' }, ...extra }));
  ssh.sshd.setUnitState('nginx.service', 'failed');
  const { runCheck } = await api.data(RunCheckDocument, { serviceId: 'svc_nginx' }, { as: 'operator' });
  await api.domain.alerting.evaluatePending();
  return runCheck;
}

describe('escalation policies', () => {
  test('an unacknowledged incident reaches each step’s channels in turn, then the last again every repeat; acknowledging stops it', async () => {
    await api.data(CreateEscalationPolicyDocument, {
      input: { name: 'web-team', steps: [{ afterMinutes: 5, channels: ['pager'] }, { afterMinutes: 15, channels: ['pager', 'ops'] }], repeatEveryMinutes: 10 },
    });
    await failingService({ alerting: { channels: ['webhook'], severity: 'high', escalation_policy: 'web-team' } });
    await sendAt(later(0));
    expect(events(ops).map((e) => e.event)).toEqual(['triggered']);
    expect(events(pager)).toEqual([]); // only routed channels hear the opening: the pager is the policy's

    await api.domain.alerting.sweep(later(4 * 60_000));
    await sendAt(later(4 * 60_000));
    expect(events(pager)).toEqual([]);
    await api.domain.alerting.sweep(later(5 * 60_000 + 1_000));
    await api.domain.alerting.sweep(later(6 * 60_000)); // a second sweep queues nothing new
    await sendAt(later(6 * 60_000));
    expect(events(pager).map((e) => [e.event, e.note])).toEqual([['escalated', "escalation 'web-team', step 1: unacknowledged for 5 min"]]);

    for (const minutes of [16, 26]) {
      await api.domain.alerting.sweep(later(minutes * 60_000));
      await sendAt(later(minutes * 60_000));
    }
    expect(events(pager).map((e) => e.note)).toEqual([
      "escalation 'web-team', step 1: unacknowledged for 5 min",
      "escalation 'web-team', step 2: unacknowledged for 16 min",
      "escalation 'web-team', step 2 (repeated): unacknowledged for 26 min",
    ]);
    expect(events(ops).map((e) => e.event)).toEqual(['triggered', 'escalated', 'escalated']);

    const incident = await openIncident();
    await api.data(AcknowledgeIncidentDocument, { incidentId: incident.incidentId, note: 'on it' }, { as: 'operator' });
    await api.domain.alerting.sweep(later(60 * 60_000));
    await sendAt(later(60 * 60_000));
    expect(events(pager).map((e) => e.event).at(-1)).toBe('acknowledged'); // told of it, so told it is acknowledged
    expect(events(pager).filter((e) => e.event === 'escalated')).toHaveLength(3);
    const timeline = (await openIncident()).timeline.map((t) => t.kind);
    expect(timeline.filter((k) => k === 'ESCALATED'), JSON.stringify((await openIncident()).timeline)).toHaveLength(3);
  });

  test('steps name channels that exist, in order', async () => {
    const response = await api.request(CreateEscalationPolicyDocument, {
      input: { name: 'x', steps: [{ afterMinutes: 10, channels: ['nope'] }, { afterMinutes: 5, channels: [] }], repeatEveryMinutes: 0 },
    });
    expectBadInput(response, 'steps[0].channels[0]', 'steps[1].afterMinutes', 'steps[1].channels', 'repeatEveryMinutes');
    expectError(await api.request(CreateEscalationPolicyDocument, { input: { name: 'y', steps: [{ afterMinutes: 1, channels: ['ops'] }] } }, { as: 'operator' }), 'FORBIDDEN');
  });
});

describe('recovery', () => {
  test('notify_before_recovery: the channels hear "about to restart" as the action starts', async () => {
    await api.domain.services.create(
      ssh.serviceInput('svc_nginx', 'nginx.service', { recovery: { recover_on_down: true, recover_action: 'restart', notify_before_recovery: true }, alerting: { channels: ['webhook'] } }),
    );
    ssh.sshd.setUnitState('nginx.service', 'failed');
    const { runCheck } = await api.data(RunCheckDocument, { serviceId: 'svc_nginx' }, { as: 'operator' });
    expect(runCheck.recovery).toMatchObject({ attempted: true, action: 'RESTART' });
    await api.domain.alerting.evaluatePending();
    await sendAt(later(0));
    expect(events(ops).find((e) => e.event === 'recovery_notice')).toMatchObject({ note: 'about to restart nginx.service on ssh-fixture' });
  });

  test('approval_required: automatic recovery waits, the notification says how to approve, approveRecovery runs it once; declineRecovery drops it', async () => {
    await api.domain.environments.create({ env_name: 'dev', approval_required: true });
    const runCheck = await failingService({ recovery: { recover_on_down: true, recover_action: 'restart' } });
    expect(runCheck.recovery).toMatchObject({ attempted: false, message: expect.stringMatching(/^restart waits for an operator's approval \(approveRecovery\) until /) });
    expect(ssh.sshd.readCalls().some((call) => call.includes('restart'))).toBe(false);
    await sendAt(later(0));
    const incident = await openIncident();
    expect(events(ops)[0]!.note).toBe(`restart waits for approval: approveRecovery(incidentId: "${incident.incidentId}") before ${incident.recoveryApproval!.expiresAt}`);

    expectError(await api.request(ApproveRecoveryDocument, { incidentId: incident.incidentId }, { as: 'viewer' }), 'FORBIDDEN');
    const { approveRecovery } = await api.data(ApproveRecoveryDocument, { incidentId: incident.incidentId }, { as: 'operator' });
    expect(approveRecovery).toMatchObject({ attempted: true, action: 'RESTART', success: true });
    expect(ssh.sshd.readCalls().some((call) => call.includes('restart -- nginx.service'))).toBe(true);
    expectError(await api.request(ApproveRecoveryDocument, { incidentId: incident.incidentId }, { as: 'operator' }), 'CONFLICT');

    await api.domain.alerting.evaluatePending();
    ssh.sshd.setUnitState('nginx.service', 'failed');
    await api.data(RunCheckDocument, { serviceId: 'svc_nginx' }, { as: 'operator' });
    await api.domain.alerting.evaluatePending();
    const asked = await openIncident();
    expect(asked.recoveryApproval).toMatchObject({ action: 'RESTART' });
    const { declineRecovery } = await api.data(DeclineRecoveryDocument, { incidentId: asked.incidentId, note: 'not during the sale' }, { as: 'operator' });
    expect(declineRecovery.timeline.at(-1)).toMatchObject({ kind: 'NOTE', message: 'declined recovery: restart (not during the sale)' });
    expect((await openIncident()).recoveryApproval).toBeNull();
  });
});

describe('incidentChanged', () => {
  test('subscribers see incidents open, get acknowledged and resolve, filtered by state', async () => {
    const socket = liveClient(api.url, api.keys.viewer);
    const all = subscribe<{ incidentChanged: { kind: string; state: string; serviceId: string; incident: { hostname: string } } }>(
      socket.client,
      'subscription { incidentChanged { kind state serviceId incident { hostname } } }',
    );
    const resolvedOnly = subscribe<{ incidentChanged: { kind: string } }>(socket.client, 'subscription { incidentChanged(filter: { states: [RESOLVED] }) { kind } }');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await failingService();
    const incident = await openIncident();
    await api.data(AcknowledgeIncidentDocument, { incidentId: incident.incidentId }, { as: 'operator' });
    ssh.sshd.setUnitState('nginx.service', 'active');
    await api.data(RunCheckDocument, { serviceId: 'svc_nginx' }, { as: 'operator' });
    await api.domain.alerting.evaluatePending();
    const seen = await all.waitFor(3);
    expect(seen.map((d) => [d.incidentChanged.kind, d.incidentChanged.state])).toEqual([
      ['OPENED', 'TRIGGERED'],
      ['ACKNOWLEDGED', 'ACKNOWLEDGED'],
      ['RESOLVED', 'RESOLVED'],
    ]);
    expect(seen[0]!.incidentChanged).toMatchObject({ serviceId: 'svc_nginx', incident: { hostname: 'ssh-fixture' } });
    expect((await resolvedOnly.waitFor(1)).map((d) => d.incidentChanged.kind)).toEqual(['RESOLVED']);
    await socket.dispose();
  });
});
