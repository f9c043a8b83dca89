/**
 * The seed's own Python MongoDBManager (pymongo), run against our database:
 * what it writes our code reads and updates, and what we write it reads.
 */
import { describe, expect, test } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { ensureIndexes } from '../../src/db/indexes.js';
import { createDomain } from '../../src/modules/domain.js';
import { MonitoringCheckModel } from '../../src/modules/history/history.model.js';
import { useTestDatabase } from '../helpers/database.js';
import { runSeedTooling as runSeed, seedSkipReason } from './seed/run-seed-tooling.js';

const skipReason = seedSkipReason(import.meta.filename);
const database = useTestDatabase(import.meta.filename);
const domain = createDomain({ historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 });
const runSeedTooling = (mode: 'write' | 'read') => runSeed(database, mode);

describe.skipIf(skipReason !== null)("the seed's Python tooling and ours share one database", () => {
  test('what the seed writes, we read, index, update and count', async () => {
    runSeedTooling('write');
    await expect(ensureIndexes(silentLogger)).resolves.toBeTruthy();

    const host = await domain.hosts.require('host_seed_001');
    expect(host).toMatchObject({ hostname: 'seed-mysql', ssh_config: { user: 'ubuntu', port: 22, use_sudo: true }, status: 'active' });
    const service = await domain.services.require('svc_seed_mysql_001');
    expect(service).toMatchObject({ current_status: 'stopped', monitoring: { interval_sec: 45 }, alerting: { severity: 'high' } });

    const moved = await domain.hosts.update('host_seed_001', { region: 'eu-west-1' });
    expect(moved.region).toBe('eu-west-1');
    expect((await domain.services.require('svc_seed_mysql_001')).region).toBe('eu-west-1');

    expect(await domain.history.forService('svc_seed_mysql_001')).toHaveLength(2);
    // No uptime rollups exist for seed-written data: uptime is rebuilt from its history.
    const uptime = await domain.uptime.forService('svc_seed_mysql_001', 30);
    expect(uptime.up_ms).toBeGreaterThanOrEqual(0);
    expect(await domain.dashboard.summary()).toMatchObject({ total_hosts: 1, total_services: 1, stopped_services: 1 });
    await domain.recorder.record([{ service_id: 'svc_seed_mysql_001', timestamp: new Date(), status: 'running' }]);
    expect((await domain.services.require('svc_seed_mysql_001')).consecutive_failures).toBe(0);
  });

  test('what we write, the seed reads (and its index creation finds ours in place)', async () => {
    await domain.hosts.create({
      host_id: 'host_api_001',
      hostname: 'api-web',
      ip_address: '10.9.0.2',
      environment: 'staging',
      region: 'us-east-1',
      ssh_config: { user: 'deploy' },
    });
    await domain.services.create({ service_id: 'svc_api_nginx_001', host_id: 'host_api_001', service_name: 'nginx.service', service_type: 'nginx' });
    const t0 = Date.now() - 10 * 60_000;
    await domain.recorder.record([
      { service_id: 'svc_api_nginx_001', timestamp: new Date(t0), status: 'running' },
      { service_id: 'svc_api_nginx_001', timestamp: new Date(t0 + 60_000), status: 'error', error: 'connection refused' },
    ]);

    const seen = runSeedTooling('read');
    expect(seen.host).toMatchObject({ host_id: 'host_api_001', ssh_config: { user: 'deploy', port: 22, use_sudo: false }, status: 'active' });
    expect(seen.services_on_host).toEqual([expect.objectContaining({ service_id: 'svc_api_nginx_001', environment: 'staging', current_status: 'error' })]);
    expect(seen.enabled).toEqual(['svc_api_nginx_001']);
    expect(seen.history).toHaveLength(2);
    expect(seen.recent_failures).toBe(1);
    expect(seen.uptime_by_count).toBe(50);
    expect(seen.summary).toMatchObject({ total_hosts: 1, active_hosts: 1, total_services: 1, error_services: 1 });
    expect(seen.attention_down).toEqual(['svc_api_nginx_001']);
    expect(await MonitoringCheckModel.countDocuments()).toBe(2);
  });
});
