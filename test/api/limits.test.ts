/**
 * Query limits: depth (fragments followed), complexity (page sizes times what
 * each item selects, whole-collection reads at their price), aliases, tokens and
 * directives refuse an operation before anything runs; the execution time limit
 * stops one under way; introspection can be turned off; a key's concurrent
 * operations are bounded. Servers with other limits run beside the harness's
 * default one.
 */
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { pingDatabase } from '../../src/db/connection.js';
import { getIntrospectionQuery } from 'graphql';
import type { QueryLimits } from '../../src/graphql/limits.js';
import { startApiServer, type ApiServer } from '../../src/http/api-server.js';
import type { KeyLimits } from '../../src/http/key-limiter.js';
import { DashboardPageDocument, DashboardSummaryDocument, HostsDeepDocument } from '../graphql/generated.js';
import { useApiServer } from '../helpers/api.js';

const api = useApiServer(import.meta.filename);

let shallow: ApiServer;
/** Introspection off, 300 tokens, aliases up to 100 (to reach the complexity limit with them: 40 aliases of dashboardSummary are 242 tokens). */
let shallowWith: ApiServer;
/** A 0 ms execution time limit: every field is past it. */
let timed: ApiServer;
/** Two operations at once per key. */
let limited: ApiServer;
beforeAll(async () => {
  const start = (limits: Partial<QueryLimits>, keyLimits?: Partial<KeyLimits>) =>
    startApiServer({
      port: 0,
      host: '127.0.0.1',
      domain: api.domain,
      apiKeys: api.apiKeys,
      engine: api.engine,
      pingDatabase: () => pingDatabase(),
      logger: silentLogger,
      limits,
      keyLimits: keyLimits ?? { requestsPerSecond: 1_000_000, concurrent: 100_000 },
      shutdownTimeoutMs: 1_000,
    });
  [shallow, shallowWith, timed, limited] = await Promise.all([
    start({ maxDepth: 5 }),
    start({ introspection: false, maxTokens: 300, maxAliases: 100 }),
    start({ timeoutMs: 0 }),
    start({}, { requestsPerSecond: 1_000, concurrent: 2 }),
  ]);
});
afterAll(async () => {
  await Promise.all([shallow, shallowWith, timed, limited].map((server) => server?.stop()));
});

interface Body {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function post(url: string, query: string, variables: Record<string, unknown> = {}, key = api.keys.admin): Promise<{ status: number; body: Body }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

/** The collections each database command of `work` touched, by command name (`find hosts`, `aggregate services`...). */
async function commandsOn(work: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const client = mongoose.connection.getClient();
  const listener = (event: { commandName: string; command: Record<string, unknown> }) => {
    seen.push(`${event.commandName} ${String(event.command[event.commandName])}`);
  };
  client.on('commandStarted', listener);
  try {
    await work();
  } finally {
    client.off('commandStarted', listener);
  }
  return seen;
}

const DATA_COLLECTIONS = /^(find|aggregate|count|countDocuments|distinct) (hosts|services|monitoring_history|uptime_rollups|environments)$/;

async function seedHost(): Promise<void> {
  await api.domain.hosts.create({ host_id: 'host_a', hostname: 'host-a', ip_address: '10.0.0.1', environment: 'dev', region: 'eu', ssh_config: { user: 'u' } });
  await api.domain.services.create({ service_id: 'svc_a', host_id: 'host_a', service_name: 'a.service', service_type: 'a' });
}

// Depth: hosts(1) edges(2) node(3) services(4) serviceId(5).
const DEPTH_5 = '{ hosts { edges { node { services { serviceId } } } } }';
// One more level: services(4) host(5) hostId(6).
const DEPTH_6 = '{ hosts { edges { node { services { host { hostId } } } } } }';

describe('depth limit', () => {
  test('a query at the limit runs; one level deeper is a 400 GRAPHQL_VALIDATION_FAILED naming the depth', async () => {
    await seedHost();
    const ok = await post(shallow.url, DEPTH_5);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ data: { hosts: { edges: [{ node: { services: [{ serviceId: 'svc_a' }] } }] } } });

    const deep = await post(shallow.url, DEPTH_6);
    expect(deep.status).toBe(400);
    expect(deep.body.data).toBeUndefined();
    expect(deep.body.errors).toHaveLength(1);
    expect(deep.body.errors![0]!.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(deep.body.errors![0]!.message).toMatch(/depth/i);
    expect(deep.body.errors![0]!.message).toBe('Query depth 6 exceeds the maximum of 5.');
  });

  test('fragments do not hide depth: named, nested and inline fragments are followed', async () => {
    const variants = {
      named: `query { hosts { ...H } } fragment H on HostConnection { edges { node { services { host { hostId } } } } }`,
      nested: `query { hosts { edges { ...E } } }
        fragment E on HostEdge { node { ...N } }
        fragment N on Host { services { ...S } }
        fragment S on Service { host { hostId } }`,
      inline: `{ hosts { edges { node { ... on Host { services { ... on Service { host { ... on Host { hostId } } } } } } } } }`,
      'spread at the top': `query { ...Q } fragment Q on Query { hosts { edges { node { services { host { hostId } } } } } }`,
      'second operation picked by name': `query Shallow { viewer { role } } query Deep { hosts { edges { node { services { host { hostId } } } } } }`,
    };
    for (const [name, query] of Object.entries(variants)) {
      const response = await fetch(shallow.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${api.keys.admin}` },
        body: JSON.stringify({ query, operationName: name === 'second operation picked by name' ? 'Deep' : undefined }),
      });
      const body = (await response.json()) as Body;
      expect(response.status, name).toBe(400);
      expect(body.errors?.map((e) => e.extensions?.code), name).toContain('GRAPHQL_VALIDATION_FAILED');
      expect(body.errors?.some((e) => /depth 6 exceeds the maximum of 5/.test(e.message)), `${name}: ${JSON.stringify(body.errors)}`).toBe(true);
    }
  });

  test('the same fragment used at a shallow and a deep place counts at the deep one', async () => {
    const query = `query { viewer { role } hosts { edges { node { services { host { ...HostBits } } } } } }
      fragment HostBits on Host { hostId }`;
    const response = await post(shallow.url, query);
    expect(response.status).toBe(400);
    expect(response.body.errors![0]!.message).toBe('Query depth 6 exceeds the maximum of 5.');
  });

  test('on the default server (maxDepth 10) a depth-11 query is refused before any data is read', async () => {
    await seedHost();
    // hosts(1) edges(2) node(3) services(4) host(5) services(6) host(7) services(8) host(9) hostId(10); one more level is 11.
    const ten = '{ hosts(first: 1) { edges { node { services { host { services { host { services { host { hostId } } } } } } } } } }';
    const eleven = '{ hosts(first: 1) { edges { node { services { host { services { host { services { host { services { serviceId } } } } } } } } } } }';
    const atLimit = await post(api.url, ten);
    expect(atLimit.status, JSON.stringify(atLimit.body)).toBe(200);
    let response!: { status: number; body: Body };
    // A key this process has not read yet: its read shows the commands are seen.
    const { secret } = await api.apiKeys.issue('depth', 'admin');
    const commands = await commandsOn(async () => {
      response = await post(api.url, eleven, {}, secret);
    });
    expect(response.status).toBe(400);
    expect(response.body.errors![0]!.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(response.body.errors![0]!.message).toBe('Query depth 11 exceeds the maximum of 10.');
    expect(commands).toContain('find api_keys');
    expect(commands.filter((c) => DATA_COLLECTIONS.test(c))).toEqual([]);
  });
});

describe('complexity limit', () => {
  const TOO_COMPLEX = '{ hosts(first: 500) { edges { node { services { history(first: 500) { edges { node { id status } } } } } } } }';

  test('500 hosts × their services × 500 checks each is QUERY_TOO_COMPLEX (400), and nothing is read', async () => {
    await seedHost();
    let response!: { status: number; body: Body };
    const { secret } = await api.apiKeys.issue('complex', 'admin');
    const commands = await commandsOn(async () => {
      response = await post(api.url, TOO_COMPLEX, {}, secret);
    });
    expect(response.status).toBe(400);
    expect(response.body.data).toBeUndefined();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors![0]!.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    expect(response.body.errors![0]!.message).toMatch(/^Query complexity \d+ exceeds the maximum of 20000/);
    expect(Number(/complexity (\d+)/.exec(response.body.errors![0]!.message)![1])).toBeGreaterThan(20_000);
    // The key was checked (the listener sees this request's commands), but no data was read.
    expect(commands).toContain('find api_keys');
    expect(commands.filter((c) => /^find (hosts|services|monitoring_history)$/.test(c))).toEqual([]);
    expect(commands.filter((c) => DATA_COLLECTIONS.test(c))).toEqual([]);
  });

  test('page sizes given as variables count the same as literals', async () => {
    const query = 'query ($n: Int, $h: Int) { hosts(first: $n) { edges { node { services { history(first: $h) { edges { node { id } } } } } } } }';
    const big = await post(api.url, query, { n: 500, h: 500 });
    expect(big.status).toBe(400);
    expect(big.body.errors![0]!.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    const small = await post(api.url, query, { n: 5, h: 5 });
    expect(small.status).toBe(200);
    expect(small.body.errors).toBeUndefined();
  });

  test('fragments do not hide complexity', async () => {
    const query = `{ hosts(first: 500) { ...Page } }
      fragment Page on HostConnection { edges { node { services { ...Checks } } } }
      fragment Checks on Service { history(first: 500) { edges { node { id } } } }`;
    const response = await post(api.url, query);
    expect(response.status).toBe(400);
    expect(response.body.errors![0]!.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });

  test('the default page size counts when `first` is left out', async () => {
    // 50 hosts × 10 services × 50 checks: refused although no size is written.
    const response = await post(api.url, '{ hosts { edges { node { services { history { edges { node { id status timestamp } } } } } } } }');
    expect(response.status).toBe(400);
    expect(response.body.errors![0]!.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });

  test('ordinary pages pass: the dashboard, a page of hosts with their services', async () => {
    await seedHost();
    const page = await api.request(DashboardPageDocument, {}, { as: 'viewer' });
    expect(page.status).toBe(200);
    expect(page.errors).toBeUndefined();
    expect(page.data!.dashboardSummary.totalServices).toBe(1);
    expect((await api.data(DashboardSummaryDocument, {})).dashboardSummary.totalHosts).toBe(1);
    const hosts = await api.request(HostsDeepDocument, { first: 100 });
    expect(hosts.errors).toBeUndefined();
    expect(hosts.data!.hosts.edges.map((e) => e.node.hostId)).toEqual(['host_a']);
  });

  test('the shallow server still runs a normal dashboard query (depth 3)', async () => {
    const response = await post(shallow.url, '{ dashboardSummary { totalHosts byRegion { key count } } servicesByStatus { status count } }');
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
  });
});

describe('aliases, tokens and directives', () => {
  test('each alias is a field at its price: 40 aliases of dashboardSummary cost 40 dashboards (20040), past the limit within a raised alias limit', async () => {
    // 40 dashboards (500 each) are over 20000 even within a raised alias limit.
    const response = await post(
      shallowWith.url,
      `{ ${Array.from({ length: 40 }, (_, i) => `d${i}: dashboardSummary { totalHosts }`).join(' ')} }`,
    );
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ message: expect.stringMatching(/^Query complexity 20040 exceeds the maximum of 20000/), extensions: { code: 'QUERY_TOO_COMPLEX' } }]);
  });

  test('the aliases of a fragment count at each spread', async () => {
    const query = `{ ...A ...A } fragment A on Query { ${Array.from({ length: 16 }, (_, i) => `v${i}: viewer { role }`).join(' ')} }`;
    const response = await post(api.url, query);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ message: 'The operation uses 32 aliases; at most 30 are allowed.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
  });

  test('directives past the limit (50), counted at each spread of their fragment', async () => {
    const query = `query ($t: Boolean = true) { ...D ...D } fragment D on Query { ${Array.from({ length: 26 }, () => 'viewer @include(if: $t) { role }').join(' ')} }`;
    const response = await post(api.url, query);
    expect(response.status).toBe(400);
    expect(response.body.errors![0]).toEqual({ message: 'The operation uses 52 directives; at most 50 are allowed.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  });

  test('a document past GRAPHQL_MAX_DOCUMENT_CHARS is refused before it is parsed, over HTTP and the socket', async () => {
    const query = `{ viewer { role } ${' '.repeat(100_001)}}`;
    const response = await post(api.url, query);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([{ message: `The document is ${query.length} characters long; at most 100000 are read (send data as variables).`, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }]);
    expect((await post(api.url, `{ viewer { role } ${' '.repeat(99_000)}}`)).body).toEqual({ data: { viewer: { role: 'ADMIN' } } });
  });

  test('a document past the token limit is refused while parsing', async () => {
    // 4 tokens a field, 322 in all.
    const response = await post(shallowWith.url, `{ ${'viewer { role } '.repeat(80)} }`);
    expect(response.status).toBe(400);
    expect(response.body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/more th[ae][nt] 300 tokens/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]);
  });
});

describe('introspection', () => {
  test('the standard introspection query works for a viewer key', async () => {
    const response = await api.post({ query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }) }, { authorization: `Bearer ${api.keys.viewer}` });
    const body = (await response.json()) as { data: { __schema: { types: { name: string }[] } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data.__schema.types.map((t) => t.name)).toContain('Service');
  });

  test('GRAPHQL_INTROSPECTION=false refuses __schema and __type, and nothing else', async () => {
    const off = await post(shallowWith.url, getIntrospectionQuery());
    expect(off.status).toBe(400);
    expect(off.body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/introspection has been disabled/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
    const type = await post(shallowWith.url, '{ __type(name: "Host") { name } }');
    expect(type.body.errors![0]!.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const typename = await post(shallowWith.url, '{ __typename viewer { role } }');
    expect(typename.body).toEqual({ data: { __typename: 'Query', viewer: { role: 'ADMIN' } } });
  });

  test('recursion inside introspection stays bounded (graphql’s own rule), though __schema is exempt from the depth limit', async () => {
    const response = await post(api.url, '{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }');
    expect(response.status).toBe(400);
    expect(response.body.errors![0]!.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});

describe('execution time limit', () => {
  test('fields not resolved by the deadline fail, reported once as OPERATION_TIMEOUT, and nothing more is read', async () => {
    await seedHost();
    let response!: { status: number; body: Body };
    const commands = await commandsOn(async () => {
      // The limit is 0 ms: it has passed by the time the first field is resolved, however fast the server got
      // there (with 1 ms, a server that reached execution within the same millisecond ran the fields and read).
      response = await post(timed.url, '{ viewer { role } hosts(first: 5) { edges { node { hostId services { serviceId host { hostId } } } } } }');
    });
    expect(response.body.errors).toEqual([
      { message: 'The operation ran longer than 0 ms and was stopped; ask for less.', locations: expect.any(Array), path: expect.any(Array), extensions: { code: 'OPERATION_TIMEOUT' } },
    ]);
    expect(commands.filter((c) => DATA_COLLECTIONS.test(c))).toEqual([]);
  });

  test('within the limit nothing changes', async () => {
    await seedHost();
    const response = await post(api.url, '{ hosts(first: 5) { edges { node { hostId services { serviceId } } } } }');
    expect(response.body).toEqual({ data: { hosts: { edges: [{ node: { hostId: 'host_a', services: [{ serviceId: 'svc_a' }] } }] } } });
  });
});

describe('per-key concurrency', () => {
  test('operations of one key past RATE_LIMIT_CONCURRENT get 429 with Retry-After; its places come back once they are answered', async () => {
    const viewerId = (await api.apiKeys.authenticate(api.keys.viewer))!.keyId;
    const ask = () =>
      fetch(limited.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${api.keys.viewer}` },
        body: JSON.stringify({ query: '{ dashboardSummary { totalHosts } }' }),
      });
    // Both places (RATE_LIMIT_CONCURRENT 2) held, as two long operations of this key would hold them.
    const held = [await limited.keyLimiter.admit(viewerId), await limited.keyLimiter.admit(viewerId)];
    expect(held.every((h) => h.admitted)).toBe(true);
    const refused = await ask();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toEqual({ errors: [{ message: expect.stringMatching(/at most 2 may run at once/), extensions: { code: 'RATE_LIMITED', retryAfter: 1 } }] });
    // Once its operations are answered, the key's places come back.
    for (const h of held) if (h.admitted) h.release();
    expect(limited.keyLimiter.runningFor(viewerId)).toBe(0);
    const answers = await Promise.all([ask(), ask()]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(limited.keyLimiter.runningFor(viewerId)).toBe(0);
    // A request Apollo refuses before running it (a batch) frees its place too.
    await fetch(limited.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${api.keys.viewer}` }, body: '[{"query":"{ viewer { role } }"}]' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(limited.keyLimiter.runningFor(viewerId)).toBe(0);
  });
});
