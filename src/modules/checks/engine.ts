import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnyBulkWriteOperation } from 'mongodb';
import { ConflictError, NotFoundError } from '../../common/errors.js';
import { isDownStatus, isFailureStatus, type RecoverAction } from '../../common/enums.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import type { EventBus } from '../../events/event-bus.js';
import type { CheckRecorder } from '../history/check-recorder.js';
import type { CheckResult, RecordedCheck } from '../history/check-result.js';
import { MonitoringCheckModel, type MonitoringCheck } from '../history/history.model.js';
import { readHost } from '../hosts/host-read.js';
import { HostModel, type Host } from '../hosts/host.model.js';
import type { RecoveryOutcome, RecoveryService } from '../recovery/recovery.service.js';
import { ServiceModel, type Service } from '../services/service.model.js';
import { serviceLabels } from '../services/service-labels.js';
import { checkBlockers, notRunnable } from './claimed.js';
import type { CheckerRegistry } from './registry.js';
import { ResultWriter, type WriteSample } from './result-writer.js';
import { checkBudgetMs, resultOf, runCheck, type FinishedCheck } from './run-check.js';

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
/** The interval a service is rescheduled at when its stored one cannot drive a schedule (the model's default). */
const FALLBACK_INTERVAL_SEC = 60;
/** Longest a claim query may run on the server: a database too busy to answer in this time is not claimed from. */
export const CLAIM_MAX_TIME_MS = 5_000;
/** How often an operator's check, waiting for another process's check of the service, looks again. */
export const OPERATOR_WAIT_POLL_MS = 200;
/** Beyond the check's own budget, how long an operator's check waits for another's result to be written. */
export const OPERATOR_WAIT_MARGIN_MS = 2_000;

/**
 * Runs checks of due services. A service is claimed with a lease
 * (`lease_owner`, `lease_until`) in one updateMany, so however many workers
 * run, each due time is checked once. Each check's result goes to the result
 * writer as soon as the check finishes (small batches by time and size); the
 * lease is released, with the next due time, in the same write, and recovery
 * follows per service once its own result is written.
 */
export class CheckEngine {
  /** Claimed services whose check has not finished yet. */
  private running = 0;
  /** Finished checks whose result (or recovery) is not written yet: they hold no connection, only memory. */
  private finishing = 0;
  /** One claim query at a time per process: parallel claims would only find the same due services and race for them. */
  private claiming = false;
  private readonly stop = new AbortController();
  private readonly writer: ResultWriter;
  /** This process's checks under way, by service: an operator's check of one waits for it instead of a CONFLICT. */
  private readonly inFlight = new Map<string, Promise<CheckRun | null>>();

  constructor(
    private readonly checkers: CheckerRegistry,
    recorder: CheckRecorder,
    private readonly recovery: RecoveryService,
    private readonly events: EventBus,
    private readonly settings: EngineSettings,
    /** The API's reading of a stored service (ServiceService.read): claimed services are checked as they read. */
    private readonly readService: (raw: unknown) => Service,
    private readonly logger: Logger = silentLogger,
  ) {
    this.writer = new ResultWriter(recorder, logger);
  }

  /** Claimed services not done yet: checking, or waiting for their result to be written. */
  get busy(): number {
    return this.running + this.finishing;
  }

  /** Called with every result written: when its check finished and when the write was acknowledged. */
  observeWrites(listener: (sample: WriteSample) => void): () => void {
    return this.writer.observe(listener);
  }

  /**
   * Claims what is due, up to free capacity, and checks it. Each result is written as its check finishes;
   * resolves with the number claimed once all of them are written (and any recovery is done).
   */
  async dispatchDue(now = new Date()): Promise<number> {
    const { claimed, runs } = await this.begin(now);
    await Promise.all(runs);
    return claimed;
  }

  /**
   * Claims what is due, up to free capacity, and starts checking it; resolves with the number claimed as soon
   * as their checks are under way. The engine keeps track of them (`busy`, `settled()`): the caller (a dispatch
   * slice) can claim again, or end, without waiting for a slow check. Capacity frees up check by check.
   */
  async startDue(now = new Date()): Promise<number> {
    return (await this.begin(now)).claimed;
  }

  private async begin(now: Date): Promise<{ claimed: number; runs: Promise<unknown>[] }> {
    // A finished check frees its place at once (a hanging check's neighbours, waiting for a write, do not keep
    // due services unclaimed); at most `concurrency` more wait for their write, so a stalled database stops claims.
    const capacity = Math.min(
      this.settings.concurrency - this.running,
      2 * this.settings.concurrency - this.running - this.finishing,
      this.settings.batchSize,
    );
    if (capacity <= 0 || this.stop.signal.aborted || this.claiming) return { claimed: 0, runs: [] };
    const token = randomUUID();
    this.claiming = true;
    let services: Service[];
    try {
      services = await this.claim(token, capacity, now);
    } finally {
      this.claiming = false;
    }
    if (services.length === 0) return { claimed: 0, runs: [] };
    this.running += services.length;
    let hosts: Map<string, Host>;
    try {
      hosts = await this.hostsOf(services);
    } catch (error) {
      this.running -= services.length;
      // Let them go at once (still due), rather than leave them to their lease running out.
      await this.unclaim(services, token).catch(() => {});
      throw error;
    }
    const checkable = services.filter((s) => hosts.get(s.host_id)?.status === CHECKED_HOST_STATUS);
    const skipped = services.filter((s) => !checkable.includes(s));
    const runs = checkable.map((s) => this.track(s.service_id, this.scheduledRun(s, hosts.get(s.host_id)!, token, now)));
    try {
      // Hosts in maintenance, gone, or of a status this server does not know: not checked, next due one interval on.
      await this.release(
        skipped.map((s) => ({ service: s, next: nextDue(s, Date.now()) })),
        token,
      );
    } finally {
      this.running -= skipped.length;
    }
    return { claimed: services.length, runs };
  }

  /**
   * An operator's check now, outside the schedule. While a check of the service runs (scheduled or another
   * operator's), waits for it and returns its result: in this process by its promise, across processes by
   * watching the lease and `last_check`, at most the check's time budget; a fresh check when the lease clears
   * without a new result.
   */
  async runNow(serviceId: string): Promise<CheckRun> {
    const underway = this.inFlight.get(serviceId);
    if (underway) {
      const run = await underway.catch(() => null);
      if (run) return run;
    }
    return this.track(
      serviceId,
      this.holding(serviceId, (service) => this.operatorRun(service), () => this.latestRun(serviceId)),
    );
  }

  /**
   * A fresh check now, after whatever check of the service is under way (whose result may predate what this one
   * must see: a heartbeat's ping). Across processes it waits for the lease to clear, then claims it.
   */
  async checkAfterSignal(serviceId: string): Promise<CheckRun> {
    await this.inFlight.get(serviceId)?.catch(() => null);
    return this.track(serviceId, this.holding(serviceId, (service) => this.operatorRun(service)));
  }

  /**
   * An operator's recovery now, whatever the service's recovery settings say; subject to the same limits.
   * The check and the recovery run under one lease, so no other process checks or recovers it meanwhile;
   * a check under way is waited for first (as runNow does), then a fresh one runs.
   */
  async recoverNow(serviceId: string, action: RecoverAction): Promise<RecoveryOutcome> {
    await this.inFlight.get(serviceId)?.catch(() => null);
    return this.holding(serviceId, async (claimed) => {
      const run = await this.operatorRun(claimed);
      if (run.recovery) return run.recovery;
      const service = await ServiceModel.findOne({ service_id: serviceId }).lean<Service>();
      const host = await HostModel.findOne({ host_id: service!.host_id }).lean<Host>();
      return this.recovery.recover(service!, host!, action, run.recorded.history_id);
    });
  }

  shutdown(): void {
    this.stop.abort();
  }

  /** Resolves once every check this process has under way is written (and any recovery done). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Registers a check of this process under way until it settles. */
  private track<T extends CheckRun | null>(serviceId: string, run: Promise<T>): Promise<T> {
    this.inFlight.set(serviceId, run);
    const forget = () => {
      if (this.inFlight.get(serviceId) === run) this.inFlight.delete(serviceId);
    };
    run.then(forget, forget);
    return run;
  }

  /**
   * Claims one service for an operator's action, runs it, then lets it go. While another holds it: with
   * `latest`, the result that holder writes (last_check moves) is the answer; else, or when the lease clears
   * without a new result, the service is claimed as soon as it is free. CONFLICT only when neither happens
   * within the check's time budget and a margin.
   */
  private async holding<T>(serviceId: string, work: (service: Service) => Promise<T>, latest?: () => Promise<T | null>): Promise<T> {
    let waited: { lastCheck: number; deadline: number } | null = null;
    const state = async () => {
      const current = await ServiceModel.findOne({ service_id: serviceId }, { last_check: 1, monitoring: 1 }).lean<Pick<Service, 'last_check' | 'monitoring'>>();
      if (!current) throw new NotFoundError('service', serviceId);
      return current;
    };
    for (;;) {
      // The holder's result first: once it is written the lease is free too, and claiming would check again.
      if (waited && latest && +((await state()).last_check ?? 0) > waited.lastCheck) {
        const answer = await latest();
        if (answer) return answer;
      }
      const token = randomUUID();
      const now = new Date();
      const claimed = await ServiceModel.findOneAndUpdate(
        { service_id: serviceId, $or: [{ lease_until: null }, { lease_until: { $lt: now } }] },
        { $set: { lease_owner: token, lease_until: new Date(+now + this.settings.leaseMs) } },
        { returnDocument: 'after', timestamps: false },
      ).lean<Service>();
      if (claimed) {
        const service = this.readService(claimed);
        try {
          return await work(service);
        } finally {
          await ServiceModel.updateOne({ service_id: serviceId, lease_owner: token }, { $set: { lease_owner: null, lease_until: null } }, { timestamps: false });
        }
      }
      if (!waited) {
        const current = await state();
        waited = { lastCheck: +(current.last_check ?? 0), deadline: Date.now() + checkBudgetMs(current) + OPERATOR_WAIT_MARGIN_MS };
      }
      if (Date.now() > waited.deadline) throw new ConflictError(`a check of ${serviceId} is running and did not finish in time; try again in a moment`);
      await sleep(OPERATOR_WAIT_POLL_MS);
    }
  }

  /** The service's latest written check, as a run (another process wrote it; its recovery as far as recorded). */
  private async latestRun(serviceId: string): Promise<CheckRun | null> {
    const [entry, service] = await Promise.all([
      MonitoringCheckModel.findOne({ service_id: serviceId }).sort({ timestamp: -1 }).lean<MonitoringCheck>(),
      ServiceModel.findOne({ service_id: serviceId }, { consecutive_failures: 1 }).lean<Pick<Service, 'consecutive_failures'>>(),
    ]);
    if (!entry) return null;
    const previous = entry.previous_status ?? entry.status;
    const result: CheckResult = {
      service_id: entry.service_id,
      timestamp: entry.timestamp,
      status: entry.status,
      check_type: entry.check_type,
      status_code: entry.status_code,
      response_time_ms: entry.response_time_ms,
      metrics: entry.metrics,
      error: entry.error,
      error_details: entry.error_details,
    };
    const recorded: RecordedCheck = {
      history_id: String(entry._id),
      service_id: entry.service_id,
      host_id: entry.host_id,
      timestamp: entry.timestamp,
      recorded_at: entry.recorded_at ?? entry.timestamp,
      previous_status: previous,
      status: entry.late ? previous : entry.status,
      status_changed: !entry.late && previous !== entry.status,
      consecutive_failures: service?.consecutive_failures ?? 0,
      response_time_ms: entry.response_time_ms ?? null,
      tls_days_left: typeof entry.metrics?.custom?.tls_days_left === 'number' ? entry.metrics.custom.tls_days_left : null,
      late: entry.late ?? false,
    };
    const recovery: RecoveryOutcome | null = entry.recovery_message
      ? {
          attempted: entry.recovery_attempted,
          action: entry.recovery_action ?? null,
          success: entry.recovery_success ?? null,
          message: entry.recovery_message,
          recheck: null,
          gaveUp: !entry.recovery_attempted,
        }
      : null;
    return { result, recorded, recovery };
  }

  private async claim(token: string, limit: number, now: Date): Promise<Service[]> {
    const due = {
      // A service without the flag (written by other tools) reads as enabled, its default; null also matches a missing field.
      'monitoring.enabled': { $in: [true, null] },
      // A service without next_check_at is due at once; null sorts first.
      $and: [{ $or: [{ next_check_at: { $lte: now } }, { next_check_at: null }] }, { $or: [{ lease_until: null }, { lease_until: { $lt: now } }] }],
    };
    const candidates = await ServiceModel.find(due).sort({ next_check_at: 1 }).limit(limit).maxTimeMS(CLAIM_MAX_TIME_MS).lean<Service[]>();
    if (candidates.length === 0) return [];
    const until = new Date(+now + this.settings.leaseMs);
    const { modifiedCount } = await ServiceModel.updateMany(
      { ...due, service_id: { $in: candidates.map((c) => c.service_id) } },
      { $set: { lease_owner: token, lease_until: until } },
      { timestamps: false, maxTimeMS: CLAIM_MAX_TIME_MS },
    );
    // All claimed (the usual case): the documents just read are what was claimed, so no second read.
    const claimed =
      modifiedCount === candidates.length
        ? candidates.map((c) => ({ ...c, lease_owner: token, lease_until: until }))
        : // Another process claimed some meanwhile: read back which are ours (by their unique key, then the lease).
          await ServiceModel.find({ service_id: { $in: candidates.map((c) => c.service_id) }, lease_owner: token }).maxTimeMS(CLAIM_MAX_TIME_MS).lean<Service[]>();
    return claimed.map((raw) => this.readService(raw));
  }

  /** Hosts as the API reads them: one without `status` is active; one whose status this server does not know is not checked. */
  private async hostsOf(services: Service[]): Promise<Map<string, Host>> {
    const hosts = await HostModel.find({ host_id: { $in: [...new Set(services.map((s) => s.host_id))] } }).maxTimeMS(CLAIM_MAX_TIME_MS).lean<Host[]>();
    return new Map(hosts.map((raw) => readHost(raw)).map((h) => [h.host_id, h]));
  }

  /**
   * One claimed service: check, hand the result to the writer (which releases the lease with the next due
   * time), announce it, then recover if it is down. A service about to be recovered keeps its lease until the
   * recovery is done, so no other process checks or recovers it meanwhile.
   */
  private async scheduledRun(service: Service, host: Host, token: string, claimedAt: Date): Promise<CheckRun | null> {
    let next = nextDue(service, Date.now());
    let held = true;
    let checking = true;
    try {
      const check = await this.check(service, host).finally(() => {
        checking = false;
        this.running--;
        this.finishing++;
      });
      next = check.next_due_at ?? nextDue(service, check.finished_at, +check.timestamp);
      const recover = mayRecover(service, host, check.status);
      const entry = await this.writer.write(resultOf(check), { token, next_check_at: next, release: !recover }, check.finished_at);
      held = recover;
      if (!entry) return null;
      this.announce(entry, service, service.next_check_at ?? claimedAt);
      const recovery = await this.afterWrite(service, host, entry);
      return { result: check, recorded: entry, recovery };
    } catch (error) {
      this.logger.error('check failed to complete', { service_id: service.service_id, host_id: service.host_id, reason: reasonOf(error) });
      return null;
    } finally {
      if (held) await this.release([{ service, next }], token).catch((error: unknown) => this.logger.error('releasing a checked service failed', { service_id: service.service_id, host_id: service.host_id, reason: reasonOf(error) }));
      if (checking) this.running--;
      else this.finishing--;
    }
  }

  /** An operator's check under the operator's own claim: the schedule stays as it is. */
  private async operatorRun(service: Service): Promise<CheckRun> {
    const host = await HostModel.findOne({ host_id: service.host_id }).lean<Host>();
    if (!host) throw new NotFoundError('host', service.host_id);
    const check = await this.check(service, readHost(host));
    const entry = await this.writer.write(resultOf(check), undefined, check.finished_at);
    if (!entry) throw new NotFoundError('service', service.service_id);
    // Held under this claim, so no scheduled run moves it meanwhile.
    if (check.next_due_at) await ServiceModel.updateOne({ service_id: service.service_id }, { $set: { next_check_at: check.next_due_at } }, { timestamps: false });
    this.announce(entry, service, null);
    return { result: check, recorded: entry, recovery: await this.afterWrite(service, host, entry) };
  }

  /** Runs the service's check, unless its stored configuration keeps it from running: then `unknown`, saying why. */
  private check(service: Service, host: Host): Promise<FinishedCheck> {
    const blockers = checkBlockers(service);
    if (blockers.length > 0) return Promise.resolve(notRunnable(service, blockers));
    return runCheck(this.checkers[service.monitoring.method], service, host, this.stop.signal);
  }

  /** After a result is written: clears a give-up once the service is healthy again, or recovers it when it is down. */
  private async afterWrite(service: Service, host: Host, entry: RecordedCheck): Promise<RecoveryOutcome | null> {
    if (!isFailureStatus(entry.status)) {
      if (service.recovery_gave_up_at) await ServiceModel.updateOne({ service_id: service.service_id }, { $set: { recovery_gave_up_at: null, recovery_attempts: [] } });
      return null;
    }
    if (!mayRecover(service, host, entry.status) || entry.late) return null;
    const outcome = await this.recovery.recoverOnDown(service, host, entry.history_id);
    if (outcome.recheck) {
      const recheck = outcome.recheck as FinishedCheck;
      const written = await this.writer.write(resultOf(recheck), undefined, recheck.finished_at ?? Date.now());
      if (written) this.announce(written, service, null);
    }
    return outcome;
  }

  private announce(entry: RecordedCheck, service: Service, dueAt: Date | null): void {
    const base = { service_id: entry.service_id, host_id: entry.host_id, labels: serviceLabels(service), history_id: entry.history_id, at: entry.timestamp, recorded_at: entry.recorded_at };
    this.events.publish('check.completed', {
      ...base,
      status: entry.status,
      due_at: dueAt,
      method: service.monitoring?.method ?? 'systemd',
      response_time_ms: entry.response_time_ms,
      tls_days_left: entry.tls_days_left,
      consecutive_failures: entry.consecutive_failures,
      service_name: service.service_name,
    });
    if (!entry.status_changed) return;
    this.events.publish('service.status-changed', { ...base, previous_status: entry.previous_status, status: entry.status });
    this.logger.info('service status changed', {
      service_id: entry.service_id,
      host_id: entry.host_id,
      from: entry.previous_status,
      to: entry.status,
      history_id: entry.history_id,
    });
  }

  /** Lets claimed services go without checking them, still due as they were. */
  private async unclaim(services: Service[], token: string): Promise<void> {
    await ServiceModel.updateMany({ service_id: { $in: services.map((s) => s.service_id) }, lease_owner: token }, { $set: { lease_owner: null, lease_until: null } }, { timestamps: false });
  }

  /** Frees claimed services that have no result to carry the release, and sets their next due time. */
  private async release(services: { service: Service; next: Date }[], token: string): Promise<void> {
    if (services.length === 0) return;
    const ops: AnyBulkWriteOperation[] = services.map(({ service, next }) => ({
      updateOne: {
        filter: { service_id: service.service_id, lease_owner: token },
        update: { $set: { lease_owner: null, lease_until: null, next_check_at: next } },
      },
    }));
    await ServiceModel.collection.bulkWrite(ops, { ordered: false });
  }
}

/** Recovery acts on services found down; `unknown` (the check could not run) never triggers it. */
function mayRecover(service: Service, host: Host, status: RecordedCheck['status']): boolean {
  return isDownStatus(status) && service.recovery.recover_on_down && host.status === CHECKED_HOST_STATUS;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * When a service is due again: the first due time of its schedule (previous due + k intervals) that is not
 * truly missed, so the cadence is the interval whatever the check took. A due time is missed when it is less
 * than half an interval after this check started (a check started that late stands in for it: two checks
 * never start closer than half an interval), or over half an interval before it finished (no backlog after a
 * stall). How long the check took never skips a run: one that took 90% of its interval is due again on
 * schedule, and one that ran a little past its next due time is due at once. The phase is kept (rescheduling
 * late services from "now" would put a whole late batch on one due time, and that clump would come back every
 * interval).
 *
 * `startedAt` (when the check began) defaults to `finishedAt`; a service never scheduled counts from its start. A
 * stored interval under a second (another tool wrote it; its check is not run) schedules at the default, 60 s.
 */
export function nextDue(service: Pick<Service, 'next_check_at' | 'monitoring'>, finishedAt: number, startedAt = finishedAt): Date {
  const intervalSec = service.monitoring.interval_sec >= 1 ? service.monitoring.interval_sec : FALLBACK_INTERVAL_SEC;
  const intervalMs = intervalSec * 1000;
  const onSchedule = +(service.next_check_at ?? startedAt) + intervalMs;
  const earliest = Math.max(startedAt + intervalMs / 2, finishedAt - intervalMs / 2);
  const skipped = Math.max(0, Math.ceil((earliest - onSchedule) / intervalMs));
  return new Date(onSchedule + skipped * intervalMs);
}
