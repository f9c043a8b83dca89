import { WEEKDAYS } from '../../common/enums.js';
import type { MaintenanceWindow } from './environment.model.js';

const MINUTES_PER_WEEK = 7 * 24 * 60;

/**
 * Whether `at` falls inside a weekly window, read in the window's own time zone.
 * A window whose end is not after its start runs past midnight into the next day.
 */
export function isWithinMaintenanceWindow(window: MaintenanceWindow, at: Date): boolean {
  const start = WEEKDAYS.indexOf(window.day) * 24 * 60 + minutes(window.start_time);
  let length = minutes(window.end_time) - minutes(window.start_time);
  if (length <= 0) length += 24 * 60;
  const now = minuteOfWeek(at, window.timezone);
  const sinceStart = (now - start + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
  return sinceStart < length;
}

function minutes(clock: string): number {
  const [h, m] = clock.split(':').map(Number);
  return h! * 60 + m!;
}

function minuteOfWeek(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  const day = WEEKDAYS.indexOf(get('weekday') as (typeof WEEKDAYS)[number]);
  return day * 24 * 60 + Number(get('hour')) * 60 + Number(get('minute'));
}
