import { describe, expect, test } from 'vitest';
import {
  CreateHostDocument,
  CreateServiceDocument,
  DeleteHostDocument,
  HostDocument,
  HostsDocument,
  ServiceDocument,
  UpdateHostDocument,
  type HostCreateInput,
  type HostsQuery,
  type HostFilterInput,
} from '../graphql/generated.js';
import { expectBadInput, expectError, useApiServer, type GraphQLResponse } from '../helpers/api.js';
import { HostModel } from '../../src/modules/hosts/host.model.js';

const api = useApiServer(import.meta.filename);

function hostInput(overrides: Partial<HostCreateInput> = {}): HostCreateInput {
  return {
    hostId: 'host_web_001',
    hostname: 'web-001',
    ipAddress: '10.0.0.1',
    environment: 'PRODUCTION',
    region: 'eu-west',
    sshConfig: { user: 'ubuntu' },
    ...overrides,
  };
}

async function createHost(overrides: Partial<HostCreateInput> = {}) {
  return (await api.data(CreateHostDocument, { input: hostInput(overrides) })).createHost;
}

async function createService(serviceId: string, hostId: string) {
  return (await api.data(CreateServiceDocument, { input: { serviceId, hostId, serviceName: `${serviceId}.service`, serviceType: 'nginx' } })).createService;
}

async function hostIds(filter: HostFilterInput) {
  const { hosts } = await api.data(HostsDocument, { filter }, { as: 'viewer' });
  expect(hosts.totalCount).toBe(hosts.edges.length);
  return hosts.edges.map((e) => e.node.hostId);
}

describe('host query', () => {
  test('returns the host by hostId, with its services', async () => {
    await createHost();
    await createService('svc_b', 'host_web_001');
    await createService('svc_a', 'host_web_001');
    const { host } = await api.data(HostDocument, { hostId: 'host_web_001' }, { as: 'viewer' });
    expect(host).toMatchObject({ hostId: 'host_web_001', hostname: 'web-001', ipAddress: '10.0.0.1' });
    expect(host!.services.map((s) => s.serviceId)).toEqual(['svc_a', 'svc_b']);
    expect(host!.services.every((s) => s.currentStatus === 'UNKNOWN')).toBe(true);
  });

  test('returns null for an unknown hostId, without an error', async () => {
    await createHost();
    const response = await api.request(HostDocument, { hostId: 'host_nope' }, { as: 'viewer' });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ host: null });
  });
});

describe('hosts filters', () => {
  const fleet = async () => {
    await createHost({ hostId: 'h_prod_eu_db', hostname: 'DB-Primary', ipAddress: '10.1.0.1', environment: 'PRODUCTION', region: 'eu-west', metadata: { tags: ['db', 'critical'] } });
    await createHost({ hostId: 'h_prod_us_web', hostname: 'web-1', ipAddress: '10.2.0.1', environment: 'PRODUCTION', region: 'us-east', metadata: { tags: ['web'] } });
    await createHost({ hostId: 'h_stg_eu_web', hostname: 'web-2', ipAddress: '192.168.5.20', environment: 'STAGING', region: 'eu-west', status: 'MAINTENANCE', metadata: { tags: ['web'] } });
    await createHost({ hostId: 'h_dev_eu_old', hostname: 'legacy', ipAddress: 'fd00::1', environment: 'DEV', region: 'eu-west', status: 'DECOMMISSIONED' });
  };

  test('without a filter lists every host ordered by hostId', async () => {
    await fleet();
    expect(await hostIds({})).toEqual(['h_dev_eu_old', 'h_prod_eu_db', 'h_prod_us_web', 'h_stg_eu_web']);
  });

  test('environment keeps only hosts of that environment', async () => {
    await fleet();
    expect(await hostIds({ environment: 'PRODUCTION' })).toEqual(['h_prod_eu_db', 'h_prod_us_web']);
    expect(await hostIds({ environment: 'DEV' })).toEqual(['h_dev_eu_old']);
  });

  test('region keeps only hosts of that region', async () => {
    await fleet();
    expect(await hostIds({ region: 'us-east' })).toEqual(['h_prod_us_web']);
    expect(await hostIds({ region: 'nowhere' })).toEqual([]);
  });

  test('status keeps only hosts in that status', async () => {
    await fleet();
    expect(await hostIds({ status: 'ACTIVE' })).toEqual(['h_prod_eu_db', 'h_prod_us_web']);
    expect(await hostIds({ status: 'MAINTENANCE' })).toEqual(['h_stg_eu_web']);
    expect(await hostIds({ status: 'DECOMMISSIONED' })).toEqual(['h_dev_eu_old']);
  });

  test('tag keeps only hosts carrying that metadata tag', async () => {
    await fleet();
    expect(await hostIds({ tag: 'web' })).toEqual(['h_prod_us_web', 'h_stg_eu_web']);
    expect(await hostIds({ tag: 'critical' })).toEqual(['h_prod_eu_db']);
    expect(await hostIds({ tag: 'we' })).toEqual([]);
  });

  test('search matches hostname case-insensitively', async () => {
    await fleet();
    expect(await hostIds({ search: 'db-prim' })).toEqual(['h_prod_eu_db']);
    expect(await hostIds({ search: 'WEB-' })).toEqual(['h_prod_us_web', 'h_stg_eu_web']);
  });

  test('search matches hostId case-insensitively', async () => {
    await fleet();
    expect(await hostIds({ search: 'H_DEV' })).toEqual(['h_dev_eu_old']);
  });

  test('search matches part of the ipAddress, literally (a dot is not a wildcard)', async () => {
    await fleet();
    expect(await hostIds({ search: '192.168.' })).toEqual(['h_stg_eu_web']);
    expect(await hostIds({ search: 'FD00::' })).toEqual(['h_dev_eu_old']);
    expect(await hostIds({ search: '10.1' })).toEqual(['h_prod_eu_db']);
    expect(await hostIds({ search: '1.0.1' })).toEqual(['h_prod_eu_db']);
    expect(await hostIds({ search: '10x1' })).toEqual([]);
  });

  test('search text with regex metacharacters is matched literally, never an error', async () => {
    await fleet();
    for (const search of ['(', '[a-z]+', '.*', '\\', '$where']) expect(await hostIds({ search }), search).toEqual([]);
  });

  test('combined filters must all hold', async () => {
    await fleet();
    expect(await hostIds({ region: 'eu-west', tag: 'web' })).toEqual(['h_stg_eu_web']);
    expect(await hostIds({ environment: 'PRODUCTION', region: 'eu-west' })).toEqual(['h_prod_eu_db']);
    expect(await hostIds({ environment: 'PRODUCTION', search: 'web', status: 'ACTIVE' })).toEqual(['h_prod_us_web']);
    expect(await hostIds({ environment: 'STAGING', status: 'ACTIVE' })).toEqual([]);
  });
});

describe('hosts pagination', () => {
  const seven = async () => {
    // Created out of order: pages follow hostId order, not insertion order.
    for (const n of [5, 1, 7, 3, 2, 6, 4]) await createHost({ hostId: `host_${n}`, ipAddress: `10.0.0.${n}` });
  };

  test('pages of 3 through 7 hosts visit each host once, in order, with a stable totalCount', async () => {
    await seven();
    const seen: string[] = [];
    const pages: { ids: string[]; hasNextPage: boolean; hasPreviousPage: boolean; totalCount: number }[] = [];
    let after: string | null = null;
    do {
      const { hosts }: HostsQuery = await api.data(HostsDocument, { first: 3, after }, { as: 'viewer' });
      const ids = hosts.edges.map((e) => e.node.hostId);
      pages.push({ ids, hasNextPage: hosts.pageInfo.hasNextPage, hasPreviousPage: hosts.pageInfo.hasPreviousPage, totalCount: hosts.totalCount });
      expect(hosts.pageInfo.startCursor).toBe(hosts.edges[0]?.cursor ?? null);
      expect(hosts.pageInfo.endCursor).toBe(hosts.edges.at(-1)?.cursor ?? null);
      seen.push(...ids);
      after = hosts.pageInfo.hasNextPage ? hosts.pageInfo.endCursor : null;
      expect(pages.length).toBeLessThan(5);
    } while (after);

    expect(pages).toEqual([
      { ids: ['host_1', 'host_2', 'host_3'], hasNextPage: true, hasPreviousPage: false, totalCount: 7 },
      { ids: ['host_4', 'host_5', 'host_6'], hasNextPage: true, hasPreviousPage: true, totalCount: 7 },
      { ids: ['host_7'], hasNextPage: false, hasPreviousPage: true, totalCount: 7 },
    ]);
    expect(new Set(seen).size).toBe(7);
  });

  test('a page that ends exactly at the last host says there is no next page', async () => {
    await seven();
    const first = (await api.data(HostsDocument, { first: 4 })).hosts;
    const second = (await api.data(HostsDocument, { first: 3, after: first.pageInfo.endCursor })).hosts;
    expect(second.edges.map((e) => e.node.hostId)).toEqual(['host_5', 'host_6', 'host_7']);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  test('pagination respects the filter, and totalCount counts the filtered hosts', async () => {
    await seven();
    await createHost({ hostId: 'host_0_dev', ipAddress: '10.9.9.9', environment: 'DEV' });
    const first = (await api.data(HostsDocument, { filter: { environment: 'PRODUCTION' }, first: 5 })).hosts;
    expect(first.totalCount).toBe(7);
    expect(first.edges.map((e) => e.node.hostId)).toEqual(['host_1', 'host_2', 'host_3', 'host_4', 'host_5']);
    const second = (await api.data(HostsDocument, { filter: { environment: 'PRODUCTION' }, first: 5, after: first.pageInfo.endCursor })).hosts;
    expect(second.edges.map((e) => e.node.hostId)).toEqual(['host_6', 'host_7']);
    expect(second.totalCount).toBe(7);
  });

  test('without first, the page holds up to 50 hosts', async () => {
    await seven();
    const { hosts } = await api.data(HostsDocument, {});
    expect(hosts.edges).toHaveLength(7);
    expect(hosts.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });
  });

  test('first: 0 returns no edges but the full totalCount', async () => {
    await seven();
    const { hosts } = await api.data(HostsDocument, { first: 0 });
    expect(hosts.edges).toEqual([]);
    expect(hosts.totalCount).toBe(7);
    expect(hosts.pageInfo).toMatchObject({ startCursor: null, endCursor: null, hasPreviousPage: false });
  });

  test('first: 500 is allowed, first: 501 is BAD_USER_INPUT naming first', async () => {
    await createHost();
    expect((await api.data(HostsDocument, { first: 500 })).hosts.edges).toHaveLength(1);
    const response = await api.request(HostsDocument, { first: 501 });
    expect(response.data).toBeNull();
    expect(expectBadInput(response, 'first').message).toMatch(/first/);
  });

  test('a negative first is BAD_USER_INPUT naming first', async () => {
    expectBadInput(await api.request(HostsDocument, { first: -1 }), 'first');
  });

  test('a garbage after cursor is BAD_USER_INPUT naming after', async () => {
    await createHost();
    for (const after of ['garbage!!', 'bm90IGpzb24', Buffer.from('["a","b"]').toString('base64url'), Buffer.from('{"x":1}').toString('base64url')]) {
      const response = await api.request(HostsDocument, { first: 3, after });
      expect(response.data, after).toBeNull();
      expectBadInput(response, 'after');
    }
  });
});

describe('createHost', () => {
  test('every field given round-trips under its camelCase name', async () => {
    const input: HostCreateInput = {
      hostId: 'host_jeju_mysql_001',
      hostname: 'jeju-mysql.example.com',
      ipAddress: '10.1.11.81',
      environment: 'STAGING',
      region: 'asia-pacific',
      status: 'MAINTENANCE',
      location: { datacenter: 'Jeju-DC1', rack: 'R12', zone: 'A' },
      sshConfig: { user: 'monitor', port: 2222, useSudo: true, keyPath: '/etc/monitor/keys/id_ed25519' },
      metadata: { os: 'Ubuntu 22.04', purpose: 'primary database', tags: ['mysql', 'team:db'] },
    };
    const { createHost: created } = await api.data(CreateHostDocument, { input });
    const expected = {
      hostId: 'host_jeju_mysql_001',
      hostname: 'jeju-mysql.example.com',
      ipAddress: '10.1.11.81',
      environment: 'STAGING',
      region: 'asia-pacific',
      status: 'MAINTENANCE',
      location: { datacenter: 'Jeju-DC1', rack: 'R12', zone: 'A' },
      sshConfig: { user: 'monitor', port: 2222, useSudo: true },
      sshKeyConfigured: true,
      metadata: { os: 'Ubuntu 22.04', purpose: 'primary database', tags: ['mysql', 'team:db'] },
      lastSeen: null,
    };
    expect(created).toMatchObject(expected);
    expect(Date.parse(created.createdAt)).not.toBeNaN();
    expect(created.updatedAt).toBe(created.createdAt);
    const { host } = await api.data(HostDocument, { hostId: 'host_jeju_mysql_001' }, { as: 'viewer' });
    expect(host).toMatchObject({ ...expected, createdAt: created.createdAt, services: [] });
  });

  test('omitted optional fields get their defaults', async () => {
    const created = await createHost();
    expect(created).toMatchObject({
      status: 'ACTIVE',
      sshConfig: { user: 'ubuntu', port: 22, useSudo: false },
      sshKeyConfigured: false,
      location: { datacenter: null, rack: null, zone: null },
      metadata: { os: null, purpose: null, tags: [] },
      lastSeen: null,
    });
  });

  test('an IPv6 address is accepted', async () => {
    expect((await createHost({ ipAddress: '2001:db8::10' })).ipAddress).toBe('2001:db8::10');
  });

  test('a bad SSH port is BAD_USER_INPUT at sshConfig.port', async () => {
    for (const port of [0, 70000]) {
      const response = await api.request(CreateHostDocument, { input: hostInput({ sshConfig: { user: 'ubuntu', port } }) });
      expect(response.data).toBeNull();
      const error = expectBadInput(response, 'sshConfig.port');
      expect(error.message).toContain('sshConfig.port');
      expect(error.message).not.toContain('ssh_config');
    }
    expect(await HostModel.countDocuments()).toBe(0);
  });

  test('a bad IP address is BAD_USER_INPUT at ipAddress', async () => {
    for (const ipAddress of ['10.0.0.256', 'example.com', '10.0.0.1; rm -rf /']) {
      const error = expectBadInput(await api.request(CreateHostDocument, { input: hostInput({ ipAddress }) }), 'ipAddress');
      expect(error.extensions!.fields!.find((f) => f.path === 'ipAddress')!.message).toMatch(/IPv4 or IPv6/);
    }
  });

  test('every bad field is named at once, by its API path', async () => {
    const response = await api.request(CreateHostDocument, {
      input: hostInput({
        hostId: '-bad id',
        hostname: 'not a hostname',
        ipAddress: 'nope',
        region: '; drop',
        sshConfig: { user: 'Root User', port: 0, keyPath: 'relative/key' },
        metadata: { tags: ['ok', 'bad tag'] },
      }),
    });
    const error = expectBadInput(response, 'hostId', 'hostname', 'ipAddress', 'region', 'sshConfig.user', 'sshConfig.port', 'sshConfig.keyPath', 'metadata.tags');
    for (const field of error.extensions!.fields!) expect(field.path).not.toMatch(/_/);
    expect(await HostModel.countDocuments()).toBe(0);
  });

  // Regression: the complexity plugin coerces variables before execution; its uncoded error used to become a 500.
  test('a variable the schema cannot coerce (lower-case enum) is HTTP 400 BAD_USER_INPUT, and nothing is written', async () => {
    const response = await api.post(
      { query: 'mutation($input: HostCreateInput!) { createHost(input: $input) { hostId } }', variables: { input: { ...hostInput(), environment: 'production' } } },
      { authorization: `Bearer ${api.keys.admin}` },
    );
    const body = (await response.json()) as GraphQLResponse<unknown>;
    expect(body.errors?.[0]?.extensions?.code, JSON.stringify(body)).toBe('BAD_USER_INPUT');
    expect(body.errors?.[0]?.message).toContain('EnvironmentName');
    expect(response.status).toBe(400);
    expect(await HostModel.countDocuments()).toBe(0);
  });

  test('a duplicate hostId is CONFLICT naming the id, and the first host is unchanged', async () => {
    await createHost({ hostname: 'first' });
    const response = await api.request(CreateHostDocument, { input: hostInput({ hostname: 'second', ipAddress: '10.0.0.2' }) });
    expect(response.data).toBeNull();
    const error = expectError(response, 'CONFLICT');
    expect(error.message).toContain('host_web_001');
    expect(error.message).not.toMatch(/E11000|dup key/);
    expect((await api.data(HostDocument, { hostId: 'host_web_001' })).host!.hostname).toBe('first');
  });
});

describe('createHost under concurrency', () => {
  test('five simultaneous creates of one hostId: one wins, the others are CONFLICT', async () => {
    const responses = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => api.request(CreateHostDocument, { input: hostInput({ hostname: `racer-${n}` }) })),
    );
    expect(responses.filter((r) => r.data?.createHost).length).toBe(1);
    const refused = responses.filter((r) => !r.data);
    expect(refused).toHaveLength(4);
    for (const response of refused) expect(expectError(response, 'CONFLICT').message).toContain('host_web_001');
    expect(await HostModel.countDocuments()).toBe(1);
  });
});

describe('sshConfig.keyPath is write-only', () => {
  test('the schema has no keyPath on SshConfig: asking for it fails validation', async () => {
    await createHost({ sshConfig: { user: 'ubuntu', keyPath: '/etc/monitor/id_rsa' } });
    const response = await api.post(
      { query: '{ host(hostId: "host_web_001") { sshConfig { user keyPath } } }' },
      { authorization: `Bearer ${api.keys.admin}` },
    );
    const body = (await response.json()) as GraphQLResponse<unknown>;
    expect(body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.data).toBeUndefined();
    expect(JSON.stringify(body)).not.toContain('/etc/monitor/id_rsa');
  });

  test('sshKeyConfigured is true when a key path was given, and no response contains the path', async () => {
    await createHost({ sshConfig: { user: 'ubuntu', keyPath: '/etc/monitor/id_rsa' } });
    const response = await api.post(
      { query: '{ hosts { edges { node { hostId sshKeyConfigured sshConfig { user port useSudo } } } } host(hostId: "host_web_001") { sshKeyConfigured } }' },
      { authorization: `Bearer ${api.keys.admin}` },
    );
    const text = await response.text();
    expect(text).not.toContain('id_rsa');
    expect(JSON.parse(text)).toEqual({
      data: { hosts: { edges: [{ node: { hostId: 'host_web_001', sshKeyConfigured: true, sshConfig: { user: 'ubuntu', port: 22, useSudo: false } } }] }, host: { sshKeyConfigured: true } },
    });
    // It is stored, though: the monitor needs it.
    expect((await HostModel.findOne({ host_id: 'host_web_001' }).lean())!.ssh_config!.key_path).toBe('/etc/monitor/id_rsa');
  });

  test('updating keyPath to null clears it and sshKeyConfigured turns false', async () => {
    await createHost({ sshConfig: { user: 'ubuntu', keyPath: '/etc/monitor/id_rsa' } });
    const { updateHost } = await api.data(UpdateHostDocument, { hostId: 'host_web_001', input: { sshConfig: { keyPath: null } } });
    expect(updateHost).toMatchObject({ sshKeyConfigured: false, sshConfig: { user: 'ubuntu', port: 22 } });
  });
});

describe('updateHost', () => {
  test('changes only the fields given: a new SSH port keeps user, sudo, key and everything else', async () => {
    const created = await createHost({
      sshConfig: { user: 'deploy', port: 22, useSudo: true, keyPath: '/keys/id' },
      location: { datacenter: 'DC1', rack: 'R1' },
      metadata: { os: 'Debian', tags: ['a'] },
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const { updateHost } = await api.data(UpdateHostDocument, { hostId: 'host_web_001', input: { sshConfig: { port: 2222 } } });
    expect(updateHost).toMatchObject({
      hostname: 'web-001',
      ipAddress: '10.0.0.1',
      environment: 'PRODUCTION',
      region: 'eu-west',
      sshConfig: { user: 'deploy', port: 2222, useSudo: true, hostKeyFingerprint: null },
      sshKeyConfigured: true,
      location: { datacenter: 'DC1', rack: 'R1', zone: null },
      metadata: { os: 'Debian', purpose: null, tags: ['a'] },
      createdAt: created.createdAt,
    });
    expect(Date.parse(updateHost.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
    const { host } = await api.data(HostDocument, { hostId: 'host_web_001' });
    expect(host!.sshConfig).toEqual({ user: 'deploy', port: 2222, useSudo: true, hostKeyFingerprint: null });
  });

  test('nested objects merge: a new rack keeps the datacenter', async () => {
    await createHost({ location: { datacenter: 'DC1', rack: 'R1', zone: 'Z' } });
    const { updateHost } = await api.data(UpdateHostDocument, { hostId: 'host_web_001', input: { location: { rack: 'R2' } } });
    expect(updateHost.location).toEqual({ datacenter: 'DC1', rack: 'R2', zone: 'Z' });
  });

  test('a new environment and region are copied to every service of the host, and only of that host', async () => {
    await createHost();
    await createHost({ hostId: 'host_other', ipAddress: '10.0.0.2' });
    await createService('svc_1', 'host_web_001');
    await createService('svc_2', 'host_web_001');
    await createService('svc_other', 'host_other');
    const { updateHost } = await api.data(UpdateHostDocument, { hostId: 'host_web_001', input: { environment: 'STAGING', region: 'ap-south' } });
    expect(updateHost).toMatchObject({ environment: 'STAGING', region: 'ap-south' });
    expect(updateHost.services).toEqual([
      { serviceId: 'svc_1', environment: 'STAGING', region: 'ap-south' },
      { serviceId: 'svc_2', environment: 'STAGING', region: 'ap-south' },
    ]);
    expect((await api.data(ServiceDocument, { serviceId: 'svc_other' })).service).toMatchObject({ environment: 'PRODUCTION', region: 'eu-west' });
  });

  test('invalid changes are BAD_USER_INPUT by API path, and nothing changes (services included)', async () => {
    await createHost();
    await createService('svc_1', 'host_web_001');
    const response = await api.request(UpdateHostDocument, { hostId: 'host_web_001', input: { region: 'ap-south', sshConfig: { port: 99999 }, ipAddress: '300.1.1.1' } });
    expect(response.data).toBeNull();
    expectBadInput(response, 'sshConfig.port', 'ipAddress');
    const { host } = await api.data(HostDocument, { hostId: 'host_web_001' });
    expect(host).toMatchObject({ region: 'eu-west', ipAddress: '10.0.0.1', sshConfig: { port: 22 } });
    expect((await api.data(ServiceDocument, { serviceId: 'svc_1' })).service!.region).toBe('eu-west');
  });

  test('on a missing host is NOT_FOUND naming the host, and creates nothing', async () => {
    const response = await api.request(UpdateHostDocument, { hostId: 'host_ghost', input: { hostname: 'ghost' } });
    expect(response.data).toBeNull();
    expect(expectError(response, 'NOT_FOUND').message).toContain('host_ghost');
    expect(await HostModel.countDocuments()).toBe(0);
  });
});

describe('deleteHost', () => {
  test('deletes the host and its services, and drops them from other services’ dependencies', async () => {
    await createHost();
    await createHost({ hostId: 'host_keep', ipAddress: '10.0.0.2' });
    await createService('svc_a', 'host_web_001');
    await createService('svc_b', 'host_web_001');
    await createService('svc_keep', 'host_keep');
    await api.domain.services.update('svc_keep', { dependencies: ['svc_a', 'svc_b'] });

    const { deleteHost } = await api.data(DeleteHostDocument, { hostId: 'host_web_001' });
    expect(deleteHost.hostId).toBe('host_web_001');
    expect([...deleteHost.deletedServiceIds].sort()).toEqual(['svc_a', 'svc_b']);

    expect((await api.data(HostDocument, { hostId: 'host_web_001' })).host).toBeNull();
    expect((await api.data(ServiceDocument, { serviceId: 'svc_a' })).service).toBeNull();
    expect((await api.data(ServiceDocument, { serviceId: 'svc_b' })).service).toBeNull();
    const { service: kept } = await api.data(ServiceDocument, { serviceId: 'svc_keep' });
    expect(kept).toMatchObject({ dependencyIds: [], dependencies: [] });
    expect((await api.data(HostsDocument, {})).hosts.edges.map((e) => e.node.hostId)).toEqual(['host_keep']);
  });

  test('a host without services returns an empty deletedServiceIds', async () => {
    await createHost();
    expect((await api.data(DeleteHostDocument, { hostId: 'host_web_001' })).deleteHost).toEqual({ hostId: 'host_web_001', deletedServiceIds: [] });
  });

  test('on a missing host is NOT_FOUND naming the host', async () => {
    await createHost();
    const response = await api.request(DeleteHostDocument, { hostId: 'host_ghost' });
    expect(response.data).toBeNull();
    expect(expectError(response, 'NOT_FOUND').message).toContain('host_ghost');
    expect(await HostModel.countDocuments()).toBe(1);
  });

  test('deleting twice: the second is NOT_FOUND', async () => {
    await createHost();
    await api.data(DeleteHostDocument, { hostId: 'host_web_001' });
    expectError(await api.request(DeleteHostDocument, { hostId: 'host_web_001' }), 'NOT_FOUND');
  });
});
