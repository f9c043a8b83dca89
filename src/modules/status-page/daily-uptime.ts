/**
 * Up and down time per service per UTC day, for the status pages' 90 daily bars, summed from the hourly uptime
 * rollups (history/uptime-rollup.model.ts) by the database. Finished days do not change, so they are summed once
 * per process and kept; each computation after that reads only today's rollups (and, for a service new to the
 * environment, its past days). Unlike UptimeService it does not rebuild time before the first rollup from history
 * nor count the time since the latest check: a day's bar is what the rollups hold.
 */
import { UptimeRollupModel } from '../history/uptime-rollup.model.js';

export const DAY_MS = 86_400_000;
/** Days a status page shows, today (so far) included. */
export const STATUS_PAGE_DAYS = 90;
/**
 * A day is held once it ended this long ago: a check shortly after midnight still adds to the hour before it.
 * Until then it is read afresh like today.
 */
const SETTLE_MS = 2 * 3_600_000;
/** Past days are kept in a ring of this many slots per service (day number % RING); more than the window. */
const RING = 128;

export const dayNumber = (ms: number) => Math.floor(ms / DAY_MS);
export const dayLabel = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);

/**
 * Per service, oldest first, the up and down milliseconds of each of the STATUS_PAGE_DAYS days ending with `today`:
 * day `firstDay + i` at [2i] (up) and [2i + 1] (down). Flat arrays: 5,000 services make 900,000 numbers, not objects.
 */
export interface DailyTotals {
  firstDay: number;
  today: number;
  byService: Map<string, Float64Array>;
}

interface DayRow {
  _id: { service: string; day: number };
  up_ms: number;
  down_ms: number;
}

/** One environment's finished days, kept between computations. */
class PastDays {
  /** Finished days whose totals are held for every service in `services`. */
  readonly days = new Set<number>();
  /** service_id → [up, down] per ring slot. */
  readonly services = new Map<string, Float64Array>();

  slots(serviceId: string): Float64Array {
    let slots = this.services.get(serviceId);
    if (!slots) this.services.set(serviceId, (slots = new Float64Array(RING * 2)));
    return slots;
  }
}

export class DailyUptime {
  private readonly environments = new Map<string, PastDays>();

  /** Daily totals of `serviceIds` (the environment's services now) over the window ending today (UTC). */
  async forEnvironment(environment: string, serviceIds: readonly string[], now = Date.now()): Promise<DailyTotals> {
    const today = dayNumber(now);
    const firstDay = today - STATUS_PAGE_DAYS + 1;
    const liveFrom = dayNumber(now - SETTLE_MS);
    let past = this.environments.get(environment);
    if (!past) this.environments.set(environment, (past = new PastDays()));
    for (const day of past.days) if (day < firstDay || day >= liveFrom) past.days.delete(day);

    // Services new to the environment: their share of the days already held.
    const newIds = serviceIds.filter((id) => !past.services.has(id));
    if (newIds.length > 0 && past.days.size > 0) {
      const held = [...past.days];
      await this.fillPast(past, newIds, Math.min(...held), Math.max(...held) + 1);
    } else {
      for (const id of newIds) past.slots(id);
    }
    // Days not held yet (all of them the first time, then the day that just settled), for every service.
    const missing = [];
    for (let day = firstDay; day < liveFrom; day++) if (!past.days.has(day)) missing.push(day);
    if (missing.length > 0) {
      await this.fillPast(past, serviceIds, missing[0]!, missing[missing.length - 1]! + 1);
      for (const day of missing) past.days.add(day);
    }
    const wanted = new Set(serviceIds);
    for (const id of past.services.keys()) if (!wanted.has(id)) past.services.delete(id);

    const byService = new Map<string, Float64Array>();
    for (const id of serviceIds) {
      const slots = past.slots(id);
      const days = new Float64Array(STATUS_PAGE_DAYS * 2);
      for (let day = firstDay; day < liveFrom; day++) {
        const from = (day % RING) * 2;
        days[(day - firstDay) * 2] = slots[from]!;
        days[(day - firstDay) * 2 + 1] = slots[from + 1]!;
      }
      byService.set(id, days);
    }
    for (const row of await sumByServiceAndDay(serviceIds, liveFrom, today + 1)) {
      const days = byService.get(row._id.service);
      const at = (row._id.day - firstDay) * 2;
      if (!days || at < 0 || at >= days.length) continue;
      days[at] = row.up_ms;
      days[at + 1] = row.down_ms;
    }
    return { firstDay, today, byService };
  }

  /** Forgets what is held for an environment (its page is no longer served). */
  forget(environment: string): void {
    this.environments.delete(environment);
  }

  /** Sums the days [fromDay, toDay) for `serviceIds`, overwriting what their slots held for those days. */
  private async fillPast(past: PastDays, serviceIds: readonly string[], fromDay: number, toDay: number): Promise<void> {
    for (const id of serviceIds) {
      const slots = past.slots(id);
      for (let day = fromDay; day < toDay; day++) slots.fill(0, (day % RING) * 2, (day % RING) * 2 + 2);
    }
    for (const row of await sumByServiceAndDay(serviceIds, fromDay, toDay)) {
      const slots = past.services.get(row._id.service);
      if (!slots) continue;
      const slot = (row._id.day % RING) * 2;
      slots[slot] = row.up_ms;
      slots[slot + 1] = row.down_ms;
    }
  }
}

/**
 * Services per aggregation, and aggregations at a time. mongo-java-server matches `$in` by walking the list for every
 * document: one aggregation over 5,000 services took 158 s for a day, in chunks of 50 (4 at a time) 0.5 s. On MongoDB
 * each chunk is a few index ranges either way.
 */
const CHUNK = 50;
const PARALLEL = 4;

/**
 * The rollups of these services in [fromDay, toDay) summed per service and UTC day. The day is arithmetic on the
 * bucket's instant (milliseconds since 1970 / a day), which every server we run on evaluates.
 */
async function sumByServiceAndDay(serviceIds: readonly string[], fromDay: number, toDay: number): Promise<DayRow[]> {
  if (serviceIds.length === 0 || fromDay >= toDay) return [];
  const chunks: string[][] = [];
  for (let i = 0; i < serviceIds.length; i += CHUNK) chunks.push(serviceIds.slice(i, i + CHUNK));
  const rows: DayRow[] = [];
  let next = 0;
  const worker = async () => {
    while (next < chunks.length) {
      const chunk = chunks[next++]!;
      rows.push(...(await sumChunk(chunk, fromDay, toDay)));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, chunks.length) }, worker));
  return rows;
}

function sumChunk(serviceIds: string[], fromDay: number, toDay: number): Promise<DayRow[]> {
  return UptimeRollupModel.collection
    .aggregate<DayRow>([
      { $match: { service_id: { $in: serviceIds }, bucket_start: { $gte: new Date(fromDay * DAY_MS), $lt: new Date(toDay * DAY_MS) } } },
      {
        $group: {
          _id: { service: '$service_id', day: { $floor: { $divide: [{ $subtract: ['$bucket_start', new Date(0)] }, DAY_MS] } } },
          up_ms: { $sum: '$up_ms' },
          down_ms: { $sum: '$down_ms' },
        },
      },
    ])
    .toArray();
}
