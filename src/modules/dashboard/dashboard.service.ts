import type { ServiceStatus } from '../../common/enums.js';
import { HostModel } from '../hosts/host.model.js';
import { ServiceModel, type Service } from '../services/service.model.js';

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
}

export interface ServicesNeedingAttention {
  down_services: Service[];
  high_failure_rate: Service[];
  stale_checks: Service[];
  /** Recovery reached its attempt limit and stopped: a person has to look. */
  recovery_gave_up: Service[];
}

export interface StatusGroup {
  status: ServiceStatus;
  count: number;
  /** service_name of each service in the group, as the seed's query 10 lists them. */
  service_names: string[];
}

export interface DashboardSettings {
  readonly highFailureThreshold: number;
}

export class DashboardService {
  constructor(private readonly settings: DashboardSettings) {}

  async summary(): Promise<DashboardSummary> {
    const [hostsByStatus, servicesByStatus, byEnvironment, byRegion, byServiceType] = await Promise.all([
      countBy(HostModel, 'status'),
      countBy(ServiceModel, 'current_status'),
      countBy(ServiceModel, 'environment'),
      countBy(ServiceModel, 'region'),
      countBy(ServiceModel, 'service_type'),
    ]);
    const status = (s: ServiceStatus) => servicesByStatus.find((c) => c.key === s)?.count ?? 0;
    return {
      total_hosts: total(hostsByStatus),
      active_hosts: hostsByStatus.find((c) => c.key === 'active')?.count ?? 0,
      total_services: total(servicesByStatus),
      running_services: status('running'),
      stopped_services: status('stopped'),
      error_services: status('error'),
      unknown_services: status('unknown'),
      warning_services: status('warning'),
      by_environment: byEnvironment,
      by_region: byRegion,
      by_service_type: byServiceType,
    };
  }

  /** The seed's "services grouped by status": count and names per status, most populous first. */
  async servicesByStatus(): Promise<StatusGroup[]> {
    const groups = await ServiceModel.collection
      .aggregate<{ _id: ServiceStatus; count: number; service_names: string[] }>([
        { $group: { _id: '$current_status', count: { $sum: 1 }, service_names: { $push: '$service_name' } } },
      ])
      .toArray();
    return groups
      .map((g) => ({ status: g._id, count: g.count, service_names: [...g.service_names].sort() }))
      .sort((a, b) => b.count - a.count || a.status.localeCompare(b.status));
  }

  /** Services an operator should look at: down, failing repeatedly, or not checked for several of their intervals. */
  async needingAttention(now = new Date()): Promise<ServicesNeedingAttention> {
    const [down, failing, stale, gaveUp] = await Promise.all([
      ServiceModel.find({ current_status: { $in: ['stopped', 'error'] } }).sort({ service_id: 1 }).lean<Service[]>(),
      ServiceModel.find({ consecutive_failures: { $gte: this.settings.highFailureThreshold } }).sort({ service_id: 1 }).lean<Service[]>(),
      ServiceModel.find({ 'monitoring.enabled': true, stale_at: { $lt: now } }).sort({ service_id: 1 }).lean<Service[]>(),
      ServiceModel.find({ recovery_gave_up_at: { $ne: null } }).sort({ service_id: 1 }).lean<Service[]>(),
    ]);
    return { down_services: down, high_failure_rate: failing, stale_checks: stale, recovery_gave_up: gaveUp };
  }
}

/** Counts documents per value of one field, largest first. */
async function countBy(model: typeof HostModel | typeof ServiceModel, field: string): Promise<CountByKey[]> {
  const groups = await model.collection
    .aggregate<{ _id: string | null; count: number }>([{ $group: { _id: `$${field}`, count: { $sum: 1 } } }])
    .toArray();
  return groups
    .map((g) => ({ key: g._id ?? null, count: g.count }))
    .sort((a, b) => b.count - a.count || String(a.key).localeCompare(String(b.key)));
}

const total = (counts: CountByKey[]) => counts.reduce((sum, c) => sum + c.count, 0);
