/**
 * Issue 10 item 1: secrets are write-only everywhere. Known secret strings are written through every input
 * that takes one (createService / updateService targets and health endpoints, createHost / updateHost
 * sshConfig.keyPath; importConfig takes none: config.json has no target URL or key path), checks and a
 * recovery run against them, and other tools' writes are read back. Then every answer is collected:
 * every query the schema has, with every field it can select, as each role; every subscription event
 * (live and replayed); every error; every log line of the server, the engine and the audit log. No
 * secret appears in any of them, while the stored values are kept.
 *
 * The real server in-process on the test database (as test/helpers/api.ts starts it), but with loggers
 * that keep every line, at debug level.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import {
  getNamedType,
  isInterfaceType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger, type Logger } from '../../src/common/logger.js';
import { maskTarget } from '../../src/common/secrets.js';
import { pingDatabase } from '../../src/db/connection.js';
import { EventBus } from '../../src/events/event-bus.js';
import { startApiServer, type ApiServer } from '../../src/http/api-server.js';
import { ApiKeyService } from '../../src/modules/auth/api-key.service.js';
import { createMonitoring } from '../../src/modules/checks/monitoring.js';
import { createDomain } from '../../src/modules/domain.js';
import { MonitoringCheckModel } from '../../src/modules/history/history.model.js';
import { HostModel } from '../../src/modules/hosts/host.model.js';
import { startLive, type Live } from '../../src/modules/live/live.js';
import { ServiceModel } from '../../src/modules/services/service.model.js';
import { MONITORING_TEST_SETTINGS, TEST_SETTINGS } from '../helpers/api.js';
import { useTestDatabase } from '../helpers/database.js';
import { eventually, liveClient, subscribe, type Feed, type LiveClient } from '../helpers/live-client.js';

// Every secret holds this marker: whatever is shown, none of it may carry one.
const MARK = 'S3cret';
const PG_PASSWORD = `pg-${MARK}-d41f`;
const PG_PASSWORD_ROTATED = `pg-${MARK}-rotated-9e0d`;
const HTTP_PASSWORD = `http-${MARK}-8c2e`;
const TOKEN = `tok-${MARK}-77aa`;
const HEALTH_PASSWORD = `hc-${MARK}-5b19`;
const LONE_TOKEN = `ghp${MARK}lone0token`;
const KEY_PATH = `/srv/monitor/keys/${MARK}-id_rsa`;
const KEY_PATH_ROTATED = `/srv/monitor/keys/${MARK}-rotated_ed25519`;
const OTHER_TOOL_PASSWORD = `tool-${MARK}-31c4`;
/** What an HTTP client sends for `admin:HTTP_PASSWORD`: a server may echo it. */
const BASIC = Buffer.from(`admin:${HTTP_PASSWORD}`).toString('base64');
const FORBIDDEN = [MARK, BASIC, BASIC.slice(0, 16), encodeURIComponent(KEY_PATH)];

const database = useTestDatabase(import.meta.filename, { clearBeforeEach: false });
const lines: string[] = [];
const logger: Logger = createLogger('debug', (line) => lines.push(line));
const events = new EventBus();
const domain = createDomain(TEST_SETTINGS, events, logger);
const apiKeys = new ApiKeyService(events);
const engine = createMonitoring(domain, events, { ...MONITORING_TEST_SETTINGS, recoveryRecheckDelayMs: 10 }, logger).engine;
let server: ApiServer;
let live: Live;
const keys = {} as Record<'admin' | 'operator' | 'viewer', string>;

/** An HTTP service that answers with what it was sent: the Authorization header and the password in it. */
let echo: Server;
let echoPort: number;
/** A port nothing listens on. */
let closedPort: number;

beforeAll(async () => {
  echo = createServer((req, res) => {
    const auth = req.headers.authorization ?? '';
    const password = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString().split(':')[1] ?? '';
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ auth, password, url: req.url }));
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as { port: number }).port;
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  live = await startLive(events, domain, { redisUrl: undefined, liveReplayLimit: 1000, dashboardPeriodMs: 100 }, (reason) => lines.push(`live error: ${String(reason)}`));
  server = await startApiServer({
    port: 0,
    host: '127.0.0.1',
    domain,
    apiKeys,
    engine,
    pingDatabase: () => pingDatabase(),
    logger,
    // Every field of every query at once: far past the production limits, which are not what this is about.
    limits: { maxDepth: 50, maxComplexity: Number.MAX_SAFE_INTEGER, maxTokens: 200_000, maxAliases: 1_000, maxDirectives: 1_000, timeoutMs: 60_000 },
    keyLimits: { requestsPerSecond: 1_000_000, concurrent: 100_000 },
    shutdownTimeoutMs: 1_000,
    live: { services: live, keepAliveMs: 30_000, maxQueuedEvents: 10_000 },
  });
  for (const role of ['admin', 'operator', 'viewer'] as const) keys[role] = (await apiKeys.issue(`secrets ${role}`, role)).secret;
});

afterAll(async () => {
  await server?.stop();
  await live?.close();
  await domain.audit.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

/** Every text a client or the log saw, to search for secrets. */
const seen: { what: string; text: string }[] = [];

async function gql(query: string, variables: Record<string, unknown> = {}, as: keyof typeof keys = 'admin') {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json;q=0.9', authorization: `Bearer ${keys[as]}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  seen.push({ what: `${as}: ${query.slice(0, 120)}`, text });
  return JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function ok(query: string, variables: Record<string, unknown> = {}, as: keyof typeof keys = 'admin') {
  const body = await gql(query, variables, as);
  expect(body.errors, JSON.stringify(body)).toBeUndefined();
  return body.data!;
}

/** A selection of every field of `type` down to `depth` levels, leaving out fields with required arguments. */
function selectAll(type: GraphQLNamedType, depth: number): string {
  if (!isObjectType(type) && !isInterfaceType(type)) return '';
  const parts: string[] = [];
  for (const field of Object.values((type as GraphQLObjectType).getFields()) as GraphQLField<unknown, unknown>[]) {
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const inner = getNamedType(field.type);
    if (isObjectType(inner) || isInterfaceType(inner)) {
      if (depth <= 1) continue;
      const sub = selectAll(inner, depth - 1);
      if (sub) parts.push(`${field.name} ${sub}`);
    } else if (!('getTypes' in inner)) {
      parts.push(field.name);
    }
  }
  return parts.length > 0 ? `{ ${parts.join(' ')} }` : '';
}

/** Values for the required arguments this API's root fields take. */
function argumentsFor(field: GraphQLField<unknown, unknown>, ids: { serviceId: string; hostId: string }): string | null {
  const args: string[] = [];
  for (const arg of field.args) {
    if (!isNonNullType(arg.type) || arg.defaultValue !== undefined) continue;
    if (arg.name === 'serviceId') args.push(`serviceId: "${ids.serviceId}"`);
    else if (arg.name === 'hostId') args.push(`hostId: "${ids.hostId}"`);
    else if (arg.name === 'name') args.push('name: PRODUCTION');
    else return null;
  }
  if (field.args.some((a) => a.name === 'first')) args.push('first: 100');
  return args.length > 0 ? `(${args.join(', ')})` : '';
}

/** One document per root query field, each selecting every field it can to `depth` levels. */
function everyQuery(schema: GraphQLSchema, ids: { serviceId: string; hostId: string }, depth = 7): string[] {
  const documents: string[] = [];
  for (const field of Object.values(schema.getQueryType()!.getFields())) {
    const args = argumentsFor(field, ids);
    if (args === null) continue;
    const inner = getNamedType(field.type);
    const selection = selectAll(inner, depth);
    documents.push(`query { ${field.name}${args} ${selection} }`);
  }
  return documents;
}

const SERVICE_FIELDS = 'serviceId monitoring { target } healthCheck { endpoint }';

describe('secrets written through every input never come back', () => {
  const feeds: { name: string; feed: Feed }[] = [];
  const clients: LiveClient[] = [];
  const start = new Date(Date.now() - 1_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
  });

  test('written, checked, recovered and read back by every role, over HTTP and subscriptions', async () => {
    // Subscriptions first, as a viewer: every field of every event.
    const schema = server.schema;
    const allSubscriptionFields = Object.values(schema.getSubscriptionType()!.getFields());
    // An import job's feed names one job and is an admin's: subscribed to below, as an admin, by id.
    const subscriptionFields = allSubscriptionFields.filter((field) => field.args.every((a) => !isNonNullType(a.type)));
    expect(allSubscriptionFields.filter((field) => !subscriptionFields.includes(field)).map((f) => f.name)).toEqual(['importJobChanged']);
    const viewerSocket = liveClient(server.url, keys.viewer);
    const adminSocket = liveClient(server.url, keys.admin);
    clients.push(viewerSocket, adminSocket);
    for (const field of subscriptionFields) {
      const selection = selectAll(getNamedType(field.type), 5);
      feeds.push({ name: field.name, feed: subscribe(viewerSocket.client, `subscription { ${field.name} ${selection} }`) });
    }
    const importJob = schema.getSubscriptionType()!.getFields().importJobChanged!;
    feeds.push({ name: 'importJobChanged', feed: subscribe(adminSocket.client, `subscription { importJobChanged(jobId: "job_none") ${selectAll(getNamedType(importJob.type), 5)} }`) });
    await new Promise((resolve) => setTimeout(resolve, 300));

    // --- Written through every input that takes a secret.
    await ok(`mutation($input: HostCreateInput!) { createHost(input: $input) { hostId sshKeyConfigured } }`, {
      input: { hostId: 'host_local', hostname: 'local', ipAddress: '127.0.0.1', environment: 'PRODUCTION', region: 'eu', sshConfig: { user: 'monitor', keyPath: KEY_PATH } },
    });
    const create = `mutation($input: ServiceCreateInput!) { createService(input: $input) { ${SERVICE_FIELDS} } }`;
    const created = await ok(create, {
      input: {
        serviceId: 'svc_db',
        hostId: 'host_local',
        serviceName: 'postgresql.service',
        serviceType: 'postgresql',
        monitoring: { method: 'DATABASE', target: `postgresql://monitor:${PG_PASSWORD}@127.0.0.1:${closedPort}/app?sslmode=disable`, timeoutSec: 2, retryAttempts: 0 },
        healthCheck: { enabled: true, endpoint: `https://hc:${HEALTH_PASSWORD}@127.0.0.1:${closedPort}/ping` },
      },
    });
    expect(created.createService).toEqual({
      serviceId: 'svc_db',
      monitoring: { target: `postgresql://monitor:***@127.0.0.1:${closedPort}/app?sslmode=disable` },
      healthCheck: { endpoint: `https://hc:***@127.0.0.1:${closedPort}/ping` },
    });
    // The echo server sends back the Authorization header and the password: the check's error would quote them.
    for (const [serviceId, jsonField] of [
      ['svc_http_auth', 'auth'],
      ['svc_http_password', 'password'],
    ] as const) {
      await ok(create, {
        input: {
          serviceId,
          hostId: 'host_local',
          serviceName: `${serviceId.replace(/_/g, '-')}.service`,
          serviceType: 'web',
          monitoring: { method: 'HTTP', target: `http://admin:${HTTP_PASSWORD}@127.0.0.1:${echoPort}/health?access_token=${TOKEN}`, jsonField, jsonValue: 'nope', timeoutSec: 2, retryAttempts: 0 },
          recovery: { recoverOnDown: false, maxRecoveryAttempts: 5 },
        },
      });
    }
    await ok(create, {
      input: { serviceId: 'svc_token', hostId: 'host_local', serviceName: 'token.service', serviceType: 'web', monitoring: { method: 'TCP', target: `tcp://${LONE_TOKEN}@127.0.0.1` } },
    });

    // Rotated through updates: a new password, then `***` (keeps it), a target without credentials (keeps them), a new key path.
    const update = `mutation($serviceId: String!, $input: ServiceUpdateInput!) { updateService(serviceId: $serviceId, input: $input) { ${SERVICE_FIELDS} } }`;
    await ok(update, { serviceId: 'svc_db', input: { monitoring: { target: `postgresql://monitor:${PG_PASSWORD_ROTATED}@127.0.0.1:${closedPort}/app?sslmode=disable` } } });
    await ok(update, { serviceId: 'svc_db', input: { monitoring: { target: `postgresql://monitor:***@127.0.0.1:${closedPort}/app?sslmode=disable` }, healthCheck: { endpoint: `https://127.0.0.1:${closedPort}/ping` } } });
    await ok(`mutation($hostId: String!, $input: HostUpdateInput!) { updateHost(hostId: $hostId, input: $input) { hostId sshKeyConfigured } }`, {
      hostId: 'host_local',
      input: { sshConfig: { keyPath: KEY_PATH_ROTATED } },
    });
    // Refused inputs that carry a secret: the error does not repeat it.
    const refusedTarget = await gql(update, { serviceId: 'svc_db', input: { monitoring: { target: `ftp://monitor:${PG_PASSWORD}@127.0.0.1/` } } });
    expect(refusedTarget.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const refusedEndpoint = await gql(update, { serviceId: 'svc_db', input: { healthCheck: { endpoint: `gopher://hc:${HEALTH_PASSWORD}@x/` } } });
    expect(refusedEndpoint.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const refusedKey = await gql(`mutation($hostId: String!, $input: HostUpdateInput!) { updateHost(hostId: $hostId, input: $input) { hostId } }`, {
      hostId: 'host_local',
      input: { sshConfig: { keyPath: `keys/${MARK}-relative` } },
    });
    expect(refusedKey.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const refusedCreate = await gql(create, {
      input: { serviceId: 'svc_bad', hostId: 'host_local', serviceName: 'bad.service', serviceType: 'web', monitoring: { method: 'HTTP', target: `http://admin:${HTTP_PASSWORD}@127.0.0.1:${echoPort}/${'x'.repeat(3000)}` } },
    });
    expect(refusedCreate.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    // config.json has no field for a target or a key path; a secret in an unknown field is not stored.
    await ok(`mutation($config: JSON!) { importConfig(input: { config: $config, environment: DEV, region: "eu" }) { targets rejected { problems { field message } } warnings { problems { field message } } } }`, {
      config: { targets: [{ name: 'imported', host: '10.9.9.9', ssh: { user: 'ubuntu', password: OTHER_TOOL_PASSWORD, key: KEY_PATH }, service: 'mysql.service' }] },
    });

    // --- Stored as written (write-only, not lost).
    const stored = await ServiceModel.collection.findOne({ service_id: 'svc_db' });
    expect(stored!.monitoring.target).toBe(`postgresql://monitor:${PG_PASSWORD_ROTATED}@127.0.0.1:${closedPort}/app?sslmode=disable`);
    expect(stored!.health_check.endpoint).toBe(`https://hc:${HEALTH_PASSWORD}@127.0.0.1:${closedPort}/ping`);
    expect((await HostModel.collection.findOne({ host_id: 'host_local' }))!.ssh_config.key_path).toBe(KEY_PATH_ROTATED);

    // --- Checked: each check's error quotes what the monitored side said.
    const run = `mutation($serviceId: String!) { runCheck(serviceId: $serviceId) ${selectAll(schema.getType('CheckRunResult')!, 5)} }`;
    const errors: Record<string, string> = {};
    for (const serviceId of ['svc_db', 'svc_http_auth', 'svc_http_password', 'svc_token']) {
      const result = (await ok(run, { serviceId }, 'operator')).runCheck as { check: { error: string | null } };
      errors[serviceId] = result.check.error ?? '';
    }
    expect(errors.svc_http_auth).toMatch(/^auth is "Basic \*\*\*", expected "nope"$/);
    expect(errors.svc_http_password).toMatch(/^password is "\*\*\*", expected "nope"$/);
    expect(errors.svc_token).toBe('no port in tcp://***@127.0.0.1');
    // A recovery over SSH with the host's key: the key file does not exist, and its path is not said.
    const recovered = await ok(`mutation { recoverService(serviceId: "svc_http_auth", action: RESTART) ${selectAll(schema.getType('RecoveryResult')!, 3)} }`, {}, 'operator');
    expect((recovered.recoverService as { message: string }).message).toMatch(/SSH key not readable \(sshConfig\.keyPath\)/);
    // An SSH check of the host's unit, which cannot read the key either.
    await ok(create, { input: { serviceId: 'svc_ssh', hostId: 'host_local', serviceName: 'ssh-unit.service', serviceType: 'web', monitoring: { retryAttempts: 0 } } });
    const sshRun = (await ok(run, { serviceId: 'svc_ssh' }, 'operator')).runCheck as { check: { error: string } };
    expect(sshRun.check.error).toBe('SSH key not readable (sshConfig.keyPath): ENOENT');

    // --- Written by another tool: a credential in the target as the seed's tooling stores it, an invalid
    // target holding a password, and a history entry whose error quotes a connection string and a key path.
    await ServiceModel.collection.updateOne({ service_id: 'svc_token' }, { $set: { 'monitoring.target': `gopher://tool:${OTHER_TOOL_PASSWORD}@10.0.0.1/` } });
    await MonitoringCheckModel.collection.updateOne(
      { service_id: 'svc_db' },
      {
        $set: {
          error: `could not connect to postgresql://monitor:${OTHER_TOOL_PASSWORD}@db:5432/app; password=${OTHER_TOOL_PASSWORD} rejected`,
          error_details: `ssh -i ${KEY_PATH} failed: {"password": "${OTHER_TOOL_PASSWORD}"}`,
          recovery_message: `restart failed: cannot read SSH key ${KEY_PATH}: ENOENT`,
        },
      },
    );

    // --- Read by every role: every query, every field.
    const documents = everyQuery(schema, { serviceId: 'svc_db', hostId: 'host_local' });
    expect(documents.length).toBeGreaterThan(10);
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      for (const serviceId of ['svc_db', 'svc_http_auth', 'svc_token']) {
        for (const document of everyQuery(schema, { serviceId, hostId: 'host_local' }).filter((d) => /^query \{ (service|serviceHistory|serviceUptime)\(/.test(d))) await gql(document, {}, role);
      }
      for (const document of documents) {
        const body = await gql(document, {}, role);
        // Admin-only reads are refused to the others; nothing else fails.
        for (const error of body.errors ?? []) expect(['FORBIDDEN'], `${role} ${document.slice(0, 80)}: ${JSON.stringify(error)}`).toContain(error.extensions?.code);
      }
    }
    const viewerRead = await ok(`query { service(serviceId: "svc_db") { ${SERVICE_FIELDS} } token: service(serviceId: "svc_token") { ${SERVICE_FIELDS} problems { field message } } }`, {}, 'viewer');
    expect(viewerRead.service).toEqual({
      serviceId: 'svc_db',
      monitoring: { target: `postgresql://monitor:***@127.0.0.1:${closedPort}/app?sslmode=disable` },
      healthCheck: { endpoint: `https://hc:***@127.0.0.1:${closedPort}/ping` },
    });
    expect(viewerRead.token).toMatchObject({ monitoring: { target: 'gopher://tool:***@10.0.0.1/' }, problems: [{ field: 'monitoring.target', message: expect.not.stringContaining(MARK) }] });

    // --- Replayed from history over the socket, as an operator this time.
    const operatorSocket = liveClient(server.url, keys.operator);
    clients.push(operatorSocket);
    for (const name of ['checkCompleted', 'serviceStatusChanged', 'recoveryEvent']) {
      const field = schema.getSubscriptionType()!.getFields()[name]!;
      feeds.push({ name: `${name} (replay)`, feed: subscribe(operatorSocket.client, `subscription($since: DateTime) { ${name}(since: $since) ${selectAll(getNamedType(field.type), 5)} }`, { since: start.toISOString() }) });
    }
    await eventually(() => feeds.filter((f) => f.name.endsWith('(replay)')).every((f) => f.feed.results.length > 0), 10_000, 'replayed events');
    await eventually(() => feeds.find((f) => f.name === 'checkCompleted')!.feed.results.length >= 5, 10_000, 'live check events');
    await domain.audit.flush();
    const audit = await ok(`query { auditLog(first: 500) ${selectAll(getNamedType(schema.getQueryType()!.getFields().auditLog!.type), 5)} }`);
    expect(JSON.stringify(audit)).toContain('updateService');

    // --- Nothing anyone saw holds a secret.
    for (const { name, feed } of feeds) {
      expect(feed.error, name).toBeUndefined();
      seen.push({ what: `subscription ${name}`, text: JSON.stringify(feed.results) });
    }
    expect(feeds.find((f) => f.name === 'serviceChanged')!.feed.results.length).toBeGreaterThan(3);
    expect(feeds.find((f) => f.name === 'hostChanged')!.feed.results.length).toBeGreaterThan(1);
    expect(feeds.find((f) => f.name === 'recoveryEvent')!.feed.results.length).toBeGreaterThan(0);
    seen.push(...lines.map((line) => ({ what: 'log', text: line })));
    // The engine logged its status changes and the failed recovery, with its message.
    expect(lines.filter((line) => line.includes('service status changed')).length).toBeGreaterThanOrEqual(3);
    expect(lines.find((line) => line.includes('recovery failed'))).toMatch(/SSH key not readable \(sshConfig\.keyPath\)/);
    const leaks = seen.flatMap(({ what, text }) => FORBIDDEN.filter((secret) => text.includes(secret)).map((secret) => `${what} holds ${secret}: ...${text.slice(Math.max(0, text.indexOf(secret) - 120), text.indexOf(secret) + 60)}...`));
    expect(leaks).toEqual([]);
    // What was masked is visible as masked, so the test saw the places it searched.
    const all = seen.map((s) => s.text).join('\n');
    expect(all).toContain(maskTarget(`postgresql://monitor:x@127.0.0.1:${closedPort}/app?sslmode=disable`));
    expect(all).toContain('access_token=***');
    expect(all).toContain('password=***');
    expect(all).toContain('SSH key not readable (sshConfig.keyPath)');
  });
});

void database;
