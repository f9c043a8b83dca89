/**
 * The dashboard queries over the API on a known fleet whose state comes from
 * recorded checks: dashboardSummary counts, servicesNeedingAttention (down,
 * failing three times in a row, stale), and servicesByStatus.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import type { ServiceStatus } from '../../src/common/enums.js';
import {
  DashboardPageDocument,
  DashboardSummaryDocument,
  HostDocument,
  ServicesByStatusDocument,
  ServicesNeedingAttentionDocument,
  SetServiceMonitoringDocument,
} from '../graphql/generated.js';
import { useApiServer } from '../helpers/api.js';
import { addressFor } from '../helpers/fixtures.js';

const api = useApiServer(import.meta.filename);

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * Three hosts (two active) and nine services, all on the default 60 s interval (stale after 3 min):
 *   svc_db1     host_a production eu-west-1 mysql  stopped ×3             -> down, 3 failures
 *   svc_db2     host_a production eu-west-1 mysql  error ×2               -> down, 2 failures
 *   svc_fresh   host_a production eu-west-1 nginx  running                -> fine
 *   svc_stale   host_a production eu-west-1 nginx  running 10 min ago     -> stale
 *   svc_web1    host_b staging    eu-west-1 nginx  stopped ×3 then running -> fine (failures reset)
 *   svc_web2    host_b staging    eu-west-1 nginx  warning                -> fine
 *   svc_cache   host_c dev        us-east-1 redis  unknown ×3             -> 3 failures
 *   svc_never   host_c dev        us-east-1 redis  never checked, created 1 h ago -> stale
 *   svc_off     host_c dev        us-east-1 redis  monitoring off, created 1 h ago -> not stale
 * Recent checks are under two minutes old, so only svc_stale and svc_never are stale.
 */
async function seedFleet(): Promise<void> {
  const now = Date.now();
  const ago = (ms: number) => new Date(now - ms);
  const host = (host_id: string, environment: 'production' | 'staging' | 'dev', region: string, status: 'active' | 'maintenance' = 'active') =>
    api.domain.hosts.create({ host_id, hostname: host_id.replace(/_/g, '-'), ip_address: addressFor(host_id), environment, region, status, ssh_config: { user: 'monitor' } });
  await host('host_a', 'production', 'eu-west-1');
  await host('host_b', 'staging', 'eu-west-1', 'maintenance');
  await host('host_c', 'dev', 'us-east-1');

  const service = (service_id: string, host_id: string, service_type: string, enabled = true) =>
    api.domain.services.create(
      { service_id, host_id, service_type, service_name: `${service_id.replace('svc_', '')}.service`, monitoring: { enabled, interval_sec: 60 } },
      ago(HOUR),
    );
  await Promise.all([
    service('svc_db1', 'host_a', 'mysql'),
    service('svc_db2', 'host_a', 'mysql'),
    service('svc_fresh', 'host_a', 'nginx'),
    service('svc_stale', 'host_a', 'nginx'),
    service('svc_web1', 'host_b', 'nginx'),
    service('svc_web2', 'host_b', 'nginx'),
    service('svc_cache', 'host_c', 'redis'),
    service('svc_never', 'host_c', 'redis'),
    service('svc_off', 'host_c', 'redis', false),
  ]);

  const checks = (serviceId: string, statuses: ServiceStatus[], newestAgoMs = 20 * SECOND) =>
    statuses.map((status, i) => ({ service_id: serviceId, status, timestamp: ago(newestAgoMs + (statuses.length - 1 - i) * 20 * SECOND) }));
  await api.domain.recorder.record([
    ...checks('svc_db1', ['stopped', 'stopped', 'stopped']),
    ...checks('svc_db2', ['error', 'error']),
    ...checks('svc_fresh', ['running']),
    ...checks('svc_stale', ['running', 'running'], 10 * MINUTE),
    ...checks('svc_web1', ['stopped', 'stopped', 'stopped', 'running']),
    ...checks('svc_web2', ['warning']),
    ...checks('svc_cache', ['unknown', 'unknown', 'unknown']),
  ]);
}

const sortByKey = <T extends { key?: string | null }>(list: readonly T[]) => [...list].sort((a, b) => String(a.key).localeCompare(String(b.key)));

describe('dashboard', () => {
  test('on an empty database everything is zero and every list empty', async () => {
    const { dashboardSummary } = await api.data(DashboardSummaryDocument, {}, { as: 'viewer' });
    expect(dashboardSummary).toEqual({
      totalHosts: 0,
      activeHosts: 0,
      totalServices: 0,
      runningServices: 0,
      stoppedServices: 0,
      errorServices: 0,
      unknownServices: 0,
      warningServices: 0,
      byEnvironment: [],
      byRegion: [],
      byServiceType: [],
    });
    expect((await api.data(ServicesNeedingAttentionDocument, {})).servicesNeedingAttention).toEqual({ downServices: [], highFailureRate: [], staleChecks: [] });
    expect((await api.data(ServicesByStatusDocument, {})).servicesByStatus).toEqual([]);
  });

  describe('on a known fleet', () => {
    beforeEach(seedFleet);

    test('dashboardSummary counts hosts, services per status, and services per environment, region and type', async () => {
      const { dashboardSummary } = await api.data(DashboardSummaryDocument, {}, { as: 'viewer' });
      expect(dashboardSummary).toMatchObject({
        totalHosts: 3,
        activeHosts: 2,
        totalServices: 9,
        runningServices: 3,
        stoppedServices: 1,
        errorServices: 1,
        unknownServices: 3,
        warningServices: 1,
      });
      // Largest first; ties by key.
      expect(dashboardSummary.byEnvironment.map((c) => c.count)).toEqual([4, 3, 2]);
      expect(dashboardSummary.byEnvironment.map((c) => c.key?.toUpperCase())).toEqual(['PRODUCTION', 'DEV', 'STAGING']);
      expect(dashboardSummary.byRegion).toEqual([
        { key: 'eu-west-1', count: 6 },
        { key: 'us-east-1', count: 3 },
      ]);
      expect(dashboardSummary.byServiceType).toEqual([
        { key: 'nginx', count: 4 },
        { key: 'redis', count: 3 },
        { key: 'mysql', count: 2 },
      ]);
    });

    test('byEnvironment keys are the API’s EnvironmentName values, as Host.environment and filters spell them', async () => {
      const { dashboardSummary } = await api.data(DashboardSummaryDocument, {});
      const { host } = await api.data(HostDocument, { hostId: 'host_a' });
      expect(host!.environment).toBe('PRODUCTION');
      expect(sortByKey(dashboardSummary.byEnvironment)).toEqual([
        { key: 'DEV', count: 3 },
        { key: 'PRODUCTION', count: 4 },
        { key: 'STAGING', count: 2 },
      ]);
    });

    test('servicesNeedingAttention lists down, repeatedly failing and stale services, each ordered by serviceId', async () => {
      const { servicesNeedingAttention } = await api.data(ServicesNeedingAttentionDocument, {}, { as: 'viewer' });
      expect(servicesNeedingAttention.downServices).toEqual([
        { serviceId: 'svc_db1', currentStatus: 'STOPPED' },
        { serviceId: 'svc_db2', currentStatus: 'ERROR' },
      ]);
      // Three failed checks in a row (unknown counts as failed); two is not enough, and a success resets the count.
      expect(servicesNeedingAttention.highFailureRate).toEqual([
        { serviceId: 'svc_cache', consecutiveFailures: 3 },
        { serviceId: 'svc_db1', consecutiveFailures: 3 },
      ]);
      expect(servicesNeedingAttention.staleChecks.map((s) => s.serviceId)).toEqual(['svc_never', 'svc_stale']);
      const [never, stale] = servicesNeedingAttention.staleChecks;
      expect(never!.lastCheck).toBeNull();
      expect(Date.parse(never!.staleAt!)).toBeLessThan(Date.now());
      expect(Date.parse(stale!.staleAt!) - Date.parse(stale!.lastCheck!)).toBe(3 * MINUTE);
    });

    test('a stale service leaves staleChecks when its monitoring is turned off, and a new check clears it', async () => {
      await api.data(SetServiceMonitoringDocument, { serviceId: 'svc_stale', enabled: false }, { as: 'operator' });
      await api.domain.recorder.record([{ service_id: 'svc_never', status: 'running', timestamp: new Date(Date.now() - 5 * SECOND) }]);
      const { servicesNeedingAttention } = await api.data(ServicesNeedingAttentionDocument, {});
      expect(servicesNeedingAttention.staleChecks).toEqual([]);
    });

    test('a service that recovers leaves downServices and highFailureRate', async () => {
      await api.domain.recorder.record([{ service_id: 'svc_db1', status: 'running', timestamp: new Date(Date.now() - SECOND) }]);
      const { servicesNeedingAttention } = await api.data(ServicesNeedingAttentionDocument, {});
      expect(servicesNeedingAttention.downServices.map((s) => s.serviceId)).toEqual(['svc_db2']);
      expect(servicesNeedingAttention.highFailureRate.map((s) => s.serviceId)).toEqual(['svc_cache']);
      const { dashboardSummary } = await api.data(DashboardSummaryDocument, {});
      expect(dashboardSummary).toMatchObject({ runningServices: 4, stoppedServices: 0 });
    });

    test('servicesByStatus groups service names by status, most populous first, names sorted', async () => {
      const { servicesByStatus } = await api.data(ServicesByStatusDocument, {}, { as: 'viewer' });
      expect(servicesByStatus).toEqual([
        { status: 'RUNNING', count: 3, serviceNames: ['fresh.service', 'stale.service', 'web1.service'] },
        { status: 'UNKNOWN', count: 3, serviceNames: ['cache.service', 'never.service', 'off.service'] },
        { status: 'ERROR', count: 1, serviceNames: ['db2.service'] },
        { status: 'STOPPED', count: 1, serviceNames: ['db1.service'] },
        { status: 'WARNING', count: 1, serviceNames: ['web2.service'] },
      ]);
      const total = servicesByStatus.reduce((sum, g) => sum + g.count, 0);
      expect(total).toBe((await api.data(DashboardSummaryDocument, {})).dashboardSummary.totalServices);
    });

    test('the whole dashboard page in one request agrees with the separate queries', async () => {
      const page = await api.data(DashboardPageDocument, {}, { as: 'viewer' });
      expect(page.dashboardSummary).toMatchObject({ totalHosts: 3, activeHosts: 2, totalServices: 9, runningServices: 3 });
      expect(page.servicesNeedingAttention.downServices.map((s) => s.serviceId)).toEqual(['svc_db1', 'svc_db2']);
      expect(page.servicesByStatus.map((g) => g.status)).toEqual(['RUNNING', 'UNKNOWN', 'ERROR', 'STOPPED', 'WARNING']);
    });
  });

  test('every dashboard query needs a key', async () => {
    const responses = [
      await api.request(DashboardSummaryDocument, {}, { as: null }),
      await api.request(ServicesNeedingAttentionDocument, {}, { as: null }),
      await api.request(ServicesByStatusDocument, {}, { as: null }),
    ];
    for (const response of responses) {
      expect(response.status).toBe(401);
      expect(response.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});
