import { uptimeClass, type ServiceStatus } from '../../common/enums.js';

export const HOUR_MS = 3_600_000;

export const floorHour = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
export const ceilHour = (ms: number) => Math.ceil(ms / HOUR_MS) * HOUR_MS;

export interface UpDown {
  up_ms: number;
  down_ms: number;
}

export interface StatusInterval {
  start: number;
  end: number;
  status: ServiceStatus;
}

/**
 * The time between two checks belongs to the status the earlier one saw, but only
 * up to `capMs`: past that nobody was looking, so the rest counts as no data
 * rather than stretching one observation over a monitoring outage.
 */
export function observedInterval(from: Date | number, to: Date | number, status: ServiceStatus, capMs: number): StatusInterval | null {
  const start = +from;
  const end = Math.min(+to, start + capMs);
  return end > start ? { start, end, status } : null;
}

/** Splits an interval at clock-hour boundaries into per-bucket up/down milliseconds. */
export function toHourBuckets(interval: StatusInterval): Map<number, UpDown> {
  const buckets = new Map<number, UpDown>();
  const up = uptimeClass(interval.status);
  if (up === null) return buckets;
  for (let cursor = interval.start; cursor < interval.end; ) {
    const bucket = floorHour(cursor);
    const next = Math.min(bucket + HOUR_MS, interval.end);
    const entry = buckets.get(bucket) ?? { up_ms: 0, down_ms: 0 };
    if (up) entry.up_ms += next - cursor;
    else entry.down_ms += next - cursor;
    buckets.set(bucket, entry);
    cursor = next;
  }
  return buckets;
}

/** Up and down milliseconds of the part of each interval that falls within [from, to). */
export function sumWithin(intervals: Iterable<StatusInterval>, from: number, to: number): UpDown {
  const total = { up_ms: 0, down_ms: 0 };
  for (const interval of intervals) {
    const up = uptimeClass(interval.status);
    const overlap = Math.min(interval.end, to) - Math.max(interval.start, from);
    if (up === null || overlap <= 0) continue;
    if (up) total.up_ms += overlap;
    else total.down_ms += overlap;
  }
  return total;
}

/** Percentage with two decimals, or null when the window holds no up or down time at all. */
export function uptimePercentage({ up_ms, down_ms }: UpDown): number | null {
  const known = up_ms + down_ms;
  return known === 0 ? null : Math.round((up_ms / known) * 10_000) / 100;
}
