/**
 * Issue 10 item 8: mutations fuzzed from the schema. fast-check builds each mutation's variables from the
 * running server's own input types (the schema Apollo serves, walked with graphql-js): every input object,
 * list, enum and scalar of every argument, each leaf a valid value for its field (ids from small pools, so
 * creates collide and updates and deletes find what earlier ones made) or, now and then, that value mutated
 * (empty, huge, hostile, out of range, of the wrong type, null, a field left out or one unknown added).
 * Sequences of mutations go one at a time through the real API (HTTP, Apollo, the real test database).
 *
 * Every answer: no 5xx, no INTERNAL_SERVER_ERROR, every error with `extensions.code`, no database or ODM
 * wording. After each sequence: the database invariants (unique ids, every service on an existing host with
 * its host's environment and region, dependencies on existing services without cycles, an active admin key)
 * and a read of what was written answer without an internal error. What breaks is collected (with the
 * mutation, its variables and the answer) and reported together at the end.
 *
 * Left out: runCheck and recoverService (they reach the network and run recovery commands).
 *
 *   FUZZ_SEED=<n> FUZZ_RUNS=<sequences> [FUZZ_CONCURRENCY=<n>] npx vitest run test/api/fuzz-mutations.test.ts
 *
 * By default a sequence's mutations go one at a time, so a seed replays the same mutations against the same
 * state; FUZZ_CONCURRENCY=n sends n at once (races between them, not replayable). FUZZ_DEBUG=1 also prints the
 * commonest error messages, to see where the generated values are refused.
 */
import fc from 'fast-check';
import {
  getNamedType,
  GraphQLInputObjectType,
  GraphQLObjectType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import mongoose from 'mongoose';
import { describe, expect, test } from 'vitest';
import { useApiServer } from '../helpers/api.js';
import { eventually, liveClient, subscribe } from '../helpers/live-client.js';

// With live, for the socket's share of what fuzzing found.
const api = useApiServer(import.meta.filename, {}, {});

const SEED = Number(process.env.FUZZ_SEED ?? 20260810);
const RUNS = Number(process.env.FUZZ_RUNS ?? 120);
/** Mutations of a sequence sent at once (1: one at a time, so that a seed replays exactly). */
const CONCURRENCY = Math.max(1, Number(process.env.FUZZ_CONCURRENCY ?? 1));
const SEQUENCE = { minLength: 15, maxLength: 35 };

/** Mutations that reach the network or run commands on hosts: not fuzzed here. */
const LEFT_OUT = new Set(['runCheck', 'recoverService']);
/** How often each mutation is picked (default 2). */
const WEIGHTS: Record<string, number> = {
  createHost: 6,
  updateHost: 4,
  createService: 8,
  updateService: 6,
  deleteHost: 1,
  deleteService: 1,
  deleteEnvironment: 1,
  importConfig: 2,
};

// ---------------------------------------------------------------------------------------------------------
// Values: valid for their field, sometimes mutated
// ---------------------------------------------------------------------------------------------------------

const HOST_IDS = ['fz_h0', 'fz_h1', 'fz_h2', 'fz_h3', 'fz_h4', 'fz_h5', 'host_10_9_0_1', 'host_10_9_0_2'];
const SERVICE_IDS = [...Array.from({ length: 12 }, (_, i) => `fz_s${i}`), 'svc_10_9_0_1_nginx_service', 'svc_10_9_0_2_mysql_service'];
const ADDRESSES = ['10.9.0.1', '10.9.0.2', '10.9.0.3', '10.9.0.4', '2001:db8::7', '127.0.0.1'];

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);

/** Strings that break careless code: empty, huge, control and non-ASCII characters, operators, paths, shell. */
const HOSTILE_STRINGS = [
  '',
  ' ',
  '   padded   ',
  'x'.repeat(300),
  'y'.repeat(5_000),
  '\u0000',
  'line\nbreak',
  'ñ日本🙂',
  '../../../etc/passwd',
  '/root/.ssh/../../etc/shadow',
  '$where',
  '$gt',
  '{"$gt":""}',
  'a.b.c',
  '__proto__',
  'constructor',
  'nginx; rm -rf /',
  '$(reboot)',
  '-oProxyCommand=sh',
  'javascript:alert(1)',
  'http://',
  'http://user:pass@',
  'postgresql://monitor:S3cretPassw0rd@',
  '%00',
  'NaN',
  '-1',
  '1e400',
];
/** Values of other JSON types, for a field of any type. */
const WRONG_TYPES: unknown[] = [12, -7.5, true, {}, [], { $gt: '' }, ['a'], '12'];
const HOSTILE_INTS: unknown[] = [-1, 0, -2_147_483_648, 2_147_483_647, 2_147_483_648, 1.5, 1e10, '5'];

function validString(field: string): fc.Arbitrary<string> {
  switch (field) {
    case 'hostId':
      return pick(HOST_IDS);
    case 'serviceId':
    case 'dependencyIds':
      return pick(SERVICE_IDS);
    case 'hostname':
      return fc.integer({ min: 0, max: 9 }).map((n) => `fz-host-${n}.example.com`);
    case 'ipAddress':
      return pick(ADDRESSES);
    case 'region':
    case 'datacenter':
    case 'rack':
    case 'zone':
      return pick(['eu-west', 'us-east-1', 'Seoul-DC1', 'ap south']);
    case 'user':
      return pick(['ubuntu', 'deploy', 'root', 'svc_mon']);
    case 'keyPath':
      return pick(['/root/.ssh/id_ed25519', '/etc/monitor/keys/fz_id_rsa']);
    case 'hostKeyFingerprint':
      return pick(['SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s', 'SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU']);
    case 'serviceName':
      return pick(['nginx.service', 'mysql.service', 'postgresql@15-main.service', 'redis-server.service']);
    case 'serviceType':
      return pick(['nginx', 'mysql', 'web', 'postgresql']);
    case 'target':
      return pick([
        'http://10.9.0.1:8080/health',
        'https://admin:S3cretPassw0rd@status.example.com/health',
        'tcp://10.9.0.2:5432',
        'postgresql://monitor:S3cretPassw0rd@127.0.0.1:4235/app',
        'postgresql://monitor:***@127.0.0.1:4235/app',
        'mysql://root:pw@10.9.0.3:3306/db',
        'redis://:token@10.9.0.4:6379',
        'mongodb://u:p@10.9.0.1:27017/admin',
        'nginx.service',
      ]);
    case 'endpoint':
      return pick(['http://10.9.0.1/health', 'https://user:S3cretPassw0rd@10.9.0.2/ready']);
    case 'customCheck':
    case 'customScript':
      return pick(['check-disk', 'restart-app', 'fz.script']);
    case 'tags':
      return pick(['team:db', 'mysql', 'backup-enabled', 'tier/1']);
    case 'color':
      return pick(['#12ab34', '#FFFFFF']);
    case 'startTime':
    case 'endTime':
      return pick(['00:00', '02:30', '23:59', '12:00']);
    case 'timezone':
      return pick(['UTC', 'Asia/Seoul', 'Europe/Berlin']);
    case 'escalationPolicy':
      return pick(['ops-primary', 'db-oncall']);
    case 'name':
      return fc.integer({ min: 0, max: 99 }).map((n) => `fuzz key ${n}`);
    case 'jsonField':
      return pick(['status', 'checks.db']);
    case 'expectedResponse':
    case 'bodyContains':
    case 'jsonValue':
      return pick(['ok', 'UP', 'healthy']);
    default:
      return fc.string({ maxLength: 24 });
  }
}

function validInt(field: string): fc.Arbitrary<number> {
  const range: Record<string, [number, number]> = {
    intervalSec: [5, 3_600],
    timeoutSec: [1, 60],
    port: [1, 65_535],
    retryAttempts: [0, 5],
    retryDelaySec: [0, 60],
    tlsExpiryWarningDays: [1, 90],
    maxRecoveryAttempts: [0, 10],
    recoveryCooldownSec: [0, 3_600],
    expectedStatus: [100, 599],
  };
  const [min, max] = range[field] ?? [0, 100];
  return fc.integer({ min, max });
}

const validDateTime = fc.integer({ min: -30, max: 400 }).map((days) => new Date(Date.UTC(2026, 7, 10) + days * 86_400_000).toISOString());

/** An old config.json, its targets on the fuzzed addresses (so imports meet hosts made through the API). */
const legacyTarget = fc.record(
  {
    name: pick(['fz-imported', 'jeju-mysql', 'seoul-web']),
    host: fc.oneof(pick(ADDRESSES), pick(HOSTILE_STRINGS)),
    ssh: fc.oneof({ weight: 5, arbitrary: fc.record({ user: pick(['ubuntu', 'root']), port: fc.oneof(fc.constant(22), fc.constant(2222), pick(HOSTILE_INTS)) }) }, { weight: 1, arbitrary: pick(WRONG_TYPES) }),
    service: fc.oneof({ weight: 5, arbitrary: pick(['nginx.service', 'mysql.service']) }, { weight: 1, arbitrary: pick(HOSTILE_STRINGS) }),
    method: pick(['ssh', 'http', 'telnet', 'SSH']),
    interval_sec: fc.oneof(fc.integer({ min: 5, max: 120 }), pick(HOSTILE_INTS)),
    recover_on_down: fc.oneof(fc.boolean(), pick(WRONG_TYPES)),
    recover_action: pick(['restart', 'reload', 'start', 'explode']),
    use_sudo: fc.boolean(),
    $where: fc.constant('sleep(1000)'),
  },
  { requiredKeys: ['host', 'service'] },
);
const legacyConfig: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ targets: fc.array(fc.oneof({ weight: 6, arbitrary: legacyTarget }, { weight: 1, arbitrary: pick(WRONG_TYPES) }), { maxLength: 5 }) }) },
  { weight: 1, arbitrary: pick([{}, { targets: 'all' }, [], 'config', null, { targets: { $gt: '' } }]) },
);

/** A valid value of a leaf type for this field, or now and then a mutated one. */
function leafValue(type: GraphQLInputType, field: string): fc.Arbitrary<unknown> {
  const named = getNamedType(type);
  let valid: fc.Arbitrary<unknown>;
  let mutated: fc.Arbitrary<unknown>;
  if (isEnumType(named)) {
    const values = named.getValues().map((v) => v.name);
    valid = pick(values);
    mutated = fc.oneof(pick(['NOT_A_VALUE', values[0]!.toLowerCase(), '']), pick(WRONG_TYPES));
  } else {
    switch (named.name) {
      case 'Int':
        valid = validInt(field);
        mutated = pick(HOSTILE_INTS);
        break;
      case 'Float':
        valid = fc.double({ min: 0, max: 1_000, noNaN: true });
        mutated = pick([-1, 1e308, '1.5', true]);
        break;
      case 'Boolean':
        valid = fc.boolean();
        mutated = pick(['true', 0, 1, {}]);
        break;
      case 'DateTime':
        valid = validDateTime;
        mutated = pick(['', 'yesterday', '2026-02-30T00:00:00Z', '275760-09-13T00:00:01Z', '1970-01-01T00:00:00Z', 0, -1e15]);
        break;
      case 'JSON':
        valid = legacyConfig;
        mutated = pick(WRONG_TYPES);
        break;
      default:
        valid = validString(field);
        mutated = fc.oneof({ weight: 4, arbitrary: pick(HOSTILE_STRINGS) }, { weight: 1, arbitrary: pick(WRONG_TYPES) }, { weight: 2, arbitrary: validString(field).map((s) => `${s}${s}`) });
    }
  }
  return fc.oneof({ weight: 20, arbitrary: valid }, { weight: 1, arbitrary: mutated });
}

/** A value of any input type, built from the type itself. */
function inputValue(type: GraphQLInputType, field: string, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) {
    return fc.oneof({ weight: 100, arbitrary: inputValue(type.ofType, field, depth) }, { weight: 1, arbitrary: fc.constant(null) });
  }
  if (isListType(type)) {
    return fc.oneof(
      { weight: 40, arbitrary: fc.array(inputValue(type.ofType, field, depth + 1), { maxLength: 3 }) },
      { weight: 1, arbitrary: inputValue(type.ofType, field, depth + 1).map((item) => Array.from({ length: 60 }, () => item)) },
      { weight: 1, arbitrary: fc.constant([null]) },
      { weight: 1, arbitrary: inputValue(type.ofType, field, depth + 1) }, // a single value where a list goes (coerced)
    );
  }
  if (isInputObjectType(type)) return inputObject(type, depth);
  return leafValue(type, field);
}

function inputObject(type: GraphQLInputObjectType, depth: number): fc.Arbitrary<unknown> {
  const fields = Object.values(type.getFields());
  const parts = fields.map((field) => {
    const required = isNonNullType(field.type) && field.defaultValue === undefined;
    const value = inputValue(field.type, field.name, depth + 1).map((v) => [field.name, v] as const);
    // Required fields are nearly always there; optional ones two times in three, now and then an explicit null.
    const absent = fc.constant(null);
    const explicitNull = fc.constant([field.name, null] as const);
    return required
      ? fc.oneof({ weight: 100, arbitrary: value }, { weight: 1, arbitrary: absent })
      : fc.oneof({ weight: 30, arbitrary: value }, { weight: 15, arbitrary: absent }, { weight: 1, arbitrary: explicitNull });
  });
  const extra = fc.oneof({ weight: 60, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: pick([['unknownField', 1], ['__proto__', { admin: true }], ['$set', { role: 'ADMIN' }]] as const) });
  return fc.tuple(fc.tuple(...parts), extra).map(([entries, added]) => {
    const object: Record<string, unknown> = {};
    for (const entry of entries) if (entry) object[entry[0]] = entry[1];
    if (added) Object.defineProperty(object, added[0], { value: added[1], enumerable: true, writable: true, configurable: true });
    return object;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------------------

interface Command {
  field: string;
  variables: Record<string, unknown>;
  /** An index into the keys made so far, for keyId arguments (resolved when sent). */
  keyIndex: number;
  /** Who sends it: nearly always an admin. */
  as: 'admin' | 'operator' | 'viewer';
}

/** The scalar fields of a type, and of the object types beneath it down to `depth`, without arguments. */
function selectionOf(type: GraphQLObjectType, depth: number): string {
  const parts: string[] = [];
  for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
    if (field.args.length > 0) continue;
    const named = getNamedType(field.type);
    if (isLeafType(named)) parts.push(field.name);
    else if (isObjectType(named) && depth > 0) {
      const inner = selectionOf(named, depth - 1);
      if (inner) parts.push(`${field.name} { ${inner} }`);
    }
  }
  return parts.join(' ');
}

function mutationCommands(schema: GraphQLSchema): { arbitrary: fc.Arbitrary<Command>; documents: Map<string, string> } {
  const mutationType = schema.getMutationType()!;
  const documents = new Map<string, string>();
  const options: { weight: number; arbitrary: fc.Arbitrary<Command> }[] = [];
  for (const field of Object.values(mutationType.getFields())) {
    if (LEFT_OUT.has(field.name)) continue;
    const declarations = field.args.map((arg) => `$${arg.name}: ${String(arg.type)}`).join(', ');
    const args = field.args.map((arg) => `${arg.name}: $${arg.name}`).join(', ');
    const returned = getNamedType(field.type);
    const selection = isObjectType(returned) ? ` { ${selectionOf(returned, 2)} }` : '';
    documents.set(field.name, `mutation Fuzz${declarations ? `(${declarations})` : ''} { ${field.name}${args ? `(${args})` : ''}${selection} }`);
    const argValues = field.args.map((arg) => {
      const required = isNonNullType(arg.type) && arg.defaultValue === undefined;
      const value = inputValue(arg.type, arg.name).map((v) => [arg.name, v] as const);
      return required ? value : fc.oneof(value, fc.constant(null));
    });
    options.push({
      weight: WEIGHTS[field.name] ?? 2,
      arbitrary: fc
        .tuple(fc.tuple(...argValues), fc.nat(), fc.oneof({ weight: 20, arbitrary: fc.constant('admin' as const) }, { weight: 1, arbitrary: pick(['operator', 'viewer'] as const) }))
        .map(([entries, keyIndex, as]) => {
          const variables: Record<string, unknown> = {};
          for (const entry of entries) if (entry) variables[entry[0]] = entry[1];
          return { field: field.name, variables, keyIndex, as };
        }),
    });
  }
  return { arbitrary: fc.oneof(...options), documents };
}

// ---------------------------------------------------------------------------------------------------------
// Answers and invariants
// ---------------------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  body: { data?: Record<string, any> | null; errors?: { message: string; path?: unknown[]; extensions?: { code?: unknown } }[] };
}

/** Wording of the ODM or the driver, which must not reach a client (item 6). */
const DATABASE_WORDING = /Cast to \w+ failed|Path `|validation failed|E11000|duplicate key|MongoServerError|Mongoose|BSON|ObjectId|\bat path\b/i;

interface Finding {
  kind: string;
  /** One per kind of problem: what the report is grouped by. */
  signature: string;
  detail: string;
}

function problemsOf(command: Command, answer: Answer): Finding[] {
  const found: Finding[] = [];
  const sent = () => `${command.field} as ${command.as}, variables ${short(JSON.stringify(command.variables))}`;
  if (answer.status >= 500) found.push({ kind: 'HTTP 5xx', signature: `5xx ${command.field}`, detail: `${sent()} -> ${answer.status} ${short(JSON.stringify(answer.body))}` });
  for (const error of answer.body.errors ?? []) {
    const code = error.extensions?.code;
    if (typeof code !== 'string') {
      found.push({ kind: 'error without extensions.code', signature: `nocode ${command.field} ${normalize(error.message)}`, detail: `${sent()} -> ${answer.status} ${short(JSON.stringify(error))}` });
    } else if (code === 'INTERNAL_SERVER_ERROR') {
      found.push({ kind: 'INTERNAL_SERVER_ERROR', signature: `internal ${command.field} ${normalize(error.message)}`, detail: `${sent()} -> ${answer.status} ${short(JSON.stringify(error))}` });
    }
    if (DATABASE_WORDING.test(error.message)) {
      found.push({ kind: 'database wording in an error', signature: `wording ${command.field} ${normalize(error.message)}`, detail: `${sent()} -> ${short(JSON.stringify(error))}` });
    }
  }
  return found;
}

const short = (text: string, max = 900) => (text.length <= max ? text : `${text.slice(0, max)}... (${text.length} chars)`);
const normalize = (message: string) => message.replace(/'[^']*'|"[^"]*"|\d+/g, '_').slice(0, 120);

interface Stored {
  host_id: string;
  environment?: string;
  region?: string;
}
interface StoredService extends Stored {
  service_id: string;
  dependencies?: string[];
}

/** What must hold in the database whatever was sent. */
async function invariantViolations(): Promise<string[]> {
  const db = mongoose.connection.db!;
  const hosts = await db.collection<Stored>('hosts').find({}, { projection: { host_id: 1, environment: 1, region: 1 } }).toArray();
  const services = await db.collection<StoredService>('services').find({}, { projection: { service_id: 1, host_id: 1, environment: 1, region: 1, dependencies: 1 } }).toArray();
  const environments = await db.collection<{ env_name: string }>('environments').find({}, { projection: { env_name: 1 } }).toArray();
  const keys = await db.collection<{ key_id: string; role: string; revoked_at?: Date | null; expires_at?: Date | null }>('api_keys').find({}).toArray();
  const violations: string[] = [];
  const duplicates = (label: string, ids: string[]) => {
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) violations.push(`${label} ${JSON.stringify(id)} is stored twice`);
      seen.add(id);
    }
  };
  duplicates('host_id', hosts.map((h) => h.host_id));
  duplicates('service_id', services.map((s) => s.service_id));
  duplicates('environment name', environments.map((e) => e.env_name));
  duplicates('key_id', keys.map((k) => k.key_id));
  const hostById = new Map(hosts.map((h) => [h.host_id, h]));
  const serviceIds = new Set(services.map((s) => s.service_id));
  for (const service of services) {
    const host = hostById.get(service.host_id);
    if (!host) {
      violations.push(`service ${service.service_id} is on host ${service.host_id}, which does not exist`);
      continue;
    }
    if (service.environment !== host.environment || service.region !== host.region) {
      violations.push(`service ${service.service_id} has environment/region ${service.environment}/${service.region}, its host ${host.host_id} ${host.environment}/${host.region}`);
    }
    for (const dependency of service.dependencies ?? []) {
      if (dependency === service.service_id) violations.push(`service ${service.service_id} depends on itself`);
      else if (!serviceIds.has(dependency)) violations.push(`service ${service.service_id} depends on ${dependency}, which does not exist`);
    }
  }
  const cycle = dependencyCycle(services);
  if (cycle) violations.push(`dependency cycle: ${cycle.join(' -> ')}`);
  const now = Date.now();
  const activeAdmins = keys.filter((k) => k.role === 'admin' && !k.revoked_at && !(k.expires_at && +k.expires_at <= now));
  if (activeAdmins.length === 0) violations.push(`no active admin key is left (${keys.length} keys)`);
  return violations;
}

function dependencyCycle(services: StoredService[]): string[] | null {
  const edges = new Map(services.map((s) => [s.service_id, s.dependencies ?? []]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === 'done') return null;
    if (state.get(id) === 'open') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'open');
    path.push(id);
    for (const next of edges.get(id) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    state.set(id, 'done');
    return null;
  };
  for (const id of edges.keys()) {
    const found = visit(id);
    if (found) return found;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------
// The property
// ---------------------------------------------------------------------------------------------------------

test(`mutations fuzzed from the schema's input types: no internal error, every error coded, the invariants hold (seed ${SEED}, ${RUNS} sequences)`, async () => {
  const schema = api.server.schema;
  const { arbitrary, documents } = mutationCommands(schema);
  const readBack = `{ hosts(first: 50) { edges { node { ${selectionOf(schema.getType('Host') as GraphQLObjectType, 1)} } } } services(first: 50) { edges { node { ${selectionOf(schema.getType('Service') as GraphQLObjectType, 1)} } } } dashboardSummary { totalHosts totalServices } }`;
  const keyIds: string[] = [];
  const findings = new Map<string, Finding & { count: number }>();
  const knownViolations = new Set<string>();
  const outcomes = new Map<string, number>();
  let sent = 0;
  const messages = new Map<string, number>();
  const note = (finding: Finding) => {
    const known = findings.get(finding.signature);
    if (known) known.count++;
    else findings.set(finding.signature, { ...finding, count: 1 });
  };
  const post = async (query: string, variables: Record<string, unknown>, as: Command['as']): Promise<Answer> => {
    const response = await api.post({ query, variables }, { authorization: `Bearer ${api.keys[as]}` });
    const text = await response.text();
    try {
      return { status: response.status, body: JSON.parse(text) as Answer['body'] };
    } catch {
      return { status: response.status, body: { errors: [{ message: `not JSON: ${short(text, 300)}` }] } };
    }
  };

  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.array(arbitrary, SEQUENCE), async (commands) => {
      const sequence: string[] = [];
      const send = async (command: Command) => {
        const variables = { ...command.variables };
        if ('keyId' in variables && typeof variables.keyId === 'string' && keyIds.length > 0 && command.keyIndex % 4 !== 0) {
          variables.keyId = keyIds[command.keyIndex % keyIds.length];
        }
        const answer = await post(documents.get(command.field)!, variables, command.as);
        sent++;
        sequence.push(`${command.field}(${short(JSON.stringify(variables), 300)})`);
        const code = answer.body.errors?.[0]?.extensions?.code;
        const outcome = `${command.field} ${answer.body.errors?.length ? String(code ?? 'no code') : 'ok'}`;
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        const made = answer.body.data?.createApiKey?.apiKey?.keyId;
        if (typeof made === 'string') keyIds.push(made);
        for (const finding of problemsOf({ ...command, variables }, answer)) note(finding);
        if (process.env.FUZZ_DEBUG && answer.body.errors?.length) {
          const key = `${command.field}: ${normalize(answer.body.errors[0]!.message).slice(0, 100)}`;
          messages.set(key, (messages.get(key) ?? 0) + 1);
        }
      };
      for (let i = 0; i < commands.length; i += CONCURRENCY) await Promise.all(commands.slice(i, i + CONCURRENCY).map(send));
      for (const violation of await invariantViolations()) {
        if (knownViolations.has(violation)) continue;
        knownViolations.add(violation);
        note({ kind: 'database invariant', signature: `invariant ${normalize(violation)}`, detail: `${violation}; first seen after: ${sequence.join(' ; ')}` });
      }
      const read = await post(readBack, {}, 'viewer');
      for (const finding of problemsOf({ field: 'read back', variables: {}, keyIndex: 0, as: 'viewer' }, read)) note(finding);
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  const seconds = (Date.now() - started) / 1000;

  const ok = [...outcomes].filter(([k]) => k.endsWith(' ok')).reduce((n, [, c]) => n + c, 0);
  const byCode = new Map<string, number>();
  for (const [outcome, count] of outcomes) {
    const code = outcome.split(' ')[1]!;
    byCode.set(code, (byCode.get(code) ?? 0) + count);
  }
  process.stdout.write(
    `fuzz: ${sent} mutations in ${RUNS} sequences, seed ${SEED} (FUZZ_SEED, FUZZ_RUNS), ${CONCURRENCY} at once, ${seconds.toFixed(1)} s; ` +
      `${ok} succeeded; answers by code ${JSON.stringify(Object.fromEntries([...byCode].sort((a, b) => b[1] - a[1])))}\n`,
  );
  if (process.env.FUZZ_DEBUG) process.stdout.write([...messages].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([m, c]) => `${c} ${m}`).join('\n') + '\n');
  const report = [...findings.values()].map((f) => `[${f.kind}] x${f.count}: ${f.detail}`);
  if (report.length > 0) process.stdout.write(`fuzz findings:\n${report.join('\n')}\n`);
  expect(report).toEqual([]);
  // The fuzzing reached the code under the validation: mutations succeeded, and each mutation was tried.
  expect(ok).toBeGreaterThan(sent / 10);
}, 600_000);

describe('found by fuzzing', () => {
  test('more than 50 bad variable values: graphql-js stops coercing and says so; that is bad input too (BAD_USER_INPUT), not an internal error', async () => {
    const response = await api.post(
      { query: 'mutation ($input: ServiceUpdateInput!) { updateService(serviceId: "fz_s0", input: $input) { serviceId } }', variables: { input: { monitoring: { expectedStatus: Array.from({ length: 60 }, () => 10_000_000_000) } } } },
      { authorization: `Bearer ${api.keys.admin}` },
    );
    const body = (await response.json()) as Answer['body'];
    expect(response.status).toBe(400);
    expect(body.errors!.length).toBe(51);
    expect(new Set(body.errors!.map((e) => e.extensions?.code))).toEqual(new Set(['BAD_USER_INPUT']));
    expect(body.errors!.at(-1)!.message).toMatch(/^Too many errors processing variables/);
  });

  test('over the socket, variables that do not fit their types are BAD_USER_INPUT (they were INTERNAL_SERVER_ERROR), before anything runs', async () => {
    const live = liveClient(api.url, api.keys.viewer);
    try {
      const feed = subscribe(live.client, 'subscription ($f: ServiceEventFilterInput) { checkCompleted(filter: $f) { id } }', { f: { environment: 'NOPE' } });
      await eventually(() => feed.completed || feed.error !== undefined, 5_000, 'the refusal');
      expect(feed.results).toEqual([]);
      expect(feed.error).toEqual([
        expect.objectContaining({ message: expect.stringMatching(/^Variable "\$f" got invalid value "NOPE" at "f.environment"/), extensions: { code: 'BAD_USER_INPUT' } }),
      ]);
    } finally {
      await live.dispose();
    }
  });
});
