import { beforeEach, describe, expect, test } from 'vitest';
import { ConflictError } from '../../src/common/errors.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import type { ServiceInput } from '../../src/modules/services/service.input.js';
import { expectDomainError, useTestDatabase } from '../helpers/database.js';
import { domain, expectInvalid, hostInput, plusSeconds, serviceInput } from '../helpers/fixtures.js';

const database = useTestDatabase(import.meta.filename);
const { hosts, services } = domain();
const rawService = (serviceId = 'svc_jeju_mysql_001') => database.db.collection('services').findOne({ service_id: serviceId });
const count = () => database.db.collection('services').countDocuments();
const ids = (list: { service_id: string }[]) => list.map((s) => s.service_id);

beforeEach(async () => {
  await hosts.create(hostInput());
  await hosts.create(hostInput({ host_id: 'host_other', hostname: 'other', environment: 'staging', region: 'eu-west' }));
});

describe('create', () => {
  test("copies environment and region from the host", async () => {
    const a = await services.create(serviceInput());
    const b = await services.create(serviceInput({ service_id: 'svc_b', host_id: 'host_other' }));
    expect(a).toMatchObject({ environment: 'production', region: 'asia-pacific' });
    expect(b).toMatchObject({ environment: 'staging', region: 'eu-west' });
    expect(await rawService('svc_b')).toMatchObject({ environment: 'staging', region: 'eu-west' });
  });

  test('environment and region cannot be given: they come from the host', async () => {
    await expectInvalid(services.create({ ...serviceInput(), environment: 'dev' } as never), 'environment');
    await expectInvalid(services.create({ ...serviceInput(), region: 'x' } as never), 'region');
    expect(await count()).toBe(0);
  });

  test('on a host that does not exist is BAD_USER_INPUT on host_id, and stores nothing', async () => {
    const error = await expectInvalid(services.create(serviceInput({ host_id: 'host_missing' })), 'host_id');
    expect(error.message).toContain('host_missing');
    expect(await count()).toBe(0);
  });

  test('fills the seed defaults for monitoring, recovery, alerting, health check and status', async () => {
    await services.create(serviceInput());
    expect(await rawService()).toMatchObject({
      display_name: null,
      description: null,
      monitoring: { method: 'ssh', enabled: true, interval_sec: 60, timeout_sec: 30, retry_attempts: 3, retry_delay_sec: 5 },
      recovery: {
        recover_on_down: false,
        recover_action: 'restart',
        custom_script: null,
        max_recovery_attempts: 3,
        recovery_cooldown_sec: 300,
        notify_before_recovery: true,
      },
      alerting: { enabled: true, channels: ['email'], severity: 'medium', escalation_policy: null, mute_until: null },
      health_check: { enabled: false, endpoint: null, expected_response: null, custom_check: null },
      current_status: 'unknown',
      consecutive_failures: 0,
      last_check: null,
      last_status_change: null,
      uptime_percentage: null,
      tags: [],
      dependencies: [],
    });
  });

  test('stores the seed field names (plus the scheduler and staleness fields), snake_case, and no __v', async () => {
    await services.create(serviceInput());
    const stored = await rawService();
    expect(Object.keys(stored!).sort()).toEqual(
      [
        '_id', 'service_id', 'host_id', 'service_name', 'service_type', 'display_name', 'description', 'monitoring',
        'recovery', 'alerting', 'health_check', 'current_status', 'last_check', 'last_status_change',
        'uptime_percentage', 'consecutive_failures', 'environment', 'region', 'tags', 'dependencies', 'stale_at',
        'next_check_at', 'lease_owner', 'lease_until', 'recovery_attempts', 'recovery_gave_up_at', 'recovery_approval',
        'created_at', 'updated_at',
      ].sort(),
    );
    expect(stored).not.toHaveProperty('__v');
    expect(stored!.created_at).toBeInstanceOf(Date);
  });

  test('nested input merges with the defaults', async () => {
    await services.create(serviceInput({ monitoring: { interval_sec: 45 }, alerting: { severity: 'high' } }));
    expect(await rawService()).toMatchObject({
      monitoring: { method: 'ssh', enabled: true, interval_sec: 45, timeout_sec: 30, retry_attempts: 3 },
      alerting: { enabled: true, channels: ['email'], severity: 'high' },
    });
  });

  test('stale_at is creation time plus 3 of its intervals when monitoring is enabled', async () => {
    const now = new Date('2026-03-01T12:00:00Z');
    await services.create(serviceInput(), now);
    await services.create(serviceInput({ service_id: 'svc_slow', monitoring: { interval_sec: 120 } }), now);
    expect((await rawService())!.stale_at).toEqual(plusSeconds(now, 180));
    expect((await rawService('svc_slow'))!.stale_at).toEqual(plusSeconds(now, 360));
  });

  test('stale_at is null when monitoring is disabled', async () => {
    await services.create(serviceInput({ monitoring: { enabled: false } }));
    expect((await rawService())!.stale_at).toBeNull();
  });

  test('a second service with the same service_id is a CONFLICT, not a raw E11000', async () => {
    await services.create(serviceInput());
    const error = await expectDomainError(services.create(serviceInput({ host_id: 'host_other' })), 'CONFLICT');
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).not.toMatch(/E11000/);
    expect(await count()).toBe(1);
  });

  test('the CONFLICT message names the duplicated service_id', async () => {
    await services.create(serviceInput());
    const error = await expectDomainError(services.create(serviceInput()), 'CONFLICT');
    expect(error.message).toBe("service 'svc_jeju_mysql_001' already exists");
  });

  test('refuses an unknown field, naming it', async () => {
    await expectInvalid(services.create({ ...serviceInput(), bogus: 1 } as never), 'bogus');
    expect(await count()).toBe(0);
  });
});

describe('service_name (reaches systemctl over SSH)', () => {
  let n = 0;
  const create = (service_name: string) => services.create(serviceInput({ service_id: `svc_${++n}`, service_name }));

  test.each(['mysql.service', 'postgresql@14-main.service', 'getty@tty1.service', 'nginx', 'sys-fs-fuse-connections.mount', 'x'.repeat(255)])(
    'accepts %s',
    async (name) => {
      expect((await create(name)).service_name).toBe(name);
    },
  );

  test.each([
    'nginx; rm -rf /',
    '$(reboot)',
    'a b',
    '`id`',
    'x|y',
    'x&y',
    "it's",
    '-rf',
    '../etc/passwd',
    'foo\\bar',
    'mysql.service\n',
    'x>y',
    '',
    'x'.repeat(256),
  ])('rejects %j', async (name) => {
    await expectInvalid(create(name), 'service_name');
  });

  test('nothing hostile is ever stored', async () => {
    await create('nginx; rm -rf /').catch(() => {});
    expect(await count()).toBe(0);
  });
});

describe('other field rules', () => {
  let n = 0;
  const create = (overrides: Partial<ServiceInput>) => services.create(serviceInput({ service_id: `svc_${++n}`, ...overrides }));

  test.each(['my sql', '-x', ''])('rejects service_type %j', async (service_type) => {
    await expectInvalid(create({ service_type }), 'service_type');
  });

  test.each(['service id', '-x', 'x'.repeat(129)])('rejects service_id %j', async (service_id) => {
    await expectInvalid(services.create(serviceInput({ service_id })), 'service_id');
  });

  test('rejects a bad tag', async () => {
    await expectInvalid(create({ tags: ['database', 'bad tag'] }), 'tags');
  });

  test('rejects an over-long display_name', async () => {
    await expectInvalid(create({ display_name: 'x'.repeat(257) }), 'display_name');
  });
});

describe('monitoring rules', () => {
  let n = 0;
  const create = (monitoring: ServiceInput['monitoring']) => services.create(serviceInput({ service_id: `svc_${++n}`, monitoring }));

  test.each([
    { interval_sec: 5, timeout_sec: 5 },
    { interval_sec: 86_400 },
    { interval_sec: 600, timeout_sec: 1 },
    { interval_sec: 600, timeout_sec: 600 },
    { retry_attempts: 0, retry_delay_sec: 0 },
    { retry_attempts: 10, retry_delay_sec: 600 },
    { method: 'http' as const, target: 'http://10.1.11.81:8080/health' },
    { method: 'tcp' as const, target: 'tcp://10.1.11.81:3306' },
    { method: 'database' as const, target: 'postgresql://monitor@10.1.11.81:5432/app' },
  ])('accepts %j', async (monitoring) => {
    expect((await create(monitoring)).monitoring).toMatchObject(monitoring);
  });

  test.each([
    ['monitoring.interval_sec', { interval_sec: 4, timeout_sec: 1 }],
    ['monitoring.interval_sec', { interval_sec: 86_401 }],
    ['monitoring.interval_sec', { interval_sec: 0 }],
    ['monitoring.interval_sec', { interval_sec: 60.5 }],
    ['monitoring.timeout_sec', { timeout_sec: 0 }],
    ['monitoring.timeout_sec', { interval_sec: 3600, timeout_sec: 601 }],
    ['monitoring.retry_attempts', { retry_attempts: -1 }],
    ['monitoring.retry_attempts', { retry_attempts: 11 }],
    ['monitoring.retry_delay_sec', { retry_delay_sec: -1 }],
    ['monitoring.retry_delay_sec', { retry_delay_sec: 601 }],
    ['monitoring.method', { method: 'icmp' }],
  ] as const)('rejects %s in %j', async (field, monitoring) => {
    await expectInvalid(create(monitoring as never), field);
  });

  test('timeout_sec greater than interval_sec is refused, naming monitoring.timeout_sec', async () => {
    const error = await expectInvalid(create({ interval_sec: 30, timeout_sec: 31 }), 'monitoring.timeout_sec');
    // No other field is named in the message: callers spell fields their own way (API, config.json).
    expect(error.problems).toEqual([{ field: 'monitoring.timeout_sec', message: 'must not exceed the check interval (30 seconds), got 31' }]);
  });

  test('an interval out of range is one problem: the timeout rule holds off until the interval is valid', async () => {
    const error = await expectInvalid(create({ interval_sec: -5 }), 'monitoring.interval_sec');
    expect(error.problems).toEqual([{ field: 'monitoring.interval_sec', message: 'must be at least 5, got -5' }]);
  });

  test('an interval of 10 s given without a timeout: the default 30 s timeout is kept within it', async () => {
    expect((await create({ interval_sec: 10 })).monitoring).toMatchObject({ interval_sec: 10, timeout_sec: 10 });
  });

  test('a non-numeric interval_sec is reported under its full path', async () => {
    await expectInvalid(create({ interval_sec: 'often' as never }), 'monitoring.interval_sec');
  });
});

describe('recovery rules', () => {
  let n = 0;
  const create = (recovery: ServiceInput['recovery']) => services.create(serviceInput({ service_id: `svc_${++n}`, recovery }));

  test('recover_action custom_script needs a custom_script', async () => {
    await expectInvalid(create({ recover_action: 'custom_script' }), 'recovery.custom_script');
  });

  test('recover_action custom_script with an allow-listed name is accepted', async () => {
    const service = await create({ recover_on_down: true, recover_action: 'custom_script', custom_script: 'restart-mysql.sh' });
    expect(service.recovery).toMatchObject({ recover_action: 'custom_script', custom_script: 'restart-mysql.sh' });
  });

  test.each(['rm -rf /', '/usr/local/bin/fix.sh', '../fix.sh', '$(reboot)', 'fix.sh;reboot', '-x'])('rejects custom_script %j', async (custom_script) => {
    await expectInvalid(create({ recover_action: 'custom_script', custom_script }), 'recovery.custom_script');
  });

  test.each([
    ['recovery.recover_action', { recover_action: 'kill' }],
    ['recovery.max_recovery_attempts', { max_recovery_attempts: 101 }],
    ['recovery.max_recovery_attempts', { max_recovery_attempts: -1 }],
    ['recovery.recovery_cooldown_sec', { recovery_cooldown_sec: -1 }],
    ['recovery.recovery_cooldown_sec', { recovery_cooldown_sec: 604_801 }],
  ] as const)('rejects %s in %j', async (field, recovery) => {
    await expectInvalid(create(recovery as never), field);
  });
});

describe('health check and alerting rules', () => {
  let n = 0;
  const create = (overrides: Partial<ServiceInput>) => services.create(serviceInput({ service_id: `svc_${++n}`, ...overrides }));

  test.each(['http://10.1.11.81:8080/health', 'https://jeju-mysql.example.com/status?full=1'])('accepts health_check.endpoint %s', async (endpoint) => {
    expect((await create({ health_check: { enabled: true, endpoint } })).health_check.endpoint).toBe(endpoint);
  });

  test.each(['ftp://example.com/health', 'javascript:alert(1)', 'file:///etc/passwd', 'localhost:8080/health', 'not a url'])(
    'rejects health_check.endpoint %j',
    async (endpoint) => {
      await expectInvalid(create({ health_check: { enabled: true, endpoint } }), 'health_check.endpoint');
    },
  );

  test('health_check.custom_check must be an allow-list name', async () => {
    await expectInvalid(create({ health_check: { custom_check: 'curl x | sh' } }), 'health_check.custom_check');
    expect((await create({ health_check: { custom_check: 'mysql-replication' } })).health_check.custom_check).toBe('mysql-replication');
  });

  test('accepts every alert channel of the seed', async () => {
    const service = await create({ alerting: { channels: ['slack', 'email', 'pagerduty', 'webhook'] } });
    expect(service.alerting.channels).toEqual(['slack', 'email', 'pagerduty', 'webhook']);
  });

  test.each([[['sms']], [['email', 'carrier-pigeon']]])('rejects alerting.channels %j', async (channels) => {
    await expectInvalid(create({ alerting: { channels: channels as never } }), 'alerting.channels');
  });

  test.each(['urgent', 'HIGH', ''])('rejects alerting.severity %j', async (severity) => {
    await expectInvalid(create({ alerting: { severity: severity as never } }), 'alerting.severity');
  });

  test.each(['low', 'medium', 'high', 'critical'] as const)('accepts alerting.severity %s', async (severity) => {
    expect((await create({ alerting: { severity } })).alerting.severity).toBe(severity);
  });

  test('rejects a bad escalation_policy', async () => {
    await expectInvalid(create({ alerting: { escalation_policy: '$(id)' } }), 'alerting.escalation_policy');
  });
});

describe('dependencies', () => {
  const create = (service_id: string, dependencies: string[] = []) => services.create(serviceInput({ service_id, dependencies }));

  test('may name existing services', async () => {
    await create('svc_redis');
    await create('svc_cache');
    const app = await create('svc_app', ['svc_redis', 'svc_cache']);
    expect(app.dependencies).toEqual(['svc_redis', 'svc_cache']);
  });

  test('an unknown service is refused, naming it', async () => {
    await create('svc_redis');
    const error = await expectInvalid(create('svc_app', ['svc_redis', 'svc_ghost']), 'dependencies');
    const problem = error.problems.find((p) => p.field === 'dependencies')!;
    expect(problem.message).toContain('svc_ghost');
    expect(problem.message).not.toContain('svc_redis');
    expect(await rawService('svc_app')).toBeNull();
  });

  test('a service cannot depend on itself, on create or update', async () => {
    await expectInvalid(create('svc_a', ['svc_a']), 'dependencies');
    await create('svc_a');
    await expectInvalid(services.update('svc_a', { dependencies: ['svc_a'] }), 'dependencies');
    expect((await rawService('svc_a'))!.dependencies).toEqual([]);
  });

  test('a cycle a -> b -> a is refused with the path in the message, and nothing changes', async () => {
    await create('svc_a');
    await create('svc_b', ['svc_a']);
    const error = await expectInvalid(services.update('svc_a', { dependencies: ['svc_b'] }), 'dependencies');
    expect(error.message).toContain('svc_a -> svc_b -> svc_a');
    expect((await rawService('svc_a'))!.dependencies).toEqual([]);
  });

  test('a longer cycle is reported along its path', async () => {
    await create('svc_a');
    await create('svc_b', ['svc_a']);
    await create('svc_c', ['svc_b']);
    const error = await expectInvalid(services.update('svc_a', { dependencies: ['svc_c'] }), 'dependencies');
    expect(error.message).toContain('svc_a -> svc_c -> svc_b -> svc_a');
  });

  test('a diamond (shared dependency, no cycle) is accepted', async () => {
    await create('svc_d');
    await create('svc_b', ['svc_d']);
    await create('svc_c', ['svc_d']);
    await create('svc_a');
    const updated = await services.update('svc_a', { dependencies: ['svc_b', 'svc_c'] });
    expect(updated.dependencies).toEqual(['svc_b', 'svc_c']);
  });
});

describe('update', () => {
  test('changing monitoring.interval_sec keeps the other monitoring fields and recomputes stale_at', async () => {
    const created = new Date('2026-03-01T12:00:00Z');
    await services.create(serviceInput({ monitoring: { method: 'tcp', target: 'tcp://10.1.11.81:3306', timeout_sec: 20, retry_attempts: 5 } }), created);
    const now = new Date('2026-03-01T12:10:00Z');
    const updated = await services.update('svc_jeju_mysql_001', { monitoring: { interval_sec: 120 } }, now);
    expect(updated.monitoring).toMatchObject({ method: 'tcp', enabled: true, interval_sec: 120, timeout_sec: 20, retry_attempts: 5, retry_delay_sec: 5, target: 'tcp://10.1.11.81:3306' });
    expect((await rawService())!.stale_at).toEqual(plusSeconds(now, 360));
  });

  test('a new interval counts from the last check when there has been one', async () => {
    await services.create(serviceInput());
    const lastCheck = new Date('2026-03-01T12:00:00Z');
    await ServiceModel.updateOne({ service_id: 'svc_jeju_mysql_001' }, { $set: { last_check: lastCheck } });
    await services.update('svc_jeju_mysql_001', { monitoring: { interval_sec: 300 } }, new Date('2026-03-01T12:02:00Z'));
    expect((await rawService())!.stale_at).toEqual(plusSeconds(lastCheck, 900));
  });

  test('an update not touching the schedule leaves stale_at alone', async () => {
    const created = new Date('2026-03-01T12:00:00Z');
    await services.create(serviceInput(), created);
    await services.update('svc_jeju_mysql_001', { display_name: 'MySQL', alerting: { severity: 'high' } }, new Date('2026-03-02T00:00:00Z'));
    expect(await rawService()).toMatchObject({ display_name: 'MySQL', alerting: { severity: 'high', channels: ['email'] }, stale_at: plusSeconds(created, 180) });
  });

  test('an invalid update (timeout above the interval) writes nothing', async () => {
    await services.create(serviceInput());
    const before = await rawService();
    await expectInvalid(services.update('svc_jeju_mysql_001', { display_name: 'changed', monitoring: { interval_sec: 20 } }), 'monitoring.timeout_sec');
    expect(await rawService()).toEqual(before);
  });

  test('service_id and host_id cannot be changed', async () => {
    await services.create(serviceInput());
    await expectInvalid(services.update('svc_jeju_mysql_001', { host_id: 'host_other' } as never), 'host_id');
    await expectInvalid(services.update('svc_jeju_mysql_001', { service_id: 'svc_new' } as never), 'service_id');
    expect(await rawService()).toMatchObject({ host_id: 'host_jeju_mysql_001' });
  });

  test('removing the whole monitoring block is refused as bad input', async () => {
    await services.create(serviceInput());
    await expectInvalid(services.update('svc_jeju_mysql_001', { monitoring: null } as never), 'monitoring');
    expect((await rawService())!.monitoring.interval_sec).toBe(60);
  });

  test('updating an unknown service is NOT_FOUND', async () => {
    await expectDomainError(services.update('svc_missing', { display_name: 'x' }), 'NOT_FOUND');
  });
});

describe('setMonitoringEnabled', () => {
  test('disabling clears stale_at; enabling sets it again from now', async () => {
    await services.create(serviceInput());
    const disabled = await services.setMonitoringEnabled('svc_jeju_mysql_001', false);
    expect(disabled.monitoring.enabled).toBe(false);
    expect((await rawService())!.stale_at).toBeNull();

    const now = new Date('2026-03-01T12:00:00Z');
    await services.setMonitoringEnabled('svc_jeju_mysql_001', true, now);
    expect(await rawService()).toMatchObject({ monitoring: { enabled: true }, stale_at: plusSeconds(now, 180) });
  });

  test('unknown service is NOT_FOUND', async () => {
    await expectDomainError(services.setMonitoringEnabled('svc_missing', false), 'NOT_FOUND');
  });
});

describe('muteAlerts', () => {
  test('sets alerting.mute_until and null clears it, keeping the rest of alerting', async () => {
    await services.create(serviceInput({ alerting: { severity: 'critical', channels: ['slack'] } }));
    const until = new Date('2026-03-01T18:00:00Z');
    await services.muteAlerts('svc_jeju_mysql_001', until);
    expect((await rawService())!.alerting).toEqual({
      enabled: true,
      channels: ['slack'],
      severity: 'critical',
      escalation_policy: null,
      mute_until: until,
      failure_threshold: null,
      success_threshold: null,
    });
    await services.muteAlerts('svc_jeju_mysql_001', null);
    expect((await rawService())!.alerting.mute_until).toBeNull();
  });

  test('unknown service is NOT_FOUND', async () => {
    await expectDomainError(services.muteAlerts('svc_missing', new Date()), 'NOT_FOUND');
  });
});

describe('delete', () => {
  test("removes the service and drops it from others' dependencies", async () => {
    await services.create(serviceInput({ service_id: 'svc_redis' }));
    await services.create(serviceInput({ service_id: 'svc_cache' }));
    await services.create(serviceInput({ service_id: 'svc_app', dependencies: ['svc_redis', 'svc_cache'] }));
    await services.delete('svc_redis');
    expect(await rawService('svc_redis')).toBeNull();
    expect((await rawService('svc_app'))!.dependencies).toEqual(['svc_cache']);
  });

  test('deleting an unknown service is NOT_FOUND', async () => {
    const error = await expectDomainError(services.delete('svc_missing'), 'NOT_FOUND');
    expect(error.message).toContain('svc_missing');
  });
});

describe('reads', () => {
  beforeEach(async () => {
    await services.create(serviceInput({ service_id: 's_mysql', tags: ['database', 'critical'] }));
    await services.create(serviceInput({ service_id: 's_redis', service_name: 'redis.service', service_type: 'redis', tags: ['cache'] }));
    await services.create(serviceInput({ service_id: 's_nginx', host_id: 'host_other', service_name: 'nginx.service', service_type: 'nginx', monitoring: { enabled: false } }));
    await services.create(serviceInput({ service_id: 's_mysql_stg', host_id: 'host_other', tags: ['database'] }));
    await ServiceModel.updateOne({ service_id: 's_mysql' }, { $set: { current_status: 'running' } });
    await ServiceModel.updateOne({ service_id: 's_redis' }, { $set: { current_status: 'stopped', consecutive_failures: 4 } });
    await ServiceModel.updateOne({ service_id: 's_mysql_stg' }, { $set: { current_status: 'error', consecutive_failures: 1 } });
  });

  test('get, and require with NOT_FOUND', async () => {
    expect((await services.get('s_redis'))?.service_type).toBe('redis');
    expect(await services.get('nope')).toBeNull();
    expect((await services.require('s_nginx')).host_id).toBe('host_other');
    await expectDomainError(services.require('nope'), 'NOT_FOUND');
  });

  test('list without a filter returns all, sorted by service_id', async () => {
    expect(ids(await services.list())).toEqual(['s_mysql', 's_mysql_stg', 's_nginx', 's_redis']);
  });

  test('list filters by host, type, environment, region, status, enabled, tag and failure count', async () => {
    expect(ids(await services.list({ host_id: 'host_other' }))).toEqual(['s_mysql_stg', 's_nginx']);
    expect(ids(await services.list({ service_type: 'mysql' }))).toEqual(['s_mysql', 's_mysql_stg']);
    expect(ids(await services.list({ environment: 'staging' }))).toEqual(['s_mysql_stg', 's_nginx']);
    expect(ids(await services.list({ region: 'asia-pacific' }))).toEqual(['s_mysql', 's_redis']);
    expect(ids(await services.list({ status: 'unknown' }))).toEqual(['s_nginx']);
    expect(ids(await services.list({ enabled: false }))).toEqual(['s_nginx']);
    expect(ids(await services.list({ enabled: true }))).toEqual(['s_mysql', 's_mysql_stg', 's_redis']);
    expect(ids(await services.list({ tag: 'database' }))).toEqual(['s_mysql', 's_mysql_stg']);
    expect(ids(await services.list({ consecutive_failures_at_least: 1 }))).toEqual(['s_mysql_stg', 's_redis']);
    expect(ids(await services.list({ consecutive_failures_at_least: 4 }))).toEqual(['s_redis']);
    expect(ids(await services.list({ consecutive_failures_at_least: 5 }))).toEqual([]);
  });

  test('filters combine', async () => {
    expect(ids(await services.list({ service_type: 'mysql', environment: 'production' }))).toEqual(['s_mysql']);
    expect(ids(await services.list({ host_id: 'host_other', enabled: true }))).toEqual(['s_mysql_stg']);
  });

  test('byHost, byType, byEnvironment, byStatus and enabled', async () => {
    expect(ids(await services.byHost('host_jeju_mysql_001'))).toEqual(['s_mysql', 's_redis']);
    expect(ids(await services.byType('nginx'))).toEqual(['s_nginx']);
    expect(ids(await services.byEnvironment('production'))).toEqual(['s_mysql', 's_redis']);
    expect(ids(await services.byStatus('stopped'))).toEqual(['s_redis']);
    expect(ids(await services.byStatus('warning'))).toEqual([]);
    expect(ids(await services.enabled())).toEqual(['s_mysql', 's_mysql_stg', 's_redis']);
  });
});

describe('racing requests (no transactions): the invariants hold whichever write lands first', () => {
  const settled = (...work: Promise<unknown>[]) => Promise.allSettled(work);
  const codeOf = (outcome: PromiseSettledResult<unknown>) => (outcome.status === 'fulfilled' ? 'ok' : (outcome.reason as { code?: string }).code ?? String(outcome.reason));

  test('a service created while its host is deleted is never left without its host', async () => {
    for (let round = 0; round < 40; round++) {
      await hosts.create(hostInput({ host_id: 'host_race', hostname: `race-${round}` }));
      const [created] = await settled(services.create(serviceInput({ service_id: `svc_race_${round}`, host_id: 'host_race' })), hosts.delete('host_race'));
      expect(['ok', 'BAD_USER_INPUT']).toContain(codeOf(created!));
      expect(await database.db.collection('services').countDocuments({ host_id: 'host_race' })).toBe(0);
    }
  });

  test('a service created while its host moves ends with the host’s environment and region', async () => {
    for (let round = 0; round < 15; round++) {
      const moved = round % 2 ? { environment: 'production' as const, region: 'asia-pacific' } : { environment: 'staging' as const, region: 'eu-west' };
      await settled(services.create(serviceInput({ service_id: `svc_move_${round}`, host_id: 'host_other' })), hosts.update('host_other', moved));
      const host = await database.db.collection('hosts').findOne({ host_id: 'host_other' });
      expect(await rawService(`svc_move_${round}`)).toMatchObject({ environment: host!.environment, region: host!.region });
    }
  });

  test('an update of a service being deleted answers NOT_FOUND, never an internal error', async () => {
    for (let round = 0; round < 15; round++) {
      await services.create(serviceInput({ service_id: 'svc_gone' }));
      const [updated] = await settled(services.update('svc_gone', { display_name: `n${round}` }), services.delete('svc_gone'));
      expect(['ok', 'NOT_FOUND']).toContain(codeOf(updated!));
      expect(await rawService('svc_gone')).toBeNull();
    }
  });
});
