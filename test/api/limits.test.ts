/**
 * Query limits: depth (fragments followed) and complexity (page sizes times what
 * each item selects) refuse an operation before anything runs. A second server
 * with maxDepth 5 runs beside the harness's default one (maxDepth 10).
 */
import mongoose from 'mongoose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { pingDatabase } from '../../src/db/connection.js';
import { startApiServer, type ApiServer } from '../../src/http/api-server.js';
import { DashboardPageDocument, DashboardSummaryDocument, HostsDeepDocument } from '../graphql/generated.js';
import { useApiServer } from '../helpers/api.js';

const api = useApiServer(import.meta.filename);

let shallow: ApiServer;
beforeAll(async () => {
  shallow = await startApiServer({
    port: 0,
    host: '127.0.0.1',
    domain: api.domain,
    apiKeys: api.apiKeys,
    engine: api.engine,
    pingDatabase: () => pingDatabase(),
    logger: silentLogger,
    limits: { maxDepth: 5 },
    shutdownTimeoutMs: 1_000,
  });
});
afterAll(async () => {
  await shallow?.stop();
});

interface Body {
  data?: unknown;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function post(url: string, query: string, variables: Record<string, unknown> = {}): Promise<{ status: number; body: Body }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${api.keys.admin}` },
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
    const commands = await commandsOn(async () => {
      response = await post(api.url, eleven);
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
    const commands = await commandsOn(async () => {
      response = await post(api.url, TOO_COMPLEX);
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
