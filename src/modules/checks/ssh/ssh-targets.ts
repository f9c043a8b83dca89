import { readFile } from 'node:fs/promises';
import type { Host } from '../../hosts/host.model.js';
import type { SshTarget } from './ssh-pool.js';

/** The host cannot be checked over SSH as configured (no key, an unreadable key): a definitive answer. */
export class SshMisconfiguredError extends Error {}

/** Turns a host into an SSH target, reading its private key file once (the host's own, else the default). */
export class SshTargets {
  private readonly keys = new Map<string, Promise<Buffer>>();

  constructor(private readonly defaultKeyFile: string | undefined) {}

  async for(host: Host): Promise<SshTarget> {
    const keyFile = host.ssh_config.key_path ?? this.defaultKeyFile;
    if (!keyFile) throw new SshMisconfiguredError(`no SSH key for ${host.host_id}: set ssh_config.key_path or SSH_PRIVATE_KEY_FILE`);
    return {
      host: host.ip_address,
      port: host.ssh_config.port,
      username: host.ssh_config.user,
      privateKey: await this.key(keyFile),
      hostKeyFingerprint: host.ssh_config.host_key_fingerprint ?? null,
    };
  }

  private key(file: string): Promise<Buffer> {
    let key = this.keys.get(file);
    if (!key) {
      key = readFile(file).catch((error: Error) => {
        this.keys.delete(file);
        throw new SshMisconfiguredError(`cannot read SSH key ${file}: ${error.message}`);
      });
      this.keys.set(file, key);
    }
    return key;
  }
}
