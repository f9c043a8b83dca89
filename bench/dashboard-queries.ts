/**
 * What a dashboard's whole-fleet reads cost the API process and the database, apart from any check load:
 * `dashboardSummary`, `servicesNeedingAttention` (every list), a services page with its total, over N services
 * seeded straight into the database (as the server writes them; a few misconfigured as another tool would).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/dashboard-queries.js [services=5000] [repeat=30] [--data]
 *   (--data: the launcher's H2 file, as `npm start`; BENCH_EACH_LIST=1 also times each attention list)
 *
 * MONGODB_URI set: that server instead of the embedded launcher. Prints p50/p95/max per read, then one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { silentLogger } from '../src/common/logger.js';
import { connectDatabase, disconnectDatabase } from '../src/db/connection.js';
import { ensureIndexes } from '../src/db/indexes.js';
import { startLocalServer } from '../src/db/local-server.js';
import { createDomain } from '../src/modules/domain.js';
import { HostModel } from '../src/modules/hosts/host.model.js';
import { ServiceModel } from '../src/modules/services/service.model.js';

const args = process.argv.slice(2);
const onDisk = args.includes('--data');
const [services = 5000, repeat = 30] = args.filter((a) => !a.startsWith('--')).map(Number);
const HOSTS = 50;

const dataDir = onDisk ? mkdtempSync(join(tmpdir(), 'bench-dashboard-')) : undefined;
const local = process.env.MONGODB_URI ? null : await startLocalServer('mongo-java-server', { dataDir });
await connectDatabase(process.env.MONGODB_URI ?? local!.uri, {
  mongodbDatabase: `bench_dashboard_${process.pid}`,
  mongodbMaxPoolSize: 20,
  mongodbMinPoolSize: 0,
  mongodbMaxIdleTimeMs: 60_000,
  mongodbConnectTimeoutMs: 10_000,
});
await mongoose.connection.db!.dropDatabase();
await ensureIndexes(silentLogger);
// As `npm start` has them (ATTENTION_SCAN_SEC 30).
const domain = createDomain({ historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3, attentionScanSec: 30 });

const now = Date.now();
await HostModel.insertMany(
  Array.from({ length: HOSTS }, (_, h) => ({ host_id: `host_${h}`, hostname: `h${h}`, ip_address: `10.0.0.${h + 1}`, environment: h % 2 ? 'production' : 'staging', region: `r${h % 4}`, ssh_config: { user: 'bench' } })),
);
// Mostly healthy, as a fleet is: 2% down, 1% warning, 1% unknown.
const statusOf = (n: number) => ({ 7: 'stopped', 8: 'error', 9: 'warning', 10: 'unknown' })[n % 50] ?? 'running';
for (let i = 0; i < services; i += 1000) {
  await ServiceModel.insertMany(
    Array.from({ length: Math.min(1000, services - i) }, (_, k) => {
      const n = i + k;
      const interval = 20;
      return {
        service_id: `svc_${n}`,
        host_id: `host_${n % HOSTS}`,
        service_name: `s${n}.service`,
        service_type: ['nginx', 'api', 'web', 'auth'][n % 4],
        environment: n % HOSTS % 2 ? 'production' : 'staging',
        region: `r${(n % HOSTS) % 4}`,
        current_status: statusOf(n),
        consecutive_failures: n % 50 === 7 || n % 50 === 8 ? 5 : 0,
        last_check: new Date(now - 5_000),
        stale_at: new Date(now + (n % 100 === 0 ? -60_000 : 55_000)),
        next_check_at: new Date(now + (n % interval) * 1000),
        monitoring: { method: 'http', target: `http://10.0.0.1:80/health/${n}`, interval_sec: interval, timeout_sec: 5, enabled: true },
      };
    }),
  );
}
// As another tool might write them: a method this server does not know (raw, past the model's validation).
await ServiceModel.collection.updateMany({ service_id: { $in: ['svc_1', 'svc_2', 'svc_3'] } }, { $set: { 'monitoring.method': 'teleport' } });

const lists = domain.dashboard.attentionLists();
const reads: Record<string, () => Promise<unknown>> = {
  ...(process.env.BENCH_EACH_LIST ? Object.fromEntries(Object.entries(lists).map(([name, list]) => [`  ${name}`, list])) : {}),
  dashboardSummary: () => domain.dashboard.summary(),
  servicesNeedingAttention: () => domain.dashboard.needingAttention(),
  servicesPage: async () => {
    const page = await domain.services.page({}, { first: 50 });
    return [page.items.length, await page.totalCount()];
  },
};
const results: Record<string, { p50_ms: number; p95_ms: number; max_ms: number }> = {};
for (const [name, read] of Object.entries(reads)) await read(); // warm-up
for (const [name, read] of Object.entries(reads)) {
  const times: number[] = [];
  for (let r = 0; r < repeat; r++) {
    const started = performance.now();
    await read();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round(times[Math.min(times.length - 1, Math.floor(q * times.length))] * 10) / 10;
  results[name] = { p50_ms: at(0.5), p95_ms: at(0.95), max_ms: at(1) };
  console.log(`${name.padEnd(26)} p50 ${String(results[name].p50_ms).padStart(7)} ms  p95 ${String(results[name].p95_ms).padStart(7)} ms  max ${results[name].max_ms} ms`);
}
console.log(
  JSON.stringify({
    services,
    repeat,
    database: process.env.MONGODB_URI ? 'MONGODB_URI' : `mongo-java-server launcher (${onDisk ? 'H2 file' : 'memory'})`,
    machine: `${cpus().length} x ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    results,
  }),
);
await mongoose.connection.db!.dropDatabase();
await disconnectDatabase();
await local?.stop();
if (dataDir) rmSync(dataDir, { recursive: true, force: true });
