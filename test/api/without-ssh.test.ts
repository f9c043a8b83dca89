/**
 * Issue 13, checks without SSH: a host may have no sshConfig, and then carries only checks made from outside (http,
 * tcp, database); such services may have a readable name and need no serviceType. Whatever reaches systemctl
 * (an SSH check, recovery) still needs a unit name and a host to log in to.
 */
import { expect, test } from 'vitest';
import { CreateHostDocument, CreateServiceDocument, HostDocument, RunCheckDocument, UpdateServiceDocument } from '../graphql/generated.js';
import { expectBadInput, useApiServer } from '../helpers/api.js';
import { useReceiver } from '../helpers/receiver.js';

const api = useApiServer(import.meta.filename);
const site = useReceiver();

async function webHost(hostId = 'host_site', sshConfig?: { user: string }) {
  await api.data(CreateHostDocument, { input: { hostId, hostname: 'www', ipAddress: sshConfig ? '10.20.0.2' : '10.20.0.1', environment: 'PRODUCTION', region: 'eu-west', ...(sshConfig ? { sshConfig } : {}) } }, { as: 'admin' });
}

test('a host without SSH watches a URL by a readable name, with no serviceType', async () => {
  await webHost();
  const { host } = await api.data(HostDocument, { hostId: 'host_site' }, { as: 'viewer' });
  expect(host?.sshConfig).toBeNull();
  const { createService } = await api.data(
    CreateServiceDocument,
    { input: { serviceId: 'svc_site', hostId: 'host_site', serviceName: 'Company website', monitoring: { method: 'HTTP', target: `${site.url}/`, retryAttempts: 0 } } },
    { as: 'admin' },
  );
  expect(createService).toMatchObject({ serviceName: 'Company website', serviceType: 'http' });
  site.answerWith({ status: 200 }, { status: 503 });
  expect((await api.data(RunCheckDocument, { serviceId: 'svc_site' }, { as: 'admin' })).runCheck.status).toBe('RUNNING');
  const down = (await api.data(RunCheckDocument, { serviceId: 'svc_site' }, { as: 'admin' })).runCheck;
  expect(down).toMatchObject({ status: 'ERROR', check: { error: expect.stringMatching(/^HTTP 503 from http:\/\/127\.0\.0\.1:\d+\/ is not an expected status$/) } });
});

test('what needs SSH is refused on a host without it, naming the fields', async () => {
  await webHost();
  const ssh = await api.request(CreateServiceDocument, { input: { serviceId: 'svc_unit', hostId: 'host_site', serviceName: 'nginx.service' } }, { as: 'admin' });
  expect(expectBadInput(ssh, 'monitoring.method').message).toMatch(/host 'host_site' has no sshConfig/);
  const recover = await api.request(
    CreateServiceDocument,
    { input: { serviceId: 'svc_r', hostId: 'host_site', serviceName: 'nginx.service', monitoring: { method: 'HTTP', target: `${site.url}/` }, recovery: { recoverOnDown: true } } },
    { as: 'admin' },
  );
  expectBadInput(recover, 'recovery.recoverOnDown');
  await api.data(CreateServiceDocument, { input: { serviceId: 'svc_ok', hostId: 'host_site', serviceName: 'shop', monitoring: { method: 'TCP', target: 'tcp://127.0.0.1:9' } } }, { as: 'admin' });
  expectBadInput(await api.request(UpdateServiceDocument, { serviceId: 'svc_ok', input: { monitoring: { method: 'SSH' } } }, { as: 'admin' }), 'monitoring.method');
});

test('a readable name stays out of systemctl: refused for SSH checks and recovery, and when a service turns to them', async () => {
  await webHost('host_box', { user: 'ops' });
  const sshCheck = await api.request(CreateServiceDocument, { input: { serviceId: 'svc_a', hostId: 'host_box', serviceName: 'Company website' } }, { as: 'admin' });
  expectBadInput(sshCheck, 'serviceName');
  await api.data(CreateServiceDocument, { input: { serviceId: 'svc_b', hostId: 'host_box', serviceName: 'Company website', monitoring: { method: 'HTTP', target: `${site.url}/` } } }, { as: 'admin' });
  expectBadInput(await api.request(UpdateServiceDocument, { serviceId: 'svc_b', input: { recovery: { recoverOnDown: true } } }, { as: 'admin' }), 'serviceName');
  // A unit name on an SSH host still gives the unit's type.
  const { createService } = await api.data(CreateServiceDocument, { input: { serviceId: 'svc_c', hostId: 'host_box', serviceName: 'postgresql@14-main.service' } }, { as: 'admin' });
  expect(createService.serviceType).toBe('postgresql');
});

test.each(['Company; reboot', 'site $(id)', "Bob's shop", 'a|b', ' leading space'])('a readable name is still a safe pattern: %j is refused', async (name) => {
  await webHost();
  expectBadInput(await api.request(CreateServiceDocument, { input: { serviceId: 'svc_x', hostId: 'host_site', serviceName: name, monitoring: { method: 'HTTP', target: `${site.url}/` } } }, { as: 'admin' }), 'serviceName');
});
