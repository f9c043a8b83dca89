import type { Host } from '../hosts/host.model.js';
import type { Service } from '../services/service.model.js';
import { failed, succeeded, type Checker, type CheckOutcome } from './checker.js';
import type { SshPool } from './ssh/ssh-pool.js';
import type { SshTargets } from './ssh/ssh-targets.js';

/** Command lines by name, from the server's own configuration; the API can only name one. */
export type CommandAllowList = ReadonlyMap<string, string>;

/** Runs an allow-listed command over SSH: exit code 0 means running. */
export class CustomChecker implements Checker {
  readonly method = 'custom' as const;

  constructor(
    private readonly pool: SshPool,
    private readonly targets: SshTargets,
    private readonly commands: CommandAllowList,
  ) {}

  async check(service: Service, host: Host, signal: AbortSignal): Promise<CheckOutcome> {
    const name = service.health_check.custom_check;
    const command = name ? this.commands.get(name) : undefined;
    // Misconfigured: nothing can run, so nothing is known of the service.
    if (!command) return failed('unknown', `custom check ${JSON.stringify(name)} is not in the server's allow-list`, 'definitive');
    const result = await this.pool.exec(await this.targets.for(host), command, signal);
    const output = `${result.stdout}${result.stderr}`.trim().slice(0, 2000) || null;
    return result.code === 0
      ? succeeded({ error_details: output, host_contacted: true })
      : failed('stopped', `${name} exited ${result.code ?? result.signal}`, 'definitive', { error_details: output, status_code: result.code, host_contacted: true });
  }
}
