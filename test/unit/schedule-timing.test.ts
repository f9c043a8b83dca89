/** When services fall due again, and when dispatch slots hand over to Agenda. */
import { describe, expect, test } from 'vitest';
import { nextDue } from '../../src/modules/checks/engine.js';
import { sliceEnd } from '../../src/scheduler/scheduler.js';

const T = Date.UTC(2031, 0, 15, 12, 0, 0);
const every60s = (dueAt: number) => ({ next_check_at: new Date(dueAt), monitoring: { interval_sec: 60 } }) as Parameters<typeof nextDue>[0];

describe('nextDue', () => {
  test('a check on time is due again one interval after its due time, not after when it ran', () => {
    expect(+nextDue(every60s(T), T + 5_000)).toBe(T + 60_000);
  });

  test('a check that took most of its interval keeps its schedule: the cadence is the interval', () => {
    expect(+nextDue(every60s(T), T + 29_000, T)).toBe(T + 60_000);
    expect(+nextDue(every60s(T), T + 54_000, T)).toBe(T + 60_000);
    // Finished a little past the next due time: that run is due at once, not skipped.
    expect(+nextDue(every60s(T), T + 75_000, T + 1_000)).toBe(T + 60_000);
  });

  test('only runs truly missed are skipped, and the phase is kept', () => {
    // Finished over half an interval past the next due time: that one is skipped.
    expect(+nextDue(every60s(T), T + 91_000, T)).toBe(T + 120_000);
    // Started over half an interval late: it stands in for the next run, so two checks never start close together.
    expect(+nextDue(every60s(T), T + 31_000)).toBe(T + 120_000);
    expect(+nextDue(every60s(T), T + 155_000)).toBe(T + 240_000);
    // Started 29 s late: the next run is still over half an interval away and is kept.
    expect(+nextDue(every60s(T), T + 29_000)).toBe(T + 60_000);
  });

  test('services late together stay spread over the interval as they were', () => {
    const dueTimes = [0, 15_000, 30_000, 45_000].map((offset) => T + offset);
    const next = dueTimes.map((due) => +nextDue(every60s(due), T + 200_000) % 60_000);
    expect(next).toEqual([0, 15_000, 30_000, 45_000].map((offset) => (T + offset) % 60_000));
  });

  test('a service never scheduled (no next_check_at) is due one interval after its check began', () => {
    expect(+nextDue({ next_check_at: null, monitoring: { interval_sec: 60 } } as Parameters<typeof nextDue>[0], T)).toBe(T + 60_000);
    expect(+nextDue({ next_check_at: null, monitoring: { interval_sec: 60 } } as Parameters<typeof nextDue>[0], T + 50_000, T)).toBe(T + 60_000);
  });
});

describe('sliceEnd', () => {
  const slice = 10_000;

  test('each slot ends its slices at its own phase of the slice length', () => {
    const ends = [0, 1, 2, 3].map((slot) => sliceEnd(slot, 4, slice, T) % slice);
    expect(new Set(ends).size).toBe(4);
    expect(ends).toEqual([0, 2_500, 5_000, 7_500].map((phase) => (T + phase) % slice));
  });

  test('a slice lasts at least half and at most one and a half slice lengths', () => {
    for (let now = T; now < T + 2 * slice; now += 700) {
      for (const slot of [0, 1, 2, 3]) {
        const length = sliceEnd(slot, 4, slice, now) - now;
        expect(length).toBeGreaterThanOrEqual(slice / 2);
        expect(length).toBeLessThanOrEqual(1.5 * slice);
      }
    }
  });
});
