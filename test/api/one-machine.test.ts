/**
 * Issue 13, one machine one host: addresses are stored in one spelling, no two hosts share an address and SSH
 * port (CONFLICT naming the host that is there), and an import reuses the host at that address.
 */
import { expect, test } from 'vitest';
import { runDoctor } from '../../src/cli/db-doctor.js';
import { HostModel } from '../../src/modules/hosts/host.model.js';
import { CreateHostDocument, HostsDocument, ImportConfigDocument, UpdateHostDocument } from '../graphql/generated.js';
import { expectError, useApiServer } from '../helpers/api.js';

const api = useApiServer(import.meta.filename);

const host = (hostId: string, ipAddress: string, port = 22) => ({
  input: { hostId, hostname: hostId.replace(/_/g, '-'), ipAddress, environment: 'PRODUCTION' as const, region: 'eu-west', sshConfig: { user: 'ops', port } },
});

test('IPv6 and IPv4-mapped addresses are stored in their canonical form', async () => {
  const { createHost: v6 } = await api.data(CreateHostDocument, host('host_v6', 'FD00:0:0::0015'), { as: 'admin' });
  expect(v6.ipAddress).toBe('fd00::15');
  const { createHost: mapped } = await api.data(CreateHostDocument, host('host_mapped', '::ffff:10.1.11.81'), { as: 'admin' });
  expect(mapped.ipAddress).toBe('10.1.11.81');
});

test('a second host at the same address and SSH port is a CONFLICT naming the first; another port is another host', async () => {
  await api.data(CreateHostDocument, host('host_a', 'fd00::15'), { as: 'admin' });
  for (const spelling of ['fd00::15', 'FD00::15', 'fd00:0:0::15']) {
    const error = expectError(await api.request(CreateHostDocument, host('host_b', spelling), { as: 'admin' }), 'CONFLICT');
    expect(error.message).toMatch(/host 'host_a' is already at fd00::15 port 22/);
  }
  await api.data(CreateHostDocument, host('host_b', 'fd00::15', 2222), { as: 'admin' });
  // Moving onto the first host's address and port is refused the same way, and leaves host_b as it was.
  const moved = expectError(await api.request(UpdateHostDocument, { hostId: 'host_b', input: { sshConfig: { port: 22 } } }, { as: 'admin' }), 'CONFLICT');
  expect(moved.message).toMatch(/host 'host_a'/);
  const { hosts } = await api.data(HostsDocument, {}, { as: 'viewer' });
  expect(hosts.edges.map((e) => [e.node.hostId, e.node.ipAddress, e.node.sshConfig?.port])).toEqual([
    ['host_a', 'fd00::15', 22],
    ['host_b', 'fd00::15', 2222],
  ]);
  // A host keeps its own address and port through an update of anything else.
  await api.data(UpdateHostDocument, { hostId: 'host_a', input: { ipAddress: 'FD00::15', region: 'eu-north' } }, { as: 'admin' });
});

test('concurrent creates at one address: exactly one host is made', async () => {
  const results = await Promise.all(Array.from({ length: 6 }, (_, i) => api.request(CreateHostDocument, host(`host_race_${i}`, '10.77.0.1'), { as: 'admin' })));
  expect(results.filter((r) => !r.errors)).toHaveLength(1);
  for (const refused of results.filter((r) => r.errors)) expect(expectError(refused, 'CONFLICT').message).toMatch(/already at 10\.77\.0\.1 port 22/);
});

test('an import finds the host at the address however the file spells it', async () => {
  await api.data(CreateHostDocument, host('host_db', 'fd00::15'), { as: 'admin' });
  const targets = ['FD00::15', 'fd00:0:0::15', '::ffff:10.1.11.81', '10.1.11.81'].map((address, i) => ({ name: i < 2 ? 'db-1' : 'web-1', host: address, service: `svc${i}.service`, ssh: { user: 'ops' } }));
  const { importConfig } = await api.data(ImportConfigDocument, { input: { config: { targets }, environment: 'PRODUCTION', region: 'eu-west' } }, { as: 'admin' });
  expect(importConfig.rejected).toEqual([]);
  expect(importConfig.hosts).toMatchObject({ created: 1, updated: 1 });
  expect(new Set(importConfig.hosts.ids)).toEqual(new Set(['host_db', 'host_10_1_11_81']));
  const { hosts } = await api.data(HostsDocument, {}, { as: 'viewer' });
  expect(hosts.edges.map((e) => e.node.ipAddress).sort()).toEqual(['10.1.11.81', 'fd00::15']);
});

test('the doctor lists hosts written before (as the seed tooling writes them) that share a machine or a spelling', async () => {
  // Written straight to the collection, as the seed's Python tooling does: none of the API's rules apply.
  const seedHost = (hostId: string, ip: string, port?: number) => ({ host_id: hostId, hostname: hostId.replace(/_/g, '-'), ip_address: ip, environment: 'production', region: 'eu', ssh_config: { user: 'ops', ...(port ? { port } : {}) }, status: 'active' });
  await HostModel.collection.insertMany([seedHost('host_x1', 'FD00::15'), seedHost('host_x2', 'fd00::15', 22), seedHost('host_y', 'fd00::15', 2222)] as never);
  const report = await runDoctor({ staleAfterIntervals: 3, historyRetentionDays: 30 }, { fix: false });
  const hostFindings = report.findings.filter((f) => f.collection === 'hosts' && f.field === 'ip_address').map((f) => [f.id, f.problem]);
  expect(hostFindings).toEqual(
    expect.arrayContaining([
      ['host_x1', expect.stringMatching(/canonical form is fd00::15/)],
      ['host_x1', expect.stringMatching(/same machine \(fd00::15 port 22\) as host 'host_x2'/)],
      ['host_x2', expect.stringMatching(/same machine \(fd00::15 port 22\) as host 'host_x1'/)],
    ]),
  );
  expect(hostFindings.filter(([id]) => id === 'host_y')).toEqual([]);
  // The API still refuses a third host there, though the hosts before it were never given the endpoint key.
  expectError(await api.request(CreateHostDocument, host('host_x3', 'fd00::15'), { as: 'admin' }), 'CONFLICT');
});
