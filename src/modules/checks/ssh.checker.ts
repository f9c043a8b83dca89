import type { ServiceStatus } from '../../common/enums.js';
import type { Host } from '../hosts/host.model.js';
import type { Service } from '../services/service.model.js';
import { failed, type Checker, type CheckOutcome } from './checker.js';
import type { SshPool } from './ssh/ssh-pool.js';
import { systemctlCommand } from './ssh/shell.js';
import type { SshTargets } from './ssh/ssh-targets.js';

/** systemd's ActiveState, as a service status. */
export function statusOfActiveState(state: string | undefined): ServiceStatus {
  switch (state) {
    case 'active':
      return 'running';
    case 'inactive':
      return 'stopped';
    case 'failed':
      return 'error';
    case 'activating':
    case 'deactivating':
    case 'reloading':
    case 'refreshing':
      return 'warning';
    default:
      return 'unknown';
  }
}

/** `systemctl show` of the unit over SSH: one round trip gives the state and cheap metrics. */
export class SshChecker implements Checker {
  readonly method = 'ssh' as const;

  constructor(
    private readonly pool: SshPool,
    private readonly targets: SshTargets,
  ) {}

  async check(service: Service, host: Host, signal: AbortSignal): Promise<CheckOutcome> {
    const command = systemctlCommand('show', service.service_name, host.ssh_config?.use_sudo ?? false);
    const result = await this.pool.exec(await this.targets.for(host), command, signal);
    if (result.code !== 0) {
      // systemctl itself failed (sudo refused, no such command): the unit's state is not known, and asking again
      // gets the same answer.
      return failed('unknown', `systemctl exited ${result.code ?? result.signal ?? 'without a status'}`, 'definitive', {
        error_details: result.stderr.trim() || null,
        status_code: result.code,
        host_contacted: true,
      });
    }
    const properties = parseProperties(result.stdout);
    const status = statusOfActiveState(properties.ActiveState);
    return {
      status,
      status_code: status === 'running' ? 0 : 3,
      error: status === 'running' || status === 'warning' ? null : `unit is ${properties.ActiveState ?? 'unknown'} (${properties.SubState ?? '?'})`,
      error_details: null,
      metrics: metricsOf(properties),
      host_contacted: true,
      // The unit's own state is an answer: inactive or failed stays so until someone acts.
      transient: false,
    };
  }
}

function parseProperties(output: string): Record<string, string> {
  const properties: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const at = line.indexOf('=');
    if (at > 0) properties[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return properties;
}

function metricsOf(properties: Record<string, string>) {
  const since = Date.parse((properties.ActiveEnterTimestamp ?? '').replace(/^[A-Za-z]{3} /, ''));
  const number = (value: string | undefined) => (value && /^\d+$/.test(value) ? Number(value) : undefined);
  const custom = Object.fromEntries(
    Object.entries({
      main_pid: number(properties.MainPID),
      memory_bytes: number(properties.MemoryCurrent),
      cpu_usage_nsec: number(properties.CPUUsageNSec),
      sub_state: properties.SubState,
    }).filter(([, v]) => v !== undefined),
  );
  return {
    ...(Number.isFinite(since) ? { uptime_seconds: Math.max(0, Math.round((Date.now() - since) / 1000)) } : {}),
    custom,
  };
}
