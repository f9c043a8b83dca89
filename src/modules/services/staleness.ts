/**
 * A service is stale once it has gone `intervals` of its own check intervals
 * without a check (the seed used a fixed 10 minutes for every service).
 */
export function staleAt(lastCheckOrStart: Date, intervalSec: number, intervals: number): Date {
  return new Date(lastCheckOrStart.getTime() + intervalSec * intervals * 1000);
}
