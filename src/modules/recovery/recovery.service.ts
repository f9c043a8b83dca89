import { serviceLabels } from '../services/service-labels.js';
import type { RecoverAction } from '../../common/enums.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import type { EventBus } from '../../events/event-bus.js';
import type { CheckerRegistry } from '../checks/registry.js';
import { checkSecrets, runCheck, type FinishedCheck } from '../checks/run-check.js';
import { scrubText } from '../../common/secrets.js';
import type { SshPool } from '../checks/ssh/ssh-pool.js';
import type { SshTargets } from '../checks/ssh/ssh-targets.js';
import { systemctlCommand } from '../checks/ssh/shell.js';
import type { CommandAllowList } from '../checks/custom.checker.js';
import { MonitoringCheckModel } from '../history/history.model.js';
import type { Host } from '../hosts/host.model.js';
import { ServiceModel, type Service } from '../services/service.model.js';

export interface RecoverySettings {
  /** Wait after the action before checking again. */
  recheckDelayMs: number;
  actionTimeoutMs: number;
}

export interface RecoveryOutcome {
  attempted: boolean;
  action: RecoverAction | null;
  success: boolean | null;
  message: string;
  /** The check run after the action, when there was one. */
  recheck: FinishedCheck | null;
  gaveUp: boolean;
}

/**
 * Decides whether automatic recovery of a service may run now: an outcome when it must wait (an environment
 * that requires an operator's approval), null when it may go ahead.
 */
export interface RecoveryGate {
  hold(service: Service, action: RecoverAction, historyId: string | null, now: Date): Promise<RecoveryOutcome | null>;
}

/**
 * Brings a down service back: systemctl restart/reload/start/stop or an
 * allow-listed script over SSH, then a re-check. At most
 * max_recovery_attempts within recovery_cooldown_sec; past that it gives up
 * and the service needs a person. Callers hold the service's check lease, so
 * two processes never recover one service at once.
 */
export class RecoveryService {
  constructor(
    private readonly ssh: SshPool,
    private readonly targets: SshTargets,
    private readonly checkers: CheckerRegistry,
    private readonly scripts: CommandAllowList,
    private readonly events: EventBus,
    private readonly settings: RecoverySettings,
    private readonly logger: Logger = silentLogger,
    private readonly gate: RecoveryGate | null = null,
  ) {}

  /** Automatic recovery of a service found down (recover_on_down), unless its gate holds it for an approval. */
  async recoverOnDown(service: Service, host: Host, historyId: string | null, now = new Date()): Promise<RecoveryOutcome> {
    const held = await this.gate?.hold(service, service.recovery.recover_action, historyId, now);
    if (held) {
      await this.annotate(historyId, { recovery_attempted: false, recovery_message: held.message });
      return held;
    }
    return this.recover(service, host, service.recovery.recover_action, historyId, now);
  }

  async recover(service: Service, host: Host, action: RecoverAction, historyId: string | null, now = new Date()): Promise<RecoveryOutcome> {
    const { max_recovery_attempts: max, recovery_cooldown_sec: cooldownSec } = service.recovery;
    const recent = (service.recovery_attempts ?? []).filter((at) => +at > +now - cooldownSec * 1000);
    if (recent.length >= max) return this.giveUp(service, host, historyId, recent.length, now);
    return this.attempt(service, host, action, historyId, recent, now);
  }

  private async attempt(service: Service, host: Host, action: RecoverAction, historyId: string | null, recent: Date[], now: Date): Promise<RecoveryOutcome> {
    // A new round of attempts after the cooldown: a later give-up is news again.
    await ServiceModel.updateOne(
      { service_id: service.service_id },
      { $set: { recovery_attempts: [...recent, now], recovery_gave_up_at: null } },
      { timestamps: false },
    );
    this.events.publish('recovery.event', { ...about(service, historyId), kind: 'attempted', action, message: null, at: now });
    this.logger.info('recovery started', { ...ids(service), action, attempt: recent.length + 1, max_attempts: service.recovery.max_recovery_attempts, history_id: historyId });
    let message: string;
    let recheck: FinishedCheck | null = null;
    try {
      const result = await this.ssh.exec(await this.targets.for(host), this.command(service, host, action), AbortSignal.timeout(this.settings.actionTimeoutMs));
      if (result.code !== 0) throw new Error(`${action} exited ${result.code ?? result.signal}: ${(result.stderr || result.stdout).trim().slice(0, 500)}`);
      await new Promise((resolve) => setTimeout(resolve, this.settings.recheckDelayMs));
      recheck = await runCheck(this.checkers[service.monitoring.method], service, host);
      message = `${action} done; re-check found ${recheck.status}`;
    } catch (error) {
      message = `${action} failed: ${(error as Error).message}`;
    }
    // Recorded on the history entry, published and logged: no secret and no file path of the monitor in it.
    message = scrubText(message, { secrets: checkSecrets(service, host), paths: true });
    const success = recheck !== null && (recheck.status === 'running' || recheck.status === 'warning');
    const at = new Date();
    await this.annotate(historyId, { recovery_attempted: true, recovery_action: action, recovery_success: success, recovery_message: message, recovery_at: at });
    this.events.publish('recovery.event', { ...about(service, historyId), kind: success ? 'succeeded' : 'failed', action, message, at });
    if (success) this.logger.info('recovery succeeded', { ...ids(service), action, message, history_id: historyId });
    else this.logger.warn('recovery failed', { ...ids(service), action, message, history_id: historyId });
    return { attempted: true, action, success, message, recheck, gaveUp: false };
  }

  private command(service: Service, host: Host, action: RecoverAction): string {
    if (action !== 'custom_script') return systemctlCommand(action, service.service_name, host.ssh_config?.use_sudo ?? false);
    const script = service.recovery.custom_script ? this.scripts.get(service.recovery.custom_script) : undefined;
    if (!script) throw new Error(`recovery script ${JSON.stringify(service.recovery.custom_script)} is not in the server's allow-list`);
    return script;
  }

  private async giveUp(service: Service, host: Host, historyId: string | null, attempts: number, now: Date): Promise<RecoveryOutcome> {
    const message = `gave up: ${attempts} attempts within ${service.recovery.recovery_cooldown_sec} s`;
    // Every check in the cooldown says so; only the first give-up is an event (and is what replay finds).
    await this.annotate(historyId, { recovery_attempted: false, recovery_message: message, ...(service.recovery_gave_up_at ? {} : { recovery_at: now }) });
    if (!service.recovery_gave_up_at) {
      await ServiceModel.updateOne({ service_id: service.service_id }, { $set: { recovery_gave_up_at: now } }, { timestamps: false });
      this.events.publish('recovery.event', { ...about(service, historyId), kind: 'gave_up', action: null, message, at: now });
      this.logger.warn('recovery gave up', { ...ids(service), attempts, cooldown_sec: service.recovery.recovery_cooldown_sec, history_id: historyId });
    }
    return { attempted: false, action: null, success: null, message, recheck: null, gaveUp: true };
  }

  private async annotate(historyId: string | null, fields: Record<string, unknown>): Promise<void> {
    if (historyId) await MonitoringCheckModel.updateOne({ _id: historyId }, { $set: fields });
  }
}

function ids(service: Service) {
  return { service_id: service.service_id, host_id: service.host_id };
}

function about(service: Service, historyId: string | null) {
  return { service_id: service.service_id, host_id: service.host_id, labels: serviceLabels(service), history_id: historyId };
}
