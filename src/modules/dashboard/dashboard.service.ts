import { SERVICE_STATUSES, type ServiceStatus } from '../../common/enums.js';
import { IncidentModel } from '../alerting/incident.model.js';
import { HostModel } from '../hosts/host.model.js';
import { readService } from '../services/service-read.js';
import { ServiceModel, type Service } from '../services/service.model.js';
import { MisconfiguredScan } from './misconfigured-scan.js';

export interface CountByKey {
  key: string | null;
  count: number;
}

export interface DashboardSummary {
  total_hosts: number;
  active_hosts: number;
  total_services: number;
  running_services: number;
  stopped_services: number;
  error_services: number;
  unknown_services: number;
  warning_services: number;
  by_environment: CountByKey[];
  by_region: CountByKey[];
  by_service_type: CountByKey[];
  /** Open incidents (triggered or acknowledged) by severity. */
  open_incidents: CountByKey[];
}

export interface ServicesNeedingAttention {
  down_services: Service[];
  high_failure_rate: Service[];
  stale_checks: Service[];
  /** Recovery reached its attempt limit and stopped: a person has to look. */
  recovery_gave_up: Service[];
  /** Monitoring is on but the latest check could not run (`unknown` after a check): a broken check must not hide. */
  checks_not_running: Service[];
  /** Stored data this server cannot use as it is (each service's `problems` says what), whoever wrote it. */
  misconfigured: Service[];
}

export interface StatusGroup {
  status: ServiceStatus;
  count: number;
  /** service_name of each service in the group, as the seed's query 10 lists them. */
  service_names: string[];
}

export interface DashboardSettings {
  readonly highFailureThreshold: number;
  readonly staleAfterIntervals: number;
  /** How old the full read behind `misconfigured` may be (see MisconfiguredScan); unset or 0: read on every request. */
  readonly attentionScanSec?: number;
  /** How old a summary handed out may be (see summary()); unset or 0: computed for each caller. */
  readonly dashboardSummaryMaxAgeMs?: number;
}

const isKnownStatus = (status: unknown): status is ServiceStatus => (SERVICE_STATUSES as readonly unknown[]).includes(status);

export class DashboardService {
  private readonly misconfigured: MisconfiguredScan;
  private summaryCache: { at: number; computing: boolean; summary: Promise<DashboardSummary> } | null = null;

  constructor(private readonly settings: DashboardSettings) {
    this.misconfigured = new MisconfiguredScan((raw) => readService(raw, settings), (settings.attentionScanSec ?? 0) * 1000);
  }

  /**
   * The fleet's counts. One computation is shared by every caller while it runs, and its result is handed out
   * for up to DASHBOARD_SUMMARY_MAX_AGE_MS, unless this process heard of a change meanwhile (`invalidate`): a
   * whole-fleet aggregation per dashboard refresh is what made fleet-sized dashboards slow.
   */
  summary(): Promise<DashboardSummary> {
    const maxAgeMs = this.settings.dashboardSummaryMaxAgeMs ?? 0;
    const cached = this.summaryCache;
    if (cached && (cached.computing || performance.now() - cached.at <= maxAgeMs)) return cached.summary;
    const entry = { at: performance.now(), computing: true, summary: this.computeSummary() };
    this.summaryCache = entry;
    entry.summary.then(
      () => {
        entry.computing = false;
        entry.at = performance.now();
      },
      () => {
        if (this.summaryCache === entry) this.summaryCache = null;
      },
    );
    return entry.summary;
  }

  /** Something that moves the counts happened: the next summary is computed afresh. */
  invalidate(): void {
    // A computation under way may have read before the change: callers from now on start their own.
    this.summaryCache = null;
  }

  private async computeSummary(): Promise<DashboardSummary> {
    const [hostsByStatus, [servicesByStatus, byEnvironment, byRegion, byServiceType], openIncidents] = await Promise.all([
      countBy(HostModel, ['status']).then(([byStatus]) => byStatus!),
      // One pass over the services for all four counts, not four.
      countBy(ServiceModel, ['current_status', 'environment', 'region', 'service_type']),
      openIncidentsBySeverity(),
    ]);
    // A status this server does not know (written by another tool) reads as unknown, here as on the service itself.
    const status = (s: ServiceStatus) =>
      servicesByStatus.filter((c) => c.key === s || (s === 'unknown' && !isKnownStatus(c.key))).reduce((sum, c) => sum + c.count, 0);
    return {
      total_hosts: total(hostsByStatus),
      // A host without a status reads as its default, active.
      active_hosts: hostsByStatus.filter((c) => c.key === 'active' || c.key === null).reduce((sum, c) => sum + c.count, 0),
      total_services: total(servicesByStatus),
      running_services: status('running'),
      stopped_services: status('stopped'),
      error_services: status('error'),
      unknown_services: status('unknown'),
      warning_services: status('warning'),
      by_environment: byEnvironment,
      by_region: byRegion,
      by_service_type: byServiceType,
      open_incidents: openIncidents,
    };
  }

  /** The seed's "services grouped by status": count and names per status, most populous first. */
  async servicesByStatus(): Promise<StatusGroup[]> {
    const groups = await ServiceModel.collection
      .aggregate<{ _id: ServiceStatus; count: number; service_names: string[] }>([
        { $group: { _id: '$current_status', count: { $sum: 1 }, service_names: { $push: '$service_name' } } },
      ])
      .toArray();
    // Statuses this server does not know (another tool wrote them) join `unknown`, as each such service reads.
    const merged = new Map<ServiceStatus, StatusGroup>();
    for (const g of groups) {
      const status = isKnownStatus(g._id) ? g._id : 'unknown';
      const into = merged.get(status) ?? { status, count: 0, service_names: [] };
      into.count += g.count;
      into.service_names.push(...g.service_names.filter((n) => typeof n === 'string'));
      merged.set(status, into);
    }
    return [...merged.values()]
      .map((g) => ({ ...g, service_names: g.service_names.sort() }))
      .sort((a, b) => b.count - a.count || a.status.localeCompare(b.status));
  }

  /**
   * Services an operator should look at: down, failing repeatedly, not checked for several of their intervals,
   * given up on, checks that cannot run, stored data that cannot be used. Each list is its own query, so a
   * caller (the GraphQL resolver) can ask for only the lists it needs.
   */
  async needingAttention(now = new Date()): Promise<ServicesNeedingAttention> {
    const lists = this.attentionLists(now);
    const [down, failing, stale, gaveUp, notRunning, misconfigured] = await Promise.all([
      lists.down_services(),
      lists.high_failure_rate(),
      lists.stale_checks(),
      lists.recovery_gave_up(),
      lists.checks_not_running(),
      lists.misconfigured(),
    ]);
    return { down_services: down, high_failure_rate: failing, stale_checks: stale, recovery_gave_up: gaveUp, checks_not_running: notRunning, misconfigured };
  }

  /** Each attention list on its own, read as of `now`. */
  attentionLists(now = new Date()): { [K in keyof ServicesNeedingAttention]: () => Promise<Service[]> } {
    const find = async (filter: Record<string, unknown>) =>
      (await ServiceModel.find(filter).sort({ service_id: 1 }).lean<Service[]>()).map((s) => readService(s, this.settings, now));
    return {
      down_services: () => find({ current_status: { $in: ['stopped', 'error'] } }),
      high_failure_rate: () => find({ consecutive_failures: { $gte: this.settings.highFailureThreshold } }),
      // Services written by other tools count too: one without `stale_at` is stale by its last check (or
      // creation) and interval, as if it had one; enabled unless it says otherwise (a missing flag reads as true).
      stale_checks: async () => {
        const [marked, unmarked] = await Promise.all([
          find({ 'monitoring.enabled': true, stale_at: { $lt: now } }),
          find({ stale_at: null, 'monitoring.enabled': { $ne: false } }),
        ]);
        const derived = unmarked.filter((s) => s.monitoring.enabled && s.stale_at !== null && +s.stale_at < +now);
        return [...marked, ...derived].sort((a, b) => a.service_id.localeCompare(b.service_id));
      },
      recovery_gave_up: () => find({ recovery_gave_up_at: { $ne: null } }),
      // After at least one check (consecutive_failures counts unknown too): a service not yet checked is not broken.
      checks_not_running: async () =>
        (await find({ 'monitoring.enabled': { $ne: false }, current_status: 'unknown', consecutive_failures: { $gte: 1 } })).filter((s) => s.monitoring.enabled),
      // Problems are found by reading each document (types, vocabularies, rules), which no query expresses.
      misconfigured: () => this.misconfigured.services(),
    };
  }
}

/** Counts documents per value of each field, largest first; one pass over the collection ($facet) for all fields. */
async function countBy(model: typeof HostModel | typeof ServiceModel, fields: readonly string[]): Promise<CountByKey[][]> {
  const facets = Object.fromEntries(fields.map((field, i) => [`f${i}`, [{ $group: { _id: `$${field}`, count: { $sum: 1 } } }]]));
  const [counted] = await model.collection.aggregate<Record<string, { _id: string | null; count: number }[]>>([{ $facet: facets }]).toArray();
  return fields.map((_, i) =>
    (counted?.[`f${i}`] ?? [])
      .map((g) => ({ key: g._id ?? null, count: g.count }))
      .sort((a, b) => b.count - a.count || String(a.key).localeCompare(String(b.key))),
  );
}

const total = (counts: CountByKey[]) => counts.reduce((sum, c) => sum + c.count, 0);

/** Open incidents by severity (the `state` index keeps it to the open ones). */
async function openIncidentsBySeverity(): Promise<CountByKey[]> {
  const rows = await IncidentModel.collection
    .aggregate<{ _id: string | null; count: number }>([{ $match: { state: { $in: ['triggered', 'acknowledged'] } } }, { $group: { _id: '$severity', count: { $sum: 1 } } }])
    .toArray();
  return rows.map((r) => ({ key: r._id, count: r.count })).sort((a, b) => b.count - a.count || String(a.key).localeCompare(String(b.key)));
}
