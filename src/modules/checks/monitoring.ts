import { readFileSync } from 'node:fs';
import type { Config, LogLevel } from '../../config/config.js';
import { createLogger, silentLogger, type Logger } from '../../common/logger.js';
import { patterns } from '../../common/validation.js';
import type { EventBus } from '../../events/event-bus.js';
import type { Domain } from '../domain.js';
import { RecoveryService } from '../recovery/recovery.service.js';
import type { CommandAllowList } from './custom.checker.js';
import { CheckEngine, type EngineSettings } from './engine.js';
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
> &
  Partial<Pick<Config, 'httpMaxRedirects'>> & { logLevel?: LogLevel };

/** Every value the check engine's parts need, resolved (no files or environment left to read). */
export interface MonitoringParts {
  knownHostsFile: string | undefined;
  defaultKeyFile: string | undefined;
  connectTimeoutMs: number;
  /** First SSH reconnect delay; the pool's default when omitted. */
  backoffMs?: number;
  commands: CommandAllowList;
  recheckDelayMs: number;
  actionTimeoutMs: number;
  /** Redirects an HTTP check follows (HTTP_MAX_REDIRECTS); 5 when omitted. */
  httpMaxRedirects?: number;
  engine: EngineSettings;
  /** Where status changes, recovery actions and outcomes, and give-ups are told; silent when omitted. */
  logger?: Logger;
}

/**
 * Wires the check engine from configuration: SSH pool, checkers, recovery. Logs through `logger`, else a
 * logger at the configuration's `logLevel` (the app's config has one), else nowhere.
 */
export function createMonitoring(domain: Domain, events: EventBus, config: MonitoringSettings, logger?: Logger): Monitoring {
  return wireMonitoring(domain, events, {
    logger: logger ?? (config.logLevel ? createLogger(config.logLevel) : silentLogger),
    knownHostsFile: config.sshKnownHostsFile,
    defaultKeyFile: config.sshPrivateKeyFile,
    connectTimeoutMs: config.sshConnectTimeoutMs,
    commands: loadCommandAllowList(config.customCommandsFile),
    recheckDelayMs: config.recoveryRecheckDelayMs,
    actionTimeoutMs: 60_000,
    httpMaxRedirects: config.httpMaxRedirects,
    engine: {
      concurrency: config.checkConcurrency,
      leaseMs: config.checkLeaseSec * 1000,
      batchSize: Math.min(500, config.checkConcurrency),
    },
  });
}

/** The one place the engine's parts are put together (the app through createMonitoring, tests directly). */
export function wireMonitoring(domain: Domain, events: EventBus, parts: MonitoringParts): Monitoring {
  const ssh = new SshPool({
    hostKeys: new HostKeyPolicy(parts.knownHostsFile),
    connectTimeoutMs: parts.connectTimeoutMs,
    maxChannelsPerConnection: 8,
    backoffMs: parts.backoffMs,
  });
  const targets = new SshTargets(parts.defaultKeyFile);
  const checkers = createCheckers(ssh, targets, parts.commands, { maxRedirects: parts.httpMaxRedirects ?? 5 });
  const logger = parts.logger ?? silentLogger;
  const recovery = new RecoveryService(
    ssh,
    targets,
    checkers,
    parts.commands,
    events,
    { recheckDelayMs: parts.recheckDelayMs, actionTimeoutMs: parts.actionTimeoutMs },
    logger,
    domain.alerting.approvals,
  );
  const engine = new CheckEngine(checkers, domain.recorder, recovery, events, parts.engine, (raw) => domain.services.read(raw), logger);
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
