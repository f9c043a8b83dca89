import type { AnyBulkWriteOperation } from 'mongodb';
import mongoose from 'mongoose';
import { isFailureStatus, type ServiceStatus } from '../../common/enums.js';
import { InvalidInputError, type FieldProblem } from '../../common/errors.js';
import { HostModel } from '../hosts/host.model.js';
import { ServiceModel } from '../services/service.model.js';
import { staleAt } from '../services/staleness.js';
import type { CheckResult, RecordedCheck, RecordOutcome } from './check-result.js';
import { MonitoringCheckModel } from './history.model.js';
import { observedInterval, toHourBuckets, type UpDown } from './uptime-math.js';
import { UptimeRollupModel } from './uptime-rollup.model.js';

export interface RecorderSettings {
  readonly historyRetentionDays: number;
  readonly staleAfterIntervals: number;
}

/** What the recorder needs to know of a service, updated in memory as a batch is applied in time order. */
interface ServiceState {
  service_id: string;
  host_id: string;
  /** Who holds the service's lease as loaded: a scheduled result is written only by its holder. */
  lease_owner: string | null;
  interval_sec: number;
  current_status: ServiceStatus;
  last_check: Date | null;
  consecutive_failures: number;
  last_status_change: Date | null;
  touched: boolean;
}

const DAY_MS = 86_400_000;

/**
 * A scheduled check's claim on its service, released when its result is written (unless `release` is false).
 * Only its holder writes: a worker that stalled past its lease, whose service another worker took over, writes
 * nothing (no history entry, no state, no rollup) and leaves the other worker's lease alone.
 */
export interface Lease {
  token: string;
  next_check_at: Date;
  /** False keeps the claim after the write (a recovery follows; the engine releases it afterwards). */
  release?: boolean;
}

interface RollupIncrement extends UpDown {
  service_id: string;
  bucket: number;
}

/**
 * Applies a batch of check results with one write per collection: history by
 * insertMany, service state, uptime rollups and host contact by bulkWrite.
 * Every result is validated before anything is written. One writer per service
 * at a time is assumed (the scheduler's lease gives that): two overlapping
 * batches for one service would both start from the same loaded state.
 */
export class CheckRecorder {
  constructor(private readonly settings: RecorderSettings) {}

  /**
   * `leases`: for scheduled checks, the claim each service is held by and its next due time. A result
   * whose lease another worker holds now is not written at all (`lostLeaseServiceIds`); otherwise the lease
   * guards the state write (`lease_owner` in its filter, always) and is released in the same write, one
   * update per service instead of two.
   */
  async record(results: readonly CheckResult[], leases: ReadonlyMap<string, Lease> = new Map()): Promise<RecordOutcome> {
    if (results.length === 0) return { recorded: [], unknownServiceIds: [], lostLeaseServiceIds: [] };
    const loaded = await this.loadStates(results);
    const unknownServiceIds = [...new Set(results.filter((r) => !loaded.has(r.service_id)).map((r) => r.service_id))];
    const lostLeaseServiceIds = [...loaded.values()].filter((s) => leases.has(s.service_id) && s.lease_owner !== leases.get(s.service_id)!.token).map((s) => s.service_id);
    const states = new Map([...loaded].filter(([id]) => !lostLeaseServiceIds.includes(id)));
    // Applied in time order; each keeps its position in the caller's batch for error messages.
    const known = results
      .map((result, position) => ({ result, position }))
      .filter(({ result }) => states.has(result.service_id))
      .sort((a, b) => +a.result.timestamp - +b.result.timestamp);
    if (known.length === 0) return { recorded: [], unknownServiceIds, lostLeaseServiceIds };

    const historyDocs = await this.validatedHistory(known, states);
    const recordedAt = new Date();
    const rollups = new Map<string, RollupIncrement>();
    const hostsSeen = new Map<string, Date>();
    const recorded = known.map(({ result }, i) => {
      const state = states.get(result.service_id)!;
      if (result.host_contacted) hostsSeen.set(state.host_id, maxDate(hostsSeen.get(state.host_id), result.timestamp));
      const outcome = this.apply(state, result, String(historyDocs[i]!._id), recordedAt, rollups);
      historyDocs[i]!.recorded_at = recordedAt;
      if (outcome.late) historyDocs[i]!.late = true;
      if (outcome.status_changed) historyDocs[i]!.previous_status = outcome.previous_status;
      return outcome;
    });

    await MonitoringCheckModel.collection.insertMany(historyDocs, { ordered: false });
    await this.writeServiceStates([...states.values()].filter((s) => s.touched || leases.has(s.service_id)), leases);
    await this.writeRollups([...rollups.values()]);
    await this.writeHostsSeen(hostsSeen);
    return { recorded, unknownServiceIds, lostLeaseServiceIds };
  }

  /** History documents for every result, or one error naming every invalid field of every result. */
  private async validatedHistory(known: { result: CheckResult; position: number }[], states: Map<string, ServiceState>) {
    const settled = await Promise.allSettled(
      known.map(({ result, position }) => this.historyDocument(result, states.get(result.service_id)!.host_id, position)),
    );
    const problems = settled.flatMap((s) => (s.status === 'rejected' ? problemsOf(s.reason) : []));
    if (problems.length > 0) throw new InvalidInputError(problems);
    return settled.map((s) => (s as PromiseFulfilledResult<Awaited<ReturnType<CheckRecorder['historyDocument']>>>).value);
  }

  private async loadStates(results: readonly CheckResult[]): Promise<Map<string, ServiceState>> {
    const ids = [...new Set(results.map((r) => r.service_id))];
    const services = await ServiceModel.find(
      { service_id: { $in: ids } },
      { service_id: 1, host_id: 1, lease_owner: 1, current_status: 1, last_check: 1, consecutive_failures: 1, last_status_change: 1, 'monitoring.interval_sec': 1 },
    ).lean();
    return new Map(
      services.map((s) => [
        s.service_id,
        {
          service_id: s.service_id,
          host_id: s.host_id,
          lease_owner: s.lease_owner ?? null,
          interval_sec: s.monitoring?.interval_sec ?? 60,
          current_status: s.current_status ?? 'unknown',
          last_check: s.last_check ?? null,
          consecutive_failures: s.consecutive_failures ?? 0,
          last_status_change: s.last_status_change ?? null,
          touched: false,
        },
      ]),
    );
  }

  private async historyDocument(result: CheckResult, hostId: string, position: number) {
    const { host_contacted: _ignored, ...fields } = result;
    const doc = new MonitoringCheckModel({
      ...fields,
      host_id: hostId,
      expires_at: new Date(+result.timestamp + this.settings.historyRetentionDays * DAY_MS),
    });
    try {
      await doc.validate();
    } catch (error) {
      if (!(error instanceof mongoose.Error.ValidationError)) throw error;
      throw new InvalidInputError(
        Object.entries(error.errors).map(([path, e]) => ({ field: `results[${position}].${path}`, message: e.message })),
      );
    }
    // minimize: false keeps `metrics: {}` (the seed's documents always carry the object).
    return doc.toObject({ minimize: false });
  }

  /** Moves one service's in-memory state forward by one result and adds the elapsed interval to the rollups. */
  private apply(state: ServiceState, result: CheckResult, historyId: string, recordedAt: Date, rollups: Map<string, RollupIncrement>): RecordedCheck {
    const previous = state.current_status;
    const late = state.last_check !== null && +result.timestamp <= +state.last_check;
    if (!late) {
      if (state.last_check) {
        const capMs = state.interval_sec * this.settings.staleAfterIntervals * 1000;
        const interval = observedInterval(state.last_check, result.timestamp, previous, capMs);
        if (interval) addBuckets(rollups, state.service_id, toHourBuckets(interval));
      }
      if (result.status !== previous) state.last_status_change = result.timestamp;
      state.current_status = result.status;
      state.consecutive_failures = isFailureStatus(result.status) ? state.consecutive_failures + 1 : 0;
      state.last_check = result.timestamp;
      state.touched = true;
    }
    return {
      history_id: historyId,
      service_id: state.service_id,
      host_id: state.host_id,
      timestamp: result.timestamp,
      recorded_at: recordedAt,
      previous_status: previous,
      status: late ? previous : result.status,
      status_changed: !late && result.status !== previous,
      consecutive_failures: state.consecutive_failures,
      response_time_ms: result.response_time_ms ?? null,
      tls_days_left: typeof result.metrics?.custom?.tls_days_left === 'number' ? result.metrics.custom.tls_days_left : null,
      late,
    };
  }

  private async writeServiceStates(states: ServiceState[], leases: ReadonlyMap<string, Lease>): Promise<void> {
    if (states.length === 0) return;
    const now = new Date();
    const ops: AnyBulkWriteOperation[] = states.map((s) => {
      const lease = leases.get(s.service_id);
      const release = lease && lease.release !== false ? { lease_owner: null, lease_until: null, next_check_at: lease.next_check_at } : {};
      const state = s.touched
        ? {
            current_status: s.current_status,
            last_check: s.last_check,
            last_status_change: s.last_status_change,
            consecutive_failures: s.consecutive_failures,
            stale_at: staleAt(s.last_check!, s.interval_sec, this.settings.staleAfterIntervals),
            updated_at: now,
          }
        : {};
      return { updateOne: { filter: { service_id: s.service_id, ...writeGuard(s, lease) }, update: { $set: { ...state, ...release } } } };
    });
    await ServiceModel.collection.bulkWrite(ops, { ordered: false });
  }

  private async writeRollups(rollups: RollupIncrement[]): Promise<void> {
    if (rollups.length === 0) return;
    const ops: AnyBulkWriteOperation[] = rollups.map((r) => ({
      updateOne: {
        filter: { service_id: r.service_id, bucket_start: new Date(r.bucket) },
        update: {
          $inc: { up_ms: r.up_ms, down_ms: r.down_ms },
          // Rollups outlive history a little so the edge of a full retention window still has them.
          $setOnInsert: { expires_at: new Date(r.bucket + (this.settings.historyRetentionDays + 1) * DAY_MS) },
        },
        upsert: true,
      },
    }));
    await UptimeRollupModel.collection.bulkWrite(ops, { ordered: false });
  }

  private async writeHostsSeen(hostsSeen: Map<string, Date>): Promise<void> {
    if (hostsSeen.size === 0) return;
    const ops: AnyBulkWriteOperation[] = [...hostsSeen].map(([hostId, at]) => ({
      updateOne: { filter: { host_id: hostId }, update: { $max: { last_seen: at } } },
    }));
    await HostModel.collection.bulkWrite(ops, { ordered: false });
  }
}

/**
 * Only the lease holder writes: checked in the filter of every leased write (an index lookup, `lease_owner`,
 * besides the unique key), so a lease taken over between loading and writing is neither overwritten nor
 * cleared. Without a lease (an operator's check), an older result never overwrites a newer one.
 */
function writeGuard(state: ServiceState, lease: Lease | undefined): object {
  if (!lease) return { $or: [{ last_check: null }, { last_check: { $lt: state.last_check } }] };
  return { lease_owner: lease.token };
}

function addBuckets(
  rollups: Map<string, RollupIncrement>,
  serviceId: string,
  buckets: Map<number, UpDown>,
): void {
  for (const [bucket, amounts] of buckets) {
    const key = `${serviceId}\u0000${bucket}`;
    const entry = rollups.get(key) ?? { service_id: serviceId, bucket, up_ms: 0, down_ms: 0 };
    entry.up_ms += amounts.up_ms;
    entry.down_ms += amounts.down_ms;
    rollups.set(key, entry);
  }
}

function problemsOf(reason: unknown): FieldProblem[] {
  if (reason instanceof InvalidInputError) return [...reason.problems];
  throw reason;
}

function maxDate(a: Date | undefined, b: Date): Date {
  return a && +a > +b ? a : b;
}
