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
    const ssh = host.ssh_config;
    if (!ssh) throw new SshMisconfiguredError(`host ${host.host_id} has no sshConfig: it is watched without SSH (give it an sshConfig to check systemd units or recover)`);
    const own = ssh.key_path;
    const keyFile = own ?? this.defaultKeyFile;
    if (!keyFile) throw new SshMisconfiguredError(`no SSH key for ${host.host_id}: set sshConfig.keyPath or SSH_PRIVATE_KEY_FILE`);
    return {
      host: host.ip_address,
      port: ssh.port,
      username: ssh.user,
      privateKey: await this.key(keyFile, own ? 'sshConfig.keyPath' : 'SSH_PRIVATE_KEY_FILE'),
      hostKeyFingerprint: ssh.host_key_fingerprint ?? null,
    };
  }

  /** The key file's content. Its failure names the setting, never the path: check errors reach every role. */
  private key(file: string, setting: string): Promise<Buffer> {
    const cacheKey = `${setting}\0${file}`;
    let key = this.keys.get(cacheKey);
    if (!key) {
      key = readFile(file).catch((error: NodeJS.ErrnoException) => {
        this.keys.delete(cacheKey);
        throw new SshMisconfiguredError(`SSH key not readable (${setting})${error.code ? `: ${error.code}` : ''}`);
      });
      this.keys.set(cacheKey, key);
    }
    return key;
  }
}
