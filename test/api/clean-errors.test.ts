/**
 * Issue 10 item 6: hostile inputs on every mutation get clean errors. Over real HTTP against the real server:
 * wrong types, too long strings, negative and huge numbers, unknown enum values, unknown ids, duplicates.
 * Every answer carries exactly one error with the expected `extensions.code`; no mongoose or driver
 * wording, no stack; fields are named as the API spells them (camelCase), never by their stored names;
 * one problem gives one message; a long value is never echoed back whole.
 */
import { beforeEach, describe, expect, test } from 'vitest';
import { useApiServer, type GraphQLResponse } from '../helpers/api.js';

const api = useApiServer(import.meta.filename);

/** Wording of mongoose, the driver or the server's internals; none of it may reach a client. */
const INTERNALS = /Cast to|Path `|validation failed|Validator failed|E11000|dup key|MongoServerError|MongoError|MongoBulkWriteError|ValidationError|CastError|ValidatorError|BSON|mongoose|typegoose|ObjectId|\$set|stacktrace|\bat path\b|Internal server error/i;

/** A stored (snake_case) field name outside quoted values, e.g. `interval_sec` or `ssh_config.port`. */
const STORED_NAME = /\b[a-z][a-z0-9]*_[a-z0-9_]+\b/;
const withoutQuotedValues = (text: string) => text.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/'(?:[^'\\]|\\.)*'/g, "''");

const LONG = 'x'.repeat(5_000);

type Variables = Record<string, unknown>;
interface Case {
  name: string;
  query: string;
  variables?: Variables;
  as?: 'admin' | 'operator' | 'viewer';
  code: 'BAD_USER_INPUT' | 'GRAPHQL_VALIDATION_FAILED' | 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN';
  /** For domain input errors: the API paths named in extensions.fields, exactly (one each). */
  fields?: string[];
  /** The whole message must match. */
  message?: RegExp;
}

async function send(query: string, variables: Variables = {}, as: Case['as'] = 'admin'): Promise<GraphQLResponse<Record<string, unknown>>> {
  const response = await api.post({ query, variables }, { authorization: `Bearer ${api.keys[as]}` });
  return { status: response.status, ...((await response.json()) as object) };
}

function expectClean(response: GraphQLResponse<unknown>, c: Case) {
  const text = JSON.stringify(response);
  expect(response.errors, `${c.name}: ${text}`).toHaveLength(1);
  const error = response.errors![0]!;
  expect(error.extensions?.code, `${c.name}: ${text}`).toBe(c.code);
  expect(text, c.name).not.toMatch(INTERNALS);
  // The code and, for input errors, the fields: no stack trace, no exception, nothing else.
  for (const key of Object.keys(error.extensions ?? {})) expect(['code', 'fields'], `${c.name}: ${text}`).toContain(key);
  if (c.fields) expect(error.extensions?.fields, `${c.name}: ${text}`).toBeDefined();
  // No long input comes back whole (5,000 characters in, a short message out).
  expect(error.message.length, `${c.name}: ${error.message}`).toBeLessThan(600);
  expect(withoutQuotedValues(error.message), `${c.name}: ${error.message}`).not.toMatch(STORED_NAME);
  if (c.message) expect(error.message, c.name).toMatch(c.message);
  if (c.fields) {
    const fields = error.extensions!.fields!;
    expect(fields.map((f) => f.path).sort(), `${c.name}: ${text}`).toEqual([...c.fields].sort());
    for (const f of fields) {
      expect(withoutQuotedValues(f.message), `${c.name}: ${f.message}`).not.toMatch(STORED_NAME);
      expect(f.message.length, c.name).toBeLessThan(300);
    }
  }
  return error;
}

const CREATE_HOST = `mutation($input: HostCreateInput!) { createHost(input: $input) { hostId } }`;
const UPDATE_HOST = `mutation($hostId: String!, $input: HostUpdateInput!) { updateHost(hostId: $hostId, input: $input) { hostId } }`;
const DELETE_HOST = `mutation($hostId: String!) { deleteHost(hostId: $hostId) { hostId } }`;
const CREATE_SERVICE = `mutation($input: ServiceCreateInput!) { createService(input: $input) { serviceId } }`;
const UPDATE_SERVICE = `mutation($serviceId: String!, $input: ServiceUpdateInput!) { updateService(serviceId: $serviceId, input: $input) { serviceId } }`;
const DELETE_SERVICE = `mutation($serviceId: String!) { deleteService(serviceId: $serviceId) }`;
const SET_MONITORING = `mutation($serviceId: String!, $enabled: Boolean!) { setServiceMonitoring(serviceId: $serviceId, enabled: $enabled) { serviceId } }`;
const MUTE = `mutation($serviceId: String!, $until: DateTime) { muteServiceAlerts(serviceId: $serviceId, until: $until) { serviceId } }`;
const RUN_CHECK = `mutation($serviceId: String!) { runCheck(serviceId: $serviceId) { status } }`;
const RECOVER = `mutation($serviceId: String!, $action: RecoverAction!) { recoverService(serviceId: $serviceId, action: $action) { attempted } }`;
const CREATE_ENV = `mutation($input: EnvironmentCreateInput!) { createEnvironment(input: $input) { name } }`;
const UPDATE_ENV = `mutation($name: EnvironmentName!, $input: EnvironmentUpdateInput!) { updateEnvironment(name: $name, input: $input) { name } }`;
const DELETE_ENV = `mutation($name: EnvironmentName!) { deleteEnvironment(name: $name) }`;
const IMPORT = `mutation($config: JSON!, $region: String! = "default") { importConfig(input: { config: $config, environment: PRODUCTION, region: $region }) { targets rejected { index problems { field message } } } }`;
const CREATE_KEY = `mutation($name: String!, $role: Role!, $expiresAt: DateTime) { createApiKey(name: $name, role: $role, expiresAt: $expiresAt) { apiKey { keyId } } }`;
const UPDATE_KEY = `mutation($keyId: String!, $input: ApiKeyUpdateInput!) { updateApiKey(keyId: $keyId, input: $input) { keyId } }`;
const REVOKE_KEY = `mutation($keyId: String!) { revokeApiKey(keyId: $keyId) { keyId } }`;

const host = { hostId: 'host_a', hostname: 'host-a', ipAddress: '10.0.0.1', environment: 'STAGING', region: 'r1', sshConfig: { user: 'ubuntu' } };
const service = { serviceId: 'svc_a', hostId: 'host_a', serviceName: 'nginx.service', serviceType: 'nginx' };
const newHost = (input: Variables) => ({ input: { ...host, hostId: 'host_b', ...input } });
const newService = (input: Variables) => ({ input: { ...service, serviceId: 'svc_b', ...input } });
const monitoring = (m: Variables) => newService({ monitoring: m });

beforeEach(async () => {
  const created = await send(CREATE_HOST, { input: host });
  expect(created.errors).toBeUndefined();
  expect((await send(CREATE_SERVICE, { input: service })).errors).toBeUndefined();
});

const cases: Case[] = [
  // --- createHost
  { name: 'createHost: a number for a string', query: CREATE_HOST, variables: newHost({ hostId: 5 }), code: 'BAD_USER_INPUT' },
  { name: 'createHost: text for the SSH port', query: CREATE_HOST, variables: newHost({ sshConfig: { user: 'u', port: 'abc' } }), code: 'BAD_USER_INPUT' },
  { name: 'createHost: a port beyond 32 bits', query: CREATE_HOST, variables: newHost({ sshConfig: { user: 'u', port: 2 ** 40 } }), code: 'BAD_USER_INPUT' },
  { name: 'createHost: an unknown environment', query: CREATE_HOST, variables: newHost({ environment: 'MARS' }), code: 'BAD_USER_INPUT' },
  { name: 'createHost: an unknown field', query: CREATE_HOST, variables: newHost({ sshPort: 22 }), code: 'BAD_USER_INPUT' },
  { name: 'createHost: a negative port', query: CREATE_HOST, variables: newHost({ sshConfig: { user: 'u', port: -1 } }), code: 'BAD_USER_INPUT', fields: ['sshConfig.port'], message: /^sshConfig\.port: must be at least 1, got -1$/ },
  { name: 'createHost: a port too high', query: CREATE_HOST, variables: newHost({ sshConfig: { user: 'u', port: 70_000 } }), code: 'BAD_USER_INPUT', fields: ['sshConfig.port'], message: /must be at most 65535/ },
  { name: 'createHost: a 5,000-character host name', query: CREATE_HOST, variables: newHost({ hostname: LONG }), code: 'BAD_USER_INPUT', fields: ['hostname'], message: /\(5000 characters\)/ },
  { name: 'createHost: a 5,000-character id', query: CREATE_HOST, variables: newHost({ hostId: LONG }), code: 'BAD_USER_INPUT', fields: ['hostId'] },
  { name: 'createHost: a bad address', query: CREATE_HOST, variables: newHost({ ipAddress: '999.1.1.1' }), code: 'BAD_USER_INPUT', fields: ['ipAddress'] },
  { name: 'createHost: long location and metadata', query: CREATE_HOST, variables: newHost({ location: { datacenter: LONG, rack: LONG }, metadata: { os: LONG, tags: [LONG] } }), code: 'BAD_USER_INPUT', fields: ['location.datacenter', 'location.rack', 'metadata.os', 'metadata.tags'] },
  { name: 'createHost: a relative key path', query: CREATE_HOST, variables: newHost({ sshConfig: { user: 'u', keyPath: 'keys/id_rsa' } }), code: 'BAD_USER_INPUT', fields: ['sshConfig.keyPath'], message: /^sshConfig\.keyPath: must be an absolute path$/ },
  { name: 'createHost: an empty SSH user', query: CREATE_HOST, variables: newHost({ sshConfig: { user: '' } }), code: 'BAD_USER_INPUT', fields: ['sshConfig.user'] },
  { name: 'createHost: a duplicate id', query: CREATE_HOST, variables: { input: host }, code: 'CONFLICT', message: /^host 'host_a' already exists$/ },
  { name: 'createHost: a viewer', query: CREATE_HOST, variables: newHost({}), as: 'viewer', code: 'FORBIDDEN' },
  // --- updateHost
  { name: 'updateHost: an unknown host', query: UPDATE_HOST, variables: { hostId: 'nope', input: { hostname: 'x' } }, code: 'NOT_FOUND' },
  { name: 'updateHost: null for a required field', query: UPDATE_HOST, variables: { hostId: 'host_a', input: { hostname: null, sshConfig: { user: null } } }, code: 'BAD_USER_INPUT', fields: ['hostname', 'sshConfig.user'] },
  { name: 'updateHost: an empty region', query: UPDATE_HOST, variables: { hostId: 'host_a', input: { region: '' } }, code: 'BAD_USER_INPUT', fields: ['region'] },
  { name: 'updateHost: a long region', query: UPDATE_HOST, variables: { hostId: 'host_a', input: { region: LONG } }, code: 'BAD_USER_INPUT', fields: ['region'] },
  { name: 'updateHost: a bad fingerprint', query: UPDATE_HOST, variables: { hostId: 'host_a', input: { sshConfig: { hostKeyFingerprint: 'md5:zz' } } }, code: 'BAD_USER_INPUT', fields: ['sshConfig.hostKeyFingerprint'] },
  { name: 'updateHost: an unknown status', query: UPDATE_HOST, variables: { hostId: 'host_a', input: { status: 'EXPLODED' } }, code: 'BAD_USER_INPUT' },
  { name: 'updateHost: a list for a string', query: UPDATE_HOST, variables: { hostId: 'host_a', input: { hostname: ['a', 'b'] } }, code: 'BAD_USER_INPUT' },
  // --- deleteHost
  { name: 'deleteHost: an unknown host', query: DELETE_HOST, variables: { hostId: 'nope' }, code: 'NOT_FOUND' },
  { name: 'deleteHost: a long id', query: DELETE_HOST, variables: { hostId: LONG }, code: 'NOT_FOUND' },
  // --- createService
  { name: 'createService: a negative interval says the interval rule only', query: CREATE_SERVICE, variables: monitoring({ intervalSec: -5 }), code: 'BAD_USER_INPUT', fields: ['monitoring.intervalSec'], message: /^monitoring\.intervalSec: must be at least 5, got -5$/ },
  { name: 'createService: a huge interval', query: CREATE_SERVICE, variables: monitoring({ intervalSec: 1_000_000_000 }), code: 'BAD_USER_INPUT', fields: ['monitoring.intervalSec'], message: /must be at most 86400/ },
  { name: 'createService: a timeout beyond the interval', query: CREATE_SERVICE, variables: monitoring({ intervalSec: 10, timeoutSec: 20 }), code: 'BAD_USER_INPUT', fields: ['monitoring.timeoutSec'], message: /^monitoring\.timeoutSec: must not exceed the check interval \(10 seconds\), got 20$/ },
  { name: 'createService: a zero timeout and a negative interval', query: CREATE_SERVICE, variables: monitoring({ intervalSec: -1, timeoutSec: 0 }), code: 'BAD_USER_INPUT', fields: ['monitoring.intervalSec', 'monitoring.timeoutSec'] },
  { name: 'createService: negative retries and delays', query: CREATE_SERVICE, variables: monitoring({ retryAttempts: -1, retryDelaySec: -1, tlsExpiryWarningDays: -1 }), code: 'BAD_USER_INPUT', fields: ['monitoring.retryAttempts', 'monitoring.retryDelaySec', 'monitoring.tlsExpiryWarningDays'] },
  { name: 'createService: a fractional interval', query: CREATE_SERVICE, variables: monitoring({ intervalSec: 7.5 }), code: 'BAD_USER_INPUT' },
  { name: 'createService: text for an interval', query: CREATE_SERVICE, variables: monitoring({ intervalSec: 'soon' }), code: 'BAD_USER_INPUT' },
  { name: 'createService: a long list for a text', query: CREATE_SERVICE, variables: newService({ description: Array.from({ length: 500 }, (_, i) => `item-${i}`) }), code: 'BAD_USER_INPUT' },
  { name: 'createService: an unknown method', query: CREATE_SERVICE, variables: monitoring({ method: 'CARRIER_PIGEON' }), code: 'BAD_USER_INPUT' },
  { name: 'createService: an HTTP status out of range', query: CREATE_SERVICE, variables: monitoring({ expectedStatus: [200, 999] }), code: 'BAD_USER_INPUT', fields: ['monitoring.expectedStatus'] },
  { name: 'createService: a target of another scheme', query: CREATE_SERVICE, variables: monitoring({ method: 'HTTP', target: 'ftp://files/' }), code: 'BAD_USER_INPUT', fields: ['monitoring.target'] },
  { name: 'createService: an HTTP check without a target', query: CREATE_SERVICE, variables: monitoring({ method: 'HTTP' }), code: 'BAD_USER_INPUT', fields: ['monitoring.target'] },
  { name: 'createService: a long target', query: CREATE_SERVICE, variables: monitoring({ method: 'HTTP', target: `http://example.com/${LONG}` }), code: 'BAD_USER_INPUT', fields: ['monitoring.target'], message: /^monitoring\.target: must be at most 2048 characters, got 5019$/ },
  { name: 'createService: a long health endpoint', query: CREATE_SERVICE, variables: newService({ healthCheck: { endpoint: `ftp://example.com/${LONG}` } }), code: 'BAD_USER_INPUT', fields: ['healthCheck.endpoint'], message: /^healthCheck\.endpoint: must be at most 2048 characters, got 5018$/ },
  { name: 'createService: long texts', query: CREATE_SERVICE, variables: newService({ displayName: LONG, description: LONG, monitoring: { bodyContains: LONG, jsonValue: LONG }, healthCheck: { expectedResponse: LONG } }), code: 'BAD_USER_INPUT', fields: ['displayName', 'description', 'monitoring.bodyContains', 'monitoring.jsonValue', 'healthCheck.expectedResponse'] },
  { name: 'createService: a hostile unit name', query: CREATE_SERVICE, variables: newService({ serviceName: "x'; rm -rf / #" }), code: 'BAD_USER_INPUT', fields: ['serviceName'] },
  { name: 'createService: a long unit name', query: CREATE_SERVICE, variables: newService({ serviceName: `${LONG}.service` }), code: 'BAD_USER_INPUT', fields: ['serviceName'] },
  { name: 'createService: a bad type', query: CREATE_SERVICE, variables: newService({ serviceType: 'my sql!' }), code: 'BAD_USER_INPUT', fields: ['serviceType'] },
  { name: 'createService: bad tags', query: CREATE_SERVICE, variables: newService({ tags: ['', 'ok', LONG] }), code: 'BAD_USER_INPUT', fields: ['tags'] },
  { name: 'createService: an unknown dependency', query: CREATE_SERVICE, variables: newService({ dependencyIds: ['nope'] }), code: 'BAD_USER_INPUT', fields: ['dependencyIds'] },
  { name: 'createService: itself as a dependency', query: CREATE_SERVICE, variables: newService({ dependencyIds: ['svc_b'] }), code: 'BAD_USER_INPUT', fields: ['dependencyIds'] },
  { name: 'createService: an unknown host', query: CREATE_SERVICE, variables: newService({ hostId: 'nope' }), code: 'BAD_USER_INPUT', fields: ['hostId'] },
  { name: 'createService: a custom script recovery without a script', query: CREATE_SERVICE, variables: newService({ recovery: { recoverAction: 'CUSTOM_SCRIPT' } }), code: 'BAD_USER_INPUT', fields: ['recovery.customScript'], message: /^recovery\.customScript: is required when the recovery action is a custom script$/ },
  { name: 'createService: negative recovery limits', query: CREATE_SERVICE, variables: newService({ recovery: { maxRecoveryAttempts: -1, recoveryCooldownSec: -1 } }), code: 'BAD_USER_INPUT', fields: ['recovery.maxRecoveryAttempts', 'recovery.recoveryCooldownSec'] },
  { name: 'createService: an unknown channel', query: CREATE_SERVICE, variables: newService({ alerting: { channels: ['PIGEON'] } }), code: 'BAD_USER_INPUT' },
  { name: 'createService: a bad instant', query: CREATE_SERVICE, variables: newService({ alerting: { muteUntil: 'tomorrow-ish' } }), code: 'BAD_USER_INPUT' },
  { name: 'createService: a health endpoint that is no URL', query: CREATE_SERVICE, variables: newService({ healthCheck: { enabled: true, endpoint: 'not a url' } }), code: 'BAD_USER_INPUT', fields: ['healthCheck.endpoint'] },
  { name: 'createService: a custom check without its command', query: CREATE_SERVICE, variables: monitoring({ method: 'CUSTOM' }), code: 'BAD_USER_INPUT', fields: ['healthCheck.customCheck'] },
  { name: 'createService: *** with nothing stored', query: CREATE_SERVICE, variables: monitoring({ method: 'HTTP', target: 'http://monitor:***@example.com/' }), code: 'BAD_USER_INPUT', fields: ['monitoring.target'] },
  { name: 'createService: a duplicate id', query: CREATE_SERVICE, variables: { input: service }, code: 'CONFLICT', message: /^service 'svc_a' already exists$/ },
  { name: 'createService: an operator', query: CREATE_SERVICE, variables: newService({}), as: 'operator', code: 'FORBIDDEN' },
  // --- updateService
  { name: 'updateService: an unknown service', query: UPDATE_SERVICE, variables: { serviceId: 'nope', input: { displayName: 'x' } }, code: 'NOT_FOUND' },
  { name: 'updateService: a negative interval says the interval rule only', query: UPDATE_SERVICE, variables: { serviceId: 'svc_a', input: { monitoring: { intervalSec: -5 } } }, code: 'BAD_USER_INPUT', fields: ['monitoring.intervalSec'], message: /^monitoring\.intervalSec: must be at least 5, got -5$/ },
  { name: 'updateService: an interval under the stored timeout', query: UPDATE_SERVICE, variables: { serviceId: 'svc_a', input: { monitoring: { intervalSec: 10 } } }, code: 'BAD_USER_INPUT', fields: ['monitoring.timeoutSec'], message: /must not exceed the check interval \(10 seconds\), got 30/ },
  { name: 'updateService: null for a required field', query: UPDATE_SERVICE, variables: { serviceId: 'svc_a', input: { serviceName: null, serviceType: null } }, code: 'BAD_USER_INPUT', fields: ['serviceName', 'serviceType'] },
  { name: 'updateService: null for a nested required field', query: UPDATE_SERVICE, variables: { serviceId: 'svc_a', input: { monitoring: { intervalSec: null } } }, code: 'BAD_USER_INPUT', fields: ['monitoring.intervalSec'] },
  { name: 'updateService: *** with nothing stored', query: UPDATE_SERVICE, variables: { serviceId: 'svc_a', input: { monitoring: { method: 'HTTP', target: '***' } } }, code: 'BAD_USER_INPUT', fields: ['monitoring.target'] },
  { name: 'updateService: a dependency cycle through itself', query: UPDATE_SERVICE, variables: { serviceId: 'svc_a', input: { dependencyIds: ['svc_a'] } }, code: 'BAD_USER_INPUT', fields: ['dependencyIds'] },
  { name: 'updateService: an object for a list', query: UPDATE_SERVICE, variables: { serviceId: 'svc_a', input: { tags: { a: 1 } } }, code: 'BAD_USER_INPUT' },
  { name: 'updateService: an unknown severity', query: UPDATE_SERVICE, variables: { serviceId: 'svc_a', input: { alerting: { severity: 'APOCALYPTIC' } } }, code: 'BAD_USER_INPUT' },
  // --- other service mutations
  { name: 'deleteService: an unknown service', query: DELETE_SERVICE, variables: { serviceId: 'nope' }, code: 'NOT_FOUND' },
  { name: 'setServiceMonitoring: text for a boolean', query: SET_MONITORING, variables: { serviceId: 'svc_a', enabled: 'yes' }, code: 'BAD_USER_INPUT' },
  { name: 'setServiceMonitoring: an unknown service', query: SET_MONITORING, variables: { serviceId: LONG, enabled: true }, code: 'NOT_FOUND' },
  { name: 'muteServiceAlerts: a bad instant', query: MUTE, variables: { serviceId: 'svc_a', until: 'next week' }, code: 'BAD_USER_INPUT' },
  { name: 'muteServiceAlerts: an unknown service', query: MUTE, variables: { serviceId: 'nope', until: null }, code: 'NOT_FOUND' },
  { name: 'runCheck: an unknown service', query: RUN_CHECK, variables: { serviceId: 'nope' }, as: 'operator', code: 'NOT_FOUND' },
  { name: 'runCheck: a number for an id', query: RUN_CHECK, variables: { serviceId: 42 }, as: 'operator', code: 'BAD_USER_INPUT' },
  { name: 'recoverService: an unknown action', query: RECOVER, variables: { serviceId: 'svc_a', action: 'REBOOT_THE_WORLD' }, as: 'operator', code: 'BAD_USER_INPUT' },
  { name: 'recoverService: an unknown service', query: RECOVER, variables: { serviceId: 'nope', action: 'RESTART' }, as: 'operator', code: 'NOT_FOUND' },
  // --- environments
  { name: 'createEnvironment: bad colour and long description', query: CREATE_ENV, variables: { input: { name: 'STAGING', color: 'red', description: LONG } }, code: 'BAD_USER_INPUT', fields: ['color', 'description'] },
  { name: 'createEnvironment: a bad window', query: CREATE_ENV, variables: { input: { name: 'STAGING', maintenanceWindow: { day: 'MONDAY', startTime: '25:00', endTime: LONG, timezone: 'Mars/Olympus' } } }, code: 'BAD_USER_INPUT', fields: ['maintenanceWindow.startTime', 'maintenanceWindow.endTime', 'maintenanceWindow.timezone'] },
  { name: 'createEnvironment: an unknown day', query: CREATE_ENV, variables: { input: { name: 'STAGING', maintenanceWindow: { day: 'FUNDAY', startTime: '01:00', endTime: '02:00' } } }, code: 'BAD_USER_INPUT' },
  { name: 'createEnvironment: an unknown name', query: CREATE_ENV, variables: { input: { name: 'QA' } }, code: 'BAD_USER_INPUT' },
  { name: 'updateEnvironment: an environment not created', query: UPDATE_ENV, variables: { name: 'DEV', input: { color: '#000000' } }, code: 'NOT_FOUND' },
  { name: 'deleteEnvironment: an environment not created', query: DELETE_ENV, variables: { name: 'DEV' }, code: 'NOT_FOUND' },
  // --- importConfig
  { name: 'importConfig: text for the config', query: IMPORT, variables: { config: 'targets' }, code: 'BAD_USER_INPUT', fields: ['targets'] },
  { name: 'importConfig: targets that are no list', query: IMPORT, variables: { config: { targets: { a: 1 } } }, code: 'BAD_USER_INPUT', fields: ['targets'] },
  { name: 'importConfig: a bad region', query: IMPORT, variables: { config: { targets: [] }, region: LONG }, code: 'BAD_USER_INPUT', fields: ['region'] },
  // --- API keys
  { name: 'createApiKey: an unknown role', query: CREATE_KEY, variables: { name: 'k', role: 'ROOT' }, code: 'BAD_USER_INPUT' },
  { name: 'createApiKey: a long name', query: CREATE_KEY, variables: { name: LONG, role: 'VIEWER' }, code: 'BAD_USER_INPUT' },
  { name: 'createApiKey: a bad expiry', query: CREATE_KEY, variables: { name: 'k', role: 'VIEWER', expiresAt: 'never' }, code: 'BAD_USER_INPUT' },
  { name: 'updateApiKey: an unknown key', query: UPDATE_KEY, variables: { keyId: 'nope', input: { name: 'x' } }, code: 'NOT_FOUND' },
  { name: 'revokeApiKey: an unknown key', query: REVOKE_KEY, variables: { keyId: LONG }, code: 'NOT_FOUND' },
];

describe('every mutation answers hostile input with one clean error', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    expectClean(await send(c.query, c.variables, c.as), c);
  });

  // graphql-js repeats a wrongly typed value whole ("got invalid value "xxxx..." ... non-integer value: "xxxx...""),
  // 10,000 characters back for 5,000 sent; the error formatter cuts it.
  test('a long text for a number is refused without echoing it whole', async () => {
    const c: Case = { name: 'createService: a long text for an interval', query: CREATE_SERVICE, variables: monitoring({ intervalSec: LONG }), code: 'BAD_USER_INPUT' };
    expectClean(await send(c.query, c.variables, c.as), c);
  });

  test('wrong types written inline in the document are refused by validation, cleanly', async () => {
    for (const query of [
      `mutation { createHost(input: { hostId: 5, hostname: "h", ipAddress: "10.0.0.2", environment: STAGING, region: "r", sshConfig: { user: "u" } }) { hostId } }`,
      `mutation { updateService(serviceId: "svc_a", input: { monitoring: { intervalSec: "soon" } }) { serviceId } }`,
      `mutation { updateService(serviceId: "svc_a", input: { monitoring: { intervalSec: 99999999999 } }) { serviceId } }`,
      `mutation { recoverService(serviceId: "svc_a", action: REBOOT) { attempted } }`,
      `mutation { muteServiceAlerts(serviceId: "svc_a", until: "soon") { serviceId } }`,
    ]) {
      expectClean(await send(query), { name: query, query, code: 'GRAPHQL_VALIDATION_FAILED' });
    }
  });

  test('a long key name is refused naming the field, in the project\'s words', async () => {
    const error = expectClean(await send(CREATE_KEY, { name: LONG, role: 'VIEWER' }), { name: 'long key name', query: CREATE_KEY, code: 'BAD_USER_INPUT' });
    expect(error.message).toMatch(/^name: /);
  });
});

describe('importConfig names the fields of config.json', () => {
  const CONFIG_FIELDS = new Set(['(target)', 'name', 'host', 'ssh.user', 'ssh.port', 'service', 'method', 'interval_sec', 'recover_on_down', 'recover_action', 'use_sudo']);
  interface Rejected {
    index: number;
    field: string;
    message: string;
  }

  async function rejectedFor(targets: unknown[]): Promise<Rejected[]> {
    const response = await send(IMPORT, { config: { targets } });
    expect(response.errors, JSON.stringify(response)).toBeUndefined();
    const reports = (response.data!.importConfig as { rejected: { index: number; problems: { field: string; message: string }[] }[] }).rejected;
    const rejected: Rejected[] = reports.flatMap((r) => r.problems.map((p) => ({ index: r.index, ...p })));
    for (const r of rejected) {
      expect(CONFIG_FIELDS, JSON.stringify(r)).toContain(r.field);
      expect(r.message, JSON.stringify(r)).not.toMatch(INTERNALS);
      expect(r.message.length, r.message).toBeLessThan(300);
    }
    return rejected;
  }

  const ok = { name: 'db-1', host: '10.0.0.9', ssh: { user: 'ubuntu' }, service: 'mysql.service' };

  test('a negative interval gives one message, the interval rule', async () => {
    expect(await rejectedFor([{ ...ok, interval_sec: -5 }])).toEqual([{ index: 0, field: 'interval_sec', message: 'must be at least 5, got -5' }]);
  });

  test('wrong types and unknown values: one message each, config names, no ODM wording', async () => {
    const rejected = await rejectedFor([
      { ...ok, ssh: { user: 'ubuntu', port: 'abc' } },
      { ...ok, host: 5 },
      { ...ok, method: 'pigeon' },
      { ...ok, recover_on_down: 'maybe' },
      { ...ok, recover_action: 'reboot' },
      { ...ok, interval_sec: 'soon' },
      'not an object',
    ]);
    const byIndex = (i: number) => rejected.filter((r) => r.index === i).map((r) => `${r.field}: ${r.message}`);
    expect(byIndex(0)).toEqual(['ssh.port: must be a number, got "abc"']);
    expect(byIndex(1)).toHaveLength(1);
    expect(byIndex(1)[0]).toMatch(/^host: /);
    expect(byIndex(2)).toEqual([expect.stringMatching(/^method: must be one of .*, got "pigeon"$/)]);
    expect(byIndex(3)).toEqual([expect.stringMatching(/^recover_on_down: must be true or false, got "maybe"$/)]);
    expect(byIndex(4)).toEqual([expect.stringMatching(/^recover_action: must be one of .*, got "reboot"$/)]);
    expect(byIndex(5)).toEqual([expect.stringMatching(/^interval_sec: /)]);
    expect(byIndex(6)).toEqual(['(target): must be an object']);
  });

  test('long names and units are refused once each, never echoed whole', async () => {
    const rejected = await rejectedFor([
      { ...ok, name: 'n'.repeat(3_000) },
      { ...ok, service: `${'u'.repeat(3_000)}.service` },
    ]);
    expect(rejected.filter((r) => r.index === 0).map((r) => r.field)).toEqual(['name']);
    expect(rejected.filter((r) => r.index === 1).map((r) => r.field)).toEqual(['service']);
  });
});
