/**
 * What a public status page costs: N services in one public environment (spread over service types and hosts)
 * with `days` days of hourly uptime rollups each, seeded straight into the database. Times the first computation
 * (every past day summed), a later one (today's rollups only: what each minute costs), the page sizes, and a flood
 * of anonymous requests over HTTP while the page is cached (it must cost no computation).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/status-page.js [services=5000] [days=7] [requests=2000]
 *
 * MONGODB_URI set: that server instead of the embedded launcher (mongo-java-server). Prints figures, then one JSON line.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import express from 'express';
import mongoose from 'mongoose';
import { silentLogger } from '../src/common/logger.js';
import { connectDatabase, disconnectDatabase } from '../src/db/connection.js';
import { ensureIndexes } from '../src/db/indexes.js';
import { startLocalServer } from '../src/db/local-server.js';
import { EnvironmentService } from '../src/modules/environments/environment.service.js';
import { UptimeRollupModel } from '../src/modules/history/uptime-rollup.model.js';
import { ServiceModel } from '../src/modules/services/service.model.js';
import { DailyUptime } from '../src/modules/status-page/daily-uptime.js';
import { StatusPages } from '../src/modules/status-page/status-page-cache.js';
import { statusPageRoutes } from '../src/modules/status-page/status-page-route.js';

const [services = 5000, days = 7, requests = 2000] = process.argv.slice(2).map(Number);
const HOUR = 3_600_000;
const TYPES = ['nginx', 'mysql', 'redis', 'postgres', 'api', 'worker', 'cron', 'kafka', 'elastic', 'memcached', 'haproxy', 'vault', 'consul', 'minio', 'rabbitmq', 'grafana', 'prometheus', 'etcd', 'coredns', 'sshd'];

const local = process.env.MONGODB_URI ? null : await startLocalServer('mongo-java-server', {});
await connectDatabase(process.env.MONGODB_URI ?? local!.uri, {
  mongodbDatabase: `bench_status_page_${process.pid}`,
  mongodbMaxPoolSize: 20,
  mongodbMinPoolSize: 0,
  mongodbMaxIdleTimeMs: 60_000,
  mongodbConnectTimeoutMs: 10_000,
});
const seconds = (ms: number) => Math.round(ms / 10) / 100;
try {
  await mongoose.connection.db!.dropDatabase();
  await ensureIndexes(silentLogger);
  const environments = new EnvironmentService();
  await environments.create({ env_name: 'production', status_page: { public: true, title: 'Bench status' } });

  let started = performance.now();
  const statusOf = (n: number) => ({ 7: 'stopped', 8: 'error', 9: 'warning', 10: 'unknown' })[n % 50] ?? 'running';
  for (let i = 0; i < services; i += 1000) {
    await ServiceModel.collection.insertMany(
      Array.from({ length: Math.min(1000, services - i) }, (_, k) => {
        const n = i + k;
        return {
          service_id: `svc_${n}`,
          host_id: `host_${n % 250}`,
          service_name: `${TYPES[n % TYPES.length]}-${n}.service`,
          service_type: TYPES[n % TYPES.length],
          display_name: n % 3 === 0 ? `Service ${n}` : null,
          environment: 'production',
          region: 'eu-west',
          current_status: statusOf(n),
          monitoring: { enabled: true, method: 'ssh', interval_sec: 60, timeout_sec: 10 },
          created_at: new Date(),
        };
      }),
    );
  }
  const servicesSeconds = seconds(performance.now() - started);

  // Every hour of the last `days` days up to now, a little downtime here and there.
  started = performance.now();
  const now = Math.floor(Date.now() / HOUR) * HOUR;
  const hours = days * 24;
  const expires = new Date(Date.now() + 40 * 24 * HOUR);
  let rollups = 0;
  let batch: Record<string, unknown>[] = [];
  for (let s = 0; s < services; s++) {
    for (let h = 0; h < hours; h++) {
      const down = (s + h) % 97 === 0 ? 600_000 : 0;
      batch.push({ service_id: `svc_${s}`, bucket_start: new Date(now - h * HOUR), up_ms: HOUR - down, down_ms: down, expires_at: expires });
      if (batch.length === 10_000) {
        await UptimeRollupModel.collection.insertMany(batch, { ordered: false });
        rollups += batch.length;
        batch = [];
      }
    }
  }
  if (batch.length > 0) await UptimeRollupModel.collection.insertMany(batch, { ordered: false });
  rollups += batch.length;
  const rollupsSeconds = seconds(performance.now() - started);

  // A clock of our own, to make the page old without waiting a minute.
  let clockOffset = 0;
  let computations = 0;
  const counted = {
    get revision() {
      return environments.revision;
    },
    get: (name: string) => {
      computations += 1;
      return environments.get(name);
    },
  };
  const pages = new StatusPages(counted, silentLogger, new DailyUptime(), () => Date.now() + clockOffset);

  started = performance.now();
  const first = await pages.get('production');
  const coldSeconds = seconds(performance.now() - started);
  const memoryMb = Math.round(process.memoryUsage().heapUsed / 2 ** 20);

  // Past the stale window, so the next request waits for a computation (past days held: today's rollups only).
  clockOffset = 20 * 60_000;
  started = performance.now();
  await pages.get('production');
  const warmSeconds = seconds(performance.now() - started);

  const app = express();
  app.use(statusPageRoutes(environments, silentLogger, pages));
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/status/production`;
  const before = computations;
  const latencies: number[] = [];
  started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (next < requests) {
        const i = next++;
        const t = performance.now();
        const response = await fetch(i % 2 ? `${url}.json` : url);
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`status ${response.status}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const floodSeconds = (performance.now() - started) / 1000;
  server.close();
  latencies.sort((a, b) => a - b);
  const result = {
    services,
    days,
    rollups,
    groups: first!.page.groups.length,
    seed_services_s: servicesSeconds,
    seed_rollups_s: rollupsSeconds,
    first_computation_s: coldSeconds,
    later_computation_s: warmSeconds,
    heap_after_first_mb: memoryMb,
    html_kb: Math.round(first!.html.body.length / 1024),
    json_kb: Math.round(first!.json.body.length / 1024),
    flood_requests: requests,
    flood_requests_per_s: Math.round(requests / floodSeconds),
    flood_p50_ms: Math.round(latencies[Math.floor(latencies.length * 0.5)]!),
    flood_p99_ms: Math.round(latencies[Math.floor(latencies.length * 0.99)]!),
    flood_computations: computations - before,
  };
  console.log(`${services} services, ${days} days of hourly rollups (${rollups}); ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${local ? 'mongo-java-server' : 'MONGODB_URI'}`);
  console.log(`seeded in ${servicesSeconds} s (services) + ${rollupsSeconds} s (rollups)`);
  console.log(`first computation (every past day summed): ${coldSeconds} s; a later one (today only): ${warmSeconds} s; heap ${memoryMb} MB`);
  console.log(`page: ${result.html_kb} KB HTML, ${result.json_kb} KB JSON, ${result.groups} groups`);
  console.log(`flood: ${requests} requests, 50 at a time: ${result.flood_requests_per_s}/s, p50 ${result.flood_p50_ms} ms, p99 ${result.flood_p99_ms} ms, ${result.flood_computations} computations`);
  console.log(`STATUS_PAGE_RESULT ${JSON.stringify(result)}`);
} finally {
  await mongoose.connection.db?.dropDatabase().catch(() => {});
  await disconnectDatabase();
  await local?.stop();
}
