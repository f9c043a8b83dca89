import type { AnyBulkWriteOperation } from 'mongodb';
import type { Types } from 'mongoose';
import { silentLogger, type Logger } from '../../common/logger.js';
import { AuditRecordModel, type AuditRecord } from './audit.model.js';

/** A write for the audit log: a new record (made when written), or an update of one written before. */
export type AuditWrite =
  | { kind: 'insert'; build: () => AuditRecord | Promise<AuditRecord> }
  | { kind: 'update'; id: Types.ObjectId; update: Record<string, unknown> };

export interface AuditWriterOptions {
  /** Most writes sent in one round trip. */
  batchSize?: number;
  /** Writes waiting beyond this are dropped (and logged): a database that is down must not fill the memory. */
  maxQueued?: number;
  /** Pauses before each retry of a failed batch; after the last, the batch is logged as lost. */
  retryDelaysMs?: readonly number[];
}

const DUPLICATE_KEY = 11000;

/**
 * Writes audit records in the background, in order, in batches: a request only queues its record,
 * so writing never slows or fails it. A failed batch is retried (records carry their own _id, so a
 * retry cannot write one twice); a batch that still fails, or a record dropped from a full queue, is
 * logged at error level with what it said: an audit record is never lost without a trace.
 */
export class AuditWriter {
  private readonly queue: AuditWrite[] = [];
  private draining: Promise<void> | null = null;
  private dropped = 0;
  /** Writes in the batch being written now. */
  private writing = 0;
  private readonly batchSize: number;
  private readonly maxQueued: number;
  private readonly retryDelaysMs: readonly number[];

  constructor(
    private readonly logger: Logger = silentLogger,
    options: AuditWriterOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 200;
    this.maxQueued = options.maxQueued ?? 10_000;
    this.retryDelaysMs = options.retryDelaysMs ?? [200, 1_000, 5_000];
  }

  /** Queues a write; never throws, never waits. */
  enqueue(write: AuditWrite): void {
    if (this.queue.length >= this.maxQueued) {
      this.dropped += 1;
      // One line per power of two dropped: a flood does not become a flood of log lines.
      if ((this.dropped & (this.dropped - 1)) === 0) {
        this.logger.error('audit log: queue full, records dropped (the database is not keeping up or is down)', { dropped: this.dropped, queued: this.queue.length });
      }
      return;
    }
    this.queue.push(write);
    // After the current request has answered: the write is never on its path.
    this.draining ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.drain());
  }

  /** Resolves once everything queued so far is written (or given up and logged). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /**
   * Like flush, but gives up after `timeoutMs` (shutdown with the database gone must not hang on
   * retries): then what is still unwritten is logged at error level and dropped. True when all was written.
   */
  async flushWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.flush().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    if (done) return true;
    const left = this.queue.splice(0);
    this.logger.error('audit log: records not written when the process stopped (the database did not answer in time); they are lost', {
      waitedMs: timeoutMs,
      records: left.filter((write) => write.kind === 'insert').length,
      countUpdates: left.filter((write) => write.kind === 'update').length,
      batchBeingWritten: this.writing,
    });
    return false;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.batchSize);
        this.writing = batch.length;
        await this.writeBatch(batch);
        this.writing = 0;
      }
    } finally {
      this.writing = 0;
      this.draining = null;
    }
  }

  private async writeBatch(batch: AuditWrite[]): Promise<void> {
    const records: AuditRecord[] = [];
    const updates: AnyBulkWriteOperation[] = [];
    for (const write of batch) {
      if (write.kind === 'update') {
        updates.push({ updateOne: { filter: { _id: write.id }, update: write.update } });
        continue;
      }
      try {
        records.push(await write.build());
      } catch (error) {
        this.logger.error('audit log: a record could not be made, so it is not written', { reason: reasonOf(error) });
      }
    }
    // Inserts first: an update is always for a record queued before it.
    let pending = records;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const failed = await this.insert(pending);
      if (failed.records.length === 0) break;
      const delay = this.retryDelaysMs[attempt];
      if (delay === undefined) {
        for (const record of failed.records) this.logger.error('audit log: a record could not be written and is lost', { record: summary(record), reason: failed.reason });
        break;
      }
      this.logger.warn('audit log: writing records failed; will retry', { records: failed.records.length, reason: failed.reason, retryInMs: delay });
      await new Promise((resolve) => setTimeout(resolve, delay));
      pending = failed.records;
    }
    if (updates.length === 0) return;
    for (let attempt = 0; ; attempt++) {
      try {
        await AuditRecordModel.collection.bulkWrite(updates as AnyBulkWriteOperation<any>[], { ordered: false });
        return;
      } catch (error) {
        const delay = this.retryDelaysMs[attempt];
        if (delay === undefined) {
          this.logger.error('audit log: counts of failed authentications could not be written and are lost', { updates: updates.length, reason: reasonOf(error) });
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** Inserts; returns the records still to write (none written, or those a bulk error names, less duplicates: written before). */
  private async insert(records: AuditRecord[]): Promise<{ records: AuditRecord[]; reason: string }> {
    try {
      await AuditRecordModel.collection.insertMany(records as any[], { ordered: false });
      return { records: [], reason: '' };
    } catch (error) {
      const writeErrors = (error as { writeErrors?: { index: number; code: number }[] | { index: number; code: number } }).writeErrors;
      const list = writeErrors === undefined ? null : Array.isArray(writeErrors) ? writeErrors : [writeErrors];
      if (!list || list.length === 0) return { records, reason: reasonOf(error) };
      const retry = list.filter((e) => e.code !== DUPLICATE_KEY).map((e) => records[e.index]!);
      return { records: retry, reason: reasonOf(error) };
    }
  }
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 300);
}

/** What a lost record said, for the log line that replaces it (arguments are redacted already). */
function summary(record: AuditRecord): Record<string, unknown> {
  return {
    id: String(record._id),
    at: record.at.toISOString(),
    actor: record.actor,
    channel: record.channel,
    operation: record.operation,
    operationName: record.operation_name,
    arguments: record.arguments_json && record.arguments_json.length > 2000 ? `${record.arguments_json.slice(0, 2000)}…` : record.arguments_json,
    targets: record.targets,
    outcome: record.outcome,
    errorCode: record.error_code,
    clientAddress: record.client_address,
    count: record.count,
  };
}
