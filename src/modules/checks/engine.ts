import { randomUUID } from 'node:crypto';
import type { AnyBulkWriteOperation } from 'mongodb';
import { ConflictError, NotFoundError } from '../../common/errors.js';
import { isFailureStatus, type RecoverAction } from '../../common/enums.js';
import type { EventBus } from '../../events/event-bus.js';
import type { CheckRecorder, Lease } from '../history/check-recorder.js';
import type { CheckResult, RecordedCheck } from '../history/check-result.js';
import { HostModel, type Host } from '../hosts/host.model.js';
import type { RecoveryOutcome, RecoveryService } from '../recovery/recovery.service.js';
import { ServiceModel, type Service } from '../services/service.model.js';
import { serviceLabels } from '../services/service-labels.js';
import type { CheckerRegistry } from './registry.js';
import { runCheck } from './run-check.js';

export interface EngineSettings {
  /** Checks this process runs at once. */
  concurrency: number;
  /** How long a claim holds a service; a crashed worker's services are taken over after it. */
  leaseMs: number;
  /** Most services claimed per round trip. */
  batchSize: number;
}

export interface CheckRun {
  result: CheckResult;
  recorded: RecordedCheck;
  recovery: RecoveryOutcome | null;
}

const CHECKED_HOST_STATUS = 'active';

/**
 * Runs checks of due services. A service is claimed with a lease
 * (`lease_owner`, `lease_until`) in one updateMany, so however many workers
 * run, each due time is checked once; results are written in batches; the
 * next due time is set when the lease is released.
 */
export class CheckEngine {
  private running = 0;
  /** One claim query at a time per process: parallel claims would only scan the same due services. */
  private claiming = false;
  private readonly stop = new AbortController();

  constructor(
    private readonly checkers: CheckerRegistry,
    private readonly recorder: CheckRecorder,
    private readonly recovery: RecoveryService,
    private readonly events: EventBus,
    private readonly settings: EngineSettings,
  ) {}

  get busy(): number {
    return this.running;
  }

  /** Claims what is due, up to free capacity, and checks it; resolves when that batch is written. */
  async dispatchDue(now = new Date()): Promise<number> {
    const capacity = Math.min(this.settings.concurrency - this.running, this.settings.batchSize);
    if (capacity <= 0 || this.stop.signal.aborted || this.claiming) return 0;
    const token = randomUUID();
    this.claiming = true;
    let services: Service[];
    try {
      services = await this.claim(token, capacity, now);
    } finally {
      this.claiming = false;
    }
    if (services.length === 0) return 0;
    this.running += services.length;
    try {
      await this.checkBatch(services, token);
    } finally {
      this.running -= services.length;
    }
    return services.length;
  }

  /** An operator's check now, outside the schedule; refused while a scheduled one holds the service. */
  async runNow(serviceId: string): Promise<CheckRun> {
    return this.holding(serviceId, async (service, token) => (await this.checkBatch([service], token, { keepSchedule: true }))[0]!);
  }

  /**
   * An operator's recovery now, whatever the service's recovery settings say; subject to the same limits.
   * The check and the recovery run under one lease, so no other process checks or recovers it meanwhile.
   */
  async recoverNow(serviceId: string, action: RecoverAction): Promise<RecoveryOutcome> {
    return this.holding(serviceId, async (claimed, token) => {
      const [run] = await this.checkBatch([claimed], token, { keepSchedule: true });
      if (run!.recovery) return run!.recovery;
      const service = await ServiceModel.findOne({ service_id: serviceId }).lean<Service>();
      const host = await HostModel.findOne({ host_id: service!.host_id }).lean<Host>();
      return this.recovery.recover(service!, host!, action, run!.recorded.history_id);
    });
  }

  /** Claims one service for an operator's action (CONFLICT while a check holds it), runs it, then lets it go. */
  private async holding<T>(serviceId: string, work: (service: Service, token: string) => Promise<T>): Promise<T> {
    const token = randomUUID();
    const now = new Date();
    const service = await ServiceModel.findOneAndUpdate(
      { service_id: serviceId, $or: [{ lease_until: null }, { lease_until: { $lt: now } }] },
      { $set: { lease_owner: token, lease_until: new Date(+now + this.settings.leaseMs) } },
      { returnDocument: 'after', timestamps: false },
    ).lean<Service>();
    if (!service) {
      if (!(await ServiceModel.exists({ service_id: serviceId }))) throw new NotFoundError('service', serviceId);
      throw new ConflictError(`a check of ${serviceId} is running; try again in a moment`);
    }
    try {
      return await work(service, token);
    } finally {
      await ServiceModel.updateOne({ service_id: serviceId, lease_owner: token }, { $set: { lease_owner: null, lease_until: null } }, { timestamps: false });
    }
  }

  shutdown(): void {
    this.stop.abort();
  }

  private async claim(token: string, limit: number, now: Date): Promise<Service[]> {
    const due = { 'monitoring.enabled': true, next_check_at: { $lte: now }, $or: [{ lease_until: null }, { lease_until: { $lt: now } }] };
    const candidates = await ServiceModel.find(due, { service_id: 1 }).sort({ next_check_at: 1 }).limit(limit).lean();
    if (candidates.length === 0) return [];
    await ServiceModel.updateMany(
      { ...due, service_id: { $in: candidates.map((c) => c.service_id) } },
      { $set: { lease_owner: token, lease_until: new Date(+now + this.settings.leaseMs) } },
      { timestamps: false },
    );
    return ServiceModel.find({ lease_owner: token }).lean<Service[]>();
  }

  private async checkBatch(services: Service[], token: string, options: { keepSchedule?: boolean } = {}): Promise<CheckRun[]> {
    const hosts = new Map(
      (await HostModel.find({ host_id: { $in: [...new Set(services.map((s) => s.host_id))] } }).lean<Host[]>()).map((h) => [h.host_id, h]),
    );
    const checkable = services.filter((s) => hosts.get(s.host_id)?.status === CHECKED_HOST_STATUS || options.keepSchedule);
    const results = await Promise.all(checkable.map((s) => runCheck(this.checkers[s.monitoring.method], s, hosts.get(s.host_id)!, this.stop.signal)));
    // A service about to be recovered keeps its lease until the recovery is done: no other process may check or
    // recover it meanwhile.
    const heldForRecovery = new Set(checkable.filter((s, i) => mayRecover(s, hosts.get(s.host_id)!, results[i]!.status)).map((s) => s.service_id));
    const now = Date.now();
    const leases = new Map(
      options.keepSchedule
        ? []
        : checkable.map((s) => [s.service_id, this.leaseOf(s, token, nextDue(s, now), !heldForRecovery.has(s.service_id))] as const),
    );
    const { recorded } = await this.recorder.record(results, leases);
    const runs = await Promise.all(
      recorded.map(async (entry) => {
        const service = checkable.find((s) => s.service_id === entry.service_id)!;
        this.announce(entry, service, options.keepSchedule ? null : service.next_check_at);
        const result = results.find((r) => r.service_id === entry.service_id)!;
        return { result, recorded: entry, recovery: await this.recoverIfDown(service, hosts.get(service.host_id)!, entry) };
      }),
    );
    // Services checked were released with their results; the rest (recovered, hosts in maintenance, deleted meanwhile) here.
    const released = new Set(recorded.map((r) => r.service_id).filter((id) => !heldForRecovery.has(id)));
    if (!options.keepSchedule) await this.release(services.filter((s) => !released.has(s.service_id)), token);
    return runs;
  }

  /**
   * The claim as the recorder sees it: the write may skip the `lease_owner` filter while over half the lease
   * remains (no other process can have claimed the service; a wide margin for clock skew and slow writes).
   */
  private leaseOf(service: Service, token: string, nextCheckAt: Date, release: boolean): Lease {
    return { token, unguarded_until: new Date(+service.lease_until! - this.settings.leaseMs / 2), next_check_at: nextCheckAt, release };
  }

  private async recoverIfDown(service: Service, host: Host, entry: RecordedCheck): Promise<RecoveryOutcome | null> {
    if (!isFailureStatus(entry.status)) {
      if (service.recovery_gave_up_at) await ServiceModel.updateOne({ service_id: service.service_id }, { $set: { recovery_gave_up_at: null, recovery_attempts: [] } });
      return null;
    }
    if (!mayRecover(service, host, entry.status) || entry.late) return null;
    const outcome = await this.recovery.recover(service, host, service.recovery.recover_action, entry.history_id);
    if (outcome.recheck) {
      const { recorded } = await this.recorder.record([outcome.recheck]);
      recorded.forEach((r) => this.announce(r, service, null));
    }
    return outcome;
  }

  private announce(entry: RecordedCheck, service: Service, dueAt: Date | null): void {
    const base = { service_id: entry.service_id, host_id: entry.host_id, labels: serviceLabels(service), history_id: entry.history_id, at: entry.timestamp, recorded_at: entry.recorded_at };
    this.events.publish('check.completed', { ...base, status: entry.status, due_at: dueAt });
    if (entry.status_changed) this.events.publish('service.status-changed', { ...base, previous_status: entry.previous_status, status: entry.status });
  }

  /** Frees claimed services that have no result to carry the release, and sets their next due time. */
  private async release(services: Service[], token: string): Promise<void> {
    if (services.length === 0) return;
    const now = Date.now();
    const ops: AnyBulkWriteOperation[] = services.map((s) => ({
      updateOne: {
        filter: { service_id: s.service_id, lease_owner: token },
        update: { $set: { lease_owner: null, lease_until: null, next_check_at: nextDue(s, now) } },
      },
    }));
    await ServiceModel.collection.bulkWrite(ops, { ordered: false });
  }
}

function mayRecover(service: Service, host: Host, status: RecordedCheck['status']): boolean {
  return isFailureStatus(status) && service.recovery.recover_on_down && host.status === CHECKED_HOST_STATUS;
}

/**
 * One interval after this due time (a steady rate). A check run so late that the
 * next would follow within half an interval skips the runs it missed but keeps
 * its phase: rescheduling late services from "now" would put a whole late batch
 * on one due time, and that clump would come back every interval.
 */
export function nextDue(service: Pick<Service, 'next_check_at' | 'monitoring'>, now: number): Date {
  const intervalMs = service.monitoring.interval_sec * 1000;
  const onSchedule = +(service.next_check_at ?? now) + intervalMs;
  const missed = Math.max(0, Math.ceil((now + intervalMs / 2 - onSchedule) / intervalMs));
  return new Date(onSchedule + missed * intervalMs);
}
