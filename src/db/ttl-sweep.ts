import type { Db } from 'mongodb';
import type { Logger } from '../common/logger.js';

/** A TTL index as the server lists it: documents whose `field` (a date) is older than `expireAfterSeconds` are expired. */
export interface TtlIndex {
  collection: string;
  index: string;
  field: string;
  expireAfterSeconds: number;
}

/** Every TTL index in the database, read from the server (listIndexes), whoever created it. */
export async function findTtlIndexes(db: Db): Promise<TtlIndex[]> {
  const found: TtlIndex[] = [];
  const collections = await db.listCollections({}, { nameOnly: true }).toArray();
  for (const { name } of collections) {
    if (name.startsWith('system.')) continue;
    const indexes = await db.collection(name).listIndexes().toArray().catch(() => []);
    for (const index of indexes) {
      const keys = Object.keys(index.key ?? {});
      // MongoDB honours expireAfterSeconds on single-field indexes only.
      if (typeof index.expireAfterSeconds !== 'number' || keys.length !== 1) continue;
      found.push({ collection: name, index: String(index.name), field: keys[0]!, expireAfterSeconds: index.expireAfterSeconds });
    }
  }
  return found;
}

export interface SweepOptions {
  /** Most documents one delete removes; the sweep repeats until none are left. */
  batchSize: number;
  now?: Date;
  /** Stops between batches. */
  signal?: AbortSignal;
}

/**
 * Deletes what a TTL monitor would: in every collection with a TTL index, the
 * documents whose indexed date is older than `expireAfterSeconds` (values that are
 * not dates never expire, as in MongoDB). In batches of `batchSize` by _id, so no
 * single delete holds the server for long. Returns the count deleted per collection.
 */
export async function sweepExpired(db: Db, options: SweepOptions): Promise<Record<string, number>> {
  const now = options.now ?? new Date();
  const deleted: Record<string, number> = {};
  for (const ttl of await findTtlIndexes(db)) {
    const collection = db.collection(ttl.collection);
    const expired = { [ttl.field]: { $lte: new Date(+now - ttl.expireAfterSeconds * 1000) } };
    for (;;) {
      if (options.signal?.aborted) return deleted;
      const batch = await collection.find(expired, { projection: { _id: 1 } }).limit(options.batchSize).toArray();
      if (batch.length === 0) break;
      const { deletedCount } = await collection.deleteMany({ _id: { $in: batch.map((doc) => doc._id) }, ...expired });
      deleted[ttl.collection] = (deleted[ttl.collection] ?? 0) + deletedCount;
      if (batch.length < options.batchSize) break;
      // Let requests and checks in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return deleted;
}

/**
 * Runs sweepExpired now and every `intervalMs`, for servers without a TTL monitor
 * (mongo-java-server, FerretDB). The returned function stops it and resolves once
 * a sweep under way has stopped (between two batches).
 */
export function startTtlSweep(db: Db, settings: { intervalMs: number; batchSize: number }, logger: Logger): () => Promise<void> {
  const stop = new AbortController();
  let running: Promise<void> | null = null;
  const sweep = () => {
    if (running || stop.signal.aborted) return;
    running = (async () => {
      try {
        const deleted = await sweepExpired(db, { batchSize: settings.batchSize, signal: stop.signal });
        for (const [collection, count] of Object.entries(deleted)) {
          if (count > 0) logger.info('retention sweep deleted expired documents', { collection, deleted: count });
        }
      } catch (error) {
        logger.warn('retention sweep failed; will retry', { reason: error instanceof Error ? error.message : String(error) });
      } finally {
        running = null;
      }
    })();
  };
  sweep();
  const timer = setInterval(sweep, settings.intervalMs);
  timer.unref();
  return async () => {
    stop.abort();
    clearInterval(timer);
    await running;
  };
}
