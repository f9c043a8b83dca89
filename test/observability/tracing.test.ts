/**
 * Traces (OpenTelemetry) with the real parts. In this process, with the SDK's InMemorySpanExporter in place of
 * OTLP/HTTP: the API server on real HTTP and its database, a real redis-server carrying live events, and HTTP
 * checks against a real local server. Then the built server process, started the way the entry points start
 * tracing (tracing-preload.ts as the first import), sending OTLP/HTTP to a receiver of this test.
 *
 * Instrumentations patch a library as it loads, so this file starts tracing before it loads anything of the
 * app, as tracing-preload.ts does in the entry points: every app module below is imported after startTracing.
 */
import { writeFileSync } from 'node:fs';
import { Server } from 'node:http';
import Module, { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startTracing, tracingConfigured } from '../../src/observability/tracing.js';

/** What startTracing without an endpoint left behind, seen before tracing is started for real below. */
const requireBefore = Module.prototype.require;
const off = startTracing({ env: { OTEL_SERVICE_NAME: 'not-traced' } });
const afterStartingOff = {
  enabled: off.enabled,
  recording: trace.getTracer('probe').startSpan('probe').isRecording(),
  requireHooked: Module.prototype.require !== requireBefore,
  httpServerPatched: isWrapped(Server.prototype.emit),
  sdkModulesLoaded: Object.keys(createRequire(import.meta.url).cache).filter((file) => /@opentelemetry[/\\](sdk-|instrumentation|exporter-)/.test(file)),
};

const { InMemorySpanExporter } = await import('@opentelemetry/sdk-trace-base');
type ReadableSpan = import('@opentelemetry/sdk-trace-base').ReadableSpan;
const exporter = new InMemorySpanExporter();
const tracing = startTracing({ exporter, env: { OTEL_SERVICE_NAME: 'service-monitor-under-test' } });

const { useApiServer } = await import('../helpers/api.js');
const { useProcesses } = await import('../helpers/processes.js');
const { useReceiver } = await import('../helpers/receiver.js');
const { startHttpServer, startRedis } = await import('../setup/databases.js');
const { freePort } = await import('../../src/db/local-server.js');
const { HostsDocument, RunCheckDocument } = await import('../graphql/generated.js');

const live: { redisUrl?: string } = {};
let redis: Awaited<ReturnType<typeof startRedis>>;
/** What the checks check: `/health` answers 200, `/broken` 503. */
let target: Awaited<ReturnType<typeof startHttpServer>>;
// Declared before the API server's hooks: its start-up connects live to this Redis, and its stop comes first.
beforeAll(async () => {
  redis = await startRedis();
  live.redisUrl = redis.url;
  target = await startHttpServer((req, res) => {
    res.writeHead(req.url === '/broken' ? 503 : 200, { 'content-type': 'text/plain' });
    res.end('checked');
  });
});
afterAll(async () => {
  await tracing.shutdown();
  await target?.stop();
  await redis?.stop();
});
const api = useApiServer(import.meta.filename, {}, live);
const processes = useProcesses('tracing');
const otlpReceiver = useReceiver();

beforeEach(async () => {
  await api.domain.hosts.create({ host_id: 'host_web', hostname: 'web-host', ip_address: '127.0.0.1', environment: 'dev', region: 'lab', ssh_config: { user: 'monitor' } });
  for (const [serviceId, path] of [['svc_web', '/health'], ['svc_broken', '/broken']] as const) {
    await api.domain.services.create({
      service_id: serviceId,
      host_id: 'host_web',
      service_name: 'web.service',
      service_type: 'web',
      monitoring: { method: 'http', target: `${target.url}${path}`, interval_sec: 60, timeout_sec: 5, retry_attempts: 0, retry_delay_sec: 0 },
    });
  }
  await tracing.flush();
  exporter.reset();
});

describe('with no OTLP endpoint', () => {
  test('startTracing does nothing: no SDK loaded, nothing patched, no span recorded', () => {
    expect(afterStartingOff).toEqual({ enabled: false, recording: false, requireHooked: false, httpServerPatched: false, sdkModulesLoaded: [] });
  });

  test('either OTLP endpoint variable turns tracing on, unless OTEL_SDK_DISABLED is true', () => {
    expect(tracingConfigured({})).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'TRUE' })).toBe(false);
  });
});

describe('in this process', () => {
  test('an API request is one trace: the HTTP server span, the GraphQL operation named after it, its MongoDB commands', async () => {
    await api.data(HostsDocument, { first: 10 });
    const spans = await finishedSpans();

    const request = only(spans.filter((s) => s.kind === SpanKind.SERVER && s.attributes['url.path'] === '/graphql'));
    expect(request).toMatchObject({ name: 'POST', attributes: { 'http.request.method': 'POST', 'http.response.status_code': 200 } });
    expect(request.resource.attributes['service.name']).toBe('service-monitor-under-test');
    const operation = only(spans.filter((s) => s.name === 'query Hosts'));
    expect(operation.attributes).toMatchObject({ 'graphql.operation.type': 'query', 'graphql.operation.name': 'Hosts' });
    expect(ancestorNames(operation, spans)).toEqual(['POST']);
    const find = only(spans.filter((s) => s.name === 'find hosts'));
    expect(find).toMatchObject({ kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'mongodb', 'db.operation.name': 'find', 'db.collection.name': 'hosts' } });
    expect(ancestorNames(find, spans)).toEqual(['query Hosts', 'POST']);
    // Resolvers have no span each: with type-graphql every field is one.
    expect(spans.filter((s) => s.name.startsWith('graphql.resolve'))).toEqual([]);
  });

  test("an operator's check: a `check http` span with what it found, its database writes and Redis publishes in the same trace", async () => {
    const { runCheck } = await api.data(RunCheckDocument, { serviceId: 'svc_web' }, { as: 'operator' });
    expect(runCheck.status).toBe('RUNNING');
    const spans = await finishedSpans();

    const check = only(spans.filter((s) => s.name === 'check http'));
    expect(check.attributes).toEqual({ 'check.service_id': 'svc_web', 'check.host_id': 'host_web', 'check.method': 'http', 'check.status': 'running', 'check.attempts': 1 });
    expect(check.status.code).toBe(SpanStatusCode.UNSET);
    expect(ancestorNames(check, spans)).toEqual(['mutation RunCheck', 'POST']);
    const inTrace = spans.filter((s) => s.spanContext().traceId === check.spanContext().traceId);
    expect(inTrace.map((s) => s.name)).toEqual(expect.arrayContaining(['insert monitoring_history']));
    const publishes = inTrace.filter((s) => s.attributes['db.system.name'] === 'redis');
    expect(publishes.map((s) => s.attributes['db.query.text'])).toEqual(
      expect.arrayContaining([expect.stringMatching(/^publish service-monitor\.live\.checkCompleted /)]),
    );
    for (const publish of publishes) expect(publish).toMatchObject({ name: 'publish', kind: SpanKind.CLIENT, attributes: { 'server.port': redis.port } });
  });

  test('a check that finds the service failing is a failed span, its scrubbed error as the message', async () => {
    const { runCheck } = await api.data(RunCheckDocument, { serviceId: 'svc_broken' }, { as: 'operator' });
    expect(runCheck.check?.error).toMatch(/HTTP 503/);
    const check = only((await finishedSpans()).filter((s) => s.name === 'check http'));
    expect(check.attributes).toMatchObject({ 'check.service_id': 'svc_broken', 'check.status': 'error' });
    expect(check.status).toEqual({ code: SpanStatusCode.ERROR, message: runCheck.check?.error });
  });
});

describe('the built server process', () => {
  test('with OTEL_EXPORTER_OTLP_ENDPOINT set, sends its requests, operations, database commands and scheduled checks over OTLP/HTTP', async () => {
    // main.js started behind the preload as its first import, as the entry points do.
    const entry = join(processes.dataDir, 'traced-main.mjs');
    const distSrc = join(import.meta.dirname, '..', '..', 'dist', 'src');
    const importOf = (file: string) => `import '${pathToFileURL(join(distSrc, file)).href}';\n`;
    writeFileSync(entry, importOf('observability/tracing-preload.js') + importOf('main.js'));
    const port = await freePort();
    const server = processes.start(
      relative(distSrc, entry),
      {
        PORT: String(port),
        EMBEDDED_DB_PORT: String(await freePort()),
        REDIS_URL: redis.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlpReceiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      /API listening/,
    );
    await server.ready;
    const key = /smk_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/.exec(server.stdout())![0];
    const graphql = async (query: string) => {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query }),
      });
      return (await response.json()) as { errors?: unknown };
    };

    expect(
      await graphql(`mutation TracedSetup {
        createHost(input: { hostId: "traced-host", hostname: "traced-host", ipAddress: "127.0.0.1", environment: DEV, region: "lab", sshConfig: { user: "monitor" } }) { hostId }
        createService(input: { serviceId: "traced-web", hostId: "traced-host", serviceName: "web.service", serviceType: "web",
          monitoring: { method: HTTP, target: "${target.url}/health", intervalSec: 5, timeoutSec: 2, retryAttempts: 0 } }) { serviceId }
        operated: createService(input: { serviceId: "traced-by-hand", hostId: "traced-host", serviceName: "web.service", serviceType: "web",
          monitoring: { method: HTTP, target: "${target.url}/health", enabled: false } }) { serviceId }
      }`),
    ).not.toHaveProperty('errors');
    expect(await graphql('query TracedHosts { hosts(first: 5) { totalCount } }')).not.toHaveProperty('errors');
    expect(await graphql('mutation TracedCheck { runCheck(serviceId: "traced-by-hand") { status } }')).not.toHaveProperty('errors');

    const operations = ['mutation TracedSetup', 'query TracedHosts', 'mutation TracedCheck'];
    const scheduledCheck = (s: OtlpSpan) => s.name === 'check http' && !s.parentSpanId;
    const exported = await waitForSpans((spans) => operations.every((name) => spans.some((s) => s.name === name)) && spans.some(scheduledCheck));
    expect(exported.resources).toContainEqual(expect.objectContaining({ 'service.name': 'service-monitor' }));
    const spans = exported.spans;
    const operation = only(spans.filter((s) => s.name === 'query TracedHosts'));
    const request = only(spans.filter((s) => s.spanId === operation.parentSpanId));
    expect(request).toMatchObject({ name: 'POST', kind: OTLP_SERVER_KIND, traceId: operation.traceId });
    expect(spans.filter((s) => s.traceId === operation.traceId && attributesOf(s)['db.system.name'] === 'mongodb')).not.toEqual([]);
    // ioredis, imported by ESM code, is instrumented all the same: the live events of an operator's check (of a
    // service the scheduler leaves alone, so no scheduled check of it is under way to be waited for instead).
    const operatorCheck = only(spans.filter((s) => s.name === 'mutation TracedCheck'));
    const published = spans.filter((s) => s.traceId === operatorCheck.traceId && s.name === 'publish');
    expect(published.map((s) => attributesOf(s)['db.system.name'])).toContain('redis');
    // A check the scheduler runs is a trace of its own.
    const check = spans.find(scheduledCheck);
    expect(attributesOf(check ?? {})).toMatchObject({ 'check.service_id': 'traced-web', 'check.host_id': 'traced-host', 'check.method': 'http', 'check.status': 'running' });
    // Literal values of operations (a target's URL could hold a password) and of database commands are left out.
    expect(otlpReceiver.received.map((r) => r.body).join('\n')).not.toContain(target.url);
    // The scheduler's polling, outside any request or check, makes no root MongoDB span every second.
    expect(spans.filter((s) => attributesOf(s)['db.system.name'] === 'mongodb' && !s.parentSpanId)).toEqual([]);

    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
  }, 60_000);
});

/** The spans ended so far, once the batch processor has handed every one of them to the exporter. */
async function finishedSpans(): Promise<ReadableSpan[]> {
  await tracing.flush();
  return exporter.getFinishedSpans();
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0]!;
}

/** The names of a span's parent, its parent's parent, and so on up to the root. */
function ancestorNames(span: ReadableSpan, spans: ReadableSpan[]): string[] {
  const names: string[] = [];
  for (let parentId = span.parentSpanContext?.spanId; parentId; ) {
    const parent = spans.find((s) => s.spanContext().spanId === parentId);
    if (!parent) break;
    names.push(parent.name);
    parentId = parent.parentSpanContext?.spanId;
  }
  return names;
}

function isWrapped(method: unknown): boolean {
  return typeof method === 'function' && '__wrapped' in method;
}

// What the OTLP/HTTP exporter sends (JSON): the parts this test reads.
interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: OtlpAttribute[];
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}
const OTLP_SERVER_KIND = 2;

function attributesOf(item: { attributes?: OtlpAttribute[] }): Record<string, unknown> {
  return Object.fromEntries((item.attributes ?? []).map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.boolValue]));
}

/** Every export the receiver got so far, until `done` is satisfied with the spans (or 20 s pass). */
async function waitForSpans(done: (spans: OtlpSpan[]) => boolean): Promise<{ resources: Record<string, unknown>[]; spans: OtlpSpan[] }> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const exports = otlpReceiver.received.filter((r) => r.path === '/v1/traces').map((r) => r.json as OtlpExport);
    const resourceSpans = exports.flatMap((e) => e.resourceSpans);
    const spans = resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    if (done(spans) || Date.now() > deadline) return { resources: resourceSpans.map((r) => attributesOf(r.resource)), spans };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
