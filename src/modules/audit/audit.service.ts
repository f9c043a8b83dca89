import { Types } from 'mongoose';
import { InvalidInputError } from '../../common/errors.js';
import { silentLogger, type Logger } from '../../common/logger.js';
import { decodeCursor, encodeCursor, pageSize, type Page, type PageRequest } from '../../common/pagination.js';
import type { EventBus } from '../../events/event-bus.js';
import { AuditRecordModel, type AuditActorType, type AuditOutcome, type AuditRecord } from './audit.model.js';
import { toAuditRecord, type AuditEntry } from './audit-entry.js';
import { currentAuditScope } from './audit-scope.js';
import { AuditWriter, type AuditWriterOptions } from './audit-writer.js';
import { AuthFailureLog, DEFAULT_AUTH_FAILURE_SETTINGS, type AuthFailureSettings, type FailedAuthentication } from './auth-failures.js';

export const DEFAULT_AUDIT_RETENTION_DAYS = 365;

export interface AuditSettings {
  auditRetentionDays?: number;
}

export interface AuditOptions {
  writer?: AuditWriterOptions;
  authFailures?: Partial<AuthFailureSettings>;
}

export interface AuditFilter {
  actorKeyId?: string;
  actorType?: AuditActorType;
  /** Records naming this id among their targets (of any type, or of `targetType`). */
  targetId?: string;
  targetType?: string;
  operation?: string;
  outcome?: AuditOutcome;
  /** At or after. */
  since?: Date;
  /** Before. */
  until?: Date;
}

/**
 * The audit log: who changed what, refused authentications, and what the server did on its own.
 * Recording only queues (see AuditWriter); reading is a page, newest first.
 */
export class AuditService {
  private readonly writer: AuditWriter;
  private readonly failures: AuthFailureLog;
  readonly retentionDays: number;

  constructor(settings: AuditSettings = {}, logger: Logger = silentLogger, options: AuditOptions = {}) {
    this.retentionDays = settings.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
    this.writer = new AuditWriter(logger, options.writer);
    this.failures = new AuthFailureLog(
      {
        insert: (entry, reason) =>
          this.writer.enqueue({ kind: 'insert', build: async () => toAuditRecord({ ...entry, message: await reason() }, this.retentionDays) }),
        update: (id, update) => this.writer.enqueue({ kind: 'update', id, update }),
      },
      { ...DEFAULT_AUTH_FAILURE_SETTINGS, ...options.authFailures },
    );
  }

  /** Queues a record; never throws, never waits (a failed write is retried, then logged). */
  record(entry: AuditEntry): void {
    this.writer.enqueue({ kind: 'insert', build: () => toAuditRecord(entry, this.retentionDays) });
  }

  /** Writes a record now (a command line tool, about to exit); throws when it cannot. */
  async recordNow(entry: AuditEntry): Promise<void> {
    await AuditRecordModel.collection.insertOne(toAuditRecord(entry, this.retentionDays) as any);
  }

  /** A refused key or none: counted per source address (see AuthFailureLog). */
  authFailed(failure: FailedAuthentication): void {
    this.failures.note(failure);
  }

  /** Resolves once everything recorded so far is written (counts of failed authentications too). */
  async flush(): Promise<void> {
    this.failures.flush();
    await this.writer.flush();
  }

  /**
   * Writes what is pending and stops the timers (shutdown). With `timeoutMs`, waits at most that long
   * (a database that is gone must not hold the process up); what is left then is logged as lost.
   */
  async close(timeoutMs?: number): Promise<void> {
    this.failures.stop();
    if (timeoutMs === undefined) await this.writer.flush();
    else await this.writer.flushWithin(timeoutMs);
  }

  /** One page of records, newest first, keyed on (at, _id) so pages hold still while records arrive. */
  async page(filter: AuditFilter, request: PageRequest): Promise<Page<AuditRecord>> {
    const size = pageSize(request.first);
    const query = auditQuery(filter);
    const after = request.after ? decodeCursor(request.after, 2) : null;
    if (after && !(after[0] instanceof Date && typeof after[1] === 'string')) throw InvalidInputError.single('after', 'is not a cursor from this list');
    const paged = after
      ? { $and: [query, { $or: [{ at: { $lt: after[0] } }, { at: after[0], _id: { $lt: new Types.ObjectId(String(after[1])) } }] }] }
      : query;
    const docs = size === 0 ? [] : await AuditRecordModel.find(paged).sort({ at: -1, _id: -1 }).limit(size + 1).lean<AuditRecord[]>();
    return {
      items: docs.slice(0, size).map((node) => ({ node, cursor: encodeCursor([node.at, node._id]) })),
      hasNextPage: docs.length > size,
      hasPreviousPage: after !== null,
      totalCount: () => AuditRecordModel.countDocuments(query).exec(),
    };
  }

  /**
   * Records what the engine does about a down service (recoveries and give-ups): with the system actor
   * when it acts on its own, or with the caller's key when a request (recoverService, runCheck) made it.
   */
  recordEngineActions(events: EventBus): () => void {
    return events.subscribe('recovery.event', (event) => {
      // Every attempt ends in `succeeded` or `failed`, which is what is recorded.
      if (event.kind === 'attempted') return;
      const scope = currentAuditScope();
      this.record({
        at: event.at,
        actor: scope?.actor ?? { type: 'system', name: 'engine' },
        channel: scope?.channel ?? 'system',
        clientAddress: scope?.clientAddress ?? null,
        operationName: scope?.operationName ?? null,
        operation: event.kind === 'gave_up' ? 'recoveryGaveUp' : 'recovery',
        arguments: { action: event.action, historyId: event.history_id },
        targets: [
          { type: 'service', id: event.service_id },
          { type: 'host', id: event.host_id },
        ],
        outcome: event.kind === 'succeeded' ? 'success' : 'failure',
        message: event.message,
      });
    });
  }
}

export function auditQuery(filter: AuditFilter): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  if (filter.actorKeyId) query['actor.key_id'] = filter.actorKeyId;
  if (filter.actorType) query['actor.type'] = filter.actorType;
  if (filter.targetId && filter.targetType) query.targets = { $elemMatch: { type: filter.targetType, id: filter.targetId } };
  else if (filter.targetId) query['targets.id'] = filter.targetId;
  else if (filter.targetType) query['targets.type'] = filter.targetType;
  if (filter.operation) query.operation = filter.operation;
  if (filter.outcome) query.outcome = filter.outcome;
  if (filter.since || filter.until) {
    if (filter.since && filter.until && +filter.since >= +filter.until) throw InvalidInputError.single('filter.until', 'must be after filter.since');
    query.at = { ...(filter.since ? { $gte: filter.since } : {}), ...(filter.until ? { $lt: filter.until } : {}) };
  }
  return query;
}

