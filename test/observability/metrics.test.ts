/** /metrics in Prometheus text format on the real API server: its token, and series that move with what happens. */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RunCheckDocument } from '../graphql/generated.js';
import { useApiServer } from '../helpers/api.js';
import { hostInput, serviceInput } from '../helpers/fixtures.js';
import { Metrics } from '../../src/observability/metrics.js';

const TOKEN = 'metrics-test-token';
const metrics = new Metrics({ perService: true });
const api = useApiServer(import.meta.filename, {}, undefined, {}, { metrics: { metrics, token: TOKEN } });
metrics.follow(api.events);

let target: Server;
let targetUrl = '';
beforeAll(async () => {
  metrics.timeDatabaseCommands();
  target = createServer((_req, res) => res.writeHead(200).end('ok'));
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(target.address() as { port: number }).port}/health`;
});
afterAll(() => {
  target.close();
  metrics.stop();
});

const origin = () => new URL(api.url).origin;
const scrape = async () => {
  const response = await fetch(`${origin()}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};
/** The value of one series, by its exact labels as Prometheus prints them; null when absent. */
const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
};

describe('/metrics', () => {
  test('needs its own bearer token: none or a wrong one is 401, an API key is not enough', async () => {
    expect((await fetch(`${origin()}/metrics`)).status).toBe(401);
    expect((await fetch(`${origin()}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${origin()}/metrics`, { headers: { authorization: `Bearer ${api.keys.admin}` } })).status).toBe(401);
  });

  test('checks by method and status, their duration, per-service series, GraphQL requests by operation and code, database commands, process metrics', async () => {
    await api.domain.hosts.create(hostInput({ host_id: 'host_m', ip_address: '127.0.0.1' }));
    await api.domain.services.create(serviceInput({ service_id: 'svc_web', host_id: 'host_m', service_name: 'web.service', monitoring: { method: 'http', target: targetUrl, interval_sec: 60, timeout_sec: 5 } as never }));
    const before = await scrape();
    const checksBefore = value(before, 'service_monitor_checks_total{method="http",status="running"}') ?? 0;

    await api.data(RunCheckDocument, { serviceId: 'svc_web' }, { as: 'operator' });
    expect((await api.post({ query: 'query Nobody { dashboardSummary { totalServices } }' }, { authorization: '' })).status).toBe(401);
    await api.post({ query: 'mutation Missing { runCheck(serviceId: "svc_none") { status } }' }, { authorization: `Bearer ${api.keys.operator}` });
    await api.post({ query: 'query Broken { nothingHere }' }, { authorization: `Bearer ${api.keys.viewer}` });
    const after = await scrape();

    expect(value(after, 'service_monitor_checks_total{method="http",status="running"}')).toBe(checksBefore + 1);
    expect(value(after, 'service_monitor_check_duration_seconds_count{method="http"}')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'service_monitor_service_up{service_id="svc_web",service="web.service",host_id="host_m"}')).toBe(1);
    expect(value(after, 'service_monitor_service_consecutive_failures{service_id="svc_web",service="web.service",host_id="host_m"}')).toBe(0);
    expect(value(after, 'service_monitor_graphql_requests_total{operation="RunCheck",code="OK"}')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'service_monitor_graphql_requests_total{operation="Nobody",code="UNAUTHENTICATED"}')).toBe(1);
    expect(value(after, 'service_monitor_graphql_requests_total{operation="Missing",code="NOT_FOUND"}')).toBe(1);
    expect(value(after, 'service_monitor_graphql_requests_total{operation="Broken",code="GRAPHQL_VALIDATION_FAILED"}')).toBe(1);
    expect(value(after, 'service_monitor_graphql_request_duration_seconds_count{operation="RunCheck"}')).toBeGreaterThanOrEqual(1);
    expect(value(after, 'service_monitor_db_command_duration_seconds_count{command="find"}')).toBeGreaterThan(0);
    expect(value(after, 'service_monitor_checks_due_unclaimed')).not.toBeNull();
    expect(value(after, 'service_monitor_check_leases_held')).toBe(0);
    expect(value(after, 'service_monitor_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  test('a failing check moves the per-service series: down, failures counted', async () => {
    await api.domain.hosts.create(hostInput({ host_id: 'host_m', ip_address: '127.0.0.1' }));
    await api.domain.services.create(serviceInput({ service_id: 'svc_gone', host_id: 'host_m', service_name: 'gone.service', monitoring: { method: 'http', target: 'http://127.0.0.1:1/nothing', interval_sec: 60, timeout_sec: 2, retry_attempts: 0 } as never }));
    await api.data(RunCheckDocument, { serviceId: 'svc_gone' }, { as: 'operator' });
    const text = await scrape();
    expect(value(text, 'service_monitor_service_up{service_id="svc_gone",service="gone.service",host_id="host_m"}')).toBe(0);
    expect(value(text, 'service_monitor_service_consecutive_failures{service_id="svc_gone",service="gone.service",host_id="host_m"}')).toBe(1);

    await api.domain.services.delete('svc_gone');
    expect(value(await scrape(), 'service_monitor_service_up{service_id="svc_gone",service="gone.service",host_id="host_m"}')).toBeNull();
  });

  test('operation names from clients are labels only while few and plain: the rest count as other', () => {
    const labels = new Metrics({ perService: false });
    expect(labels.operationLabel('ListServices')).toBe('ListServices');
    expect(labels.operationLabel(null)).toBe('anonymous');
    expect(labels.operationLabel('bad name"{}')).toBe('other');
    for (let i = 0; i < 300; i++) labels.operationLabel(`Op${i}`);
    expect(labels.operationLabel('Op250')).toBe('other');
    expect(labels.operationLabel('Op5')).toBe('Op5');
  });
});
