/**
 * Recording check results (history, service state, host contact) and reading
 * history back, against the run's real database server.
 */
import { describe, expect, test, vi } from 'vitest';
import type { InvalidInputError } from '../../src/common/errors.js';
import { MonitoringCheckModel } from '../../src/modules/history/history.model.js';
import { HistoryService } from '../../src/modules/history/history.service.js';
import { sweepExpired } from '../../src/db/ttl-sweep.js';
import { UptimeRollupModel } from '../../src/modules/history/uptime-rollup.model.js';
import { HostModel } from '../../src/modules/hosts/host.model.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import { expectDomainError, useTestDatabase } from '../helpers/database.js';
import {
  after,
  check,
  checksEvery,
  createHost,
  createService,
  DAY,
  HOST_ID,
  HOUR,
  hostWithService,
  makeDomain,
  MINUTE,
  NOW,
  SECOND,
} from '../helpers/history-fixtures.js';

const database = useTestDatabase(import.meta.filename);

const domain = makeDomain();
const SVC = 'svc_mysql_primary';
const t0 = after(NOW, -2 * HOUR);
const minute = (n: number) => after(t0, n * MINUTE);

const historyOf = (serviceId: string) => MonitoringCheckModel.find({ service_id: serviceId }).sort({ timestamp: 1, _id: 1 }).lean();
const serviceDoc = (serviceId: string) => ServiceModel.findOne({ service_id: serviceId }).lean();

describe('CheckRecorder: history', () => {
  test('writes one history entry per check, stamped with when the check ran and expiring exactly 30 days later', async () => {
    await hostWithService(domain, { serviceId: SVC });
    const ranAt = [minute(0), minute(1), after(minute(2), 123)];
    const outcome = await domain.recorder.record([
      check(SVC, ranAt[0]!, 'running', { response_time_ms: 12, metrics: { cpu_usage: 41.5, custom: { queries_per_second: 150 } } }),
      check(SVC, ranAt[1]!, 'running', { check_type: 'health_check', status_code: 0 }),
      check(SVC, ranAt[2]!, 'error', { status_code: 2, error: 'connection refused' }),
    ]);

    const history = await historyOf(SVC);
    expect(history).toHaveLength(3);
    history.forEach((entry, i) => {
      expect(entry.timestamp).toEqual(ranAt[i]);
      expect(+entry.expires_at - +entry.timestamp).toBe(30 * DAY);
      expect(entry.host_id).toBe(HOST_ID);
    });
    expect(history[0]).toMatchObject({ status: 'running', check_type: 'status_check', response_time_ms: 12, metrics: { cpu_usage: 41.5, custom: { queries_per_second: 150 } } });
    expect(history[1]).toMatchObject({ status: 'running', check_type: 'health_check', status_code: 0 });
    expect(history[2]).toMatchObject({ status: 'error', status_code: 2, error: 'connection refused', recovery_attempted: false });
    expect(outcome.recorded.map((r) => r.history_id)).toEqual(history.map((h) => String(h._id)));
    expect(outcome.unknownServiceIds).toEqual([]);
  });

  test('host_contacted is an instruction to the recorder, not stored in history', async () => {
    await hostWithService(domain, { serviceId: SVC });
    await domain.recorder.record([check(SVC, minute(0), 'running', { host_contacted: true })]);
    const [raw] = await MonitoringCheckModel.collection.find({ service_id: SVC }).toArray();
    expect(raw).not.toHaveProperty('host_contacted');
  });

  test('an empty batch writes nothing and reports nothing', async () => {
    await hostWithService(domain, { serviceId: SVC });
    expect(await domain.recorder.record([])).toEqual({ recorded: [], unknownServiceIds: [], lostLeaseServiceIds: [] });
    expect(await MonitoringCheckModel.countDocuments()).toBe(0);
  });
});

describe('CheckRecorder: service state', () => {
  test('sets current_status and last_check, and stale_at three intervals after the last check', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: 120 });
    await domain.recorder.record([check(SVC, minute(0), 'running'), check(SVC, minute(2), 'warning')]);
    const service = await serviceDoc(SVC);
    expect(service).toMatchObject({ current_status: 'warning', last_check: minute(2) });
    expect(service!.stale_at).toEqual(after(minute(2), 3 * 120 * SECOND));
  });

  test('last_status_change moves only when the status changes, and stays at the first change while it holds', async () => {
    await hostWithService(domain, { serviceId: SVC });
    const first = await domain.recorder.record([check(SVC, minute(0), 'running')]);
    expect(first.recorded[0]).toMatchObject({ previous_status: 'unknown', status: 'running', status_changed: true });
    expect((await serviceDoc(SVC))!.last_status_change).toEqual(minute(0));

    const same = await domain.recorder.record([check(SVC, minute(1), 'running'), check(SVC, minute(2), 'running')]);
    expect(same.recorded.map((r) => r.status_changed)).toEqual([false, false]);
    expect(await serviceDoc(SVC)).toMatchObject({ last_status_change: minute(0), last_check: minute(2) });

    await domain.recorder.record([check(SVC, minute(3), 'stopped')]);
    await domain.recorder.record([check(SVC, minute(4), 'stopped')]);
    expect(await serviceDoc(SVC)).toMatchObject({ current_status: 'stopped', last_status_change: minute(3), last_check: minute(4) });
  });

  test('consecutive_failures counts every failed check in a row, not only status changes (seed bug)', async () => {
    await hostWithService(domain, { serviceId: SVC });
    const outcome = await domain.recorder.record([
      check(SVC, minute(0), 'stopped'),
      check(SVC, minute(1), 'stopped'),
      check(SVC, minute(2), 'error'),
      check(SVC, minute(3), 'unknown'),
    ]);
    expect(outcome.recorded.map((r) => r.consecutive_failures)).toEqual([1, 2, 3, 4]);
    expect((await serviceDoc(SVC))!.consecutive_failures).toBe(4);

    // The count carries over from one batch to the next.
    await domain.recorder.record([check(SVC, minute(4), 'stopped')]);
    expect((await serviceDoc(SVC))!.consecutive_failures).toBe(5);
  });

  test('a running check resets consecutive_failures to 0', async () => {
    await hostWithService(domain, { serviceId: SVC });
    await domain.recorder.record([check(SVC, minute(0), 'error'), check(SVC, minute(1), 'error')]);
    await domain.recorder.record([check(SVC, minute(2), 'running')]);
    expect((await serviceDoc(SVC))!.consecutive_failures).toBe(0);
  });

  test('warning is not a failure: it resets the run, and the next failure starts again at 1', async () => {
    await hostWithService(domain, { serviceId: SVC });
    const outcome = await domain.recorder.record([
      check(SVC, minute(0), 'stopped'),
      check(SVC, minute(1), 'stopped'),
      check(SVC, minute(2), 'warning'),
      check(SVC, minute(3), 'warning'),
      check(SVC, minute(4), 'stopped'),
    ]);
    expect(outcome.recorded.map((r) => r.consecutive_failures)).toEqual([1, 2, 0, 0, 1]);
    expect((await serviceDoc(SVC))!.consecutive_failures).toBe(1);
  });
});

describe('CheckRecorder: batches', () => {
  test('one batch for several services, out of order, is applied in time order per service', async () => {
    await createHost(domain);
    await createService(domain, { serviceId: 'svc_a' });
    await createService(domain, { serviceId: 'svc_b' });
    const outcome = await domain.recorder.record([
      check('svc_a', minute(2), 'stopped'),
      check('svc_b', minute(1), 'error'),
      check('svc_a', minute(0), 'running'),
      check('svc_b', minute(0), 'running'),
      check('svc_a', minute(1), 'running'),
    ]);

    expect(outcome.recorded.map((r) => +r.timestamp)).toEqual([...outcome.recorded.map((r) => +r.timestamp)].sort((x, y) => x - y));
    expect(outcome.recorded.filter((r) => r.service_id === 'svc_a').map((r) => [r.previous_status, r.status])).toEqual([
      ['unknown', 'running'],
      ['running', 'running'],
      ['running', 'stopped'],
    ]);
    expect(outcome.recorded.some((r) => r.late)).toBe(false);
    expect(await serviceDoc('svc_a')).toMatchObject({ current_status: 'stopped', last_check: minute(2), last_status_change: minute(2), consecutive_failures: 1 });
    expect(await serviceDoc('svc_b')).toMatchObject({ current_status: 'error', last_check: minute(1), last_status_change: minute(1), consecutive_failures: 1 });
    expect(await MonitoringCheckModel.countDocuments({ service_id: 'svc_a' })).toBe(3);
    expect(await MonitoringCheckModel.countDocuments({ service_id: 'svc_b' })).toBe(2);
  });

  test('a late result (at or before last_check) is kept in history but leaves the service untouched', async () => {
    await hostWithService(domain, { serviceId: SVC });
    await domain.recorder.record([check(SVC, minute(0), 'running'), check(SVC, minute(5), 'stopped'), check(SVC, minute(6), 'stopped')]);
    const before = await serviceDoc(SVC);
    const rollupsBefore = await UptimeRollupModel.find({}, { _id: 0 }).sort({ bucket_start: 1 }).lean();

    const outcome = await domain.recorder.record([check(SVC, minute(3), 'running'), check(SVC, minute(6), 'running')]);

    expect(outcome.recorded).toHaveLength(2);
    for (const r of outcome.recorded) {
      expect(r).toMatchObject({ late: true, status_changed: false, previous_status: 'stopped', status: 'stopped', consecutive_failures: 2 });
    }
    expect(await serviceDoc(SVC)).toEqual(before);
    expect(await UptimeRollupModel.find({}, { _id: 0 }).sort({ bucket_start: 1 }).lean()).toEqual(rollupsBefore);
    const history = await historyOf(SVC);
    expect(history.map((h) => [h.timestamp, h.status])).toEqual([
      [minute(0), 'running'],
      [minute(3), 'running'],
      [minute(5), 'stopped'],
      [minute(6), 'stopped'],
      [minute(6), 'running'],
    ]);
  });

  test('results for an unknown service are reported and not written; the rest of the batch is', async () => {
    await hostWithService(domain, { serviceId: SVC });
    const outcome = await domain.recorder.record([
      check('svc_deleted', minute(0), 'running'),
      check(SVC, minute(0), 'running'),
      check('svc_deleted', minute(1), 'stopped'),
    ]);
    expect(outcome.unknownServiceIds).toEqual(['svc_deleted']);
    expect(outcome.recorded.map((r) => r.service_id)).toEqual([SVC]);
    expect(await MonitoringCheckModel.countDocuments({ service_id: 'svc_deleted' })).toBe(0);
    expect(await UptimeRollupModel.countDocuments({ service_id: 'svc_deleted' })).toBe(0);
    expect(await ServiceModel.countDocuments({ service_id: 'svc_deleted' })).toBe(0);
    expect(await MonitoringCheckModel.countDocuments({ service_id: SVC })).toBe(1);
    expect(await serviceDoc(SVC)).toMatchObject({ current_status: 'running', last_check: minute(0) });
  });

  test('a batch holding only results for unknown services reports them and writes nothing', async () => {
    await hostWithService(domain, { serviceId: SVC });
    const outcome = await domain.recorder.record([check('svc_deleted', minute(0), 'running')]);
    expect(outcome).toEqual({ recorded: [], unknownServiceIds: ['svc_deleted'], lostLeaseServiceIds: [] });
    expect(await MonitoringCheckModel.countDocuments()).toBe(0);
  });
});

describe('CheckRecorder: leases', () => {
  const leaseOf = (token: string, release = true) => new Map([[SVC, { token, next_check_at: minute(10), release }]]);
  const claim = (owner: string, untilMs: number) =>
    ServiceModel.updateOne({ service_id: SVC }, { $set: { lease_owner: owner, lease_until: new Date(Date.now() + untilMs) } });

  test('the holder of a lease writes the result and releases the lease with the next due time', async () => {
    await hostWithService(domain, { serviceId: SVC });
    await claim('worker-a', 110 * SECOND);
    const outcome = await domain.recorder.record([check(SVC, minute(0), 'stopped')], leaseOf('worker-a'));
    expect(outcome.lostLeaseServiceIds).toEqual([]);
    expect(await serviceDoc(SVC)).toMatchObject({ current_status: 'stopped', lease_owner: null, lease_until: null, next_check_at: minute(10) });
  });

  test('a stalled worker whose lease another worker took over writes nothing: no stale result, no history, and the other lease stays', async () => {
    await hostWithService(domain, { serviceId: SVC });
    // worker-a's lease ran out while it stalled; worker-b claimed the service (its lease has most of its time left).
    await claim('worker-b', 110 * SECOND);
    const before = await serviceDoc(SVC);
    const outcome = await domain.recorder.record([check(SVC, minute(0), 'stopped')], leaseOf('worker-a'));
    expect(outcome).toEqual({ recorded: [], unknownServiceIds: [], lostLeaseServiceIds: [SVC] });
    expect(await serviceDoc(SVC)).toEqual(before);
    expect(await serviceDoc(SVC)).toMatchObject({ current_status: 'unknown', lease_owner: 'worker-b' });
    expect(await MonitoringCheckModel.countDocuments({ service_id: SVC })).toBe(0);
    expect(await UptimeRollupModel.countDocuments({ service_id: SVC })).toBe(0);
  });

  test('a lease taken over between loading and writing is still guarded: the state write filters by lease_owner', async () => {
    await hostWithService(domain, { serviceId: SVC });
    await claim('worker-a', 110 * SECOND);
    // worker-b takes the service over right after worker-a's recorder loaded it (as a stall between the two would let it).
    const find = ServiceModel.find.bind(ServiceModel);
    const spy = vi.spyOn(ServiceModel, 'find').mockImplementationOnce(((...args: Parameters<typeof find>) => {
      const query = find(...args);
      const exec = query.exec.bind(query);
      query.exec = (async () => {
        const docs = await exec();
        await claim('worker-b', 110 * SECOND);
        return docs;
      }) as typeof query.exec;
      return query;
    }) as typeof ServiceModel.find);
    try {
      await domain.recorder.record([check(SVC, minute(0), 'stopped')], leaseOf('worker-a'));
    } finally {
      spy.mockRestore();
    }
    expect(await serviceDoc(SVC)).toMatchObject({ current_status: 'unknown', lease_owner: 'worker-b', last_check: null });
  });

  test('a lease about to run out that is still held writes as usual', async () => {
    await hostWithService(domain, { serviceId: SVC });
    await claim('worker-a', 2 * SECOND);
    await domain.recorder.record([check(SVC, minute(0), 'running')], leaseOf('worker-a'));
    expect(await serviceDoc(SVC)).toMatchObject({ current_status: 'running', lease_owner: null, next_check_at: minute(10) });
  });

  test('a lease not to be released (a recovery follows) is kept by the write', async () => {
    await hostWithService(domain, { serviceId: SVC });
    await claim('worker-a', 110 * SECOND);
    const before = await serviceDoc(SVC);
    await domain.recorder.record([check(SVC, minute(0), 'stopped')], leaseOf('worker-a', false));
    expect(await serviceDoc(SVC)).toMatchObject({ current_status: 'stopped', lease_owner: 'worker-a', next_check_at: before!.next_check_at });
  });
});

describe('CheckRecorder: invalid input', () => {
  const expectNothingWritten = async (serviceBefore: unknown) => {
    expect(await MonitoringCheckModel.countDocuments()).toBe(0);
    expect(await UptimeRollupModel.countDocuments()).toBe(0);
    expect(await serviceDoc(SVC)).toEqual(serviceBefore);
    expect((await HostModel.findOne({ host_id: HOST_ID }).lean())!.last_seen).toBeNull();
  };

  test('an unknown status fails the whole batch with BAD_USER_INPUT naming results[i].status, and nothing is written', async () => {
    await hostWithService(domain, { serviceId: SVC });
    const before = await serviceDoc(SVC);
    const error = await expectDomainError<InvalidInputError>(
      domain.recorder.record([
        check(SVC, minute(0), 'running', { host_contacted: true }),
        check(SVC, minute(1), 'stopped'),
        check(SVC, minute(2), 'bogus' as never),
      ]),
      'BAD_USER_INPUT',
    );
    expect(error.problems.map((p) => p.field)).toEqual(['results[2].status']);
    await expectNothingWritten(before);
  });

  test('the offending result is named by its position in the caller’s batch, even when the batch is out of time order', async () => {
    await hostWithService(domain, { serviceId: SVC });
    const before = await serviceDoc(SVC);
    const error = await expectDomainError<InvalidInputError>(
      domain.recorder.record([check(SVC, minute(5), 'running'), check(SVC, minute(1), 'bogus' as never)]),
      'BAD_USER_INPUT',
    );
    expect(error.problems.map((p) => p.field)).toEqual(['results[1].status']);
    await expectNothingWritten(before);
  });

  test('the offending result is named by its position in the caller’s batch when results for unknown services precede it', async () => {
    await hostWithService(domain, { serviceId: SVC });
    const error = await expectDomainError<InvalidInputError>(
      domain.recorder.record([check('svc_deleted', minute(0), 'running'), check(SVC, minute(1), 'bogus' as never)]),
      'BAD_USER_INPUT',
    );
    expect(error.problems.map((p) => p.field)).toEqual(['results[1].status']);
  });

  test('a result whose timestamp is not a date is refused, and nothing is written', async () => {
    await hostWithService(domain, { serviceId: SVC });
    const before = await serviceDoc(SVC);
    const error = await expectDomainError<InvalidInputError>(
      domain.recorder.record([check(SVC, minute(0), 'running'), check(SVC, new Date('not a date'), 'running')]),
      'BAD_USER_INPUT',
    );
    expect(error.problems.map((p) => p.field)).toContain('results[1].timestamp');
    await expectNothingWritten(before);
  });
});

describe('CheckRecorder: host contact', () => {
  const lastSeen = async (hostId = HOST_ID) => (await HostModel.findOne({ host_id: hostId }).lean())!.last_seen;

  test('host_contacted moves hosts.last_seen to the time of the check', async () => {
    await hostWithService(domain, { serviceId: SVC });
    expect(await lastSeen()).toBeNull();
    await domain.recorder.record([check(SVC, minute(0), 'running', { host_contacted: true }), check(SVC, minute(1), 'running', { host_contacted: true })]);
    expect(await lastSeen()).toEqual(minute(1));
  });

  test('a check that did not reach the host leaves last_seen alone', async () => {
    await hostWithService(domain, { serviceId: SVC });
    await domain.recorder.record([check(SVC, minute(0), 'running', { host_contacted: true })]);
    await domain.recorder.record([check(SVC, minute(1), 'error'), check(SVC, minute(2), 'error', { host_contacted: false })]);
    expect(await lastSeen()).toEqual(minute(0));
  });

  test('last_seen never moves backwards: neither from a late result nor from the order of a batch', async () => {
    await createHost(domain);
    await createService(domain, { serviceId: 'svc_a' });
    await createService(domain, { serviceId: 'svc_b' });
    await domain.recorder.record([
      check('svc_b', minute(7), 'running', { host_contacted: true }),
      check('svc_a', minute(3), 'running', { host_contacted: true }),
    ]);
    expect(await lastSeen()).toEqual(minute(7));
    await domain.recorder.record([check('svc_a', minute(5), 'running', { host_contacted: true })]);
    expect(await lastSeen()).toEqual(minute(7));
  });

  test('each host gets its own last_seen', async () => {
    await createHost(domain, 'host_a');
    await createHost(domain, 'host_b');
    await createService(domain, { serviceId: 'svc_on_a', hostId: 'host_a' });
    await createService(domain, { serviceId: 'svc_on_b', hostId: 'host_b' });
    await domain.recorder.record([
      check('svc_on_a', minute(1), 'running', { host_contacted: true }),
      check('svc_on_b', minute(2), 'running', { host_contacted: true }),
    ]);
    expect(await lastSeen('host_a')).toEqual(minute(1));
    expect(await lastSeen('host_b')).toEqual(minute(2));
  });
});

describe('HistoryService', () => {
  const ids = (entries: { timestamp: Date }[]) => entries.map((e) => +e.timestamp);
  const minutesOf = (entries: { timestamp: Date }[]) => entries.map((e) => (+e.timestamp - +t0) / MINUTE);

  test('forService returns only that service’s entries, newest first', async () => {
    await createHost(domain);
    await createService(domain, { serviceId: 'svc_a' });
    await createService(domain, { serviceId: 'svc_b' });
    await domain.recorder.record([
      check('svc_a', minute(1), 'running'),
      check('svc_b', minute(2), 'running'),
      check('svc_a', minute(3), 'stopped'),
      check('svc_a', minute(0), 'running'),
    ]);
    const entries = await domain.history.forService('svc_a');
    expect(minutesOf(entries)).toEqual([3, 1, 0]);
    expect(entries.every((e) => e.service_id === 'svc_a')).toBe(true);
  });

  test('forHost returns every service of the host, newest first, and nothing of other hosts', async () => {
    await createHost(domain, 'host_a');
    await createHost(domain, 'host_b');
    await createService(domain, { serviceId: 'svc_a1', hostId: 'host_a' });
    await createService(domain, { serviceId: 'svc_a2', hostId: 'host_a' });
    await createService(domain, { serviceId: 'svc_b1', hostId: 'host_b' });
    await domain.recorder.record([
      check('svc_a1', minute(0), 'running'),
      check('svc_a2', minute(1), 'running'),
      check('svc_b1', minute(2), 'running'),
      check('svc_a1', minute(3), 'running'),
    ]);
    const entries = await domain.history.forHost('host_a');
    expect(entries.map((e) => e.service_id)).toEqual(['svc_a1', 'svc_a2', 'svc_a1']);
    expect(minutesOf(entries)).toEqual([3, 1, 0]);
  });

  test('returns the newest 100 by default', async () => {
    await hostWithService(domain, { serviceId: SVC });
    await domain.recorder.record(checksEvery(SVC, t0, SECOND * 10, 120, 'running'));
    const entries = await domain.history.forService(SVC);
    expect(entries).toHaveLength(100);
    expect(entries[0]!.timestamp).toEqual(after(t0, 119 * 10 * SECOND));
    expect(entries[99]!.timestamp).toEqual(after(t0, 20 * 10 * SECOND));
  });

  test('honours a smaller limit and caps a larger one at 1000', async () => {
    await hostWithService(domain, { serviceId: SVC, intervalSec: 5 });
    await domain.recorder.record(checksEvery(SVC, after(NOW, -DAY), SECOND, 1005, 'running'));
    expect(await domain.history.forService(SVC, { limit: 7 })).toHaveLength(7);
    expect(await domain.history.forHost(HOST_ID, { limit: 5000 })).toHaveLength(1000);
  });

  test('before is exclusive, since is inclusive, and they combine into a window', async () => {
    await hostWithService(domain, { serviceId: SVC });
    await domain.recorder.record(checksEvery(SVC, t0, MINUTE, 10, 'running'));
    expect(minutesOf(await domain.history.forService(SVC, { before: minute(3) }))).toEqual([2, 1, 0]);
    expect(minutesOf(await domain.history.forService(SVC, { since: minute(7) }))).toEqual([9, 8, 7]);
    expect(minutesOf(await domain.history.forService(SVC, { since: minute(4), before: minute(7) }))).toEqual([6, 5, 4]);
    expect(minutesOf(await domain.history.forService(SVC, { since: minute(4), before: minute(7), limit: 2 }))).toEqual([6, 5]);
    // Paging backwards: the next page starts before the oldest entry of this one.
    const page1 = await domain.history.forService(SVC, { limit: 4 });
    const page2 = await domain.history.forService(SVC, { limit: 4, before: page1.at(-1)!.timestamp });
    expect(ids([...page1, ...page2])).toEqual(ids(await domain.history.forService(SVC, { limit: 8 })));
  });

  test('recentFailures returns only stopped, error and unknown checks within the last hours, newest first', async () => {
    await createHost(domain);
    await createService(domain, { serviceId: 'svc_a' });
    await createService(domain, { serviceId: 'svc_b' });
    const windowStart = after(NOW, -6 * HOUR);
    await domain.recorder.record([
      check('svc_a', after(windowStart, -MINUTE), 'stopped'), // just too old
      check('svc_a', windowStart, 'error'), // exactly at the window's start: included
      check('svc_a', after(NOW, -5 * HOUR), 'running'),
      check('svc_b', after(NOW, -4 * HOUR), 'warning'),
      check('svc_b', after(NOW, -3 * HOUR), 'unknown'),
      check('svc_a', after(NOW, -2 * HOUR), 'stopped'),
      check('svc_b', after(NOW, -HOUR), 'running'),
    ]);
    const failures = await domain.history.recentFailures(6, 500, NOW);
    expect(failures.map((f) => [f.service_id, f.status, (+NOW - +f.timestamp) / HOUR])).toEqual([
      ['svc_a', 'stopped', 2],
      ['svc_b', 'unknown', 3],
      ['svc_a', 'error', 6],
    ]);
    expect(await domain.history.recentFailures(6, 2, NOW)).toHaveLength(2);
    expect(await domain.history.recentFailures(1, 500, NOW)).toEqual([]);
  });

  test('the TTL sweep removes only entries whose expires_at has passed and reports how many', async () => {
    await hostWithService(domain, { serviceId: SVC });
    // Retention is 30 days: a check 31 days before NOW expired a day ago; one 29 days before has a day left.
    await domain.recorder.record([
      check(SVC, after(NOW, -31 * DAY), 'running'),
      check(SVC, after(NOW, -30 * DAY), 'running'), // expires exactly at NOW: gone
      check(SVC, after(NOW, -29 * DAY), 'running'),
      check(SVC, after(NOW, -HOUR), 'running'),
    ]);
    const sweep = () => sweepExpired(database.db, { batchSize: 1, now: NOW });
    expect((await sweep()).monitoring_history).toBe(2);
    const left = await domain.history.forService(SVC);
    expect(left.map((e) => (+NOW - +e.timestamp) / DAY)).toEqual([1 / 24, 29]);
    expect((await sweep()).monitoring_history).toBeUndefined();
  });
});
