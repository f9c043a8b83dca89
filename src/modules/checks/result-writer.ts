import { InvalidInputError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type { CheckRecorder, Lease } from '../history/check-recorder.js';
import type { CheckResult, RecordedCheck } from '../history/check-result.js';

/** A result waits at most this long for others to share its write. */
export const RESULT_FLUSH_INTERVAL_MS = 100;
/** A write carries at most this many results; this many waiting are written at once. */
export const RESULT_FLUSH_MAX_RESULTS = 200;
/**
 * Writes under way at once. More than one, so a slow write (a busy database) does not hold the next batch's
 * results back, and the database works on several; never two holding the same service.
 */
export const RESULT_FLUSHES_IN_FLIGHT = 3;

/** One result written: when its check finished and when its write was acknowledged (epoch ms). */
export interface WriteSample {
  service_id: string;
  finished_at: number;
  written_at: number;
}

interface Pending {
  result: CheckResult;
  lease: Lease | undefined;
  finishedAt: number;
  queuedAt: number;
  resolve: (entry: RecordedCheck | null) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects finished check results and writes them in small batches, by time and size: whichever comes first
 * of `RESULT_FLUSH_INTERVAL_MS` after the oldest waiting result and `RESULT_FLUSH_MAX_RESULTS` waiting. Each
 * batch is one recorder call (one insertMany, one bulkWrite per collection). So a result is written soon after
 * its own check finished, whatever else was claimed with it; a check that hangs delays nothing but itself.
 *
 * Up to `RESULT_FLUSHES_IN_FLIGHT` batches are written at once, never two with results of one service (the
 * recorder assumes one writer per service: such a result waits for the next batch).
 */
export class ResultWriter {
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing = 0;
  /** Services with a result in a write under way. */
  private readonly writing = new Set<string>();
  private readonly observers = new Set<(sample: WriteSample) => void>();

  constructor(
    private readonly recorder: CheckRecorder,
    private readonly logger: Logger,
  ) {}

  /**
   * Resolves with the recorded entry once the result is written (null when its service no longer exists).
   * `lease`: the scheduled claim the write checks and releases.
   */
  write(result: CheckResult, lease?: Lease, finishedAt = Date.now()): Promise<RecordedCheck | null> {
    return new Promise((resolve, reject) => {
      this.pending.push({ result, lease, finishedAt, queuedAt: Date.now(), resolve, reject });
      this.schedule();
    });
  }

  /** Called with every result written (benchmarks measure the write delay with it). */
  observe(listener: (sample: WriteSample) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  get waiting(): number {
    return this.pending.length;
  }

  private schedule(): void {
    if (this.flushing >= RESULT_FLUSHES_IN_FLIGHT || this.pending.length === 0) return;
    const waitedMs = Date.now() - this.pending[0]!.queuedAt;
    if (this.pending.length >= RESULT_FLUSH_MAX_RESULTS || waitedMs >= RESULT_FLUSH_INTERVAL_MS) {
      this.flushNow();
      return;
    }
    this.timer ??= setTimeout(() => this.flushNow(), RESULT_FLUSH_INTERVAL_MS - waitedMs);
  }

  private flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.flushing < RESULT_FLUSHES_IN_FLIGHT && this.pending.length > 0) {
      const batch = this.takeBatch();
      if (batch.length === 0) return;
      this.flushing++;
      batch.forEach((p) => this.writing.add(p.result.service_id));
      void this.writeBatch(batch).finally(() => {
        this.flushing--;
        batch.forEach((p) => this.writing.delete(p.result.service_id));
        this.schedule();
      });
      // Another batch at once only when a full one is waiting; else the timer gathers it.
      if (this.pending.length < RESULT_FLUSH_MAX_RESULTS) break;
    }
    this.schedule();
  }

  /** The oldest waiting results, at most one per service and none of a service being written; the rest wait. */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const taken = new Set<string>();
    for (const item of this.pending) {
      const id = item.result.service_id;
      if (batch.length < RESULT_FLUSH_MAX_RESULTS && !this.writing.has(id) && !taken.has(id)) {
        batch.push(item);
        taken.add(id);
      } else {
        rest.push(item);
      }
    }
    this.pending = rest;
    return batch;
  }

  private async writeBatch(batch: Pending[]): Promise<void> {
    try {
      this.settle(batch, await this.record(batch));
    } catch (error) {
      // A result the history model refuses fails before anything is written: write the others one by one so a
      // single bad result costs only itself.
      if (error instanceof InvalidInputError && batch.length > 1) {
        for (const item of batch) {
          try {
            this.settle([item], await this.record([item]));
          } catch (own) {
            item.reject(own);
          }
        }
        return;
      }
      this.logger.error('writing check results failed', { results: batch.length, reason: error instanceof Error ? error.message : String(error) });
      batch.forEach((item) => item.reject(error));
    }
  }

  private async record(batch: Pending[]): Promise<RecordedCheck[]> {
    const leases = new Map(batch.filter((p) => p.lease).map((p) => [p.result.service_id, p.lease!] as const));
    const { recorded, lostLeaseServiceIds } = await this.recorder.record(
      batch.map((p) => p.result),
      leases,
    );
    // This process stalled past those leases and another took the services over: its results are dropped.
    for (const serviceId of lostLeaseServiceIds) this.logger.warn('check result dropped: another process holds the service now', { service_id: serviceId });
    return recorded;
  }

  private tell(sample: WriteSample): void {
    for (const observer of this.observers) {
      try {
        observer(sample);
      } catch {
        // An observer's failure is its own.
      }
    }
  }

  /** Hands each waiting caller its entry, in the order of the batch (one service may appear more than once). */
  private settle(batch: Pending[], recorded: RecordedCheck[]): void {
    const writtenAt = Date.now();
    const byService = new Map<string, RecordedCheck[]>();
    for (const entry of recorded) byService.set(entry.service_id, [...(byService.get(entry.service_id) ?? []), entry]);
    for (const item of batch) {
      const entries = byService.get(item.result.service_id);
      const at = entries?.findIndex((e) => +e.timestamp === +item.result.timestamp) ?? -1;
      const entry = at >= 0 ? entries!.splice(at, 1)[0]! : null;
      if (entry) this.tell({ service_id: entry.service_id, finished_at: item.finishedAt, written_at: writtenAt });
      item.resolve(entry);
    }
  }
}
