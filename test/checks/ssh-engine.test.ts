/** Checks and recovery over a real OpenSSH server whose systemctl is a script keeping unit states in files. */
import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import { createDomain } from '../../src/modules/domain.js';
import { MonitoringCheckModel } from '../../src/modules/history/history.model.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import { useTestDatabase } from '../helpers/database.js';
import { createTestEngine } from '../helpers/engine.js';
import { useSshHost } from '../helpers/ssh-host.js';

useTestDatabase(import.meta.filename);
const domain = createDomain({ historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 });
const ssh = useSshHost();
let harness: ReturnType<typeof createTestEngine>;

afterAll(async () => {
  await harness?.close();
});
beforeEach(async () => {
  await harness?.close();
  harness = createTestEngine(domain);
  await domain.hosts.create(ssh.hostInput());
});

const addService = (serviceId: string, unit: string, extra: Record<string, unknown> = {}) => domain.services.create(ssh.serviceInput(serviceId, unit, extra));

describe('ssh checks', () => {
  test('an active unit is running, an inactive one stopped, a failed one error; metrics come with it', async () => {
    ssh.sshd.setUnitState('nginx.service', 'active');
    ssh.sshd.setUnitState('redis.service', 'inactive');
    ssh.sshd.setUnitState('mysql.service', 'failed');
    await addService('svc_nginx', 'nginx.service');
    await addService('svc_redis', 'redis.service');
    await addService('svc_mysql', 'mysql.service');

    expect(await harness.engine.dispatchDue()).toBe(3);
    const status = async (id: string) => (await domain.services.require(id)).current_status;
    expect(await status('svc_nginx')).toBe('running');
    expect(await status('svc_redis')).toBe('stopped');
    expect(await status('svc_mysql')).toBe('error');
    const nginx = await MonitoringCheckModel.findOne({ service_id: 'svc_nginx' }).lean();
    expect(nginx).toMatchObject({ status: 'running', status_code: 0, host_id: 'host_ssh' });
    expect(nginx!.metrics.custom).toMatchObject({ main_pid: expect.any(Number), attempts: 1 });
    expect((await domain.hosts.require('host_ssh')).last_seen).toBeInstanceOf(Date);
    expect(ssh.sshd.readCalls().join('\n')).toContain("show --property=ActiveState,SubState,MainPID,ActiveEnterTimestamp,MemoryCurrent,CPUUsageNSec -- nginx.service");
  });

  test('use_sudo runs systemctl through sudo -n, and a refused sudo is an unknown status with the reason', async () => {
    await domain.hosts.update('host_ssh', { ssh_config: { use_sudo: true } });
    ssh.sshd.setUnitState('nginx.service', 'active');
    await addService('svc_nginx', 'nginx.service');
    const run = await harness.engine.runNow('svc_nginx');
    expect(run.recorded.status).toBe('running');
    ssh.sshd.setSudoAllowed(false);
    try {
      const refused = await harness.engine.runNow('svc_nginx');
      expect(refused.recorded.status).toBe('unknown');
      expect(refused.result.error_details).toContain('password is required');
    } finally {
      ssh.sshd.setSudoAllowed(true);
    }
  });

  test('a check slower than its timeout is an error and says it timed out; retries (transient) run before failure is declared', async () => {
    ssh.sshd.setUnitState('slow.service', 'active');
    ssh.sshd.setUnitDelay('slow.service', 3);
    await addService('svc_slow', 'slow.service', { monitoring: { interval_sec: 60, timeout_sec: 1, retry_attempts: 2, retry_delay_sec: 0 } });
    const run = await harness.engine.runNow('svc_slow');
    expect(run.recorded.status).toBe('error');
    expect(run.result.error).toMatch(/timed out after 1 s/);
    expect(run.result.metrics?.custom).toMatchObject({ attempts: 3 });
    ssh.sshd.setUnitDelay('slow.service', null);
  });

  test('a host key that does not match the pinned fingerprint is refused, not trusted', async () => {
    await domain.hosts.update('host_ssh', { ssh_config: { host_key_fingerprint: `SHA256:${'A'.repeat(43)}` } });
    ssh.sshd.setUnitState('nginx.service', 'active');
    await addService('svc_nginx', 'nginx.service');
    const run = await harness.engine.runNow('svc_nginx');
    expect(run.recorded.status).toBe('unknown');
    expect(run.result.error).toMatch(/host key of 127\.0\.0\.1:\d+ is not trusted/);
    expect(ssh.sshd.readCalls()).toEqual([]);
  });

  test('a hostile unit name that reached the database anyway never reaches the shell', async () => {
    await addService('svc_ok', 'nginx.service');
    await ServiceModel.collection.updateOne({ service_id: 'svc_ok' }, { $set: { service_name: "x'; touch /tmp/pwned; echo '" } });
    const run = await harness.engine.runNow('svc_ok');
    expect(run.recorded.status).toBe('unknown');
    // Refused before a connection is even made: the stored document fails the unit name rule.
    expect(run.result.error).toMatch(/^not checked, the service is misconfigured as stored: serviceName must be a systemd unit name/);
    expect(ssh.sshd.readCalls()).toEqual([]);
  });

  test('one connection per host carries many concurrent checks', async () => {
    for (let i = 0; i < 20; i++) {
      ssh.sshd.setUnitState(`app${i}.service`, 'active');
      await addService(`svc_app${i}`, `app${i}.service`);
    }
    expect(await harness.engine.dispatchDue()).toBe(20);
    const notRunning = await MonitoringCheckModel.find({ status: { $ne: 'running' } }, { service_id: 1, status: 1, error: 1, error_details: 1 }).lean();
    expect(notRunning, JSON.stringify(notRunning)).toEqual([]);
    expect(await ServiceModel.countDocuments({ current_status: 'running' })).toBe(20);
  });
});

describe('recovery', () => {
  test('a down service with recover_on_down is restarted, re-checked, and the outcome is on the same history entry', async () => {
    ssh.sshd.setUnitState('nginx.service', 'failed');
    await addService('svc_nginx', 'nginx.service', { recovery: { recover_on_down: true, recover_action: 'restart', max_recovery_attempts: 3, recovery_cooldown_sec: 300 } });
    await harness.engine.dispatchDue();
    const failedCheck = await MonitoringCheckModel.findOne({ service_id: 'svc_nginx', status: 'error' }).lean();
    expect(failedCheck).toMatchObject({ recovery_attempted: true, recovery_action: 'restart', recovery_success: true });
    expect(failedCheck!.recovery_message).toMatch(/restart done; re-check found running/);
    expect(await MonitoringCheckModel.countDocuments({ service_id: 'svc_nginx', recovery_attempted: true })).toBe(1);
    expect((await domain.services.require('svc_nginx')).current_status).toBe('running');
    expect(ssh.sshd.readCalls().some((c) => c.includes('restart -- nginx.service'))).toBe(true);
    expect(harness.published.filter((e) => e.name === 'recovery.event').map((e) => (e.payload as { kind: string }).kind)).toEqual(['attempted', 'succeeded']);
  });

  test('a scheduled recovery keeps the lease until it is done: an operator check meanwhile waits for that run and returns it, and afterwards the service is free', async () => {
    ssh.sshd.setUnitState('nginx.service', 'failed');
    ssh.sshd.setUnitDelay('nginx.service', 1);
    await addService('svc_nginx', 'nginx.service', { recovery: { recover_on_down: true, recover_action: 'restart', max_recovery_attempts: 3, recovery_cooldown_sec: 300 } });
    const dispatch = harness.engine.dispatchDue();
    // The failed check is written first; the restart and the re-check (each delayed 1 s) follow.
    for (let i = 0; i < 100 && (await MonitoringCheckModel.countDocuments({ service_id: 'svc_nginx' })) === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const waited = await harness.engine.runNow('svc_nginx');
    const scheduled = await MonitoringCheckModel.findOne({ service_id: 'svc_nginx', status: 'error' }).lean();
    expect(waited.recorded.history_id).toBe(String(scheduled!._id));
    expect(waited.recovery).toMatchObject({ attempted: true, success: true });
    await dispatch;
    ssh.sshd.setUnitDelay('nginx.service', null);
    const service = await ServiceModel.findOne({ service_id: 'svc_nginx' }).lean();
    expect(service).toMatchObject({ lease_owner: null, current_status: 'running' });
    expect(+service!.next_check_at!).toBeGreaterThan(Date.now());
    expect((await harness.engine.runNow('svc_nginx')).recorded.status).toBe('running');
  });

  test('at most max_recovery_attempts within the cooldown; then it gives up, marks the service and says so once', async () => {
    ssh.sshd.setUnitState('db.service', 'failed');
    ssh.sshd.setUnitBroken('db.service', true);
    await addService('svc_db', 'db.service', { recovery: { recover_on_down: true, recover_action: 'restart', max_recovery_attempts: 2, recovery_cooldown_sec: 600 } });
    for (let i = 0; i < 4; i++) await harness.engine.runNow('svc_db');
    const restarts = ssh.sshd.readCalls().filter((c) => c.includes('restart -- db.service'));
    expect(restarts).toHaveLength(2);
    const service = await domain.services.require('svc_db');
    expect(service.recovery_gave_up_at).toBeInstanceOf(Date);
    const kinds = harness.published.filter((e) => e.name === 'recovery.event').map((e) => (e.payload as { kind: string }).kind);
    expect(kinds).toEqual(['attempted', 'failed', 'attempted', 'failed', 'gave_up']);
    ssh.sshd.setUnitBroken('db.service', false);
  });
});

describe('scheduling with leases', () => {
  test('two engines dispatching at once check each due service once, and set the next due time', async () => {
    for (let i = 0; i < 10; i++) {
      ssh.sshd.setUnitState(`w${i}.service`, 'active');
      await addService(`svc_w${i}`, `w${i}.service`);
    }
    const other = createTestEngine(domain);
    try {
      const [a, b] = await Promise.all([harness.engine.dispatchDue(), other.engine.dispatchDue()]);
      expect(a + b).toBe(10);
      expect(await MonitoringCheckModel.countDocuments()).toBe(10);
      const due = await ServiceModel.find({}, { next_check_at: 1, lease_owner: 1 }).lean();
      expect(due.every((s) => s.lease_owner === null && +s.next_check_at! > Date.now() + 50_000)).toBe(true);
      expect(await harness.engine.dispatchDue()).toBe(0);
    } finally {
      await other.close();
    }
  });

  test('a disabled service is not claimed; services of a host in maintenance are skipped and rescheduled', async () => {
    ssh.sshd.setUnitState('a.service', 'active');
    await addService('svc_a', 'a.service');
    await addService('svc_b', 'a.service', { monitoring: { enabled: false } });
    await domain.hosts.update('host_ssh', { status: 'maintenance' });
    expect(await harness.engine.dispatchDue()).toBe(1);
    expect(await MonitoringCheckModel.countDocuments()).toBe(0);
    expect(+(await domain.services.require('svc_a')).next_check_at!).toBeGreaterThan(Date.now() + 50_000);
  });
});
