import { describe, expect, test } from 'vitest';
import type { ServiceStatus } from '../../src/common/enums.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import { useTestDatabase } from '../helpers/database.js';
import { MisconfiguredScan } from '../../src/modules/dashboard/misconfigured-scan.js';
import { readService } from '../../src/modules/services/service-read.js';
import { domain, hostInput, plusSeconds, serviceInput, settings } from '../helpers/fixtures.js';

useTestDatabase(import.meta.filename);
const { hosts, services, dashboard, recorder } = domain();
const ids = (list: { service_id: string }[]) => list.map((s) => s.service_id);

const T0 = new Date('2026-03-01T12:00:00Z');

const setState = (serviceId: string, current_status: ServiceStatus, consecutive_failures = 0) =>
  ServiceModel.updateOne({ service_id: serviceId }, { $set: { current_status, consecutive_failures } });

/**
 * Three hosts (two active), six services created at T0 with the default 60 s interval:
 *   s_ap_mysql   production asia-pacific mysql  running
 *   s_ap_mysql2  production asia-pacific mysql  stopped, 3 failures
 *   s_ap_redis   production asia-pacific redis  warning
 *   s_stg_mysql  staging    asia-pacific mysql  error, 5 failures
 *   s_stg_nginx  staging    asia-pacific nginx  unknown, 2 failures
 *   s_dev_nginx  dev        us-east-1    nginx  running, monitoring disabled
 */
async function seedFleet(): Promise<void> {
  await hosts.create(hostInput({ host_id: 'h_prod', environment: 'production', region: 'asia-pacific' }));
  await hosts.create(hostInput({ host_id: 'h_stg', environment: 'staging', region: 'asia-pacific' }));
  await hosts.create(hostInput({ host_id: 'h_dev', environment: 'dev', region: 'us-east-1', status: 'maintenance' }));
  const add = (service_id: string, host_id: string, service_type: string, enabled = true) =>
    services.create(serviceInput({ service_id, host_id, service_type, service_name: `${service_type}.service`, monitoring: { enabled } }), T0);
  await add('s_ap_mysql', 'h_prod', 'mysql');
  await add('s_ap_mysql2', 'h_prod', 'mysql');
  await add('s_ap_redis', 'h_prod', 'redis');
  await add('s_stg_mysql', 'h_stg', 'mysql');
  await add('s_stg_nginx', 'h_stg', 'nginx');
  await add('s_dev_nginx', 'h_dev', 'nginx', false);
  await setState('s_ap_mysql', 'running');
  await setState('s_ap_mysql2', 'stopped', 3);
  await setState('s_ap_redis', 'warning');
  await setState('s_stg_mysql', 'error', 5);
  await setState('s_stg_nginx', 'unknown', 2);
  await setState('s_dev_nginx', 'running');
}

describe('summary', () => {
  test('on an empty database everything is zero', async () => {
    expect(await dashboard.summary()).toEqual({
      total_hosts: 0,
      active_hosts: 0,
      total_services: 0,
      running_services: 0,
      stopped_services: 0,
      error_services: 0,
      unknown_services: 0,
      warning_services: 0,
      by_environment: [],
      by_region: [],
      by_service_type: [],
      open_incidents: [],
    });
  });

  test('counts hosts and services by status, including warning', async () => {
    await seedFleet();
    expect(await dashboard.summary()).toMatchObject({
      total_hosts: 3,
      active_hosts: 2,
      total_services: 6,
      running_services: 2,
      stopped_services: 1,
      error_services: 1,
      unknown_services: 1,
      warning_services: 1,
    });
  });

  test('groups services by environment, region and type, largest first', async () => {
    await seedFleet();
    const summary = await dashboard.summary();
    expect(summary.by_environment).toEqual([
      { key: 'production', count: 3 },
      { key: 'staging', count: 2 },
      { key: 'dev', count: 1 },
    ]);
    expect(summary.by_region).toEqual([
      { key: 'asia-pacific', count: 5 },
      { key: 'us-east-1', count: 1 },
    ]);
    expect(summary.by_service_type).toEqual([
      { key: 'mysql', count: 3 },
      { key: 'nginx', count: 2 },
      { key: 'redis', count: 1 },
    ]);
  });

  test('equal counts are ordered by key', async () => {
    await hosts.create(hostInput({ host_id: 'h1' }));
    for (const type of ['redis', 'apache', 'mysql']) {
      await services.create(serviceInput({ service_id: `s_${type}`, host_id: 'h1', service_type: type }));
    }
    expect((await dashboard.summary()).by_service_type.map((c) => c.key)).toEqual(['apache', 'mysql', 'redis']);
  });

  test('follows a host move to another environment', async () => {
    await seedFleet();
    await hosts.update('h_stg', { environment: 'production' });
    expect((await dashboard.summary()).by_environment).toEqual([
      { key: 'production', count: 5 },
      { key: 'dev', count: 1 },
    ]);
  });
});

describe('needingAttention', () => {
  test('down services are the stopped and error ones (not warning or unknown)', async () => {
    await seedFleet();
    const { down_services } = await dashboard.needingAttention(T0);
    expect(ids(down_services)).toEqual(['s_ap_mysql2', 's_stg_mysql']);
  });

  test('high failure rate means at least 3 consecutive failures', async () => {
    await seedFleet();
    const { high_failure_rate } = await dashboard.needingAttention(T0);
    expect(ids(high_failure_rate)).toEqual(['s_ap_mysql2', 's_stg_mysql']);
  });

  test('nothing is stale before three of its intervals have passed', async () => {
    await seedFleet();
    expect((await dashboard.needingAttention(plusSeconds(T0, 179))).stale_checks).toEqual([]);
    expect((await dashboard.needingAttention(plusSeconds(T0, 180))).stale_checks).toEqual([]);
  });

  test('after three intervals every enabled service is stale; a disabled one never is', async () => {
    await seedFleet();
    const { stale_checks } = await dashboard.needingAttention(plusSeconds(T0, 181));
    expect(ids(stale_checks)).toEqual(['s_ap_mysql', 's_ap_mysql2', 's_ap_redis', 's_stg_mysql', 's_stg_nginx']);
    expect(ids((await dashboard.needingAttention(plusSeconds(T0, 86_400 * 365))).stale_checks)).not.toContain('s_dev_nginx');
  });

  test('staleness follows each service’s own interval', async () => {
    await hosts.create(hostInput({ host_id: 'h1' }));
    await services.create(serviceInput({ service_id: 's_fast', host_id: 'h1', monitoring: { interval_sec: 30, timeout_sec: 10 } }), T0);
    await services.create(serviceInput({ service_id: 's_slow', host_id: 'h1', monitoring: { interval_sec: 600 } }), T0);
    expect(ids((await dashboard.needingAttention(plusSeconds(T0, 100))).stale_checks)).toEqual(['s_fast']);
    expect(ids((await dashboard.needingAttention(plusSeconds(T0, 1801))).stale_checks)).toEqual(['s_fast', 's_slow']);
  });

  test('a recorded check makes a service fresh again', async () => {
    await hosts.create(hostInput({ host_id: 'h1' }));
    await services.create(serviceInput({ service_id: 's1', host_id: 'h1' }), T0);
    await recorder.record([{ service_id: 's1', timestamp: plusSeconds(T0, 170), status: 'running' }]);
    expect((await dashboard.needingAttention(plusSeconds(T0, 300))).stale_checks).toEqual([]);
    expect(ids((await dashboard.needingAttention(plusSeconds(T0, 351))).stale_checks)).toEqual(['s1']);
  });

  test('disabling monitoring takes a stale service off the list', async () => {
    await hosts.create(hostInput({ host_id: 'h1' }));
    await services.create(serviceInput({ service_id: 's1', host_id: 'h1' }), T0);
    const later = plusSeconds(T0, 3600);
    expect(ids((await dashboard.needingAttention(later)).stale_checks)).toEqual(['s1']);
    await services.setMonitoringEnabled('s1', false);
    expect((await dashboard.needingAttention(later)).stale_checks).toEqual([]);
  });

  test('recorded failures put a service on the down and high-failure lists; a success takes it off', async () => {
    await hosts.create(hostInput({ host_id: 'h1' }));
    await services.create(serviceInput({ service_id: 's1', host_id: 'h1' }), T0);
    await recorder.record([1, 2, 3].map((i) => ({ service_id: 's1', timestamp: plusSeconds(T0, 60 * i), status: 'stopped' as const })));
    let attention = await dashboard.needingAttention(plusSeconds(T0, 200));
    expect(ids(attention.down_services)).toEqual(['s1']);
    expect(ids(attention.high_failure_rate)).toEqual(['s1']);
    expect(attention.high_failure_rate[0]!.consecutive_failures).toBe(3);

    await recorder.record([{ service_id: 's1', timestamp: plusSeconds(T0, 240), status: 'running' }]);
    attention = await dashboard.needingAttention(plusSeconds(T0, 250));
    expect(attention.down_services).toEqual([]);
    expect(attention.high_failure_rate).toEqual([]);
  });

  test('two failures in a row are not yet a high failure rate', async () => {
    await hosts.create(hostInput({ host_id: 'h1' }));
    await services.create(serviceInput({ service_id: 's1', host_id: 'h1' }), T0);
    await recorder.record([1, 2].map((i) => ({ service_id: 's1', timestamp: plusSeconds(T0, 60 * i), status: 'error' as const })));
    const attention = await dashboard.needingAttention(plusSeconds(T0, 150));
    expect(ids(attention.down_services)).toEqual(['s1']);
    expect(attention.high_failure_rate).toEqual([]);
  });
});

describe('misconfigured: the background read of every service (ATTENTION_SCAN_SEC)', () => {
  const breakIt = (serviceId: string) => ServiceModel.collection.updateOne({ service_id: serviceId }, { $set: { 'monitoring.method': 'teleport' } });

  test('with 0 (the domain default) every request reads every service: a document broken by another tool shows at once', async () => {
    await seedFleet();
    expect(ids(await dashboard.attentionLists().misconfigured())).toEqual([]);
    await breakIt('s_ap_redis');
    expect(ids(await dashboard.attentionLists().misconfigured())).toEqual(['s_ap_redis']);
  });

  test('a fix shows at once; a newly broken document within the scan age, without any request waiting for a read', async () => {
    await seedFleet();
    await breakIt('s_ap_redis');
    let now = 0;
    const scan = new MisconfiguredScan((raw) => readService(raw, settings), 30_000, () => now);
    expect(ids(await scan.services())).toEqual(['s_ap_redis']);
    // Fixed through the API: off the list at once (the ids found are read again on every request).
    await services.update('s_ap_redis', { monitoring: { method: 'tcp', target: 'tcp://127.0.0.1:1' } });
    expect(ids(await scan.services())).toEqual([]);
    // Broken by another tool: not seen within the scan age...
    await breakIt('s_stg_nginx');
    now = 29_999;
    expect(ids(await scan.services())).toEqual([]);
    // ...then the request after the age answers at once from the last read and starts a new one; a later one sees it.
    now = 30_000;
    expect(ids(await scan.services())).toEqual([]);
    await expect.poll(async () => ids(await scan.services()), { timeout: 5_000 }).toEqual(['s_stg_nginx']);
  });
});
