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

test('a host outage opens at once: when one service reaches its threshold, the host’s other failing services open with it', async () => {
  const hook2 = hook.received.length;
  await api.data(CreateNotificationChannelDocument, { input: { name: 'hook', type: 'WEBHOOK', url: hook.url } });
  await api.domain.hosts.create(hostInput({ host_id: 'host_db', hostname: 'db-01', ip_address: '10.9.0.2' }));
  await api.domain.hosts.create(hostInput({ host_id: 'host_other', hostname: 'other-01', ip_address: '10.9.0.3' }));
  const service = (service_id: string, host_id: string) =>
    api.domain.services.create({
      service_id,
      host_id,
      service_name: `${service_id}.service`,
      service_type: 'nginx',
      monitoring: { method: 'http', target: `${target.url}/${service_id}`, interval_sec: 60, retry_attempts: 0 },
      recovery: { recover_on_down: false },
      alerting: { channels: ['webhook'], failure_threshold: 3 },
    });
  for (const id of ['db_1', 'db_2', 'db_3']) await service(id, 'host_db');
  await service('other_1', 'host_other');
  const check = async (serviceId: string, status: number) => {
    target.answerWith({ status });
    await api.data(RunCheckDocument, { serviceId }, { as: 'operator' });
  };
  // db_2 and other_1 have failed once (below the threshold of 3); db_3 is fine.
  await check('db_2', 500);
  await check('other_1', 500);
  await check('db_3', 200);
  await api.domain.alerting.evaluatePending();
  expect((await api.data(IncidentsDocument, { filter: { hostId: 'host_db' } })).incidents.edges).toHaveLength(0);
  for (let i = 0; i < 3; i++) await check('db_1', 500);
  await api.domain.alerting.evaluatePending();

  const incidents = (await api.data(IncidentsDocument, {})).incidents.edges.map((e) => e.node).filter((i) => i.hostId !== 'host_web');
  expect(incidents.map((i) => i.serviceId).sort()).toEqual(['db_1', 'db_2']);
  const db2 = incidents.find((i) => i.serviceId === 'db_2')!;
  expect(db2.timeline[0]!.message).toMatch(/^1 failed check in a row.*\(opened with db_1's incident on the same host\)$/);
  expect(await api.domain.alerting.sender.sendDue(() => new Date(Date.now() + 1_500))).toBe(1);
  const message = hook.received.slice(hook2).map((r) => (r.json as { incidents: { service_id: string }[] }).incidents.map((i) => i.service_id).sort());
  expect(message).toEqual([['db_1', 'db_2']]);
});
