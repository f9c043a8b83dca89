/**
 * The audit log (issue 10 item 5) over real HTTP: every mutation with who, what, on what, how it ended,
 * when and from where; secrets redacted; failed authentications counted per address; admins only; filters.
 */
import { describe, expect, test, vi } from 'vitest';
import {
  AuditLogDocument,
  CreateApiKeyDocument,
  CreateHostDocument,
  CreateServiceDocument,
  DeleteHostDocument,
  RevokeApiKeyDocument,
  SetServiceMonitoringDocument,
  UpdateHostDocument,
  type AuditLogQuery,
  type AuditLogQueryVariables,
} from '../graphql/generated.js';
import { expectError, useApiServer, type RequestOptions } from '../helpers/api.js';
import { eventually, liveClient } from '../helpers/live-client.js';
import { AuditRecordModel } from '../../src/modules/audit/audit.model.js';
import { AuditService } from '../../src/modules/audit/audit.service.js';
import { sweepExpired } from '../../src/db/ttl-sweep.js';
import { silentLogger } from '../../src/common/logger.js';

const api = useApiServer(import.meta.filename, {}, { keepAliveMs: 30_000 });

type Entry = AuditLogQuery['auditLog']['edges'][number]['node'];
const keyIdOf = (secret: string) => /^smk_([0-9a-f]{16})_/.exec(secret)![1]!;
const bearer = (secret: string): RequestOptions => ({ as: { authorization: `Bearer ${secret}` } });

const HOST = { hostId: 'host_a', hostname: 'host-a', ipAddress: '10.0.0.1', environment: 'DEV', region: 'eu-west', sshConfig: { user: 'ubuntu' } } as const;
const PG_PASSWORD = 'S3cretPassw0rd';
const HTTP_PASSWORD = 'HttpPassw0rd9';
const KEY_PATH = '/root/.ssh/secret_id_rsa';

/** Every record so far (written first), newest first. */
async function entries(variables: AuditLogQueryVariables = {}): Promise<Entry[]> {
  await api.domain.audit.flush();
  return (await api.data(AuditLogDocument, { first: 500, ...variables })).auditLog.edges.map((e) => e.node);
}

describe('mutations', () => {
  test('each is recorded: actor (key id, name, role), operation and its name, arguments, targets, outcome, time, client address', async () => {
    const before = Date.now();
    const response = await api.post(
      { query: 'mutation AddHost($input: HostCreateInput!) { createHost(input: $input) { hostId } }', operationName: 'AddHost', variables: { input: HOST } },
      { authorization: `Bearer ${api.keys.admin}` },
    );
    expect(response.status).toBe(200);
    const [entry, ...others] = await entries({ filter: { operation: 'createHost' } });
    expect(others).toEqual([]);
    expect(entry).toMatchObject({
      actor: { type: 'API_KEY', keyId: keyIdOf(api.keys.admin), name: 'test admin', role: 'ADMIN' },
      channel: 'HTTP',
      operation: 'createHost',
      operationName: 'AddHost',
      arguments: { input: { ...HOST, environment: 'dev' } },
      targets: [{ type: 'host', id: 'host_a' }],
      outcome: 'SUCCESS',
      errorCode: null,
      count: 1,
    });
    expect(entry!.clientAddress).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
    expect(Date.parse(entry!.at)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(entry!.at)).toBeLessThanOrEqual(Date.now());
  });

  test('several mutations in one operation: one record each, in the order they ran, with what each acted on', async () => {
    await api.data(CreateHostDocument, { input: HOST });
    await api.data(CreateServiceDocument, { input: { serviceId: 'svc_a', hostId: 'host_a', serviceName: 'nginx.service', serviceType: 'nginx' } });
    const response = await api.post(
      { query: 'mutation Cleanup { off: setServiceMonitoring(serviceId: "svc_a", enabled: false) { serviceId } gone: deleteHost(hostId: "host_a") { hostId } }' },
      { authorization: `Bearer ${api.keys.admin}` },
    );
    expect(response.status).toBe(200);
    const recorded = (await entries()).filter((e) => e.operationName === 'Cleanup').reverse();
    expect(recorded.map((e) => [e.operation, e.outcome])).toEqual([
      ['setServiceMonitoring', 'SUCCESS'],
      ['deleteHost', 'SUCCESS'],
    ]);
    expect(recorded[0]!.targets).toEqual([{ type: 'service', id: 'svc_a' }, { type: 'host', id: 'host_a' }]);
    // The services deleted with the host are named too.
    expect(recorded[1]!.targets).toEqual([{ type: 'host', id: 'host_a' }, { type: 'service', id: 'svc_a' }]);
  });

  test('failures carry their error code: not found, forbidden (with the refused key as actor), conflict', async () => {
    expectError(await api.request(DeleteHostDocument, { hostId: 'host_ghost' }), 'NOT_FOUND');
    expectError(await api.request(CreateHostDocument, { input: HOST }, { as: 'viewer' }), 'FORBIDDEN');
    await api.data(CreateHostDocument, { input: HOST });
    expectError(await api.request(CreateHostDocument, { input: HOST }), 'CONFLICT');
    const failed = await entries({ filter: { outcome: 'FAILURE' } });
    expect(failed.map((e) => [e.operation, e.errorCode, e.actor.role, e.targets])).toEqual([
      ['createHost', 'CONFLICT', 'ADMIN', [{ type: 'host', id: 'host_a' }]],
      ['createHost', 'FORBIDDEN', 'VIEWER', [{ type: 'host', id: 'host_a' }]],
      ['deleteHost', 'NOT_FOUND', 'ADMIN', [{ type: 'host', id: 'host_ghost' }]],
    ]);
  });

  test('a mutation refused before it ran (too complex) is recorded with the refusal’s code', async () => {
    await api.data(CreateHostDocument, { input: HOST });
    const nested = 'services { dependencies { host { services { dependencies { host { services { serviceId } } } } } } }';
    const response = await api.post(
      { query: `mutation Heavy { updateHost(hostId: "host_a", input: { hostname: "heavy" }) { ${nested} } }` },
      { authorization: `Bearer ${api.keys.admin}` },
    );
    const code = ((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code;
    expect(code).toBe('QUERY_TOO_COMPLEX');
    const [entry] = await entries({ filter: { operation: 'updateHost' } });
    expect(entry).toMatchObject({ operationName: 'Heavy', outcome: 'FAILURE', errorCode: 'QUERY_TOO_COMPLEX' });
    expect((await api.domain.hosts.require('host_a')).hostname).toBe('host-a');
  });

  test('key creation and revocation are recorded with the new key’s id, never its secret', async () => {
    const { createApiKey } = await api.data(CreateApiKeyDocument, { name: 'ci bot', role: 'OPERATOR' });
    await api.data(RevokeApiKeyDocument, { keyId: createApiKey.apiKey.keyId });
    const keyId = createApiKey.apiKey.keyId;
    const recorded = await entries({ filter: { targetId: keyId } });
    expect(recorded.map((e) => [e.operation, e.outcome, e.targets])).toEqual([
      ['revokeApiKey', 'SUCCESS', [{ type: 'api_key', id: keyId }]],
      ['createApiKey', 'SUCCESS', [{ type: 'api_key', id: keyId }]],
    ]);
    expect(recorded[1]!.arguments).toEqual({ name: 'ci bot', role: 'operator' });
    const secretPart = createApiKey.secret.slice(22);
    expect(JSON.stringify(await entries())).not.toContain(secretPart);
    expect(JSON.stringify(await AuditRecordModel.collection.find().toArray())).not.toContain(secretPart);
  });
});

describe('secrets', () => {
  test('target passwords, SSH key paths and key secrets are redacted in the stored and the returned records', async () => {
    await api.data(CreateHostDocument, { input: { ...HOST, sshConfig: { user: 'ubuntu', keyPath: KEY_PATH } } });
    await api.data(UpdateHostDocument, { hostId: 'host_a', input: { sshConfig: { keyPath: `${KEY_PATH}2` } } });
    await api.data(CreateServiceDocument, {
      input: {
        serviceId: 'svc_pg',
        hostId: 'host_a',
        serviceName: 'postgresql.service',
        serviceType: 'postgresql',
        monitoring: { method: 'DATABASE', target: `postgresql://monitor:${PG_PASSWORD}@127.0.0.1:4235/app` },
        healthCheck: { endpoint: `http://admin:${HTTP_PASSWORD}@127.0.0.1:8080/health` },
      },
    });
    // A secret in a place no field name gives away: a key pasted into a free-text field.
    const pasted = (await api.apiKeys.issue('pasted', 'viewer')).secret;
    await api.data(CreateApiKeyDocument, { name: `key ${pasted.slice(0, 40)}`, role: 'VIEWER' });

    const all = await entries();
    const created = all.find((e) => e.operation === 'createService')!;
    const monitoring = (created.arguments as { input: { monitoring: { target: string }; healthCheck: { endpoint: string } } }).input;
    expect(monitoring.monitoring.target).toBe('postgresql://monitor:***@127.0.0.1:4235/app');
    expect(monitoring.healthCheck.endpoint).toBe('http://admin:***@127.0.0.1:8080/health');
    const host = all.find((e) => e.operation === 'createHost')!;
    expect((host.arguments as { input: { sshConfig: { keyPath: string } } }).input.sshConfig.keyPath).toBe('***');
    for (const text of [JSON.stringify(all), JSON.stringify(await AuditRecordModel.collection.find().toArray())]) {
      for (const secret of [PG_PASSWORD, HTTP_PASSWORD, 'secret_id_rsa', pasted.slice(22, 40)]) expect(text).not.toContain(secret);
    }
  });
});

describe('failed authentication', () => {
  test('is counted: one record per source address per minute, with how many, the keys claimed and why the first was refused', async () => {
    const admin = keyIdOf(api.keys.admin);
    const attempts = [
      `Bearer smk_${admin}_${'B'.repeat(43)}`,
      `Bearer smk_0123456789abcdef_${'A'.repeat(43)}`,
      'Bearer not-a-key',
      undefined,
      `Bearer smk_${admin}_${'C'.repeat(43)}`,
    ];
    for (const authorization of attempts) {
      const response = await api.post({ query: '{ viewer { keyId } }' }, authorization ? { authorization } : {});
      expect(response.status).toBe(401);
    }
    const [entry, ...more] = await entries({ filter: { operation: 'authenticate' } });
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ actor: { type: 'ANONYMOUS', keyId: null }, channel: 'HTTP', outcome: 'FAILURE', errorCode: 'UNAUTHENTICATED', count: 5, message: 'wrong secret' });
    expect(entry!.clientAddress).toMatch(/127\.0\.0\.1$/);
    expect(entry!.targets).toEqual([{ type: 'api_key', id: admin }, { type: 'api_key', id: '0123456789abcdef' }]);
    expect(Date.parse(entry!.lastAt!)).toBeGreaterThanOrEqual(Date.parse(entry!.at));
  });

  test('a flood costs a handful of writes, not one per request', async () => {
    await Promise.all(Array.from({ length: 200 }, () => api.post({ query: '{ viewer { keyId } }' }, { authorization: 'Bearer nope' })));
    const [entry] = await entries({ filter: { operation: 'authenticate' } });
    expect(entry!.count).toBe(200);
    expect(await AuditRecordModel.countDocuments({ operation: 'authenticate' })).toBe(1);
  });

  test('a refused socket is counted too (channel SOCKET), with the reason', async () => {
    const revoked = await api.apiKeys.issue('revoked', 'viewer');
    await api.apiKeys.revoke(revoked.apiKey.key_id);
    const client = liveClient(api.url, revoked.secret);
    expect((await client.closed).code).toBe(4403);
    await client.dispose();
    await eventually(async () => (await entries({ filter: { operation: 'authenticate' } })).length === 1);
    const [entry] = await entries({ filter: { operation: 'authenticate' } });
    expect(entry).toMatchObject({ channel: 'SOCKET', count: 1, message: 'revoked key', targets: [{ type: 'api_key', id: revoked.apiKey.key_id }] });
  });
});

describe('reading the log', () => {
  test('is for admins only', async () => {
    for (const role of ['viewer', 'operator'] as const) {
      const response = await api.request(AuditLogDocument, {}, { as: role });
      expect(expectError(response, 'FORBIDDEN').message).toContain('admin');
      expect(response.data).toBeNull();
    }
  });

  test('filters by actor, actor type, target, operation, outcome and time, and pages newest first', async () => {
    await api.data(CreateHostDocument, { input: HOST });
    await api.data(CreateServiceDocument, { input: { serviceId: 'svc_a', hostId: 'host_a', serviceName: 'nginx.service', serviceType: 'nginx' } });
    await api.domain.audit.flush();
    const middle = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await api.data(SetServiceMonitoringDocument, { serviceId: 'svc_a', enabled: false }, { as: 'operator' });
    expectError(await api.request(DeleteHostDocument, { hostId: 'host_ghost' }), 'NOT_FOUND');
    api.events.publish('recovery.event', {
      service_id: 'svc_a', host_id: 'host_a', labels: { environment: 'dev', region: 'eu-west', service_type: 'nginx', severity: 'medium' },
      history_id: null, kind: 'gave_up', action: null, message: 'gave up: 3 attempts within 300 s', at: new Date(),
    });

    const ops = (list: Entry[]) => list.map((e) => e.operation);
    expect(ops(await entries())).toEqual(['recoveryGaveUp', 'deleteHost', 'setServiceMonitoring', 'createService', 'createHost']);
    expect(ops(await entries({ filter: { actorKeyId: keyIdOf(api.keys.operator) } }))).toEqual(['setServiceMonitoring']);
    expect(ops(await entries({ filter: { actorType: 'SYSTEM' } }))).toEqual(['recoveryGaveUp']);
    expect(ops(await entries({ filter: { targetId: 'svc_a' } }))).toEqual(['recoveryGaveUp', 'setServiceMonitoring', 'createService']);
    // A service's mutation names its host too (from the service it returns).
    expect(ops(await entries({ filter: { targetId: 'host_a', targetType: 'host' } }))).toEqual(['recoveryGaveUp', 'setServiceMonitoring', 'createService', 'createHost']);
    expect(ops(await entries({ filter: { targetId: 'svc_a', targetType: 'host' } }))).toEqual([]);
    expect(ops(await entries({ filter: { operation: 'createService' } }))).toEqual(['createService']);
    expect(ops(await entries({ filter: { outcome: 'FAILURE', actorType: 'API_KEY' } }))).toEqual(['deleteHost']);
    expect(ops(await entries({ filter: { since: middle.toISOString() } }))).toEqual(['recoveryGaveUp', 'deleteHost', 'setServiceMonitoring']);
    expect(ops(await entries({ filter: { until: middle.toISOString() } }))).toEqual(['createService', 'createHost']);
    expectError(await api.request(AuditLogDocument, { filter: { since: middle.toISOString(), until: middle.toISOString() } }), 'BAD_USER_INPUT');

    const first = (await api.data(AuditLogDocument, { first: 2 })).auditLog;
    expect(first.totalCount).toBe(5);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await api.data(AuditLogDocument, { first: 2, after: first.pageInfo.endCursor })).auditLog;
    const third = (await api.data(AuditLogDocument, { first: 2, after: second.pageInfo.endCursor })).auditLog;
    expect([...first.edges, ...second.edges, ...third.edges].map((e) => e.node.operation)).toEqual(ops(await entries()));
    expect(third.pageInfo.hasNextPage).toBe(false);
  });

  test('what the engine did on its own has the system actor', async () => {
    api.events.publish('recovery.event', {
      service_id: 'svc_b', host_id: 'host_b', labels: { environment: 'dev', region: 'eu-west', service_type: 'nginx', severity: 'medium' },
      history_id: '65f000000000000000000001', kind: 'succeeded', action: 'restart', message: 'restart done; re-check found running', at: new Date(),
    });
    const [entry] = await entries();
    expect(entry).toMatchObject({
      actor: { type: 'SYSTEM', name: 'engine', keyId: null, role: null },
      channel: 'SYSTEM',
      operation: 'recovery',
      outcome: 'SUCCESS',
      arguments: { action: 'restart', historyId: '65f000000000000000000001' },
      targets: [{ type: 'service', id: 'svc_b' }, { type: 'host', id: 'host_b' }],
      message: 'restart done; re-check found running',
      clientAddress: null,
    });
  });
});

describe('writing', () => {
  test('never holds up a mutation: with the audit write stuck, the mutation answers at once, and the record follows', async () => {
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const insertMany = AuditRecordModel.collection.insertMany.bind(AuditRecordModel.collection);
    const spy = vi.spyOn(AuditRecordModel.collection, 'insertMany').mockImplementation((async (...args: Parameters<typeof insertMany>) => {
      await stuck;
      return insertMany(...args);
    }) as typeof insertMany);
    try {
      const started = Date.now();
      await api.data(CreateHostDocument, { input: HOST });
      await api.data(UpdateHostDocument, { hostId: 'host_a', input: { hostname: 'renamed' } });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(await AuditRecordModel.countDocuments()).toBe(0);
      release();
      await api.domain.audit.flush();
      expect(await AuditRecordModel.countDocuments()).toBe(2);
    } finally {
      release();
      spy.mockRestore();
    }
  });

  test('a write that keeps failing is retried, then logged with what the record said (never silently lost)', async () => {
    const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
    const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields });
    const audit = new AuditService({}, { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => silentLogger }, { writer: { retryDelaysMs: [10, 10] } });
    const spy = vi.spyOn(AuditRecordModel.collection, 'insertMany').mockRejectedValue(new Error('connection reset'));
    try {
      audit.record({ actor: { type: 'api_key', key_id: 'abc', name: 'n', role: 'admin' }, channel: 'http', operation: 'deleteHost', arguments: { hostId: 'h' }, outcome: 'success' });
      await audit.flush();
      expect(spy).toHaveBeenCalledTimes(3);
    } finally {
      spy.mockRestore();
    }
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(2);
    const lost = lines.filter((l) => l.level === 'error');
    expect(lost).toHaveLength(1);
    expect(lost[0]!.message).toContain('lost');
    expect(lost[0]!.fields).toMatchObject({ reason: 'connection reset', record: { operation: 'deleteHost', actor: { key_id: 'abc' }, arguments: '{"hostId":"h"}' } });
  });

  test('closing with a deadline (shutdown, the database gone) does not hang: what is left is logged as lost', async () => {
    const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
    const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields });
    const audit = new AuditService({}, { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => silentLogger }, { writer: { retryDelaysMs: [60_000] } });
    const spy = vi.spyOn(AuditRecordModel.collection, 'insertMany').mockRejectedValue(new Error('connection reset'));
    try {
      audit.record({ actor: { type: 'system', name: 'test' }, channel: 'system', operation: 'recovery', outcome: 'success' });
      const started = Date.now();
      await audit.close(200);
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      spy.mockRestore();
    }
    const lost = lines.filter((l) => l.level === 'error');
    expect(lost).toHaveLength(1);
    expect(lost[0]!.message).toContain('lost');
    expect(lost[0]!.fields).toMatchObject({ waitedMs: 200, batchBeingWritten: 1 });
  });
});

describe('retention', () => {
  test('records expire AUDIT_RETENTION_DAYS after they were made (TTL index; swept where the server has none)', async () => {
    const indexes = await AuditRecordModel.collection.indexes();
    expect(indexes.find((i) => i.name === 'expires_at_1')).toMatchObject({ expireAfterSeconds: 0 });
    for (const keys of ['at_-1__id_-1', 'actor.key_id_1_at_-1', 'targets.id_1_at_-1', 'operation_1_at_-1']) expect(indexes.map((i) => i.name)).toContain(keys);

    const audit = new AuditService({ auditRetentionDays: 7 });
    audit.record({ actor: { type: 'system', name: 'test' }, channel: 'system', operation: 'recovery', outcome: 'success', at: new Date(Date.now() - 8 * 86_400_000) });
    audit.record({ actor: { type: 'system', name: 'test' }, channel: 'system', operation: 'recovery', outcome: 'success' });
    await audit.flush();
    const stored = await AuditRecordModel.find().sort({ at: 1 }).lean();
    expect(+stored[1]!.expires_at - +stored[1]!.at).toBe(7 * 86_400_000);
    const deleted = await sweepExpired(api.database.db, { batchSize: 10 });
    expect(deleted.audit_log).toBe(1);
    expect(await AuditRecordModel.countDocuments()).toBe(1);
  });
});

