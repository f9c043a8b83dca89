/**
 * Uptime is time-weighted: each check's status holds until the next check, for
 * at most staleAfterIntervals (3) check intervals; up / (up + down) over the
 * window. Every call passes `now` explicitly; see NOW in the fixtures.
 */
import { describe, expect, test } from 'vitest';
import type { ServiceStatus } from '../../src/common/enums.js';
import type { CheckResult } from '../../src/modules/history/check-result.js';
import { MonitoringCheckModel } from '../../src/modules/history/history.model.js';
import { UptimeRollupModel } from '../../src/modules/history/uptime-rollup.model.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import { expectDomainError, useTestDatabase } from '../helpers/database.js';
import {
  after,
  check,
  checksEvery,
  clock,
  createHost,
  createService,
  DAY,
  HOST_ID,
  HOUR,
  hostWithService,
  makeDomain,
  MINUTE,
  NOW,
  referenceUptime,
  SECOND,
  seededRandom,
  SETTINGS,
} from '../helpers/history-fixtures.js';

const database = useTestDatabase(import.meta.filename);

const domain = makeDomain();
const SVC = 'svc_web_frontend';
const HOURLY = 3600; // interval_sec: one observation may then last up to 3 h, so sparse sequences count whole
const EVERY_MINUTE = 60; // interval_sec: one observation lasts at most 3 min
const min = (n: number) => n * MINUTE;

/** The mixed sequence used by several tests: 06:50 → 09:10 on the test day, hourly service. */
const MIXED: readonly [string, ServiceStatus][] = [
  ['06:50', 'stopped'],
  ['07:10', 'running'],
  ['07:30', 'stopped'],
  ['07:50', 'running'],
  ['08:40', 'error'],
  ['09:10', 'running'],
];
const mixedChecks = (serviceId: string) => MIXED.map(([hhmm, status]) => check(serviceId, clock(hhmm), status));

describe('time weighting', () => {
  test('weighs each status by how long it held, not by how many checks saw it', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: HOURLY });
    // running 11:00–11:10, stopped 11:10–11:40, running 11:40–now (12:00, the open interval since the last check)
    await domain.recorder.record([check(SVC, clock('11:00'), 'running'), check(SVC, clock('11:10'), 'stopped'), check(SVC, clock('11:40'), 'running')]);

    const report = await domain.uptime.forService(SVC, 1, NOW);
    expect(report).toMatchObject({ service_id: SVC, up_ms: min(30), down_ms: min(30), percentage: 50 });
    expect(report.from).toEqual(after(NOW, -DAY));
    expect(report.to).toEqual(NOW);
    // (2 of 3 checks were "running": a ratio of counts would say 66.67.)
  });

  test('many quick checks while down and few while up do not drag uptime down', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: EVERY_MINUTE });
    await domain.recorder.record([
      ...checksEvery(SVC, clock('11:00'), MINUTE, 30, 'running'), // 11:00 … 11:29, up until 11:30
      ...checksEvery(SVC, clock('11:30'), 10 * SECOND, 60, 'stopped'), // 11:30:00 … 11:39:50, down until 11:40
      ...checksEvery(SVC, clock('11:40'), MINUTE, 21, 'running'), // 11:40 … 12:00
    ]);
    // 51 running checks of 111 (45.95 %) — but 50 of 60 minutes up.
    expect(await domain.uptime.forService(SVC, 1, NOW)).toMatchObject({ up_ms: min(50), down_ms: min(10), percentage: 83.33 });
  });

  test('the same checks give the same uptime whether recorded in one batch or one at a time', async () => {
    await createHost(domain);
    await createService(domain, { serviceId: 'svc_batched', intervalSec: EVERY_MINUTE });
    await createService(domain, { serviceId: 'svc_one_by_one', intervalSec: EVERY_MINUTE });
    const sequence = (serviceId: string) => [
      ...checksEvery(serviceId, clock('10:30'), MINUTE, 45, 'running'),
      ...checksEvery(serviceId, clock('11:15'), 20 * SECOND, 30, 'error'),
      ...checksEvery(serviceId, clock('11:25'), MINUTE, 30, 'warning'),
    ];
    await domain.recorder.record(sequence('svc_batched'));
    for (const result of sequence('svc_one_by_one')) await domain.recorder.record([result]);

    const batched = await domain.uptime.forService('svc_batched', 1, NOW);
    const oneByOne = await domain.uptime.forService('svc_one_by_one', 1, NOW);
    // running 10:30–11:15 (45), error 11:15–11:25 (10), warning 11:25–11:54 (29) and 3 capped minutes after the last check
    expect(batched).toMatchObject({ up_ms: min(45 + 29 + 3), down_ms: min(10), percentage: 88.51 });
    expect({ ...oneByOne, service_id: 'x' }).toEqual({ ...batched, service_id: 'x' });
  });
});

describe('gaps in monitoring', () => {
  test('a gap longer than three intervals counts as no data: it leaves the denominator', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: EVERY_MINUTE });
    await domain.recorder.record([
      ...checksEvery(SVC, clock('11:00'), MINUTE, 3, 'running'), // 11:00, 11:01, 11:02 — then nobody looks until 11:30
      check(SVC, clock('11:30'), 'stopped'),
      check(SVC, clock('11:31'), 'stopped'),
      check(SVC, clock('11:32'), 'running'),
    ]);
    // up: 11:00–11:02 plus 3 min for the 11:02 check (not 28), plus 11:32–11:33 open; down: 11:30–11:32.
    const report = await domain.uptime.forService(SVC, 1, clock('11:33'));
    expect(report).toMatchObject({ up_ms: min(6), down_ms: min(2), percentage: 75 });
  });

  test('the time since the latest check counts only up to three intervals', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: EVERY_MINUTE });
    await domain.recorder.record([...checksEvery(SVC, clock('10:00'), MINUTE, 3, 'stopped'), check(SVC, clock('10:03'), 'running')]);
    // Two hours after the last check: 3 min of it count as up, not 117.
    expect(await domain.uptime.forService(SVC, 1, NOW)).toMatchObject({ up_ms: min(3), down_ms: min(3), percentage: 50 });
  });
});

describe('windows', () => {
  test('a window starting mid-hour (07:20) counts only the part of the first hour inside it', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: HOURLY });
    await domain.recorder.record(mixedChecks(SVC));

    // The whole 07:00 hour holds 30 min up and 30 min down; only 07:20–08:00 of it belongs to the window.
    const bucket0700 = await UptimeRollupModel.findOne({ service_id: SVC, bucket_start: clock('07:00') }).lean();
    expect(bucket0700).toMatchObject({ up_ms: min(30), down_ms: min(30) });

    // 07:20–10:20: running 07:20–07:30 (10), stopped –07:50 (20), running –08:40 (50), error –09:10 (30), running –10:20 (70)
    const report = await domain.uptime.forService(SVC, 3 / 24, clock('10:20'));
    expect(report.from).toEqual(clock('07:20'));
    expect(report).toMatchObject({ up_ms: min(130), down_ms: min(50), percentage: 72.22 });
  });

  test('a window holding all the data counts every interval, the one before the first check excluded', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: HOURLY });
    await domain.recorder.record(mixedChecks(SVC));
    // stopped 20 + 20 + error 30 = 70 down; running 20 + 50 + 70 = 140 up
    expect(await domain.uptime.forService(SVC, 1, clock('10:20'))).toMatchObject({ up_ms: min(140), down_ms: min(70), percentage: 66.67 });
  });

  test('a window starting after the latest check sees only what is left of that check’s capped observation', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: HOURLY });
    await domain.recorder.record([check(SVC, clock('08:00'), 'running'), check(SVC, clock('08:30'), 'stopped')]);
    // 1/32 day = the 45 min 11:15–12:00; the 08:30 observation holds until 11:30 (3 h cap): 15 min of it are inside.
    expect(await domain.uptime.forService(SVC, 1 / 32, NOW)).toMatchObject({ up_ms: 0, down_ms: min(15), percentage: 0 });
  });

  test('a late result weighs the same in the part-hour at the window’s start as in whole hours', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: HOURLY });
    await domain.recorder.record([check(SVC, clock('07:00'), 'running'), check(SVC, clock('07:40'), 'stopped'), check(SVC, clock('10:00'), 'running')]);
    const late = await domain.recorder.record([check(SVC, clock('07:30'), 'stopped')]);
    expect(late.recorded[0]!.late).toBe(true);

    // The two windows differ only by 07:00–07:20 (running, whichever way the late 07:30 result is treated),
    // so the wider one must hold exactly 20 more minutes up and nothing else.
    const wide = await domain.uptime.forService(SVC, 1, clock('10:20')); // 07:00 hour read from its rollup
    const narrow = await domain.uptime.forService(SVC, 3 / 24, clock('10:20')); // 07:20–08:00 rebuilt from history
    expect({ up_ms: wide.up_ms - narrow.up_ms, down_ms: wide.down_ms - narrow.down_ms }).toEqual({ up_ms: min(20), down_ms: 0 });
  });

  test('matches a direct computation for every window start, over a long generated sequence', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: HOURLY });
    const capMs = HOURLY * SETTINGS.staleAfterIntervals * SECOND;
    const random = seededRandom(20310115);
    const statuses: ServiceStatus[] = ['running', 'running', 'running', 'warning', 'stopped', 'error', 'unknown'];
    const checks: CheckResult[] = [];
    for (let t = +after(NOW, -40 * HOUR); t < +after(NOW, -3 * HOUR); ) {
      checks.push(check(SVC, new Date(t), statuses[Math.floor(random() * statuses.length)]!));
      // Mostly a few minutes to an hour apart; now and then a gap longer than the 3 h cap.
      t += random() < 0.1 ? Math.floor(181 + random() * 120) * MINUTE : Math.floor(1 + random() * 2400) * SECOND;
    }
    // Recorded in batches of varying size, each shuffled: the recorder sorts them.
    for (let i = 0; i < checks.length; ) {
      const size = 1 + Math.floor(random() * 12);
      const batch = checks.slice(i, i + size).sort(() => random() - 0.5);
      await domain.recorder.record(batch);
      i += size;
    }
    const last = +checks.at(-1)!.timestamp;
    const windows: { now: number; days: number }[] = [];
    for (let m = 0; m <= 200; m += 23) for (const days of [1, 0.5, 0.25, 0.125, 0.0625]) windows.push({ now: last + m * MINUTE + 7 * SECOND, days });

    const compareAll = async () => {
      for (const { now, days } of windows) {
        const report = await domain.uptime.forService(SVC, days, new Date(now));
        const expected = referenceUptime(checks, capMs, now - days * DAY, now);
        expect({ now: new Date(now), days, up_ms: report.up_ms, down_ms: report.down_ms }).toEqual({ now: new Date(now), days, ...expected });
      }
    };
    // The sequence must exercise what it is meant to: dozens of checks, several gaps past the cap, every status.
    expect(checks.length).toBeGreaterThan(30);
    expect(checks.filter((c, i) => i > 0 && +c.timestamp - +checks[i - 1]!.timestamp > capMs).length).toBeGreaterThan(1);
    expect(new Set(checks.map((c) => c.status)).size).toBe(5);
    await compareAll();
    // And the same again from history alone, as for a database without rollups.
    await UptimeRollupModel.deleteMany({});
    await compareAll();
  });
});

describe('what counts', () => {
  test('unknown time is left out; warning time counts as up', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: HOURLY });
    await domain.recorder.record([
      check(SVC, clock('11:00'), 'running'), // up 10
      check(SVC, clock('11:10'), 'unknown'), // no data 20
      check(SVC, clock('11:30'), 'warning'), // up 10
      check(SVC, clock('11:40'), 'stopped'), // down 20, until now
    ]);
    expect(await domain.uptime.forService(SVC, 1, NOW)).toMatchObject({ up_ms: min(20), down_ms: min(20), percentage: 50 });
  });

  test('a service never checked has no uptime: null, not 0 or 100', async () => {
    await hostWithService(domain, { serviceId: SVC });
    expect(await domain.uptime.forService(SVC, 30, NOW)).toMatchObject({ up_ms: 0, down_ms: 0, percentage: null });
  });

  test('a service only ever seen in unknown state has no uptime either', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: EVERY_MINUTE });
    await domain.recorder.record(checksEvery(SVC, clock('11:50'), MINUTE, 10, 'unknown'));
    expect((await domain.uptime.forService(SVC, 30, NOW)).percentage).toBeNull();
  });

  test('checks older than the window are not counted', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: HOURLY });
    await domain.recorder.record([check(SVC, after(NOW, -3 * DAY), 'stopped'), check(SVC, after(NOW, -3 * DAY + HOUR), 'running')]);
    expect((await domain.uptime.forService(SVC, 30, NOW)).percentage).toBe(75); // 1 h down, then 3 h (capped) up
    expect(await domain.uptime.forService(SVC, 2, NOW)).toMatchObject({ up_ms: 0, down_ms: 0, percentage: null });
  });

  test('an unknown service is NOT_FOUND', async () => {
    await expectDomainError(domain.uptime.forService('svc_missing', 30, NOW), 'NOT_FOUND');
  });
});

describe('databases written without rollups', () => {
  /** Writes checks the way the seed's Python tooling does: straight into monitoring_history, no rollups, then the service's state. */
  async function writeLikeTheSeed(serviceId: string, checks: readonly [Date, ServiceStatus][]) {
    await database.db.collection('monitoring_history').insertMany(
      checks.map(([timestamp, status]) => ({
        service_id: serviceId,
        host_id: HOST_ID,
        timestamp,
        check_type: 'status_check',
        status,
        response_time_ms: 15,
        metrics: { cpu_usage: 20.5, memory_usage: 40.1 },
        error: null,
        recovery_attempted: false,
        expires_at: new Date(+timestamp + 30 * DAY),
      })),
    );
    const [lastAt, lastStatus] = checks.at(-1)!;
    await database.db.collection('services').updateOne({ service_id: serviceId }, { $set: { current_status: lastStatus, last_check: lastAt } });
  }

  test('uptime is rebuilt from history when there are no rollups at all', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: HOURLY });
    await writeLikeTheSeed(SVC, MIXED.map(([hhmm, status]) => [clock(hhmm), status]));
    expect(await UptimeRollupModel.countDocuments()).toBe(0);

    expect(await domain.uptime.forService(SVC, 3 / 24, clock('10:20'))).toMatchObject({ up_ms: min(130), down_ms: min(50), percentage: 72.22 });
    expect(await domain.uptime.forService(SVC, 1, clock('10:20'))).toMatchObject({ up_ms: min(140), down_ms: min(70), percentage: 66.67 });
  });

  test('a database upgraded in place counts the seed-era history that has no rollups alongside the new checks', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: HOURLY });
    // Before the upgrade: down 06:00–08:00, then up.
    await writeLikeTheSeed(SVC, [
      [clock('06:00'), 'stopped'],
      [clock('07:00'), 'stopped'],
      [clock('08:00'), 'running'],
    ]);
    // After it, the recorder takes over: down 09:00–09:30, up since.
    await domain.recorder.record([check(SVC, clock('09:00'), 'stopped'), check(SVC, clock('09:30'), 'running')]);

    // up 08:00–09:00 + 09:30–10:00 = 90 min; down 06:00–08:00 + 09:00–09:30 = 150 min
    expect(await domain.uptime.forService(SVC, 1, clock('10:00'))).toMatchObject({ up_ms: min(90), down_ms: min(150), percentage: 37.5 });
  });
});

describe('refreshStoredPercentages', () => {
  test('stores each service’s 30-day uptime in services.uptime_percentage, null where there is no data', async () => {
    await createHost(domain);
    await createService(domain, { serviceId: 'svc_checked', intervalSec: HOURLY });
    await createService(domain, { serviceId: 'svc_unchecked' });
    // A value left by the seed's tooling must not survive when there is nothing to back it.
    await ServiceModel.collection.updateOne({ service_id: 'svc_unchecked' }, { $set: { uptime_percentage: 99.95 } });
    await domain.recorder.record([check('svc_checked', clock('11:00'), 'running'), check('svc_checked', clock('11:10'), 'stopped'), check('svc_checked', clock('11:40'), 'running')]);
    const updatedAtBefore = (await ServiceModel.findOne({ service_id: 'svc_checked' }).lean())!.updated_at;

    await domain.uptime.refreshStoredPercentages(['svc_checked', 'svc_unchecked', 'svc_deleted_meanwhile'], NOW);

    const checked = (await ServiceModel.findOne({ service_id: 'svc_checked' }).lean())!;
    expect(checked.uptime_percentage).toBe(50);
    expect(checked.uptime_percentage).toBe((await domain.uptime.forService('svc_checked', 30, NOW)).percentage);
    expect(checked.updated_at).toEqual(updatedAtBefore);
    expect((await ServiceModel.findOne({ service_id: 'svc_unchecked' }).lean())!.uptime_percentage).toBeNull();
    expect(await ServiceModel.countDocuments({ service_id: 'svc_deleted_meanwhile' })).toBe(0);
  });

  test('leaves services not named alone', async () => {
    await createHost(domain);
    await createService(domain, { serviceId: 'svc_a', intervalSec: HOURLY });
    await createService(domain, { serviceId: 'svc_b', intervalSec: HOURLY });
    await domain.recorder.record([check('svc_a', clock('11:00'), 'stopped'), check('svc_b', clock('11:00'), 'stopped')]);
    await domain.uptime.refreshStoredPercentages(['svc_a'], NOW);
    expect((await ServiceModel.findOne({ service_id: 'svc_a' }).lean())!.uptime_percentage).toBe(0);
    expect((await ServiceModel.findOne({ service_id: 'svc_b' }).lean())!.uptime_percentage).toBeNull();
    expect(await MonitoringCheckModel.countDocuments()).toBe(2);
  });
});
