import { NotFoundError } from '../../common/errors.js';
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

const DAY_MS = 86_400_000;

/**
 * Uptime = time up / (time up + time down) over a window. Whole hours come from
 * the rollups the recorder maintains; the part-hour at the window's start, and
 * any time before the recorder's first rollup, is rebuilt from history; the
 * time since the latest check counts as its status.
 */
export class UptimeService {
  constructor(private readonly settings: UptimeSettings) {}

  async forService(serviceId: string, days = 30, now = new Date()): Promise<UptimeReport> {
    const service = await ServiceModel.findOne(
      { service_id: serviceId },
      { service_id: 1, current_status: 1, last_check: 1, 'monitoring.interval_sec': 1 },
    ).lean();
    if (!service) throw new NotFoundError('service', serviceId);
    const to = +now;
    const from = to - days * DAY_MS;
    const capMs = (service.monitoring?.interval_sec ?? 60) * this.settings.staleAfterIntervals * 1000;
    const wholeHoursFrom = Math.min(ceilHour(from), to);

    const rollups = await UptimeRollupModel.find(
      { service_id: serviceId, bucket_start: { $gte: new Date(wholeHoursFrom), $lt: new Date(to) } },
      { bucket_start: 1, up_ms: 1, down_ms: 1 },
    ).lean();
    // Before the first rollup (all of the window for data the seed's scripts wrote) history is the only source.
    const historyUntil = rollups.length > 0 ? Math.min(...rollups.map((r) => +r.bucket_start)) : to;
    const total = sumRollups(rollups);
    add(total, sumWithin(await this.intervalsFromHistory(serviceId, from, historyUntil, capMs), from, historyUntil));
    if (service.last_check) {
      const open = observedInterval(service.last_check, to, service.current_status, capMs);
      if (open) add(total, sumWithin([open], from, to));
    }
    return { service_id: serviceId, from: new Date(from), to: new Date(to), ...total, percentage: uptimePercentage(total) };
  }

  /** Stores each service's 30-day uptime in `uptime_percentage` (the seed's field), for lists and the dashboard. */
  async refreshStoredPercentages(serviceIds: string[], now = new Date()): Promise<void> {
    for (const serviceId of serviceIds) {
      const report = await this.forService(serviceId, 30, now).catch((e) => (e instanceof NotFoundError ? null : Promise.reject(e)));
      if (report) await ServiceModel.updateOne({ service_id: serviceId }, { $set: { uptime_percentage: report.percentage } }, { timestamps: false });
    }
  }

  /** Status intervals between consecutive checks that overlap [from, to), each capped like the recorder caps them. */
  private async intervalsFromHistory(serviceId: string, from: number, to: number, capMs: number): Promise<StatusInterval[]> {
    if (to <= from) return [];
    const checks = await MonitoringCheckModel.find(
      { service_id: serviceId, late: { $ne: true }, timestamp: { $gte: new Date(from - capMs), $lt: new Date(to) } },
      { timestamp: 1, status: 1 },
    )
      .sort({ timestamp: 1 })
      .lean();
    const next = await MonitoringCheckModel.findOne({ service_id: serviceId, late: { $ne: true }, timestamp: { $gte: new Date(to) } }, { timestamp: 1 })
      .sort({ timestamp: 1 })
      .lean();
    const intervals: StatusInterval[] = [];
    checks.forEach((check, i) => {
      const end = checks[i + 1]?.timestamp ?? next?.timestamp;
      const interval = end ? observedInterval(check.timestamp, end, check.status, capMs) : null;
      if (interval) intervals.push(interval);
    });
    return intervals;
  }
}

function sumRollups(rollups: readonly UpDown[]): UpDown {
  return rollups.reduce((sum, r) => add(sum, r), { up_ms: 0, down_ms: 0 });
}

function add(target: UpDown, amount: UpDown): UpDown {
  target.up_ms += amount.up_ms;
  target.down_ms += amount.down_ms;
  return target;
}
