import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** `SHA256:<base64 without padding>`, as OpenSSH prints a host key fingerprint. */
export function openSshFingerprint(hostKey: Buffer): string {
  return `SHA256:${createHash('sha256').update(hostKey).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Host keys the monitor trusts: a fingerprint pinned on the host, else the
 * known_hosts file. A key that matches neither is refused, never learned.
 */
export class HostKeyPolicy {
  private readonly knownHosts: Map<string, string[]>;

  constructor(knownHostsFile: string | undefined) {
    this.knownHosts = knownHostsFile ? parseKnownHosts(safeRead(knownHostsFile)) : new Map();
  }

  verify(host: string, port: number, pinnedFingerprint: string | null, hostKey: Buffer): boolean {
    if (pinnedFingerprint) return openSshFingerprint(hostKey) === pinnedFingerprint;
    const keys = this.knownHosts.get(port === 22 ? host : `[${host}]:${port}`) ?? [];
    return keys.includes(hostKey.toString('base64'));
  }
}

/** Plain (not hashed) known_hosts lines: `host[,host...] keytype base64 [comment]`. */
function parseKnownHosts(text: string): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#') || trimmed.startsWith('|') || trimmed.startsWith('@')) continue;
    const [hosts, , key] = trimmed.split(/\s+/);
    if (!hosts || !key) continue;
    for (const host of hosts.split(',')) entries.set(host, [...(entries.get(host) ?? []), key]);
  }
  return entries;
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
