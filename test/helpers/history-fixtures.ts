/**
 * Builders for the history and uptime tests: a domain wired with the settings
 * the tests reason about, a host with services, check results at explicit
 * instants, and an independent reference computation of time-weighted uptime.
 */
import type { ServiceStatus } from '../../src/common/enums.js';
import type { CheckResult } from '../../src/modules/history/check-result.js';
import { createDomain, type Domain, type DomainSettings } from '../../src/modules/domain.js';
import { addressFor } from './fixtures.js';

export const SETTINGS: DomainSettings = { historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 };

export const SECOND = 1_000;
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/**
 * The fixed "now" the tests pass to every time-dependent call. It lies years
 * ahead of the wall clock on purpose: every `expires_at` the tests write is then
 * in the future, so a server with a TTL monitor (MongoDB) can never delete
 * history under a test that did not ask for it.
 */
export const NOW = new Date('2031-01-15T12:00:00.000Z');

export const makeDomain = (): Domain => createDomain(SETTINGS);

/** An instant `ms` after (or before, when negative) `base`. */
export const after = (base: Date | number, ms: number): Date => new Date(+base + ms);

/** An instant on the test day (the date of NOW) given as `HH:MM` or `HH:MM:SS` UTC. */
export const clock = (hhmm: string): Date => new Date(`${NOW.toISOString().slice(0, 10)}T${hhmm.length === 5 ? `${hhmm}:00` : hhmm}.000Z`);

export interface ServiceSpec {
  serviceId: string;
  hostId?: string;
  intervalSec?: number;
}

export const HOST_ID = 'host_seoul_db_001';

export async function createHost(domain: Domain, hostId = HOST_ID) {
  return domain.hosts.create({
    host_id: hostId,
    hostname: `${hostId.replace(/_/g, '-')}.example.internal`,
    ip_address: hostId === HOST_ID ? '10.0.0.10' : addressFor(hostId),
    environment: 'production',
    region: 'asia-pacific',
    ssh_config: { user: 'monitor' },
  });
}

/** A service on an existing host; `intervalSec` decides the cap on one observation (3 intervals). */
export async function createService(domain: Domain, { serviceId, hostId = HOST_ID, intervalSec = 60 }: ServiceSpec) {
  return domain.services.create(
    {
      service_id: serviceId,
      host_id: hostId,
      service_name: 'mysql.service',
      service_type: 'mysql',
      monitoring: { interval_sec: intervalSec, timeout_sec: Math.min(30, intervalSec) },
    },
    after(NOW, -40 * DAY),
  );
}

/** A host with one service on it, the usual starting point. */
export async function hostWithService(domain: Domain, spec: ServiceSpec) {
  await createHost(domain, spec.hostId ?? HOST_ID);
  return createService(domain, spec);
}

export const check = (serviceId: string, timestamp: Date, status: ServiceStatus, extra: Partial<CheckResult> = {}): CheckResult => ({
  service_id: serviceId,
  timestamp,
  status,
  ...extra,
});

/** Checks of one service with one status, `count` of them `everyMs` apart starting at `start`. */
export function checksEvery(serviceId: string, start: Date, everyMs: number, count: number, status: ServiceStatus): CheckResult[] {
  return Array.from({ length: count }, (_, i) => check(serviceId, after(start, i * everyMs), status));
}

export interface ReferenceUptime {
  up_ms: number;
  down_ms: number;
}

/**
 * Time-weighted uptime computed the plain way, independently of the product's
 * code: each check's status holds until the next check (or `to`), for at most
 * `capMs`; the part inside [from, to) counts; running/warning are up,
 * stopped/error down, unknown is no data.
 */
export function referenceUptime(
  checks: readonly { timestamp: Date; status: ServiceStatus }[],
  capMs: number,
  from: number,
  to: number,
): ReferenceUptime {
  const sorted = [...checks].filter((c) => +c.timestamp <= to).sort((a, b) => +a.timestamp - +b.timestamp);
  const total = { up_ms: 0, down_ms: 0 };
  sorted.forEach((c, i) => {
    const start = +c.timestamp;
    const end = Math.min(i + 1 < sorted.length ? +sorted[i + 1]!.timestamp : to, start + capMs);
    const overlap = Math.min(end, to) - Math.max(start, from);
    if (overlap <= 0 || c.status === 'unknown') return;
    if (c.status === 'running' || c.status === 'warning') total.up_ms += overlap;
    else total.down_ms += overlap;
  });
  return total;
}

/** A small deterministic PRNG (mulberry32), so generated sequences are the same on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
