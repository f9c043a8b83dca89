import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus, type DomainEvents } from '../../src/events/event-bus.js';
import { CheckEngine, type EngineSettings } from '../../src/modules/checks/engine.js';
import { createCheckers } from '../../src/modules/checks/registry.js';
import { HostKeyPolicy } from '../../src/modules/checks/ssh/host-keys.js';
import { SshPool } from '../../src/modules/checks/ssh/ssh-pool.js';
import { SshTargets } from '../../src/modules/checks/ssh/ssh-targets.js';
import type { Domain } from '../../src/modules/domain.js';
import { RecoveryService } from '../../src/modules/recovery/recovery.service.js';
import type { SshdFixture } from '../setup/sshd.js';

/** An engine wired as the app wires it, plus every event it published. */
export function createTestEngine(domain: Domain, options: { settings?: Partial<EngineSettings>; customCommands?: Record<string, string>; knownHostsFile?: string } = {}) {
  const events = new EventBus();
  const published: { name: keyof DomainEvents; payload: unknown }[] = [];
  for (const name of ['check.completed', 'service.status-changed', 'recovery.event'] as const) {
    events.subscribe(name, (payload) => published.push({ name, payload }));
  }
  const pool = new SshPool({ hostKeys: new HostKeyPolicy(options.knownHostsFile), connectTimeoutMs: 5_000, maxChannelsPerConnection: 8, backoffMs: 200 });
  const targets = new SshTargets(undefined);
  const commands = new Map(Object.entries(options.customCommands ?? {}));
  const checkers = createCheckers(pool, targets, commands);
  const recovery = new RecoveryService(pool, targets, checkers, commands, events, { recheckDelayMs: 50, actionTimeoutMs: 5_000 });
  const engine = new CheckEngine(checkers, domain.recorder, recovery, events, { concurrency: 50, leaseMs: 30_000, batchSize: 50, ...options.settings });
  return { engine, events, published, pool, close: () => pool.close() };
}

/** The fixture's private key as a file, as a host's ssh_config.key_path names it. */
export function keyFileFor(sshd: SshdFixture): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sm-key-')), 'id_ed25519');
  writeFileSync(file, sshd.privateKey, { mode: 0o600 });
  return file;
}
