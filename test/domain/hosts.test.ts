import { describe, expect, test } from 'vitest';
import { ConflictError } from '../../src/common/errors.js';
import { HostModel } from '../../src/modules/hosts/host.model.js';
import { useTestDatabase, expectDomainError } from '../helpers/database.js';
import { domain, expectInvalid, hostInput, serviceInput } from '../helpers/fixtures.js';

const database = useTestDatabase(import.meta.filename);
const { hosts, services } = domain();
const rawHost = (hostId = 'host_jeju_mysql_001') => database.db.collection('hosts').findOne({ host_id: hostId });
const rawService = (serviceId: string) => database.db.collection('services').findOne({ service_id: serviceId });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('create', () => {
  test('fills the defaults: active, never seen, empty location and metadata, SSH port 22 without sudo', async () => {
    const host = await hosts.create(hostInput());
    expect(host).toMatchObject({
      host_id: 'host_jeju_mysql_001',
      hostname: 'jeju-mysql',
      ip_address: '10.1.11.81',
      environment: 'production',
      region: 'asia-pacific',
      status: 'active',
      last_seen: null,
      location: { datacenter: null, rack: null, zone: null },
      ssh_config: { user: 'ubuntu', port: 22, key_path: null, use_sudo: false },
      metadata: { os: null, purpose: null, tags: [] },
    });
  });

  test('sets created_at and updated_at to the creation time', async () => {
    const before = Date.now();
    await hosts.create(hostInput());
    const stored = await rawHost();
    expect(stored!.created_at).toBeInstanceOf(Date);
    expect(stored!.updated_at).toBeInstanceOf(Date);
    expect(+stored!.created_at).toBeGreaterThanOrEqual(before - 1000);
    expect(+stored!.created_at).toBeLessThanOrEqual(Date.now() + 1000);
    expect(+stored!.updated_at).toBe(+stored!.created_at);
  });

  test('stores exactly the seed field names, snake_case, and no __v (and ssh_endpoint, the machine key of ours)', async () => {
    await hosts.create(hostInput());
    const stored = await rawHost();
    expect(stored!.ssh_endpoint).toBe('10.1.11.81 port 22');
    expect(Object.keys(stored!).sort()).toEqual(
      [
        '_id', 'host_id', 'hostname', 'ip_address', 'environment', 'region', 'location', 'ssh_config',
        'metadata', 'status', 'created_at', 'updated_at', 'last_seen', 'ssh_endpoint',
      ].sort(),
    );
    expect(Object.keys(stored!.location).sort()).toEqual(['datacenter', 'rack', 'zone']);
    expect(Object.keys(stored!.ssh_config).sort()).toEqual(['host_key_fingerprint', 'key_path', 'port', 'use_sudo', 'user']);
    expect(Object.keys(stored!.metadata).sort()).toEqual(['os', 'purpose', 'tags']);
    expect(stored).not.toHaveProperty('__v');
  });

  test('keeps every optional field given, as the seed example has them', async () => {
    await hosts.create(
      hostInput({
        location: { datacenter: 'Seoul-DC1', rack: 'A-12', zone: 'zone-1' },
        ssh_config: { user: 'ubuntu', port: 2222, key_path: '/home/ubuntu/.ssh/id_ed25519', use_sudo: true },
        metadata: { os: 'Ubuntu 22.04', purpose: 'Database Server', tags: ['mysql', 'critical', 'backup-enabled'] },
        status: 'maintenance',
      }),
    );
    expect(await rawHost()).toMatchObject({
      location: { datacenter: 'Seoul-DC1', rack: 'A-12', zone: 'zone-1' },
      ssh_config: { user: 'ubuntu', port: 2222, key_path: '/home/ubuntu/.ssh/id_ed25519', use_sudo: true },
      metadata: { os: 'Ubuntu 22.04', purpose: 'Database Server', tags: ['mysql', 'critical', 'backup-enabled'] },
      status: 'maintenance',
    });
  });

  test('a second host with the same host_id is a CONFLICT, not a raw E11000', async () => {
    await hosts.create(hostInput());
    const error = await expectDomainError(hosts.create(hostInput({ hostname: 'other' })), 'CONFLICT');
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).not.toMatch(/E11000/);
    expect(await database.db.collection('hosts').countDocuments()).toBe(1);
  });

  test('the CONFLICT message names the duplicated host_id', async () => {
    await hosts.create(hostInput());
    const error = await expectDomainError(hosts.create(hostInput()), 'CONFLICT');
    expect(error.message).toBe("host 'host_jeju_mysql_001' already exists");
  });

  test('refuses an unknown top-level field, naming it, and stores nothing', async () => {
    const error = await expectInvalid(hosts.create({ ...hostInput(), bogus: 1 } as never), 'bogus');
    expect(error.problems).toHaveLength(1);
    expect(await database.db.collection('hosts').countDocuments()).toBe(0);
  });

  test('refuses an unknown nested field (a typo such as ssh_config.prot) instead of dropping it', async () => {
    await expectInvalid(hosts.create(hostInput({ ssh_config: { user: 'ubuntu', prot: 2222 } as never })), 'ssh_config.prot');
    expect(await database.db.collection('hosts').countDocuments()).toBe(0);
  });
});

describe('validation on create', () => {
  let n = 0;
  const create = (overrides: Parameters<typeof hostInput>[0]) => hosts.create(hostInput({ host_id: `host_${++n}`, ...overrides }));

  test.each(['10.1.11.81', '0.0.0.0', '255.255.255.255', '::1', '2001:db8::1', 'fe80::1'])('accepts ip_address %s', async (ip) => {
    const host = await create({ ip_address: ip });
    expect(host.ip_address).toBe(ip);
  });

  test.each([
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['2001:DB8:0:0::1', '2001:db8::1'],
  ])('stores ip_address %s as %s', async (ip, canonical) => {
    const host = await create({ ip_address: ip });
    expect(host.ip_address).toBe(canonical);
    expect((await HostModel.collection.findOne({ host_id: host.host_id }))?.ip_address).toBe(canonical);
  });

  test.each(['10.1.11.256', 'abc', '10.1.11', '10.1.11.81.1', '2001:db8:::1', 'jeju-mysql', '10.1.11.81; reboot'])(
    'rejects ip_address %j',
    async (ip) => {
      const error = await expectInvalid(create({ ip_address: ip }), 'ip_address');
      expect(error.message).toContain('IPv4 or IPv6');
    },
  );

  test.each(['jeju-mysql', 'db01.example.com', 'a', 'x'.repeat(63)])('accepts hostname %s', async (hostname) => {
    expect((await create({ hostname })).hostname).toBe(hostname);
  });

  test.each(['-jeju', 'jeju-', 'under_score', 'has space', 'x'.repeat(64), 'a..b', 'x;reboot', '$(id)'])('rejects hostname %j', async (hostname) => {
    await expectInvalid(create({ hostname }), 'hostname');
  });

  test.each(['host_jeju_mysql_001', 'h', 'prod.db-01', 'x'.repeat(128)])('accepts host_id %s', async (host_id) => {
    expect((await hosts.create(hostInput({ host_id }))).host_id).toBe(host_id);
  });

  test.each(['_leading', '-rf', 'has space', '../etc', 'x'.repeat(129), 'a/b', 'a$b'])('rejects host_id %j', async (host_id) => {
    await expectInvalid(hosts.create(hostInput({ host_id })), 'host_id');
  });

  test('a missing required field is reported as required', async () => {
    const { hostname: _omit, ...input } = hostInput();
    const error = await expectInvalid(hosts.create(input as never), 'hostname');
    expect(error.problems.find((p) => p.field === 'hostname')!.message).toBe('is required');
  });

  test.each(['prod', 'Production', 'test', ''])('rejects environment %j', async (environment) => {
    await expectInvalid(create({ environment: environment as never }), 'environment');
  });

  test.each(['dev', 'staging', 'production'] as const)('accepts environment %s', async (environment) => {
    expect((await create({ environment })).environment).toBe(environment);
  });

  test.each(['asia-pacific', 'us-east-1', 'Seoul-DC1', 'Seoul DC1'])('accepts region %j', async (region) => {
    expect((await create({ region })).region).toBe(region);
  });

  test.each(['-west', 'x'.repeat(65), 'a;b', 'eu/west', ''])('rejects region %j', async (region) => {
    await expectInvalid(create({ region }), 'region');
  });

  test.each([1, 22, 65535])('accepts ssh_config.port %i', async (port) => {
    expect((await create({ ssh_config: { user: 'ubuntu', port } })).ssh_config!.port).toBe(port);
  });

  test.each([
    [0, 'must be at least 1, got 0'],
    [65536, 'must be at most 65535, got 65536'],
    [-1, 'must be at least 1, got -1'],
    [22.5, 'must be a TCP port: a whole number between 1 and 65535, got 22.5'],
  ])('rejects ssh_config.port %d, saying which rule it breaks', async (port, message) => {
    const error = await expectInvalid(create({ ssh_config: { user: 'ubuntu', port } }), 'ssh_config.port');
    expect(error.problems).toEqual([{ field: 'ssh_config.port', message }]);
  });

  test('a non-numeric ssh_config.port is reported under its full path', async () => {
    await expectInvalid(create({ ssh_config: { user: 'ubuntu', port: 'abc' as never } }), 'ssh_config.port');
  });

  test.each(['ubuntu', '_svc', 'deploy-user', 'svc_01'])('accepts ssh_config.user %s', async (user) => {
    expect((await create({ ssh_config: { user } })).ssh_config!.user).toBe(user);
  });

  test.each(['Root', '1abc', 'a b', '-x', '$(id)', 'x'.repeat(33)])('rejects ssh_config.user %j', async (user) => {
    await expectInvalid(create({ ssh_config: { user } }), 'ssh_config.user');
  });

  test('ssh_config may be left out (a host watched without SSH); given, it needs a user', async () => {
    expect((await create({ ssh_config: undefined })).ssh_config).toBeNull();
    await expectInvalid(create({ ssh_config: { port: 22 } as never }), 'ssh_config.user');
  });

  test('accepts an absolute ssh_config.key_path', async () => {
    const host = await create({ ssh_config: { user: 'ubuntu', key_path: '/home/ubuntu/.ssh/id_ed25519' } });
    expect(host.ssh_config!.key_path).toBe('/home/ubuntu/.ssh/id_ed25519');
  });

  test.each(['keys/id_rsa', '~/.ssh/id_rsa', '/home/../etc/shadow', '/home/ubuntu/..', '/a b', '/k;rm -rf /', '/'])(
    'rejects ssh_config.key_path %j',
    async (key_path) => {
      await expectInvalid(create({ ssh_config: { user: 'ubuntu', key_path } }), 'ssh_config.key_path');
    },
  );

  test('accepts tags such as team:db and backup-enabled', async () => {
    const host = await create({ metadata: { tags: ['team:db', 'backup-enabled', 'a/b'] } });
    expect(host.metadata.tags).toEqual(['team:db', 'backup-enabled', 'a/b']);
  });

  test.each([['ok', '-bad'], ['has space'], ['x'.repeat(65)], ['']])('rejects metadata.tags %j', async (...tags) => {
    await expectInvalid(create({ metadata: { tags } }), 'metadata.tags');
  });

  test.each(['retired', 'Active', 'down'])('rejects status %j', async (status) => {
    await expectInvalid(create({ status: status as never }), 'status');
  });

  test('rejects an over-long location.datacenter', async () => {
    await expectInvalid(create({ location: { datacenter: 'x'.repeat(129) } }), 'location.datacenter');
  });

  test('reports every bad field of one input together', async () => {
    const error = await expectInvalid(create({ ip_address: 'abc', ssh_config: { user: 'ubuntu', port: 0 }, status: 'gone' as never }), 'ip_address');
    expect(error.problems.map((p) => p.field).sort()).toEqual(['ip_address', 'ssh_config.port', 'status']);
    expect(await database.db.collection('hosts').countDocuments()).toBe(0);
  });
});

describe('update', () => {
  test('changing ssh_config.port only keeps user, use_sudo and key_path', async () => {
    await hosts.create(hostInput({ ssh_config: { user: 'deploy', port: 22, use_sudo: true, key_path: '/keys/jeju' } }));
    const updated = await hosts.update('host_jeju_mysql_001', { ssh_config: { port: 2222 } });
    expect(updated.ssh_config).toEqual({ user: 'deploy', port: 2222, use_sudo: true, key_path: '/keys/jeju', host_key_fingerprint: null });
    expect((await rawHost())!.ssh_config).toEqual({ user: 'deploy', port: 2222, use_sudo: true, key_path: '/keys/jeju', host_key_fingerprint: null });
  });

  test('changing metadata.tags only keeps os and purpose; other top-level fields stay', async () => {
    await hosts.create(hostInput({ metadata: { os: 'Ubuntu 22.04', purpose: 'Database Server', tags: ['mysql'] } }));
    await hosts.update('host_jeju_mysql_001', { metadata: { tags: ['mysql', 'critical'] } });
    expect(await rawHost()).toMatchObject({
      hostname: 'jeju-mysql',
      ip_address: '10.1.11.81',
      metadata: { os: 'Ubuntu 22.04', purpose: 'Database Server', tags: ['mysql', 'critical'] },
    });
  });

  test('null clears an optional nested field', async () => {
    await hosts.create(hostInput({ location: { datacenter: 'Seoul-DC1', rack: 'A-12' } }));
    await hosts.update('host_jeju_mysql_001', { location: { rack: null } });
    expect((await rawHost())!.location).toEqual({ datacenter: 'Seoul-DC1', rack: null, zone: null });
  });

  test('moves updated_at forward and leaves created_at alone', async () => {
    const created = await hosts.create(hostInput());
    await sleep(5);
    const updated = await hosts.update('host_jeju_mysql_001', { hostname: 'jeju-mysql-2' });
    expect(+updated.created_at).toBe(+created.created_at);
    expect(+updated.updated_at).toBeGreaterThan(+created.updated_at);
  });

  test("changing environment and region updates the copies on the host's services, and only those", async () => {
    await hosts.create(hostInput());
    await hosts.create(hostInput({ host_id: 'host_other', hostname: 'other' }));
    await services.create(serviceInput({ service_id: 'svc_a' }));
    await services.create(serviceInput({ service_id: 'svc_b', service_name: 'redis.service', service_type: 'redis' }));
    await services.create(serviceInput({ service_id: 'svc_other', host_id: 'host_other' }));

    await hosts.update('host_jeju_mysql_001', { environment: 'staging', region: 'eu-west' });

    expect(await rawHost()).toMatchObject({ environment: 'staging', region: 'eu-west' });
    for (const id of ['svc_a', 'svc_b']) expect(await rawService(id)).toMatchObject({ environment: 'staging', region: 'eu-west' });
    expect(await rawService('svc_other')).toMatchObject({ environment: 'production', region: 'asia-pacific' });
  });

  test("changing only the region updates the services' region", async () => {
    await hosts.create(hostInput());
    await services.create(serviceInput());
    await hosts.update('host_jeju_mysql_001', { region: 'us-east-1' });
    expect(await rawService('svc_jeju_mysql_001')).toMatchObject({ environment: 'production', region: 'us-east-1' });
  });

  test("an invalid update writes nothing: neither the host nor the services' copies", async () => {
    await hosts.create(hostInput());
    await services.create(serviceInput());
    const hostBefore = await rawHost();
    const serviceBefore = await rawService('svc_jeju_mysql_001');

    await expectInvalid(hosts.update('host_jeju_mysql_001', { environment: 'staging', region: 'eu-west', ip_address: '10.1.11.256' }), 'ip_address');

    expect(await rawHost()).toEqual(hostBefore);
    expect(await rawService('svc_jeju_mysql_001')).toEqual(serviceBefore);
  });

  test('an invalid environment is refused and leaves the services alone', async () => {
    await hosts.create(hostInput());
    await services.create(serviceInput());
    const serviceBefore = await rawService('svc_jeju_mysql_001');
    await expectInvalid(hosts.update('host_jeju_mysql_001', { environment: 'qa' as never }), 'environment');
    expect((await rawHost())!.environment).toBe('production');
    expect(await rawService('svc_jeju_mysql_001')).toEqual(serviceBefore);
  });

  test('host_id cannot be changed by update', async () => {
    await hosts.create(hostInput());
    await expectInvalid(hosts.update('host_jeju_mysql_001', { host_id: 'renamed' } as never), 'host_id');
    expect(await rawHost('host_jeju_mysql_001')).not.toBeNull();
    expect(await rawHost('renamed')).toBeNull();
  });

  test('an unknown field is refused with its name and nothing changes', async () => {
    await hosts.create(hostInput());
    const before = await rawHost();
    await expectInvalid(hosts.update('host_jeju_mysql_001', { hostname: 'changed', bogus: 1 } as never), 'bogus');
    expect(await rawHost()).toEqual(before);
  });

  test('validates nested fields on update (ssh_config.port 65536)', async () => {
    await hosts.create(hostInput());
    await expectInvalid(hosts.update('host_jeju_mysql_001', { ssh_config: { port: 65536 } }), 'ssh_config.port');
    expect((await rawHost())!.ssh_config.port).toBe(22);
  });

  test('ssh_config cannot be removed', async () => {
    await hosts.create(hostInput());
    await expectInvalid(hosts.update('host_jeju_mysql_001', { ssh_config: null } as never), 'ssh_config');
    expect((await rawHost())!.ssh_config.user).toBe('ubuntu');
  });

  test('updating an unknown host is NOT_FOUND', async () => {
    const error = await expectDomainError(hosts.update('nope', { hostname: 'x' }), 'NOT_FOUND');
    expect(error.message).toBe("host 'nope' does not exist");
  });
});

describe('reads', () => {
  const seed = async () => {
    await hosts.create(hostInput({ host_id: 'h_prod_ap', environment: 'production', region: 'asia-pacific', metadata: { tags: ['mysql', 'critical'] } }));
    await hosts.create(hostInput({ host_id: 'h_prod_us', environment: 'production', region: 'us-east-1', status: 'maintenance', metadata: { tags: ['nginx'] } }));
    await hosts.create(hostInput({ host_id: 'h_stg_ap', environment: 'staging', region: 'asia-pacific', metadata: { tags: ['mysql'] } }));
    await hosts.create(hostInput({ host_id: 'h_dev_us', environment: 'dev', region: 'us-east-1', status: 'decommissioned' }));
  };
  const ids = (list: { host_id: string }[]) => list.map((h) => h.host_id);

  test('get returns the host, or null when there is none', async () => {
    await seed();
    expect((await hosts.get('h_stg_ap'))?.environment).toBe('staging');
    expect(await hosts.get('missing')).toBeNull();
  });

  test('require returns the host, or throws NOT_FOUND naming it', async () => {
    await seed();
    expect((await hosts.require('h_dev_us')).status).toBe('decommissioned');
    const error = await expectDomainError(hosts.require('missing'), 'NOT_FOUND');
    expect(error.message).toContain("'missing'");
  });

  test('list without a filter returns every host sorted by host_id', async () => {
    await seed();
    expect(ids(await hosts.list())).toEqual(['h_dev_us', 'h_prod_ap', 'h_prod_us', 'h_stg_ap']);
  });

  test('list filters by environment, region, status and tag, and combinations of them', async () => {
    await seed();
    expect(ids(await hosts.list({ environment: 'production' }))).toEqual(['h_prod_ap', 'h_prod_us']);
    expect(ids(await hosts.list({ region: 'us-east-1' }))).toEqual(['h_dev_us', 'h_prod_us']);
    expect(ids(await hosts.list({ status: 'active' }))).toEqual(['h_prod_ap', 'h_stg_ap']);
    expect(ids(await hosts.list({ tag: 'mysql' }))).toEqual(['h_prod_ap', 'h_stg_ap']);
    expect(ids(await hosts.list({ environment: 'production', tag: 'mysql' }))).toEqual(['h_prod_ap']);
    expect(ids(await hosts.list({ region: 'asia-pacific', status: 'maintenance' }))).toEqual([]);
  });

  test('byEnvironment and byRegion', async () => {
    await seed();
    expect(ids(await hosts.byEnvironment('staging'))).toEqual(['h_stg_ap']);
    expect(ids(await hosts.byEnvironment('dev'))).toEqual(['h_dev_us']);
    expect(ids(await hosts.byRegion('asia-pacific'))).toEqual(['h_prod_ap', 'h_stg_ap']);
    expect(await hosts.byRegion('eu-west')).toEqual([]);
  });
});

describe('delete', () => {
  test("deletes the host and every one of its services, returning the services' ids", async () => {
    await hosts.create(hostInput());
    await hosts.create(hostInput({ host_id: 'host_other' }));
    await services.create(serviceInput({ service_id: 'svc_a' }));
    await services.create(serviceInput({ service_id: 'svc_b' }));
    await services.create(serviceInput({ service_id: 'svc_keep', host_id: 'host_other' }));

    const { deletedServiceIds } = await hosts.delete('host_jeju_mysql_001');

    expect(deletedServiceIds.sort()).toEqual(['svc_a', 'svc_b']);
    expect(await hosts.get('host_jeju_mysql_001')).toBeNull();
    expect((await services.list()).map((s) => s.service_id)).toEqual(['svc_keep']);
    expect(await hosts.get('host_other')).not.toBeNull();
  });

  test("removes the deleted services from other services' dependencies", async () => {
    await hosts.create(hostInput());
    await hosts.create(hostInput({ host_id: 'host_other' }));
    await services.create(serviceInput({ service_id: 'svc_redis' }));
    await services.create(serviceInput({ service_id: 'svc_cache', host_id: 'host_other' }));
    await services.create(serviceInput({ service_id: 'svc_app', host_id: 'host_other', dependencies: ['svc_redis', 'svc_cache'] }));

    await hosts.delete('host_jeju_mysql_001');

    expect((await rawService('svc_app'))!.dependencies).toEqual(['svc_cache']);
  });

  test('deleting a host without services works and returns no ids', async () => {
    await hosts.create(hostInput());
    expect(await hosts.delete('host_jeju_mysql_001')).toEqual({ deletedServiceIds: [] });
    expect(await rawHost()).toBeNull();
  });

  test('deleting an unknown host is NOT_FOUND', async () => {
    await expectDomainError(hosts.delete('missing'), 'NOT_FOUND');
  });
});

describe('markSeen', () => {
  const t = (iso: string) => new Date(iso);

  test('sets last_seen from null, moves it forward, and never moves it backwards', async () => {
    await hosts.create(hostInput());
    await hosts.markSeen('host_jeju_mysql_001', t('2026-03-01T12:00:00Z'));
    expect((await rawHost())!.last_seen).toEqual(t('2026-03-01T12:00:00Z'));
    await hosts.markSeen('host_jeju_mysql_001', t('2026-03-01T12:05:00Z'));
    expect((await rawHost())!.last_seen).toEqual(t('2026-03-01T12:05:00Z'));
    await hosts.markSeen('host_jeju_mysql_001', t('2026-03-01T11:00:00Z'));
    expect((await rawHost())!.last_seen).toEqual(t('2026-03-01T12:05:00Z'));
  });

  test('is not an edit: updated_at stays', async () => {
    await hosts.create(hostInput());
    const before = (await rawHost())!.updated_at;
    await sleep(5);
    await hosts.markSeen('host_jeju_mysql_001', new Date());
    expect((await rawHost())!.updated_at).toEqual(before);
  });

  test('only touches the named host', async () => {
    await hosts.create(hostInput());
    await hosts.create(hostInput({ host_id: 'host_other' }));
    await hosts.markSeen('host_other', t('2026-03-01T12:00:00Z'));
    expect((await rawHost())!.last_seen).toBeNull();
  });
});
