/**
 * Prometheus scrapes a running server: Debian's prometheus, started here on a loopback port, scrapes /metrics with
 * METRICS_TOKEN (and fails without it), and PromQL over its HTTP API sees checks, a service going down and the
 * GraphQL requests that were made.
 */
import { execSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../src/db/local-server.js';
import { readUntil, useProcesses } from '../helpers/processes.js';
import { startPrometheus, type RunningPrometheus } from '../setup/prometheus.js';

const TOKEN = 'scrape-me-4d9f';
const processes = useProcesses('metrics');
let prometheus: RunningPrometheus;
let target: Server;
let healthy = true;
let api = { port: 0, key: '' };
let serverPid = 0;


const gql = async (query: string) => {
  const response = await fetch(`http://127.0.0.1:${api.port}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${api.key}` }, body: JSON.stringify({ query }) });
  const body = (await response.json()) as { data?: unknown; errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
};
const valueOf = async (promql: string) => (await prometheus.query(promql))[0]?.value ?? null;

beforeAll(async () => {
  target = createServer((_req, res) => res.writeHead(healthy ? 200 : 503).end(healthy ? 'ok' : 'down'));
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  const port = await freePort();
  const server = processes.start('main.js', { PORT: String(port), EMBEDDED_DB_PORT: String(await freePort()), METRICS_TOKEN: TOKEN, METRICS_PER_SERVICE: 'true' }, /API listening/);
  await server.ready;
  serverPid = server.child.pid!;
  api = { port, key: /smk_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/.exec(server.stdout())![0] };
  prometheus = await startPrometheus([
    { name: 'service-monitor', target: `127.0.0.1:${port}`, bearerToken: TOKEN },
    { name: 'without-token', target: `127.0.0.1:${port}` },
  ]);
}, 60_000);
afterAll(async () => {
  await prometheus?.stop();
  target?.close();
});

describe('Prometheus scraping a running server', () => {
  test('scrapes with the token (and is refused without it); checks, a service going down and GraphQL requests show in PromQL', async () => {
    const targetUrl = `http://127.0.0.1:${(target.address() as { port: number }).port}/health`;
    await gql(`mutation { createHost(input: { hostId: "host_prom", hostname: "prom-1", ipAddress: "127.0.0.1", environment: DEV, region: "lab", sshConfig: { user: "x" } }) { hostId } }`);
    await gql(`mutation CreateWatched { createService(input: { serviceId: "svc_prom", hostId: "host_prom", serviceName: "web.service", serviceType: "web", monitoring: { method: HTTP, target: "${targetUrl}", intervalSec: 5, timeoutSec: 2, retryAttempts: 0 } }) { serviceId } }`);

    expect(await readUntil(() => valueOf('up{job="service-monitor"}'), (v) => v === 1)).toBe(1);
    expect(await readUntil(() => valueOf('up{job="without-token"}'), (v) => v === 0)).toBe(0);
    expect(await readUntil(() => valueOf('service_monitor_service_up{service_id="svc_prom"}'), (v) => v === 1)).toBe(1);
    expect(await valueOf('sum(service_monitor_checks_total{method="http",status="running"})')).toBeGreaterThanOrEqual(1);
    expect(await valueOf('service_monitor_graphql_requests_total{operation="CreateWatched",code="OK"}')).toBe(1);
    expect(await valueOf('sum(service_monitor_check_duration_seconds_count{method="http"})')).toBeGreaterThanOrEqual(1);
    expect(await valueOf('sum(service_monitor_db_command_duration_seconds_count)')).toBeGreaterThan(0);
    expect(await valueOf('service_monitor_process_resident_memory_bytes')).toBeGreaterThan(0);

    // A paused database (SIGSTOP) does not stall the scrape: its counts read NaN, the rest is served.
    const javaPid = Number(execSync(`pgrep -P ${serverPid} java`).toString().trim().split('\n')[0]);
    process.kill(javaPid, 'SIGSTOP');
    try {
      await new Promise((resolve) => setTimeout(resolve, 5_500)); // past the 5 s the counts are kept
      const started = Date.now();
      const paused = await fetch(`http://127.0.0.1:${api.port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(5_000) });
      const text = await paused.text();
      expect(paused.status).toBe(200);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(text).toMatch(/^service_monitor_checks_due_unclaimed NaN$/im); // prom-client writes Nan; Prometheus reads either
      expect(text).toMatch(/^service_monitor_process_resident_memory_bytes \d+/m);
    } finally {
      process.kill(javaPid, 'SIGCONT');
    }

    healthy = false;
    expect(await readUntil(() => valueOf('service_monitor_service_up{service_id="svc_prom"}'), (v) => v === 0, 30_000)).toBe(0);
    expect(await valueOf('sum(service_monitor_checks_total{method="http",status!="running"})')).toBeGreaterThanOrEqual(1);
    expect(await valueOf('service_monitor_service_consecutive_failures{service_id="svc_prom"}')).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
