import { Types } from 'mongoose';
import { InvalidInputError, NotFoundError } from '../../common/errors.js';
import { decodeCursor, encodeCursor, pageSize, type Page, type PageRequest } from '../../common/pagination.js';
import { HostModel } from '../hosts/host.model.js';
import { ServiceModel } from '../services/service.model.js';
import { MonitoringCheckModel, readCheck, type MonitoringCheck } from './history.model.js';

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

export interface HistoryScope {
  service_id?: string;
  host_id?: string;
  /** Only failed checks (stopped, error, unknown). */
  failures_only?: boolean;
  since?: Date;
}

export class HistoryService {
  /** Entries by id (unknown or malformed ids are left out). */
  async getMany(ids: readonly string[]): Promise<MonitoringCheck[]> {
    const valid = ids.filter((id) => Types.ObjectId.isValid(id) && String(new Types.ObjectId(id)) === id);
    if (valid.length === 0) return [];
    return (await MonitoringCheckModel.find({ _id: { $in: valid.map((id) => new Types.ObjectId(id)) } }).lean<MonitoringCheck[]>()).map((c) => readCheck(c));
  }

  /** One page of history, newest first, keyed on (timestamp, _id) so pages hold still while checks arrive. */
  async page(scope: HistoryScope, request: PageRequest): Promise<Page<MonitoringCheck>> {
    const size = pageSize(request.first);
    const filter = scopeQuery(scope);
    const after = request.after ? decodeCursor(request.after, 2) : null;
    if (after && !(after[0] instanceof Date && typeof after[1] === 'string')) throw InvalidInputError.single('after', 'is not a cursor from this list');
    const query = after
      ? { $and: [filter, { $or: [{ timestamp: { $lt: after[0] } }, { timestamp: after[0], _id: { $lt: new Types.ObjectId(String(after[1])) } }] }] }
      : filter;
    const docs = size === 0 ? [] : await MonitoringCheckModel.find(query).sort({ timestamp: -1, _id: -1 }).limit(size + 1).lean<MonitoringCheck[]>();
    return {
      items: docs.slice(0, size).map((stored) => {
        const node = readCheck(stored);
        return { node, cursor: encodeCursor([node.timestamp, node._id]) };
      }),
      hasNextPage: docs.length > size,
      hasPreviousPage: after !== null,
      totalCount: () => MonitoringCheckModel.countDocuments(filter).exec(),
    };
  }

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

  async requireServiceExists(serviceId: string): Promise<void> {
    if (!(await ServiceModel.exists({ service_id: serviceId }))) throw new NotFoundError('service', serviceId);
  }

  /** Cheap existence check for a host, for history queries that name one. */
  async requireHostExists(hostId: string): Promise<void> {
    if (!(await HostModel.exists({ host_id: hostId }))) throw new NotFoundError('host', hostId);
  }

  private async find(query: Record<string, unknown>, window: HistoryWindow): Promise<MonitoringCheck[]> {
    const timestamp: Record<string, Date> = {};
    if (window.before) timestamp.$lt = window.before;
    if (window.since) timestamp.$gte = window.since;
    const limit = Math.min(Math.max(window.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
    const filter = Object.keys(timestamp).length > 0 ? { ...query, timestamp } : query;
    return (await MonitoringCheckModel.find(filter).sort({ timestamp: -1, _id: -1 }).limit(limit).lean<MonitoringCheck[]>()).map((c) => readCheck(c));
  }
}

function scopeQuery(scope: HistoryScope): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  if (scope.service_id) query.service_id = scope.service_id;
  if (scope.host_id) query.host_id = scope.host_id;
  if (scope.failures_only) query.status = { $in: [...FAILURE_STATUSES] };
  if (scope.since) query.timestamp = { $gte: scope.since };
  return query;
}
