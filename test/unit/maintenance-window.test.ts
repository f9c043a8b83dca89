import { describe, expect, test } from 'vitest';
import type { MaintenanceWindow } from '../../src/modules/environments/environment.model.js';
import { isWithinMaintenanceWindow } from '../../src/modules/environments/maintenance-window.js';

// 2026-03-01 is a Sunday; 2026-03-07 a Saturday; 2026-03-02 a Monday.
const at = (iso: string) => new Date(iso);
const window = (w: Partial<MaintenanceWindow>): MaintenanceWindow => ({ day: 'Sunday', start_time: '02:00', end_time: '06:00', timezone: 'UTC', ...w });

describe('Sunday 02:00-06:00 UTC (the seed example)', () => {
  const sunday = window({});

  test.each(['2026-03-01T02:00:00Z', '2026-03-01T04:30:00Z', '2026-03-01T05:59:59Z', '2026-03-08T03:00:00Z'])('inside at %s', (iso) => {
    expect(isWithinMaintenanceWindow(sunday, at(iso))).toBe(true);
  });

  test.each([
    ['just before the start', '2026-03-01T01:59:59Z'],
    ['at the end (exclusive)', '2026-03-01T06:00:00Z'],
    ['Sunday afternoon', '2026-03-01T15:00:00Z'],
    ['the same hours on Monday', '2026-03-02T03:00:00Z'],
    ['the same hours on Saturday', '2026-03-07T03:00:00Z'],
  ])('outside %s', (_label, iso) => {
    expect(isWithinMaintenanceWindow(sunday, at(iso))).toBe(false);
  });
});

describe('a window wrapping midnight: Saturday 22:00-02:00 UTC', () => {
  const overnight = window({ day: 'Saturday', start_time: '22:00', end_time: '02:00' });

  test.each(['2026-03-07T22:00:00Z', '2026-03-07T23:59:00Z', '2026-03-08T00:00:00Z', '2026-03-08T01:59:00Z'])('inside at %s', (iso) => {
    expect(isWithinMaintenanceWindow(overnight, at(iso))).toBe(true);
  });

  test.each(['2026-03-07T21:59:00Z', '2026-03-08T02:00:00Z', '2026-03-07T01:00:00Z', '2026-03-08T23:00:00Z'])('outside at %s', (iso) => {
    expect(isWithinMaintenanceWindow(overnight, at(iso))).toBe(false);
  });
});

describe('a window wrapping the end of the week: Sunday 22:00-02:00 UTC', () => {
  const overnight = window({ day: 'Sunday', start_time: '22:00', end_time: '02:00' });

  test('runs into Monday morning', () => {
    expect(isWithinMaintenanceWindow(overnight, at('2026-03-01T23:30:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(overnight, at('2026-03-02T01:00:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(overnight, at('2026-03-02T02:00:00Z'))).toBe(false);
    expect(isWithinMaintenanceWindow(overnight, at('2026-03-01T01:00:00Z'))).toBe(false);
  });
});

describe('midnight itself', () => {
  test('a window starting at 00:00 includes 00:30 (the hour reads 00, not 24)', () => {
    const w = window({ start_time: '00:00', end_time: '01:00' });
    expect(isWithinMaintenanceWindow(w, at('2026-03-01T00:30:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(w, at('2026-03-02T00:30:00Z'))).toBe(false);
  });

  test('a window whose end equals its start lasts the whole day', () => {
    const w = window({ start_time: '00:00', end_time: '00:00' });
    expect(isWithinMaintenanceWindow(w, at('2026-03-01T00:00:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(w, at('2026-03-01T23:59:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(w, at('2026-03-02T00:00:00Z'))).toBe(false);
  });
});

describe('read in the window’s own time zone', () => {
  // Monday 01:00-03:00 in Seoul (UTC+9, no DST) is Sunday 16:00-18:00 UTC.
  const seoul = window({ day: 'Monday', start_time: '01:00', end_time: '03:00', timezone: 'Asia/Seoul' });

  test('Monday early morning in Seoul is still Sunday in UTC', () => {
    expect(isWithinMaintenanceWindow(seoul, at('2026-03-01T16:00:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(seoul, at('2026-03-01T17:59:00Z'))).toBe(true);
  });

  test('Monday 01:00-03:00 UTC is Monday morning 10:00-12:00 in Seoul: outside', () => {
    expect(isWithinMaintenanceWindow(seoul, at('2026-03-02T01:00:00Z'))).toBe(false);
    expect(isWithinMaintenanceWindow(seoul, at('2026-03-01T15:59:00Z'))).toBe(false);
    expect(isWithinMaintenanceWindow(seoul, at('2026-03-01T18:00:00Z'))).toBe(false);
  });

  test('a Seoul Saturday 23:00-01:00 window covers Saturday 14:00-16:00 UTC', () => {
    const w = window({ day: 'Saturday', start_time: '23:00', end_time: '01:00', timezone: 'Asia/Seoul' });
    expect(isWithinMaintenanceWindow(w, at('2026-03-07T14:00:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(w, at('2026-03-07T15:30:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(w, at('2026-03-07T16:00:00Z'))).toBe(false);
    expect(isWithinMaintenanceWindow(w, at('2026-03-07T23:30:00Z'))).toBe(false);
  });

  test('a zone behind UTC: Sunday 20:00-22:00 in New York (EST, UTC-5) is Monday 01:00-03:00 UTC', () => {
    const w = window({ day: 'Sunday', start_time: '20:00', end_time: '22:00', timezone: 'America/New_York' });
    expect(isWithinMaintenanceWindow(w, at('2026-03-02T01:30:00Z'))).toBe(true);
    expect(isWithinMaintenanceWindow(w, at('2026-03-01T21:00:00Z'))).toBe(false);
  });
});
