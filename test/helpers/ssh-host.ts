/**
 * The real OpenSSH fixture for a test file: started once, its recorded calls
 * cleared before each test, stopped after the file; plus the host that reaches it.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { HostInput } from '../../src/modules/hosts/host.input.js';
import type { ServiceInput } from '../../src/modules/services/service.input.js';
import { startSshd, type SshdFixture } from '../setup/sshd.js';
import { keyFileFor } from './engine.js';

export const SSH_HOST_ID = 'host_ssh';

export interface SshHost {
  readonly sshd: SshdFixture;
  readonly keyFile: string;
  /** A host reaching the fixture with a pinned host key; `ssh` overrides ssh_config fields. */
  hostInput(ssh?: Partial<HostInput['ssh_config']>): HostInput;
  /** A service on that host checking `unit` every minute (5 s timeout, no retries); `extra` overrides fields. */
  serviceInput(serviceId: string, unit: string, extra?: Record<string, unknown>): ServiceInput;
}

export function useSshHost(): SshHost {
  const state = {} as { sshd: SshdFixture; keyFile: string };
  beforeAll(async () => {
    state.sshd = await startSshd();
    state.keyFile = keyFileFor(state.sshd);
  });
  afterAll(async () => state.sshd?.stop());
  beforeEach(() => state.sshd.clearCalls());
  return {
    get sshd() {
      return state.sshd;
    },
    get keyFile() {
      return state.keyFile;
    },
    hostInput: (ssh = {}) => ({
      host_id: SSH_HOST_ID,
      hostname: 'ssh-fixture',
      ip_address: '127.0.0.1',
      environment: 'dev',
      region: 'lab',
      ssh_config: {
        user: state.sshd.username,
        port: state.sshd.port,
        key_path: state.keyFile,
        host_key_fingerprint: state.sshd.hostKeyOpenSshFingerprint,
        use_sudo: false,
        ...ssh,
      },
    }),
    serviceInput: (serviceId, unit, extra = {}) => ({
      service_id: serviceId,
      host_id: SSH_HOST_ID,
      service_name: unit,
      service_type: unit.split('.')[0]!,
      monitoring: { interval_sec: 60, timeout_sec: 5, retry_attempts: 0, retry_delay_sec: 0 },
      ...extra,
    }),
  };
}
