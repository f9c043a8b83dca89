import { NotFoundError } from '../../common/errors.js';
import { ServiceModel } from '../services/service.model.js';
import { MonitoringCheckModel, type MonitoringCheck } from './history.model.js';

export const FAILURE_STATUSES = ['stopped', 'error', 'unknown'] as const;

export interface HistoryWindow {
  /** Most entries to return (newest first). */
  limit?: number;
  /** Only entries strictly older than this (for paging backwards). */
  before?: Date;
  /** Only entries at or after this. */
  since?: Date;
}

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const HOUR_MS = 3_600_000;

export class HistoryService {
  async forService(serviceId: string, window: HistoryWindow = {}): Promise<MonitoringCheck[]> {
    return this.find({ service_id: serviceId }, window);
  }

  async forHost(hostId: string, window: HistoryWindow = {}): Promise<MonitoringCheck[]> {
    return this.find({ host_id: hostId }, window);
  }

  /** Failed checks (stopped, error, unknown) in the last `hours`, newest first. */
  async recentFailures(hours = 24, limit = 500, now = new Date()): Promise<MonitoringCheck[]> {
    return this.find({ status: { $in: [...FAILURE_STATUSES] } }, { since: new Date(+now - hours * HOUR_MS), limit });
  }

  /** Deletes expired entries; the fallback where the server has no TTL monitor. */
  async deleteExpired(now = new Date()): Promise<number> {
    const { deletedCount } = await MonitoringCheckModel.deleteMany({ expires_at: { $lte: now } });
    return deletedCount;
  }

  async requireServiceExists(serviceId: string): Promise<void> {
    if (!(await ServiceModel.exists({ service_id: serviceId }))) throw new NotFoundError('service', serviceId);
  }

  private async find(query: Record<string, unknown>, window: HistoryWindow): Promise<MonitoringCheck[]> {
    const timestamp: Record<string, Date> = {};
    if (window.before) timestamp.$lt = window.before;
    if (window.since) timestamp.$gte = window.since;
    const limit = Math.min(Math.max(window.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
    const filter = Object.keys(timestamp).length > 0 ? { ...query, timestamp } : query;
    return MonitoringCheckModel.find(filter).sort({ timestamp: -1, _id: -1 }).limit(limit).lean<MonitoringCheck[]>();
  }
}
