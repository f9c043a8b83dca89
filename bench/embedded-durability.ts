/**
 * What durable acknowledgements cost the embedded database: inserts/s and updates/s against
 * mongo-java-server (our launcher) with concurrency 1 and 50, on the H2 file backend (--data, where
 * every write is committed to the file before it is acknowledged) and, for comparison, in memory.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/embedded-durability.js [seconds=5] [backends=h2,memory]
 *
 * LAUNCHER_JAR=path runs that jar instead of tools/mongo-java-server's (e.g. a build from before a change, to
 * compare the two under the same machine load); LAUNCHER_ARGS adds arguments to it (e.g. --fsync).
 *
 * Each phase runs for `seconds`: `concurrency` async loops, each awaiting one insertOne (or one
 * updateOne by _id with $inc/$set on a random document of the ones inserted) at a time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient, type Collection } from 'mongodb';
import { createInterface } from 'node:readline';
import { freePort, startLocalServer } from '../src/db/local-server.js';

const seconds = Number(process.argv[2] ?? 5);
const backends = (process.argv[3] ?? 'h2,memory').split(',') as Array<'h2' | 'memory'>;

interface Doc {
  _id: number;
  service_id: string;
  status: string;
  n: number;
  payload: string;
}

async function phase(concurrency: number, work: (worker: number, i: number) => Promise<unknown>): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; Date.now() < deadline; i++) {
        await work(worker, i);
        done++;
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return done / elapsed;
}

/** The jar named by LAUNCHER_JAR, started the way src/db/local-server.ts starts ours. */
async function startJar(jar: string, dataDir: string | undefined): Promise<{ uri: string; stop(): Promise<void> }> {
  const port = await freePort();
  const extra = (process.env.LAUNCHER_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn('java', ['-jar', jar, '--port', String(port), '--exit-with-stdin', ...(dataDir ? ['--data', dataDir] : []), ...extra], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${jar} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => line.startsWith('ready on ') && resolve());
  });
  child.removeAllListeners('exit');
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    stop: () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGTERM'))),
  };
}

async function run(backend: 'h2' | 'memory'): Promise<void> {
  const dir = backend === 'h2' ? mkdtempSync(join(tmpdir(), 'bench-durability-')) : undefined;
  const jar = process.env.LAUNCHER_JAR;
  const server = jar ? await startJar(jar, dir) : await startLocalServer('mongo-java-server', { dataDir: dir });
  const client = new MongoClient(server.uri, { maxPoolSize: 60 });
  try {
    const collection: Collection<Doc> = client.db('bench_durability').collection<Doc>('writes');
    await collection.drop().catch(() => {});
    let nextId = 0;
    const admin = client.db('admin');
    const commits = async () => ((await admin.command({ serverStatus: 1 })).groupCommit as { commits: number; writes: number; commitMicros: number } | undefined) ?? { commits: 0, writes: 0, commitMicros: 0 };
    for (const concurrency of [1, 50]) {
      const before = await commits();
      const firstId = nextId;
      const inserts = await phase(concurrency, () =>
        collection.insertOne({ _id: nextId++, service_id: `svc_${nextId % 500}`, status: 'up', n: 0, payload: 'x'.repeat(200) }),
      );
      const inserted = nextId - firstId;
      const updates = await phase(concurrency, () =>
        collection.updateOne({ _id: firstId + Math.floor(Math.random() * inserted) }, { $inc: { n: 1 }, $set: { status: 'down' } }),
      );
      const after = await commits();
      const grouping = after.commits > before.commits ? `, ${((after.writes - before.writes) / (after.commits - before.commits)).toFixed(1)} writes per commit of ${((after.commitMicros - before.commitMicros) / 1000 / (after.commits - before.commits)).toFixed(2)} ms` : '';
      const size = dir ? `, file ${(statSync(join(dir, 'mongo.mv.db')).size / 1e6).toFixed(1)} MB${grouping}` : '';
      console.log(
        `${backend.padEnd(6)} concurrency ${String(concurrency).padStart(2)}: ${inserts.toFixed(0).padStart(6)} inserts/s, ${updates.toFixed(0).padStart(6)} updates/s${size}`,
      );
    }
  } finally {
    await client.close();
    await server.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`mongo-java-server launcher ${process.env.LAUNCHER_JAR ?? '(tools/mongo-java-server)'}, ${cpus().length} cores, ${seconds} s per phase`);
for (const backend of backends) await run(backend);
