/**
 * History and uptime through the API: serviceHistory / hostHistory / recentFailures
 * (order, keyset pages, `since`, totalCount), time-weighted serviceUptime, the nested
 * Service.history and Service.uptime fields, and every MonitoringCheck field.
 * Checks are recorded through the domain's recorder at explicit recent instants.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import type { ServiceStatus } from '../../src/common/enums.js';
import type { CheckResult } from '../../src/modules/history/check-result.js';
import {
  HostHistoryCoreDocument,
  RecentFailuresCoreDocument,
  ServiceHistoryCoreDocument,
  ServiceHistoryDocument,
  ServiceHistoryNestedDocument,
  ServiceUptimeDocument,
  ServiceUptimeNestedDocument,
} from '../graphql/generated.js';
import { useApiServer, type GraphQLResponse } from '../helpers/api.js';
import { addressFor } from '../helpers/fixtures.js';

const api = useApiServer(import.meta.filename);

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** "Now" of the test; checks are placed relative to it, in the recent past. */
let now: number;
beforeEach(() => {
  now = Date.now();
});
const ago = (ms: number) => new Date(now - ms);
const iso = (at: Date | number) => new Date(at).toISOString();

async function createHost(hostId: string) {
  await api.domain.hosts.create({
    host_id: hostId,
    hostname: `${hostId.replace(/_/g, "-")}.example.internal`,
    ip_address: addressFor(hostId),
    environment: 'production',
    region: 'eu-west-1',
    ssh_config: { user: 'monitor' },
  });
}

async function createService(serviceId: string, hostId: string, intervalSec = 60) {
  await api.domain.services.create(
    { service_id: serviceId, host_id: hostId, service_name: `${serviceId}.service`, service_type: 'mysql', monitoring: { interval_sec: intervalSec, timeout_sec: 10 } },
    ago(DAY),
  );
}

const check = (serviceId: string, timestamp: Date, status: ServiceStatus, extra: Partial<CheckResult> = {}): CheckResult => ({
  service_id: serviceId,
  timestamp,
  status,
  ...extra,
});

function expectError(response: GraphQLResponse<unknown>, code: string, field?: string) {
  expect(response.errors, `expected ${code}, got ${JSON.stringify(response.errors ?? response.data)}`).toBeDefined();
  expect(response.errors![0]!.extensions?.code).toBe(code);
  if (field) expect(response.errors![0]!.extensions?.fields?.map((f) => f.path)).toEqual([field]);
}

const isNewestFirst = (timestamps: string[]) => timestamps.every((t, i) => i === 0 || Date.parse(timestamps[i - 1]!) >= Date.parse(t));

describe('serviceHistory', () => {
  beforeEach(async () => {
    await createHost('host_a');
    await createService('svc_a', 'host_a');
    await createService('svc_b', 'host_a');
  });

  test('lists one service’s checks newest first, with totalCount, and only that service’s', async () => {
    const base = ago(2 * HOUR);
    const statuses: ServiceStatus[] = ['running', 'running', 'stopped', 'error', 'running'];
    // Recorded out of order on purpose: the list is ordered by check time, not by insertion.
    await api.domain.recorder.record([...statuses.map((s, i) => check('svc_a', new Date(+base + i * MINUTE), s))].reverse());
    await api.domain.recorder.record([check('svc_b', new Date(+base + 30 * SECOND), 'error'), check('svc_b', new Date(+base + 10 * MINUTE), 'running')]);

    const { serviceHistory } = await api.data(ServiceHistoryCoreDocument, { serviceId: 'svc_a' }, { as: 'viewer' });
    expect(serviceHistory.totalCount).toBe(5);
    expect(serviceHistory.edges.map((e) => e.node.serviceId)).toEqual(Array(5).fill('svc_a'));
    expect(serviceHistory.edges.map((e) => e.node.timestamp)).toEqual([4, 3, 2, 1, 0].map((i) => iso(+base + i * MINUTE)));
    expect(serviceHistory.edges.map((e) => e.node.status)).toEqual(['RUNNING', 'ERROR', 'STOPPED', 'RUNNING', 'RUNNING']);
    expect(serviceHistory.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false, endCursor: serviceHistory.edges[4]!.cursor });
  });

  test('`since` keeps checks at or after the instant, and totalCount counts only those', async () => {
    const base = ago(2 * HOUR);
    await api.domain.recorder.record(Array.from({ length: 6 }, (_, i) => check('svc_a', new Date(+base + i * MINUTE), 'running')));

    const since = iso(+base + 2 * MINUTE); // exactly the third check's instant: included
    const { serviceHistory } = await api.data(ServiceHistoryCoreDocument, { serviceId: 'svc_a', since });
    expect(serviceHistory.totalCount).toBe(4);
    expect(serviceHistory.edges.map((e) => e.node.timestamp)).toEqual([5, 4, 3, 2].map((i) => iso(+base + i * MINUTE)));

    const page = await api.data(ServiceHistoryCoreDocument, { serviceId: 'svc_a', since, first: 3 });
    expect(page.serviceHistory.totalCount).toBe(4);
    expect(page.serviceHistory.pageInfo.hasNextPage).toBe(true);
    const rest = await api.data(ServiceHistoryCoreDocument, { serviceId: 'svc_a', since, first: 3, after: page.serviceHistory.pageInfo.endCursor });
    expect(rest.serviceHistory.edges.map((e) => e.node.timestamp)).toEqual([iso(+base + 2 * MINUTE)]);
    expect(rest.serviceHistory.pageInfo.hasNextPage).toBe(false);

    const future = await api.data(ServiceHistoryCoreDocument, { serviceId: 'svc_a', since: iso(now + MINUTE) });
    expect(future.serviceHistory).toMatchObject({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, endCursor: null } });
  });

  test('pages with cursors cover every check exactly once, in order, even when many share one timestamp', async () => {
    const base = ago(3 * HOUR);
    const same = new Date(+base + 10 * MINUTE);
    const results = [
      ...Array.from({ length: 4 }, (_, i) => check('svc_a', new Date(+base + i * MINUTE), 'running')),
      // Seven checks at the very same instant: the cursor must tell them apart.
      ...Array.from({ length: 7 }, (_, i) => check('svc_a', same, i % 2 ? 'stopped' : 'running', { status_code: i })),
      ...Array.from({ length: 3 }, (_, i) => check('svc_a', new Date(+base + (20 + i) * MINUTE), 'error')),
    ];
    await api.domain.recorder.record(results.slice(0, 6));
    await api.domain.recorder.record(results.slice(6));

    const all = (await api.data(ServiceHistoryCoreDocument, { serviceId: 'svc_a', first: 500 })).serviceHistory;
    expect(all.totalCount).toBe(14);
    expect(all.edges).toHaveLength(14);
    expect(isNewestFirst(all.edges.map((e) => e.node.timestamp))).toBe(true);
    expect(all.edges.filter((e) => e.node.timestamp === iso(same)).map((e) => e.node.statusCode).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);

    for (const size of [1, 2, 3, 5]) {
      const seen: string[] = [];
      let after: string | null | undefined;
      let pages = 0;
      for (;;) {
        const { serviceHistory: page } = await api.data(ServiceHistoryCoreDocument, { serviceId: 'svc_a', first: size, after });
        pages++;
        expect(page.edges.length, `page ${pages} of size ${size}`).toBeLessThanOrEqual(size);
        expect(page.pageInfo.hasPreviousPage).toBe(after !== undefined);
        expect(page.totalCount).toBe(14);
        seen.push(...page.edges.map((e) => e.node.id));
        if (!page.pageInfo.hasNextPage) break;
        expect(page.edges).toHaveLength(size);
        after = page.pageInfo.endCursor;
        expect(pages).toBeLessThan(20);
      }
      expect(seen, `pages of ${size}`).toEqual(all.edges.map((e) => e.node.id));
      expect(new Set(seen).size).toBe(14);
      expect(pages).toBe(Math.ceil(14 / size));
    }
  });

  test('a cursor from the middle of a run of equal timestamps continues inside the run', async () => {
    const same = ago(HOUR);
    await api.domain.recorder.record(Array.from({ length: 5 }, (_, i) => check('svc_a', same, 'running', { status_code: i })));
    const all = (await api.data(ServiceHistoryCoreDocument, { serviceId: 'svc_a' })).serviceHistory.edges;
    const afterSecond = await api.data(ServiceHistoryCoreDocument, { serviceId: 'svc_a', after: all[1]!.cursor });
    expect(afterSecond.serviceHistory.edges.map((e) => e.node.id)).toEqual(all.slice(2).map((e) => e.node.id));
    expect(afterSecond.serviceHistory.edges[0]!.cursor).toBe(all[2]!.cursor);
  });

  test('page size is checked: first over 500 or negative is BAD_USER_INPUT on `first`; first: 0 is an empty page', async () => {
    await api.domain.recorder.record([check('svc_a', ago(HOUR), 'running')]);
    expectError(await api.request(ServiceHistoryCoreDocument, { serviceId: 'svc_a', first: 501 }), 'BAD_USER_INPUT', 'first');
    expectError(await api.request(ServiceHistoryCoreDocument, { serviceId: 'svc_a', first: -1 }), 'BAD_USER_INPUT', 'first');
    const empty = await api.data(ServiceHistoryCoreDocument, { serviceId: 'svc_a', first: 0 });
    expect(empty.serviceHistory).toMatchObject({ totalCount: 1, edges: [] });
  });

  test('a malformed or forged cursor is BAD_USER_INPUT on `after`, never an internal error', async () => {
    await api.domain.recorder.record([check('svc_a', ago(HOUR), 'running'), check('svc_a', ago(HOUR - MINUTE), 'running')]);
    const real = (await api.data(ServiceHistoryCoreDocument, { serviceId: 'svc_a', first: 1 })).serviceHistory.pageInfo.endCursor!;
    const cursor = (values: unknown) => Buffer.from(JSON.stringify(values)).toString('base64url');
    const forged = {
      'not base64 JSON': 'not a cursor!',
      'wrong arity': cursor([{ d: iso(now) }]),
      'not an ObjectId': cursor([{ d: iso(now) }, { o: 'xyz' }]),
      'a number for the id': cursor([{ d: iso(now) }, 5]),
      'an invalid date': cursor([{ d: 'yesterday-ish' }, { o: '0123456789abcdef01234567' }]),
      'plain values': cursor([1, 2]),
      'a truncated real cursor': real.slice(0, -4),
    };
    const problems: string[] = [];
    for (const [name, after] of Object.entries(forged)) {
      const response = await api.request(ServiceHistoryCoreDocument, { serviceId: 'svc_a', after });
      const code = response.errors?.[0]?.extensions?.code;
      const fields = response.errors?.[0]?.extensions?.fields?.map((f) => f.path);
      if (code !== 'BAD_USER_INPUT' || JSON.stringify(fields) !== '["after"]') problems.push(`${name}: ${code ?? 'no error'} ${JSON.stringify(fields)}`);
    }
    expect(problems).toEqual([]);
  });

  test('a missing service is NOT_FOUND (not an empty list)', async () => {
    const response = await api.request(ServiceHistoryCoreDocument, { serviceId: 'svc_missing' });
    expectError(response, 'NOT_FOUND');
    expect(response.errors![0]!.message).toContain('svc_missing');
    expect(response.errors![0]!.path).toEqual(['serviceHistory']);
  });
});

describe('hostHistory', () => {
  test('lists the checks of every service of one host, newest first, and none of other hosts', async () => {
    await createHost('host_a');
    await createHost('host_b');
    await createService('svc_a1', 'host_a');
    await createService('svc_a2', 'host_a');
    await createService('svc_b1', 'host_b');
    const base = ago(HOUR);
    await api.domain.recorder.record([
      check('svc_a1', new Date(+base), 'running'),
      check('svc_a2', new Date(+base + 1 * MINUTE), 'stopped'),
      check('svc_b1', new Date(+base + 2 * MINUTE), 'running'),
      check('svc_a1', new Date(+base + 3 * MINUTE), 'error'),
      check('svc_a2', new Date(+base + 4 * MINUTE), 'running'),
      check('svc_b1', new Date(+base + 5 * MINUTE), 'error'),
    ]);

    const { hostHistory } = await api.data(HostHistoryCoreDocument, { hostId: 'host_a' }, { as: 'viewer' });
    expect(hostHistory.totalCount).toBe(4);
    expect(hostHistory.edges.map((e) => [e.node.serviceId, e.node.hostId, e.node.status])).toEqual([
      ['svc_a2', 'host_a', 'RUNNING'],
      ['svc_a1', 'host_a', 'ERROR'],
      ['svc_a2', 'host_a', 'STOPPED'],
      ['svc_a1', 'host_a', 'RUNNING'],
    ]);

    const first = await api.data(HostHistoryCoreDocument, { hostId: 'host_a', first: 3 });
    expect(first.hostHistory.pageInfo.hasNextPage).toBe(true);
    const second = await api.data(HostHistoryCoreDocument, { hostId: 'host_a', first: 3, after: first.hostHistory.pageInfo.endCursor });
    expect([...first.hostHistory.edges, ...second.hostHistory.edges].map((e) => e.node.id)).toEqual(hostHistory.edges.map((e) => e.node.id));
    expect(second.hostHistory.pageInfo.hasNextPage).toBe(false);

    const since = await api.data(HostHistoryCoreDocument, { hostId: 'host_a', since: iso(+base + 3 * MINUTE) });
    expect(since.hostHistory.totalCount).toBe(2);
    expect(since.hostHistory.edges.map((e) => e.node.serviceId)).toEqual(['svc_a2', 'svc_a1']);
  });

  test('a missing host is NOT_FOUND', async () => {
    const response = await api.request(HostHistoryCoreDocument, { hostId: 'host_missing' });
    expectError(response, 'NOT_FOUND');
    expect(response.errors![0]!.message).toContain('host_missing');
  });
});

describe('recentFailures', () => {
  test('lists only stopped, error and unknown checks within the last `hours`, newest first, across services', async () => {
    await createHost('host_a');
    await createService('svc_a', 'host_a');
    await createService('svc_b', 'host_a');
    await api.domain.recorder.record([
      check('svc_a', ago(50 * MINUTE), 'stopped'),
      check('svc_b', ago(40 * MINUTE), 'error'),
      check('svc_a', ago(30 * MINUTE), 'unknown'),
      check('svc_a', ago(20 * MINUTE), 'running'),
      check('svc_b', ago(10 * MINUTE), 'warning'),
      // Outside one hour, inside three.
      check('svc_b', ago(61 * MINUTE), 'error'),
      check('svc_a', ago(2 * HOUR), 'stopped'),
      check('svc_a', ago(2 * HOUR + MINUTE), 'running'),
      // Outside three hours.
      check('svc_b', ago(5 * HOUR), 'stopped'),
    ]);

    const lastHour = (await api.data(RecentFailuresCoreDocument, { hours: 1 }, { as: 'viewer' })).recentFailures;
    expect(lastHour.totalCount).toBe(3);
    expect(lastHour.edges.map((e) => [e.node.serviceId, e.node.status])).toEqual([
      ['svc_a', 'UNKNOWN'],
      ['svc_b', 'ERROR'],
      ['svc_a', 'STOPPED'],
    ]);

    const threeHours = (await api.data(RecentFailuresCoreDocument, { hours: 3 })).recentFailures;
    expect(threeHours.totalCount).toBe(5);
    expect(threeHours.edges.map((e) => e.node.status)).toEqual(['UNKNOWN', 'ERROR', 'STOPPED', 'ERROR', 'STOPPED']);
    expect(threeHours.edges.every((e) => Date.parse(e.node.timestamp) >= now - 3 * HOUR)).toBe(true);

    const defaultDay = (await api.data(RecentFailuresCoreDocument, {})).recentFailures;
    expect(defaultDay.totalCount).toBe(6);

    const paged = (await api.data(RecentFailuresCoreDocument, { hours: 3, first: 2 })).recentFailures;
    expect(paged.pageInfo.hasNextPage).toBe(true);
    const rest = (await api.data(RecentFailuresCoreDocument, { hours: 3, first: 10, after: paged.pageInfo.endCursor })).recentFailures;
    expect([...paged.edges, ...rest.edges].map((e) => e.node.id)).toEqual(threeHours.edges.map((e) => e.node.id));
  });

  test('hours must be at least 1', async () => {
    expectError(await api.request(RecentFailuresCoreDocument, { hours: 0 }), 'BAD_USER_INPUT', 'hours');
    expectError(await api.request(RecentFailuresCoreDocument, { hours: -5 }), 'BAD_USER_INPUT', 'hours');
  });
});

describe('serviceUptime', () => {
  beforeEach(async () => {
    await createHost('host_a');
    await createService('svc_a', 'host_a', 60); // a gap longer than 3 intervals (3 min) counts only 3 min
  });

  /**
   * running@0, stopped@1m, stopped@11m (10-min gap: only 3 min count), running@12m,
   * unknown@13m (no data), running@14m, then the last check's status for 3 min more
   * (it is long past). Up = 1 + 1 + 3 = 5 min; down = 3 + 1 = 4 min: 55.56 %.
   * By count it would be 3/5 = 60 %, and without the cap 5/(5+11) = 31.25 %.
   */
  async function recordSequence(base: Date) {
    const at = (minutes: number) => new Date(+base + minutes * MINUTE);
    await api.domain.recorder.record([
      check('svc_a', at(0), 'running'),
      check('svc_a', at(1), 'stopped'),
      check('svc_a', at(11), 'stopped'),
      check('svc_a', at(12), 'running'),
      check('svc_a', at(13), 'unknown'),
      check('svc_a', at(14), 'running'),
    ]);
  }

  test('is time-weighted, caps a gap at three intervals, and leaves unknown out', async () => {
    await recordSequence(ago(2 * HOUR));
    for (const days of [1, 30]) {
      const { serviceUptime } = await api.data(ServiceUptimeDocument, { serviceId: 'svc_a', days }, { as: 'viewer' });
      expect(serviceUptime.serviceId).toBe('svc_a');
      expect(serviceUptime.upMs).toBe(5 * MINUTE);
      expect(serviceUptime.downMs).toBe(4 * MINUTE);
      expect(serviceUptime.percentage).toBe(55.56);
      const to = Date.parse(serviceUptime.to);
      expect(to).toBeGreaterThanOrEqual(now);
      expect(to).toBeLessThan(now + 30 * SECOND);
      expect(to - Date.parse(serviceUptime.from)).toBe(days * DAY);
    }
  });

  test('the same sequence recorded one check at a time gives the same figures', async () => {
    const base = ago(3 * HOUR + 17 * MINUTE); // crosses an hour boundary somewhere else
    const at = (minutes: number) => new Date(+base + minutes * MINUTE);
    const sequence: [number, ServiceStatus][] = [[0, 'running'], [1, 'stopped'], [11, 'stopped'], [12, 'running'], [13, 'unknown'], [14, 'running']];
    for (const [minutes, status] of sequence) await api.domain.recorder.record([check('svc_a', at(minutes), status)]);
    const { serviceUptime } = await api.data(ServiceUptimeDocument, { serviceId: 'svc_a', days: 1 });
    expect(serviceUptime).toMatchObject({ upMs: 5 * MINUTE, downMs: 4 * MINUTE, percentage: 55.56 });
  });

  test('checks older than the window do not count', async () => {
    await recordSequence(ago(3 * DAY));
    await api.domain.recorder.record([check('svc_a', ago(2 * HOUR), 'stopped')]);
    const { serviceUptime } = await api.data(ServiceUptimeDocument, { serviceId: 'svc_a', days: 1 });
    expect(serviceUptime).toMatchObject({ upMs: 0, downMs: 3 * MINUTE, percentage: 0 });
    const week = await api.data(ServiceUptimeDocument, { serviceId: 'svc_a', days: 7 });
    // The 3-day-old sequence (5 up, 4 down) plus the 3 capped minutes of the newest stopped check; the
    // running check at 14 min is followed 3 days later by the stopped one, so it is capped at 3 min too.
    expect(week.serviceUptime).toMatchObject({ upMs: 5 * MINUTE, downMs: 7 * MINUTE, percentage: 41.67 });
  });

  test('a service never checked has no percentage', async () => {
    const { serviceUptime } = await api.data(ServiceUptimeDocument, { serviceId: 'svc_a' });
    expect(serviceUptime).toMatchObject({ serviceId: 'svc_a', upMs: 0, downMs: 0, percentage: null });
    expect(Date.parse(serviceUptime.to) - Date.parse(serviceUptime.from)).toBe(30 * DAY);
  });

  test('days outside 1..3650 is BAD_USER_INPUT on `days`; a missing service is NOT_FOUND', async () => {
    expectError(await api.request(ServiceUptimeDocument, { serviceId: 'svc_a', days: 0 }), 'BAD_USER_INPUT', 'days');
    expectError(await api.request(ServiceUptimeDocument, { serviceId: 'svc_a', days: 3651 }), 'BAD_USER_INPUT', 'days');
    const missing = await api.request(ServiceUptimeDocument, { serviceId: 'svc_missing', days: 7 });
    expectError(missing, 'NOT_FOUND');
    expect(missing.errors![0]!.message).toContain('svc_missing');
  });

  test('Service.uptime(days) gives the same report as serviceUptime, and checks days too', async () => {
    await recordSequence(ago(2 * HOUR));
    const { service } = await api.data(ServiceUptimeNestedDocument, { serviceId: 'svc_a', days: 1 }, { as: 'viewer' });
    expect(service!.uptime).toMatchObject({ serviceId: 'svc_a', upMs: 5 * MINUTE, downMs: 4 * MINUTE, percentage: 55.56 });
    expect(Date.parse(service!.uptime!.to) - Date.parse(service!.uptime!.from)).toBe(DAY);

    const bad = await api.request(ServiceUptimeNestedDocument, { serviceId: 'svc_a', days: 0 });
    expectError(bad, 'BAD_USER_INPUT', 'days');
    expect(bad.errors![0]!.path).toEqual(['service', 'uptime']);

    const none = await api.data(ServiceUptimeNestedDocument, { serviceId: 'svc_missing', days: 1 });
    expect(none.service).toBeNull();
  });
});

describe('Service.history', () => {
  test('pages with first/after and filters with since, like serviceHistory', async () => {
    await createHost('host_a');
    await createService('svc_a', 'host_a');
    await createService('svc_b', 'host_a');
    const base = ago(HOUR);
    await api.domain.recorder.record([
      ...Array.from({ length: 5 }, (_, i) => check('svc_a', new Date(+base + i * MINUTE), i === 2 ? 'stopped' : 'running')),
      check('svc_b', new Date(+base + 30 * SECOND), 'error'),
    ]);
    const top = (await api.data(ServiceHistoryCoreDocument, { serviceId: 'svc_a' })).serviceHistory.edges.map((e) => e.node.id);

    const first = (await api.data(ServiceHistoryNestedDocument, { serviceId: 'svc_a', first: 2 }, { as: 'viewer' })).service!.history;
    expect(first.totalCount).toBe(5);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false, startCursor: first.edges[0]!.cursor });
    const ids = first.edges.map((e) => e.node.id);
    let after = first.pageInfo.endCursor;
    for (;;) {
      const page = (await api.data(ServiceHistoryNestedDocument, { serviceId: 'svc_a', first: 2, after })).service!.history;
      expect(page.pageInfo.hasPreviousPage).toBe(true);
      ids.push(...page.edges.map((e) => e.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(ids).toEqual(top);

    const since = (await api.data(ServiceHistoryNestedDocument, { serviceId: 'svc_a', since: iso(+base + 2 * MINUTE) })).service!.history;
    expect(since.totalCount).toBe(3);
    expect(since.edges.map((e) => [e.node.serviceId, e.node.status, e.node.timestamp])).toEqual([
      ['svc_a', 'RUNNING', iso(+base + 4 * MINUTE)],
      ['svc_a', 'RUNNING', iso(+base + 3 * MINUTE)],
      ['svc_a', 'STOPPED', iso(+base + 2 * MINUTE)],
    ]);
  });
});

describe('MonitoringCheck fields', () => {
  beforeEach(async () => {
    await createHost('host_a');
    await createService('svc_a', 'host_a');
  });

  test('every field of a full check round-trips, custom metrics as arbitrary JSON', async () => {
    const at = ago(30 * MINUTE);
    const custom = { queries_per_second: 1250.5, replication: { lag_ms: 12, healthy: true, replicas: ['db-2', 'db-3'] }, note: null, nested: [[1, 2], { a: 'b' }] };
    await api.domain.recorder.record([
      check('svc_a', at, 'error', {
        check_type: 'health_check',
        status_code: 3,
        response_time_ms: 123.5,
        metrics: { cpu_usage: 97.5, memory_usage: 81.25, disk_usage: 40, connections: 812, uptime_seconds: 86_400, custom },
        error: 'mysql.service failed',
        error_details: 'Job for mysql.service failed because the control process exited with error code.',
        recovery_attempted: true,
        recovery_action: 'restart',
        recovery_success: false,
        recovery_message: 'restart timed out',
      }),
    ]);

    const { serviceHistory } = await api.data(ServiceHistoryDocument, { serviceId: 'svc_a' }, { as: 'viewer' });
    expect(serviceHistory.edges.map((e) => e.node)).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        serviceId: 'svc_a',
        hostId: 'host_a',
        timestamp: iso(at),
        checkType: 'HEALTH_CHECK',
        status: 'ERROR',
        statusCode: 3,
        responseTimeMs: 123.5,
        metrics: { cpuUsage: 97.5, memoryUsage: 81.25, diskUsage: 40, connections: 812, uptimeSeconds: 86_400, custom },
        error: 'mysql.service failed',
        errorDetails: 'Job for mysql.service failed because the control process exited with error code.',
        recoveryAttempted: true,
        recoveryAction: 'RESTART',
        recoverySuccess: false,
        recoveryMessage: 'restart timed out',
        expiresAt: iso(+at + 30 * DAY),
      },
    ]);
  });

  test('a check recorded without metrics reads back with metrics of nulls (MonitoringCheck.metrics is non-null)', async () => {
    const at = ago(20 * MINUTE);
    await api.domain.recorder.record([check('svc_a', at, 'running')]);
    const response = await api.request(ServiceHistoryDocument, { serviceId: 'svc_a' });
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    expect(response.data!.serviceHistory.edges.map((e) => e.node)).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        serviceId: 'svc_a',
        hostId: 'host_a',
        timestamp: iso(at),
        checkType: 'STATUS_CHECK',
        status: 'RUNNING',
        statusCode: null,
        responseTimeMs: null,
        metrics: { cpuUsage: null, memoryUsage: null, diskUsage: null, connections: null, uptimeSeconds: null, custom: null },
        error: null,
        errorDetails: null,
        recoveryAttempted: false,
        recoveryAction: null,
        recoverySuccess: null,
        recoveryMessage: null,
        expiresAt: iso(+at + 30 * DAY),
      },
    ]);
  });

  test('id is the entry’s own, unique and the same in every list that shows it', async () => {
    const at = ago(30 * MINUTE);
    await api.domain.recorder.record([check('svc_a', at, 'error'), check('svc_a', new Date(+at + MINUTE), 'running')]);
    const viaService = (await api.data(ServiceHistoryCoreDocument, { serviceId: 'svc_a' })).serviceHistory.edges.map((e) => e.node.id);
    expect(viaService).toHaveLength(2);
    expect(new Set(viaService).size).toBe(2);
    const stored = await api.database.db.collection('monitoring_history').find({}, { sort: { timestamp: -1 } }).toArray();
    expect(viaService).toEqual(stored.map((d) => String(d._id)));

    const viaHost = (await api.data(HostHistoryCoreDocument, { hostId: 'host_a' })).hostHistory.edges.map((e) => e.node.id);
    const viaFailures = (await api.data(RecentFailuresCoreDocument, { hours: 1 })).recentFailures.edges.map((e) => e.node.id);
    const viaNested = (await api.data(ServiceHistoryNestedDocument, { serviceId: 'svc_a' })).service!.history.edges.map((e) => e.node.id);
    expect(viaHost).toEqual(viaService);
    expect(viaNested).toEqual(viaService);
    expect(viaFailures).toEqual([viaService[1]]);
  });
});
