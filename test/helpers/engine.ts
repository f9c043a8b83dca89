import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../src/common/logger.js';
import { EventBus, type DomainEvents } from '../../src/events/event-bus.js';
import type { EngineSettings } from '../../src/modules/checks/engine.js';
import { wireMonitoring } from '../../src/modules/checks/monitoring.js';
import type { Domain } from '../../src/modules/domain.js';
import type { SshdFixture } from '../setup/sshd.js';

export interface TestEngineOptions {
  settings?: Partial<EngineSettings>;
  customCommands?: Record<string, string>;
  knownHostsFile?: string;
  connectTimeoutMs?: number;
  backoffMs?: number;
  /** Where the engine says what it does; silent when omitted. */
  logger?: Logger;
}

/** An engine wired as the app wires it (short test timings), plus every event it published. */
export function createTestEngine(domain: Domain, options: TestEngineOptions = {}) {
  const events = new EventBus();
  const published: { name: keyof DomainEvents; payload: unknown }[] = [];
  for (const name of ['check.completed', 'service.status-changed', 'recovery.event'] as const) {
    events.subscribe(name, (payload) => published.push({ name, payload }));
  }
  const { engine, close } = wireMonitoring(domain, events, {
    knownHostsFile: options.knownHostsFile,
    defaultKeyFile: undefined,
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    backoffMs: options.backoffMs ?? 200,
    commands: new Map(Object.entries(options.customCommands ?? {})),
    recheckDelayMs: 50,
    actionTimeoutMs: 5_000,
    engine: { concurrency: 50, leaseMs: 30_000, batchSize: 50, ...options.settings },
    logger: options.logger,
  });
  return { engine, events, published, close };
}

/** The fixture's private key as a file, as a host's ssh_config.key_path names it. */
export function keyFileFor(sshd: SshdFixture): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sm-key-')), 'id_ed25519');
  writeFileSync(file, sshd.privateKey, { mode: 0o600 });
  return file;
}

/** A logger that keeps every line it is given, for tests that check what the engine says. */
export function capturingLogger(): Logger & { lines: { level: string; message: string; fields: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields: Record<string, unknown> = {}) => void lines.push({ level, message, fields });
  const logger = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}
