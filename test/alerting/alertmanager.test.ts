/**
 * Incidents reach a real Alertmanager (Debian's prometheus-alertmanager, started here on a loopback port):
 * the alert is read back through its own API v2 with our labels, and disappears from the active alerts when
 * the incident resolves.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CreateNotificationChannelDocument, IncidentsDocument, ResolveIncidentDocument, RunCheckDocument, TestNotificationChannelDocument } from '../graphql/generated.js';
import { useApiServer } from '../helpers/api.js';
import { hostInput } from '../helpers/fixtures.js';
import { useReceiver } from '../helpers/receiver.js';
import { startAlertmanager, type RunningAlertmanager } from '../setup/alerting-servers.js';

const api = useApiServer(import.meta.filename, {}, undefined, { alertGroupWaitSec: 0, alertGroupIntervalSec: 0, alertFailureThreshold: 1 });
const target = useReceiver();
let alertmanager: RunningAlertmanager;

beforeAll(async () => {
  alertmanager = await startAlertmanager();
  api.domain.alerting.start(api.events, { send: false });
}, 30_000);
afterAll(async () => {
  await api.domain.alerting.stop();
  await alertmanager?.stop();
});

test('an incident fires an alert with service, host, environment, region and severity labels; resolving it resolves the alert', async () => {
  const { createNotificationChannel } = await api.data(CreateNotificationChannelDocument, { input: { name: 'am', type: 'ALERTMANAGER', url: alertmanager.api, minSeverity: 'HIGH' } });
  expect((await api.data(TestNotificationChannelDocument, { channelId: createNotificationChannel.channelId })).testNotificationChannel).toMatchObject({ delivered: true });

  await api.domain.hosts.create(hostInput({ host_id: 'host_db', hostname: 'db-01', environment: 'production', region: 'jeju' }));
  await api.domain.services.create({
    service_id: 'svc_db',
    host_id: 'host_db',
    service_name: 'postgresql.service',
    service_type: 'postgresql',
    monitoring: { method: 'http', target: `${target.url}/health`, interval_sec: 60, retry_attempts: 0 },
    recovery: { recover_on_down: false },
    alerting: { channels: ['alertmanager'], severity: 'critical' },
  });
  target.answerWith({ status: 500, body: 'down' });
  await api.data(RunCheckDocument, { serviceId: 'svc_db' }, { as: 'operator' });
  await api.domain.alerting.evaluatePending();
  expect(await api.domain.alerting.sender.sendDue()).toBe(1);

  const firing = (await alertmanager.alerts()).filter((a) => a.labels.alertname === 'ServiceDown');
  expect(firing).toHaveLength(1);
  expect(firing[0]!.labels).toEqual({
    alertname: 'ServiceDown',
    service: 'postgresql.service',
    service_id: 'svc_db',
    host: 'db-01',
    host_id: 'host_db',
    environment: 'production',
    region: 'jeju',
    severity: 'critical',
  });
  expect(firing[0]!.status.state).toBe('active');

  const [incident] = (await api.data(IncidentsDocument, {})).incidents.edges.map((e) => e.node);
  await api.data(ResolveIncidentDocument, { incidentId: incident!.incidentId, note: 'failed over' }, { as: 'operator' });
  expect(await api.domain.alerting.sender.sendDue()).toBe(1);
  expect((await alertmanager.alerts()).filter((a) => a.labels.alertname === 'ServiceDown')).toEqual([]);
});
