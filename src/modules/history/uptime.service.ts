import { NotFoundError } from '../../common/errors.js';
import type { ServiceStatus } from '../../common/enums.js';
import { ServiceModel } from '../services/service.model.js';
import { MonitoringCheckModel } from './history.model.js';
import { ceilHour, observedInterval, sumWithin, uptimePercentage, type StatusInterval, type UpDown } from './uptime-math.js';
import { UptimeRollupModel } from './uptime-rollup.model.js';

export interface UptimeReport extends UpDown {
  service_id: string;
  from: Date;
  to: Date;
  /** Time-weighted share of known time the service was up; null when nothing is known. */
  percentage: number | null;
}

export interface UptimeSettings {
  readonly staleAfterIntervals: number;
}

interface ServiceClock {
  service_id: string;
  current_status: ServiceStatus;
  last_check: Date | null;
  capMs: number;
}

interface CheckPoint {
  service_id: string;
  timestamp: Date;
  status: ServiceStatus;
}

const DAY_MS = 86_400_000;

/**
 * Uptime = time up / (time up + time down) over a window. Whole hours come from
 * the rollups the recorder maintains; the part-hour at the window's start, and
 * any time before the recorder's first rollup, is rebuilt from history; the
 * time since the latest check counts as its status. Any number of services
 * costs three queries.
 */
export class UptimeService {
  constructor(private readonly settings: UptimeSettings) {}

  async forService(serviceId: string, days = 30, now = new Date()): Promise<UptimeReport> {
    const report = (await this.forServices([serviceId], days, now)).get(serviceId);
    if (!report) throw new NotFoundError('service', serviceId);
    return report;
  }

  /** Reports for every service of `serviceIds` that exists. */
  async forServices(serviceIds: readonly string[], days = 30, now = new Date()): Promise<Map<string, UptimeReport>> {
    const services = await this.clocks(serviceIds);
    if (services.length === 0) return new Map();
    const ids = services.map((s) => s.service_id);
    const to = +now;
    const from = to - days * DAY_MS;
    const wholeHoursFrom = Math.min(ceilHour(from), to);

    const rollups = groupBy(
      await UptimeRollupModel.find(
        { service_id: { $in: ids }, bucket_start: { $gte: new Date(wholeHoursFrom), $lt: new Date(to) } },
        { service_id: 1, bucket_start: 1, up_ms: 1, down_ms: 1 },
      ).lean(),
    );
    // Before a service's first rollup (all of the window for data the seed's scripts wrote) history is the only source.
    const historyUntil = new Map(ids.map((id) => [id, firstBucket(rollups.get(id)) ?? to]));
    const maxCap = Math.max(...services.map((s) => s.capMs));
    const checks = groupBy(
      await MonitoringCheckModel.find(
        {
          service_id: { $in: ids },
          late: { $ne: true },
          timestamp: { $gte: new Date(from - maxCap), $lt: new Date(Math.max(...historyUntil.values()) + maxCap) },
        },
        { service_id: 1, timestamp: 1, status: 1 },
      )
        .sort({ timestamp: 1 })
        .lean<CheckPoint[]>(),
    );

    return new Map(
      services.map((service) => {
        const until = historyUntil.get(service.service_id)!;
        const total = sum(rollups.get(service.service_id) ?? []);
        add(total, sumWithin(intervalsBetweenChecks(checks.get(service.service_id) ?? [], service), from, until));
        if (service.last_check) {
          const open = observedInterval(service.last_check, to, service.current_status, service.capMs);
          if (open) add(total, sumWithin([open], from, to));
        }
        const report = { service_id: service.service_id, from: new Date(from), to: new Date(to), ...total, percentage: uptimePercentage(total) };
        return [service.service_id, report];
      }),
    );
  }

  /** Stores each service's 30-day uptime in `uptime_percentage` (the seed's field), for lists and the dashboard. */
  async refreshStoredPercentages(serviceIds: string[], now = new Date()): Promise<void> {
    const reports = await this.forServices(serviceIds, 30, now);
    if (reports.size === 0) return;
    await ServiceModel.bulkWrite(
      [...reports.values()].map((r) => ({
        updateOne: { filter: { service_id: r.service_id }, update: { $set: { uptime_percentage: r.percentage } }, timestamps: false },
      })),
    );
  }

  /**
   * Refreshes every service's stored percentage in small batches, resting after
   * each as long as it took: a background chore that must not hold the database
   * against the checks (on servers without secondary indexes each batch scans
   * history).
   */
  async refreshAllStoredPercentages(options: { batchSize?: number; signal?: AbortSignal } = {}): Promise<number> {
    const batchSize = options.batchSize ?? 200;
    const ids = (await ServiceModel.find({}, { service_id: 1 }).lean()).map((s) => s.service_id);
    for (let i = 0; i < ids.length && !options.signal?.aborted; i += batchSize) {
      const started = Date.now();
      await this.refreshStoredPercentages(ids.slice(i, i + batchSize));
      await new Promise((resolve) => setTimeout(resolve, Date.now() - started));
    }
    return ids.length;
  }

  private async clocks(serviceIds: readonly string[]): Promise<ServiceClock[]> {
    const services = await ServiceModel.find(
      { service_id: { $in: [...new Set(serviceIds)] } },
      { service_id: 1, current_status: 1, last_check: 1, 'monitoring.interval_sec': 1 },
    ).lean();
    return services.map((s) => ({
      service_id: s.service_id,
      current_status: s.current_status,
      last_check: s.last_check ?? null,
      capMs: (s.monitoring?.interval_sec ?? 60) * this.settings.staleAfterIntervals * 1000,
    }));
  }
}

/**
 * Status intervals between consecutive checks, each capped like the recorder caps them. The
 * checks were fetched up to at least one cap past where they are needed, so a check with no
 * fetched successor but an older `last_check` has its successor beyond the cap.
 */
function intervalsBetweenChecks(checks: CheckPoint[], service: ServiceClock): StatusInterval[] {
  const intervals: StatusInterval[] = [];
  checks.forEach((check, i) => {
    const successor = checks[i + 1]?.timestamp ?? (service.last_check && +service.last_check > +check.timestamp ? +check.timestamp + service.capMs : null);
    const interval = successor === null ? null : observedInterval(check.timestamp, successor, check.status, service.capMs);
    if (interval) intervals.push(interval);
  });
  return intervals;
}

function groupBy<T extends { service_id: string }>(items: T[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const group = groups.get(item.service_id);
    if (group) group.push(item);
    else groups.set(item.service_id, [item]);
  }
  return groups;
}

function firstBucket(rollups: { bucket_start: Date }[] | undefined): number | undefined {
  return rollups && rollups.length > 0 ? Math.min(...rollups.map((r) => +r.bucket_start)) : undefined;
}

function sum(rollups: readonly UpDown[]): UpDown {
  return rollups.reduce((total, r) => add(total, r), { up_ms: 0, down_ms: 0 });
}

function add(target: UpDown, amount: UpDown): UpDown {
  target.up_ms += amount.up_ms;
  target.down_ms += amount.down_ms;
  return target;
}
