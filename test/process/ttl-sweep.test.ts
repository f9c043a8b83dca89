/**
 * Issue 9, item 7: where the server has no TTL monitor, every collection with a TTL index is swept
 * (history and uptime rollups, and any other), read from the server's own index list, in bounded batches.
 * Against the run's real database; documents are written with the driver, as any tool could.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { Logger } from '../../src/common/logger.js';
import { findTtlIndexes, startTtlSweep, sweepExpired } from '../../src/db/ttl-sweep.js';
import { MonitoringCheckModel } from '../../src/modules/history/history.model.js';
import { UptimeRollupModel } from '../../src/modules/history/uptime-rollup.model.js';
import { useTestDatabase } from '../helpers/database.js';

const HISTORY = MonitoringCheckModel.collection.collectionName;
const ROLLUPS = UptimeRollupModel.collection.collectionName;

const database = useTestDatabase(import.meta.filename);
const MINUTE = 60_000;
const NOW = new Date('2026-06-01T12:00:00Z');
const ago = (ms: number) => new Date(+NOW - ms);

afterEach(async () => {
  await database.db.collection('tool_sessions').drop().catch(() => {});
});

async function seed() {
  const db = database.db;
  // History and rollups expire at expires_at (expireAfterSeconds 0).
  await db.collection(HISTORY).insertMany([
    ...Array.from({ length: 7 }, (_, i) => ({ service_id: 'svc', timestamp: ago(40 * 24 * 60 * MINUTE), status: 'running', expires_at: ago((i + 1) * MINUTE) })),
    { service_id: 'svc', timestamp: ago(MINUTE), status: 'running', expires_at: new Date(+NOW + MINUTE) },
  ]);
  await db.collection(ROLLUPS).insertMany([
    ...Array.from({ length: 5 }, (_, i) => ({ service_id: `svc${i}`, bucket_start: ago(40 * 24 * 60 * MINUTE), up_ms: 1, down_ms: 0, expires_at: ago(MINUTE) })),
    { service_id: 'svc', bucket_start: ago(60 * MINUTE), up_ms: 1, down_ms: 0, expires_at: new Date(+NOW + 30 * MINUTE) },
  ]);
  // A collection of another tool's, with its own TTL (an hour after created); a value that is not a date never expires.
  await db.collection('tool_sessions').createIndex({ created: 1 }, { expireAfterSeconds: 3600 });
  await db.collection('tool_sessions').insertMany([
    { _id: 'old' as never, created: ago(61 * MINUTE) },
    { _id: 'fresh' as never, created: ago(59 * MINUTE) },
    { _id: 'not-a-date' as never, created: 'yesterday' },
  ]);
}

describe('the TTL sweep', () => {
  test('finds every TTL index from the server, whoever created it', async () => {
    await database.db.collection('tool_sessions').createIndex({ created: 1 }, { expireAfterSeconds: 3600 });
    const found = await findTtlIndexes(database.db);
    expect(found).toEqual(
      expect.arrayContaining([
        { collection: HISTORY, index: 'expires_at_1', field: 'expires_at', expireAfterSeconds: 0 },
        { collection: ROLLUPS, index: 'expires_at_1', field: 'expires_at', expireAfterSeconds: 0 },
        { collection: 'tool_sessions', index: 'created_1', field: 'created', expireAfterSeconds: 3600 },
      ]),
    );
    expect(found.every((ttl) => !ttl.collection.startsWith('system.'))).toBe(true);
  });

  test('deletes what has expired in every such collection, in batches, and nothing else', async () => {
    await seed();
    // Batches of 2: seven expired history entries take four deletes; all go.
    expect(await sweepExpired(database.db, { batchSize: 2, now: NOW })).toEqual({ [HISTORY]: 7, [ROLLUPS]: 5, tool_sessions: 1 });
    expect(await database.db.collection(HISTORY).countDocuments()).toBe(1);
    expect(await database.db.collection(ROLLUPS).countDocuments()).toBe(1);
    expect((await database.db.collection('tool_sessions').find().toArray()).map((d) => d._id).sort()).toEqual(['fresh', 'not-a-date']);
    expect(await sweepExpired(database.db, { batchSize: 2, now: NOW })).toEqual({});
  });

  test('stops between batches when asked', async () => {
    await seed();
    const stop = new AbortController();
    stop.abort();
    expect(await sweepExpired(database.db, { batchSize: 2, now: NOW, signal: stop.signal })).toEqual({});
    expect(await database.db.collection(HISTORY).countDocuments()).toBe(8);
  });

  test('startTtlSweep sweeps at once, logs one line per collection, and its stop waits for a sweep under way', async () => {
    const db = database.db;
    const wallNow = Date.now();
    await db.collection(ROLLUPS).insertMany([
      { service_id: 'a', bucket_start: new Date(wallNow - 40 * 24 * 3600_000), up_ms: 1, down_ms: 0, expires_at: new Date(wallNow - MINUTE) },
      { service_id: 'b', bucket_start: new Date(wallNow), up_ms: 1, down_ms: 0, expires_at: new Date(wallNow + 30 * 24 * 3600_000) },
    ]);
    const lines: { message: string; fields?: Record<string, unknown> }[] = [];
    const log = (message: string, fields?: Record<string, unknown>) => void lines.push({ message, fields });
    const logger: Logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
    const stop = startTtlSweep(db, { intervalMs: 60 * MINUTE, batchSize: 100 }, logger);
    const deadline = Date.now() + 5_000;
    while ((await db.collection(ROLLUPS).countDocuments()) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await stop();
    expect((await db.collection(ROLLUPS).find().toArray()).map((d) => d.service_id)).toEqual(['b']);
    expect(lines).toContainEqual({ message: 'retention sweep deleted expired documents', fields: { collection: ROLLUPS, deleted: 1 } });
  });
});
