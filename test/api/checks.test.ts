/** On-demand checks and recovery through the API, against a real OpenSSH server. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { RecoverServiceDocument, RunCheckDocument } from '../graphql/generated.js';
import { useApiServer } from '../helpers/api.js';
import { keyFileFor } from '../helpers/engine.js';
import { startSshd, type SshdFixture } from '../setup/sshd.js';

const api = useApiServer(import.meta.filename);
let sshd: SshdFixture;
let keyFile: string;

beforeAll(async () => {
  sshd = await startSshd();
  keyFile = keyFileFor(sshd);
});
afterAll(async () => sshd?.stop());
beforeEach(async () => {
  sshd.clearCalls();
  await api.domain.hosts.create({
    host_id: 'host_ssh',
    hostname: 'ssh-fixture',
    ip_address: '127.0.0.1',
    environment: 'dev',
    region: 'lab',
    ssh_config: { user: sshd.username, port: sshd.port, key_path: keyFile, host_key_fingerprint: sshd.hostKeyOpenSshFingerprint },
  });
  await api.domain.services.create({
    service_id: 'svc_nginx',
    host_id: 'host_ssh',
    service_name: 'nginx.service',
    service_type: 'nginx',
    monitoring: { interval_sec: 60, timeout_sec: 5, retry_attempts: 0, retry_delay_sec: 0 },
  });
});

describe('runCheck', () => {
  test('an operator checks a service now and gets what the check found, recorded in history', async () => {
    sshd.setUnitState('nginx.service', 'active');
    const { runCheck } = await api.data(RunCheckDocument, { serviceId: 'svc_nginx' }, { as: 'operator' });
    expect(runCheck).toMatchObject({ serviceId: 'svc_nginx', previousStatus: 'UNKNOWN', status: 'RUNNING', statusChanged: true, recovery: null });
    expect(runCheck.check).toMatchObject({ status: 'RUNNING', statusCode: 0, error: null, recoveryAttempted: false });
    expect((await api.domain.services.require('svc_nginx')).current_status).toBe('running');
  });

  test('a viewer may not run checks; a missing service is NOT_FOUND', async () => {
    const viewer = await api.request(RunCheckDocument, { serviceId: 'svc_nginx' }, { as: 'viewer' });
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(sshd.readCalls()).toEqual([]);
    const missing = await api.request(RunCheckDocument, { serviceId: 'svc_missing' }, { as: 'operator' });
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('recoverService', () => {
  test('restarts a down service over SSH and reports the re-check', async () => {
    sshd.setUnitState('nginx.service', 'failed');
    const { recoverService } = await api.data(RecoverServiceDocument, { serviceId: 'svc_nginx', action: 'RESTART' }, { as: 'operator' });
    expect(recoverService).toMatchObject({ attempted: true, action: 'RESTART', success: true, gaveUp: false });
    expect(recoverService.message).toMatch(/re-check found running/);
    expect(sshd.readCalls().some((call) => call.includes('restart -- nginx.service'))).toBe(true);
  });
});
