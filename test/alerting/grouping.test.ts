/**
 * Grouping per host, as Alertmanager groups: a host's first incidents go out together after the group wait; once
 * that message went, further incidents of the host wait until the group interval after it and go out as one update.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CreateNotificationChannelDocument, IncidentsDocument, RunCheckDocument } from '../graphql/generated.js';
import { useApiServer } from '../helpers/api.js';
import { hostInput } from '../helpers/fixtures.js';
import { useReceiver } from '../helpers/receiver.js';

const api = useApiServer(import.meta.filename, {}, undefined, { alertGroupWaitSec: 1, alertGroupIntervalSec: 60, alertFailureThreshold: 1 });
const target = useReceiver();
const hook = useReceiver();

beforeAll(() => api.domain.alerting.start(api.events, { send: false }));
afterAll(() => api.domain.alerting.stop());

test('the first incidents of a host go out together; later ones wait for one update a group interval after', async () => {
  await api.data(CreateNotificationChannelDocument, { input: { name: 'hook', type: 'WEBHOOK', url: hook.url } });
  await api.domain.hosts.create(hostInput({ host_id: 'host_web', hostname: 'web-01' }));
  const ids = ['svc_1', 'svc_2', 'svc_3', 'svc_4'];
  for (const id of ids) {
    await api.domain.services.create({
      service_id: id,
      host_id: 'host_web',
      service_name: `${id}.service`,
      service_type: 'nginx',
      monitoring: { method: 'http', target: `${target.url}/${id}`, interval_sec: 60, retry_attempts: 0 },
      recovery: { recover_on_down: false },
      alerting: { channels: ['webhook'] },
    });
  }
  const fail = async (serviceIds: string[]) => {
    target.answerWith(...serviceIds.map(() => ({ status: 500 })));
    for (const serviceId of serviceIds) await api.data(RunCheckDocument, { serviceId }, { as: 'operator' });
    await api.domain.alerting.evaluatePending();
  };
  const at = (ms: number) => () => new Date(Date.now() + ms);

  await fail(['svc_1', 'svc_2']);
  expect(await api.domain.alerting.sender.sendDue()).toBe(0); // the group wait (1 s) holds them
  expect(await api.domain.alerting.sender.sendDue(at(1_500))).toBe(1);
  await fail(['svc_3']);
  await fail(['svc_4']);
  expect(await api.domain.alerting.sender.sendDue(at(30_000))).toBe(0); // within the group interval after the first went
  expect(await api.domain.alerting.sender.sendDue(at(62_000))).toBe(1);
  const messages = hook.received.map((r) => (r.json as { incidents: { service_id: string }[] }).incidents.map((i) => i.service_id).sort());
  expect(messages).toEqual([
    ['svc_1', 'svc_2'],
    ['svc_3', 'svc_4'],
  ]);
  const sent = (await api.data(IncidentsDocument, {})).incidents.edges.map((e) => e.node.deliveries[0]!.state);
  expect(sent).toEqual(['SENT', 'SENT', 'SENT', 'SENT']);
});
