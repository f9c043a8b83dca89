/**
 * The seed's DEFAULT_CHECK_INTERVAL and MAX_RECOVERY_ATTEMPTS: what a service created without an interval or a
 * recovery limit gets, through the API, and what one another tool stored without them reads as (and db:doctor
 * writes).
 */
import { describe, expect, test } from 'vitest';
import { runDoctor } from '../../src/cli/db-doctor.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import { CreateHostDocument, CreateServiceDocument, ServiceDocument, type ServiceCreateInput } from '../graphql/generated.js';
import { useApiServer } from '../helpers/api.js';

const SETTINGS = { defaultCheckInterval: 20, maxRecoveryAttempts: 5 };
const api = useApiServer(import.meta.filename, {}, undefined, SETTINGS);

async function createService(overrides: Partial<ServiceCreateInput> = {}) {
  await api.data(CreateHostDocument, { input: { hostId: 'host_a', hostname: 'host-a', ipAddress: '10.0.0.1', environment: 'STAGING', region: 'eu', sshConfig: { user: 'ubuntu' } } });
  const input: ServiceCreateInput = { serviceId: 'svc_a', hostId: 'host_a', serviceName: 'nginx.service', serviceType: 'nginx', ...overrides };
  return (await api.data(CreateServiceDocument, { input })).createService;
}

describe('a service created without them', () => {
  test('is checked every DEFAULT_CHECK_INTERVAL and recovered at most MAX_RECOVERY_ATTEMPTS times; a timeout left out stays within the interval', async () => {
    const created = await createService();
    expect(created.monitoring).toMatchObject({ intervalSec: 20, timeoutSec: 20 });
    expect(created.recovery.maxRecoveryAttempts).toBe(5);
    // Stale after STALE_AFTER_INTERVALS (3) of its interval.
    expect(Date.parse(created.staleAt!) - Date.parse(created.createdAt)).toBeCloseTo(3 * 20_000, -3);
    expect(await ServiceModel.collection.findOne({ service_id: 'svc_a' })).toMatchObject({ monitoring: { interval_sec: 20, timeout_sec: 20 }, recovery: { max_recovery_attempts: 5 } });
  });

  test('what the caller gave is kept: an interval (with the usual 30 s timeout), a timeout, a limit of 0', async () => {
    const created = await createService({ monitoring: { intervalSec: 300 }, recovery: { maxRecoveryAttempts: 0 } });
    expect(created.monitoring).toMatchObject({ intervalSec: 300, timeoutSec: 30 });
    expect(created.recovery.maxRecoveryAttempts).toBe(0);
  });

  test('a timeout given without an interval is kept; one beyond the default interval is refused as before', async () => {
    expect((await createService({ monitoring: { timeoutSec: 10 } })).monitoring).toMatchObject({ intervalSec: 20, timeoutSec: 10 });
    const refused = await api.request(CreateServiceDocument, { input: { serviceId: 'svc_b', hostId: 'host_a', serviceName: 'b', serviceType: 'b', monitoring: { timeoutSec: 25 } } });
    expect(refused.errors?.[0]?.message).toMatch(/must not exceed the check interval \(20 seconds\), got 25/);
  });
});

describe('a service another tool stored without them', () => {
  test('reads with DEFAULT_CHECK_INTERVAL and MAX_RECOVERY_ATTEMPTS, and db:doctor --fix writes those', async () => {
    await api.data(CreateHostDocument, { input: { hostId: 'host_a', hostname: 'host-a', ipAddress: '10.0.0.1', environment: 'STAGING', region: 'eu', sshConfig: { user: 'ubuntu' } } });
    await ServiceModel.collection.insertOne({
      service_id: 'svc_seed',
      host_id: 'host_a',
      service_name: 'mysql.service',
      service_type: 'mysql',
      environment: 'staging',
      region: 'eu',
      monitoring: { method: 'ssh', enabled: true },
      recovery: { recover_on_down: true },
    });
    const { service } = await api.data(ServiceDocument, { serviceId: 'svc_seed' });
    expect(service!.monitoring).toMatchObject({ intervalSec: 20, timeoutSec: 20 });
    expect(service!.recovery.maxRecoveryAttempts).toBe(5);

    const report = await runDoctor({ staleAfterIntervals: 3, historyRetentionDays: 30, ...SETTINGS }, { fix: true });
    expect(report.findings.filter((f) => f.id === 'svc_seed' && /interval_sec|timeout_sec|max_recovery_attempts/.test(f.field))).toEqual([
      expect.objectContaining({ field: 'monitoring.interval_sec', value: 20, state: 'fixed' }),
      expect.objectContaining({ field: 'monitoring.timeout_sec', value: 20, state: 'fixed' }),
      expect.objectContaining({ field: 'recovery.max_recovery_attempts', value: 5, state: 'fixed' }),
    ]);
    expect(await ServiceModel.collection.findOne({ service_id: 'svc_seed' })).toMatchObject({ monitoring: { interval_sec: 20, timeout_sec: 20 }, recovery: { max_recovery_attempts: 5 } });
  });
});
