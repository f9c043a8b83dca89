/** The arithmetic behind time-weighted uptime, without a database. */
import { describe, expect, test } from 'vitest';
import {
  ceilHour,
  floorHour,
  HOUR_MS,
  observedInterval,
  sumWithin,
  toHourBuckets,
  uptimePercentage,
  type StatusInterval,
} from '../../src/modules/history/uptime-math.js';

const MINUTE = 60_000;
const at = (iso: string) => Date.parse(`2031-01-15T${iso}:00.000Z`);
const interval = (start: string, end: string, status: StatusInterval['status']): StatusInterval => ({ start: at(start), end: at(end), status });
const bucketsOf = (i: StatusInterval) => Object.fromEntries([...toHourBuckets(i)].map(([b, v]) => [new Date(b).toISOString().slice(11, 16), v]));

describe('floorHour / ceilHour', () => {
  test('round to clock hours, leaving an exact hour unchanged', () => {
    expect(floorHour(at('07:20'))).toBe(at('07:00'));
    expect(ceilHour(at('07:20'))).toBe(at('08:00'));
    expect(floorHour(at('07:00'))).toBe(at('07:00'));
    expect(ceilHour(at('07:00'))).toBe(at('07:00'));
    expect(ceilHour(at('07:00') + 1)).toBe(at('08:00'));
  });
});

describe('toHourBuckets', () => {
  test('an interval within one hour lands in that hour’s bucket', () => {
    expect(bucketsOf(interval('07:10', '07:40', 'running'))).toEqual({ '07:00': { up_ms: 30 * MINUTE, down_ms: 0 } });
  });

  test('an interval crossing hour boundaries is split at each boundary', () => {
    expect(bucketsOf(interval('07:50', '10:05', 'stopped'))).toEqual({
      '07:00': { up_ms: 0, down_ms: 10 * MINUTE },
      '08:00': { up_ms: 0, down_ms: HOUR_MS },
      '09:00': { up_ms: 0, down_ms: HOUR_MS },
      '10:00': { up_ms: 0, down_ms: 5 * MINUTE },
    });
  });

  test('an interval ending exactly on the hour creates no empty bucket for the next hour', () => {
    expect(bucketsOf(interval('07:30', '08:00', 'running'))).toEqual({ '07:00': { up_ms: 30 * MINUTE, down_ms: 0 } });
  });

  test('an interval starting exactly on the hour belongs wholly to that hour', () => {
    expect(bucketsOf(interval('08:00', '08:01', 'error'))).toEqual({ '08:00': { up_ms: 0, down_ms: MINUTE } });
  });

  test('the buckets add up to the interval’s length, to the millisecond', () => {
    const odd: StatusInterval = { start: at('06:59') + 1234, end: at('09:00') + 7, status: 'warning' };
    const total = [...toHourBuckets(odd).values()].reduce((s, b) => s + b.up_ms + b.down_ms, 0);
    expect(total).toBe(odd.end - odd.start);
    expect([...toHourBuckets(odd).keys()]).toEqual([at('06:00'), at('07:00'), at('08:00'), at('09:00')]);
  });

  test('running and warning count as up, stopped and error as down, unknown as nothing', () => {
    expect(bucketsOf(interval('07:00', '07:10', 'warning'))).toEqual({ '07:00': { up_ms: 10 * MINUTE, down_ms: 0 } });
    expect(bucketsOf(interval('07:00', '07:10', 'error'))).toEqual({ '07:00': { up_ms: 0, down_ms: 10 * MINUTE } });
    expect(toHourBuckets(interval('07:00', '09:10', 'unknown')).size).toBe(0);
  });

  test('an empty interval yields no buckets', () => {
    expect(toHourBuckets(interval('07:00', '07:00', 'running')).size).toBe(0);
  });
});

describe('observedInterval', () => {
  const cap = 3 * MINUTE;

  test('spans from one check to the next when they are closer than the cap', () => {
    expect(observedInterval(at('07:00'), at('07:02'), 'running', cap)).toEqual({ start: at('07:00'), end: at('07:02'), status: 'running' });
  });

  test('stops at the cap when the next check comes later: the rest is no data', () => {
    expect(observedInterval(new Date(at('07:00')), new Date(at('09:00')), 'stopped', cap)).toEqual({ start: at('07:00'), end: at('07:03'), status: 'stopped' });
  });

  test('a gap of exactly the cap is counted whole', () => {
    expect(observedInterval(at('07:00'), at('07:03'), 'running', cap)?.end).toBe(at('07:03'));
  });

  test('is null when the next instant is not after the first', () => {
    expect(observedInterval(at('07:00'), at('07:00'), 'running', cap)).toBeNull();
    expect(observedInterval(at('07:05'), at('07:00'), 'running', cap)).toBeNull();
  });
});

describe('sumWithin', () => {
  test('counts only the part of each interval inside [from, to)', () => {
    const intervals = [
      interval('07:00', '07:30', 'running'), // clipped at the start: 10 min inside
      interval('07:30', '07:50', 'stopped'), // wholly inside
      interval('07:50', '09:00', 'running'), // clipped at the end: 30 min inside
    ];
    expect(sumWithin(intervals, at('07:20'), at('08:20'))).toEqual({ up_ms: 40 * MINUTE, down_ms: 20 * MINUTE });
  });

  test('ignores intervals wholly outside the window and intervals that only touch its edges', () => {
    const intervals = [interval('06:00', '07:00', 'stopped'), interval('08:00', '09:00', 'stopped'), interval('05:00', '05:30', 'running')];
    expect(sumWithin(intervals, at('07:00'), at('08:00'))).toEqual({ up_ms: 0, down_ms: 0 });
  });

  test('an interval covering the whole window counts the window’s length', () => {
    expect(sumWithin([interval('06:00', '10:00', 'error')], at('07:15'), at('07:45'))).toEqual({ up_ms: 0, down_ms: 30 * MINUTE });
  });

  test('unknown time is excluded and warning time counts as up', () => {
    const intervals = [interval('07:00', '07:10', 'unknown'), interval('07:10', '07:20', 'warning'), interval('07:20', '07:30', 'stopped')];
    expect(sumWithin(intervals, at('07:00'), at('08:00'))).toEqual({ up_ms: 10 * MINUTE, down_ms: 10 * MINUTE });
  });
});

describe('uptimePercentage', () => {
  test('is null when nothing is known, not 0 or 100', () => {
    expect(uptimePercentage({ up_ms: 0, down_ms: 0 })).toBeNull();
  });

  test('is the up share of known time, rounded to two decimals', () => {
    expect(uptimePercentage({ up_ms: 2, down_ms: 1 })).toBe(66.67);
    expect(uptimePercentage({ up_ms: 1, down_ms: 2 })).toBe(33.33);
    expect(uptimePercentage({ up_ms: 1, down_ms: 6 })).toBe(14.29);
    expect(uptimePercentage({ up_ms: 1, down_ms: 7 })).toBe(12.5);
    expect(uptimePercentage({ up_ms: 9_999, down_ms: 1 })).toBe(99.99);
  });

  test('is exactly 100 with no down time and exactly 0 with no up time', () => {
    expect(uptimePercentage({ up_ms: 5 * MINUTE, down_ms: 0 })).toBe(100);
    expect(uptimePercentage({ up_ms: 0, down_ms: 5 * MINUTE })).toBe(0);
  });
});
