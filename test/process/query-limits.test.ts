/**
 * Issue 10: a valid key cannot stall the server. The built server (node dist/src/main.js, embedded
 * mongo-java-server) is sent the attacks of the issue over HTTP and over the socket, each with a viewer key of
 * its own: every one is refused with its code, the process keeps answering, and the standard introspection
 * query works. Refused and broken sockets log one line each, throttled, never a stack. Timing figures are in
 * `npm run bench:attacks`, not here.
 */
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { freePort } from '../../src/db/local-server.js';
import { eventually, liveClient, rawSocket, subscribe, wsUrl } from '../helpers/live-client.js';
import { useProcesses, type StartedProcess } from '../helpers/processes.js';

const { start } = useProcesses('query-limits');

let server: StartedProcess;
let origin: string;
let adminKey: string;
const sockets: { dispose(): Promise<void> }[] = [];

beforeAll(async () => {
  const httpPort = await freePort();
  server = start(
    'main.js',
    { EMBEDDED_DB_PORT: String(await freePort()), PORT: String(httpPort), PROCESS_MODE: 'api', RATE_LIMIT_PER_SEC: '20', RATE_LIMIT_CONCURRENT: '10' },
    /API listening/,
  );
  await server.ready;
  adminKey = /smk_[a-f0-9]{16}_[A-Za-z0-9_-]{43}/.exec(server.stdout())![0];
  origin = `http://127.0.0.1:${httpPort}`;
}, 60_000);
afterAll(async () => {
  await Promise.all(sockets.map((s) => s.dispose().catch(() => {})));
  server?.child.kill('SIGTERM');
});

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { data?: any; errors?: { message: string; extensions?: { code?: string; retryAfter?: number } }[] };
}

async function graphql(key: string, query: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await fetch(`${origin}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Answer['body'] };
}

/** A viewer key of its own, so each test has its own rate budget. */
async function viewerKey(name: string): Promise<string> {
  const created = await graphql(adminKey, 'mutation ($name: String!) { createApiKey(name: $name, role: VIEWER) { secret } }', { name });
  expect(created.body.errors, JSON.stringify(created.body)).toBeUndefined();
  return created.body.data.createApiKey.secret as string;
}

/** The fragment explosion: F(i) spreads F(i-1) twice, so n fragments stand for 2^n fields. */
function fragmentExplosion(n: number, root: 'Query' | 'Subscription'): string {
  const field = root === 'Query' ? 'dashboardSummary { totalHosts }' : 'dashboardSummaryChanged { totalHosts }';
  let document = `${root === 'Query' ? 'query' : 'subscription'} Boom { ...F${n} }\nfragment F0 on ${root} { ${field} }\n`;
  for (let i = 1; i <= n; i++) document += `fragment F${i} on ${root} { ...F${i - 1} ...F${i - 1} }\n`;
  return document;
}

const aliases = (count: number, field: string, operation = 'query') => `${operation} { ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

/** Subscribes over a fresh socket; resolves with the errors it was refused with (or rejects if it was not). */
async function refusalOverSocket(key: string, query: string): Promise<{ message: string; extensions?: { code?: string; retryAfter?: number } }[]> {
  const live = liveClient(`${origin}/graphql`, key);
  sockets.push(live);
  const feed = subscribe(live.client, query);
  await eventually(() => feed.completed, 10_000, 'the refusal');
  return feed.error as { message: string; extensions?: { code?: string } }[];
}

async function healthz(): Promise<number> {
  return (await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(5_000) })).status;
}

describe('the attacks of issue 10 are refused, and the process keeps answering', () => {
  test('fragment explosion n=25 (2^25 fields in 1 KB): QUERY_TOO_COMPLEX over HTTP and the socket, 8 at once each', async () => {
    const key = await viewerKey('explosion');
    const [http, socket] = await Promise.all([
      Promise.all(Array.from({ length: 8 }, () => graphql(key, fragmentExplosion(25, 'Query')))),
      Promise.all(Array.from({ length: 8 }, () => refusalOverSocket(key, fragmentExplosion(25, 'Subscription')))),
      healthz(),
    ]);
    for (const answer of http) {
      expect(answer.status).toBe(400);
      expect(answer.body.data).toBeUndefined();
      expect(answer.body.errors).toEqual([{ message: expect.stringMatching(/^Query complexity exceeds the maximum of 20000: it selects \d+ fields/), extensions: { code: 'QUERY_TOO_COMPLEX' } }]);
    }
    for (const errors of socket) expect(errors).toEqual([{ message: expect.stringMatching(/^Query complexity exceeds/), extensions: { code: 'QUERY_TOO_COMPLEX' } }]);
    expect(await healthz()).toBe(200);
  }, 60_000);

  test('5,000 aliases of dashboardSummary (194 KB): refused unread (GRAPHQL_PARSE_FAILED, document length), over HTTP and the socket, 8 at once', async () => {
    const key = await viewerKey('aliases');
    const [http, socket] = await Promise.all([
      Promise.all(Array.from({ length: 8 }, () => graphql(key, aliases(5000, 'dashboardSummary { totalHosts }')))),
      Promise.all(Array.from({ length: 8 }, () => refusalOverSocket(key, aliases(5000, 'dashboardSummaryChanged { totalHosts }', 'subscription')))),
    ]);
    for (const answer of http) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([{ message: expect.stringMatching(/^The document is \d+ characters long; at most 100000 are read/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } }]);
    }
    for (const errors of socket) expect(errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/^The document is \d+ characters long/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]);
    expect(await healthz()).toBe(200);
  }, 60_000);

  test('2,000 aliases (76 KB, within the length): refused while parsing (GRAPHQL_PARSE_FAILED, token limit), over HTTP and the socket', async () => {
    const key = await viewerKey('aliases-tokens');
    const http = await graphql(key, aliases(2000, 'dashboardSummary { totalHosts }'));
    expect(http.status).toBe(400);
    // (graphql-js writes "more that".)
    expect(http.body.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/^Syntax Error: Document contains more th[ae][nt] 2000 tokens/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]);
    const socket = await refusalOverSocket(key, aliases(2000, 'dashboardSummaryChanged { totalHosts }', 'subscription'));
    expect(socket).toEqual([expect.objectContaining({ message: expect.stringMatching(/more th[ae][nt] 2000 tokens/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } })]);
  }, 60_000);

  test('aliases within the token limit: 31 are refused (GRAPHQL_VALIDATION_FAILED), 30 of dashboardSummary run', async () => {
    const key = await viewerKey('alias-limit');
    const over = await graphql(key, aliases(31, 'dashboardSummary { totalHosts }'));
    expect(over.status).toBe(400);
    expect(over.body.errors).toEqual([{ message: 'The operation uses 31 aliases; at most 30 are allowed.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
    const overSocket = await refusalOverSocket(key, `subscription { ...A } fragment A on Subscription { ${Array.from({ length: 31 }, () => 'd: dashboardSummaryChanged { totalHosts }').join(' ')} }`);
    expect(overSocket).toEqual([expect.objectContaining({ message: 'The operation uses 31 aliases; at most 30 are allowed.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
    const within = await graphql(key, aliases(30, 'dashboardSummary { totalHosts }'));
    expect(within.status).toBe(200);
    expect(Object.keys(within.body.data)).toHaveLength(30);
  }, 60_000);

  test('the standard introspection query (as GraphiQL and graphql-codegen send it) works for a viewer key', async () => {
    const key = await viewerKey('introspection');
    const answer = await graphql(
      key,
      getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }),
    );
    expect(answer.body.errors).toBeUndefined();
    expect(answer.status).toBe(200);
    expect(answer.body.data.__schema.queryType.name).toBe('Query');
    expect(answer.body.data.__schema.types.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['Host', 'Service', 'DashboardSummary']));
  }, 30_000);
});

describe('per-key rate limit (RATE_LIMIT_PER_SEC=20, RATE_LIMIT_CONCURRENT=10 here)', () => {
  test('over HTTP: past the limit, 429 with Retry-After and RATE_LIMITED; another key is not affected', async () => {
    const key = await viewerKey('rate-http');
    const answers = await Promise.all(Array.from({ length: 40 }, () => graphql(key, '{ viewer { role } }')));
    const refused = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThanOrEqual(20);
    for (const answer of refused) {
      expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(answer.body.errors).toEqual([{ message: expect.stringMatching(/API key/), extensions: { code: 'RATE_LIMITED', retryAfter: Number(answer.retryAfter) } }]);
    }
    const other = await graphql(await viewerKey('rate-http-other'), '{ viewer { role } }');
    expect(other.status).toBe(200);
    // After Retry-After, the key is served again.
    await new Promise((resolve) => setTimeout(resolve, Number(refused[0]!.retryAfter) * 1000 + 100));
    expect((await graphql(key, '{ viewer { role } }')).status).toBe(200);
  }, 30_000);

  test('over the socket: subscriptions past the limit are refused with RATE_LIMITED and retryAfter; the socket stays open', async () => {
    const key = await viewerKey('rate-socket');
    const live = liveClient(`${origin}/graphql`, key);
    sockets.push(live);
    const feeds = Array.from({ length: 40 }, () => subscribe(live.client, 'subscription { hostChanged { hostId } }'));
    await eventually(() => feeds.filter((f) => f.completed).length >= 20, 10_000, '20 refusals');
    const refused = feeds.filter((f) => f.completed).map((f) => f.error as { extensions?: { code?: string; retryAfter?: number } }[]);
    for (const errors of refused) expect(errors).toEqual([{ message: expect.stringMatching(/API key/), extensions: { code: 'RATE_LIMITED', retryAfter: expect.any(Number) } }]);
    // The others were taken: the connection is still up and serves a subscription after the wait.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const later = subscribe(live.client, 'subscription { hostChanged { hostId } }');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(later.completed).toBe(false);
  }, 30_000);
});

describe('refused and broken sockets in the log', () => {
  const closedLines = () => server.stderr().split('\n').filter((line) => line.includes('live socket closed'));

  test('one line each, no stack; past 20 a minute they are counted, not written', async () => {
    const before = closedLines().length;
    // No key: 4401.
    const noKey = liveClient(`${origin}/graphql`, null);
    expect((await noKey.closed).code).toBe(4401);
    // A wrong key: 4403.
    const wrongKey = liveClient(`${origin}/graphql`, 'smk_0000000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwro');
    expect((await wrongKey.closed).code).toBe(4403);
    // A message over 1 MiB: 1009 (before: 14 lines of stack for each).
    const { socket, closed } = await rawSocket(`${origin}/graphql`);
    socket.send(JSON.stringify({ type: 'connection_init', payload: { padding: 'x'.repeat(1_100_000) } }));
    expect((await closed).code).toBe(1009);
    await eventually(() => closedLines().length >= before + 3, 5_000, 'three log lines');
    const lines = closedLines().slice(before);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\{"level":"warn"(?=.*"code":4401)(?=.*"msg":"live socket closed: Unauthorized)/);
    expect(lines[1]).toMatch(/^\{"level":"warn"(?=.*"code":4403)(?=.*"msg":"live socket closed: Forbidden)/);
    expect(lines[2]).toMatch(/^\{"level":"warn"(?=.*"code":100\d)(?=.*"msg":"live socket closed: Max payload size exceeded \(WS_ERR_UNSUPPORTED_MESSAGE_LENGTH\))/);

    // A flood of them: at most 20 lines in the minute.
    const flood = await Promise.all(
      Array.from({ length: 60 }, async () => {
        const raw = new WebSocket(wsUrl(`${origin}/graphql`), 'graphql-transport-ws');
        await new Promise((resolve) => raw.once('open', resolve));
        const code = new Promise<number>((resolve) => raw.once('close', (c) => resolve(c)));
        raw.send(JSON.stringify({ type: 'connection_init', payload: {} }));
        return code;
      }),
    );
    expect(new Set(flood)).toEqual(new Set([4401]));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(closedLines().length - before).toBeLessThanOrEqual(20);
    const log = server.stderr();
    expect(log).not.toMatch(/\n\s+at /);
    expect(log).not.toMatch(/Internal error emitted|Please check your implementation/);
  }, 30_000);
});
