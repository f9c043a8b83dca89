/** On-demand checks and recovery through the API, against a real OpenSSH server. */
import { beforeEach, describe, expect, test } from 'vitest';
import { RecoverServiceDocument, RunCheckDocument } from '../graphql/generated.js';
import { useApiServer } from '../helpers/api.js';
import { useSshHost } from '../helpers/ssh-host.js';

const api = useApiServer(import.meta.filename);
const ssh = useSshHost();

beforeEach(async () => {
  await api.domain.hosts.create(ssh.hostInput());
  await api.domain.services.create(ssh.serviceInput('svc_nginx', 'nginx.service'));
});

describe('runCheck', () => {
  test('an operator checks a service now and gets what the check found, recorded in history', async () => {
    ssh.sshd.setUnitState('nginx.service', 'active');
    const { runCheck } = await api.data(RunCheckDocument, { serviceId: 'svc_nginx' }, { as: 'operator' });
    expect(runCheck).toMatchObject({ serviceId: 'svc_nginx', previousStatus: 'UNKNOWN', status: 'RUNNING', statusChanged: true, recovery: null });
    expect(runCheck.check).toMatchObject({ status: 'RUNNING', statusCode: 0, error: null, recoveryAttempted: false });
    expect((await api.domain.services.require('svc_nginx')).current_status).toBe('running');
  });

  test('a viewer may not run checks; a missing service is NOT_FOUND', async () => {
    const viewer = await api.request(RunCheckDocument, { serviceId: 'svc_nginx' }, { as: 'viewer' });
    expect(viewer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(ssh.sshd.readCalls()).toEqual([]);
    const missing = await api.request(RunCheckDocument, { serviceId: 'svc_missing' }, { as: 'operator' });
    expect(missing.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('recoverService', () => {
  test('restarts a down service over SSH and reports the re-check', async () => {
    ssh.sshd.setUnitState('nginx.service', 'failed');
    const { recoverService } = await api.data(RecoverServiceDocument, { serviceId: 'svc_nginx', action: 'RESTART' }, { as: 'operator' });
    expect(recoverService).toMatchObject({ attempted: true, action: 'RESTART', success: true, gaveUp: false });
    expect(recoverService.message).toMatch(/re-check found running/);
    expect(ssh.sshd.readCalls().some((call) => call.includes('restart -- nginx.service'))).toBe(true);
  });
});
