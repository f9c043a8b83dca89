import { Types } from 'mongoose';
import { isFailureStatus } from '../../common/enums.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import type { DomainEvents, EventBus, IncidentChangeKind } from '../../events/event-bus.js';
import { MonitoringCheckModel } from '../history/history.model.js';
import { ChannelService } from './channel.service.js';
import { IncidentEvaluator, resolveIncident, type CheckOutcome } from './incident-evaluator.js';
import { appendTimeline, timelineEntry } from './incident-log.js';
import { IncidentModel, type Incident, type TimelineKind } from './incident.model.js';
import { RecoveryApprovals } from './approvals.js';
import { EscalationPolicyService } from './escalation-policy.service.js';
import { Escalator } from './escalator.js';
import { IncidentService } from './incident.service.js';
import { Notifier } from './notifier.js';
import { DEFAULT_SENDER_SETTINGS, OutboxSender } from './outbox-sender.js';

export interface AlertingSettings {
  alertFailureThreshold: number;
  alertSuccessThreshold: number;
  alertGroupWaitSec: number;
  alertGroupIntervalSec: number;
  alertHostCorrelation: boolean;
  alertSweepSec: number;
  incidentRetentionDays: number;
  notificationRetentionDays: number;
  notifyTimeoutMs: number;
  notifyMaxAttempts: number;
  flapThreshold: number;
  flapWindowSec: number;
  recoveryApprovalTtlSec: number;
}

export const DEFAULT_ALERTING_SETTINGS: AlertingSettings = {
  alertFailureThreshold: 3,
  alertSuccessThreshold: 2,
  alertGroupWaitSec: 2,
  alertGroupIntervalSec: 60,
  alertHostCorrelation: true,
  alertSweepSec: 15,
  incidentRetentionDays: 90,
  notificationRetentionDays: 30,
  notifyTimeoutMs: 10_000,
  notifyMaxAttempts: 12,
  flapThreshold: 4,
  flapWindowSec: 3600,
  recoveryApprovalTtlSec: 1800,
};

/** Check results are evaluated in batches this often (two reads per batch, whatever its size). */
const EVALUATE_EVERY_MS = 250;

export type IncidentChanged = (incident: Pick<Incident, 'incident_id' | 'service_id' | 'host_id' | 'environment' | 'severity' | 'state'>, kind: IncidentChangeKind, at?: Date) => void;

const RECOVERY_KINDS: Record<DomainEvents['recovery.event']['kind'], TimelineKind> = {
  attempted: 'recovery_attempted',
  succeeded: 'recovery_succeeded',
  failed: 'recovery_failed',
  gave_up: 'recovery_gave_up',
};

/**
 * Alerting, wired: incidents follow the checks this process records (`check.completed` events, in batches),
 * recoveries are written on their incident's timeline, suppressed incidents are looked at again every
 * ALERT_SWEEP_SEC, and the outbox is sent by a sender in every process that runs checks.
 */
export class Alerting {
  readonly channels = new ChannelService();
  readonly sender: OutboxSender;
  readonly incidents: IncidentService;
  readonly policies = new EscalationPolicyService();
  readonly approvals: RecoveryApprovals;
  private readonly notifier: Notifier;
  private readonly escalator: Escalator;
  private readonly evaluator: IncidentEvaluator;
  private pending: { service_id: string; history_id: string; failing: boolean }[] = [];
  private evaluating: Promise<void> = Promise.resolve();
  private timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void)[] = [];

  constructor(
    private readonly settings: AlertingSettings = DEFAULT_ALERTING_SETTINGS,
    private readonly logger: Logger = silentLogger,
    private readonly events: EventBus | null = null,
  ) {
    const groupWaitMs = settings.alertGroupWaitSec * 1000;
    // Entries of one host queued within a second of each other go together even without a group wait.
    // A claimed notification stays this process's for two attempts' time and more: one that died frees it soon.
    const leaseMs = Math.max(15_000, 2 * settings.notifyTimeoutMs + 5_000);
    this.sender = new OutboxSender(this.channels, { ...DEFAULT_SENDER_SETTINGS, timeoutMs: settings.notifyTimeoutMs, maxAttempts: settings.notifyMaxAttempts, groupWindowMs: Math.max(groupWaitMs, 1_000), leaseMs }, logger);
    this.notifier = new Notifier(this.channels, { groupWaitMs, groupIntervalMs: settings.alertGroupIntervalSec * 1000, notificationRetentionDays: settings.notificationRetentionDays, flapWindowMs: settings.flapWindowSec * 1000 }, () => this.sender.wake(), this.changed);
    this.evaluator = new IncidentEvaluator({ defaults: { failure: settings.alertFailureThreshold, success: settings.alertSuccessThreshold }, retentionDays: settings.incidentRetentionDays, flapThreshold: settings.flapThreshold, flapWindowMs: settings.flapWindowSec * 1000, hostCorrelation: settings.alertHostCorrelation });
    this.incidents = new IncidentService(this.notifier, settings.incidentRetentionDays, this.changed);
    this.approvals = new RecoveryApprovals(settings.recoveryApprovalTtlSec * 1000);
    this.escalator = new Escalator(this.channels, settings.notificationRetentionDays, () => this.sender.wake());
  }

  /** Follows this process's checks and recoveries; with `send`, also sends the outbox. */
  start(events: EventBus, { send }: { send: boolean }): void {
    this.unsubscribe.push(
      events.subscribe('check.completed', (event) => {
        this.pending.push({ service_id: event.service_id, history_id: event.history_id, failing: isFailureStatus(event.status) });
      }),
      events.subscribe('recovery.event', (event) => this.onRecovery(event)),
      events.subscribe('service.changed', (event) => (event.kind === 'deleted' ? this.serviceDeleted(event.service_id, event.at) : undefined)),
    );
    this.timers.push(
      setInterval(() => void this.evaluatePending(), EVALUATE_EVERY_MS),
      setInterval(() => void this.sweep().catch((error: unknown) => this.warn('alerting sweep failed', error)), this.settings.alertSweepSec * 1000),
    );
    if (send) this.sender.start();
  }

  /** Evaluates the check results heard so far (the timer does it every 250 ms; tests call it to wait for it). */
  evaluatePending(now?: Date): Promise<void> {
    this.evaluating = this.evaluating.then(async () => {
      const batch = this.pending.splice(0);
      if (batch.length === 0) return;
      try {
        const { opened, resolved } = await this.evaluator.evaluate(await this.withErrors(batch), now);
        if (opened.length) this.logger.info('incidents opened', { count: opened.length, services: opened.slice(0, 10).map((i) => i.service_id) });
        opened.forEach((incident) => this.changed(incident, 'opened'));
        resolved.forEach((incident) => this.changed(incident, 'resolved'));
        await this.notifier.opened(opened, now);
        for (const incident of resolved) await this.notifier.transitioned(incident, 'resolved', null, now);
        if (resolved.length) this.logger.info('incidents resolved', { count: resolved.length, services: resolved.slice(0, 10).map((i) => i.service_id) });
      } catch (error) {
        // The results are in the database: the next check of each service evaluates it again.
        this.warn('evaluating check results for incidents failed', error);
      }
    });
    return this.evaluating;
  }

  /**
   * Looks at every suppressed or unsent open incident now, and queues the escalation steps due (the timer does it
   * every ALERT_SWEEP_SEC); resolves with how many incidents were notified.
   */
  async sweep(now?: Date): Promise<number> {
    const notified = await this.notifier.sweep(now);
    await this.escalator.sweep(now);
    return notified;
  }

  async stop(): Promise<void> {
    this.unsubscribe.splice(0).forEach((off) => off());
    this.timers.splice(0).forEach((timer) => clearInterval(timer));
    await this.evaluatePending();
    await this.sender.stop();
  }

  /** Tells this process's subscribers (and, through live, every process's) what happened to an incident. */
  private readonly changed: IncidentChanged = (incident, kind, at = new Date()) => {
    const { incident_id, service_id, host_id, environment, severity, state } = incident;
    this.events?.publish('incident.changed', { incident_id, service_id, host_id, environment, severity, state, kind, at });
  };

  private async withErrors(batch: { service_id: string; history_id: string; failing: boolean }[]): Promise<CheckOutcome[]> {
    const failingIds = batch.filter((b) => b.failing).map((b) => b.history_id);
    const errors = failingIds.length
      ? new Map(
          (await MonitoringCheckModel.find({ _id: { $in: failingIds.map((id) => new Types.ObjectId(id)) } }, { error: 1 }).lean<{ _id: Types.ObjectId; error: string | null }[]>()).map((h) => [
            String(h._id),
            h.error,
          ]),
        )
      : new Map<string, string | null>();
    return batch.map((b) => ({ service_id: b.service_id, error: errors.get(b.history_id) ?? null }));
  }

  /** A deleted service's open incident ends with it (and its channels hear so). */
  private async serviceDeleted(serviceId: string, at: Date): Promise<void> {
    const open = await IncidentModel.findOne({ open_service_id: serviceId }, { incident_id: 1 }).lean<Pick<Incident, 'incident_id'>>();
    if (!open) return;
    const resolved = await resolveIncident(open.incident_id, 'system', 'the service was deleted', this.settings.incidentRetentionDays, at);
    if (!resolved) return;
    this.changed(resolved, 'resolved', at);
    await this.notifier.transitioned(resolved, 'resolved', 'the service was deleted', at);
  }

  private async onRecovery(event: DomainEvents['recovery.event']): Promise<void> {
    const open = await IncidentModel.findOne({ open_service_id: event.service_id }, { incident_id: 1 }).lean<Pick<Incident, 'incident_id'>>();
    if (event.kind === 'attempted') await this.notifier.aboutToRecover(event, open?.incident_id ?? null);
    if (!open) return;
    if (event.kind === 'gave_up') await this.escalator.recoveryGaveUp(open.incident_id, event.message, event.at);
    const words = [event.action, event.message].filter(Boolean).join(': ') || null;
    await appendTimeline([open.incident_id], timelineEntry(RECOVERY_KINDS[event.kind], event.at, { actor: 'system', message: words }));
  }

  private warn(message: string, error: unknown): void {
    this.logger.warn(message, { reason: error instanceof Error ? error.message : String(error) });
  }
}
