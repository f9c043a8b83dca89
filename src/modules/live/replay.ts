import type { ServiceLabels } from '../../events/event-bus.js';
import { MonitoringCheckModel, type MonitoringCheck } from '../history/history.model.js';
import { ServiceModel } from '../services/service.model.js';
import { serviceLabels } from '../services/service-labels.js';
import type { CheckEvent, RecoveryLiveEvent, ServiceEventFilter, StatusChangeEvent } from './live-events.js';

const GAVE_UP = /^gave up/;

/**
 * What a reconnecting client missed since an instant, rebuilt from history with
 * the same ids the live events carried (the history entry's id), so the two can
 * be merged without duplicates. At most `limit` events: the newest ones.
 */
export class LiveReplay {
  constructor(private readonly limit: number) {}

  async statusChanges(filter: ServiceEventFilter, since: Date): Promise<StatusChangeEvent[]> {
    const { entries, labels } = await this.entries(filter, since, { previous_status: { $exists: true } });
    return entries.map((e) => ({ ...this.base(e, labels), previous_status: e.previous_status!, status: e.status, history_id: String(e._id) }));
  }

  async checks(filter: ServiceEventFilter, since: Date): Promise<CheckEvent[]> {
    const { entries, labels } = await this.entries(filter, since, {});
    return entries.map((e) => ({ ...this.base(e, labels), status: e.status, history_id: String(e._id), due_at: null }));
  }

  /** Outcomes only (succeeded, failed, gave up), stamped with the time of the check that led to them. */
  async recoveries(filter: ServiceEventFilter, since: Date): Promise<RecoveryLiveEvent[]> {
    const { entries, labels } = await this.entries(filter, since, {
      $or: [{ recovery_attempted: true }, { recovery_message: { $regex: GAVE_UP } }],
    });
    return entries.map((e) => {
      const kind = e.recovery_attempted ? (e.recovery_success ? 'succeeded' : 'failed') : 'gave_up';
      return { ...this.base(e, labels), id: `${String(e._id)}:${kind}`, kind, action: e.recovery_action, message: e.recovery_message, history_id: String(e._id) };
    });
  }

  private base(entry: MonitoringCheck, labels: Map<string, ServiceLabels>) {
    return {
      id: String(entry._id),
      at: entry.timestamp,
      service_id: entry.service_id,
      host_id: entry.host_id,
      labels: labels.get(entry.service_id),
    };
  }

  private async entries(filter: ServiceEventFilter, since: Date, extra: Record<string, unknown>) {
    const services = await ServiceModel.find(serviceQuery(filter), { service_id: 1, host_id: 1, environment: 1, region: 1, service_type: 1, alerting: 1 }).lean();
    const labels = new Map(services.map((s) => [s.service_id, serviceLabels(s)]));
    const byLabel = filter.environment || filter.region || filter.service_type || filter.severity;
    const query: Record<string, unknown> = { timestamp: { $gt: since }, late: { $ne: true }, ...extra };
    if (filter.service_id) query.service_id = filter.service_id;
    if (filter.host_id) query.host_id = filter.host_id;
    if (byLabel) query.service_id = { $in: [...labels.keys()].filter((id) => !filter.service_id || id === filter.service_id) };
    const newest = await MonitoringCheckModel.find(query).sort({ timestamp: -1, _id: -1 }).limit(this.limit).lean<MonitoringCheck[]>();
    return { entries: newest.reverse(), labels };
  }
}

function serviceQuery(filter: ServiceEventFilter): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  if (filter.service_id) query.service_id = filter.service_id;
  if (filter.host_id) query.host_id = filter.host_id;
  if (filter.environment) query.environment = filter.environment;
  if (filter.region) query.region = filter.region;
  if (filter.service_type) query.service_type = filter.service_type;
  if (filter.severity) query['alerting.severity'] = filter.severity;
  return query;
}
