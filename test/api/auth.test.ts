import { createHash } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { describe, expect, test } from 'vitest';
import {
  ApiKeysDocument,
  CreateApiKeyDocument,
  CreateEnvironmentDocument,
  CreateHostDocument,
  CreateServiceDocument,
  DashboardSummaryDocument,
  DeleteEnvironmentDocument,
  DeleteHostDocument,
  DeleteServiceDocument,
  EnvironmentDocument,
  EnvironmentsDocument,
  HostDocument,
  HostHistoryDocument,
  HostsDocument,
  HostsWithServicesDocument,
  ImportConfigDocument,
  MuteServiceAlertsDocument,
  RecentFailuresDocument,
  RevokeApiKeyDocument,
  ServiceDocument,
  ServiceHistoryDocument,
  ServicesByStatusDocument,
  ServicesDocument,
  ServicesNeedingAttentionDocument,
  ServiceUptimeDocument,
  SetServiceMonitoringDocument,
  UpdateApiKeyDocument,
  UpdateEnvironmentDocument,
  UpdateHostDocument,
  UpdateServiceDocument,
  ViewerDocument,
} from '../graphql/generated.js';
import { useApiServer, type GraphQLResponse, type RequestOptions } from '../helpers/api.js';
import { ApiKeyModel } from '../../src/modules/auth/api-key.model.js';

const api = useApiServer(import.meta.filename);

const KEY_FORMAT = /^smk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const keyIdOf = (secret: string) => KEY_FORMAT.exec(secret)![1]!;
const bearer = (secret: string): RequestOptions => ({ as: { authorization: `Bearer ${secret}` } });

/** What no response may ever contain: stack traces, driver and duplicate-key messages. */
function expectNoLeak(body: unknown) {
  const text = JSON.stringify(body);
  for (const needle of ['stack', 'E11000', 'MongoServerError', 'Mongo']) expect(text, text).not.toContain(needle);
  // A stack frame ("at fn (file.js:1:2)", "at file.js:1:2"), not words ("must be at least 1").
  expect(text, text).not.toMatch(/\bat (\S+ \()?[^\s()]+:\d+:\d+/);
}

async function post(body: unknown, authorization?: string) {
  const response = await api.post(body, authorization === undefined ? {} : { authorization });
  return { status: response.status, body: (await response.json()) as GraphQLResponse<unknown> };
}

/** One host with one service, one environment, and a spare key to revoke. */
async function seed() {
  await api.data(CreateHostDocument, { input: { hostId: 'host_1', hostname: 'host-1', ipAddress: '10.0.0.1', environment: 'DEV', region: 'eu-west', sshConfig: { user: 'ubuntu' } } });
  await api.data(CreateServiceDocument, { input: { serviceId: 'svc_1', hostId: 'host_1', serviceName: 'nginx.service', serviceType: 'nginx' } });
  await api.data(CreateEnvironmentDocument, { input: { name: 'DEV' } });
  await api.domain.recorder.record([
    { service_id: 'svc_1', status: 'stopped', timestamp: new Date(Date.now() - 120_000) },
    { service_id: 'svc_1', status: 'running', timestamp: new Date(Date.now() - 60_000), metrics: { cpu_usage: 12.5 } },
  ]);
  return (await api.apiKeys.issue('spare', 'viewer')).apiKey.key_id;
}

/**
 * Every document of every collection, except the key usage stamp that authenticating may move and the
 * audit log, which records the attempt (see test/api/audit.test.ts).
 */
async function snapshot(): Promise<string> {
  const collections = (await api.database.db.listCollections().toArray()).map((c) => c.name).filter((name) => name !== 'audit_log').sort();
  const contents: Record<string, unknown[]> = {};
  for (const name of collections) {
    contents[name] = await api.database.db.collection(name).find({}, { projection: { last_used_at: 0 } }).sort({ _id: 1 }).toArray();
  }
  return JSON.stringify(contents);
}

type Call = (options: RequestOptions, spareKeyId: string) => Promise<GraphQLResponse<unknown>>;
const call =
  <TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables | ((spareKeyId: string) => TVariables)): Call =>
  (options, spareKeyId) =>
    api.request(document, typeof variables === 'function' ? (variables as (id: string) => TVariables)(spareKeyId) : variables, options);

/** Every mutation of the schema, with arguments that would succeed for an admin on the seed. */
const MUTATIONS: Record<string, Call> = {
  createHost: call(CreateHostDocument, { input: { hostId: 'host_new', hostname: 'host-new', ipAddress: '10.0.0.9', environment: 'DEV', region: 'eu-west', sshConfig: { user: 'ubuntu' } } }),
  updateHost: call(UpdateHostDocument, { hostId: 'host_1', input: { hostname: 'renamed' } }),
  deleteHost: call(DeleteHostDocument, { hostId: 'host_1' }),
  createService: call(CreateServiceDocument, { input: { serviceId: 'svc_new', hostId: 'host_1', serviceName: 'redis.service', serviceType: 'redis' } }),
  updateService: call(UpdateServiceDocument, { serviceId: 'svc_1', input: { displayName: 'renamed' } }),
  deleteService: call(DeleteServiceDocument, { serviceId: 'svc_1' }),
  setServiceMonitoring: call(SetServiceMonitoringDocument, { serviceId: 'svc_1', enabled: false }),
  muteServiceAlerts: call(MuteServiceAlertsDocument, { serviceId: 'svc_1', until: '2031-01-01T00:00:00.000Z' }),
  createEnvironment: call(CreateEnvironmentDocument, { input: { name: 'STAGING' } }),
  updateEnvironment: call(UpdateEnvironmentDocument, { name: 'DEV', input: { color: '#000000' } }),
  deleteEnvironment: call(DeleteEnvironmentDocument, { name: 'DEV' }),
  importConfig: call(ImportConfigDocument, {
    input: { config: { targets: [{ name: 'imported', host: '10.9.9.9', ssh: { user: 'ubuntu', port: 22 }, service: 'mysql.service', method: 'ssh', interval_sec: 60 }] }, dryRun: false, environment: 'DEV', region: 'eu-west' },
  }),
  createApiKey: call(CreateApiKeyDocument, { name: 'new key', role: 'VIEWER' }),
  revokeApiKey: call(RevokeApiKeyDocument, (spareKeyId) => ({ keyId: spareKeyId })),
  updateApiKey: call(UpdateApiKeyDocument, (spareKeyId) => ({ keyId: spareKeyId, input: { name: 'renamed', role: 'OPERATOR' as const } })),
};
const OPERATOR_MUTATIONS = ['setServiceMonitoring', 'muteServiceAlerts'];

/** Every query a viewer may run. */
const VIEWER_QUERIES: Record<string, Call> = {
  viewer: call(ViewerDocument, {}),
  host: call(HostDocument, { hostId: 'host_1' }),
  hosts: call(HostsDocument, { first: 10 }),
  hostsWithServices: call(HostsWithServicesDocument, { first: 10 }),
  service: call(ServiceDocument, { serviceId: 'svc_1', historyFirst: 5, days: 7 }),
  services: call(ServicesDocument, { first: 10 }),
  serviceHistory: call(ServiceHistoryDocument, { serviceId: 'svc_1' }),
  hostHistory: call(HostHistoryDocument, { hostId: 'host_1' }),
  recentFailures: call(RecentFailuresDocument, { hours: 24 }),
  serviceUptime: call(ServiceUptimeDocument, { serviceId: 'svc_1', days: 7 }),
  environment: call(EnvironmentDocument, { name: 'DEV' }),
  environments: call(EnvironmentsDocument, {}),
  dashboardSummary: call(DashboardSummaryDocument, {}),
  servicesNeedingAttention: call(ServicesNeedingAttentionDocument, {}),
  servicesByStatus: call(ServicesByStatusDocument, {}),
};

function expectForbidden(response: GraphQLResponse<unknown>, role: string) {
  expect(response.errors?.[0]?.extensions?.code, JSON.stringify(response)).toBe('FORBIDDEN');
  expect(response.errors).toHaveLength(1);
  expect(response.errors![0]!.message).toContain(role);
  expect(response.status).toBe(403);
  expect(response.data).toBeNull();
  expectNoLeak(response);
}

describe('authentication', () => {
  const validQuery = { query: '{ viewer { keyId role } }' };

  async function expectUnauthenticated(authorization: string | undefined) {
    const { status, body } = await post(validQuery, authorization);
    expect(status, JSON.stringify(body)).toBe(401);
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(body.data ?? null).toBeNull();
    expectNoLeak(body);
    return body.errors![0]!;
  }

  test('no Authorization header is HTTP 401 UNAUTHENTICATED, telling how to send a key', async () => {
    expect((await expectUnauthenticated(undefined)).message).toMatch(/Bearer/);
  });

  test('a malformed key is 401', async () => {
    await expectUnauthenticated('Bearer not-a-key');
    await expectUnauthenticated('Bearer smk_123_abc');
    await expectUnauthenticated(`Bearer ${api.keys.admin}x`);
    await expectUnauthenticated('Bearer ');
  });

  test('a well-formed key that was never issued is 401', async () => {
    await expectUnauthenticated(`Bearer smk_0123456789abcdef_${'A'.repeat(43)}`);
  });

  test('a known keyId with the wrong secret is 401', async () => {
    const keyId = keyIdOf(api.keys.admin);
    await expectUnauthenticated(`Bearer smk_${keyId}_${'B'.repeat(43)}`);
  });

  test('a revoked key is 401', async () => {
    const issued = await api.apiKeys.issue('soon revoked', 'admin');
    await api.apiKeys.revoke(issued.apiKey.key_id);
    await expectUnauthenticated(`Bearer ${issued.secret}`);
  });

  test('the Bearer scheme is case-insensitive', async () => {
    const { status, body } = await post(validQuery, `bearer ${api.keys.viewer}`);
    expect(status).toBe(200);
    expect(body.data).toEqual({ viewer: { keyId: keyIdOf(api.keys.viewer), role: 'VIEWER' } });
  });

  test('a scheme other than Bearer is 401, even with a valid key', async () => {
    await expectUnauthenticated('Basic xyz');
    await expectUnauthenticated(`Basic ${api.keys.admin}`);
    await expectUnauthenticated(api.keys.admin);
  });

  test('an unauthenticated mutation writes nothing', async () => {
    await seed();
    const before = await snapshot();
    const { status } = await post({ query: 'mutation { deleteHost(hostId: "host_1") { hostId } }' });
    expect(status).toBe(401);
    expect(await snapshot()).toBe(before);
  });

  test('viewer returns the calling key’s keyId and role, for each role', async () => {
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      const { viewer } = await api.data(ViewerDocument, {}, { as: role });
      expect(viewer).toEqual({ keyId: keyIdOf(api.keys[role]), role: role.toUpperCase() });
    }
  });
});

describe('viewer role', () => {
  test.each(Object.entries(VIEWER_QUERIES))('may run %s', async (_name, run) => {
    const spare = await seed();
    const response = await run({ as: 'viewer' }, spare);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    expect(response.status).toBe(200);
    expect(response.data).toBeTruthy();
  });

  test('sees the seeded data (the queries above are not empty)', async () => {
    await seed();
    const { host } = await api.data(HostDocument, { hostId: 'host_1' }, { as: 'viewer' });
    expect(host!.services).toEqual([{ serviceId: 'svc_1', currentStatus: 'RUNNING' }]);
    expect((await api.data(ServiceHistoryDocument, { serviceId: 'svc_1' }, { as: 'viewer' })).serviceHistory.totalCount).toBe(2);
    expect((await api.data(RecentFailuresDocument, { hours: 1 }, { as: 'viewer' })).recentFailures.totalCount).toBe(1);
  });

  test('may not list API keys (admin only)', async () => {
    expectForbidden(await api.request(ApiKeysDocument, {}, { as: 'viewer' }), 'admin');
  });

  test.each(Object.keys(MUTATIONS))('%s is FORBIDDEN and writes nothing', async (name) => {
    const spare = await seed();
    const before = await snapshot();
    expectForbidden(await MUTATIONS[name]!({ as: 'viewer' }, spare), OPERATOR_MUTATIONS.includes(name) ? 'operator' : 'admin');
    expect(await snapshot()).toBe(before);
  });
});

describe('operator role', () => {
  test('may turn monitoring off and mute alerts', async () => {
    const spare = await seed();
    const monitoring = await MUTATIONS.setServiceMonitoring!({ as: 'operator' }, spare);
    expect(monitoring.errors).toBeUndefined();
    expect(monitoring.data).toMatchObject({ setServiceMonitoring: { serviceId: 'svc_1', monitoring: { enabled: false }, staleAt: null } });
    const mute = await MUTATIONS.muteServiceAlerts!({ as: 'operator' }, spare);
    expect(mute.errors).toBeUndefined();
    expect(mute.data).toEqual({ muteServiceAlerts: { serviceId: 'svc_1', alerting: { muteUntil: '2031-01-01T00:00:00.000Z' } } });
  });

  test.each(Object.keys(MUTATIONS).filter((name) => !OPERATOR_MUTATIONS.includes(name)))('%s is FORBIDDEN and writes nothing', async (name) => {
    const spare = await seed();
    const before = await snapshot();
    expectForbidden(await MUTATIONS[name]!({ as: 'operator' }, spare), 'admin');
    expect(await snapshot()).toBe(before);
  });

  test('may not list API keys', async () => {
    expectForbidden(await api.request(ApiKeysDocument, {}, { as: 'operator' }), 'admin');
  });
});

describe('admin role', () => {
  test.each(Object.keys(MUTATIONS))('may run %s', async (name) => {
    const spare = await seed();
    const before = await snapshot();
    const response = await MUTATIONS[name]!({ as: 'admin' }, spare);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    expect(response.data).toBeTruthy();
    expect(await snapshot()).not.toBe(before);
  });

  test('may list API keys', async () => {
    await seed();
    const { apiKeys } = await api.data(ApiKeysDocument, {}, { as: 'admin' });
    expect(apiKeys.map((k) => k.name).sort()).toEqual(['spare', 'test admin', 'test operator', 'test viewer']);
  });
});

describe('API keys', () => {
  test('createApiKey returns the secret once, as smk_<16 hex>_<43 chars>, matching the new key’s id', async () => {
    const { createApiKey } = await api.data(CreateApiKeyDocument, { name: 'dashboard', role: 'OPERATOR' });
    expect(createApiKey.secret).toMatch(KEY_FORMAT);
    expect(createApiKey.apiKey).toMatchObject({ keyId: keyIdOf(createApiKey.secret), name: 'dashboard', role: 'OPERATOR' });
    expect(Date.parse(createApiKey.apiKey.createdAt)).not.toBeNaN();
    const second = (await api.data(CreateApiKeyDocument, { name: 'dashboard', role: 'OPERATOR' })).createApiKey;
    expect(second.secret).not.toBe(createApiKey.secret);
    expect(second.apiKey.keyId).not.toBe(createApiKey.apiKey.keyId);
  });

  test('the new key works, with the role it was given', async () => {
    const { createApiKey } = await api.data(CreateApiKeyDocument, { name: 'ops bot', role: 'OPERATOR' });
    const spare = await seed();
    expect((await api.data(ViewerDocument, {}, bearer(createApiKey.secret))).viewer).toEqual({ keyId: createApiKey.apiKey.keyId, role: 'OPERATOR' });
    expect((await MUTATIONS.setServiceMonitoring!(bearer(createApiKey.secret), spare)).errors).toBeUndefined();
    expectForbidden(await MUTATIONS.createHost!(bearer(createApiKey.secret), spare), 'admin');
  });

  test('apiKeys lists keys with no way to read a secret', async () => {
    const { createApiKey } = await api.data(CreateApiKeyDocument, { name: 'listed', role: 'VIEWER' });
    const response = await post({ query: '{ apiKeys { keyId name role createdAt lastUsedAt revokedAt } }' }, `Bearer ${api.keys.admin}`);
    expect(response.body.errors).toBeUndefined();
    const listed = (response.body.data as { apiKeys: { keyId: string; name: string; role: string }[] }).apiKeys;
    expect(listed.find((k) => k.keyId === createApiKey.apiKey.keyId)).toMatchObject({ name: 'listed', role: 'VIEWER', revokedAt: null });
    const text = JSON.stringify(response.body);
    for (const secret of [createApiKey.secret, api.keys.admin, api.keys.viewer]) expect(text).not.toContain(secret.slice(22));

    for (const field of ['secret', 'secretSha256', 'secret_sha256']) {
      const asked = await post({ query: `{ apiKeys { keyId ${field} } }` }, `Bearer ${api.keys.admin}`);
      expect(asked.body.errors?.[0]?.extensions?.code, field).toBe('GRAPHQL_VALIDATION_FAILED');
    }
  });

  test('the stored key holds only a SHA-256 of the secret, never the secret', async () => {
    const { createApiKey } = await api.data(CreateApiKeyDocument, { name: 'stored', role: 'ADMIN' });
    const [, keyId, secretPart] = KEY_FORMAT.exec(createApiKey.secret)!;
    const stored = await ApiKeyModel.collection.findOne({ key_id: keyId });
    expect(Object.keys(stored!).sort()).toEqual(['_id', 'created_at', 'expires_at', 'key_id', 'last_used_at', 'name', 'revoked_at', 'role', 'secret_sha256']);
    expect(stored!.secret_sha256).toBe(createHash('sha256').update(secretPart!).digest('hex'));
    const text = JSON.stringify(stored);
    expect(text).not.toContain(secretPart);
    expect(text).not.toContain(createApiKey.secret);
  });

  test('an empty or over-long name is BAD_USER_INPUT at name, and no key is made', async () => {
    const before = await ApiKeyModel.countDocuments();
    for (const name of ['   ', 'x'.repeat(129)]) {
      const response = await api.request(CreateApiKeyDocument, { name, role: 'VIEWER' });
      expect(response.data).toBeNull();
      expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(response.errors?.[0]?.extensions?.fields?.map((f) => f.path)).toEqual(['name']);
    }
    expect(await ApiKeyModel.countDocuments()).toBe(before);
  });

  test('revokeApiKey stops the key at once; other keys keep working', async () => {
    const { createApiKey } = await api.data(CreateApiKeyDocument, { name: 'short-lived', role: 'ADMIN' });
    expect((await api.data(ViewerDocument, {}, bearer(createApiKey.secret))).viewer.role).toBe('ADMIN');

    const { revokeApiKey } = await api.data(RevokeApiKeyDocument, { keyId: createApiKey.apiKey.keyId });
    expect(revokeApiKey.keyId).toBe(createApiKey.apiKey.keyId);
    expect(Date.parse(revokeApiKey.revokedAt!)).toBeGreaterThan(Date.now() - 60_000);

    const after = await api.request(ViewerDocument, {}, bearer(createApiKey.secret));
    expect(after.status).toBe(401);
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await api.data(ViewerDocument, {}, { as: 'admin' })).viewer.role).toBe('ADMIN');
    const listed = (await api.data(ApiKeysDocument, {})).apiKeys.find((k) => k.keyId === createApiKey.apiKey.keyId);
    expect(listed!.revokedAt).toBe(revokeApiKey.revokedAt);
  });

  test('revoking a revoked key changes nothing: it keeps its first revokedAt', async () => {
    const issued = await api.apiKeys.issue('twice', 'viewer');
    const first = (await api.data(RevokeApiKeyDocument, { keyId: issued.apiKey.key_id })).revokeApiKey;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = (await api.data(RevokeApiKeyDocument, { keyId: issued.apiKey.key_id })).revokeApiKey;
    expect(second).toEqual(first);
    expect((await api.request(ViewerDocument, {}, bearer(issued.secret))).status).toBe(401);
  });

  test('a key can revoke itself, and its next request is refused', async () => {
    const issued = await api.apiKeys.issue('self', 'admin');
    expect((await api.request(RevokeApiKeyDocument, { keyId: issued.apiKey.key_id }, bearer(issued.secret))).errors).toBeUndefined();
    expect((await api.request(ViewerDocument, {}, bearer(issued.secret))).status).toBe(401);
  });

  test('revoking an unknown keyId is NOT_FOUND naming it', async () => {
    const response = await api.request(RevokeApiKeyDocument, { keyId: 'ffffffffffffffff' });
    expect(response.data).toBeNull();
    expect(response.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(response.errors?.[0]?.message).toContain('ffffffffffffffff');
  });

  test('using a key records when it was last used', async () => {
    const issued = await api.apiKeys.issue('used', 'viewer');
    expect((await ApiKeyModel.findOne({ key_id: issued.apiKey.key_id }).lean())!.last_used_at).toBeNull();
    await api.data(ViewerDocument, {}, bearer(issued.secret));
    const listed = (await api.data(ApiKeysDocument, {})).apiKeys.find((k) => k.keyId === issued.apiKey.key_id);
    expect(Date.parse(listed!.lastUsedAt!)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('error responses', () => {
  test('never carry a stack trace or database internals, whatever the error', async () => {
    await seed();
    const admin = `Bearer ${api.keys.admin}`;
    const hostInput = { hostId: 'host_1', hostname: 'host-1', ipAddress: '10.0.0.1', environment: 'DEV', region: 'eu-west', sshConfig: { user: 'ubuntu' } };
    const bodies = await Promise.all([
      post({ query: '{ viewer { keyId } }' }), // UNAUTHENTICATED
      post({ query: '{ viewer { keyId } }' }, 'Bearer smk_0123456789abcdef_' + 'A'.repeat(43)), // unknown key
      post({ query: '{ apiKeys { keyId } }' }, `Bearer ${api.keys.viewer}`), // FORBIDDEN
      post({ query: '{ viewer { keyId ' }, admin), // parse error
      post({ query: '{ hosts { nope } }' }, admin), // validation error
      post({ query: 'mutation($i: HostCreateInput!) { createHost(input: $i) { hostId } }', variables: { i: hostInput } }, admin), // duplicate (E11000 inside)
      post({ query: 'mutation { createEnvironment(input: { name: DEV }) { name } }' }, admin), // duplicate environment
      post({ query: 'mutation { updateHost(hostId: "host_1", input: { sshConfig: { port: 0 }, ipAddress: "x" }) { hostId } }' }, admin), // validation
      post({ query: 'mutation { deleteHost(hostId: "host_ghost") { hostId } }' }, admin), // NOT_FOUND
      post({ query: '{ hosts(after: "@@@") { totalCount } }' }, admin), // bad cursor
      post({ query: '{ hosts(first: 500) { edges { node { services { dependencies { serviceId } } } } } }' }, admin), // too complex
    ]);
    const codes = bodies.map(({ body }) => body.errors?.[0]?.extensions?.code);
    expect(codes).toEqual([
      'UNAUTHENTICATED',
      'UNAUTHENTICATED',
      'FORBIDDEN',
      'GRAPHQL_PARSE_FAILED',
      'GRAPHQL_VALIDATION_FAILED',
      'CONFLICT',
      'CONFLICT',
      'BAD_USER_INPUT',
      'NOT_FOUND',
      'BAD_USER_INPUT',
      'QUERY_TOO_COMPLEX',
    ]);
    for (const { body } of bodies) {
      expectNoLeak(body.errors);
      for (const error of body.errors!) expect(Object.keys(error.extensions ?? {}).sort()).not.toContain('exception');
    }
  });
});
