import { describe, expect, test } from 'vitest';
import { meetsSeverity, severityFor, suppressionReason, thresholdsFor } from '../../src/modules/alerting/incident-rules.js';

const defaults = { failure: 3, success: 2 };
// A Sunday, 03:00 in Seoul (18:00 UTC on Saturday).
const sundayThreeAmSeoul = new Date('2026-12-05T18:00:00Z');
const sundayWindowSeoul = { day: 'Sunday', start_time: '02:00', end_time: '06:00', timezone: 'Asia/Seoul' } as const;

describe('thresholds', () => {
  test('the service’s own, else its environment’s, else the settings', () => {
    expect(thresholdsFor({ failure_threshold: 5, success_threshold: 1 }, { failure_threshold: 7, success_threshold: 4 }, defaults)).toEqual({ failure: 5, success: 1 });
    expect(thresholdsFor({ failure_threshold: null }, { failure_threshold: 7, success_threshold: 4 }, defaults)).toEqual({ failure: 7, success: 4 });
    expect(thresholdsFor({}, null, defaults)).toEqual(defaults);
    expect(thresholdsFor(undefined, { success_threshold: 9 }, defaults)).toEqual({ failure: 3, success: 9 });
  });

  test('severity: the service’s, else the environment’s alert_severity, else medium', () => {
    expect(severityFor({ severity: 'low' }, { alert_severity: 'critical' })).toBe('low');
    expect(severityFor({ severity: null }, { alert_severity: 'critical' })).toBe('critical');
    expect(severityFor(undefined, undefined)).toBe('medium');
  });

  test('a channel takes incidents at or above its minimum severity', () => {
    expect(meetsSeverity('high', 'medium')).toBe(true);
    expect(meetsSeverity('medium', 'medium')).toBe(true);
    expect(meetsSeverity('low', 'medium')).toBe(false);
    expect(meetsSeverity('critical', 'critical')).toBe(true);
  });
});

describe('suppression', () => {
  const quiet = { alerting: { enabled: true, mute_until: null }, hostStatus: 'active' as const, environment: null, cause: null };

  test('nothing holds notifications back by default', () => {
    expect(suppressionReason(quiet, sundayThreeAmSeoul)).toBeNull();
  });

  test('alerting off, a mute in the future, a host in maintenance, a dependency down each hold it back, with the reason', () => {
    expect(suppressionReason({ ...quiet, alerting: { enabled: false } }, sundayThreeAmSeoul)).toBe('alerting disabled');
    const until = new Date(+sundayThreeAmSeoul + 60_000);
    expect(suppressionReason({ ...quiet, alerting: { enabled: true, mute_until: until } }, sundayThreeAmSeoul)).toBe(`muted until ${until.toISOString()}`);
    expect(suppressionReason({ ...quiet, alerting: { enabled: true, mute_until: new Date(+sundayThreeAmSeoul - 1) } }, sundayThreeAmSeoul)).toBeNull();
    expect(suppressionReason({ ...quiet, hostStatus: 'maintenance' }, sundayThreeAmSeoul)).toBe('host in maintenance');
    expect(suppressionReason({ ...quiet, cause: { incident_id: 'inc_1', service_id: 'svc_db' } }, sundayThreeAmSeoul)).toBe('caused by svc_db (incident inc_1)');
  });

  test('the environment’s weekly window counts in its own time zone', () => {
    const environment = { maintenance_window: sundayWindowSeoul };
    expect(suppressionReason({ ...quiet, environment }, sundayThreeAmSeoul)).toBe('maintenance window');
    // 07:00 Sunday in Seoul: the window (02:00-06:00) is over.
    expect(suppressionReason({ ...quiet, environment }, new Date('2026-12-05T22:00:00Z'))).toBeNull();
    // 03:00 Sunday UTC is noon in Seoul: outside its window.
    expect(suppressionReason({ ...quiet, environment }, new Date('2026-12-06T03:00:00Z'))).toBeNull();
  });
});
