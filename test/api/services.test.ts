import { describe, expect, test } from 'vitest';
import {
  CreateHostDocument,
  CreateServiceDocument,
  DeleteServiceDocument,
  InventoryCreateServiceBriefDocument,
  InventoryServiceDependencyIdsDocument,
  InventoryServiceRelationsDocument,
  InventorySetDependenciesDocument,
  MuteServiceAlertsDocument,
  ServiceDocument,
  ServicesDocument,
  ServiceHistoryDocument,
  SetServiceMonitoringDocument,
  UpdateServiceDocument,
  type HostCreateInput,
  type ServiceCreateInput,
  type ServiceFilterInput,
  type ServicesQuery,
} from '../graphql/generated.js';
import { expectBadInput, expectError, useApiServer, type GraphQLResponse } from '../helpers/api.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import type { ServiceStatus } from '../../src/common/enums.js';

const api = useApiServer(import.meta.filename);

const STALE_AFTER_INTERVALS = 3; // TEST_SETTINGS of the harness

async function createHost(overrides: Partial<HostCreateInput> = {}) {
  const input: HostCreateInput = { hostId: 'host_a', hostname: 'host-a', ipAddress: '10.0.0.1', environment: 'STAGING', region: 'ap-south', sshConfig: { user: 'ubuntu' }, ...overrides };
  return (await api.data(CreateHostDocument, { input })).createHost;
}

function serviceInput(overrides: Partial<ServiceCreateInput> = {}): ServiceCreateInput {
  return { serviceId: 'svc_nginx', hostId: 'host_a', serviceName: 'nginx.service', serviceType: 'nginx', ...overrides };
}

async function createService(overrides: Partial<ServiceCreateInput> = {}) {
  return (await api.data(CreateServiceDocument, { input: serviceInput(overrides) })).createService;
}

/** Records checks through the domain layer (what the check engine will do), oldest first. */
async function record(serviceId: string, statuses: ServiceStatus[], lastAt = new Date()) {
  await api.domain.recorder.record(statuses.map((status, i) => ({ service_id: serviceId, status, timestamp: new Date(+lastAt - (statuses.length - 1 - i) * 60_000) })));
}

const near = (iso: string | null, expectedMs: number, toleranceMs = 10_000) => {
  expect(iso).not.toBeNull();
  expect(Math.abs(Date.parse(iso!) - expectedMs)).toBeLessThan(toleranceMs);
};

describe('createService', () => {
  test('copies environment and region from its host, with defaults for everything not given', async () => {
    await createHost();
    const before = Date.now();
    const created = await createService({ displayName: 'Web front', tags: ['web', 'team:edge'] });
    expect(created).toMatchObject({
      serviceId: 'svc_nginx',
      hostId: 'host_a',
      serviceName: 'nginx.service',
      serviceType: 'nginx',
      displayName: 'Web front',
      description: null,
      environment: 'STAGING',
      region: 'ap-south',
      tags: ['web', 'team:edge'],
      dependencyIds: [],
      currentStatus: 'UNKNOWN',
      lastCheck: null,
      lastStatusChange: null,
      uptimePercentage: null,
      consecutiveFailures: 0,
      monitoring: { method: 'SSH', enabled: true, intervalSec: 60, timeoutSec: 30, retryAttempts: 3, retryDelaySec: 5 },
      recovery: { recoverOnDown: false, recoverAction: 'RESTART', customScript: null, maxRecoveryAttempts: 3, recoveryCooldownSec: 300, notifyBeforeRecovery: true },
      alerting: { enabled: true, channels: ['EMAIL'], severity: 'MEDIUM', escalationPolicy: null, muteUntil: null },
      healthCheck: { enabled: false, endpoint: null, expectedResponse: null, customCheck: null },
    });
    // Enabled and never checked: stale after STALE_AFTER_INTERVALS of its interval from creation.
    near(created.staleAt, before + 60 * STALE_AFTER_INTERVALS * 1000);
    const { service } = await api.data(ServiceDocument, { serviceId: 'svc_nginx' }, { as: 'viewer' });
    expect(service).toMatchObject({ ...created, host: { hostId: 'host_a', hostname: 'host-a' }, dependencies: [] });
  });

  test('nested configuration given on create round-trips', async () => {
    await createHost();
    const created = await createService({
      monitoring: { method: 'HTTP', enabled: false, intervalSec: 120, timeoutSec: 10, retryAttempts: 1, retryDelaySec: 2, target: 'http://10.0.0.5:8080/health', expectedStatus: [200, 204], bodyContains: 'ok', jsonField: 'status.db', jsonValue: 'up', tlsExpiryWarningDays: 7 },
      recovery: { recoverOnDown: true, recoverAction: 'CUSTOM_SCRIPT', customScript: 'restart-nginx', maxRecoveryAttempts: 5, recoveryCooldownSec: 60, notifyBeforeRecovery: false },
      alerting: { channels: ['SLACK', 'PAGERDUTY'], severity: 'CRITICAL', escalationPolicy: 'web-oncall' },
      healthCheck: { enabled: true, endpoint: 'https://web.example.com/health', expectedResponse: 'ok' },
    });
    expect(created).toMatchObject({
      monitoring: { method: 'HTTP', enabled: false, intervalSec: 120, timeoutSec: 10, retryAttempts: 1, retryDelaySec: 2, target: 'http://10.0.0.5:8080/health', expectedStatus: [200, 204], bodyContains: 'ok', jsonField: 'status.db', jsonValue: 'up', tlsExpiryWarningDays: 7 },
      recovery: { recoverOnDown: true, recoverAction: 'CUSTOM_SCRIPT', customScript: 'restart-nginx', maxRecoveryAttempts: 5, recoveryCooldownSec: 60, notifyBeforeRecovery: false },
      alerting: { enabled: true, channels: ['SLACK', 'PAGERDUTY'], severity: 'CRITICAL', escalationPolicy: 'web-oncall', muteUntil: null },
      healthCheck: { enabled: true, endpoint: 'https://web.example.com/health', expectedResponse: 'ok', customCheck: null },
      staleAt: null, // monitoring disabled: never stale
    });
  });

  test('on a host that does not exist is BAD_USER_INPUT at hostId, and nothing is stored', async () => {
    const response = await api.request(CreateServiceDocument, { input: serviceInput({ hostId: 'host_ghost' }) });
    expect(response.data).toBeNull();
    const error = expectBadInput(response, 'hostId');
    expect(error.message).toContain('host_ghost');
    expect(await ServiceModel.countDocuments()).toBe(0);
  });

  test('a serviceName that could reach a shell is BAD_USER_INPUT at serviceName', async () => {
    await createHost();
    for (const serviceName of ['nginx; rm -rf /', '-nginx', 'nginx service', '$(reboot)', '`id`', 'a|b', 'x&&y', "nginx'"]) {
      const response = await api.request(CreateServiceDocument, { input: serviceInput({ serviceName }) });
      expect(response.data, serviceName).toBeNull();
      expectBadInput(response, 'serviceName');
    }
    expect(await ServiceModel.countDocuments()).toBe(0);
    // A real systemd unit name with its punctuation is fine.
    expect((await createService({ serviceName: 'getty@tty1.service' })).serviceName).toBe('getty@tty1.service');
  });

  test('a timeout longer than the interval is BAD_USER_INPUT at monitoring.timeoutSec', async () => {
    await createHost();
    const error = expectBadInput(await api.request(CreateServiceDocument, { input: serviceInput({ monitoring: { intervalSec: 10, timeoutSec: 20 } }) }), 'monitoring.timeoutSec');
    expect(error.message).toContain('monitoring.timeoutSec');
    expect(error.message).not.toMatch(/timeout_sec/);
    expect(await ServiceModel.countDocuments()).toBe(0);
  });

  test('out-of-range numbers are named by their nested API path', async () => {
    await createHost();
    const response = await api.request(CreateServiceDocument, {
      input: serviceInput({ monitoring: { intervalSec: 1, retryAttempts: 99 }, recovery: { recoveryCooldownSec: -1 }, healthCheck: { endpoint: 'file:///etc/passwd' } }),
    });
    expectBadInput(response, 'monitoring.intervalSec', 'monitoring.retryAttempts', 'recovery.recoveryCooldownSec', 'healthCheck.endpoint');
  });

  test('a duplicate serviceId is CONFLICT naming the id', async () => {
    await createHost();
    await createService();
    const response = await api.request(CreateServiceDocument, { input: serviceInput({ serviceName: 'other.service' }) });
    expect(response.data).toBeNull();
    expect(expectError(response, 'CONFLICT').message).toContain('svc_nginx');
    expect((await api.data(ServiceDocument, { serviceId: 'svc_nginx' })).service!.serviceName).toBe('nginx.service');
  });
});

describe('service relations', () => {
  const threeServices = async () => {
    await createHost();
    await createHost({ hostId: 'host_b', hostname: 'host-b', ipAddress: '10.0.0.2' });
    await api.data(InventoryCreateServiceBriefDocument, { input: serviceInput({ serviceId: 'svc_db', hostId: 'host_b', serviceName: 'mysql.service', serviceType: 'mysql' }) });
    await api.data(InventoryCreateServiceBriefDocument, { input: serviceInput({ serviceId: 'svc_cache', serviceName: 'redis.service', serviceType: 'redis' }) });
  };

  test('Service.host resolves to the host it runs on', async () => {
    await threeServices();
    const { service } = await api.data(InventoryServiceRelationsDocument, { serviceId: 'svc_db' }, { as: 'viewer' });
    expect(service!.host).toEqual({ hostId: 'host_b', hostname: 'host-b', environment: 'STAGING', region: 'ap-south' });
  });

  test('Service.dependencies resolves the services named by dependencyIds', async () => {
    await threeServices();
    await api.data(InventoryCreateServiceBriefDocument, { input: serviceInput({ dependencyIds: ['svc_db', 'svc_cache'] }) });
    const { service } = await api.data(InventoryServiceRelationsDocument, { serviceId: 'svc_nginx' }, { as: 'viewer' });
    expect([...service!.dependencies].sort((a, b) => a.serviceId.localeCompare(b.serviceId))).toEqual([
      { serviceId: 'svc_cache', serviceName: 'redis.service', host: { hostId: 'host_a' } },
      { serviceId: 'svc_db', serviceName: 'mysql.service', host: { hostId: 'host_b' } },
    ]);
  });

  // Regression: type-graphql pairs field resolvers with fields by property name, so a resolver method named
  // `dependencies` also answered `dependencyIds` (the stored `dependencies` property) with Service objects.
  test('Service.dependencyIds lists the ids the service depends on', async () => {
    await threeServices();
    await api.data(InventoryCreateServiceBriefDocument, { input: serviceInput({ dependencyIds: ['svc_db', 'svc_cache'] }) });
    const response = await api.request(InventoryServiceDependencyIdsDocument, { serviceId: 'svc_nginx' }, { as: 'viewer' });
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    expect(response.data?.service?.dependencyIds).toEqual(['svc_db', 'svc_cache']);
    // The same through the common fragment, as every client listing services would ask for it.
    const listed = await api.request(ServicesDocument, { filter: { serviceType: 'nginx' } }, { as: 'viewer' });
    expect(listed.errors, JSON.stringify(listed.errors)).toBeUndefined();
    expect(listed.data?.services.edges[0]?.node.dependencyIds).toEqual(['svc_db', 'svc_cache']);
  });

  test('unknown dependencyIds are BAD_USER_INPUT at dependencyIds, naming the unknown id', async () => {
    await threeServices();
    const response = await api.request(InventoryCreateServiceBriefDocument, { input: serviceInput({ dependencyIds: ['svc_db', 'svc_nope'] }) });
    expect(response.data).toBeNull();
    const error = expectBadInput(response, 'dependencyIds');
    expect(error.message).toContain('svc_nope');
    expect(error.message).not.toContain('svc_db,');
    expect(await ServiceModel.countDocuments({ service_id: 'svc_nginx' })).toBe(0);
  });

  test('a service cannot depend on itself or close a cycle', async () => {
    await threeServices();
    await api.data(InventorySetDependenciesDocument, { serviceId: 'svc_db', dependencyIds: ['svc_cache'] });
    expectBadInput(await api.request(InventorySetDependenciesDocument, { serviceId: 'svc_cache', dependencyIds: ['svc_cache'] }), 'dependencyIds');
    const cycle = expectBadInput(await api.request(InventorySetDependenciesDocument, { serviceId: 'svc_cache', dependencyIds: ['svc_db'] }), 'dependencyIds');
    expect(cycle.message).toMatch(/cycle/);
    const { service } = await api.data(InventoryServiceRelationsDocument, { serviceId: 'svc_cache' });
    expect(service!.dependencies).toEqual([]);
  });

  test('deleting a service drops it from the dependencies of others', async () => {
    await threeServices();
    await api.data(InventorySetDependenciesDocument, { serviceId: 'svc_db', dependencyIds: ['svc_cache'] });
    await api.data(DeleteServiceDocument, { serviceId: 'svc_cache' });
    const { service } = await api.data(InventoryServiceRelationsDocument, { serviceId: 'svc_db' });
    expect(service!.dependencies).toEqual([]);
    expect((await ServiceModel.findOne({ service_id: 'svc_db' }).lean())!.dependencies).toEqual([]);
  });
});

describe('services filters', () => {
  const now = Date.now();
  const hoursAgo = (h: number) => new Date(now - h * 3_600_000);

  /** Six services on three hosts, with statuses, failures, checks and tags of their own. */
  const fleet = async () => {
    await createHost({ hostId: 'host_prod_eu', ipAddress: '10.0.0.1', environment: 'PRODUCTION', region: 'eu-west' });
    await createHost({ hostId: 'host_prod_us', ipAddress: '10.0.0.2', environment: 'PRODUCTION', region: 'us-east' });
    await createHost({ hostId: 'host_dev_eu', ipAddress: '10.0.0.3', environment: 'DEV', region: 'eu-west' });
    const add = (serviceId: string, hostId: string, serviceType: string, extra: Partial<ServiceCreateInput> = {}) =>
      api.data(InventoryCreateServiceBriefDocument, { input: serviceInput({ serviceId, hostId, serviceType, serviceName: `${serviceType}.service`, ...extra }) });
    await add('svc_eu_mysql', 'host_prod_eu', 'mysql', { tags: ['db', 'critical'], displayName: 'Primary Database' });
    await add('svc_eu_nginx', 'host_prod_eu', 'nginx', { tags: ['web'] });
    await add('svc_us_nginx', 'host_prod_us', 'nginx', { tags: ['web', 'critical'] });
    await add('svc_us_redis', 'host_prod_us', 'redis', { monitoring: { enabled: false } });
    await add('svc_dev_mysql', 'host_dev_eu', 'mysql', { tags: ['db'] });
    await add('svc_dev_never', 'host_dev_eu', 'cron');

    await record('svc_eu_mysql', ['running'], hoursAgo(0.1));
    await record('svc_eu_nginx', ['running', 'stopped', 'stopped', 'error'], hoursAgo(0.2)); // 3 failures in a row
    await record('svc_us_nginx', ['stopped'], hoursAgo(5)); // 1 failure, checked long ago
    await record('svc_us_redis', ['warning'], hoursAgo(48));
    await record('svc_dev_mysql', ['error', 'error'], hoursAgo(1)); // 2 failures
    // svc_dev_never: never checked
  };

  async function ids(filter: ServiceFilterInput) {
    const { services } = await api.data(ServicesDocument, { filter }, { as: 'viewer' });
    expect(services.totalCount).toBe(services.edges.length);
    return services.edges.map((e) => e.node.serviceId);
  }

  test('the recorded states are what the filters below rely on', async () => {
    await fleet();
    const { services } = await api.data(ServicesDocument, {});
    const state = Object.fromEntries(services.edges.map(({ node }) => [node.serviceId, [node.currentStatus, node.consecutiveFailures, node.lastCheck !== null]]));
    expect(state).toEqual({
      svc_dev_mysql: ['ERROR', 2, true],
      svc_dev_never: ['UNKNOWN', 0, false],
      svc_eu_mysql: ['RUNNING', 0, true],
      svc_eu_nginx: ['ERROR', 3, true],
      svc_us_nginx: ['STOPPED', 1, true],
      svc_us_redis: ['WARNING', 0, true],
    });
  });

  test('hostId', async () => {
    await fleet();
    expect(await ids({ hostId: 'host_prod_us' })).toEqual(['svc_us_nginx', 'svc_us_redis']);
    expect(await ids({ hostId: 'host_nope' })).toEqual([]);
  });

  test('environment (copied from the host)', async () => {
    await fleet();
    expect(await ids({ environment: 'DEV' })).toEqual(['svc_dev_mysql', 'svc_dev_never']);
    expect(await ids({ environment: 'STAGING' })).toEqual([]);
  });

  test('region (copied from the host)', async () => {
    await fleet();
    expect(await ids({ region: 'eu-west' })).toEqual(['svc_dev_mysql', 'svc_dev_never', 'svc_eu_mysql', 'svc_eu_nginx']);
  });

  test('status', async () => {
    await fleet();
    expect(await ids({ status: 'ERROR' })).toEqual(['svc_dev_mysql', 'svc_eu_nginx']);
    expect(await ids({ status: 'STOPPED' })).toEqual(['svc_us_nginx']);
    expect(await ids({ status: 'UNKNOWN' })).toEqual(['svc_dev_never']);
    expect(await ids({ status: 'WARNING' })).toEqual(['svc_us_redis']);
  });

  test('serviceType', async () => {
    await fleet();
    expect(await ids({ serviceType: 'mysql' })).toEqual(['svc_dev_mysql', 'svc_eu_mysql']);
  });

  test('tag', async () => {
    await fleet();
    expect(await ids({ tag: 'critical' })).toEqual(['svc_eu_mysql', 'svc_us_nginx']);
    expect(await ids({ tag: 'crit' })).toEqual([]);
  });

  test('enabled true and false', async () => {
    await fleet();
    expect(await ids({ enabled: false })).toEqual(['svc_us_redis']);
    expect(await ids({ enabled: true })).toHaveLength(5);
    expect(await ids({ enabled: true })).not.toContain('svc_us_redis');
  });

  test('consecutiveFailuresAtLeast', async () => {
    await fleet();
    expect(await ids({ consecutiveFailuresAtLeast: 3 })).toEqual(['svc_eu_nginx']);
    expect(await ids({ consecutiveFailuresAtLeast: 2 })).toEqual(['svc_dev_mysql', 'svc_eu_nginx']);
    expect(await ids({ consecutiveFailuresAtLeast: 1 })).toEqual(['svc_dev_mysql', 'svc_eu_nginx', 'svc_us_nginx']);
    expect(await ids({ consecutiveFailuresAtLeast: 0 })).toHaveLength(6);
  });

  test('lastCheckBefore includes services never checked', async () => {
    await fleet();
    expect(await ids({ lastCheckBefore: hoursAgo(2).toISOString() })).toEqual(['svc_dev_never', 'svc_us_nginx', 'svc_us_redis']);
    expect(await ids({ lastCheckBefore: hoursAgo(24).toISOString() })).toEqual(['svc_dev_never', 'svc_us_redis']);
    expect(await ids({ lastCheckBefore: hoursAgo(100).toISOString() })).toEqual(['svc_dev_never']);
  });

  test('search in serviceId, serviceName and displayName, case-insensitively', async () => {
    await fleet();
    expect(await ids({ search: 'SVC_US' })).toEqual(['svc_us_nginx', 'svc_us_redis']); // serviceId
    expect(await ids({ search: 'REDIS.serv' })).toEqual(['svc_us_redis']); // serviceName
    expect(await ids({ search: 'primary data' })).toEqual(['svc_eu_mysql']); // displayName
    expect(await ids({ search: 'c.service' })).toEqual([]); // '.' is literal: no service name has "c.service"
    expect(await ids({ search: 'n.service' })).toEqual(['svc_dev_never']); // cron.service
  });

  test('combined filters must all hold', async () => {
    await fleet();
    expect(await ids({ environment: 'PRODUCTION', serviceType: 'nginx' })).toEqual(['svc_eu_nginx', 'svc_us_nginx']);
    expect(await ids({ environment: 'PRODUCTION', serviceType: 'nginx', tag: 'critical' })).toEqual(['svc_us_nginx']);
    expect(await ids({ region: 'eu-west', consecutiveFailuresAtLeast: 1, status: 'ERROR', enabled: true })).toEqual(['svc_dev_mysql', 'svc_eu_nginx']);
    // Both $or-based criteria together: each must hold.
    expect(await ids({ lastCheckBefore: hoursAgo(2).toISOString(), search: 'nginx' })).toEqual(['svc_us_nginx']);
    expect(await ids({ lastCheckBefore: hoursAgo(2).toISOString(), search: 'cron', hostId: 'host_dev_eu' })).toEqual(['svc_dev_never']);
    expect(await ids({ hostId: 'host_prod_eu', status: 'STOPPED' })).toEqual([]);
  });
});

describe('services pagination', () => {
  test('pages of 3 through 7 services visit each once, in serviceId order, with a stable totalCount', async () => {
    await createHost();
    for (const n of [4, 7, 1, 6, 2, 5, 3]) await api.data(InventoryCreateServiceBriefDocument, { input: serviceInput({ serviceId: `svc_${n}` }) });
    const pages: { ids: string[]; next: boolean; previous: boolean; total: number }[] = [];
    let after: string | null = null;
    do {
      const { services }: ServicesQuery = await api.data(ServicesDocument, { first: 3, after }, { as: 'viewer' });
      pages.push({ ids: services.edges.map((e) => e.node.serviceId), next: services.pageInfo.hasNextPage, previous: services.pageInfo.hasPreviousPage, total: services.totalCount });
      expect(services.pageInfo.endCursor).toBe(services.edges.at(-1)?.cursor ?? null);
      after = services.pageInfo.hasNextPage ? services.pageInfo.endCursor : null;
      expect(pages.length).toBeLessThan(5);
    } while (after);
    expect(pages).toEqual([
      { ids: ['svc_1', 'svc_2', 'svc_3'], next: true, previous: false, total: 7 },
      { ids: ['svc_4', 'svc_5', 'svc_6'], next: true, previous: true, total: 7 },
      { ids: ['svc_7'], next: false, previous: true, total: 7 },
    ]);
  });

  test('a cursor stays valid when the item it points at is deleted', async () => {
    await createHost();
    for (const n of [1, 2, 3, 4]) await api.data(InventoryCreateServiceBriefDocument, { input: serviceInput({ serviceId: `svc_${n}` }) });
    const first = (await api.data(ServicesDocument, { first: 2 })).services;
    await api.data(DeleteServiceDocument, { serviceId: 'svc_2' });
    const second = (await api.data(ServicesDocument, { first: 2, after: first.pageInfo.endCursor })).services;
    expect(second.edges.map((e) => e.node.serviceId)).toEqual(['svc_3', 'svc_4']);
    expect(second.totalCount).toBe(3);
  });

  test('first: 501 and a garbage cursor are BAD_USER_INPUT naming first and after', async () => {
    // A small selection, so the complexity limit (page size x fields) does not refuse it first.
    const response = await api.post({ query: '{ services(first: 501) { edges { node { serviceId } } } }' }, { authorization: `Bearer ${api.keys.viewer}` });
    expectBadInput((await response.json()) as GraphQLResponse<unknown>, 'first');
    expectBadInput(await api.request(ServicesDocument, { after: 'not-a-cursor' }), 'after');
  });
});

describe('updateService', () => {
  test('a nested field merges: only monitoring.intervalSec changes, and staleAt follows the new interval', async () => {
    await createHost();
    const created = await createService({
      displayName: 'Web',
      tags: ['web'],
      monitoring: { method: 'HTTP', intervalSec: 120, timeoutSec: 10, retryAttempts: 2, retryDelaySec: 1, target: 'http://10.0.0.5/' },
      alerting: { severity: 'HIGH', channels: ['SLACK'] },
    });
    const before = Date.now();
    const { updateService } = await api.data(UpdateServiceDocument, { serviceId: 'svc_nginx', input: { monitoring: { intervalSec: 300 } } });
    expect(updateService).toMatchObject({
      ...created,
      monitoring: { method: 'HTTP', enabled: true, intervalSec: 300, timeoutSec: 10, retryAttempts: 2, retryDelaySec: 1, target: 'http://10.0.0.5/', expectedStatus: [], bodyContains: null, jsonField: null, jsonValue: null, tlsExpiryWarningDays: 14 },
      staleAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    near(updateService.staleAt, before + 300 * STALE_AFTER_INTERVALS * 1000);
    expect((await api.data(ServiceDocument, { serviceId: 'svc_nginx' })).service!.monitoring.intervalSec).toBe(300);
  });

  test('top-level fields change alone; nulls clear nullable fields; tags are replaced', async () => {
    await createHost();
    await createService({ displayName: 'Web', description: 'front', tags: ['a', 'b'] });
    const { updateService } = await api.data(UpdateServiceDocument, { serviceId: 'svc_nginx', input: { displayName: null, tags: ['c'], serviceName: 'nginx@main.service' } });
    expect(updateService).toMatchObject({ displayName: null, description: 'front', tags: ['c'], serviceName: 'nginx@main.service', serviceType: 'nginx', hostId: 'host_a' });
  });

  test('a merged result that breaks a rule is refused (interval below the existing timeout)', async () => {
    await createHost();
    await createService({ monitoring: { intervalSec: 60, timeoutSec: 30 } });
    const response = await api.request(UpdateServiceDocument, { serviceId: 'svc_nginx', input: { monitoring: { intervalSec: 10 } } });
    expect(response.data).toBeNull();
    expectBadInput(response, 'monitoring.timeoutSec');
    expect((await api.data(ServiceDocument, { serviceId: 'svc_nginx' })).service!.monitoring).toMatchObject({ intervalSec: 60, timeoutSec: 30 });
  });

  test('a hostile serviceName on update is refused and the old name kept', async () => {
    await createHost();
    await createService();
    expectBadInput(await api.request(UpdateServiceDocument, { serviceId: 'svc_nginx', input: { serviceName: 'nginx; rm -rf /' } }), 'serviceName');
    expect((await api.data(ServiceDocument, { serviceId: 'svc_nginx' })).service!.serviceName).toBe('nginx.service');
  });
});

describe('setServiceMonitoring and muteServiceAlerts', () => {
  test('an operator turns monitoring off (staleAt null) and on again (staleAt from the last check)', async () => {
    await createHost();
    await createService({ monitoring: { intervalSec: 30, timeoutSec: 5 } });
    const checkedAt = new Date(Date.now() - 10_000);
    await record('svc_nginx', ['running'], checkedAt);

    const off = (await api.data(SetServiceMonitoringDocument, { serviceId: 'svc_nginx', enabled: false }, { as: 'operator' })).setServiceMonitoring;
    expect(off).toEqual({ serviceId: 'svc_nginx', monitoring: { enabled: false }, staleAt: null });
    expect((await api.data(ServicesDocument, { filter: { enabled: false } })).services.totalCount).toBe(1);

    const on = (await api.data(SetServiceMonitoringDocument, { serviceId: 'svc_nginx', enabled: true }, { as: 'operator' })).setServiceMonitoring;
    expect(on.monitoring.enabled).toBe(true);
    expect(Date.parse(on.staleAt!)).toBe(+checkedAt + 30 * STALE_AFTER_INTERVALS * 1000);
  });

  test('an operator mutes alerts until an instant, and unmutes with null', async () => {
    await createHost();
    await createService();
    const until = '2031-01-02T03:04:05.000Z';
    const muted = (await api.data(MuteServiceAlertsDocument, { serviceId: 'svc_nginx', until }, { as: 'operator' })).muteServiceAlerts;
    expect(muted).toEqual({ serviceId: 'svc_nginx', alerting: { muteUntil: until } });
    expect((await api.data(ServiceDocument, { serviceId: 'svc_nginx' }, { as: 'viewer' })).service!.alerting).toMatchObject({ muteUntil: until, enabled: true, severity: 'MEDIUM' });

    const unmuted = (await api.data(MuteServiceAlertsDocument, { serviceId: 'svc_nginx', until: null }, { as: 'operator' })).muteServiceAlerts;
    expect(unmuted.alerting.muteUntil).toBeNull();
    expect((await api.data(ServiceDocument, { serviceId: 'svc_nginx' })).service!.alerting.muteUntil).toBeNull();
  });

  // Regression: a variable that does not coerce used to be a 500 from the complexity plugin (see hosts.test.ts).
  test('a malformed until is HTTP 400 BAD_USER_INPUT, and nothing changes', async () => {
    await createHost();
    await createService();
    const response = await api.request(MuteServiceAlertsDocument, { serviceId: 'svc_nginx', until: 'next tuesday' }, { as: 'operator' });
    expect(response.errors?.[0]?.extensions?.code, JSON.stringify(response.errors)).toBe('BAD_USER_INPUT');
    expect(response.status).toBe(400);
    expect((await api.data(ServiceDocument, { serviceId: 'svc_nginx' })).service!.alerting.muteUntil).toBeNull();
  });
});

describe('service history (checks recorded through the domain layer)', () => {
  test('a check recorded with metrics is listed with them', async () => {
    await createHost();
    await createService();
    await api.domain.recorder.record([{ service_id: 'svc_nginx', status: 'running', timestamp: new Date(Date.now() - 1000), metrics: { cpu_usage: 12.5 } }]);
    const { serviceHistory } = await api.data(ServiceHistoryDocument, { serviceId: 'svc_nginx' }, { as: 'viewer' });
    expect(serviceHistory.edges.map((e) => [e.node.status, e.node.metrics.cpuUsage])).toEqual([['RUNNING', 12.5]]);
  });

  // Regression: the recorder's toObject() minimized `metrics: {}` away and the non-null MonitoringCheck.metrics
  // then failed the whole serviceHistory with INTERNAL_SERVER_ERROR.
  test('a check recorded without metrics is listed with empty metrics', async () => {
    await createHost();
    await createService();
    await record('svc_nginx', ['running', 'stopped']);
    const response = await api.request(ServiceHistoryDocument, { serviceId: 'svc_nginx' }, { as: 'viewer' });
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    expect(response.data?.serviceHistory.edges.map((e) => e.node.status)).toEqual(['STOPPED', 'RUNNING']);
    expect(response.data?.serviceHistory.edges[0]?.node.metrics).toEqual({ cpuUsage: null, memoryUsage: null, diskUsage: null, connections: null, uptimeSeconds: null, custom: null });
  });
});

describe('deleteService', () => {
  test('deletes the service: service() is null, the host lists it no more', async () => {
    await createHost();
    await createService();
    await createService({ serviceId: 'svc_other' });
    expect((await api.data(DeleteServiceDocument, { serviceId: 'svc_nginx' })).deleteService).toBe('svc_nginx');
    const response = await api.request(ServiceDocument, { serviceId: 'svc_nginx' });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ service: null });
    expect((await api.data(ServicesDocument, {})).services.edges.map((e) => e.node.serviceId)).toEqual(['svc_other']);
  });
});

describe('missing services are NOT_FOUND', () => {
  const missing: [string, () => Promise<GraphQLResponse<unknown>>][] = [
    ['updateService', () => api.request(UpdateServiceDocument, { serviceId: 'svc_ghost', input: { displayName: 'x' } })],
    ['deleteService', () => api.request(DeleteServiceDocument, { serviceId: 'svc_ghost' })],
    ['setServiceMonitoring', () => api.request(SetServiceMonitoringDocument, { serviceId: 'svc_ghost', enabled: false })],
    ['muteServiceAlerts', () => api.request(MuteServiceAlertsDocument, { serviceId: 'svc_ghost', until: null })],
  ];
  test.each(missing)('%s on a missing service is NOT_FOUND naming it, and creates nothing', async (_name, run) => {
    await createHost();
    const response = await run();
    expect(response.data).toBeNull();
    expect(expectError(response, 'NOT_FOUND').message).toContain('svc_ghost');
    expect(await ServiceModel.countDocuments()).toBe(0);
  });
});
