/**
 * Issue 9, item 5: a write the embedded database acknowledged survives a crash of that database.
 * Real processes: the launcher keeps its data in an H2 file (--data), a write is acknowledged to the
 * Node driver, the database process gets SIGKILL at once (no shutdown hook runs), and a new process
 * on the same folder must still have every acknowledged write. 50 rounds, 0 lost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { afterAll, describe, expect, test } from 'vitest';
import { startLocalServer, type RunningServer } from '../../src/db/local-server.js';

const rounds = 50;
const dataDir = mkdtempSync(join(tmpdir(), 'embedded-durability-'));
const running = new Set<RunningServer>();

afterAll(async () => {
  for (const server of running) await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Round {
  _id: number;
  updated?: boolean;
}

/** After a SIGKILL: waits for the process to be gone (its file lock goes with it). */
async function awaitExit(server: RunningServer): Promise<void> {
  await server.stop(); // resolves on the exit event; signalling a dead child again is a no-op
  running.delete(server);
}

describe('embedded database (mongo-java-server, H2 file) after kill -9', () => {
  test(`${rounds} rounds of acknowledged writes then SIGKILL within 10 ms: nothing lost`, { timeout: 600_000 }, async () => {
    let lost: string[] = [];
    const killDelaysMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const server = await startLocalServer('mongo-java-server', { dataDir });
      running.add(server);
      const client = new MongoClient(server.uri, { serverSelectionTimeoutMS: 10_000 });
      try {
        const writes = client.db('durability').collection<Round>('writes');
        const bursts = client.db('durability').collection<{ _id: string }>('bursts');

        // everything acknowledged before the previous crash is still here
        const ids = (await writes.find({}, { sort: { _id: 1 } }).toArray()).map((doc) => doc._id);
        const missing = Array.from({ length: round }, (_, i) => i).filter((i) => !ids.includes(i));
        lost = lost.concat(missing.map((i) => `writes ${i}`));
        if (round > 0) {
          if (round > 1 && !(await writes.findOne({ _id: round - 2 }))?.updated) lost.push(`update of ${round - 2}`);
          const burstCount = await bursts.countDocuments({ _id: { $regex: `^${round - 1}_` } });
          if (burstCount !== 5) lost.push(`${5 - burstCount} of burst ${round - 1}`);
        }

        // one insertOne alone (the test), then concurrent writers sharing commits
        await writes.insertOne({ _id: round });
        await Promise.all([
          round > 0 ? writes.updateOne({ _id: round - 1 }, { $set: { updated: true } }) : Promise.resolve(),
          bursts.insertMany(Array.from({ length: 5 }, (_, i) => ({ _id: `${round}_${i}` }))),
        ]);
        const acknowledged = performance.now();
        process.kill(server.pid, 'SIGKILL');
        killDelaysMs.push(performance.now() - acknowledged);
        await awaitExit(server);
      } finally {
        await client.close(true).catch(() => {});
      }
    }

    // the last round's writes, after one more restart
    const server = await startLocalServer('mongo-java-server', { dataDir });
    running.add(server);
    const client = new MongoClient(server.uri);
    try {
      const writes = client.db('durability').collection<Round>('writes');
      expect(await writes.countDocuments()).toBe(rounds);
      expect(await writes.countDocuments({ updated: true })).toBe(rounds - 1);
      expect(await client.db('durability').collection('bursts').countDocuments()).toBe(rounds * 5);
    } finally {
      await client.close();
      await server.stop();
      running.delete(server);
    }
    expect(lost).toEqual([]);
    // kill(2) right after the acknowledgement, with nothing awaited in between; a descheduled test process on a
    // busy machine can stretch one round, but never near the second after which MVStore would autocommit anyway
    killDelaysMs.sort((a, b) => a - b);
    expect(killDelaysMs[Math.floor(rounds / 2)]).toBeLessThan(10);
    expect(killDelaysMs.at(-1)).toBeLessThan(500);
  });
});
