/**
 * The MongoDB features this product relies on, checked against whichever
 * server the run uses (README: "Database servers" has the matrix). A feature
 * the server lacks fails here unless the product has a fallback; then the
 * test proves the fallback and says in its output that the feature is absent.
 */
import { describe, expect, test } from 'vitest';
import { sweepExpired } from '../../src/db/ttl-sweep.js';
import { useTestDatabase } from '../helpers/database.js';
import { reportGap } from '../helpers/gaps.js';

const database = useTestDatabase(import.meta.filename);
const collection = (name: string) => database.db.collection(name);

describe('CRUD', () => {
  test('insert, find by nested field, dotted $set, $pull, $max on a null date, delete', async () => {
    const c = collection('crud');
    await c.insertOne({ _id: 'a' as never, nested: { port: 22, user: 'ubuntu' }, tags: ['x', 'y', 'z'], seen: null });
    await c.updateOne({ _id: 'a' as never }, { $set: { 'nested.port': 2222 }, $pull: { tags: { $in: ['y'] } } as never });
    await c.updateOne({ _id: 'a' as never }, { $max: { seen: new Date('2026-01-02') } });
    await c.updateOne({ _id: 'a' as never }, { $max: { seen: new Date('2026-01-01') } });
    const doc = await c.findOne({ 'nested.user': 'ubuntu', tags: 'z' });
    expect(doc).toMatchObject({ nested: { port: 2222, user: 'ubuntu' }, tags: ['x', 'z'], seen: new Date('2026-01-02') });
    expect((await c.deleteOne({ _id: 'a' as never })).deletedCount).toBe(1);
    expect(await c.countDocuments()).toBe(0);
  });

  test('filters the API uses: $in, $gte, $lt on dates, $exists, $regex, $or with null, sort + skip + limit', async () => {
    const c = collection('filters');
    await c.insertMany(
      Array.from({ length: 20 }, (_, i) => ({ n: i, name: `host-${String(i).padStart(2, '0')}`, at: i % 2 ? new Date(1000 * i) : null })),
    );
    expect(await c.countDocuments({ n: { $in: [1, 2, 99] } })).toBe(2);
    expect(await c.countDocuments({ n: { $gte: 15 } })).toBe(5);
    expect(await c.countDocuments({ at: { $lt: new Date(5000) } })).toBe(2);
    expect(await c.countDocuments({ $or: [{ at: null }, { at: { $lt: new Date(4000) } }] })).toBe(12);
    expect(await c.countDocuments({ missing: { $exists: false } })).toBe(20);
    expect(await c.countDocuments({ name: { $regex: 'host-1', $options: 'i' } })).toBe(10);
    const page = await c.find({}).sort({ n: -1 }).skip(5).limit(3).toArray();
    expect(page.map((d) => d.n)).toEqual([14, 13, 12]);
  });
});

describe('indexes', () => {
  test('a unique index refuses a duplicate insert with code 11000', async () => {
    const c = collection('unique_insert');
    await c.createIndex({ key: 1 }, { unique: true, name: 'key_unique' });
    await c.insertOne({ key: 'a' });
    await expect(c.insertOne({ key: 'a' })).rejects.toMatchObject({ code: 11000 });
  });

  test('a unique index refuses an update into a duplicate with code 11000', async () => {
    const c = collection('unique_update');
    await c.createIndex({ key: 1 }, { unique: true, name: 'key_unique' });
    await c.insertMany([{ key: 'a' }, { key: 'b' }]);
    await expect(c.updateOne({ key: 'b' }, { $set: { key: 'a' } })).rejects.toMatchObject({ code: 11000 });
  });

  test('compound indexes are created under their names and listed', async () => {
    const c = collection('compound');
    await c.createIndex({ service_id: 1, timestamp: -1 }, { name: 'service_id_timestamp' });
    await c.createIndex({ service_id: 1, bucket_start: 1 }, { unique: true, name: 'sb_unique' });
    const names = (await c.listIndexes().toArray()).map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining(['_id_', 'service_id_timestamp', 'sb_unique']));
  });

  test('every index of the seed and the product exists on the collections', async () => {
    const names = async (name: string) => (await collection(name).listIndexes().toArray()).map((i) => i.name);
    // The names pymongo's create_index gives the seed's indexes, so both tools share them.
    expect(await names('hosts')).toEqual(
      expect.arrayContaining(['host_id_1', 'environment_1_region_1', 'status_1', 'metadata.tags_1', 'ip_address_1', 'hostname_1']),
    );
    expect(await names('services')).toEqual(
      expect.arrayContaining([
        'service_id_1', 'host_id_1', 'service_type_1', 'environment_1_service_type_1', 'current_status_1',
        'monitoring.enabled_1_current_status_1', 'region_1', 'tags_1', 'last_check_1',
      ]),
    );
    const history = await names('monitoring_history');
    expect(history).toEqual(
      expect.arrayContaining(['service_id_1_timestamp_-1', 'host_id_1_timestamp_-1', 'timestamp_-1', 'status_1_timestamp_-1', 'check_type_1_timestamp_-1']),
    );
    if (database.capabilities.family === 'ferretdb') expect(history).not.toContain('expires_at_1');
    else expect(history).toContain('expires_at_1');
  });

  test('TTL: expired history is deleted (by the server, or by the retention sweep where it has no TTL monitor)', async (ctx) => {
    const history = collection('monitoring_history');
    const now = Date.now();
    await history.insertMany([
      { service_id: 's', host_id: 'h', timestamp: new Date(now - 7200_000), status: 'running', expires_at: new Date(now - 3600_000) },
      { service_id: 's', host_id: 'h', timestamp: new Date(now), status: 'running', expires_at: new Date(now + 3600_000) },
    ]);
    if (database.capabilities.ttlMonitor) {
      const ttl = (await history.listIndexes().toArray()).find((i) => i.name === 'expires_at_1');
      expect(ttl?.expireAfterSeconds).toBe(0);
      return;
    }
    await reportGap(ctx, database.server, 'no TTL monitor: expired history is deleted by the retention sweep instead (verified here)');
    expect(await sweepExpired(database.db, { batchSize: 100 })).toEqual({ monitoring_history: 1 });
    expect(await history.countDocuments()).toBe(1);
  });
});

describe('writes the hot path batches', () => {
  test('insertMany, unordered, keeps the good documents and reports the duplicate', async () => {
    const c = collection('insert_many');
    await c.createIndex({ key: 1 }, { unique: true, name: 'key_unique' });
    const error = await c.insertMany([{ key: 1 }, { key: 1 }, { key: 2 }], { ordered: false }).catch((e) => e);
    expect(error).toMatchObject({ code: 11000 });
    expect(await c.countDocuments()).toBe(2);
  });

  test('bulkWrite: upsert with $inc and $setOnInsert, guarded updateOne, deleteMany', async () => {
    const c = collection('bulk');
    await c.insertMany([{ _id: 'guarded' as never, last: new Date(2000) }, { _id: 'gone' as never, last: null }]);
    const result = await c.bulkWrite(
      [
        { updateOne: { filter: { _id: 'bucket' as never }, update: { $inc: { up: 5 }, $setOnInsert: { created: true } }, upsert: true } },
        { updateOne: { filter: { _id: 'bucket' as never }, update: { $inc: { up: 7, down: 1 }, $setOnInsert: { created: false } }, upsert: true } },
        { updateOne: { filter: { _id: 'guarded' as never, $or: [{ last: null }, { last: { $lt: new Date(1000) } }] }, update: { $set: { last: new Date(1000) } } } },
        { deleteMany: { filter: { _id: 'gone' as never } } },
      ],
      { ordered: false },
    );
    expect(result.upsertedCount).toBe(1);
    expect(result.deletedCount).toBe(1);
    expect(await c.findOne({ _id: 'bucket' as never })).toMatchObject({ up: 12, down: 1, created: true });
    expect(await c.findOne({ _id: 'guarded' as never })).toMatchObject({ last: new Date(2000) });
  });
});

describe('locking as Agenda does it', () => {
  test('findOneAndUpdate is atomic: of 50 concurrent claimers exactly one wins', async () => {
    const c = collection('claims');
    await c.insertOne({ _id: 'job' as never, lockedAt: null, nextRunAt: new Date(0) });
    const claims = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        c.findOneAndUpdate({ _id: 'job' as never, lockedAt: null, nextRunAt: { $lte: new Date() } }, { $set: { lockedAt: new Date(), by: i } }, { returnDocument: 'after' }),
      ),
    );
    expect(claims.filter((doc) => doc !== null)).toHaveLength(1);
  });

  test('findOneAndUpdate with sort claims due documents one at a time, each once', async () => {
    const c = collection('due');
    await c.insertMany(Array.from({ length: 20 }, (_, i) => ({ n: i, lockedAt: null, nextRunAt: new Date(1000 * i) })));
    const claimed = await Promise.all(
      Array.from({ length: 30 }, () =>
        c.findOneAndUpdate({ lockedAt: null, nextRunAt: { $lte: new Date() } }, { $set: { lockedAt: new Date() } }, { sort: { nextRunAt: 1 }, returnDocument: 'after' }),
      ),
    );
    const winners = claimed.filter((d) => d !== null).map((d) => d!.n);
    expect(winners.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('aggregation', () => {
  test('$match, $group with $sum, $sort and $limit (dashboard counts)', async () => {
    const c = collection('agg');
    await c.insertMany([
      { env: 'production', status: 'running' },
      { env: 'production', status: 'stopped' },
      { env: 'staging', status: 'running' },
      { env: 'dev', status: 'running' },
    ]);
    const groups = await c
      .aggregate([{ $match: { status: 'running' } }, { $group: { _id: '$env', count: { $sum: 1 } } }, { $sort: { count: -1, _id: 1 } }, { $limit: 2 }])
      .toArray();
    expect(groups).toEqual([
      { _id: 'dev', count: 1 },
      { _id: 'production', count: 1 },
    ]);
  });

  test('$group with several accumulators at once ($sum twice, $max)', async () => {
    const c = collection('agg_multi');
    await c.insertMany([
      { s: 'a', up: 10, down: 1 },
      { s: 'a', up: 20, down: 2 },
      { s: 'b', up: 5, down: 0 },
    ]);
    const groups = await c
      .aggregate([{ $group: { _id: '$s', up: { $sum: '$up' }, down: { $sum: '$down' }, max: { $max: '$up' } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(groups).toEqual([
      { _id: 'a', up: 30, down: 3, max: 20 },
      { _id: 'b', up: 5, down: 0, max: 5 },
    ]);
  });

  test('$facet: several $group counts in one pass (dashboardSummary), null for a missing field', async () => {
    const c = collection('agg_facet');
    await c.insertMany([{ env: 'production', status: 'running' }, { env: 'production', status: 'stopped' }, { status: 'running' }]);
    const [facets] = await c.aggregate([{ $facet: { env: [{ $group: { _id: '$env', count: { $sum: 1 } } }], status: [{ $group: { _id: '$status', count: { $sum: 1 } } }] } }]).toArray();
    const sorted = (groups: { _id: string | null; count: number }[]) => [...groups].sort((a, b) => String(a._id).localeCompare(String(b._id)));
    expect(sorted(facets!.env)).toEqual([{ _id: null, count: 1 }, { _id: 'production', count: 2 }]);
    expect(sorted(facets!.status)).toEqual([{ _id: 'running', count: 2 }, { _id: 'stopped', count: 1 }]);
  });

  test('countDocuments: all (the launcher answers from the collection count), filtered, after deletes, of an empty or missing collection', async () => {
    const c = collection('counted');
    expect(await collection('never_created').countDocuments()).toBe(0);
    await c.insertMany(Array.from({ length: 25 }, (_, i) => ({ i, even: i % 2 === 0 })));
    expect(await c.countDocuments()).toBe(25);
    expect(await c.countDocuments({})).toBe(25);
    expect(await c.countDocuments({ even: true })).toBe(13);
    expect(await c.countDocuments({}, { limit: 10 })).toBe(10);
    await c.deleteMany({ i: { $gte: 20 } });
    expect(await c.countDocuments({})).toBe(20);
    await c.deleteMany({});
    expect(await c.countDocuments({})).toBe(0);
  });
});

describe('change notification', () => {
  test('change streams deliver inserts (or the server says it has none)', async (ctx) => {
    if (!database.capabilities.changeStreams) {
      await reportGap(ctx, database.server, 'no change streams: live status uses in-process / Redis pub/sub instead');
      await expect(collection('stream').watch().tryNext()).rejects.toThrow();
      return;
    }
    const stream = collection('stream').watch([], { fullDocument: 'updateLookup' });
    try {
      await stream.tryNext();
      await collection('stream').insertOne({ hello: 'world' });
      let change = null;
      for (let i = 0; i < 50 && !change; i++) change = await stream.tryNext();
      expect(change).toMatchObject({ operationType: 'insert', fullDocument: { hello: 'world' } });
    } finally {
      await stream.close();
    }
  });

  test('transactions (or the server says it has none, and nothing relies on them)', async (ctx) => {
    if (!database.capabilities.transactions) {
      await reportGap(ctx, database.server, 'no transactions: multi-document writes are ordered so a retry completes them');
      expect(database.capabilities.transactions).toBe(false);
      return;
    }
    const session = database.db.client.startSession();
    try {
      await session.withTransaction(async () => {
        await collection('tx').insertOne({ a: 1 }, { session });
      });
    } finally {
      await session.endSession();
    }
    expect(await collection('tx').countDocuments()).toBe(1);
  });
});
