import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { silentLogger } from '../../src/common/logger.js';
import { pingDatabase } from '../../src/db/connection.js';
import { EventBus } from '../../src/events/event-bus.js';
import type { CheckEngine } from '../../src/modules/checks/engine.js';
import { createMonitoring, type MonitoringSettings } from '../../src/modules/checks/monitoring.js';
import type { QueryLimits } from '../../src/graphql/limits.js';
import { startApiServer, type ApiServer, type ApiServerOptions } from '../../src/http/api-server.js';
import type { KeyLimits } from '../../src/http/key-limiter.js';
import { ApiKeyService } from '../../src/modules/auth/api-key.service.js';
import { createDomain, type Domain, type DomainSettings } from '../../src/modules/domain.js';
import { startLive, type Live } from '../../src/modules/live/live.js';
import type { Role } from '../../src/modules/auth/roles.js';
import { useTestDatabase, type TestDatabase } from './database.js';

export interface GraphQLResponse<TData> {
  status: number;
  data?: TData | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; fields?: { path: string; message: string }[]; [key: string]: unknown } }[];
}

export interface RequestOptions {
  /** A role's key (issued at start), a raw Authorization value, or null for none. Default: admin. */
  as?: Role | { authorization: string } | null;
}

export interface TestApi {
  readonly database: TestDatabase;
  readonly domain: Domain;
  readonly apiKeys: ApiKeyService;
  readonly engine: CheckEngine;
  /** The domain events bus shared by the domain, the engine and live. */
  readonly events: EventBus;
  /** The live services, when started with them. */
  readonly live: Live | null;
  readonly url: string;
  readonly server: ApiServer;
  /** A key of each role, issued when the server started. */
  readonly keys: Record<Role, string>;
  /** Sends a typed operation over real HTTP; never throws on GraphQL errors. */
  request<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables, options?: RequestOptions): Promise<GraphQLResponse<TData>>;
  /** Like request, but fails the test unless the response has data and no errors. */
  data<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables?: TVariables, options?: RequestOptions): Promise<TData>;
  /** Posts a raw body (for protocol-level tests). */
  post(body: unknown, headers?: Record<string, string>): Promise<Response>;
}

/** Starts live (subscriptions over graphql-ws) with the server. */
export interface LiveOptions {
  redisUrl?: string;
  keepAliveMs?: number;
  maxQueuedEvents?: number;
  replayLimit?: number;
  dashboardPeriodMs?: number;
}

export const TEST_SETTINGS = { historyRetentionDays: 30, staleAfterIntervals: 3, highFailureThreshold: 3 } as const;

export const MONITORING_TEST_SETTINGS: MonitoringSettings = {
  checkConcurrency: 50,
  checkLeaseSec: 30,
  sshPrivateKeyFile: undefined,
  sshKnownHostsFile: '/dev/null',
  sshConnectTimeoutMs: 5_000,
  customCommandsFile: undefined,
  recoveryRecheckDelayMs: 50,
};

/**
 * Starts the real API server (Apollo on Express, real HTTP on a free port)
 * against this test file's database, with one key per role.
 */
/**
 * Query limits as in production unless given; per-key rate limits far out of the way unless given (tests
 * send bursts with one key), so only tests about them meet them.
 */
export function useApiServer(
  testFile: string,
  limits: Partial<QueryLimits> & { keyLimits?: Partial<KeyLimits> } = {},
  live?: LiveOptions,
  settings: Partial<DomainSettings> = {},
  server: Pick<ApiServerOptions, 'metrics' | 'ide'> = {},
): TestApi {
  const database = useTestDatabase(testFile);
  const events = new EventBus();
  const domain = createDomain({ ...TEST_SETTINGS, ...settings }, events);
  const apiKeys = new ApiKeyService(events);
  const engine = createMonitoring(domain, events, MONITORING_TEST_SETTINGS).engine;
  const state = {} as { server: ApiServer; keys: Record<Role, string>; live: Live | null };

  beforeAll(async () => {
    state.live = live ? await startLive(events, domain, { redisUrl: live.redisUrl, liveReplayLimit: live.replayLimit ?? 1000, dashboardPeriodMs: live.dashboardPeriodMs }, () => {}) : null;
    state.server = await startApiServer({
      port: 0,
      host: '127.0.0.1',
      domain,
      apiKeys,
      engine,
      pingDatabase: () => pingDatabase(),
      logger: silentLogger,
      limits: { ...limits, keyLimits: undefined } as Partial<QueryLimits>,
      keyLimits: { requestsPerSecond: 1_000_000, concurrent: 100_000, ...limits.keyLimits },
      shutdownTimeoutMs: 1_000,
      live: state.live ? { services: state.live, keepAliveMs: live?.keepAliveMs ?? 30_000, maxQueuedEvents: live?.maxQueuedEvents ?? 1000 } : undefined,
      ...server,
    });
  });
  // After the database helper's clean-up, so every test starts with one fresh key per role.
  beforeEach(async () => {
    state.keys = await issueKeys(apiKeys);
  });
  // What a test had recorded in the audit log is written (and its failed-authentication counts closed)
  // before the next test's clean-up, so no record lands in the next test.
  afterEach(async () => {
    await domain.audit.close();
  });
  afterAll(async () => {
    await state.server?.stop();
    await state.live?.close();
  });

  const authorization = (as: RequestOptions['as']): string | undefined => {
    if (as === null) return undefined;
    if (typeof as === 'object') return as.authorization;
    return `Bearer ${state.keys[as ?? 'admin']}`;
  };

  const api: TestApi = {
    database,
    domain,
    apiKeys,
    engine,
    events,
    get live() {
      return state.live;
    },
    get url() {
      return state.server.url;
    },
    get server() {
      return state.server;
    },
    get keys() {
      return state.keys;
    },
    async post(body, headers = {}) {
      // As a current client asks: the GraphQL response type first, so request errors keep their 4xx status.
      const accept = 'application/graphql-response+json, application/json;q=0.9';
      return fetch(state.server.url, { method: 'POST', headers: { 'content-type': 'application/json', accept, ...headers }, body: JSON.stringify(body) });
    },
    async request(document, variables, options = {}) {
      const auth = authorization(options.as);
      const response = await api.post({ query: print(document), variables }, auth ? { authorization: auth } : {});
      return { status: response.status, ...((await response.json()) as object) };
    },
    async data(document, variables, options) {
      const response = await api.request(document, variables, options);
      if (response.errors?.length || !response.data) throw new Error(`GraphQL errors: ${JSON.stringify(response.errors)}`);
      return response.data;
    },
  };
  return api;
}

/** One key per role. */
async function issueKeys(apiKeys: ApiKeyService): Promise<Record<Role, string>> {
  const [admin, operator, viewer] = await Promise.all([
    apiKeys.issue('test admin', 'admin'),
    apiKeys.issue('test operator', 'operator'),
    apiKeys.issue('test viewer', 'viewer'),
  ]);
  return { admin: admin.secret, operator: operator.secret, viewer: viewer.secret };
}

/** The single error of a response, which must carry this code; never leaks internals. */
export function expectError(response: GraphQLResponse<unknown>, code: string) {
  expect(response.errors, JSON.stringify(response)).toHaveLength(1);
  const error = response.errors![0]!;
  expect(error.extensions?.code, JSON.stringify(error)).toBe(code);
  expect(JSON.stringify(response)).not.toMatch(/stacktrace|E11000|MongoServerError|ValidationError|Cast to/);
  return error;
}

/** A BAD_USER_INPUT error naming at least these API paths in extensions.fields. */
export function expectBadInput(response: GraphQLResponse<unknown>, ...paths: string[]) {
  const error = expectError(response, 'BAD_USER_INPUT');
  const named = (error.extensions?.fields ?? []).map((f) => f.path);
  for (const path of paths) expect(named, error.message).toContain(path);
  return error;
}
