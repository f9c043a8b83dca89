import { Types } from 'mongoose';
import type { ServiceLabels } from '../../events/event-bus.js';
import { MonitoringCheckModel, type MonitoringCheck } from '../history/history.model.js';
import { ServiceModel } from '../services/service.model.js';
import { serviceQuery } from '../services/service.service.js';
import { serviceLabels } from '../services/service-labels.js';
import type { CheckEvent, RecoveryLiveEvent, ServiceEventFilter, StatusChangeEvent } from './live-events.js';

// History ids are made just before the result is written, recovery outcomes up to a lease later: bounds on `_id`
// that let MongoDB walk the _id index instead of the collection.
const ID_BEFORE_RECORD_SLACK_SEC = 60;
const ID_BEFORE_RECOVERY_SLACK_SEC = 3_600;

/**
 * What a reconnecting client missed since an instant, rebuilt from history with
 * the same ids and times the live events carried (the history entry's id; when
 * the result, or the recovery outcome, was written), so the two can be merged
 * without duplicates. `since` is inclusive: an event at exactly that instant
 * comes again (drop it by id) rather than risk losing one of a batch written
 * in the same millisecond. At most `limit` events: the newest ones.
 */
export class LiveReplay {
  constructor(private readonly limit: number) {}

  async statusChanges(filter: ServiceEventFilter, since: Date): Promise<StatusChangeEvent[]> {
    const { entries, labels } = await this.entries(filter, 'recorded_at', since, { previous_status: { $exists: true } });
    return entries.map((e) => ({ ...this.base(e, e.recorded_at!, labels), previous_status: e.previous_status!, status: e.status, history_id: String(e._id) }));
  }

  async checks(filter: ServiceEventFilter, since: Date): Promise<CheckEvent[]> {
    const { entries, labels } = await this.entries(filter, 'recorded_at', since, {});
    return entries.map((e) => ({ ...this.base(e, e.recorded_at!, labels), status: e.status, history_id: String(e._id), due_at: null }));
  }

  /** Outcomes only (succeeded, failed, the first give-up), at the time they were written. */
  async recoveries(filter: ServiceEventFilter, since: Date): Promise<RecoveryLiveEvent[]> {
    const { entries, labels } = await this.entries(filter, 'recovery_at', since, {});
    return entries.map((e) => {
      const kind = e.recovery_attempted ? (e.recovery_success ? 'succeeded' : 'failed') : 'gave_up';
      return { ...this.base(e, e.recovery_at!, labels), id: `${String(e._id)}:${kind}`, kind, action: e.recovery_action, message: e.recovery_message, history_id: String(e._id) };
    });
  }

  private base(entry: MonitoringCheck, at: Date, labels: Map<string, ServiceLabels>) {
    return {
      id: String(entry._id),
      at,
      service_id: entry.service_id,
      host_id: entry.host_id,
      labels: labels.get(entry.service_id),
    };
  }

  private async entries(filter: ServiceEventFilter, writtenAt: 'recorded_at' | 'recovery_at', since: Date, extra: Record<string, unknown>) {
    const services = await ServiceModel.find(serviceQuery(filter), { service_id: 1, host_id: 1, environment: 1, region: 1, service_type: 1, alerting: 1 }).lean();
    const labels = new Map(services.map((s) => [s.service_id, serviceLabels(s)]));
    const byLabel = filter.environment || filter.region || filter.service_type || filter.severity;
    const slackSec = writtenAt === 'recorded_at' ? ID_BEFORE_RECORD_SLACK_SEC : ID_BEFORE_RECOVERY_SLACK_SEC;
    const query: Record<string, unknown> = {
      _id: { $gte: Types.ObjectId.createFromTime(Math.max(0, Math.floor(+since / 1000) - slackSec)) },
      [writtenAt]: { $gte: since },
      ...extra,
    };
    if (filter.service_id) query.service_id = filter.service_id;
    if (filter.host_id) query.host_id = filter.host_id;
    if (byLabel) query.service_id = { $in: [...labels.keys()].filter((id) => !filter.service_id || id === filter.service_id) };
    const newest = await MonitoringCheckModel.find(query).sort({ [writtenAt]: -1, _id: -1 }).limit(this.limit).lean<MonitoringCheck[]>();
    return { entries: newest.reverse(), labels };
  }
}
