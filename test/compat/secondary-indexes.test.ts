/**
 * Issue 15, items 1 and 2: the fallback server (mongo-java-server behind our launcher) uses non-unique and
 * compound indexes the way MongoDB does for the queries this product sends, proven without timing: `explain`
 * reports `executionStats.totalDocsExamined` (documents read) next to `nReturned`, and each hot query reads
 * about as many documents as it returns, not the collection. Property tests then compare, over random documents,
 * random queries and random writes, every indexed answer with the answer of the same data kept without indexes.
 *
 * Runs on the run's server (the in-memory launcher by default; a real MongoDB with MONGODB_URI) and on an H2
 * launcher of its own (--data), where indexes are rebuilt from the file on restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type Db, type Document, type Filter, type Sort } from 'mongodb';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultIndexName } from '../../src/db/indexes.js';
import { startLocalServer, type RunningServer } from '../../src/db/local-server.js';
import { MonitoringCheckModel } from '../../src/modules/history/history.model.js';
import { UptimeRollupModel } from '../../src/modules/history/uptime-rollup.model.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import { useTestDatabase } from '../helpers/database.js';

const database = useTestDatabase(import.meta.filename, { clearBeforeEach: false });

const NOW = new Date('2026-06-01T12:00:00Z');
const SERVICES = 3000;
const HISTORY_SERVICES = 200;
const HISTORY = 20_000;
const ROLLUP_SERVICES = 100;
const ROLLUP_HOURS = 48;

/** Deterministic random numbers (mulberry32): a failure repeats with the same seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The product's indexes (its models' @index declarations) on a collection of our own, by the product's names. */
async function createProductIndexes(db: Db, collection: string, model: { schema: { indexes(): [Document, Document][] } }): Promise<void> {
  for (const [keys, options] of model.schema.indexes()) {
    await db.collection(collection).createIndex(keys, { ...options, name: defaultIndexName(keys) });
  }
}

interface Stats {
  returned: number;
  docs: number;
  keys: number;
  plan: string;
}

/** Runs `explain` (executionStats) of a command and returns what it examined. */
async function explain(db: Db, command: Document): Promise<Stats> {
  const response = await db.command({ explain: command, verbosity: 'executionStats' });
  const stats = response.executionStats ?? response.stages?.[0]?.$cursor?.executionStats;
  const plan = JSON.stringify(response.queryPlanner?.winningPlan ?? response.stages?.[0]?.$cursor?.queryPlanner?.winningPlan ?? {});
  return { returned: stats.nReturned, docs: stats.totalDocsExamined, keys: stats.totalKeysExamined, plan };
}

/** Read about as many documents as returned (a few rejected candidates allowed), nowhere near the collection. */
function expectIndexed(stats: Stats, returned: number, collectionSize: number): void {
  expect(stats.plan, JSON.stringify(stats)).not.toContain('COLLSCAN');
  expect(stats.docs, JSON.stringify(stats)).toBeLessThanOrEqual(Math.ceil(returned * 1.5) + 2);
  expect(stats.docs).toBeLessThan(collectionSize / 10);
}

async function seedHotData(db: Db): Promise<void> {
  const rnd = random(15);
  await Promise.all(['ix_services', 'ix_history', 'ix_rollups'].map((c) => db.collection(c).drop().catch(() => {})));
  await createProductIndexes(db, 'ix_services', ServiceModel);
  await createProductIndexes(db, 'ix_history', MonitoringCheckModel);
  await createProductIndexes(db, 'ix_rollups', UptimeRollupModel);

  const statuses = ['running', 'stopped', 'failed', 'unknown'];
  const tagPool = ['db', 'web', 'critical', 'cache', 'edge'];
  const services = Array.from({ length: SERVICES }, (_, i) => {
    const due = rnd() < 0.1;
    const leased = due && rnd() < 0.2;
    return {
      service_id: `svc_${String(i).padStart(5, '0')}`,
      host_id: `host_${i % 100}`,
      service_type: i % 2 ? 'http' : 'tcp',
      environment: i % 3 ? 'production' : 'staging',
      region: `r${i % 5}`,
      current_status: statuses[i % 4],
      // Some written without the flag (by other tools): they read, and are claimed, as enabled.
      monitoring: i % 10 === 5 ? { interval_sec: 30 } : { enabled: i % 10 !== 0, interval_sec: 30 },
      next_check_at: i % 97 === 0 ? null : new Date(+NOW + (due ? -1 : 1) * (1 + Math.floor(rnd() * 3_600_000))),
      lease_owner: leased ? 'worker_b' : i % 50 === 1 ? 'worker_a' : null,
      lease_until: leased ? new Date(+NOW + 60_000) : i % 50 === 1 ? new Date(+NOW - 60_000) : null,
      stale_at: i % 40 === 3 ? new Date(+NOW - 1000 * i) : new Date(+NOW + 1000 * i),
      tags: tagPool.filter(() => rnd() < 0.3),
      dependencies: i % 30 === 0 ? [`svc_${String(i + 1).padStart(5, '0')}`] : [],
      consecutive_failures: i % 7,
    };
  });
  for (let i = 0; i < services.length; i += 1000) await db.collection('ix_services').insertMany(services.slice(i, i + 1000));

  const history = Array.from({ length: HISTORY }, (_, i) => ({
    service_id: `svc_${String(i % HISTORY_SERVICES).padStart(5, '0')}`,
    host_id: `host_${i % 100}`,
    timestamp: new Date(+NOW - (HISTORY - i) * 1000),
    status: statuses[i % 3],
    check_type: i % 2 ? 'http' : 'tcp',
    expires_at: new Date(+NOW + (i % 100 === 0 ? -1 : 1) * 86_400_000),
  }));
  for (let i = 0; i < history.length; i += 2000) await db.collection('ix_history').insertMany(history.slice(i, i + 2000));

  const rollups = [];
  for (let s = 0; s < ROLLUP_SERVICES; s++) {
    for (let h = 0; h < ROLLUP_HOURS; h++) {
      rollups.push({
        service_id: `svc_${String(s).padStart(5, '0')}`,
        bucket_start: new Date(+NOW - (ROLLUP_HOURS - h) * 3_600_000),
        checks: 10,
        up: 9,
        expires_at: new Date(+NOW + 86_400_000),
      });
    }
  }
  await db.collection('ix_rollups').insertMany(rollups);
}

/** The queries src/ sends most (engine claim, history pages, dashboard, retention), each read through an index. */
function hotQueryTests(db: () => Db): void {
  test('services claim: enabled, due (or never scheduled), lease free; by next_check_at, limit 50', async () => {
    const lease = { $or: [{ lease_until: null }, { lease_until: { $lt: NOW } }] };
    // as src/modules/checks/engine.ts claims (a missing flag reads as enabled: null matches it)
    const claim = { 'monitoring.enabled': { $in: [true, null] }, $and: [{ $or: [{ next_check_at: { $lte: NOW } }, { next_check_at: null }] }, lease] };
    const stats = await explain(db(), { find: 'ix_services', filter: claim, sort: { next_check_at: 1 }, limit: 50 });
    expect(stats.returned).toBe(50);
    expectIndexed(stats, 50, SERVICES);
    expect(stats.plan).toContain('monitoring.enabled_1_next_check_at_1');
    // and as the issue states it
    const issue = { 'monitoring.enabled': true, next_check_at: { $lte: NOW }, ...lease };
    const issueStats = await explain(db(), { find: 'ix_services', filter: issue, sort: { next_check_at: 1 }, limit: 50 });
    expect(issueStats.returned).toBe(50);
    expectIndexed(issueStats, 50, SERVICES);
  });

  test('services by lease_owner, by service_id + lease_owner (update), by service_id $in (updateMany)', async () => {
    const owned = await db().collection('ix_services').countDocuments({ lease_owner: 'worker_a' });
    expect(owned).toBeGreaterThan(10);
    expectIndexed(await explain(db(), { find: 'ix_services', filter: { lease_owner: 'worker_a' } }), owned, SERVICES);

    const one = await explain(db(), {
      update: 'ix_services',
      updates: [{ q: { service_id: 'svc_00001', lease_owner: 'worker_a' }, u: { $set: { lease_owner: null } } }],
    });
    expect(one.docs).toBeLessThanOrEqual(1);

    const ids = Array.from({ length: 40 }, (_, i) => `svc_${String(i * 7).padStart(5, '0')}`);
    const many = await explain(db(), {
      update: 'ix_services',
      updates: [{ q: { service_id: { $in: ids }, 'monitoring.enabled': true }, u: { $set: { lease_owner: 'x' } }, multi: true }],
    });
    expect(many.docs).toBeLessThanOrEqual(40);
  });

  test('services by host_id, current_status + enabled, tags (multikey), dependencies (multikey), stale_at range', async () => {
    const services = db().collection('ix_services');
    for (const filter of [
      { host_id: 'host_7' },
      { 'monitoring.enabled': true, current_status: 'failed' },
      { tags: 'critical', current_status: 'running' },
      { tags: { $in: ['edge', 'cache'] } },
      { dependencies: 'svc_00031' },
      { 'monitoring.enabled': true, stale_at: { $lt: NOW } },
      { host_id: { $in: ['host_1', 'host_2', 'host_3'] } },
    ]) {
      const expected = await services.countDocuments(filter);
      const stats = await explain(db(), { find: 'ix_services', filter });
      expect(stats.returned, JSON.stringify(filter)).toBe(expected);
      // where no index covers both fields, the more selective one is read and the other checked on each document
      const bound = Object.keys(filter).length > 1 ? Math.max(expected * 5, 50) : Math.ceil(expected * 1.5) + 2;
      expect(stats.docs, JSON.stringify(filter)).toBeLessThanOrEqual(bound);
      expect(stats.plan).not.toContain('COLLSCAN');
    }
    const counted = await explain(db(), { count: 'ix_services', query: { host_id: 'host_9' } });
    expectIndexed(counted, SERVICES / 100, SERVICES);
  });

  test('history of one service, newest first, 20 a page (also $in of services, and the newest check)', async () => {
    const page = await explain(db(), {
      find: 'ix_history',
      filter: { service_id: 'svc_00042' },
      sort: { timestamp: -1, _id: -1 },
      limit: 21,
    });
    expect(page.returned).toBe(21);
    expectIndexed(page, 21, HISTORY);
    expect(page.plan).toContain('service_id_1_timestamp_-1');

    const rows = await db().collection('ix_history').find({ service_id: 'svc_00042' }).sort({ timestamp: -1, _id: -1 }).limit(21).toArray();
    const all = (await db().collection('ix_history').find({}).toArray())
      .filter((d) => d.service_id === 'svc_00042')
      .sort((a, b) => +b.timestamp - +a.timestamp)
      .slice(0, 21);
    expect(rows.map((d) => String(d._id))).toEqual(all.map((d) => String(d._id)));

    const newest = await explain(db(), { find: 'ix_history', filter: { service_id: 'svc_00007' }, sort: { timestamp: -1 }, limit: 1 });
    expectIndexed(newest, 1, HISTORY);

    const ids = ['svc_00001', 'svc_00002', 'svc_00003'];
    const several = await explain(db(), { find: 'ix_history', filter: { service_id: { $in: ids } } });
    expectIndexed(several, (HISTORY / HISTORY_SERVICES) * 3, HISTORY);

    const window = await explain(db(), {
      find: 'ix_history',
      filter: { service_id: 'svc_00005', timestamp: { $gte: new Date(+NOW - 2_000_000), $lt: NOW } },
      sort: { timestamp: -1, _id: -1 },
      limit: 50,
    });
    expectIndexed(window, 10, HISTORY);
  });

  test('uptime rollups of one service since a time (unique compound index, range on its second field)', async () => {
    const since = new Date(+NOW - 12 * 3_600_000);
    const stats = await explain(db(), { find: 'ix_rollups', filter: { service_id: 'svc_00010', bucket_start: { $gte: since } } });
    expect(stats.returned).toBe(12);
    expectIndexed(stats, 12, ROLLUP_SERVICES * ROLLUP_HOURS);
    const agg = await explain(db(), {
      aggregate: 'ix_rollups',
      pipeline: [{ $match: { service_id: 'svc_00010', bucket_start: { $gte: since } } }, { $group: { _id: null, up: { $sum: '$up' } } }],
      cursor: {},
    });
    expect(agg.docs).toBeLessThanOrEqual(12);
  });

  test('retention: expired history by expires_at (delete), and the aggregate of a $match', async () => {
    const expired = await db().collection('ix_history').countDocuments({ expires_at: { $lt: NOW } });
    expect(expired).toBe(HISTORY / 100);
    const stats = await explain(db(), { delete: 'ix_history', deletes: [{ q: { expires_at: { $lt: NOW } }, limit: 0 }] });
    expect(stats.docs).toBeLessThanOrEqual(expired);
    const agg = await explain(db(), {
      aggregate: 'ix_history',
      pipeline: [{ $match: { service_id: 'svc_00003' } }, { $group: { _id: '$status', n: { $sum: 1 } } }],
      cursor: {},
    });
    expect(agg.docs).toBeLessThanOrEqual(HISTORY / HISTORY_SERVICES);
  });

  test('server-wide counters: metrics.queryExecutor.scannedObjects grows by what a query reads', async () => {
    const admin = db().admin();
    const before = (await admin.command({ serverStatus: 1 })).metrics.queryExecutor.scannedObjects;
    await db().collection('ix_history').find({ service_id: 'svc_00011' }).sort({ timestamp: -1 }).limit(5).toArray();
    const after = (await admin.command({ serverStatus: 1 })).metrics.queryExecutor.scannedObjects;
    expect(after - before).toBeGreaterThanOrEqual(5);
    expect(after - before).toBeLessThanOrEqual(6 + 2); // +2: reads by other test files on the same server are rare here
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Property tests: the same random documents in an indexed and an unindexed collection, random writes applied to
// both, random queries asked of both: the answers must be equal.

const PROPERTY_INDEXES: [Document, string][] = [
  [{ a: 1 }, 'a_1'],
  [{ b: 1, c: -1 }, 'b_1_c_-1'],
  [{ tags: 1 }, 'tags_1'],
  [{ d: -1 }, 'd_-1'],
  [{ 'n.x': 1 }, 'n.x_1'],
  [{ a: 1, d: 1 }, 'a_1_d_1'],
  [{ c: 1 }, 'c_1'],
];

function propertyGenerators(rnd: () => number) {
  const pick = <T,>(values: readonly T[]): T => values[Math.floor(rnd() * values.length)];
  const day = (n: number) => new Date(Date.UTC(2026, 0, 1 + n));
  const aValue = () => pick([null, 0, 1, 2, 2.5, 3, 5, 7, 9, 'a', 'b', 'c', 'e', true, day(3)]);
  const tagValue = () => pick(['x', 'y', 'z', 'w', 1, 2, null]);
  let next = 0;
  const doc = (): Document => {
    const d: Document = { _id: `p${next++}` };
    if (rnd() < 0.85) d.a = aValue();
    d.b = pick(['k', 'l', 'm', 'n']);
    if (rnd() < 0.8) d.c = day(Math.floor(rnd() * 30));
    const t = rnd();
    if (t < 0.6) d.tags = Array.from({ length: Math.floor(rnd() * 4) }, tagValue);
    else if (t < 0.8) d.tags = tagValue();
    if (rnd() < 0.7) d.d = Math.floor(rnd() * 10);
    if (rnd() < 0.6) d.n = { x: Math.floor(rnd() * 6) };
    return d;
  };
  const range = (field: string, value: () => unknown): Document => {
    const ops = ['$gt', '$gte', '$lt', '$lte'];
    const first = pick(ops);
    const condition: Document = { [first]: value() };
    if (rnd() < 0.4) condition[pick(first.startsWith('$g') ? ['$lt', '$lte'] : ['$gt', '$gte'])] = value();
    return { [field]: condition };
  };
  const clause = (): Document =>
    pick([
      () => ({ a: aValue() }),
      () => ({ a: null }),
      () => ({ a: { $in: [aValue(), aValue(), aValue()] } }),
      () => range('a', () => pick([0, 2, 3, 5, 8, 'b', 'd', day(1), day(5)])),
      () => ({ b: pick(['k', 'l', 'm']) }),
      () => ({ b: pick(['k', 'l']), ...range('c', () => day(Math.floor(rnd() * 30))) }),
      () => ({ tags: tagValue() }),
      () => ({ tags: { $in: [tagValue(), tagValue()] } }),
      () => range('tags', () => pick(['x', 'y', 1, 2])),
      () => range('d', () => Math.floor(rnd() * 10)),
      () => ({ d: null }),
      () => ({ 'n.x': { $gte: Math.floor(rnd() * 6) } }),
      () => ({ $or: [{ a: null }, { a: { $lt: 3 } }] }),
      () => ({ $or: [{ c: null }, { c: { $gte: day(20) } }] }),
      () => ({ a: { $ne: 2 } }),
      // several values of a leading index field, then a range or sort on the next (merged per value, as MongoDB does)
      () => ({ b: { $in: ['k', 'm'] }, ...range('c', () => day(Math.floor(rnd() * 30))) }),
      () => ({ b: { $in: ['l', 'n', 'k'] }, $or: [{ c: null }, { c: { $lte: day(Math.floor(rnd() * 30)) } }] }),
      () => ({ a: { $in: [aValue(), null] }, ...range('d', () => Math.floor(rnd() * 10)) }),
      () => ({ a: { $in: [aValue(), aValue()] } }),
    ])();
  const query = (): Filter<Document> => {
    const n = 1 + Math.floor(rnd() * 2);
    const clauses = Array.from({ length: n }, clause);
    return n > 1 && rnd() < 0.5 ? { $and: clauses } : Object.assign({}, ...clauses);
  };
  const sort = (): Document | undefined =>
    pick<Document | undefined>([undefined, { a: 1 }, { c: -1 }, { b: 1, c: -1 }, { d: -1 }, { d: 1 }, { c: 1 }, { 'n.x': 1 }]);
  return { pick, doc, query, sort, aValue, tagValue, rnd };
}

async function propertyTest(db: Db, seed: number, rounds: number): Promise<void> {
  const gen = propertyGenerators(random(seed));
  const indexed = db.collection('prop_indexed');
  const plain = db.collection('prop_plain');
  await Promise.all([indexed.drop().catch(() => {}), plain.drop().catch(() => {})]);
  await db.createCollection('prop_indexed');
  await db.createCollection('prop_plain');
  // half the indexes before the data, half after (built over existing documents)
  for (const [keys, name] of PROPERTY_INDEXES.slice(0, 4)) await indexed.createIndex(keys, { name });
  const docs = Array.from({ length: 400 }, gen.doc);
  await indexed.insertMany(docs.map((d) => ({ ...d })));
  await plain.insertMany(docs.map((d) => ({ ...d })));
  for (const [keys, name] of PROPERTY_INDEXES.slice(4)) await indexed.createIndex(keys, { name });

  const both = async (write: (c: typeof indexed) => Promise<unknown>) => {
    await write(indexed);
    await write(plain);
  };
  for (let round = 0; round < rounds; round++) {
    // a random write, applied to both
    const w = gen.rnd();
    const q = gen.query();
    const a = gen.aValue();
    const tag = gen.tagValue();
    if (w < 0.15) await both((c) => c.updateMany(q, { $set: { a } }));
    else if (w < 0.25) await both((c) => c.updateMany({ $and: [q, { 'tags.0': { $exists: true } }] }, { $push: { tags: tag } } as never));
    else if (w < 0.3) await both((c) => c.updateMany(q, { $unset: { d: '' } }));
    else if (w < 0.35) await both((c) => c.updateOne(q, { $inc: { d: 1 }, $set: { 'n.x': 3 } }));
    else if (w < 0.4) await both((c) => c.deleteMany({ $and: [q, { b: 'k' }] }));
    else if (w < 0.45) {
      const d = gen.doc();
      await both((c) => c.insertOne({ ...d }));
    } else if (w < 0.5) {
      const d = gen.doc();
      await both((c) => c.updateOne({ _id: d._id, b: 'z' } as Filter<Document>, { $set: { a: d.a ?? 1, tags: ['x'] } }, { upsert: true }));
    } else if (w < 0.53) {
      await both((c) => c.findOneAndUpdate(q, { $set: { c: new Date(Date.UTC(2026, 0, 9)) } }, { sort: { _id: 1 } }));
    }

    // the write selected the same documents in both
    const all = (c: typeof indexed) => c.find({}).sort({ _id: 1 }).toArray();
    expect(await all(indexed), JSON.stringify({ round, write: w, q })).toEqual(await all(plain));

    // a random query, asked of both
    const query = gen.query();
    const sort = gen.sort();
    const limit = sort ? gen.pick([0, 1, 5, 20]) : 0;
    const skip = sort ? gen.pick([0, 0, 3]) : 0;
    const run = async (c: typeof indexed) => {
      let cursor = c.find(query);
      if (sort) cursor = cursor.sort({ ...sort, _id: 1 } as Sort);
      if (skip) cursor = cursor.skip(skip);
      if (limit) cursor = cursor.limit(limit);
      const found = await cursor.toArray();
      return sort ? found : found.sort((x, y) => String(x._id).localeCompare(String(y._id)));
    };
    const context = JSON.stringify({ round, query, sort, skip, limit });
    expect(await run(indexed), context).toEqual(await run(plain));
    expect(await indexed.countDocuments(query), context).toBe(await plain.countDocuments(query));
  }
}

function propertyTests(db: () => Db, seed: number): void {
  test('random documents, writes and queries: the indexed answer equals the unindexed one', { timeout: 240_000 }, async () => {
    await propertyTest(db(), seed, 300);
  });
}

const serverHasExplain = () => database.server !== 'ferretdb';

describe('secondary indexes on the run’s server', () => {
  beforeAll(async () => {
    if (serverHasExplain()) await seedHotData(database.db);
  }, 120_000);
  describe.runIf(process.env.EMBEDDED_DB !== 'ferretdb')('hot queries read about what they return', () => hotQueryTests(() => database.db));
  propertyTests(() => database.db, 1);
});

describe('secondary indexes on the H2 file backend (--data), also after a restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'secondary-indexes-h2-'));
  let server: RunningServer | undefined;
  let client: MongoClient | undefined;
  let db: Db;
  const open = async () => {
    server = await startLocalServer('mongo-java-server', { dataDir });
    client = new MongoClient(server.uri);
    db = client.db('indexes_h2');
  };
  const close = async () => {
    await client?.close();
    await server?.stop();
  };
  beforeAll(async () => {
    await open();
    await seedHotData(db);
  }, 180_000);
  afterAll(async () => {
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  hotQueryTests(() => db);
  propertyTests(() => db, 2);

  test('after a restart the indexes are rebuilt from the file and used again', { timeout: 120_000 }, async () => {
    await close();
    await open();
    const page = await explain(db, { find: 'ix_history', filter: { service_id: 'svc_00042' }, sort: { timestamp: -1, _id: -1 }, limit: 21 });
    expectIndexed(page, 21, HISTORY);
    const rollups = await explain(db, { find: 'ix_rollups', filter: { service_id: 'svc_00010', bucket_start: { $gte: new Date(+NOW - 12 * 3_600_000) } } });
    expectIndexed(rollups, 12, ROLLUP_SERVICES * ROLLUP_HOURS);
    await propertyTest(db, 3, 60);
  });

  // Unique indexes keep their entries in the file and answer lookups from a copy in memory filled after opening:
  // whether a write comes before or after that fill, the file's entries decide.
  test('unique indexes opened from the file refuse duplicates and follow writes, across restarts', { timeout: 120_000 }, async () => {
    const keyed = () => db.collection<{ _id: number; key: string; n: number }>('ix_unique');
    await keyed().createIndex({ key: 1 }, { unique: true });
    await keyed().insertMany(Array.from({ length: 2_000 }, (_, i) => ({ _id: i, key: `k${i}`, n: 0 })));
    for (let round = 0; round < 2; round++) {
      await close();
      await open();
      await expect(keyed().insertOne({ _id: 5_000 + round, key: 'k7', n: 0 })).rejects.toMatchObject({ code: 11000 });
      await expect(keyed().insertOne({ _id: 7, key: `fresh${round}`, n: 0 })).rejects.toMatchObject({ code: 11000 });
      expect(await keyed().findOne({ key: 'k1999' })).toMatchObject({ _id: 1999 });
      await keyed().updateOne({ _id: 3 }, { $inc: { n: 1 } });
      expect(await keyed().deleteOne({ key: `k${10 + round}` })).toMatchObject({ deletedCount: 1 });
      await keyed().insertOne({ _id: 3_000 + round, key: `k${10 + round}`, n: 0 }); // the freed key is free
      await keyed().updateOne({ _id: 4 }, { $set: { key: `moved${round}` } });
      await expect(keyed().updateOne({ _id: 6 }, { $set: { key: `moved${round}` } })).rejects.toMatchObject({ code: 11000 });
    }
    await close();
    await open();
    expect(await keyed().countDocuments({})).toBe(2_000);
    expect(await keyed().findOne({ _id: 3 })).toMatchObject({ n: 2 });
    expect(await keyed().find({ key: { $in: ['k10', 'k11', 'moved1', 'k4'] } }, { sort: { _id: 1 } }).toArray()).toEqual([
      { _id: 4, key: 'moved1', n: 0 },
      { _id: 3_000, key: 'k10', n: 0 },
      { _id: 3_001, key: 'k11', n: 0 },
    ]);
    await expect(keyed().insertOne({ _id: 9_999, key: 'moved0', n: 0 })).resolves.toBeTruthy(); // moved away in round 1
  });
});
