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

  test('a check run late by less than half an interval keeps its schedule', () => {
    expect(+nextDue(every60s(T), T + 29_000)).toBe(T + 60_000);
  });

  test('a check run later skips the runs it missed but keeps its phase', () => {
    expect(+nextDue(every60s(T), T + 31_000)).toBe(T + 120_000);
    expect(+nextDue(every60s(T), T + 155_000)).toBe(T + 240_000);
  });

  test('services late together stay spread over the interval as they were', () => {
    const dueTimes = [0, 15_000, 30_000, 45_000].map((offset) => T + offset);
    const next = dueTimes.map((due) => +nextDue(every60s(due), T + 200_000) % 60_000);
    expect(next).toEqual([0, 15_000, 30_000, 45_000].map((offset) => (T + offset) % 60_000));
  });

  test('a service never checked is due one interval after now', () => {
    expect(+nextDue({ next_check_at: null, monitoring: { interval_sec: 60 } } as Parameters<typeof nextDue>[0], T)).toBe(T + 60_000);
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
