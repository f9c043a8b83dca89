import { readFileSync } from 'node:fs';
import type { Config } from '../../config/config.js';
import { patterns } from '../../common/validation.js';
import type { EventBus } from '../../events/event-bus.js';
import type { Domain } from '../domain.js';
import { RecoveryService } from '../recovery/recovery.service.js';
import type { CommandAllowList } from './custom.checker.js';
import { CheckEngine } from './engine.js';
import { createCheckers } from './registry.js';
import { HostKeyPolicy } from './ssh/host-keys.js';
import { SshPool } from './ssh/ssh-pool.js';
import { SshTargets } from './ssh/ssh-targets.js';

export interface Monitoring {
  engine: CheckEngine;
  close(): Promise<void>;
}

export type MonitoringSettings = Pick<
  Config,
  | 'checkConcurrency'
  | 'checkLeaseSec'
  | 'sshPrivateKeyFile'
  | 'sshKnownHostsFile'
  | 'sshConnectTimeoutMs'
  | 'customCommandsFile'
  | 'recoveryRecheckDelayMs'
>;

/** Wires the check engine: SSH pool, checkers, recovery. */
export function createMonitoring(domain: Domain, events: EventBus, config: MonitoringSettings): Monitoring {
  const ssh = new SshPool({
    hostKeys: new HostKeyPolicy(config.sshKnownHostsFile),
    connectTimeoutMs: config.sshConnectTimeoutMs,
    maxChannelsPerConnection: 8,
  });
  const targets = new SshTargets(config.sshPrivateKeyFile);
  const commands = loadCommandAllowList(config.customCommandsFile);
  const checkers = createCheckers(ssh, targets, commands);
  const recovery = new RecoveryService(ssh, targets, checkers, commands, events, {
    recheckDelayMs: config.recoveryRecheckDelayMs,
    actionTimeoutMs: 60_000,
  });
  const engine = new CheckEngine(checkers, domain.recorder, recovery, events, {
    concurrency: config.checkConcurrency,
    leaseMs: config.checkLeaseSec * 1000,
    batchSize: Math.min(500, config.checkConcurrency),
  });
  return { engine, close: () => ssh.close() };
}

/** `{ "name": "command line" }` from the server's configuration; names follow the allow-list pattern. */
export function loadCommandAllowList(file: string | undefined): CommandAllowList {
  if (!file) return new Map();
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const entries = Object.entries(parsed).filter(([name, command]) => {
    if (patterns.allowListName.test(name) && typeof command === 'string' && command.trim()) return true;
    throw new Error(`${file}: entry ${JSON.stringify(name)} must be a name (letters, digits, _ . -) with a command string`);
  });
  return new Map(entries as [string, string][]);
}
