import type { EnvironmentName, HostStatus } from '../../common/enums.js';
import type { WritableFields } from '../../common/patch.js';

export interface HostInput {
  host_id: string;
  hostname: string;
  ip_address: string;
  environment: EnvironmentName;
  region: string;
  location?: { datacenter?: string | null; rack?: string | null; zone?: string | null };
  /** Absent: a host watched without SSH. */
  ssh_config?: { user: string; port?: number; key_path?: string | null; use_sudo?: boolean; host_key_fingerprint?: string | null };
  metadata?: { os?: string | null; purpose?: string | null; tags?: string[] };
  status?: HostStatus;
}

/** A host the monitor logs in to (what a config.json target always is). */
export type SshHostInput = HostInput & { ssh_config: NonNullable<HostInput['ssh_config']> };

/** Every field but the identity; nested objects merge. */
export type HostPatch = Partial<Omit<HostInput, 'host_id' | 'location' | 'ssh_config' | 'metadata'>> & {
  location?: Partial<NonNullable<HostInput['location']>>;
  ssh_config?: Partial<HostInput['ssh_config']>;
  metadata?: Partial<NonNullable<HostInput['metadata']>>;
};

export const writableHostFields: WritableFields = {
  hostname: 'value',
  ip_address: 'value',
  environment: 'value',
  region: 'value',
  location: 'object',
  ssh_config: 'object',
  metadata: 'object',
  status: 'value',
};

export const creatableHostFields: WritableFields = { host_id: 'value', ...writableHostFields };
